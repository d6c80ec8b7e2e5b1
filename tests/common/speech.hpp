/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Real speech for tests: recordings from Debian's pocketsphinx-testdata
 * (installed by scripts/test). A missing file fails the test loudly.
 */
#ifndef TESTS_COMMON_SPEECH_HPP
#define TESTS_COMMON_SPEECH_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace voicekit::testing {

inline std::string speech_dir() {
  const char *dir = std::getenv("VOICEKIT_SPEECH_DIR");
  return dir != nullptr ? dir : "/usr/share/pocketsphinx/test/data";
}

/* "go forward ten meters": 16 kHz mono S16LE, one utterance. */
inline std::vector<std::int16_t> load_raw_s16(const std::string &name) {
  const std::string path = speech_dir() + "/" + name;
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (file == nullptr)
    throw std::runtime_error("missing test speech " + path +
                             " (Debian package pocketsphinx-testdata)");
  std::vector<std::int16_t> samples;
  std::int16_t chunk[4096];
  std::size_t got;
  while ((got = std::fread(chunk, sizeof chunk[0], 4096, file)) > 0)
    samples.insert(samples.end(), chunk, chunk + got);
  std::fclose(file);
  return samples;
}

/* Linear-interpolation resampling: good enough to present speech at
 * another rate to a detector. */
inline std::vector<std::int16_t> resample(const std::vector<std::int16_t> &in, int from, int to) {
  if (from == to)
    return in;
  const std::size_t out_size =
      in.size() * static_cast<std::size_t>(to) / static_cast<std::size_t>(from);
  std::vector<std::int16_t> out(out_size);
  for (std::size_t i = 0; i < out_size; i++) {
    const double position = static_cast<double>(i) * from / to;
    const std::size_t index = static_cast<std::size_t>(position);
    const double fraction = position - static_cast<double>(index);
    const double a = in[std::min(index, in.size() - 1)];
    const double b = in[std::min(index + 1, in.size() - 1)];
    out[i] = static_cast<std::int16_t>(std::lround(a + (b - a) * fraction));
  }
  return out;
}

/* silence, speech, silence, speech, silence: two turns, at `rate`. */
inline std::vector<std::int16_t> two_turns(int rate, double gap_s = 1.5) {
  const std::vector<std::int16_t> speech = resample(load_raw_s16("goforward.raw"), 16000, rate);
  const std::vector<std::int16_t> silence(static_cast<std::size_t>(gap_s * rate), 0);
  std::vector<std::int16_t> out;
  for (int turn = 0; turn < 2; turn++) {
    out.insert(out.end(), silence.begin(), silence.end());
    out.insert(out.end(), speech.begin(), speech.end());
  }
  out.insert(out.end(), silence.begin(), silence.end());
  return out;
}

/* `seconds` of two_turns(rate), repeated as often as it takes. */
inline std::vector<std::int16_t> two_turns_for(int rate, double seconds) {
  const std::vector<std::int16_t> turns = two_turns(rate);
  const std::size_t wanted = static_cast<std::size_t>(seconds * rate);
  std::vector<std::int16_t> out;
  while (out.size() < wanted)
    out.insert(out.end(), turns.begin(), turns.end());
  out.resize(wanted);
  return out;
}

/* One turn for the benchmarks: `gap_s` of silence, then the speech, at
 * 16 kHz, with a +-1 LSB dither (so no frame is digital silence, which the
 * built-in engine skips), padded with silence to whole `span` frames. */
inline std::vector<std::int16_t> dithered_turn(double gap_s, std::size_t span) {
  const std::vector<std::int16_t> speech = load_raw_s16("goforward.raw");
  std::vector<std::int16_t> turn(static_cast<std::size_t>(gap_s * 16000), 0);
  turn.insert(turn.end(), speech.begin(), speech.end());
  turn.resize((turn.size() + span - 1) / span * span, 0);
  std::uint32_t random = 12345;
  for (std::int16_t &sample : turn) {
    random = random * 1664525u + 1013904223u;
    const int dither = (random >> 31) != 0 ? 1 : -1;
    sample = static_cast<std::int16_t>(std::clamp(sample + dither, -32768, 32767));
  }
  return turn;
}

} /* namespace voicekit::testing */

#endif /* TESTS_COMMON_SPEECH_HPP */
