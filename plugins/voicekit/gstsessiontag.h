/* sessiontag: tags every buffer with the WebRTC session it belongs to. */
#ifndef GST_SESSION_TAG_H
#define GST_SESSION_TAG_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SESSION_TAG (gst_session_tag_get_type())
G_DECLARE_FINAL_TYPE(GstSessionTag, gst_session_tag, GST, SESSION_TAG, GstElement)

GST_ELEMENT_REGISTER_DECLARE(sessiontag);

G_END_DECLS

#endif
