/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Resampler: see resampler.hpp.
 */
#include "resampler.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace voicekit::vad {

namespace {

constexpr double kStopbandDb = 60.0;
constexpr std::size_t kMaxPhases = 256;

/* Modified Bessel function of the first kind, order 0 (series). */
double bessel_i0(double x) {
  double sum = 1.0, term = 1.0;
  for (int k = 1; k < 64; k++) {
    term *= (x / (2.0 * k)) * (x / (2.0 * k));
    sum += term;
    if (term < sum * 1e-17)
      break;
  }
  return sum;
}

} /* namespace */

void Resampler::configure(int from, int to, std::size_t max_chunk) {
  from_ = std::max(1, from);
  to_ = std::max(1, to);
  const std::int64_t g = std::gcd(static_cast<std::int64_t>(from_), static_cast<std::int64_t>(to_));
  up_ = to_ / g;
  down_ = from_ / g;
  max_chunk_ = max_chunk;
  if (from_ == to_) {
    taps_ = half_ = phases_ = 0;
    table_.clear();
    history_.clear();
    reset();
    return;
  }
  /* Filter in units of input samples: cutoff (-6 dB) and transition width,
   * as fractions of the input rate. */
  double cutoff, transition;
  if (to_ < from_) {
    cutoff = 0.46875 * to_ / from_;
    transition = 0.125 * to_ / from_;
  } else {
    cutoff = 0.45;
    transition = 0.1;
  }
  const double beta = 0.1102 * (kStopbandDb - 8.7);
  const double length = (kStopbandDb - 8.0) / (2.285 * 2.0 * M_PI * transition) + 1.0;
  half_ = static_cast<std::size_t>(std::ceil(length / 2.0));
  taps_ = 2 * half_;
  interpolate_ = up_ > static_cast<std::int64_t>(kMaxPhases);
  phases_ = interpolate_ ? kMaxPhases : static_cast<std::size_t>(up_);
  table_.assign((phases_ + 1) * taps_, 0.0f);
  const double i0_beta = bessel_i0(beta);
  std::vector<double> row(taps_);
  for (std::size_t q = 0; q <= phases_; q++) {
    const double frac = static_cast<double>(q) / static_cast<double>(phases_);
    double sum = 0.0;
    for (std::size_t j = 0; j < taps_; j++) {
      /* Distance from the output instant to tap j's input sample. */
      const double d = frac + static_cast<double>(half_) - 1.0 - static_cast<double>(j);
      const double x = d / static_cast<double>(half_);
      double h = 0.0;
      if (std::fabs(x) < 1.0) {
        const double arg = 2.0 * cutoff * d;
        const double sinc = arg == 0.0 ? 1.0 : std::sin(M_PI * arg) / (M_PI * arg);
        h = 2.0 * cutoff * sinc * bessel_i0(beta * std::sqrt(1.0 - x * x)) / i0_beta;
      }
      row[j] = h;
      sum += h;
    }
    for (std::size_t j = 0; j < taps_; j++) /* unity gain at DC */
      table_[q * taps_ + j] = static_cast<float>(row[j] / sum);
  }
  history_.assign(taps_ + max_chunk_ + 8, 0.0f);
  reset();
}

void Resampler::reset() {
  /* The samples before the stream are zeros: output 0 is centred on input 0. */
  held_ = half_ > 0 ? half_ - 1 : 0;
  held_start_ = -static_cast<std::int64_t>(held_);
  std::fill(history_.begin(), history_.end(), 0.0f);
  next_index_ = 0;
  next_phase_ = 0;
}

std::size_t Resampler::max_output(std::size_t count) const {
  return static_cast<std::size_t>(static_cast<std::int64_t>(count) * up_ / down_) + 2;
}

double Resampler::delay_seconds() const {
  if (from_ == to_)
    return 0.0;
  /* Output n is centred on input n * from / to: the group delay is the
   * look-ahead the filter needs, half_ input samples. */
  return static_cast<double>(half_) / from_;
}

float Resampler::dot(const float *x, const float *h) const {
  /* Eight independent sums: vectorizable without reassociation. */
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t j = 0;
  for (; j + 8 <= taps_; j += 8)
    for (std::size_t l = 0; l < 8; l++)
      acc[l] += x[j + l] * h[j + l];
  for (; j < taps_; j++)
    acc[0] += x[j] * h[j];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

std::size_t Resampler::process(const float *in, std::size_t count, float *out) {
  count = std::min(count, max_chunk_);
  /* Nothing new: every output the history allows was produced by the last
   * call. Returning here also keeps a null `in` (an empty chunk) away from
   * memcpy(), where it is undefined even for 0 bytes. */
  if (count == 0)
    return 0;
  if (from_ == to_) {
    std::memcpy(out, in, count * sizeof(float));
    return count;
  }
  std::memcpy(history_.data() + held_, in, count * sizeof(float));
  held_ += count;
  const std::int64_t end = held_start_ + static_cast<std::int64_t>(held_);
  const std::int64_t half = static_cast<std::int64_t>(half_);
  std::size_t produced = 0;
  while (next_index_ + half < end) {
    const float *x = history_.data() + (next_index_ - half + 1 - held_start_);
    float y;
    if (!interpolate_) {
      y = dot(x, table_.data() + static_cast<std::size_t>(next_phase_) * taps_);
    } else {
      const double position = static_cast<double>(next_phase_) * static_cast<double>(phases_) /
                              static_cast<double>(up_);
      const std::size_t q = std::min(static_cast<std::size_t>(position), phases_ - 1);
      const float alpha = static_cast<float>(position - static_cast<double>(q));
      const float a = dot(x, table_.data() + q * taps_);
      const float b = dot(x, table_.data() + (q + 1) * taps_);
      y = a + alpha * (b - a);
    }
    out[produced++] = y;
    next_phase_ += down_;
    next_index_ += next_phase_ / up_;
    next_phase_ %= up_;
  }
  /* Keep what the next output needs, from its first tap on. */
  const std::int64_t keep_from = std::clamp<std::int64_t>(next_index_ - half + 1 - held_start_, 0,
                                                          static_cast<std::int64_t>(held_));
  const std::size_t drop = static_cast<std::size_t>(keep_from);
  std::memmove(history_.data(), history_.data() + drop, (held_ - drop) * sizeof(float));
  held_ -= drop;
  held_start_ += keep_from;
  return produced;
}

} /* namespace voicekit::vad */
