/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The table of replyonpause's handler kinds (adding a kind: a file with its
 * ReplyHandler, its value in gstreplyonpause.h, one line in kKinds) and the
 * worker threads that run handlers off the streaming thread.
 */
#include "reply-handler.hpp"

#include <gst/voicekit/session-scope.hpp>

#include <iterator>
#include <string>

#define GST_CAT_DEFAULT gst_voicekit_reply_on_pause_debug

namespace voicekit::replyonpause {

namespace {

struct Kind {
  GstVoiceKitReplyOnPauseHandler value;
  const char *nick;
  const char *description;
  std::unique_ptr<ReplyHandler> (*make)(const ReplyHost &host);
};

/* The values of the `handler` property, in the order of their values. */
const Kind kKinds[] = {
    {GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_ECHO, "echo", "The reply is the utterance itself",
     make_echo_handler},
    {GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_SIGNALS, "signals",
     "Application code: the utterance signal, replies with push-reply/end-reply",
     make_signals_handler},
    {GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_COMMAND, "command",
     "Runs `command` per utterance, WAV in and out", make_command_handler},
    {GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_PADS, "pads",
     "Handler elements on the utterance_src and reply_sink request pads", make_pads_handler},
};
constexpr std::size_t kKindCount = std::size(kKinds);

struct WorkerTask {
  ReplyHost host;
  GstObject *element; /* a reference: the handlers live in it */
  ReplyPtr reply;
  SamplePtr utterance; /* empty for a greeting */
  Settings settings;
};

void run_task(gpointer data, gpointer) {
  std::unique_ptr<WorkerTask> task(static_cast<WorkerTask *>(data));
  const ReplyPtr &reply = task->reply;
  {
    /* The utterance's session is current for the whole call. */
    SessionScope scope(reply->context);
    if (reply->greeting || !g_cancellable_is_cancelled(reply->cancellable))
      reply->handler->run(reply, task->utterance.get(), task->settings);
  }
  task->utterance.reset();
  gst_object_unref(task->element);
}

/* Shared by every element; threads are created as needed and reused. */
GThreadPool *workers() {
  static GThreadPool *pool = nullptr;
  if (g_once_init_enter(&pool)) {
    GThreadPool *created = g_thread_pool_new(run_task, nullptr, -1, FALSE, nullptr);
    g_once_init_leave(&pool, created);
  }
  return pool;
}

} /* namespace */

bool ReplyHandler::prepare(Reply &, GstSample *) {
  return true;
}

void ReplyHandler::stop(const ReplyPtr &) {}

GstPad *ReplyHandler::request_pad(GstPadTemplate *) {
  return nullptr;
}

bool ReplyHandler::release_pad(GstPad *) {
  return false;
}

ReplyHandlers::ReplyHandlers(const ReplyHost &host) {
  for (const Kind &kind : kKinds) {
    g_assert(static_cast<std::size_t>(kind.value) == all_.size());
    all_.push_back(kind.make(host));
  }
  all_.push_back(make_greeting_handler(host));
  greeting_ = all_.back().get();
}

ReplyHandler &ReplyHandlers::of_kind(GstVoiceKitReplyOnPauseHandler kind) {
  const auto index = static_cast<std::size_t>(kind);
  return *all_[index < kKindCount ? index : 0];
}

const GEnumValue *ReplyHandlers::enum_values() {
  static GEnumValue values[kKindCount + 1] = {};
  static gsize filled = 0;
  if (g_once_init_enter(&filled)) {
    for (std::size_t i = 0; i < kKindCount; i++)
      values[i] = {kKinds[i].value, kKinds[i].description, kKinds[i].nick};
    values[kKindCount] = {0, nullptr, nullptr};
    g_once_init_leave(&filled, 1);
  }
  return values;
}

void start_worker(const ReplyHost &host, const ReplyPtr &reply, GstSample *utterance,
                  const Settings &settings) {
  auto *task = new WorkerTask{host, GST_OBJECT(gst_object_ref(host.element)), reply,
                              SamplePtr(utterance != nullptr ? gst_sample_ref(utterance) : nullptr),
                              settings};
  GError *error = nullptr;
  if (!g_thread_pool_push(workers(), task, &error)) {
    host.registry->fail(reply->utterance,
                        std::string("cannot start a handler thread: ") + error->message);
    g_error_free(error);
    gst_object_unref(task->element);
    delete task;
  }
}

} /* namespace voicekit::replyonpause */
