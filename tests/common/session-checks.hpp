/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Small readers shared by the session tests.
 */
#ifndef TESTS_COMMON_SESSION_CHECKS_HPP
#define TESTS_COMMON_SESSION_CHECKS_HPP

#include <gst/voicekit/session.h>

#include <string>

namespace voicekit::testing {

/* How many session metas a buffer carries (never more than one, we claim). */
inline guint count_session_metas(GstBuffer *buffer) {
  guint count = 0;
  gpointer state = nullptr;
  while (gst_buffer_iterate_meta_filtered(buffer, &state, GST_VOICEKIT_SESSION_META_API_TYPE) !=
         nullptr)
    count++;
  return count;
}

/* The webrtc-id of a context the caller owns (released here); `none` when
 * there is no context. */
inline std::string take_webrtc_id(GstVoiceKitSessionContext *context, const char *none) {
  if (context == nullptr)
    return none;
  std::string id = gst_voicekit_session_context_get_webrtc_id(context);
  gst_voicekit_session_context_unref(context);
  return id;
}

/* The webrtc-id a session event carries; empty for any other event. */
inline std::string session_event_id(GstEvent *event) {
  return take_webrtc_id(gst_voicekit_event_parse_session(event), "");
}

} /* namespace voicekit::testing */

#endif /* TESTS_COMMON_SESSION_CHECKS_HPP */
