/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * handler=pads: handler elements in the pipeline. Each utterance leaves on
 * the `utterance_src` request pad between "GstVoiceKitUtterance" start and
 * end events (from a worker thread); the reply comes back on the
 * `reply_sink` request pad and ends with the end event coming back. Stopping
 * a reply flushes the handler branch.
 */
#include "reply-handler.hpp"

#include <gst/audio/audio.h>
#include <gst/voicekit/voicekit.h>

#include <string>

#define GST_CAT_DEFAULT gst_voicekit_reply_on_pause_debug

namespace voicekit::replyonpause {

namespace {

/* How long stopping a reply waits for the handler branch to take a flush. */
constexpr gint64 FLUSH_WAIT_US = 500 * G_TIME_SPAN_MILLISECOND;
constexpr gint64 kForever = -1;

class PadsHandler final : public ReplyHandler {
public:
  explicit PadsHandler(const ReplyHost &host);
  ~PadsHandler() override;

  void run(const ReplyPtr &reply, GstSample *utterance, const Settings &settings) override;
  void stop(const ReplyPtr &reply) override;
  GstPad *request_pad(GstPadTemplate *templ) override;
  bool release_pad(GstPad *pad) override;
  void streaming_starts() override;
  void streaming_stopped() override;

private:
  static GstFlowReturn reply_chain(GstPad *pad, GstObject *parent, GstBuffer *buffer);
  static gboolean reply_event(GstPad *pad, GstObject *parent, GstEvent *event);

  GstPad *utterance_src(); /* a reference, or nullptr */
  /* Waits until nobody pushes on utterance_src, then becomes the pusher.
   * False when `until_us` (monotonic; kForever: no limit) passed first: the
   * flush-stop is then left to the next pusher. */
  bool begin_pushing(gint64 until_us);
  void end_pushing();

  /* `lock_` guards every field below it but the last group; `cond_` signals
   * the end of a push. It is never held while pushing: a handler branch
   * that blocks (and ignores flushes) must block nobody but its pusher. */
  GMutex lock_;
  GCond cond_;
  GstPad *utterance_src_ = nullptr;
  GstPad *reply_sink_ = nullptr;
  bool pushing_ = false;         /* a worker or a flush pushes on utterance_src */
  bool restart_ = true;          /* a new stream: stream-start, caps, segment anew */
  bool need_flush_stop_ = false; /* a flush whose stop the next pusher sends */
  bool reply_info_valid_ = false;
  GstAudioInfo reply_info_;      /* reply_sink's caps */
  bool reply_saw_start_ = false; /* bracket events come back on reply_sink */
  guint64 reply_utterance_ = 0;  /* the last start event's utterance */

  /* Owned by the pusher (pushing_ set). Each sticky event counts as sent
   * only once the pad took it (a flushing pad drops it). */
  bool need_stream_start_ = true;
  bool need_segment_ = true;
  GstCaps *caps_ = nullptr;
};

PadsHandler::PadsHandler(const ReplyHost &host) : ReplyHandler(host) {
  g_mutex_init(&lock_);
  g_cond_init(&cond_);
  gst_audio_info_init(&reply_info_);
}

PadsHandler::~PadsHandler() {
  gst_caps_replace(&caps_, nullptr);
  g_cond_clear(&cond_);
  g_mutex_clear(&lock_);
}

GstPad *PadsHandler::utterance_src() {
  g_mutex_lock(&lock_);
  GstPad *pad = utterance_src_ != nullptr ? GST_PAD(gst_object_ref(utterance_src_)) : nullptr;
  g_mutex_unlock(&lock_);
  return pad;
}

bool PadsHandler::begin_pushing(gint64 until_us) {
  g_mutex_lock(&lock_);
  while (pushing_) {
    if (until_us == kForever) {
      g_cond_wait(&cond_, &lock_);
    } else if (!g_cond_wait_until(&cond_, &lock_, until_us) && pushing_) {
      need_flush_stop_ = true;
      g_mutex_unlock(&lock_);
      return false;
    }
  }
  pushing_ = true;
  if (restart_) {
    restart_ = false;
    need_stream_start_ = true;
    need_segment_ = true;
    gst_caps_replace(&caps_, nullptr);
  }
  g_mutex_unlock(&lock_);
  return true;
}

void PadsHandler::end_pushing() {
  g_mutex_lock(&lock_);
  pushing_ = false;
  g_cond_broadcast(&cond_);
  g_mutex_unlock(&lock_);
}

/* Pushes the utterance out of utterance_src, bracketed by start and end
 * events; the reply comes back on reply_sink. */
void PadsHandler::run(const ReplyPtr &reply, GstSample *utterance, const Settings &) {
  GstPad *pad = utterance_src();
  if (pad == nullptr || !gst_pad_is_linked(pad)) {
    host_.registry->fail(reply->utterance, "handler=pads needs a linked utterance_src pad");
    if (pad != nullptr)
      gst_object_unref(pad);
    return;
  }
  begin_pushing(kForever);
  if (g_cancellable_is_cancelled(reply->cancellable)) {
    end_pushing();
    gst_object_unref(pad);
    return;
  }
  g_mutex_lock(&lock_);
  const bool flush_stop = need_flush_stop_;
  need_flush_stop_ = false;
  g_mutex_unlock(&lock_);
  if (flush_stop) {
    gst_pad_push_event(pad, gst_event_new_flush_stop(FALSE));
    need_segment_ = true;
  }
  GstCaps *caps = gst_sample_get_caps(utterance);
  if (need_stream_start_) {
    /* gst_pad_create_stream_id() wants one sink pad; we have two. Derive
     * the id from the input's, as it would. */
    gchar *upstream = gst_pad_get_stream_id(host_.sinkpad);
    gchar *stream_id = upstream != nullptr
                           ? g_strconcat(upstream, "/utterances", nullptr)
                           : g_strdup_printf("%08x%08x/utterances", g_random_int(), g_random_int());
    need_stream_start_ = !gst_pad_push_event(pad, gst_event_new_stream_start(stream_id));
    g_free(stream_id);
    g_free(upstream);
  }
  if ((caps_ == nullptr || !gst_caps_is_equal(caps_, caps)) &&
      gst_pad_push_event(pad, gst_event_new_caps(caps)))
    gst_caps_replace(&caps_, caps);
  if (need_segment_) {
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    need_segment_ = !gst_pad_push_event(pad, gst_event_new_segment(&segment));
  }
  gst_pad_push_event(pad, gst_voicekit_event_new_utterance(GST_VOICEKIT_UTTERANCE_EVENT_START,
                                                           reply->utterance, reply->context));
  const GstFlowReturn ret = gst_pad_push(pad, gst_buffer_ref(gst_sample_get_buffer(utterance)));
  if (ret == GST_FLOW_OK)
    gst_pad_push_event(pad, gst_voicekit_event_new_utterance(GST_VOICEKIT_UTTERANCE_EVENT_END,
                                                             reply->utterance, reply->context));
  end_pushing();
  gst_object_unref(pad);
  if (ret != GST_FLOW_OK && !g_cancellable_is_cancelled(reply->cancellable))
    host_.registry->fail(reply->utterance, std::string("utterance_src: ") + gst_flow_get_name(ret));
}

/* Drops what the handler elements still hold: flushes utterance_src's
 * branch. The reply_sink side drops the flush (it never reaches the output). */
void PadsHandler::stop(const ReplyPtr &) {
  GstPad *pad = utterance_src();
  if (pad == nullptr)
    return;
  gst_pad_push_event(pad, gst_event_new_flush_start());
  /* The worker's push returns FLUSHING and ends. A branch that ignores the
   * flush must not hang us: after a while the next pusher ends the flush
   * instead. */
  if (begin_pushing(g_get_monotonic_time() + FLUSH_WAIT_US)) {
    gst_pad_push_event(pad, gst_event_new_flush_stop(FALSE));
    need_segment_ = true;
    end_pushing();
  } else {
    GST_WARNING_OBJECT(pad, "the handler branch holds its stream; flush-stop left to later");
  }
  gst_object_unref(pad);
}

GstFlowReturn PadsHandler::reply_chain(GstPad *pad, GstObject *, GstBuffer *buffer) {
  auto *self = static_cast<PadsHandler *>(pad->element_private);
  ReplyPtr reply = self->host_.registry->current();
  g_mutex_lock(&self->lock_);
  const bool takes = reply && reply->handler == self &&
                     (!self->reply_saw_start_ || self->reply_utterance_ == reply->utterance);
  const bool has_info = self->reply_info_valid_;
  const GstAudioInfo info = self->reply_info_;
  g_mutex_unlock(&self->lock_);
  if (!has_info) {
    gst_buffer_unref(buffer);
    GST_ELEMENT_ERROR(self->host_.element, CORE, NEGOTIATION, ("No audio format on reply_sink"),
                      ("the handler elements sent a buffer before caps"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (takes) {
    GstCaps *caps = gst_audio_info_to_caps(&info);
    GstSample *sample = gst_sample_new(buffer, caps, nullptr, nullptr);
    self->host_.registry->queue_audio(reply->utterance, sample);
    gst_sample_unref(sample);
    gst_caps_unref(caps);
  } else {
    GST_LOG_OBJECT(pad, "no reply takes this buffer; dropped");
  }
  gst_buffer_unref(buffer);
  return GST_FLOW_OK;
}

gboolean PadsHandler::reply_event(GstPad *pad, GstObject *, GstEvent *event) {
  auto *self = static_cast<PadsHandler *>(pad->element_private);
  gboolean ok = TRUE;
  GstVoiceKitUtteranceEventType type;
  guint64 utterance = 0;
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gst_event_parse_caps(event, &caps);
    GstAudioInfo info;
    ok = gst_audio_info_from_caps(&info, caps);
    g_mutex_lock(&self->lock_);
    self->reply_info_valid_ = ok;
    if (ok)
      self->reply_info_ = info;
    g_mutex_unlock(&self->lock_);
  } else if (gst_voicekit_event_parse_utterance(event, &type, &utterance, nullptr)) {
    if (type == GST_VOICEKIT_UTTERANCE_EVENT_START) {
      g_mutex_lock(&self->lock_);
      self->reply_saw_start_ = true;
      self->reply_utterance_ = utterance;
      g_mutex_unlock(&self->lock_);
    } else {
      self->host_.registry->end(utterance);
    }
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    GST_INFO_OBJECT(pad, "the handler elements ended their stream");
  }
  /* Nothing from the handler branch goes further: the output is ours. */
  gst_event_unref(event);
  return ok;
}

GstPad *PadsHandler::request_pad(GstPadTemplate *templ) {
  const char *name = GST_PAD_TEMPLATE_NAME_TEMPLATE(templ);
  const bool is_src = g_str_equal(name, "utterance_src");
  if (!is_src && !g_str_equal(name, "reply_sink"))
    return nullptr;
  g_mutex_lock(&lock_);
  GstPad *&slot = is_src ? utterance_src_ : reply_sink_;
  if (slot != nullptr) {
    g_mutex_unlock(&lock_);
    GST_WARNING_OBJECT(host_.element, "there is one %s pad at most", name);
    return nullptr;
  }
  GstPad *pad = gst_pad_new_from_template(templ, name);
  slot = pad;
  if (is_src)
    restart_ = true;
  g_mutex_unlock(&lock_);
  if (!is_src) {
    pad->element_private = this;
    gst_pad_set_chain_function(pad, GST_DEBUG_FUNCPTR(reply_chain));
    gst_pad_set_event_function(pad, GST_DEBUG_FUNCPTR(reply_event));
  }
  GstElement *element = host_.element;
  if (GST_STATE(element) >= GST_STATE_PAUSED || GST_STATE_PENDING(element) >= GST_STATE_PAUSED)
    gst_pad_set_active(pad, TRUE);
  gst_element_add_pad(element, pad);
  return pad;
}

bool PadsHandler::release_pad(GstPad *pad) {
  g_mutex_lock(&lock_);
  const bool ours = pad == utterance_src_ || pad == reply_sink_;
  if (utterance_src_ == pad)
    utterance_src_ = nullptr;
  if (reply_sink_ == pad)
    reply_sink_ = nullptr;
  g_mutex_unlock(&lock_);
  if (!ours)
    return false;
  gst_pad_set_active(pad, FALSE);
  gst_element_remove_pad(host_.element, pad);
  return true;
}

void PadsHandler::streaming_starts() {
  g_mutex_lock(&lock_);
  restart_ = true;
  g_mutex_unlock(&lock_);
}

void PadsHandler::streaming_stopped() {
  g_mutex_lock(&lock_);
  reply_info_valid_ = false;
  reply_saw_start_ = false;
  g_mutex_unlock(&lock_);
}

} /* namespace */

std::unique_ptr<ReplyHandler> make_pads_handler(const ReplyHost &host) {
  return std::make_unique<PadsHandler>(host);
}

} /* namespace voicekit::replyonpause */
