/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * vad-eval detectors: each turns 16 kHz mono S16 audio into a sequence of
 * frames with a speech probability (0/1 for the GStreamer ones), which the
 * same TurnDetector then reads.
 */
#ifndef TOOLS_EVAL_DETECTORS_HPP
#define TOOLS_EVAL_DETECTORS_HPP

#include <cstdint>
#include <string>
#include <vector>

namespace voicekit::eval {

struct Frame {
  std::uint64_t start_ns;
  std::uint64_t end_ns;
  float probability;
};

/* voicekit::vad::FrameAnalyzer + make_builtin_engine(), frames of frame_ms. */
bool run_builtin(const std::vector<std::int16_t> &audio, int rate, int frame_ms,
                 std::vector<Frame> *frames, std::string *error);

/* FrameAnalyzer + the Silero engine (pausedetect's engine=silero) with the
 * model at `model_path` (empty: pausedetect's default), frames of frame_ms. */
bool run_silero(const std::vector<std::int16_t> &audio, int rate, int frame_ms,
                const std::string &model_path, std::vector<Frame> *frames, std::string *error);

/* appsrc ! audioconvert ! audioresample ! webrtcdsp (voice detection only)
 * ! fakesink; the voice-activity messages become 10 ms frames of 0 or 1. */
bool run_webrtcdsp(const std::vector<std::int16_t> &audio, int rate, const std::string &likelihood,
                   std::vector<Frame> *frames, std::string *error);

/* appsrc ! removesilence remove=true threshold=... ! fakesink, fed 10 ms
 * buffers; a buffer that comes out is speech, a dropped one silence. */
bool run_removesilence(const std::vector<std::int16_t> &audio, int rate, int threshold_db,
                       std::vector<Frame> *frames, std::string *error);

/* Empty when the element exists, else what to install. */
std::string missing_element(const char *factory);

} /* namespace voicekit::eval */

#endif /* TOOLS_EVAL_DETECTORS_HPP */
