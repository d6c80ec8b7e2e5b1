/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Voice-activity core: speech probability per frame, no GStreamer types.
 *
 * Input: interleaved S16 or F32 samples, 8 to 48 kHz, one or two channels (two
 * are averaged for analysis). FrameAnalyzer cuts any stream of buffers into
 * frames of 10 to 32 ms and asks an Engine for a speech probability per frame.
 * Engines plug in behind the Engine interface: the built-in one (no model
 * file) and native Silero (silero.hpp).
 */
#ifndef GST_VAD_VAD_HPP
#define GST_VAD_VAD_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace voicekit::vad {

enum class SampleFormat { kS16, kF32 };

struct AudioFormat {
  int rate = 16000; /* Hz, 8000..48000 */
  int channels = 1; /* 1 or 2, interleaved */
  SampleFormat sample_format = SampleFormat::kS16;
};

constexpr int kMinRate = 8000;
constexpr int kMaxRate = 48000;
constexpr int kMinFrameMs = 10;
constexpr int kMaxFrameMs = 32;
constexpr std::uint64_t kMinFrameNs = static_cast<std::uint64_t>(kMinFrameMs) * 1000000u;
constexpr std::uint64_t kMaxFrameNs = static_cast<std::uint64_t>(kMaxFrameMs) * 1000000u;

/* A speech detector on mono float frames (full scale = 1.0, never NaN/Inf:
 * the analyzer cleans the input). */
class Engine {
public:
  virtual ~Engine() = default;
  virtual const char *name() const = 0;
  /* Called before any frame and whenever the format changes. */
  virtual void configure(int rate, std::size_t frame_samples) = 0;
  /* Forget everything learnt (noise floor, state): a new stream. */
  virtual void reset() = 0;
  /* One frame of frame_samples samples -> probability of speech in [0, 1]. */
  virtual float process(const float *frame) = 0;
};

/* The built-in engine: band energy over an adaptive noise floor, no model. */
std::unique_ptr<Engine> make_builtin_engine();

/* One analysed frame: its probability and where it ends, in samples (per
 * channel) since configure() or reset(). */
struct FrameResult {
  float probability;
  std::uint64_t end_sample;
  std::size_t frame_samples;
};

class FrameAnalyzer {
public:
  explicit FrameAnalyzer(std::unique_ptr<Engine> engine);

  /* Validates the format and frame length; on failure says why and keeps
   * the previous configuration. Resets the stream position. A frame is
   * rate * length samples, rounded down. */
  bool configure(const AudioFormat &format, int frame_ms, std::string *error);
  /* The same with the frame length in nanoseconds (kMinFrameNs..kMaxFrameNs). */
  bool configure_ns(const AudioFormat &format, std::uint64_t frame_ns, std::string *error);
  bool configured() const { return frame_samples_ != 0; }
  const AudioFormat &format() const { return format_; }
  std::size_t frame_samples() const { return frame_samples_; }
  const Engine &engine() const { return *engine_; }

  /* Feeds `frames` sample frames (frames * channels values) of interleaved
   * audio. Calls on_frame(const FrameResult&) for every frame completed.
   * NaN and Inf count as silence (0). */
  template <typename OnFrame> void push(const void *data, std::size_t frames, OnFrame &&on_frame) {
    feed(
        frames, [&](std::size_t offset, std::size_t count) { append(data, offset, count); },
        on_frame);
  }

  /* Feeds `frames` of silence (a GAP). */
  template <typename OnFrame> void push_silence(std::size_t frames, OnFrame &&on_frame) {
    feed(
        frames,
        [&](std::size_t, std::size_t count) {
          std::fill_n(frame_.begin() + static_cast<std::ptrdiff_t>(fill_), count, 0.0f);
        },
        on_frame);
  }

  /* Drops the partial frame and the engine's state; position back to 0. */
  void reset();
  /* Samples (per channel) fed since configure()/reset(), partial frame included. */
  std::uint64_t samples_fed() const { return position_ + fill_; }

private:
  /* Fills the frame through fill(offset, count) (which writes `count` values at
   * frame_[fill_]) and analyses every frame completed. */
  template <typename Fill, typename OnFrame>
  void feed(std::size_t frames, Fill &&fill, OnFrame &&on_frame) {
    if (frame_samples_ == 0)
      return; /* not configured: nothing to analyse with */
    std::size_t done = 0;
    while (done < frames) {
      const std::size_t take = std::min(frames - done, frame_samples_ - fill_);
      fill(done, take);
      fill_ += take;
      done += take;
      if (fill_ == frame_samples_) {
        position_ += frame_samples_;
        fill_ = 0;
        const FrameResult result{engine_->process(frame_.data()), position_, frame_samples_};
        on_frame(result);
      }
    }
  }

  /* Writes `count` analysed (mono, clean) values at frame_[fill_]. */
  void append(const void *data, std::size_t offset_frames, std::size_t count);

  std::unique_ptr<Engine> engine_;
  AudioFormat format_;
  std::size_t frame_samples_ = 0;
  std::vector<float> frame_;
  std::size_t fill_ = 0;
  std::uint64_t position_ = 0; /* samples in completed frames */
};

} /* namespace voicekit::vad */

#endif /* GST_VAD_VAD_HPP */
