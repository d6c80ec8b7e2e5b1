/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * sessiontag: tags every buffer with the WebRTC session it belongs to; the
 * element type.
 */
#ifndef PLUGINS_VOICEKIT_GSTSESSIONTAG_H
#define PLUGINS_VOICEKIT_GSTSESSIONTAG_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_VOICEKIT_SESSION_TAG (gst_voicekit_session_tag_get_type())
G_DECLARE_FINAL_TYPE(GstVoiceKitSessionTag, gst_voicekit_session_tag, GST, VOICEKIT_SESSION_TAG,
                     GstElement)

GST_ELEMENT_REGISTER_DECLARE(sessiontag);

G_END_DECLS

#endif /* PLUGINS_VOICEKIT_GSTSESSIONTAG_H */
