/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * pausedetect: the element's contract, its streaming (analysis, decisions,
 * messages and events) and state changes. Properties:
 * pausedetect-properties.cpp.
 */
/**
 * SECTION:element-pausedetect
 * @title: pausedetect
 *
 * Voice activity and end-of-turn detection, frame by frame. A passthrough
 * analyser: samples, buffers and metas (the session meta included) leave
 * exactly as they came.
 *
 * Pads: sink and src, always, `audio/x-raw` S16LE or F32LE, interleaved, 8 to
 * 48 kHz, 1 or 2 channels (two are averaged for analysis). Any other caps fail
 * to negotiate with an error naming what is accepted.
 *
 * Each frame (`frame-duration`) gets a speech probability from the engine
 * (`engine`): "builtin", band energy over an adaptive noise floor, no model
 * file; "silero", the Silero VAD v5/v6 network run natively (no ONNX
 * Runtime); "auto" (default), silero when the model search path finds its
 * file (`model-path`, else $VOICEKIT_SILERO_MODEL, else the installation's
 * data directory, else the user's cache), builtin otherwise. The engine is
 * chosen at READY->PAUSED; read-only `engine-in-use` says which runs.
 * `frame-duration` and `end-threshold` default to the engine's own values
 * (builtin: 10 ms and 0.1; silero: 32 ms and threshold - 0.15) and read as
 * the values in effect once the engine is chosen.
 *
 * A turn state machine (quiet, starting, speaking, stopping) turns
 * probabilities into decisions: a frame is speech at or above `threshold`,
 * silence below `end-threshold`; `min-speech-duration` of speech opens an
 * utterance, `min-silence-duration` of silence ends it (a pause),
 * `max-speech-duration` forces a pause. Every duration is a guint64 in
 * nanoseconds, GStreamer's unit (min-silence-duration=500000000 is 500 ms);
 * each has a range that refuses values no detector means, such as 500, with
 * GLib's out-of-range warning. All of them, and the thresholds, may change
 * while PLAYING (from the next buffer).
 *
 * On each decision it posts an element message named "pausedetect" (unless
 * `post-messages` is FALSE) and, right after the buffer that completed the
 * decision, sends a serialized custom downstream event named
 * "GstVoiceKitTurn" (gst_voicekit_event_parse_turn()). Both have:
 * - `event` (string): "speech-start" or "pause";
 * - `utterance` (guint64): counts from 1 in each stream;
 * - `running-time`, `stream-time` (guint64 ns): the end of the audio that
 *   triggered the decision;
 * - `speech-start` (guint64 ns, stream time): estimated onset, with
 *   `speech-pad` of audio before it (never before the previous utterance's end);
 * - `speech-end` (guint64 ns, stream time, pause only): estimated offset;
 * - `webrtc-id` (string) and `context` (#GstVoiceKitSessionContext): the session of the
 *   audio (buffer meta or sticky session event), when there is one.
 *
 * Before its first buffer, and again after a settings change, it sends a
 * sticky custom event named "GstVoiceKitTurnDetector"
 * (gst_voicekit_event_new_turn_detector(): `engine` string,
 * `min-speech-duration`, `min-silence-duration`, `speech-pad`,
 * `frame-duration` guint64 ns, the values in effect) so elements downstream
 * (replyonpause) know a turn detector is upstream and how it times turns.
 *
 * Decisions are taken on running time (a new segment that restarts timestamps
 * does not disturb an open utterance); reported stream times are clamped into
 * the current segment. EOS, or a new stream, during speech posts a pause
 * first. A FLUSH resets the state (utterances count from 1 again). GAP events
 * count as silence. Buffers without timestamps are timed from sample counts.
 * New caps (another rate) re-initialise the engine; the same caps again change
 * nothing. NaN and Inf samples count as silence.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=speech.wav ! wavparse ! audioconvert ! \
 *     sessiontag webrtc-id=caller-1 ! pausedetect min-silence-duration=700000000 ! fakesink
 * ]|
 */
#include "pausedetect-private.hpp"

#include <gst/vad/engines.hpp>
#include <gst/voicekit/voicekit.h>

#include "element-util.hpp"

#include <string>

GST_DEBUG_CATEGORY_STATIC(pause_detect_debug);
#define GST_CAT_DEFAULT pause_detect_debug

namespace vad = voicekit::vad;
namespace element = voicekit::element;
using element::running_time_of;
using element::stream_time_of;
using voicekit::pausedetect::Settings;
using PauseDetectState = voicekit::pausedetect::State;

G_DEFINE_TYPE(GstVoiceKitPauseDetect, gst_voicekit_pause_detect, GST_TYPE_ELEMENT)

GType gst_voicekit_pause_detect_engine_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {{GST_VOICEKIT_PAUSE_DETECT_ENGINE_AUTO,
                                       "Silero when its model file is found, else builtin", "auto"},
                                      {GST_VOICEKIT_PAUSE_DETECT_ENGINE_BUILTIN,
                                       "Band energy over an adaptive noise floor, no model",
                                       "builtin"},
                                      {GST_VOICEKIT_PAUSE_DETECT_ENGINE_SILERO,
                                       "Silero VAD v5/v6, native inference (model-path)", "silero"},
                                      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    GType registered = g_enum_register_static("GstVoiceKitPauseDetectEngine", values);
    g_once_init_leave(&type, registered);
  }
  return type;
}
GST_ELEMENT_REGISTER_DEFINE(pausedetect, "pausedetect", GST_RANK_NONE,
                            GST_TYPE_VOICEKIT_PAUSE_DETECT)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(VOICEKIT_VOICE_AUDIO_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(VOICEKIT_VOICE_AUDIO_CAPS));

/* ---- time ------------------------------------------------------------------- */

/* Buffer time (PTS timeline) of analyzer sample `sample`. */
static GstClockTime sample_time(const PauseDetectState &state, guint64 sample) {
  if (sample >= state.anchor_sample)
    return state.anchor_time + gst_util_uint64_scale_int(sample - state.anchor_sample, GST_SECOND,
                                                         GST_AUDIO_INFO_RATE(&state.info));
  const GstClockTime back = gst_util_uint64_scale_int(state.anchor_sample - sample, GST_SECOND,
                                                      GST_AUDIO_INFO_RATE(&state.info));
  return state.anchor_time > back ? state.anchor_time - back : 0;
}

static void anchor_at(PauseDetectState &state, GstClockTime time) {
  state.anchored = TRUE;
  state.anchor_time = time;
  state.anchor_sample = state.analyzer->samples_fed();
}

/* Where the analysis stands, on the PTS timeline. */
static GstClockTime current_time(const PauseDetectState &state) {
  return state.anchored ? sample_time(state, state.analyzer->samples_fed())
                        : (state.segment.start != GST_CLOCK_TIME_NONE ? state.segment.start : 0);
}

/* ---- settings --------------------------------------------------------------- */

static void pause_detect_sync_settings(GstVoiceKitPauseDetect *self) {
  PauseDetectState &state = *self->state;
  g_mutex_lock(&self->settings_lock);
  if (state.settings_version != self->settings->version) {
    state.settings_version = self->settings->version;
    vad::TurnConfig turn = self->settings->turn;
    /* unset: the engine's (Silero's own rule: threshold - 0.15) */
    turn.end_threshold = voicekit::pausedetect::end_threshold_for(*self->settings, state.silero);
    /* hysteresis needs end <= start */
    turn.end_threshold = std::min(turn.end_threshold, turn.threshold);
    state.turn.set_config(turn);
    state.post_messages = self->settings->post_messages;
    /* unset: the engine's (Silero's 32 ms windows: each frame carries a
     * window's probability with no lag) */
    state.frame_ns = voicekit::pausedetect::frame_ns_for(*self->settings, state.silero);
  }
  g_mutex_unlock(&self->settings_lock);
}

/**
 * GstVoiceKitPauseDetect "GstVoiceKitTurnDetector" event:
 *
 * Sticky custom downstream event, sent before the first buffer and again
 * after a settings change: `engine` (string, "builtin" or "silero"),
 * `min-speech-duration`, `min-silence-duration`, `speech-pad`,
 * `frame-duration` (guint64 ns, the values in effect). Built with
 * gst_voicekit_event_new_turn_detector().
 *
 * Since: 0.2
 */
/* Tells downstream (replyonpause) that a turn detector is upstream and how it
 * times turns: a sticky event, sent again when the settings change. */
static void pause_detect_announce(GstVoiceKitPauseDetect *self) {
  PauseDetectState &state = *self->state;
  if (state.announced_version == state.settings_version)
    return;
  state.announced_version = state.settings_version;
  const vad::TurnConfig &turn = state.turn.config();
  gst_pad_push_event(self->srcpad,
                     gst_voicekit_event_new_turn_detector(state.analyzer->engine().name(),
                                                          turn.min_speech_ns, turn.min_silence_ns,
                                                          turn.speech_pad_ns, state.configured_ns));
}

/* ---- decisions -------------------------------------------------------------- */

static GstVoiceKitSessionContext *pause_detect_session(GstVoiceKitPauseDetect *self,
                                                       GstBuffer *buffer) {
  return element::session_of(self->sinkpad, buffer);
}

static GstStructure *turn_structure(GstVoiceKitPauseDetect *self, const vad::TurnEvent &turn,
                                    const char *name, GstVoiceKitSessionContext *context) {
  const GstSegment &segment = self->state->segment;
  const GstVoiceKitTurnEventType type = turn.kind == vad::TurnEvent::Kind::kPause
                                            ? GST_VOICEKIT_TURN_EVENT_PAUSE
                                            : GST_VOICEKIT_TURN_EVENT_SPEECH_START;
  return gst_voicekit_turn_structure_new(name, type, turn.utterance, turn.decision_ns,
                                         stream_time_of(segment, turn.decision_ns),
                                         stream_time_of(segment, turn.speech_start_ns),
                                         stream_time_of(segment, turn.speech_end_ns), context);
}

/**
 * GstVoiceKitPauseDetect "pausedetect" message:
 *
 * Element message posted on each decision unless
 * #GstVoiceKitPauseDetect:post-messages is FALSE, and its twin, the
 * serialized custom downstream event "GstVoiceKitTurn" sent right after the
 * buffer that completed the decision (gst_voicekit_event_parse_turn()). Fields:
 * `event` (string, "speech-start" or "pause"), `utterance` (guint64, from 1),
 * `running-time` and `stream-time` (guint64 ns, the end of the audio that
 * decided), `speech-start` (guint64 ns, stream time, the onset minus
 * #GstVoiceKitPauseDetect:speech-pad), `speech-end` (guint64 ns, stream time,
 * pause only), `webrtc-id` (string) and `context`
 * (#GstVoiceKitSessionContext) when the audio has a session.
 *
 * Since: 0.2
 */
/* Posts the messages of the decisions taken now; their events wait in
 * `pending` for pause_detect_push_pending(). */
static void pause_detect_post(GstVoiceKitPauseDetect *self, GstVoiceKitSessionContext *context) {
  PauseDetectState &state = *self->state;
  for (const vad::TurnEvent &turn : state.pending) {
    GST_DEBUG_OBJECT(self, "%s %" G_GUINT64_FORMAT " at %" GST_TIME_FORMAT,
                     turn.kind == vad::TurnEvent::Kind::kPause ? "pause" : "speech-start",
                     turn.utterance, GST_TIME_ARGS(turn.decision_ns));
    if (state.post_messages)
      gst_element_post_message(
          GST_ELEMENT(self),
          gst_message_new_element(GST_OBJECT(self),
                                  turn_structure(self, turn, "pausedetect", context)));
  }
}

static void pause_detect_push_pending(GstVoiceKitPauseDetect *self,
                                      GstVoiceKitSessionContext *context) {
  PauseDetectState &state = *self->state;
  for (const vad::TurnEvent &turn : state.pending) {
    GstStructure *structure = turn_structure(self, turn, GST_VOICEKIT_TURN_EVENT_NAME, context);
    gst_pad_push_event(self->srcpad, gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, structure));
  }
  state.pending.clear();
}

/* Runs the turn rule over the frames the analyzer completes. */
struct FrameSink {
  PauseDetectState &state;
  void operator()(const vad::FrameResult &frame) const {
    const GstClockTime end = running_time_of(state.segment, sample_time(state, frame.end_sample));
    const GstClockTime start =
        running_time_of(state.segment, sample_time(state, frame.end_sample - frame.frame_samples));
    if (auto turn = state.turn.push(frame.probability, start, end))
      state.pending.push_back(*turn);
  }
};

/* ---- streaming -------------------------------------------------------------- */

static GstFlowReturn gst_voicekit_pause_detect_chain(GstPad *, GstObject *parent,
                                                     GstBuffer *buffer) {
  GstVoiceKitPauseDetect *self = GST_VOICEKIT_PAUSE_DETECT(parent);
  PauseDetectState &state = *self->state;
  if (!state.has_caps) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("No audio format was negotiated"),
                      ("pausedetect needs " VOICEKIT_VOICE_AUDIO_CAPS));
    gst_buffer_unref(buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  pause_detect_sync_settings(self);
  pause_detect_announce(self);

  if (GST_BUFFER_PTS_IS_VALID(buffer))
    anchor_at(state, GST_BUFFER_PTS(buffer));
  else if (!state.anchored)
    anchor_at(state, current_time(state));

  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not read the audio buffer"), (nullptr));
    gst_buffer_unref(buffer);
    return GST_FLOW_ERROR;
  }
  const gsize frames = map.size / static_cast<gsize>(GST_AUDIO_INFO_BPF(&state.info));
  if (map.size % static_cast<gsize>(GST_AUDIO_INFO_BPF(&state.info)) != 0)
    GST_WARNING_OBJECT(self,
                       "buffer of %" G_GSIZE_FORMAT " bytes is not a whole number of "
                       "%d-byte frames; the partial frame is not analysed",
                       map.size, GST_AUDIO_INFO_BPF(&state.info));
  state.analyzer->push(map.data, frames, FrameSink{state});
  gst_buffer_unmap(buffer, &map);

  GstVoiceKitSessionContext *context = nullptr;
  if (!state.pending.empty()) {
    context = pause_detect_session(self, buffer);
    pause_detect_post(self, context);
  }
  const GstFlowReturn ret = gst_pad_push(self->srcpad, buffer);
  if (!state.pending.empty())
    pause_detect_push_pending(self, context);
  if (context != nullptr)
    gst_voicekit_session_context_unref(context);
  return ret;
}

static gboolean pause_detect_set_caps(GstVoiceKitPauseDetect *self, GstCaps *caps) {
  PauseDetectState &state = *self->state;
  GstAudioInfo info;
  std::string why;
  if (gst_audio_info_from_caps(&info, caps)) {
    pause_detect_sync_settings(self);
    /* The same format again (renegotiation, RECONFIGURE): nothing changes, the
     * engine keeps what it learnt and an open utterance goes on. */
    if (state.has_caps && gst_audio_info_is_equal(&info, &state.info) &&
        state.configured_ns == state.frame_ns)
      return TRUE;
    vad::AudioFormat format;
    format.rate = GST_AUDIO_INFO_RATE(&info);
    format.channels = GST_AUDIO_INFO_CHANNELS(&info);
    format.sample_format = GST_AUDIO_INFO_FORMAT(&info) == GST_AUDIO_FORMAT_F32LE
                               ? vad::SampleFormat::kF32
                               : vad::SampleFormat::kS16;
    /* Keep the timeline across the re-initialisation. */
    const GstClockTime now = current_time(state);
    const gboolean was_anchored = state.anchored;
    if (state.analyzer->configure_ns(format, state.frame_ns, &why)) {
      state.has_caps = TRUE;
      state.info = info;
      state.configured_ns = state.frame_ns;
      state.anchored = FALSE;
      if (was_anchored)
        anchor_at(state, now);
      GST_INFO_OBJECT(self,
                      "analysing %d Hz, %d channel(s), %" GST_TIME_FORMAT " frames with engine %s",
                      format.rate, format.channels, GST_TIME_ARGS(state.frame_ns),
                      state.analyzer->engine().name());
      return TRUE;
    }
  } else {
    why = "not raw audio";
  }
  GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Cannot analyse this audio format"),
                    ("caps %" GST_PTR_FORMAT ": %s; pausedetect needs " VOICEKIT_VOICE_AUDIO_CAPS,
                     static_cast<void *>(caps), why.c_str()));
  return FALSE;
}

static void pause_detect_reset_stream(GstVoiceKitPauseDetect *self) {
  PauseDetectState &state = *self->state;
  state.analyzer->reset();
  state.turn.reset();
  state.pending.clear();
  state.anchored = FALSE;
}

/* Closes an open utterance (EOS, a new stream): its pause is posted and sent
 * downstream before the event that ends the stream. */
static void pause_detect_finish(GstVoiceKitPauseDetect *self) {
  PauseDetectState &state = *self->state;
  if (!state.has_caps)
    return;
  if (auto turn = state.turn.finish(running_time_of(state.segment, current_time(state)))) {
    state.pending.push_back(*turn);
    GstVoiceKitSessionContext *context = pause_detect_session(self, nullptr);
    pause_detect_post(self, context);
    pause_detect_push_pending(self, context);
    if (context != nullptr)
      gst_voicekit_session_context_unref(context);
  }
}

static gboolean gst_voicekit_pause_detect_sink_event(GstPad *pad, GstObject *parent,
                                                     GstEvent *event) {
  GstVoiceKitPauseDetect *self = GST_VOICEKIT_PAUSE_DETECT(parent);
  PauseDetectState &state = *self->state;
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_CAPS: {
    GstCaps *caps;
    gst_event_parse_caps(event, &caps);
    if (!pause_detect_set_caps(self, caps)) {
      gst_event_unref(event);
      return FALSE;
    }
    break;
  }
  case GST_EVENT_SEGMENT: {
    GstSegment segment;
    gst_event_copy_segment(event, &segment);
    if (segment.format != GST_FORMAT_TIME) {
      GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Need a segment in TIME format"),
                        ("got a %s segment", gst_format_get_name(segment.format)));
      gst_event_unref(event);
      return FALSE;
    }
    state.segment = segment;
    break;
  }
  case GST_EVENT_STREAM_START:
    /* gapless: the previous stream ended without EOS */
    pause_detect_finish(self);
    pause_detect_reset_stream(self);
    break;
  case GST_EVENT_FLUSH_STOP:
    pause_detect_reset_stream(self);
    if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP)
      gst_segment_init(&state.segment, GST_FORMAT_TIME);
    break;
  case GST_EVENT_GAP: {
    if (!state.has_caps)
      break;
    pause_detect_sync_settings(self);
    pause_detect_announce(self);
    GstClockTime timestamp, duration;
    gst_event_parse_gap(event, &timestamp, &duration);
    if (GST_CLOCK_TIME_IS_VALID(timestamp))
      anchor_at(state, timestamp);
    else if (!state.anchored)
      anchor_at(state, current_time(state));
    if (GST_CLOCK_TIME_IS_VALID(duration)) {
      /* Silence beyond what settles the turn (min-silence-duration and a
       * frame) changes nothing: analyse that much, then jump the timeline to
       * the GAP's end, so an hour-long GAP costs no more than a second. */
      const GstClockTime settle = state.turn.config().min_silence_ns + 2 * state.configured_ns;
      const GstClockTime analysed = std::min<GstClockTime>(duration, settle);
      const guint64 frames =
          gst_util_uint64_scale_int(analysed, GST_AUDIO_INFO_RATE(&state.info), GST_SECOND);
      state.analyzer->push_silence(static_cast<std::size_t>(frames), FrameSink{state});
      if (analysed < duration && GST_CLOCK_TIME_IS_VALID(timestamp))
        anchor_at(state, timestamp + duration);
    }
    if (state.pending.empty())
      break;
    GstVoiceKitSessionContext *context = pause_detect_session(self, nullptr);
    pause_detect_post(self, context);
    const gboolean forwarded = gst_pad_event_default(pad, parent, event);
    pause_detect_push_pending(self, context);
    if (context != nullptr)
      gst_voicekit_session_context_unref(context);
    return forwarded;
  }
  case GST_EVENT_EOS:
    pause_detect_finish(self);
    break;
  default:
    break;
  }
  return gst_pad_event_default(pad, parent, event);
}

/* Builds the engine `engine` and `model-path` ask for, the model found on
 * the search path (vad::model_search_path()). A model that cannot be loaded
 * is an error naming the files looked at and the problem. */
static gboolean pause_detect_choose_engine(GstVoiceKitPauseDetect *self) {
  g_mutex_lock(&self->settings_lock);
  const GstVoiceKitPauseDetectEngine choice = self->settings->engine;
  const std::string model_path = self->settings->model_path;
  g_mutex_unlock(&self->settings_lock);
  const vad::EngineChoice engine_choice =
      choice == GST_VOICEKIT_PAUSE_DETECT_ENGINE_BUILTIN  ? vad::EngineChoice::kBuiltin
      : choice == GST_VOICEKIT_PAUSE_DETECT_ENGINE_SILERO ? vad::EngineChoice::kSilero
                                                          : vad::EngineChoice::kAuto;
  vad::EngineSelection selection = vad::select_engine(engine_choice, model_path);
  if (!selection.engine) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("Cannot load the Silero model"),
                      ("%s", selection.error.c_str()));
    return FALSE;
  }
  const std::string name = selection.engine->name();
  if (name == "silero")
    GST_INFO_OBJECT(self, "engine silero, model %s (%s)", selection.model.path.c_str(),
                    vad::model_origin_name(selection.model.origin));
  else if (choice == GST_VOICEKIT_PAUSE_DETECT_ENGINE_AUTO)
    GST_INFO_OBJECT(self, "engine auto: builtin, no Silero model (looked at %s)",
                    selection.model.searched.c_str());
  else
    GST_INFO_OBJECT(self, "engine builtin");
  g_mutex_lock(&self->settings_lock);
  self->state->analyzer = std::make_unique<vad::FrameAnalyzer>(std::move(selection.engine));
  self->state->silero = name == "silero";
  self->state->engine_chosen = TRUE;
  self->state->has_caps = FALSE;
  /* the end threshold's default depends on the engine: apply the settings again */
  self->state->settings_version = G_MAXUINT;
  self->state->announced_version = G_MAXUINT;
  g_mutex_unlock(&self->settings_lock);
  return TRUE;
}

static GstStateChangeReturn gst_voicekit_pause_detect_change_state(GstElement *element,
                                                                   GstStateChange transition) {
  GstVoiceKitPauseDetect *self = GST_VOICEKIT_PAUSE_DETECT(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    if (!pause_detect_choose_engine(self))
      return GST_STATE_CHANGE_FAILURE;
    pause_detect_reset_stream(self);
    gst_segment_init(&self->state->segment, GST_FORMAT_TIME);
  }
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_voicekit_pause_detect_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    pause_detect_reset_stream(self);
    self->state->has_caps = FALSE;
    self->state->announced_version = G_MAXUINT;
  }
  return ret;
}

/* ---- GObject ---------------------------------------------------------------- */

static void gst_voicekit_pause_detect_finalize(GObject *object) {
  GstVoiceKitPauseDetect *self = GST_VOICEKIT_PAUSE_DETECT(object);
  delete self->state;
  delete self->settings;
  g_mutex_clear(&self->settings_lock);
  G_OBJECT_CLASS(gst_voicekit_pause_detect_parent_class)->finalize(object);
}

static void gst_voicekit_pause_detect_init(GstVoiceKitPauseDetect *self) {
  g_mutex_init(&self->settings_lock);
  self->settings = new Settings(); /* turn rule at kTurnDefaults */
  self->state = new PauseDetectState();
  self->state->analyzer = std::make_unique<vad::FrameAnalyzer>(vad::make_builtin_engine());
  gst_segment_init(&self->state->segment, GST_FORMAT_TIME);

  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_voicekit_pause_detect_chain));
  gst_pad_set_event_function(self->sinkpad,
                             GST_DEBUG_FUNCPTR(gst_voicekit_pause_detect_sink_event));
  GST_PAD_SET_PROXY_CAPS(self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION(self->sinkpad);
  GST_PAD_SET_PROXY_SCHEDULING(self->sinkpad);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  GST_PAD_SET_PROXY_CAPS(self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION(self->srcpad);
  GST_PAD_SET_PROXY_SCHEDULING(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_voicekit_pause_detect_class_init(GstVoiceKitPauseDetectClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(pause_detect_debug, "pausedetect", 0,
                          "voice activity and end-of-turn detection");

  gobject_class->finalize = gst_voicekit_pause_detect_finalize;
  voicekit::pausedetect::install_properties(gobject_class);
  gst_type_mark_as_plugin_api(GST_TYPE_VOICEKIT_PAUSE_DETECT_ENGINE,
                              static_cast<GstPluginAPIFlags>(0));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Pause detector", "Filter/Analyzer/Audio",
      "Detects voice activity and the end of a speaker's turn frame by frame; posts messages "
      "and sends turn events downstream",
      VOICEKIT_AUTHOR);
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_voicekit_pause_detect_change_state);
}
