/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * A session's `pausedetect` and `replyonpause` element messages as the live
 * events its client gets (docs/server.md).
 */
#ifndef TOOLS_VOICEKIT_SERVER_BUS_EVENTS_HPP
#define TOOLS_VOICEKIT_SERVER_BUS_EVENTS_HPP

#include <gst/gst.h>

#include <string>

namespace voicekit::server {

/* {"type":"event","source":<source>, ...}: every plain field of `structure`,
 * dashes as underscores, times (guint64 ns) as "<name>_ms" in milliseconds or
 * null when unset. Fields of other types (the session context) are left out. */
std::string event_json(const GstStructure *structure, const char *source);

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_BUS_EVENTS_HPP */
