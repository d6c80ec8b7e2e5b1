/* pausedetect: frame-level voice activity and end-of-turn detection. */
#ifndef GST_PAUSE_DETECT_H
#define GST_PAUSE_DETECT_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_PAUSE_DETECT (gst_pause_detect_get_type())
G_DECLARE_FINAL_TYPE(GstPauseDetect, gst_pause_detect, GST, PAUSE_DETECT, GstElement)

GST_ELEMENT_REGISTER_DECLARE(pausedetect);

G_END_DECLS

#endif
