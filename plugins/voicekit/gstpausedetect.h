/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * pausedetect: frame-level voice activity and end-of-turn detection; the
 * element type and its engine enum.
 */
#ifndef PLUGINS_VOICEKIT_GSTPAUSEDETECT_H
#define PLUGINS_VOICEKIT_GSTPAUSEDETECT_H

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstVoiceKitPauseDetectEngine:
 * @GST_VOICEKIT_PAUSE_DETECT_ENGINE_AUTO: silero when the model search path finds its file,
 *   else builtin
 * @GST_VOICEKIT_PAUSE_DETECT_ENGINE_BUILTIN: band energy over an adaptive noise floor
 * @GST_VOICEKIT_PAUSE_DETECT_ENGINE_SILERO: the Silero VAD network, native inference
 *
 * The values of #GstVoiceKitPauseDetect:engine.
 *
 * Since: 0.2
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

#endif /* PLUGINS_VOICEKIT_GSTPAUSEDETECT_H */
