/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The debug category of voicekit-server's sessions ("voicekit-server"), shared
 * by the files that build and run them.
 */
#ifndef TOOLS_VOICEKIT_SERVER_SESSION_LOG_HPP
#define TOOLS_VOICEKIT_SERVER_SESSION_LOG_HPP

#include <gst/gst.h>

#include <mutex>

namespace voicekit::server {

inline GstDebugCategory *session_debug = nullptr;

/* Registers the category; Call::create() calls it before the first session. */
inline void ensure_session_debug_category() {
  static std::once_flag once;
  std::call_once(once, [] {
    GST_DEBUG_CATEGORY_INIT(session_debug, "voicekit-server", 0, "voicekit-server sessions");
  });
}

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_SESSION_LOG_HPP */
