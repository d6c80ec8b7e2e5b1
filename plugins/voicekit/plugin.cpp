/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The voicekit plugin: registers every element. Licence "LGPL" is how
 * GStreamer's registry names LGPL-2.1-or-later (it knows no SPDX ids).
 */
#include "gstpausedetect.h"
#include "gstreplyonpause.h"
#include "gstsessiontag.h"

#ifndef PACKAGE
#define PACKAGE "gst-voicekit"
#endif

static gboolean plugin_init(GstPlugin *plugin) {
  gboolean registered = FALSE;
  registered |= GST_ELEMENT_REGISTER(sessiontag, plugin);
  registered |= GST_ELEMENT_REGISTER(pausedetect, plugin);
  registered |= GST_ELEMENT_REGISTER(replyonpause, plugin);
  return registered;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, voicekit,
                  "Real-time voice over WebRTC: session tagging, pause detection, replies",
                  plugin_init, VOICEKIT_VERSION, "LGPL", PACKAGE, VOICEKIT_ORIGIN)
