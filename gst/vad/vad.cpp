/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * FrameAnalyzer and the built-in engine: see vad.hpp.
 */
#include "vad.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

namespace voicekit::vad {

/* ---- FrameAnalyzer --------------------------------------------------------- */

FrameAnalyzer::FrameAnalyzer(std::unique_ptr<Engine> engine) : engine_(std::move(engine)) {}

bool FrameAnalyzer::configure(const AudioFormat &format, int frame_ms, std::string *error) {
  if (frame_ms < kMinFrameMs || frame_ms > kMaxFrameMs) {
    if (error != nullptr)
      *error = "frame of " + std::to_string(frame_ms) + " ms is outside " +
               std::to_string(kMinFrameMs) + ".." + std::to_string(kMaxFrameMs) + " ms";
    return false;
  }
  return configure_ns(format, static_cast<std::uint64_t>(frame_ms) * 1000000u, error);
}

bool FrameAnalyzer::configure_ns(const AudioFormat &format, std::uint64_t frame_ns,
                                 std::string *error) {
  auto refuse = [&](const std::string &why) {
    if (error != nullptr)
      *error = why;
    return false;
  };
  if (format.rate < kMinRate || format.rate > kMaxRate)
    return refuse("sample rate " + std::to_string(format.rate) + " Hz is outside " +
                  std::to_string(kMinRate) + ".." + std::to_string(kMaxRate) + " Hz");
  if (format.channels < 1 || format.channels > 2)
    return refuse(std::to_string(format.channels) + " channels: only mono and stereo are analysed");
  if (frame_ns < kMinFrameNs || frame_ns > kMaxFrameNs)
    return refuse("frame of " + std::to_string(frame_ns) + " ns is outside " +
                  std::to_string(kMinFrameNs) + ".." + std::to_string(kMaxFrameNs) + " ns");
  format_ = format;
  /* at most 48000 * 32e6: no overflow */
  frame_samples_ =
      static_cast<std::size_t>(static_cast<std::uint64_t>(format.rate) * frame_ns / 1000000000u);
  frame_.assign(frame_samples_, 0.0f);
  engine_->configure(format.rate, frame_samples_);
  reset();
  return true;
}

void FrameAnalyzer::reset() {
  fill_ = 0;
  position_ = 0;
  engine_->reset();
}

namespace {
/* Clean sample: NaN and Inf are silence; absurd magnitudes are clipped so
 * energies stay finite. */
inline float clean(float value) {
  if (!std::isfinite(value))
    return 0.0f;
  return std::clamp(value, -8.0f, 8.0f);
}
} /* namespace */

void FrameAnalyzer::append(const void *data, std::size_t offset_frames, std::size_t count) {
  float *out = frame_.data() + fill_;
  const std::size_t channels = static_cast<std::size_t>(format_.channels);
  if (format_.sample_format == SampleFormat::kS16) {
    const auto *in = static_cast<const std::int16_t *>(data) + offset_frames * channels;
    constexpr float kScale = 1.0f / 32768.0f;
    if (channels == 1) {
      for (std::size_t i = 0; i < count; i++)
        out[i] = static_cast<float>(in[i]) * kScale;
    } else {
      for (std::size_t i = 0; i < count; i++)
        out[i] =
            (static_cast<float>(in[2 * i]) + static_cast<float>(in[2 * i + 1])) * (0.5f * kScale);
    }
  } else {
    const auto *in = static_cast<const float *>(data) + offset_frames * channels;
    if (channels == 1) {
      for (std::size_t i = 0; i < count; i++)
        out[i] = clean(in[i]);
    } else {
      for (std::size_t i = 0; i < count; i++)
        out[i] = 0.5f * (clean(in[2 * i]) + clean(in[2 * i + 1]));
    }
  }
}

/* ---- built-in engine -------------------------------------------------------- */

namespace {

/* Second-order section, transposed direct form II. */
struct Biquad {
  float b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
  float z1 = 0, z2 = 0;

  float run(float x) {
    const float y = b0 * x + z1;
    z1 = b1 * x - a1 * y + z2;
    z2 = b2 * x - a2 * y;
    return y;
  }
  void clear() { z1 = z2 = 0; }

  /* Butterworth (Q = 1/sqrt 2) low- or high-pass, bilinear transform. */
  static Biquad design(double cutoff_hz, double rate, bool high_pass) {
    const double w0 = 2.0 * M_PI * cutoff_hz / rate;
    const double alpha = std::sin(w0) / (2.0 * M_SQRT1_2);
    const double cosw = std::cos(w0);
    const double a0 = 1.0 + alpha;
    Biquad f;
    if (high_pass) {
      f.b0 = static_cast<float>((1.0 + cosw) / 2.0 / a0);
      f.b1 = static_cast<float>(-(1.0 + cosw) / a0);
    } else {
      f.b0 = static_cast<float>((1.0 - cosw) / 2.0 / a0);
      f.b1 = static_cast<float>((1.0 - cosw) / a0);
    }
    f.b2 = f.b0;
    f.a1 = static_cast<float>(-2.0 * cosw / a0);
    f.a2 = static_cast<float>((1.0 - alpha) / a0);
    return f;
  }
};

/* Minimum statistics: the minimum frame level over the last 8 blocks of
 * frames. Pauses between words keep it at or below the noise level during
 * speech, and it follows a rising noise within the window. */
class FloorTracker {
public:
  void configure(std::size_t frames_per_block) {
    frames_per_block_ = std::max<std::size_t>(1, frames_per_block);
    reset();
  }
  void reset() {
    block_mins_.fill(kNoFloor);
    block_index_ = 0;
    frames_in_block_ = 0;
  }
  /* Adds a level (dB) and returns the floor. */
  float update(float level_db) {
    float &current = block_mins_[block_index_];
    current = std::min(current, level_db);
    float floor_db = kNoFloor;
    for (float block_min : block_mins_)
      floor_db = std::min(floor_db, block_min);
    if (++frames_in_block_ == frames_per_block_) {
      frames_in_block_ = 0;
      block_index_ = (block_index_ + 1) % block_mins_.size();
      block_mins_[block_index_] = kNoFloor;
    }
    return floor_db;
  }

private:
  static constexpr float kNoFloor = std::numeric_limits<float>::max();
  std::array<float, 8> block_mins_{};
  std::size_t block_index_ = 0;
  std::size_t frames_in_block_ = 0;
  std::size_t frames_per_block_ = 1;
};

/* Speech-band (200 Hz to 4 kHz) energy over an estimate of the noise in
 * that band; the probability is a logistic function of the SNR.
 *
 * The noise estimate follows the level down quickly, up slowly while the
 * level stays near it (noise), and barely while the level is well above it
 * (speech must not raise it: a long sentence would otherwise make its own
 * weak ending look like silence). It never sits below the minimum level of
 * the last ~1.6 s (minimum statistics), so a noise that gets louder is
 * followed within that window. Levels vary by a few dB from frame to frame
 * in stationary noise; the estimate sits near their middle, and the SNR
 * midpoint (6 dB) clears their peaks. Constants chosen with tools/vad-eval
 * (docs/pausedetect-eval.md). */
class BuiltinEngine final : public Engine {
public:
  const char *name() const override { return "builtin"; }

  void configure(int rate, std::size_t frame_samples) override {
    /* Analyse at 16 kHz or below: sum groups of `decimation_` samples (a cheap
     * low-pass; energy detection tolerates the aliasing). */
    decimation_ = std::max(1, rate / 16000);
    const double analysis_rate = static_cast<double>(rate) / decimation_;
    high_pass_ = Biquad::design(kLowHz, analysis_rate, true);
    low_pass_ = Biquad::design(std::min(kHighHz, 0.45 * analysis_rate), analysis_rate, false);
    analysed_per_frame_ = frame_samples / static_cast<std::size_t>(decimation_);
    frame_seconds_ = static_cast<float>(frame_samples) / static_cast<float>(rate);
    minimum_.configure(static_cast<std::size_t>(std::lround(kBlockSeconds / frame_seconds_)));
    reset();
  }

  void reset() override {
    high_pass_.clear();
    low_pass_.clear();
    minimum_.reset();
    has_noise_ = false;
  }

  float process(const float *frame) override {
    double energy = 0.0;
    const float gain = 1.0f / static_cast<float>(decimation_);
    for (std::size_t i = 0; i < analysed_per_frame_; i++) {
      const float *group = frame + i * static_cast<std::size_t>(decimation_);
      float sum = 0.0f;
      for (int k = 0; k < decimation_; k++)
        sum += group[k];
      const float y = low_pass_.run(high_pass_.run(sum * gain));
      energy += static_cast<double>(y) * y;
    }
    /* Denormals and decayed filter state: keep the filters clean. */
    if (!std::isfinite(high_pass_.z1) || !std::isfinite(low_pass_.z1)) {
      high_pass_.clear();
      low_pass_.clear();
      energy = 0.0;
    }
    const float level_db =
        static_cast<float>(10.0 * std::log10(energy / analysed_per_frame_ + 1e-15));
    /* Digital silence (muted input, GAPs, padding) says nothing about the
     * noise: it is not speech and leaves the estimates alone. */
    if (level_db < kDigitalSilenceDb)
      return 0.0f;
    const float snr_db = level_db - update_noise(level_db);
    return 1.0f / (1.0f + std::exp(-(snr_db - kSnrMidpointDb) / kSnrSlopeDb));
  }

private:
  /* Adds a level to the estimates; returns the noise level to compare with. */
  float update_noise(float level_db) {
    const float minimum_db = minimum_.update(level_db);
    if (!has_noise_) {
      noise_db_ = level_db;
      has_noise_ = true;
    } else if (level_db < noise_db_) {
      noise_db_ += kFallRate * (level_db - noise_db_);
    } else if (level_db - noise_db_ < kNoiseGateDb) {
      noise_db_ += kRiseRate * (level_db - noise_db_);
    } else {
      noise_db_ += kSpeechRiseDbPerSecond * frame_seconds_;
    }
    noise_db_ = std::max(noise_db_, minimum_db);
    return noise_db_;
  }

  static constexpr double kLowHz = 200.0;
  static constexpr double kHighHz = 4000.0;
  /* Frames quieter than this are digital silence, not a noise floor. */
  static constexpr float kDigitalSilenceDb = -100.0f;
  static constexpr double kBlockSeconds = 0.2; /* 8 blocks: a 1.6 s minimum */
  static constexpr float kFallRate = 0.2f;     /* per frame, toward a lower level */
  static constexpr float kRiseRate = 0.02f;    /* per frame, toward a level near the noise */
  static constexpr float kNoiseGateDb = 3.0f;  /* "near the noise" */
  static constexpr float kSpeechRiseDbPerSecond = 0.5f;
  static constexpr float kSnrMidpointDb = 6.0f; /* probability 0.5 */
  static constexpr float kSnrSlopeDb = 1.5f;

  int decimation_ = 1;
  Biquad high_pass_;
  Biquad low_pass_;
  std::size_t analysed_per_frame_ = 0;
  float frame_seconds_ = 0.01f;
  FloorTracker minimum_;
  float noise_db_ = 0.0f;
  bool has_noise_ = false;
};

} /* namespace */

std::unique_ptr<Engine> make_builtin_engine() {
  return std::make_unique<BuiltinEngine>();
}

} /* namespace voicekit::vad */
