/* sessiontag: tags every buffer with the WebRTC session it belongs to. */
#ifndef GST_SESSION_TAG_H
#define GST_SESSION_TAG_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_VOICEKIT_SESSION_TAG (gst_voicekit_session_tag_get_type())
G_DECLARE_FINAL_TYPE(GstVoiceKitSessionTag, gst_voicekit_session_tag, GST, VOICEKIT_SESSION_TAG,
                     GstElement)

GST_ELEMENT_REGISTER_DECLARE(sessiontag);

G_END_DECLS

#endif
