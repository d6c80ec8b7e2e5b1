/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * pausedetect's properties: their documentation, specs (units, ranges,
 * defaults), setters and getters. Durations are guint64 nanoseconds, each
 * with a range that refuses values no detector means (GLib warns and the
 * property keeps its value).
 */
#include "pausedetect-duration.hpp"
#include "pausedetect-private.hpp"

namespace voicekit::pausedetect {

namespace {

enum {
  PROP_0,
  PROP_THRESHOLD,
  PROP_END_THRESHOLD,
  PROP_MIN_SPEECH_DURATION,
  PROP_MIN_SILENCE_DURATION,
  PROP_SPEECH_PAD,
  PROP_MAX_SPEECH_DURATION,
  PROP_FRAME_DURATION,
  PROP_POST_MESSAGES,
  PROP_ENGINE,
  PROP_ENGINE_IN_USE,
  PROP_MODEL_PATH,
};

/* No duration below one analysis frame (10 ms at the shortest) changes what
 * the turn rule does; a value below it is a unit mistake (500 for 500 ms). */
constexpr guint64 MIN_DURATION = vad::kMinFrameNs;
constexpr guint64 MIN_MAX_SPEECH_DURATION = 100 * GST_MSECOND;
constexpr guint64 MAX_MIN_SPEECH_DURATION = 10 * GST_SECOND;
constexpr guint64 MAX_MIN_SILENCE_DURATION = 60 * GST_SECOND;
constexpr guint64 MAX_SPEECH_PAD = 5 * GST_SECOND;

constexpr GParamFlags kPlayingFlags = static_cast<GParamFlags>(
    G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
constexpr GParamFlags kReadyFlags =
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

void set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
  GstVoiceKitPauseDetect *self = GST_VOICEKIT_PAUSE_DETECT(object);
  g_mutex_lock(&self->settings_lock);
  Settings &settings = *self->settings;
  switch (prop_id) {
  case PROP_THRESHOLD:
    settings.turn.threshold = g_value_get_float(value);
    break;
  case PROP_END_THRESHOLD: {
    const gfloat end_threshold = g_value_get_float(value);
    settings.end_threshold = end_threshold < 0.0f ? kEngineEndThreshold : end_threshold;
    break;
  }
  case PROP_ENGINE:
  case PROP_MODEL_PATH: {
    /* The engine is chosen and its model loaded at READY->PAUSED; later
     * changes are refused (the running engine stays). */
    GST_OBJECT_LOCK(self);
    const gboolean running =
        GST_STATE(self) >= GST_STATE_PAUSED || GST_STATE_PENDING(self) >= GST_STATE_PAUSED;
    GST_OBJECT_UNLOCK(self);
    if (running) {
      g_mutex_unlock(&self->settings_lock);
      GST_ELEMENT_WARNING(self, CORE, STATE_CHANGE, ("Cannot change %s while running", pspec->name),
                          ("%s applies from READY->PAUSED; the engine in use stays", pspec->name));
      return;
    }
    if (prop_id == PROP_ENGINE) {
      settings.engine = static_cast<GstVoiceKitPauseDetectEngine>(g_value_get_enum(value));
    } else {
      const gchar *path = g_value_get_string(value);
      settings.model_path = path != nullptr ? path : "";
    }
    break;
  }
  case PROP_MIN_SPEECH_DURATION:
    settings.turn.min_speech_ns = g_value_get_uint64(value);
    break;
  case PROP_MIN_SILENCE_DURATION:
    settings.turn.min_silence_ns = g_value_get_uint64(value);
    break;
  case PROP_SPEECH_PAD:
    settings.turn.speech_pad_ns = g_value_get_uint64(value);
    break;
  case PROP_MAX_SPEECH_DURATION:
    settings.turn.max_speech_ns = g_value_get_uint64(value);
    break;
  case PROP_FRAME_DURATION:
    settings.frame_ns = g_value_get_uint64(value);
    break;
  case PROP_POST_MESSAGES:
    settings.post_messages = g_value_get_boolean(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  settings.version++;
  g_mutex_unlock(&self->settings_lock);
}

void get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  GstVoiceKitPauseDetect *self = GST_VOICEKIT_PAUSE_DETECT(object);
  g_mutex_lock(&self->settings_lock);
  const Settings &settings = *self->settings;
  /* Unset engine defaults read as the value in effect once the engine is
   * chosen (written at READY->PAUSED under this lock). */
  const gboolean chosen = self->state->engine_chosen;
  const gboolean silero = self->state->silero;
  switch (prop_id) {
  case PROP_THRESHOLD:
    g_value_set_float(value, settings.turn.threshold);
    break;
  case PROP_END_THRESHOLD:
    g_value_set_float(value, settings.end_threshold >= 0.0f || chosen
                                 ? end_threshold_for(settings, silero)
                                 : kEngineEndThreshold);
    break;
  case PROP_MIN_SPEECH_DURATION:
    g_value_set_uint64(value, settings.turn.min_speech_ns);
    break;
  case PROP_MIN_SILENCE_DURATION:
    g_value_set_uint64(value, settings.turn.min_silence_ns);
    break;
  case PROP_SPEECH_PAD:
    g_value_set_uint64(value, settings.turn.speech_pad_ns);
    break;
  case PROP_MAX_SPEECH_DURATION:
    g_value_set_uint64(value, settings.turn.max_speech_ns);
    break;
  case PROP_FRAME_DURATION:
    g_value_set_uint64(value, settings.frame_ns != kEngineFrameDuration || chosen
                                  ? frame_ns_for(settings, silero)
                                  : kEngineFrameDuration);
    break;
  case PROP_POST_MESSAGES:
    g_value_set_boolean(value, settings.post_messages);
    break;
  case PROP_ENGINE:
    g_value_set_enum(value, settings.engine);
    break;
  case PROP_MODEL_PATH:
    g_value_set_string(value, settings.model_path.empty() ? nullptr : settings.model_path.c_str());
    break;
  case PROP_ENGINE_IN_USE:
    g_value_set_string(value, chosen ? self->state->analyzer->engine().name() : "none");
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  g_mutex_unlock(&self->settings_lock);
}

} /* namespace */

void install_properties(GObjectClass *gobject_class) {
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;

  /**
   * GstVoiceKitPauseDetect:threshold:
   *
   * Speech probability (0 to 1) at or above which a frame counts as speech.
   * Writable while PLAYING: applies from the next buffer.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_THRESHOLD,
      g_param_spec_float("threshold", "Speech threshold",
                         "Speech probability at or above which a frame is speech (default 0.5)",
                         0.0f, 1.0f, kTurnDefaults.threshold, kPlayingFlags));
  /**
   * GstVoiceKitPauseDetect:end-threshold:
   *
   * Speech probability below which a frame counts as silence; frames between
   * it and #GstVoiceKitPauseDetect:threshold keep the current state
   * (hysteresis; a value above threshold is used as threshold).
   *
   * -1 (the default, and any negative value) stands for the engine's own:
   * 0.1 with builtin, threshold - 0.15 with silero (Silero's streaming rule).
   * Once the engine is chosen (READY->PAUSED) the property reads as the value
   * in effect. Writable while PLAYING: applies from the next buffer.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_END_THRESHOLD,
      g_param_spec_float("end-threshold", "End-of-speech threshold",
                         "Silence below this probability (-1: builtin 0.1, silero threshold-0.15)",
                         -1.0f, 1.0f, kEngineEndThreshold, kPlayingFlags));
  /**
   * GstVoiceKitPauseDetect:min-speech-duration:
   *
   * Speech, in nanoseconds, that opens an utterance (and posts speech-start):
   * 10 ms (one frame at the shortest) to 10 s, 40 ms by default. Shorter
   * bursts are blips, not utterances. Writable while PLAYING.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_MIN_SPEECH_DURATION,
      g_param_spec_uint64("min-speech-duration", "Minimum speech duration",
                          "Speech that opens an utterance, in ns (10 ms to 10 s, default 40 ms)",
                          MIN_DURATION, MAX_MIN_SPEECH_DURATION, kTurnDefaults.min_speech_ns,
                          kPlayingFlags));
  /**
   * GstVoiceKitPauseDetect:min-silence-duration:
   *
   * Silence, in nanoseconds, that ends an utterance (a pause): 10 ms to 60 s,
   * 500 ms by default. The pause is reported this long after the speech ends
   * (plus at most a frame). GStreamer's unit, nanoseconds: 500 ms is
   * 500000000; a value below 10 ms (such as 500) is refused with GLib's
   * out-of-range warning and the property keeps its value. Writable while
   * PLAYING.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_MIN_SILENCE_DURATION,
      g_param_spec_uint64("min-silence-duration", "Minimum silence duration",
                          "Silence that ends an utterance, in ns (10 ms to 60 s, default 500 ms)",
                          MIN_DURATION, MAX_MIN_SILENCE_DURATION, kTurnDefaults.min_silence_ns,
                          kPlayingFlags));
  /**
   * GstVoiceKitPauseDetect:speech-pad:
   *
   * Audio, in nanoseconds, before the detected onset that belongs to the
   * utterance: the reported speech-start is moved back by it (never before
   * the previous utterance's end, nor the segment's start). 0 (none) or 10 ms
   * to 5 s, 300 ms by default; values between 0 and 10 ms are refused.
   * Writable while PLAYING.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_SPEECH_PAD,
      element::param_spec_duration("speech-pad", "Speech pad",
                                   "Audio before the onset, in ns (0, or 10 ms to 5 s; default "
                                   "300 ms)",
                                   MIN_DURATION, MAX_SPEECH_PAD, kTurnDefaults.speech_pad_ns,
                                   kPlayingFlags));
  /**
   * GstVoiceKitPauseDetect:max-speech-duration:
   *
   * Longest utterance, in nanoseconds: a pause is forced when an utterance
   * lasts this long. 0 (the default) means no limit; otherwise at least
   * 100 ms (values between are refused). Writable while PLAYING.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_MAX_SPEECH_DURATION,
      element::param_spec_duration("max-speech-duration", "Maximum speech duration",
                                   "Utterance that forces a pause, in ns (default 0: none; or "
                                   ">= 100 ms)",
                                   MIN_MAX_SPEECH_DURATION, G_MAXUINT64,
                                   kTurnDefaults.max_speech_ns, kPlayingFlags));
  /**
   * GstVoiceKitPauseDetect:frame-duration:
   *
   * Analysis frame length, in nanoseconds: 10 ms to 32 ms, or 0 (the
   * default) for the engine's own: 10 ms with builtin, 32 ms with silero
   * (the network's window, so each frame carries a fresh probability). Once
   * the engine is chosen (READY->PAUSED) the property reads as the value in
   * effect; so does the "frame-duration" field of the
   * "GstVoiceKitTurnDetector" event. Applies from the next caps.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_FRAME_DURATION,
      element::param_spec_duration("frame-duration", "Frame duration",
                                   "Analysis frame, in ns (10-32 ms; 0: builtin 10 ms, silero "
                                   "32 ms)",
                                   vad::kMinFrameNs, vad::kMaxFrameNs, kEngineFrameDuration,
                                   kReadyFlags));
  /**
   * GstVoiceKitPauseDetect:post-messages:
   *
   * Post a "pausedetect" element message on the bus on each decision. The
   * turn events downstream are sent either way. Writable while PLAYING.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post messages",
                           "Post a 'pausedetect' message on each decision (default true)", TRUE,
                           kPlayingFlags));
  /**
   * GstVoiceKitPauseDetect:engine:
   *
   * The voice-activity engine. "builtin": band energy over an adaptive noise
   * floor, no model file. "silero": the Silero VAD v5/v6 network, native
   * inference, from the model #GstVoiceKitPauseDetect:model-path names or
   * the search path finds. "auto" (the default): silero when the search path
   * finds a model file, else builtin. Chosen at READY->PAUSED: a missing or
   * broken model for silero fails that state change with an error naming
   * the files looked at. Changing it while PAUSED or PLAYING is refused with
   * a warning.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_ENGINE,
      g_param_spec_enum("engine", "Engine",
                        "Voice-activity engine (default auto: silero if its model is found)",
                        GST_TYPE_VOICEKIT_PAUSE_DETECT_ENGINE,
                        GST_VOICEKIT_PAUSE_DETECT_ENGINE_AUTO, kReadyFlags));
  /**
   * GstVoiceKitPauseDetect:model-path:
   *
   * The Silero model file (silero_vad.onnx, v5.x or v6.x) for engine silero
   * or auto. NULL (the default) searches, in order:
   * 1. $VOICEKIT_SILERO_MODEL, when set and not empty: that file and no
   *    other (missing: no silero for auto, an error for silero);
   * 2. the installation's data directory,
   *    <datadir>/gst-voicekit/models/silero_vad.onnx (`meson install` puts
   *    the model there: option silero-model);
   * 3. the running user's cache,
   *    ${XDG_CACHE_HOME:-$HOME/.cache}/gst-voicekit/models/silero_vad.onnx
   *    (where scripts/ fetch it).
   * So every user of an installation gets the same engine. Set, it names the
   * file and no search happens. Chosen at READY->PAUSED.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_MODEL_PATH,
      g_param_spec_string("model-path", "Model path",
                          "Silero model file (NULL: $VOICEKIT_SILERO_MODEL, data dir, user cache)",
                          nullptr, kReadyFlags));
  /**
   * GstVoiceKitPauseDetect:engine-in-use:
   *
   * The engine chosen at the last READY->PAUSED: "builtin" or "silero";
   * "none" before the first.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_ENGINE_IN_USE,
      g_param_spec_string("engine-in-use", "Engine in use",
                          "Engine chosen at the last READY->PAUSED (none before)", "none",
                          static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

} /* namespace voicekit::pausedetect */
