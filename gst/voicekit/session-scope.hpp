/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * C++ RAII scope for the current session context.
 *
 *   {
 *     voicekit::SessionScope scope(context);   // context is now current
 *     call_application_code();                 // gst_voicekit_session_context_get_current() ==
 * context }                                          // previous scope (or none) again
 */
#ifndef GST_VOICEKIT_SESSION_SCOPE_HPP
#define GST_VOICEKIT_SESSION_SCOPE_HPP

#include <gst/voicekit/session.h>

namespace voicekit {

class SessionScope {
public:
  /* A null context opens no scope: handy for "the buffer's session, if any". */
  explicit SessionScope(GstVoiceKitSessionContext *context) : active_(context != nullptr) {
    if (active_)
      gst_voicekit_session_context_push_current(context);
  }
  ~SessionScope() {
    if (active_)
      gst_voicekit_session_context_pop_current();
  }
  SessionScope(const SessionScope &) = delete;
  SessionScope &operator=(const SessionScope &) = delete;

private:
  bool active_;
};

} /* namespace voicekit */

#endif /* GST_VOICEKIT_SESSION_SCOPE_HPP */
