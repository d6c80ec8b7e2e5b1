/* pausedetect: frame-level voice activity and end-of-turn detection. */
#ifndef GST_PAUSE_DETECT_H
#define GST_PAUSE_DETECT_H

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstPauseDetectEngine:
 * @GST_PAUSE_DETECT_ENGINE_AUTO: silero when its model file is found, else builtin
 * @GST_PAUSE_DETECT_ENGINE_BUILTIN: band energy over an adaptive noise floor
 * @GST_PAUSE_DETECT_ENGINE_SILERO: the Silero VAD network, native inference
 */
typedef enum {
  GST_PAUSE_DETECT_ENGINE_AUTO = 0,
  GST_PAUSE_DETECT_ENGINE_BUILTIN = 1,
  GST_PAUSE_DETECT_ENGINE_SILERO = 2,
} GstPauseDetectEngine;

#define GST_TYPE_PAUSE_DETECT_ENGINE (gst_pause_detect_engine_get_type())
GType gst_pause_detect_engine_get_type(void);

#define GST_TYPE_PAUSE_DETECT (gst_pause_detect_get_type())
G_DECLARE_FINAL_TYPE(GstPauseDetect, gst_pause_detect, GST, PAUSE_DETECT, GstElement)

GST_ELEMENT_REGISTER_DECLARE(pausedetect);

G_END_DECLS

#endif
