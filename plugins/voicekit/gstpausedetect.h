/* pausedetect: frame-level voice activity and end-of-turn detection. */
#ifndef GST_PAUSE_DETECT_H
#define GST_PAUSE_DETECT_H

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstVoiceKitPauseDetectEngine:
 * @GST_VOICEKIT_PAUSE_DETECT_ENGINE_AUTO: silero when its model file is found, else builtin
 * @GST_VOICEKIT_PAUSE_DETECT_ENGINE_BUILTIN: band energy over an adaptive noise floor
 * @GST_VOICEKIT_PAUSE_DETECT_ENGINE_SILERO: the Silero VAD network, native inference
 */
typedef enum {
  GST_VOICEKIT_PAUSE_DETECT_ENGINE_AUTO = 0,
  GST_VOICEKIT_PAUSE_DETECT_ENGINE_BUILTIN = 1,
  GST_VOICEKIT_PAUSE_DETECT_ENGINE_SILERO = 2,
} GstVoiceKitPauseDetectEngine;

#define GST_TYPE_VOICEKIT_PAUSE_DETECT_ENGINE (gst_voicekit_pause_detect_engine_get_type())
GType gst_voicekit_pause_detect_engine_get_type(void);

#define GST_TYPE_VOICEKIT_PAUSE_DETECT (gst_voicekit_pause_detect_get_type())
G_DECLARE_FINAL_TYPE(GstVoiceKitPauseDetect, gst_voicekit_pause_detect, GST, VOICEKIT_PAUSE_DETECT,
                     GstElement)

GST_ELEMENT_REGISTER_DECLARE(pausedetect);

G_END_DECLS

#endif
