/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * One reply in flight and the `replyonpause` bus messages: see reply.hpp.
 */
#include "reply.hpp"

#include "element-util.hpp"

#include <gst/audio/audio.h>

#include <cstdarg>

namespace voicekit::replyonpause {

Reply::~Reply() {
  if (context != nullptr)
    gst_voicekit_session_context_unref(context);
  g_object_unref(cancellable);
}

guint64 duration_of(GstSample *sample) {
  GstAudioInfo info;
  GstCaps *caps = gst_sample_get_caps(sample);
  GstBuffer *buffer = gst_sample_get_buffer(sample);
  if (caps == nullptr || buffer == nullptr || !gst_audio_info_from_caps(&info, caps) ||
      GST_AUDIO_INFO_BPF(&info) <= 0 || GST_AUDIO_INFO_RATE(&info) <= 0)
    return 0;
  const guint64 frames =
      gst_buffer_get_size(buffer) / static_cast<gsize>(GST_AUDIO_INFO_BPF(&info));
  return gst_util_uint64_scale_int(frames, GST_SECOND, GST_AUDIO_INFO_RATE(&info));
}

void append_chunk(Reply &reply, GstSample *sample) {
  const guint64 duration = duration_of(sample);
  reply.chunks.push_back(ReplyChunk{SamplePtr(gst_sample_ref(sample)), duration});
  reply.queued += duration;
}

ReplyPtr make_reply(guint64 utterance, ReplyHandler *handler, GstVoiceKitSessionContext *context,
                    gint64 decided_us, const Settings &settings) {
  auto reply = std::make_shared<Reply>();
  reply->utterance = utterance;
  reply->handler = handler;
  reply->context = context;
  reply->decided_us = decided_us;
  reply->deadline_us = decided_us + static_cast<gint64>(settings.handler_timeout / GST_USECOND);
  reply->max_buffer = settings.max_reply_buffer;
  return reply;
}

void post_message(GstElement *element, const Settings &settings, const GstSegment &segment,
                  const char *event, guint64 utterance, GstVoiceKitSessionContext *context,
                  GstClockTime running_time, const char *first_extra, ...) {
  if (!settings.post_messages)
    return;
  GstStructure *structure =
      gst_structure_new("replyonpause", "event", G_TYPE_STRING, event, "utterance", G_TYPE_UINT64,
                        utterance, "running-time", G_TYPE_UINT64, running_time, "stream-time",
                        G_TYPE_UINT64, element::stream_time_of(segment, running_time), nullptr);
  if (context != nullptr)
    gst_structure_set(structure, "webrtc-id", G_TYPE_STRING,
                      gst_voicekit_session_context_get_webrtc_id(context), nullptr);
  if (first_extra != nullptr) {
    va_list args;
    va_start(args, first_extra);
    gst_structure_set_valist(structure, first_extra, args);
    va_end(args);
  }
  gst_element_post_message(element, gst_message_new_element(GST_OBJECT(element), structure));
}

} /* namespace voicekit::replyonpause */
