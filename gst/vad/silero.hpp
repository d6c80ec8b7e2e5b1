/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Silero VAD v5/v6, native inference (no ONNX Runtime).
 *
 * The network, per window of 512 new samples at 16 kHz (256 at 8 kHz) with
 * the previous 64 (32) samples prepended as context, as Silero's streaming
 * wrapper feeds it (the same graph, read from the .onnx file):
 *
 *   576 samples -> reflect-pad 64 on the right -> 640
 *   STFT: 4 frames of 256 (hop 128), periodic Hann window, |DFT| of bins 0..128
 *   conv1d 129->128 k3 s1 p1, ReLU      (4 positions)
 *   conv1d 128->64  k3 s2 p1, ReLU      (2)
 *   conv1d 64->64   k3 s2 p1, ReLU      (1)
 *   conv1d 64->128  k3 s1 p1, ReLU      (1)
 *   LSTM cell 128 (state h, c carried from window to window)
 *   ReLU, conv1d 128->1 k1, sigmoid     -> probability of speech
 *
 * At 8 kHz: 288 -> pad 32 -> 320, frames of 128 (hop 64), 65 bins, encoder
 * 65->128 first; the rest is the same. v5.1 and v6.2 share this graph and
 * differ only in their weights.
 *
 * SileroModel holds both branches' weights, loaded once, read-only and
 * shareable between any number of SileroInference (one per stream), which
 * hold the per-stream state in buffers allocated at construction: no
 * allocation per window.
 */
#ifndef GST_VAD_SILERO_HPP
#define GST_VAD_SILERO_HPP

#include "vad.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace voicekit::vad {

namespace silero_detail {
struct Weights;
struct Buffers;
} /* namespace silero_detail */

class SileroModel {
public:
  /* Reads an .onnx file (at most 64 MiB). On failure returns null and says
   * why in *error (what is wrong, not the path: callers add it). */
  static std::shared_ptr<const SileroModel> load(const std::string &path, std::string *error);
  /* The same from bytes in memory. */
  static std::shared_ptr<const SileroModel> load_from_memory(const void *data, std::size_t size,
                                                             std::string *error);
  ~SileroModel();
  SileroModel(const SileroModel &) = delete;
  SileroModel &operator=(const SileroModel &) = delete;

  /* Heap bytes of the prepared weights (both sample rates). */
  std::size_t weight_bytes() const;
  /* True when the STFT basis was recognised as a Hann-windowed DFT, so the
   * front end runs as an FFT (else as the stored basis, a matrix product). */
  bool fft_front_end() const;
  /* "avx2+fma" or "portable": the kernels this machine runs. */
  const char *kernels() const;

private:
  SileroModel();
  const silero_detail::Weights &weights(int rate) const;
  std::unique_ptr<silero_detail::Weights> w16_, w8_;
  bool avx2_ = false;
  friend class SileroInference;
};

/* Per-stream inference at 16 or 8 kHz. */
class SileroInference {
public:
  struct Options {
    bool portable_kernels = false; /* never the AVX2/FMA kernels (tests, benchmarks) */
  };

  /* rate: 16000 or 8000 (anything else is taken as 16000). */
  explicit SileroInference(std::shared_ptr<const SileroModel> model, int rate = 16000);
  SileroInference(std::shared_ptr<const SileroModel> model, int rate, Options options);
  ~SileroInference();
  SileroInference(const SileroInference &) = delete;
  SileroInference &operator=(const SileroInference &) = delete;

  int rate() const { return rate_; }
  /* 512 at 16 kHz, 256 at 8 kHz. */
  std::size_t window_samples() const { return rate_ == 8000 ? 256 : 512; }
  /* 64 at 16 kHz, 32 at 8 kHz: the previous window's tail, prepended. */
  std::size_t context_samples() const { return rate_ == 8000 ? 32 : 64; }

  /* window_samples() new samples (full scale 1.0) -> probability of speech.
   * Carries the context and the LSTM state to the next call. */
  float process_window(const float *samples);
  /* Back to the initial state: zero context, zero LSTM state. */
  void reset();
  /* Switches the sample rate (16000 or 8000) and resets. */
  void set_rate(int rate);

  /* The LSTM state [h(128), c(128)], as ONNX's `stateN` (tests). */
  const float *state() const;
  /* Bytes this instance holds (itself and its buffers; not the model). */
  std::size_t state_bytes() const;

private:
  std::shared_ptr<const SileroModel> model_;
  const silero_detail::Weights *weights_ = nullptr;
  std::unique_ptr<silero_detail::Buffers> buffers_;
  Options options_;
  int rate_ = 16000;
  bool avx2_ = false;
};

/* The Silero engine for FrameAnalyzer: frames of any length at 8..48 kHz.
 * 16 kHz runs the 16 kHz network directly and 8 kHz the 8 kHz one; any other
 * rate is resampled to 16 kHz (Kaiser-windowed sinc, 60 dB stopband,
 * passband to 6.5 kHz from above 16 kHz, to 0.4 x rate from below). Samples
 * accumulate into windows of 512 (256 at 8 kHz); each frame gets the
 * probability of the latest window completed (0 before the first).
 *
 * Added delay: a window's probability is known once its last sample is in,
 * so the probability a frame gets describes audio that ended up to one
 * window (32 ms) before the frame's end, plus the resampler's group delay
 * (none at 8 and 16 kHz; 0.9 ms from any rate above 16 kHz; 19 input
 * samples, 1.2 to 2.4 ms, between 8 and 16 kHz: silero_resampler_delay()).
 * A window whose arithmetic overflows (not seen with the real weights on
 * clean input) gives 0 and resets the network's state. */
std::unique_ptr<Engine> make_silero_engine(std::shared_ptr<const SileroModel> model);

/* The engine's resampling delay at `rate`, in seconds (0 at 8 and 16 kHz). */
double silero_resampler_delay(int rate);

} /* namespace voicekit::vad */

#endif /* GST_VAD_SILERO_HPP */
