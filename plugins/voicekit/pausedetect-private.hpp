/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * What gstpausedetect.cpp (streaming, state changes) and
 * pausedetect-properties.cpp (the properties) share: the instance, its
 * Settings and State, and the engine-dependent defaults. Plugin-internal.
 */
#ifndef PLUGINS_VOICEKIT_PAUSEDETECT_PRIVATE_HPP
#define PLUGINS_VOICEKIT_PAUSEDETECT_PRIVATE_HPP

#include "gstpausedetect.h"

#include <gst/audio/audio.h>
#include <gst/vad/turn.hpp>
#include <gst/vad/vad.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace voicekit::pausedetect {

/* The turn rule's defaults live in one place, vad::TurnConfig; they are the
 * built-in engine's. Silero has two of its own (Silero's streaming rule and
 * the network's window). */
inline const vad::TurnConfig kTurnDefaults{};
constexpr gfloat kSileroEndOffset = 0.15f;
constexpr guint64 kBuiltinFrameNs = 10 * GST_MSECOND;
constexpr guint64 kSileroFrameNs = 32 * GST_MSECOND;
/* Properties whose value means "the engine's default". */
constexpr gfloat kEngineEndThreshold = -1.0f; /* end-threshold: any value below 0 */
constexpr guint64 kEngineFrameDuration = 0;   /* frame-duration */

/* Written by property setters from any thread: guarded by settings_lock. The
 * streaming thread copies them when `version` moved. */
struct Settings {
  vad::TurnConfig turn;                       /* turn.end_threshold: see end_threshold */
  gfloat end_threshold = kEngineEndThreshold; /* below 0: the engine's default */
  guint64 frame_ns = kEngineFrameDuration;    /* 0: the engine's default */
  GstVoiceKitPauseDetectEngine engine = GST_VOICEKIT_PAUSE_DETECT_ENGINE_AUTO;
  std::string model_path; /* empty: the search path of vad::model_search_path() */
  gboolean post_messages = TRUE;
  guint version = 0;
};

/* Owned by the streaming thread (chain and serialized events), and by state
 * changes while streaming is stopped; reset in FLUSH_STOP. No lock, except
 * `silero` and `engine_chosen`: written at READY->PAUSED under settings_lock,
 * which property getters hold to read them. */
struct State {
  std::unique_ptr<vad::FrameAnalyzer> analyzer;
  vad::TurnDetector turn;
  guint settings_version = G_MAXUINT;
  gboolean post_messages = TRUE;
  guint64 frame_ns = kBuiltinFrameNs; /* the frame length the settings ask for */
  gboolean has_caps = FALSE;
  GstAudioInfo info;         /* negotiated format, valid with has_caps */
  guint64 configured_ns = 0; /* frame length the analyzer runs with */
  GstSegment segment;
  /* Sample `anchor_sample` (counted by the analyzer) plays at `anchor_time`. */
  gboolean anchored = FALSE;
  GstClockTime anchor_time = 0;
  guint64 anchor_sample = 0;
  std::vector<vad::TurnEvent> pending; /* decisions whose buffer has not left yet */
  guint announced_version = G_MAXUINT; /* settings the detector event downstream shows */
  gboolean silero = FALSE;             /* the engine chosen at the last start */
  gboolean engine_chosen = FALSE;
};

/* The end threshold in effect: the one set, else the engine's. */
inline gfloat end_threshold_for(const Settings &settings, gboolean silero) {
  if (settings.end_threshold >= 0.0f)
    return settings.end_threshold;
  return silero ? std::max(0.0f, settings.turn.threshold - kSileroEndOffset)
                : kTurnDefaults.end_threshold;
}

/* The frame length in effect: the one set, else the engine's. */
inline guint64 frame_ns_for(const Settings &settings, gboolean silero) {
  if (settings.frame_ns != kEngineFrameDuration)
    return settings.frame_ns;
  return silero ? kSileroFrameNs : kBuiltinFrameNs;
}

/* Installs every property (pausedetect-properties.cpp). */
void install_properties(GObjectClass *gobject_class);

} /* namespace voicekit::pausedetect */

struct _GstVoiceKitPauseDetect {
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;

  GMutex settings_lock;
  voicekit::pausedetect::Settings *settings;
  voicekit::pausedetect::State *state;
};

#endif /* PLUGINS_VOICEKIT_PAUSEDETECT_PRIVATE_HPP */
