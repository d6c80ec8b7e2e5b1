/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Silero VAD native inference: see silero.hpp.
 *
 * Layout: activations are [time][channel]; every layer (the encoder convs,
 * the LSTM's two matrix products as one, the STFT when it is not an FFT) is
 * one kernel, "gemm": out[p][o] = bias[o] + sum over kept taps t and input
 * channels c of W[o][c][t] * row(p, t)[c], where row(p, t) is the input row
 * the tap reads at output position p (or a row of zeros for the padding).
 * Weights are packed at load as [block of B outputs][tap][c][B], B = 64/P for
 * P positions, so the kernel streams them once per window and keeps 8
 * accumulator vectors in registers. Taps that only ever read padding (the
 * last two layers run on 2 and 1 positions) are dropped at load.
 */
#include "silero.hpp"

#include "onnx.hpp"
#include "resampler.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define VOICEKIT_SILERO_X86 1
#else
#define VOICEKIT_SILERO_X86 0
#endif

namespace voicekit::vad {

namespace silero_detail {

constexpr int kHidden = 128;
constexpr int kFrames = 4;    /* STFT frames per window (both rates) */
constexpr int kMaxFft = 256;  /* 16 kHz */
constexpr int kMaxBins = 129; /* 16 kHz */
constexpr int kMaxInput = 512 + 64 + 64;
constexpr std::size_t kMaxFileBytes = 64u << 20;

/* A 64-byte-aligned float array, zero-filled, fixed size. */
class AlignedFloats {
public:
  void assign(std::size_t n) {
    storage_.reset(new float[n + 16]());
    const auto address = reinterpret_cast<std::uintptr_t>(storage_.get());
    data_ = storage_.get() + ((64 - address % 64) % 64) / sizeof(float);
    size_ = n;
  }
  float *data() { return data_; }
  const float *data() const { return data_; }
  std::size_t size() const { return size_; }
  std::size_t bytes() const { return storage_ ? (size_ + 16) * sizeof(float) : 0; }

private:
  std::unique_ptr<float[]> storage_;
  float *data_ = nullptr;
  std::size_t size_ = 0;
};

/* One layer run by the gemm kernel. */
struct Gemm {
  int cin = 0, cout = 0, cout_padded = 0;
  int positions = 1; /* P: 1, 2 or 4 */
  int stride = 1, in_len = 1;
  std::array<int, 3> taps{}; /* kept kernel taps (offsets 0..2, padding 1) */
  int n_taps = 0;
  AlignedFloats w, b;

  static int block(int positions) { return 64 / positions; }
  std::size_t bytes() const { return w.bytes() + b.bytes(); }
};

struct Weights {
  int rate = 16000;
  int n_fft = 256, hop = 128, context = 64, window = 512, bins = 129, pad = 64;
  bool fft = true;
  /* FFT front end: Hann window (the basis's row 0), bit reversal of the
   * n_fft/2-point complex FFT, its twiddles (index s + j at half-size s),
   * and the real-FFT post-processing twiddles W^k, k = 0..n_fft/2. */
  AlignedFloats hann;
  std::vector<int> bitrev;
  AlignedFloats twiddle_re, twiddle_im, post_re, post_im;
  Gemm stft; /* only when the basis is not a Hann-windowed DFT */
  std::array<Gemm, 4> encoder;
  Gemm lstm; /* [x; h] (256) -> gates i, f, g, o (512) */
  std::array<float, kHidden> decoder_w{};
  float decoder_b = 0.0f;

  std::size_t bytes() const {
    std::size_t total = sizeof(Weights) + hann.bytes() + bitrev.capacity() * sizeof(int) +
                        twiddle_re.bytes() + twiddle_im.bytes() + post_re.bytes() +
                        post_im.bytes() + stft.bytes() + lstm.bytes();
    for (const Gemm &layer : encoder)
      total += layer.bytes();
    return total;
  }
};

/* Per-stream buffers, fixed size (the 16 kHz maxima). */
struct Buffers {
  alignas(64) float input[kMaxInput + 16]; /* context + window + reflection */
  alignas(64) float re[kMaxFft / 2 * kFrames];
  alignas(64) float im[kMaxFft / 2 * kFrames];
  alignas(64) float magnitude[kFrames * kMaxBins + 16];
  alignas(64) float stft[kFrames * 272];
  alignas(64) float e0[kFrames * 128];
  alignas(64) float e1[2 * 64];
  alignas(64) float e2[64];
  alignas(64) float xhc[3 * kHidden]; /* x (encoder output), h, c */
  alignas(64) float gates[4 * kHidden];
  alignas(64) float zeros[kMaxFft];
};

/* ---- kernels ---------------------------------------------------------------- */

/* Row pointers for the gemm at each position and kept tap, and, for inputs
 * after a ReLU (mostly zeros: 50 to 80 % in the encoder and the LSTM input),
 * the input channels worth reading: those not zero at every position. A
 * skipped channel would only have added w * 0, so the sums are the same. */
struct Rows {
  std::array<const float *, 4 * 3> at{};
  bool sparse = false;
  std::array<std::uint16_t, 3 * 2 * kHidden> channels; /* per kept tap, cin slots */
  std::array<int, 3> count{};

  void find_channels(int positions, int n_taps, int cin) {
    sparse = true;
    for (int t = 0; t < n_taps; t++) {
      std::uint16_t *list = channels.data() + t * cin;
      const float *first = at[static_cast<std::size_t>(t)];
      const float *second = positions > 1 ? at[static_cast<std::size_t>(n_taps + t)] : first;
      int n = 0;
      for (int c = 0; c < cin; c++) {
        /* Not +-0 at either position (the bits, to stay branch-free). */
        std::uint32_t a, b;
        std::memcpy(&a, first + c, 4);
        std::memcpy(&b, second + c, 4);
        list[n] = static_cast<std::uint16_t>(c);
        n += ((a | b) << 1) != 0 ? 1 : 0;
      }
      count[static_cast<std::size_t>(t)] = n;
    }
  }
};

Rows conv_rows(const Gemm &layer, const float *in, const float *zeros, bool sparse) {
  Rows rows;
  for (int p = 0; p < layer.positions; p++)
    for (int t = 0; t < layer.n_taps; t++) {
      const int r = p * layer.stride + layer.taps[static_cast<std::size_t>(t)] - 1;
      rows.at[static_cast<std::size_t>(p * layer.n_taps + t)] =
          (r >= 0 && r < layer.in_len) ? in + static_cast<std::ptrdiff_t>(r) * layer.cin : zeros;
    }
  if (sparse && layer.positions <= 2) /* find_channels reads at most two positions */
    rows.find_channels(layer.positions, layer.n_taps, layer.cin);
  return rows;
}

/* Portable kernel: GCC/Clang vector extensions, 4 lanes (SSE2 on x86-64,
 * NEON on ARM). The block is walked in slices of 8 outputs so that the
 * P x 2 accumulators stay in registers. */
typedef float V4 __attribute__((vector_size(16)));

inline V4 load_v4(const float *p) {
  V4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <int P> void gemm_portable(const Gemm &layer, const Rows &rows, float *out, bool relu) {
  constexpr int B = 64 / P;
  constexpr int S = 32 / P; /* slice: P x S / 4 = 8 accumulators */
  constexpr int H = S / 4;
  const float *w = layer.w.data();
  const V4 zero = {0, 0, 0, 0};
  for (int o = 0; o < layer.cout_padded; o += B) {
    for (int s = 0; s < B; s += S) {
      V4 acc[P][H];
#pragma GCC unroll 8
      for (int p = 0; p < P; p++)
#pragma GCC unroll 8
        for (int h = 0; h < H; h++)
          acc[p][h] = load_v4(layer.b.data() + o + s + 4 * h);
      for (int t = 0; t < layer.n_taps; t++) {
        const float *src[P];
#pragma GCC unroll 8
        for (int p = 0; p < P; p++)
          src[p] = rows.at[static_cast<std::size_t>(p * layer.n_taps + t)];
        const float *tap = w + static_cast<std::ptrdiff_t>(t) * layer.cin * B + s;
        const std::uint16_t *list = rows.channels.data() + t * layer.cin;
        const int n = rows.sparse ? rows.count[static_cast<std::size_t>(t)] : layer.cin;
        for (int i = 0; i < n; i++) {
          const int c = rows.sparse ? list[i] : i;
          V4 wv[H];
#pragma GCC unroll 8
          for (int h = 0; h < H; h++)
            wv[h] = load_v4(tap + c * B + 4 * h);
#pragma GCC unroll 8
          for (int p = 0; p < P; p++) {
            const float x = src[p][c];
#pragma GCC unroll 8
            for (int h = 0; h < H; h++)
              acc[p][h] += wv[h] * x;
          }
        }
      }
#pragma GCC unroll 8
      for (int p = 0; p < P; p++)
#pragma GCC unroll 8
        for (int h = 0; h < H; h++) {
          V4 value = acc[p][h];
          if (relu)
            value = value > zero ? value : zero;
          std::memcpy(out + p * layer.cout_padded + o + s + 4 * h, &value, sizeof value);
        }
    }
    w += static_cast<std::ptrdiff_t>(layer.n_taps) * layer.cin * B;
  }
}

#if VOICEKIT_SILERO_X86
template <int P>
__attribute__((target("avx2,fma"))) void gemm_avx2(const Gemm &layer, const Rows &rows, float *out,
                                                   bool relu) {
  constexpr int B = 64 / P;
  constexpr int V = B / 8;
  const float *w = layer.w.data();
  const __m256 zero = _mm256_setzero_ps();
  for (int o = 0; o < layer.cout_padded; o += B) {
    __m256 acc[P][V];
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
#pragma GCC unroll 8
      for (int v = 0; v < V; v++)
        acc[p][v] = _mm256_load_ps(layer.b.data() + o + 8 * v);
    for (int t = 0; t < layer.n_taps; t++) {
      const float *src[P];
#pragma GCC unroll 4
      for (int p = 0; p < P; p++)
        src[p] = rows.at[static_cast<std::size_t>(p * layer.n_taps + t)];
      const float *tap = w + static_cast<std::ptrdiff_t>(t) * layer.cin * B;
      const std::uint16_t *list = rows.channels.data() + t * layer.cin;
      const int n = rows.sparse ? rows.count[static_cast<std::size_t>(t)] : layer.cin;
      for (int i = 0; i < n; i++) {
        const int c = rows.sparse ? list[i] : i;
        const float *wc = tap + c * B;
        if constexpr (V <= 4) {
          __m256 wv[V];
#pragma GCC unroll 8
          for (int v = 0; v < V; v++)
            wv[v] = _mm256_load_ps(wc + 8 * v);
#pragma GCC unroll 4
          for (int p = 0; p < P; p++) {
            const __m256 x = _mm256_broadcast_ss(src[p] + c);
#pragma GCC unroll 8
            for (int v = 0; v < V; v++)
              acc[p][v] = _mm256_fmadd_ps(wv[v], x, acc[p][v]);
          }
        } else {
          const __m256 x = _mm256_broadcast_ss(src[0] + c);
#pragma GCC unroll 8
          for (int v = 0; v < V; v++)
            acc[0][v] = _mm256_fmadd_ps(_mm256_load_ps(wc + 8 * v), x, acc[0][v]);
        }
      }
    }
    w += static_cast<std::ptrdiff_t>(layer.n_taps) * layer.cin * B;
#pragma GCC unroll 4
    for (int p = 0; p < P; p++)
#pragma GCC unroll 8
      for (int v = 0; v < V; v++) {
        const __m256 value = relu ? _mm256_max_ps(acc[p][v], zero) : acc[p][v];
        _mm256_storeu_ps(out + p * layer.cout_padded + o + 8 * v, value);
      }
  }
}
#endif

/* Calls kernel(std::integral_constant<int, P>) with P the layer's positions
 * per row block as a compile-time constant: 4, 2, or 1 for any other count. */
template <typename Kernel> void with_positions(int positions, Kernel kernel) {
  switch (positions) {
  case 4:
    return kernel(std::integral_constant<int, 4>());
  case 2:
    return kernel(std::integral_constant<int, 2>());
  default:
    return kernel(std::integral_constant<int, 1>());
  }
}

void gemm(const Gemm &layer, const Rows &rows, float *out, bool relu, bool avx2) {
#if VOICEKIT_SILERO_X86
  if (avx2)
    return with_positions(layer.positions, [&](auto positions) {
      gemm_avx2<decltype(positions)::value>(layer, rows, out, relu);
    });
#else
  (void)avx2;
#endif
  with_positions(layer.positions, [&](auto positions) {
    gemm_portable<decltype(positions)::value>(layer, rows, out, relu);
  });
}

/* Four lanes (the four STFT frames) of floats. */
#if defined(__SSE2__)
using F4 = __m128;
inline F4 load4(const float *p) {
  return _mm_load_ps(p);
}
inline void store4(float *p, F4 v) {
  _mm_store_ps(p, v);
}
inline F4 splat4(float x) {
  return _mm_set1_ps(x);
}
inline F4 add4(F4 a, F4 b) {
  return _mm_add_ps(a, b);
}
inline F4 sub4(F4 a, F4 b) {
  return _mm_sub_ps(a, b);
}
inline F4 mul4(F4 a, F4 b) {
  return _mm_mul_ps(a, b);
}
inline F4 sqrt4(F4 a) {
  return _mm_sqrt_ps(a);
}
#else
struct F4 {
  float v[4];
};
inline F4 load4(const float *p) {
  return F4{{p[0], p[1], p[2], p[3]}};
}
inline void store4(float *p, F4 a) {
  std::memcpy(p, a.v, sizeof a.v);
}
inline F4 splat4(float x) {
  return F4{{x, x, x, x}};
}
#define VOICEKIT_F4_OP(name, expr)                                                                 \
  inline F4 name(F4 a, F4 b) {                                                                     \
    F4 r;                                                                                          \
    for (int l = 0; l < 4; l++)                                                                    \
      r.v[l] = expr;                                                                               \
    return r;                                                                                      \
  }
VOICEKIT_F4_OP(add4, a.v[l] + b.v[l])
VOICEKIT_F4_OP(sub4, a.v[l] - b.v[l])
VOICEKIT_F4_OP(mul4, a.v[l] * b.v[l])
#undef VOICEKIT_F4_OP
inline F4 sqrt4(F4 a) {
  for (float &x : a.v)
    x = std::sqrt(x);
  return a;
}
#endif

/* |DFT| of the four Hann-windowed frames, bins 0..n/2, through one
 * n/2-point complex FFT per frame (even samples real, odd imaginary), the
 * four frames side by side in the lanes. */
void fft_magnitudes(const Weights &w, const float *input, Buffers &b) {
  const int half = w.n_fft / 2;
  const float *hann = w.hann.data();
  for (int m = 0; m < half; m++) {
    float *re = b.re + 4 * w.bitrev[static_cast<std::size_t>(m)];
    float *im = b.im + 4 * w.bitrev[static_cast<std::size_t>(m)];
    for (int f = 0; f < kFrames; f++) {
      const float *x = input + f * w.hop + 2 * m;
      re[f] = hann[2 * m] * x[0];
      im[f] = hann[2 * m + 1] * x[1];
    }
  }
  const float *twr = w.twiddle_re.data();
  const float *twi = w.twiddle_im.data();
  for (int s = 1; s < half; s <<= 1)
    for (int k = 0; k < half; k += 2 * s)
      for (int j = 0; j < s; j++) {
        float *ar = b.re + 4 * (k + j), *ai = b.im + 4 * (k + j);
        float *br = b.re + 4 * (k + j + s), *bi = b.im + 4 * (k + j + s);
        const F4 cr = splat4(twr[s + j]), ci = splat4(twi[s + j]);
        const F4 xr = load4(br), xi = load4(bi);
        const F4 tr = sub4(mul4(xr, cr), mul4(xi, ci));
        const F4 ti = add4(mul4(xr, ci), mul4(xi, cr));
        const F4 yr = load4(ar), yi = load4(ai);
        store4(ar, add4(yr, tr));
        store4(ai, add4(yi, ti));
        store4(br, sub4(yr, tr));
        store4(bi, sub4(yi, ti));
      }
  const F4 one_half = splat4(0.5f);
  alignas(16) float lanes[4];
  for (int k = 0; k <= half; k++) {
    const int a = k % half, c = (half - k) % half;
    const F4 zr = load4(b.re + 4 * a), zi = load4(b.im + 4 * a);
    const F4 yr = load4(b.re + 4 * c), yi = load4(b.im + 4 * c);
    /* Even part E = (Z_k + conj Z_-k) / 2, odd part O = (Z_k - conj Z_-k) / 2i. */
    const F4 er = mul4(add4(zr, yr), one_half), ei = mul4(sub4(zi, yi), one_half);
    const F4 orr = mul4(add4(zi, yi), one_half), oi = mul4(sub4(yr, zr), one_half);
    const F4 cr = splat4(w.post_re.data()[k]), ci = splat4(w.post_im.data()[k]);
    const F4 xr = add4(er, sub4(mul4(cr, orr), mul4(ci, oi)));
    const F4 xi = add4(ei, add4(mul4(cr, oi), mul4(ci, orr)));
    store4(lanes, sqrt4(add4(mul4(xr, xr), mul4(xi, xi))));
    for (int f = 0; f < kFrames; f++)
      b.magnitude[f * w.bins + k] = lanes[f];
  }
}

float sigmoid(float x) {
  return 1.0f / (1.0f + std::exp(-x));
}

/* tanh through exp (glibc's tanhf goes through the much slower expm1f):
 * absolute error around 1e-7, relative error larger only near 0. */
float fast_tanh(float x) {
  const float e = std::exp(-2.0f * std::fabs(x));
  return std::copysign((1.0f - e) / (1.0f + e), x);
}

/* The LSTM cell's update from its gates (PyTorch order i, f, g, o):
 * c = sigmoid(f) c + sigmoid(i) tanh(g), h = sigmoid(o) tanh(c). */
void lstm_update_portable(const float *gates, float *h, float *c) {
  for (int j = 0; j < kHidden; j++) {
    const float in = sigmoid(gates[j]);
    const float forget = sigmoid(gates[kHidden + j]);
    const float cell = fast_tanh(gates[2 * kHidden + j]);
    const float out = sigmoid(gates[3 * kHidden + j]);
    c[j] = forget * c[j] + in * cell;
    h[j] = out * fast_tanh(c[j]);
  }
}

#if VOICEKIT_SILERO_X86
/* exp(x), 8 lanes: Cephes' expf (range reduction by ln 2 in two parts, a
 * degree-5 polynomial, the exponent set through the integer bits); relative
 * error about 2e-7 over the range that matters, 0 and inf beyond +-88. */
__attribute__((target("avx2,fma"))) inline __m256 exp_avx2(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  const __m256i exponent =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(exponent));
}

__attribute__((target("avx2,fma"))) inline __m256 sigmoid_avx2(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

__attribute__((target("avx2,fma"))) inline __m256 tanh_avx2(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp_avx2(_mm256_mul_ps(_mm256_set1_ps(-2.0f), _mm256_andnot_ps(sign, x)));
  const __m256 t = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
  return _mm256_or_ps(t, _mm256_and_ps(x, sign));
}

__attribute__((target("avx2,fma"))) void lstm_update_avx2(const float *gates, float *h, float *c) {
  for (int j = 0; j < kHidden; j += 8) {
    const __m256 in = sigmoid_avx2(_mm256_load_ps(gates + j));
    const __m256 forget = sigmoid_avx2(_mm256_load_ps(gates + kHidden + j));
    const __m256 cell = tanh_avx2(_mm256_load_ps(gates + 2 * kHidden + j));
    const __m256 out = sigmoid_avx2(_mm256_load_ps(gates + 3 * kHidden + j));
    const __m256 state = _mm256_fmadd_ps(forget, _mm256_load_ps(c + j), _mm256_mul_ps(in, cell));
    _mm256_store_ps(c + j, state);
    _mm256_store_ps(h + j, _mm256_mul_ps(out, tanh_avx2(state)));
  }
}
#endif

/* ---- loading ------------------------------------------------------------------ */

const char *const kNames[] = {
    "stft.forward_basis_buffer",   "encoder.0.reparam_conv.weight",
    "encoder.0.reparam_conv.bias", "encoder.1.reparam_conv.weight",
    "encoder.1.reparam_conv.bias", "encoder.2.reparam_conv.weight",
    "encoder.2.reparam_conv.bias", "encoder.3.reparam_conv.weight",
    "encoder.3.reparam_conv.bias", "decoder.rnn.weight_ih",
    "decoder.rnn.weight_hh",       "decoder.rnn.bias_ih",
    "decoder.rnn.bias_hh",         "decoder.decoder.2.weight",
    "decoder.decoder.2.bias",
};
constexpr std::size_t kTensorCount = sizeof kNames / sizeof kNames[0];
enum Tensor : std::size_t {
  kBasis,
  kEnc0W,
  kEnc0B,
  kEnc1W,
  kEnc1B,
  kEnc2W,
  kEnc2B,
  kEnc3W,
  kEnc3B,
  kWeightIh,
  kWeightHh,
  kBiasIh,
  kBiasHh,
  kDecoderW,
  kDecoderB,
};

/* `name` is `wanted`, or ends with it after a separator (exporters prefix
 * the names of inlined subgraphs' tensors). */
bool name_matches(std::string_view name, std::string_view wanted) {
  if (name.size() < wanted.size() || name.substr(name.size() - wanted.size()) != wanted)
    return false;
  if (name.size() == wanted.size())
    return true;
  const char before = name[name.size() - wanted.size() - 1];
  return before == '.' || before == '_' || before == '/' || before == ':';
}

bool is_wanted(std::string_view name) {
  for (const char *wanted : kNames)
    if (name_matches(name, wanted))
      return true;
  return false;
}

struct Branch {
  const onnx::GraphView *graph = nullptr;
  std::array<const onnx::NamedTensor *, kTensorCount> tensors{};
};

std::vector<std::int64_t> expected_shape(std::size_t tensor, int rate) {
  const std::int64_t bins = rate == 16000 ? 129 : 65;
  const std::int64_t n_fft = rate == 16000 ? 256 : 128;
  switch (tensor) {
  case kBasis:
    return {2 * bins, 1, n_fft};
  case kEnc0W:
    return {128, bins, 3};
  case kEnc1W:
    return {64, 128, 3};
  case kEnc2W:
    return {64, 64, 3};
  case kEnc3W:
    return {128, 64, 3};
  case kEnc0B:
  case kEnc3B:
    return {128};
  case kEnc1B:
  case kEnc2B:
    return {64};
  case kWeightIh:
  case kWeightHh:
    return {4 * kHidden, kHidden};
  case kBiasIh:
  case kBiasHh:
    return {4 * kHidden};
  case kDecoderW:
    return {1, kHidden, 1};
  default:
    return {1};
  }
}

std::string shape_string(const std::vector<std::int64_t> &dims) {
  std::string out = "[";
  for (std::size_t i = 0; i < dims.size(); i++)
    out += (i > 0 ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

class Loader {
public:
  explicit Loader(std::string *error) : error_(error) {}

  bool refuse(const std::string &why) {
    if (error_ != nullptr)
      *error_ = why;
    return false;
  }

  /* Finds the 16 and 8 kHz branches: the graphs holding an STFT basis of
   * each shape, with all the other tensors beside it. */
  bool find_branches(const onnx::ModelView &model, Branch *b16, Branch *b8) {
    for (const onnx::GraphView &graph : model.graphs) {
      const onnx::NamedTensor *basis = nullptr;
      for (const onnx::NamedTensor &named : graph.tensors)
        if (name_matches(named.name, kNames[kBasis])) {
          if (basis != nullptr)
            return refuse("two tensors named stft.forward_basis_buffer in one graph");
          basis = &named;
        }
      if (basis == nullptr)
        continue;
      const std::string shape = basis->tensor.shape_string();
      int rate;
      if (shape == "[258, 1, 256]")
        rate = 16000;
      else if (shape == "[130, 1, 128]")
        rate = 8000;
      else
        return refuse("stft.forward_basis_buffer has shape " + shape +
                      ", expected [258, 1, 256] (16 kHz) or [130, 1, 128] (8 kHz)");
      Branch &branch = rate == 16000 ? *b16 : *b8;
      if (branch.graph != nullptr)
        return refuse("two " + std::string(rate == 16000 ? "16" : "8") + " kHz branches");
      branch.graph = &graph;
      for (std::size_t i = 0; i < kTensorCount; i++) {
        for (const onnx::NamedTensor &named : graph.tensors)
          if (name_matches(named.name, kNames[i])) {
            if (branch.tensors[i] != nullptr)
              return refuse(label(rate) + ": tensor " + kNames[i] + " appears twice");
            branch.tensors[i] = &named;
          }
        if (branch.tensors[i] == nullptr)
          return refuse(label(rate) + ": missing tensor " + kNames[i] +
                        ": not a Silero VAD v5/v6 model");
      }
    }
    if (b16->graph == nullptr)
      return refuse("no 16 kHz branch (no tensor stft.forward_basis_buffer [258, 1, 256]): "
                    "not a Silero VAD v5/v6 model");
    if (b8->graph == nullptr)
      return refuse("no 8 kHz branch (no tensor stft.forward_basis_buffer [130, 1, 128]): "
                    "not a Silero VAD v5/v6 model");
    return true;
  }

  /* Checks the graph facts the engine hard-codes: the convolutions' kernel,
   * stride and padding, a reflecting Pad, LSTMs of 128. */
  bool check_graph(const onnx::ModelView &model, const Branch &branch, int rate) {
    struct Expect {
      std::size_t tensor;
      std::int64_t kernel, stride, pad;
    };
    const std::int64_t n_fft = rate == 16000 ? 256 : 128;
    const Expect expects[] = {{kBasis, n_fft, n_fft / 2, 0},
                              {kEnc0W, 3, 1, 1},
                              {kEnc1W, 3, 2, 1},
                              {kEnc2W, 3, 2, 1},
                              {kEnc3W, 3, 1, 1},
                              {kDecoderW, 1, 1, 0}};
    for (const Expect &expect : expects) {
      const std::string_view output = branch.tensors[expect.tensor]->output;
      const onnx::ConvView *conv = nullptr;
      for (const onnx::ConvView &candidate : branch.graph->convs)
        if (candidate.weight == output)
          conv = &candidate;
      const std::string what = label(rate) + ": the Conv on " + kNames[expect.tensor];
      if (conv == nullptr)
        return refuse(label(rate) + ": no Conv node uses " + kNames[expect.tensor]);
      if (conv->n_kernel > 0 && (conv->n_kernel != 1 || conv->kernel[0] != expect.kernel))
        return refuse(what + " has an unexpected kernel_shape");
      if (conv->n_strides != 1 || conv->strides[0] != expect.stride)
        return refuse(what + " has strides other than [" + std::to_string(expect.stride) + "]");
      if (expect.pad == 0
              ? !(conv->n_pads == 0 ||
                  (conv->n_pads == 2 && conv->pads[0] == 0 && conv->pads[1] == 0))
              : !(conv->n_pads == 2 && conv->pads[0] == expect.pad && conv->pads[1] == expect.pad))
        return refuse(what + " has pads other than [" + std::to_string(expect.pad) + ", " +
                      std::to_string(expect.pad) + "]");
      if (conv->n_dilations > 0 && (conv->n_dilations != 1 || conv->dilations[0] != 1))
        return refuse(what + " is dilated");
      if (conv->group != 1)
        return refuse(what + " is grouped");
    }
    if (branch.graph->pad_modes.size() != 1 || branch.graph->pad_modes[0] != "reflect")
      return refuse(label(rate) + ": expected one Pad node, mode reflect");
    /* The LSTMs sit in subgraphs of the branch (an If on the state's shape). */
    int lstms = 0;
    for (const onnx::GraphView &graph : model.graphs) {
      if (!inside(model, &graph, branch.graph))
        continue;
      for (std::int64_t hidden : graph.lstm_hidden) {
        if (hidden != kHidden)
          return refuse(label(rate) + ": LSTM hidden_size " + std::to_string(hidden) +
                        ", expected 128");
        lstms++;
      }
    }
    if (lstms == 0)
      return refuse(label(rate) + ": no LSTM node");
    return true;
  }

  /* `graph` is `ancestor` or one of its subgraphs, at any depth. */
  static bool inside(const onnx::ModelView &model, const onnx::GraphView *graph,
                     const onnx::GraphView *ancestor) {
    for (int guard = 0; graph != nullptr && guard <= onnx::kMaxDepth + 1; guard++) {
      if (graph == ancestor)
        return true;
      graph = graph->parent < 0 ? nullptr : &model.graphs[static_cast<std::size_t>(graph->parent)];
    }
    return false;
  }

  /* Decodes a tensor, checking its shape, type, size and values. */
  bool read(const Branch &branch, std::size_t tensor, int rate, std::vector<float> *out) {
    const onnx::TensorView &view = branch.tensors[tensor]->tensor;
    const std::vector<std::int64_t> expected = expected_shape(tensor, rate);
    const std::string where = label(rate) + ": tensor " + kNames[tensor];
    if (view.shape_string() != shape_string(expected))
      return refuse(where + " has shape " + view.shape_string() + ", expected " +
                    shape_string(expected));
    std::size_t count = 1;
    for (std::int64_t dim : expected)
      count *= static_cast<std::size_t>(dim);
    out->assign(count, 0.0f);
    std::string why;
    if (!onnx::read_floats(view, out->data(), count, &why))
      return refuse(label(rate) + ": " + why);
    for (float value : *out)
      if (!std::isfinite(value))
        return refuse(where + " holds a value that is not finite");
    return true;
  }

  static std::string label(int rate) { return rate == 16000 ? "16 kHz branch" : "8 kHz branch"; }

private:
  std::string *error_;
};

/* Packs W[cout][cin][3] (ONNX Conv weight) for the gemm kernel. */
void pack_conv(Gemm *layer, const std::vector<float> &weight, const std::vector<float> &bias,
               int cin, int cout, int kernel, int stride, int in_len, int out_len) {
  layer->cin = cin;
  layer->cout = cout;
  layer->positions = out_len;
  layer->stride = stride;
  layer->in_len = in_len;
  const int block = Gemm::block(out_len);
  layer->cout_padded = (cout + block - 1) / block * block;
  layer->n_taps = 0;
  for (int t = 0; t < kernel; t++) {
    bool used = false;
    for (int p = 0; p < out_len; p++) {
      const int r = p * stride + t - (kernel == 3 ? 1 : 0);
      used = used || (r >= 0 && r < in_len);
    }
    if (used)
      layer->taps[static_cast<std::size_t>(layer->n_taps++)] = kernel == 3 ? t : 1;
  }
  const std::size_t n_taps = static_cast<std::size_t>(layer->n_taps);
  const std::size_t b = static_cast<std::size_t>(block);
  const std::size_t k = static_cast<std::size_t>(kernel);
  layer->w.assign(static_cast<std::size_t>(layer->cout_padded) * n_taps *
                  static_cast<std::size_t>(cin));
  layer->b.assign(static_cast<std::size_t>(layer->cout_padded));
  float *w = layer->w.data();
  for (std::size_t ob = 0; ob < static_cast<std::size_t>(layer->cout_padded) / b; ob++)
    for (std::size_t ti = 0; ti < n_taps; ti++) {
      const std::size_t tap = kernel == 3 ? static_cast<std::size_t>(layer->taps[ti]) : 0;
      for (std::size_t c = 0; c < static_cast<std::size_t>(cin); c++)
        for (std::size_t j = 0; j < b; j++) {
          const std::size_t o = ob * b + j;
          *w++ = o < static_cast<std::size_t>(cout)
                     ? weight[(o * static_cast<std::size_t>(cin) + c) * k + tap]
                     : 0.0f;
        }
    }
  for (std::size_t o = 0; o < static_cast<std::size_t>(cout) && !bias.empty(); o++)
    layer->b.data()[o] = bias[o];
}

/* True when the basis is the periodic-Hann-windowed DFT (rows 0..bins-1
 * w[n] cos(2 pi k n / N), then -w[n] sin(...)), the window being row 0. */
bool basis_is_windowed_dft(const std::vector<float> &basis, int n_fft, int bins) {
  const std::size_t n = static_cast<std::size_t>(n_fft);
  for (std::size_t k = 0; k < static_cast<std::size_t>(bins); k++)
    for (std::size_t i = 0; i < n; i++) {
      const double angle = 2.0 * M_PI * static_cast<double>((k * i) % n) / static_cast<double>(n);
      const double window = basis[i];
      const double re = window * std::cos(angle), im = -window * std::sin(angle);
      if (std::fabs(basis[k * n + i] - re) > 1e-6 ||
          std::fabs(basis[(k + static_cast<std::size_t>(bins)) * n + i] - im) > 1e-6)
        return false;
    }
  return true;
}

/* Decodes and packs one branch, a tensor or two at a time (the decoded
 * copies are temporary). */
bool build_weights(Loader &loader, const Branch &branch, int rate, Weights *w) {
  std::vector<float> weight, bias;
  auto read = [&](std::size_t tensor, std::vector<float> *out) {
    return loader.read(branch, tensor, rate, out);
  };
  w->rate = rate;
  w->n_fft = rate == 16000 ? 256 : 128;
  w->hop = w->n_fft / 2;
  w->bins = w->n_fft / 2 + 1;
  w->pad = w->n_fft / 4;
  w->window = rate == 16000 ? 512 : 256;
  w->context = rate == 16000 ? 64 : 32;
  if (!read(kBasis, &weight))
    return false;
  w->fft = basis_is_windowed_dft(weight, w->n_fft, w->bins);
  const int half = w->n_fft / 2;
  if (w->fft) {
    w->hann.assign(static_cast<std::size_t>(w->n_fft));
    std::copy_n(weight.begin(), w->n_fft, w->hann.data());
    w->bitrev.assign(static_cast<std::size_t>(half), 0);
    int bits = 0;
    while ((1 << bits) < half)
      bits++;
    for (int m = 0; m < half; m++) {
      int r = 0;
      for (int bit = 0; bit < bits; bit++)
        r |= ((m >> bit) & 1) << (bits - 1 - bit);
      w->bitrev[static_cast<std::size_t>(m)] = r;
    }
    w->twiddle_re.assign(static_cast<std::size_t>(half));
    w->twiddle_im.assign(static_cast<std::size_t>(half));
    for (int s = 1; s < half; s <<= 1)
      for (int j = 0; j < s; j++) {
        const double angle = -M_PI * j / s;
        w->twiddle_re.data()[s + j] = static_cast<float>(std::cos(angle));
        w->twiddle_im.data()[s + j] = static_cast<float>(std::sin(angle));
      }
    w->post_re.assign(static_cast<std::size_t>(half + 1));
    w->post_im.assign(static_cast<std::size_t>(half + 1));
    for (int k = 0; k <= half; k++) {
      const double angle = -2.0 * M_PI * k / w->n_fft;
      w->post_re.data()[k] = static_cast<float>(std::cos(angle));
      w->post_im.data()[k] = static_cast<float>(std::sin(angle));
    }
  } else {
    /* The basis as a one-tap "conv" over the four frames (rows set per call). */
    pack_conv(&w->stft, weight, {}, w->n_fft, 2 * w->bins, 1, 1, 1, kFrames);
  }
  struct Layer {
    std::size_t weight, bias;
    int cin, cout, stride, in_len, out_len;
  };
  const Layer layers[] = {{kEnc0W, kEnc0B, w->bins, 128, 1, 4, 4},
                          {kEnc1W, kEnc1B, 128, 64, 2, 4, 2},
                          {kEnc2W, kEnc2B, 64, 64, 2, 2, 1},
                          {kEnc3W, kEnc3B, 64, 128, 1, 1, 1}};
  for (std::size_t i = 0; i < 4; i++) {
    const Layer &l = layers[i];
    if (!read(l.weight, &weight) || !read(l.bias, &bias))
      return false;
    pack_conv(&w->encoder[i], weight, bias, l.cin, l.cout, 3, l.stride, l.in_len, l.out_len);
  }
  /* LSTM: [W_ih | W_hh] as a [512][256][1] conv, biases summed. */
  std::vector<float> joined(4 * kHidden * 2 * kHidden);
  for (std::size_t half = 0; half < 2; half++) {
    if (!read(half == 0 ? kWeightIh : kWeightHh, &weight))
      return false;
    for (std::size_t o = 0; o < 4 * kHidden; o++)
      std::copy_n(weight.begin() + static_cast<std::ptrdiff_t>(o * kHidden), kHidden,
                  joined.begin() + static_cast<std::ptrdiff_t>(o * 2 * kHidden + half * kHidden));
  }
  if (!read(kBiasIh, &bias) || !read(kBiasHh, &weight))
    return false;
  for (std::size_t o = 0; o < 4 * kHidden; o++)
    bias[o] += weight[o];
  pack_conv(&w->lstm, joined, bias, 2 * kHidden, 4 * kHidden, 1, 1, 1, 1);
  if (!read(kDecoderW, &weight) || !read(kDecoderB, &bias))
    return false;
  std::copy_n(weight.begin(), kHidden, w->decoder_w.begin());
  w->decoder_b = bias[0];
  return true;
}

bool cpu_has_avx2() {
#if VOICEKIT_SILERO_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

} /* namespace silero_detail */

using namespace silero_detail;

/* ---- SileroModel ---------------------------------------------------------------- */

SileroModel::SileroModel() = default;
SileroModel::~SileroModel() = default;

std::shared_ptr<const SileroModel> SileroModel::load(const std::string &path, std::string *error) {
  auto refuse = [&](const std::string &why) -> std::shared_ptr<const SileroModel> {
    if (error != nullptr)
      *error = why;
    return nullptr;
  };
  /* Read, not mapped: a file truncated by someone else while we load would
   * turn a mapping into SIGBUS; a short read is just an error. The bytes are
   * freed once the weights are prepared. */
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return refuse(std::string("cannot open: ") + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int saved = errno;
    ::close(fd);
    return refuse(std::string("cannot read: ") + std::strerror(saved));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return refuse("not a regular file");
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size == 0) {
    ::close(fd);
    return refuse("empty file");
  }
  if (size > kMaxFileBytes) {
    ::close(fd);
    return refuse("larger than 64 MiB: not a Silero VAD model");
  }
  std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0) {
      const int saved = errno;
      ::close(fd);
      return refuse(got == 0 ? std::string("the file shrank while it was read")
                             : std::string("cannot read: ") + std::strerror(saved));
    }
    done += static_cast<std::size_t>(got);
  }
  ::close(fd);
  return load_from_memory(bytes.data(), bytes.size(), error);
}

std::shared_ptr<const SileroModel> SileroModel::load_from_memory(const void *data, std::size_t size,
                                                                 std::string *error) {
  auto refuse = [&](const std::string &why) -> std::shared_ptr<const SileroModel> {
    if (error != nullptr)
      *error = why;
    return nullptr;
  };
  if (size == 0 || data == nullptr)
    return refuse("empty file");
  if (size > kMaxFileBytes)
    return refuse("larger than 64 MiB: not a Silero VAD model");
  onnx::ModelView view;
  std::string why;
  if (!onnx::parse_model(static_cast<const std::uint8_t *>(data), size, is_wanted, &view, &why))
    return refuse("not a valid ONNX file: " + why);
  Loader loader(error);
  Branch b16, b8;
  if (!loader.find_branches(view, &b16, &b8) || !loader.check_graph(view, b16, 16000) ||
      !loader.check_graph(view, b8, 8000))
    return nullptr;
  std::shared_ptr<SileroModel> model(new SileroModel());
  model->w16_ = std::make_unique<Weights>();
  model->w8_ = std::make_unique<Weights>();
  if (!build_weights(loader, b16, 16000, model->w16_.get()) ||
      !build_weights(loader, b8, 8000, model->w8_.get()))
    return nullptr;
  model->avx2_ = cpu_has_avx2();
  return model;
}

std::size_t SileroModel::weight_bytes() const {
  return sizeof(SileroModel) + w16_->bytes() + w8_->bytes();
}

bool SileroModel::fft_front_end() const {
  return w16_->fft && w8_->fft;
}

const char *SileroModel::kernels() const {
  return avx2_ ? "avx2+fma" : "portable";
}

const Weights &SileroModel::weights(int rate) const {
  return rate == 8000 ? *w8_ : *w16_;
}

/* ---- SileroInference ------------------------------------------------------------ */

SileroInference::SileroInference(std::shared_ptr<const SileroModel> model, int rate)
    : SileroInference(std::move(model), rate, Options{}) {}

SileroInference::SileroInference(std::shared_ptr<const SileroModel> model, int rate,
                                 Options options)
    : model_(std::move(model)), buffers_(std::make_unique<Buffers>()), options_(options) {
  avx2_ = model_->avx2_ && !options_.portable_kernels;
  set_rate(rate);
}

SileroInference::~SileroInference() = default;

void SileroInference::set_rate(int rate) {
  rate_ = rate == 8000 ? 8000 : 16000;
  weights_ = &model_->weights(rate_);
  reset();
}

void SileroInference::reset() {
  Buffers &b = *buffers_;
  std::fill(std::begin(b.input), std::end(b.input), 0.0f);
  std::fill(std::begin(b.xhc), std::end(b.xhc), 0.0f);
  std::fill(std::begin(b.zeros), std::end(b.zeros), 0.0f);
}

const float *SileroInference::state() const {
  return buffers_->xhc + kHidden;
}

std::size_t SileroInference::state_bytes() const {
  return sizeof(*this) + sizeof(Buffers);
}

float SileroInference::process_window(const float *samples) {
  const Weights &w = *weights_;
  Buffers &b = *buffers_;
  const int length = w.context + w.window;
  std::memcpy(b.input + w.context, samples, static_cast<std::size_t>(w.window) * sizeof(float));
  for (int j = 0; j < w.pad; j++) /* reflect: x[L + j] = x[L - 2 - j] */
    b.input[length + j] = b.input[length - 2 - j];

  /* STFT magnitudes, [frame][bin]. */
  if (w.fft) {
    fft_magnitudes(w, b.input, b);
  } else {
    Rows rows;
    for (int f = 0; f < kFrames; f++)
      rows.at[static_cast<std::size_t>(f)] = b.input + f * w.hop;
    gemm(w.stft, rows, b.stft, false, avx2_);
    for (int f = 0; f < kFrames; f++)
      for (int k = 0; k < w.bins; k++) {
        const float re = b.stft[f * w.stft.cout_padded + k];
        const float im = b.stft[f * w.stft.cout_padded + w.bins + k];
        b.magnitude[f * w.bins + k] = std::sqrt(re * re + im * im);
      }
  }

  /* Encoder. */
  gemm(w.encoder[0], conv_rows(w.encoder[0], b.magnitude, b.zeros, false), b.e0, true, avx2_);
  gemm(w.encoder[1], conv_rows(w.encoder[1], b.e0, b.zeros, true), b.e1, true, avx2_);
  gemm(w.encoder[2], conv_rows(w.encoder[2], b.e1, b.zeros, true), b.e2, true, avx2_);
  gemm(w.encoder[3], conv_rows(w.encoder[3], b.e2, b.zeros, true), b.xhc, true, avx2_);

  /* LSTM cell (PyTorch gate order i, f, g, o). */
  gemm(w.lstm, conv_rows(w.lstm, b.xhc, b.zeros, true), b.gates, false, avx2_);
  float *h = b.xhc + kHidden;
  float *c = b.xhc + 2 * kHidden;
#if VOICEKIT_SILERO_X86
  if (avx2_)
    lstm_update_avx2(b.gates, h, c);
  else
#endif
    lstm_update_portable(b.gates, h, c);

  /* Decoder: ReLU, 1x1 conv to one channel, sigmoid. */
  float z = w.decoder_b;
  for (int j = 0; j < kHidden; j++)
    z += std::max(h[j], 0.0f) * w.decoder_w[static_cast<std::size_t>(j)];

  /* The context of the next window: this one's last samples. */
  std::memmove(b.input, b.input + w.window, static_cast<std::size_t>(w.context) * sizeof(float));
  if (std::isnan(z)) { /* overflowed (absurd weights or input): start again */
    std::fill(std::begin(b.xhc), std::end(b.xhc), 0.0f);
    return 0.0f;
  }
  return sigmoid(z);
}

/* ---- Engine ------------------------------------------------------------------------ */

namespace {

class SileroEngine final : public Engine {
public:
  explicit SileroEngine(std::shared_ptr<const SileroModel> model)
      : inference_(std::move(model), 16000) {}

  const char *name() const override { return "silero"; }

  void configure(int rate, std::size_t frame_samples) override {
    const bool native = rate == 16000 || rate == 8000;
    inference_.set_rate(native ? rate : 16000);
    resampler_.configure(rate, native ? rate : 16000, frame_samples);
    resampled_.assign(resampler_.max_output(frame_samples), 0.0f);
    window_.assign(inference_.window_samples(), 0.0f);
    frame_samples_ = frame_samples;
    reset();
  }

  void reset() override {
    inference_.reset();
    resampler_.reset();
    fill_ = 0;
    probability_ = 0.0f;
  }

  float process(const float *frame) override {
    if (window_.empty())
      return 0.0f; /* not configured */
    const std::size_t count = resampler_.process(frame, frame_samples_, resampled_.data());
    std::size_t done = 0;
    while (done < count) {
      const std::size_t take = std::min(count - done, window_.size() - fill_);
      std::memcpy(window_.data() + fill_, resampled_.data() + done, take * sizeof(float));
      fill_ += take;
      done += take;
      if (fill_ == window_.size()) {
        probability_ = inference_.process_window(window_.data());
        fill_ = 0;
      }
    }
    return probability_;
  }

private:
  SileroInference inference_;
  Resampler resampler_;
  std::vector<float> resampled_;
  std::vector<float> window_;
  std::size_t fill_ = 0;
  std::size_t frame_samples_ = 0;
  float probability_ = 0.0f;
};

} /* namespace */

std::unique_ptr<Engine> make_silero_engine(std::shared_ptr<const SileroModel> model) {
  if (!model)
    return nullptr;
  return std::make_unique<SileroEngine>(std::move(model));
}

double silero_resampler_delay(int rate) {
  if (rate == 16000 || rate == 8000)
    return 0.0;
  Resampler resampler;
  resampler.configure(rate, 16000, 1);
  return resampler.delay_seconds();
}

} /* namespace voicekit::vad */
