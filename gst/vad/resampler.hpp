/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Streaming sample-rate conversion for analysis: polyphase Kaiser-windowed
 * sinc, 60 dB stopband, no allocation after configure().
 *
 * Any integer rates. The ratio is kept exact (rational), so positions never
 * drift; when the ratio needs more than 256 filter phases (e.g. 22050 or
 * 11025 Hz to 16 kHz) the taps of the two nearest of 256 phases are
 * interpolated linearly.
 *
 * Cutoff: downsampling, passband to 0.40625 x the output rate, stopband from
 * 0.53125 x (6.5 and 8.5 kHz for 16 kHz out: aliases land above 7.5 kHz);
 * upsampling, passband to 0.4 x the input rate, stopband from 0.5 x.
 */
#ifndef GST_VAD_RESAMPLER_HPP
#define GST_VAD_RESAMPLER_HPP

#include <cstddef>
#include <cstdint>
#include <vector>

namespace voicekit::vad {

class Resampler {
public:
  /* From `from` Hz to `to` Hz (both > 0), in chunks of at most max_chunk
   * input samples. Allocates; resets. */
  void configure(int from, int to, std::size_t max_chunk);
  /* Forgets the history: the next sample is the stream's first. */
  void reset();

  /* Converts `count` <= max_chunk samples; writes at most max_output(count)
   * samples to `out` and returns how many. */
  std::size_t process(const float *in, std::size_t count, float *out);
  std::size_t max_output(std::size_t count) const;

  /* Group delay, in seconds: output sample n is input time n/to - delay. */
  double delay_seconds() const;
  std::size_t taps() const { return taps_; }
  bool passthrough() const { return from_ == to_; }

private:
  float dot(const float *x, const float *h) const;

  int from_ = 1, to_ = 1;
  std::int64_t up_ = 1, down_ = 1; /* to/from reduced: output n is at input n*down/up */
  std::size_t taps_ = 0, half_ = 0;
  std::size_t phases_ = 0; /* rows of table_ (plus one for interpolation) */
  bool interpolate_ = false;
  std::vector<float> table_; /* (phases_ + 1) x taps_ */
  std::vector<float> history_;
  std::size_t max_chunk_ = 0;
  std::size_t held_ = 0;        /* samples in history_ */
  std::int64_t held_start_ = 0; /* input index of history_[0] */
  std::int64_t next_index_ = 0; /* floor(input position of the next output) */
  std::int64_t next_phase_ = 0; /* remainder, in 1/up_ input samples */
};

} /* namespace voicekit::vad */

#endif /* GST_VAD_RESAMPLER_HPP */
