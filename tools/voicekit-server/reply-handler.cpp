/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Sets a session's replyonpause handler (reply-handler.hpp); for the spoken
 * one, runs each utterance through the Transcriber and espeak-ng and answers
 * with replyonpause's action signals, cancelled by `reply-stop`.
 */
#include "reply-handler.hpp"

#include "spoken.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <utility>

namespace voicekit::server {

namespace {

/* Shared by the utterance and reply-stop handlers of one replyonpause. The
 * utterance signal comes on a worker thread of replyonpause; reply-stop on its
 * streaming thread. */
struct SpokenState {
  TranscriptSink on_transcript;
  std::shared_ptr<Transcriber> transcriber;
  std::mutex lock;
  std::map<guint64, std::shared_ptr<Cancel>> cancels;
  /* reply-stop for an utterance whose handler had not started yet: it is
   * cancelled as soon as it registers. Reply numbers only grow, so anything
   * below the last one started can be forgotten. */
  std::set<guint64> stopped_early;
};

void spoken_utterance(GstElement *reply, guint64 number, GstSample *sample, gpointer data) {
  auto *state = static_cast<SpokenState *>(data);
  auto cancel = std::make_shared<Cancel>();
  {
    std::lock_guard<std::mutex> guard(state->lock);
    state->cancels[number] = cancel;
    if (state->stopped_early.erase(number) != 0)
      cancel->cancel();
    state->stopped_early.erase(state->stopped_early.begin(),
                               state->stopped_early.lower_bound(number));
  }
  std::string text;
  std::string error;
  GstSample *answer = nullptr;
  if (state->transcriber->transcribe(sample, text, error, cancel.get())) {
    state->on_transcript(number, text);
    answer = speak(answer_text(text), error, cancel.get());
  }
  /* Each action returns FALSE when the reply was cut meanwhile: nothing to do. */
  gboolean accepted = FALSE;
  if (answer != nullptr) {
    g_signal_emit_by_name(reply, "push-reply", number, answer, &accepted);
    gst_sample_unref(answer);
    g_signal_emit_by_name(reply, "end-reply", number, &accepted);
  } else if (!cancel->cancelled()) {
    g_signal_emit_by_name(reply, "fail-reply", number, error.c_str(), &accepted);
  }
  std::lock_guard<std::mutex> guard(state->lock);
  state->cancels.erase(number);
}

/* On the streaming thread: Cancel::cancel() is short. */
void spoken_stop(GstElement *, guint64 number, gpointer data) {
  auto *state = static_cast<SpokenState *>(data);
  std::lock_guard<std::mutex> guard(state->lock);
  auto found = state->cancels.find(number);
  if (found != state->cancels.end())
    found->second->cancel();
  else if (state->stopped_early.size() < 64)
    state->stopped_early.insert(number);
}

void free_spoken_state(gpointer data, GClosure *) {
  delete static_cast<SpokenState *>(data);
}

} /* namespace */

void set_reply_handler(GstElement *reply, const CallConfig &config, TranscriptSink on_transcript) {
  if (config.handler == "spoken") {
    gst_util_set_object_arg(G_OBJECT(reply), "handler", "signals");
    auto *state = new SpokenState;
    state->on_transcript = std::move(on_transcript);
    state->transcriber = config.transcriber;
    /* The utterance handler's closure owns the state; reply-stop borrows it
     * (both go when `reply` is finalized). */
    g_signal_connect_data(reply, "utterance", G_CALLBACK(spoken_utterance), state,
                          free_spoken_state, GConnectFlags(0));
    g_signal_connect(reply, "reply-stop", G_CALLBACK(spoken_stop), state);
  } else if (config.handler == "command") {
    gst_util_set_object_arg(G_OBJECT(reply), "handler", "command");
    g_object_set(reply, "command", config.command.c_str(), nullptr);
  } else {
    gst_util_set_object_arg(G_OBJECT(reply), "handler", "echo");
  }
}

} /* namespace voicekit::server */
