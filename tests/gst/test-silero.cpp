/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Unit tests of the native Silero VAD engine (gst/vad/silero.hpp), its model
 * reader (gst/vad/onnx.hpp) and resampler (gst/vad/resampler.hpp), and the
 * parity test against ONNX Runtime (SileroParity.*, run by the meson test
 * 'silero-parity').
 *
 * The models come from VOICEKIT_SILERO_MODEL_V5 and VOICEKIT_SILERO_MODEL_V6
 * (scripts/common.sh fetches them); ONNX Runtime for Node from
 * VOICEKIT_ORT_DIR. A missing variable fails the test: CI always has them.
 */
#include <gst/vad/resampler.hpp>
#include <gst/vad/silero.hpp>
#include <gst/vad/turn.hpp>
#include <gst/vad/vad.hpp>

#include "../common/silero-windows.hpp"
#include "../common/speech.hpp"

#include <gtest/gtest.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <new>
#include <random>
#include <string>
#include <vector>

/* ---- counting allocations ---------------------------------------------------------- */

/* The replaced operators below pair malloc with free; GCC, seeing free() on
 * what it takes for operator new's memory after inlining, would warn. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<long> g_allocations{0};
}

void *operator new(std::size_t size) {
  g_allocations++;
  if (void *p = std::malloc(size == 0 ? 1 : size))
    return p;
  throw std::bad_alloc();
}
void *operator new[](std::size_t size) {
  g_allocations++;
  if (void *p = std::malloc(size == 0 ? 1 : size))
    return p;
  throw std::bad_alloc();
}
void *operator new(std::size_t size, std::align_val_t align) {
  g_allocations++;
  const std::size_t a = static_cast<std::size_t>(align);
  if (void *p = std::aligned_alloc(a, (std::max<std::size_t>(size, 1) + a - 1) / a * a))
    return p;
  throw std::bad_alloc();
}
void *operator new[](std::size_t size, std::align_val_t align) {
  return operator new(size, align);
}
void operator delete(void *p) noexcept {
  std::free(p);
}
void operator delete[](void *p) noexcept {
  std::free(p);
}
void operator delete(void *p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void *p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void *p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void *p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void *p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

using namespace voicekit::vad;

namespace {

/* ---- helpers -------------------------------------------------------------------------- */

std::string env_path(const char *variable) {
  const char *value = std::getenv(variable);
  return value != nullptr ? value : "";
}

/* The model named by `variable`, loaded once per run. Fails the test (not a
 * skip) when the variable is unset or the model does not load. */
std::shared_ptr<const SileroModel> model(const char *variable) {
  static std::map<std::string, std::shared_ptr<const SileroModel>> loaded;
  auto &slot = loaded[variable];
  if (slot)
    return slot;
  const std::string path = env_path(variable);
  if (path.empty()) {
    ADD_FAILURE() << variable << " is not set: it must name the Silero VAD model "
                  << "(scripts/common.sh fetches it into ~/.cache/gst-voicekit/models)";
    return nullptr;
  }
  std::string error;
  slot = SileroModel::load(path, &error);
  if (!slot)
    ADD_FAILURE() << path << ": " << error;
  return slot;
}

const char *const kVariants[] = {"VOICEKIT_SILERO_MODEL_V5", "VOICEKIT_SILERO_MODEL_V6"};

std::vector<std::uint8_t> read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

/* The bytes of the model file named by `variable`: the test fails, and they
 * are empty, when it is not set. */
std::vector<std::uint8_t> model_file(const char *variable) {
  const std::string path = env_path(variable);
  EXPECT_FALSE(path.empty()) << variable << " is not set";
  return path.empty() ? std::vector<std::uint8_t>() : read_file(path);
}

bool write_file(const std::string &path, const void *data, std::size_t size) {
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (file == nullptr)
    return false;
  const bool ok = std::fwrite(data, 1, size, file) == size;
  return std::fclose(file) == 0 && ok;
}

std::vector<float> to_float(const std::vector<std::int16_t> &samples) {
  std::vector<float> out(samples.size());
  for (std::size_t i = 0; i < samples.size(); i++)
    out[i] = static_cast<float>(samples[i]) / 32768.0f;
  return out;
}

/* Mono S16 WAV (alsa-utils' test sounds): samples and rate. */
std::vector<float> load_wav(const std::string &path, int *rate) {
  const std::vector<std::uint8_t> bytes = read_file(path);
  auto u32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(bytes[at]) | static_cast<std::uint32_t>(bytes[at + 1]) << 8 |
           static_cast<std::uint32_t>(bytes[at + 2]) << 16 |
           static_cast<std::uint32_t>(bytes[at + 3]) << 24;
  };
  std::vector<float> out;
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0) {
    ADD_FAILURE() << "missing or bad WAV " << path << " (Debian package alsa-utils)";
    return out;
  }
  int channels = 1;
  for (std::size_t at = 12; at + 8 <= bytes.size();) {
    const std::uint32_t size = u32(at + 4);
    if (std::memcmp(&bytes[at], "fmt ", 4) == 0 && at + 16 <= bytes.size()) {
      channels = bytes[at + 10];
      *rate = static_cast<int>(u32(at + 12));
    } else if (std::memcmp(&bytes[at], "data", 4) == 0) {
      const std::size_t end = std::min<std::size_t>(bytes.size(), at + 8 + size);
      for (std::size_t i = at + 8; i + 2 * static_cast<std::size_t>(channels) <= end;
           i += 2 * static_cast<std::size_t>(channels))
        out.push_back(static_cast<float>(static_cast<std::int16_t>(bytes[i] | bytes[i + 1] << 8)) /
                      32768.0f);
      break;
    }
    at += 8 + size + (size & 1);
  }
  return out;
}

std::vector<float> resample(const std::vector<float> &in, int from, int to) {
  Resampler resampler;
  resampler.configure(from, to, in.size());
  std::vector<float> out(resampler.max_output(in.size()));
  out.resize(resampler.process(in.data(), in.size(), out.data()));
  return out;
}

/* Probabilities of consecutive windows (a partial last window is dropped). */
std::vector<float> run_windows(SileroInference &inference, const std::vector<float> &signal) {
  std::vector<float> out;
  const std::size_t n = inference.window_samples();
  for (std::size_t i = 0; i + n <= signal.size(); i += n)
    out.push_back(inference.process_window(signal.data() + i));
  return out;
}

float max_abs_diff(const std::vector<float> &a, const std::vector<float> &b) {
  float diff = a.size() == b.size() ? 0.0f : INFINITY;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); i++)
    diff = std::max(diff, std::fabs(a[i] - b[i]));
  return diff;
}

/* Where the speech is in two_turns(rate, gap): [start, end) in seconds. */
struct Span {
  double start, end;
};
std::vector<Span> two_turn_spans(double gap_s) {
  const double speech_s =
      static_cast<double>(voicekit::testing::load_raw_s16("goforward.raw").size()) / 16000.0;
  return {{gap_s, gap_s + speech_s}, {2 * gap_s + speech_s, 2 * gap_s + 2 * speech_s}};
}

/* Probabilities of two_turns at `rate` must be speech where the speech is and
 * silence well away from it. `window_s` is the duration of one window. */
void expect_speech_in_place(const std::vector<float> &p, double window_s, const char *what) {
  const std::vector<Span> spans = two_turn_spans(1.5);
  for (std::size_t s = 0; s < spans.size(); s++) {
    float highest = 0.0f;
    std::size_t speech = 0, total = 0;
    double first_speech = -1.0;
    for (std::size_t i = 0; i < p.size(); i++) {
      const double start = static_cast<double>(i) * window_s, end = start + window_s;
      if (start >= spans[s].start && end <= spans[s].end) {
        highest = std::max(highest, p[i]);
        total++;
        speech += p[i] >= 0.5f ? 1 : 0;
      }
      if (first_speech < 0 && p[i] >= 0.5f && end > spans[s].start - 0.2)
        first_speech = start;
    }
    EXPECT_GT(highest, 0.95f) << what << ", turn " << s + 1;
    EXPECT_GE(speech * 2, total) << what << ", turn " << s + 1 << ": " << speech << " of " << total
                                 << " windows of speech";
    EXPECT_GE(first_speech, spans[s].start - 0.1) << what << ", turn " << s + 1;
    EXPECT_LE(first_speech, spans[s].start + 0.8) << what << ", turn " << s + 1;
  }
  /* Silence: the gaps, from 0.3 s after a turn to the next one. */
  for (std::size_t i = 0; i < p.size(); i++) {
    const double start = static_cast<double>(i) * window_s, end = start + window_s;
    bool near_speech = false;
    for (const Span &span : spans)
      near_speech = near_speech || (end > span.start && start < span.end + 0.3);
    if (!near_speech) {
      ASSERT_LT(p[i], 0.1f) << what << ": window " << i << " at " << start << " s";
    }
  }
}

/* Offsets in a model file: the raw data of the last tensor named `name`
 * (the 16 kHz branch comes after the 8 kHz one in the Silero files), and the
 * start of its TensorProto fields before the name. */
struct TensorBytes {
  std::size_t name = 0; /* TensorProto.name key */
  std::size_t raw = 0;  /* first byte of raw_data */
};
TensorBytes find_tensor(const std::vector<std::uint8_t> &bytes, const std::string &name) {
  /* TensorProto.name: key 0x42, one-byte length, the name; then raw_data:
   * key 0x4a and a varint length. Before the name: the dims and data_type
   * fields (key 0x10, 0x01 for FLOAT). */
  std::string pattern = "\x42";
  pattern += static_cast<char>(name.size());
  pattern += name;
  TensorBytes found;
  const std::string_view haystack(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  const std::size_t at = haystack.rfind(pattern);
  if (at == std::string_view::npos)
    return found;
  std::size_t raw = at + pattern.size();
  if (raw >= bytes.size() || bytes[raw] != 0x4a)
    return found;
  raw++;
  while (raw < bytes.size() && (bytes[raw] & 0x80) != 0)
    raw++;
  found.name = at;
  found.raw = raw + 1;
  return found;
}

std::string load_error(const std::vector<std::uint8_t> &bytes) {
  std::string error;
  auto loaded = SileroModel::load_from_memory(bytes.data(), bytes.size(), &error);
  if (loaded)
    return "";
  return error.empty() ? "(failed without a reason)" : error;
}

} /* namespace */

/* ---- the model ------------------------------------------------------------------------ */

TEST(SileroModel, LoadsV5AndV6) {
  for (const char *variant : kVariants) {
    auto loaded = model(variant);
    ASSERT_TRUE(loaded) << variant;
    EXPECT_TRUE(loaded->fft_front_end()) << variant;
    /* Both branches' weights, prepared: 0.9 + 0.8 MB. */
    EXPECT_GT(loaded->weight_bytes(), 1500000u);
    EXPECT_LT(loaded->weight_bytes(), 2000000u);
    std::printf("%s: %zu bytes of weights, kernels %s\n", variant, loaded->weight_bytes(),
                loaded->kernels());
  }
  /* v5 and v6 are different weights: different outputs on the same speech. */
  auto v5 = model(kVariants[0]), v6 = model(kVariants[1]);
  ASSERT_TRUE(v5 && v6);
  const std::vector<float> speech = to_float(voicekit::testing::load_raw_s16("goforward.raw"));
  SileroInference a(v5), b(v6);
  EXPECT_GT(max_abs_diff(run_windows(a, speech), run_windows(b, speech)), 0.01f);
}

/* ---- inference ------------------------------------------------------------------------- */

TEST(SileroInference, SilenceAndNoiseAreNotSpeech) {
  int noise_rate = 0;
  const std::vector<float> recorded = load_wav("/usr/share/sounds/alsa/Noise.wav", &noise_rate);
  ASSERT_FALSE(recorded.empty());
  std::mt19937 random(11);
  std::normal_distribution<float> white(0.0f, 0.03f);
  std::vector<float> noise(16000 * 3);
  for (float &x : noise)
    x = white(random);
  for (const char *variant : kVariants) {
    auto loaded = model(variant);
    ASSERT_TRUE(loaded);
    for (int rate : {16000, 8000}) {
      SileroInference inference(loaded, rate);
      for (float p : run_windows(inference, std::vector<float>(static_cast<std::size_t>(rate) * 3)))
        ASSERT_LT(p, 0.05f) << variant << " on digital silence at " << rate;
      inference.reset();
      for (float p : run_windows(inference, resample(noise, 16000, rate)))
        ASSERT_LT(p, 0.2f) << variant << " on white noise at " << rate;
      inference.reset();
      const std::vector<float> probabilities =
          run_windows(inference, resample(recorded, noise_rate, rate));
      ASSERT_FALSE(probabilities.empty());
      for (float p : probabilities)
        ASSERT_LT(p, 0.3f) << variant << " on alsa's Noise.wav at " << rate;
    }
  }
}

TEST(SileroInference, FindsSpeechWhereItIs) {
  const std::vector<float> speech = to_float(voicekit::testing::two_turns(16000));
  const std::vector<float> speech8 = to_float(voicekit::testing::two_turns(8000));
  for (const char *variant : kVariants) {
    auto loaded = model(variant);
    ASSERT_TRUE(loaded);
    SileroInference at16(loaded, 16000), at8(loaded, 8000);
    EXPECT_EQ(at16.window_samples(), 512u);
    EXPECT_EQ(at8.window_samples(), 256u);
    expect_speech_in_place(run_windows(at16, speech), 0.032,
                           (std::string(variant) + " at 16 kHz").c_str());
    expect_speech_in_place(run_windows(at8, speech8), 0.032,
                           (std::string(variant) + " at 8 kHz").c_str());
  }
}

TEST(SileroInference, ResetRestoresTheInitialState) {
  auto loaded = model(kVariants[0]);
  ASSERT_TRUE(loaded);
  const std::vector<float> speech = to_float(voicekit::testing::two_turns(16000, 0.5));
  for (int rate : {16000, 8000}) {
    SileroInference inference(loaded, rate);
    const std::vector<float> first = run_windows(inference, speech);
    bool state_moved = false;
    for (int i = 0; i < 256; i++)
      state_moved = state_moved || inference.state()[i] != 0.0f;
    EXPECT_TRUE(state_moved);
    inference.reset();
    for (int i = 0; i < 256; i++)
      ASSERT_EQ(inference.state()[i], 0.0f);
    const std::vector<float> second = run_windows(inference, speech);
    EXPECT_EQ(first, second) << rate;
    SileroInference fresh(loaded, rate);
    EXPECT_EQ(run_windows(fresh, speech), first) << rate;
  }
}

/* The state (context and LSTM) carries: the same window after different
 * histories gives different probabilities, and one stream's state does not
 * leak into another's sharing the model. */
TEST(SileroInference, StateIsCarriedAndPerStream) {
  auto loaded = model(kVariants[0]);
  ASSERT_TRUE(loaded);
  const std::vector<float> speech = to_float(voicekit::testing::load_raw_s16("goforward.raw"));
  const std::vector<float> silence(512, 0.0f);
  SileroInference after_speech(loaded), after_silence(loaded);
  run_windows(after_speech, std::vector<float>(speech.begin(), speech.begin() + 512 * 40));
  run_windows(after_silence, std::vector<float>(512 * 40, 0.0f));
  EXPECT_GT(std::fabs(after_speech.process_window(silence.data()) -
                      after_silence.process_window(silence.data())),
            1e-3f);

  /* Interleaved streams on one model = each stream alone. */
  const std::vector<float> other = to_float(voicekit::testing::load_raw_s16("numbers.raw"));
  SileroInference a(loaded), b(loaded), alone_a(loaded), alone_b(loaded);
  const std::vector<float> expect_a = run_windows(alone_a, speech);
  const std::vector<float> expect_b = run_windows(alone_b, other);
  std::vector<float> got_a, got_b;
  for (std::size_t i = 0; i + 512 <= std::min(speech.size(), other.size()); i += 512) {
    got_a.push_back(a.process_window(speech.data() + i));
    got_b.push_back(b.process_window(other.data() + i));
  }
  ASSERT_FALSE(got_a.empty());
  EXPECT_TRUE(std::equal(got_a.begin(), got_a.end(), expect_a.begin()));
  EXPECT_TRUE(std::equal(got_b.begin(), got_b.end(), expect_b.begin()));
}

TEST(SileroInference, PortableKernelsGiveTheSameProbabilities) {
  const std::vector<float> speech = to_float(voicekit::testing::two_turns(16000, 0.5));
  const std::vector<float> speech8 = to_float(voicekit::testing::two_turns(8000, 0.5));
  for (const char *variant : kVariants) {
    auto loaded = model(variant);
    ASSERT_TRUE(loaded);
    for (int rate : {16000, 8000}) {
      const std::vector<float> &signal = rate == 16000 ? speech : speech8;
      SileroInference fast(loaded, rate), portable(loaded, rate, {true});
      const float diff = max_abs_diff(run_windows(fast, signal), run_windows(portable, signal));
      EXPECT_LT(diff, 1e-5f) << variant << " at " << rate;
      std::printf("%s at %d Hz: %s vs portable kernels, max diff %.3g\n", variant, rate,
                  loaded->kernels(), static_cast<double>(diff));
    }
  }
}

TEST(SileroInference, NoAllocationPerWindow) {
  auto loaded = model(kVariants[1]);
  ASSERT_TRUE(loaded);
  const std::vector<float> speech = to_float(voicekit::testing::load_raw_s16("goforward.raw"));
  for (bool portable : {false, true})
    for (int rate : {16000, 8000}) {
      SileroInference inference(loaded, rate, {portable});
      const std::size_t n = inference.window_samples();
      const long before = g_allocations.load();
      float sum = 0.0f;
      for (int round = 0; round < 3; round++) {
        for (std::size_t i = 0; i + n <= speech.size(); i += n)
          sum += inference.process_window(speech.data() + i);
        inference.reset();
      }
      const long after = g_allocations.load();
      EXPECT_EQ(after - before, 0) << "allocations in process_window/reset at " << rate;
      EXPECT_GT(sum, 1.0f);
    }
  /* The counter does count. */
  const long before = g_allocations.load();
  auto probe = std::make_unique<SileroInference>(loaded);
  EXPECT_GT(g_allocations.load() - before, 0);
}

/* ---- the model reader -------------------------------------------------------------- */

TEST(SileroLoader, RefusesMissingEmptyAndForeignFiles) {
  std::string error;
  EXPECT_FALSE(SileroModel::load("/nonexistent/silero.onnx", &error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;

  char dir_template[] = "/tmp/voicekit-silero-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string empty = dir + "/empty.onnx";
  ASSERT_TRUE(write_file(empty, "", 0));
  EXPECT_FALSE(SileroModel::load(empty, &error));
  EXPECT_NE(error.find("empty"), std::string::npos) << error;

  /* A real PNG: signature, IHDR, IDAT, IEND (1x1 grey). */
  const std::uint8_t png[] = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
      0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00,
      0x00, 0x3a, 0x7e, 0x9b, 0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78,
      0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0xe5, 0x27, 0xde, 0xfc, 0x00,
      0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
  const std::string png_path = dir + "/image.png";
  ASSERT_TRUE(write_file(png_path, png, sizeof png));
  EXPECT_FALSE(SileroModel::load(png_path, &error));
  EXPECT_NE(error.find("not a valid ONNX file"), std::string::npos) << error;

  /* A directory is not a model either. */
  EXPECT_FALSE(SileroModel::load(dir, &error));
  EXPECT_FALSE(error.empty());

  std::remove(empty.c_str());
  std::remove(png_path.c_str());
  rmdir(dir.c_str());

  /* Random bytes, of many sizes. */
  std::mt19937 random(5);
  for (int trial = 0; trial < 2000; trial++) {
    std::vector<std::uint8_t> bytes(1 + random() % (trial < 1000 ? 64 : 65536));
    for (auto &b : bytes)
      b = static_cast<std::uint8_t>(random());
    EXPECT_NE(load_error(bytes), "") << "random bytes, trial " << trial;
  }
}

namespace {

/* Protobuf wire format, to build small ONNX files by hand. */
using Bytes = std::vector<std::uint8_t>;
Bytes varint(std::uint64_t value) {
  Bytes out;
  do {
    out.push_back(static_cast<std::uint8_t>((value & 0x7f) | (value > 0x7f ? 0x80 : 0)));
    value >>= 7;
  } while (value != 0);
  return out;
}
Bytes field(std::uint32_t number, std::uint64_t value) { /* varint field */
  Bytes out = varint(number << 3);
  const Bytes v = varint(value);
  out.insert(out.end(), v.begin(), v.end());
  return out;
}
Bytes field(std::uint32_t number, const Bytes &value) { /* length-delimited */
  Bytes out = varint(number << 3 | 2);
  const Bytes length = varint(value.size());
  out.insert(out.end(), length.begin(), length.end());
  out.insert(out.end(), value.begin(), value.end());
  return out;
}
Bytes text(const std::string &s) {
  return Bytes(s.begin(), s.end());
}
Bytes operator+(Bytes a, const Bytes &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/* ModelProto around a graph: ir_version 8, opset 16. */
Bytes onnx_model(const Bytes &graph) {
  return field(1, 8) + field(7, graph) + field(8, field(1, text("")) + field(2, 16));
}
/* A Constant node whose tensor has these dims. */
Bytes constant(const std::string &name, const std::vector<std::uint64_t> &dims) {
  Bytes tensor;
  std::uint64_t count = 1;
  for (std::uint64_t d : dims) {
    tensor = tensor + field(1, d);
    count *= d;
  }
  tensor = tensor + field(2, 1) + field(8, text(name)) + field(9, Bytes(count * 4, 0));
  return field(2, text(name)) + field(4, text("Constant")) +
         field(5, field(1, text("value")) + field(5, tensor));
}

} /* namespace */

/* A valid ONNX file that is not Silero. */
TEST(SileroLoader, RefusesAnotherModel) {
  std::string error = load_error(onnx_model(field(1, constant("w", {1}))));
  EXPECT_NE(error.find("no 16 kHz branch"), std::string::npos) << error;
  EXPECT_NE(error.find("not a Silero VAD"), std::string::npos) << error;
  /* Silero-like, but the basis has another shape. */
  error = load_error(onnx_model(field(1, constant("stft.forward_basis_buffer", {258, 1, 255}))));
  EXPECT_NE(error.find("stft.forward_basis_buffer has shape [258, 1, 255]"), std::string::npos)
      << error;
  /* The right basis and nothing else. */
  error = load_error(onnx_model(field(1, constant("stft.forward_basis_buffer", {258, 1, 256}))));
  EXPECT_NE(error.find("16 kHz branch: missing tensor encoder.0.reparam_conv.weight"),
            std::string::npos)
      << error;
  /* No graph, no opset. */
  error = load_error(field(1, 8) + field(8, field(1, text("")) + field(2, 16)));
  EXPECT_NE(error.find("no graph"), std::string::npos) << error;
  error = load_error(field(1, 8) + field(7, field(1, constant("w", {1}))));
  EXPECT_NE(error.find("no opset_import"), std::string::npos) << error;
}

/* Wire-format damage gives errors that say what and where. */
TEST(SileroLoader, RefusesBrokenProtobuf) {
  const Bytes good = onnx_model(field(1, constant("w", {2, 3})));
  EXPECT_NE(load_error(good).find("no 16 kHz branch"), std::string::npos);

  Bytes wire = good;
  wire.push_back(0x0b); /* field 1, wire type 3 (group) */
  std::string error = load_error(wire);
  EXPECT_NE(error.find("unsupported wire type 3 at byte " + std::to_string(good.size())),
            std::string::npos)
      << error;

  Bytes long_varint = field(1, 8) + Bytes{0x10}; /* field 2, varint of 11 bytes */
  for (int i = 0; i < 10; i++)
    long_varint.push_back(0xff);
  long_varint.push_back(0x01);
  error = load_error(long_varint);
  EXPECT_NE(error.find("varint"), std::string::npos) << error;

  Bytes too_long = field(1, 8) + varint(7 << 3 | 2) + varint(1000) + Bytes(10, 0);
  error = load_error(too_long);
  EXPECT_NE(error.find("truncated (a field of 1000 bytes, 10 left in its message) at byte 3"),
            std::string::npos)
      << error;

  /* Subgraphs nested past the limit (an If in an If in ...). */
  Bytes graph = field(1, constant("w", {1}));
  for (int depth = 0; depth < 12; depth++)
    graph =
        field(1, field(4, text("If")) + field(5, field(1, text("then_branch")) + field(6, graph)));
  error = load_error(onnx_model(graph));
  EXPECT_NE(error.find("nested deeper than 8"), std::string::npos) << error;

  /* Tensor dims: too many, negative. */
  error = load_error(
      onnx_model(field(1, constant("stft.forward_basis_buffer", {1, 1, 1, 1, 1, 1, 1, 1, 1}))));
  EXPECT_NE(error.find("more than 8 dimensions"), std::string::npos) << error;
  Bytes negative = field(1, static_cast<std::uint64_t>(-5)) + field(2, 1) +
                   field(8, text("stft.forward_basis_buffer"));
  error =
      load_error(onnx_model(field(1, field(2, text("x")) + field(4, text("Constant")) +
                                         field(5, field(1, text("value")) + field(5, negative)))));
  EXPECT_NE(error.find("negative dimension"), std::string::npos) << error;
}

/* Cut at any byte: always an error, never a crash (and never a model). */
TEST(SileroLoader, RefusesATruncatedFile) {
  for (const char *variant : kVariants) {
    const std::vector<std::uint8_t> bytes = model_file(variant);
    ASSERT_GT(bytes.size(), 1000000u) << variant;
    std::vector<std::size_t> cuts;
    for (std::size_t n = 0; n < 4096; n++)
      cuts.push_back(n);
    for (std::size_t n = 4096; n < bytes.size() - 4096; n += 211)
      cuts.push_back(n);
    for (std::size_t n = bytes.size() - 4096; n < bytes.size(); n++)
      cuts.push_back(n);
    std::map<std::string, int> reasons;
    for (std::size_t n : cuts) {
      /* A copy of exactly n bytes (so that a sanitizer sees any read past
       * the cut) at the two ends and every 1/1000 of the file; the bytes
       * themselves, shorter, elsewhere. */
      const bool copy = n < 4096 || n >= bytes.size() - 4096 || n % 2321 < 211;
      std::string error;
      if (copy) {
        const std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
        error = load_error(cut);
      } else if (!SileroModel::load_from_memory(bytes.data(), n, &error)) {
        error = error.empty() ? "(failed without a reason)" : error;
      } else {
        error.clear();
      }
      ASSERT_NE(error, "") << variant << " cut at " << n << " of " << bytes.size() << " loaded";
      reasons[error.substr(0, error.find(" at byte"))]++;
    }
    std::printf("%s: %zu cuts refused; first reasons:\n", variant, cuts.size());
    int shown = 0;
    for (const auto &[reason, count] : reasons)
      if (shown++ < 6)
        std::printf("  %5d x %s\n", count, reason.c_str());

    /* Through files, as the element loads them. */
    char dir_template[] = "/tmp/voicekit-silero-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    const std::string file = std::string(dir_template) + "/cut.onnx";
    for (std::size_t n : {std::size_t{1}, std::size_t{100}, bytes.size() / 3, bytes.size() / 2,
                          bytes.size() - 100, bytes.size() - 1}) {
      ASSERT_TRUE(write_file(file, bytes.data(), n));
      std::string error;
      EXPECT_FALSE(SileroModel::load(file, &error)) << "cut at " << n;
      EXPECT_FALSE(error.empty());
    }
    ASSERT_TRUE(write_file(file, bytes.data(), bytes.size()));
    std::string error;
    EXPECT_TRUE(SileroModel::load(file, &error)) << error;
    std::remove(file.c_str());
    rmdir(dir_template);
  }
}

/* Flipped bytes: an error, or a model that still gives probabilities (a flip
 * inside a weight's data cannot be detected: the file has no checksum). */
TEST(SileroLoader, SurvivesFlippedBytes) {
  const std::vector<std::uint8_t> bytes = model_file(kVariants[0]);
  ASSERT_FALSE(bytes.empty());
  const std::vector<float> speech = to_float(voicekit::testing::load_raw_s16("goforward.raw"));
  /* Where the graph's structure is (node names, inputs and outputs all
   * start so), as opposed to the weights' data, which fill most of the file. */
  std::vector<std::size_t> structure;
  const std::string_view all(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  for (std::size_t at = all.find("If_0_"); at != std::string_view::npos;
       at = all.find("If_0_", at + 1))
    structure.push_back(at);
  ASSERT_GT(structure.size(), 100u);
  std::mt19937 random(17);
  int refused = 0, loaded = 0;
  for (int trial = 0; trial < 600; trial++) {
    std::vector<std::uint8_t> flipped = bytes;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; f++) {
      /* Two thirds of the flips land near the structure, the rest anywhere. */
      std::size_t at = random() % bytes.size();
      if (trial % 3 != 0)
        at =
            std::min(bytes.size() - 1, structure[random() % structure.size()] + random() % 96 - 24);
      flipped[at] ^= static_cast<std::uint8_t>(1u << (random() % 8));
    }
    std::string error;
    auto model_bytes = SileroModel::load_from_memory(flipped.data(), flipped.size(), &error);
    if (!model_bytes) {
      EXPECT_FALSE(error.empty());
      refused++;
      continue;
    }
    loaded++;
    SileroInference inference(model_bytes);
    for (float p :
         run_windows(inference, std::vector<float>(speech.begin(), speech.begin() + 8192)))
      ASSERT_TRUE(p >= 0.0f && p <= 1.0f) << "trial " << trial;
  }
  std::printf("flipped bytes: %d refused, %d loaded\n", refused, loaded);
  EXPECT_GT(refused, 50);
}

TEST(SileroLoader, NamesTheBadTensor) {
  const std::vector<std::uint8_t> bytes = model_file(kVariants[0]);
  ASSERT_FALSE(bytes.empty());
  const TensorBytes enc1 = find_tensor(bytes, "encoder.1.reparam_conv.weight");
  ASSERT_NE(enc1.raw, 0u);
  /* dims 64, 128, 3 are the varints 0x40, 0x80 0x01, 0x03 after their keys. */
  ASSERT_EQ(bytes[enc1.name - 3], 0x03);
  ASSERT_EQ(bytes[enc1.name - 1], 0x01); /* data_type FLOAT */

  std::vector<std::uint8_t> shape = bytes;
  shape[enc1.name - 3] = 0x02;
  std::string error = load_error(shape);
  EXPECT_NE(error.find("16 kHz branch: tensor encoder.1.reparam_conv.weight has shape "
                       "[64, 128, 2], expected [64, 128, 3]"),
            std::string::npos)
      << error;

  std::vector<std::uint8_t> type = bytes;
  type[enc1.name - 1] = 0x0b; /* DOUBLE */
  error = load_error(type);
  EXPECT_NE(error.find("encoder.1.reparam_conv.weight"), std::string::npos) << error;
  EXPECT_NE(error.find("data type 11"), std::string::npos) << error;

  std::vector<std::uint8_t> nan = bytes;
  const std::uint8_t quiet_nan[] = {0x00, 0x00, 0xc0, 0x7f};
  std::memcpy(&nan[enc1.raw + 400], quiet_nan, 4);
  error = load_error(nan);
  EXPECT_NE(error.find("encoder.1.reparam_conv.weight holds a value that is not finite"),
            std::string::npos)
      << error;

  /* A tensor renamed away (name and node output): missing. */
  std::vector<std::uint8_t> renamed = bytes;
  const std::string name = "decoder.rnn.bias_hh";
  const std::string_view all(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  int renames = 0;
  for (std::size_t at = all.find(name); at != std::string_view::npos; at = all.find(name, at + 1)) {
    if (at > bytes.size() / 2) { /* the 16 kHz branch's */
      renamed[at + name.size() - 1] = 'X';
      renames++;
    }
  }
  ASSERT_GT(renames, 0);
  error = load_error(renamed);
  EXPECT_NE(error.find("16 kHz branch: missing tensor decoder.rnn.bias_hh"), std::string::npos)
      << error;
}

/* A basis that is not exactly a Hann-windowed DFT runs as a matrix product:
 * the same probabilities as the FFT within the perturbation's effect. */
TEST(SileroLoader, RunsAnyStftBasis) {
  const std::vector<std::uint8_t> bytes = model_file(kVariants[0]);
  ASSERT_FALSE(bytes.empty());
  const TensorBytes basis = find_tensor(bytes, "stft.forward_basis_buffer");
  ASSERT_NE(basis.raw, 0u);
  std::vector<std::uint8_t> changed = bytes;
  float value;
  const std::size_t at = basis.raw + 4 * (256 * 3 + 77);
  std::memcpy(&value, &changed[at], 4);
  value += 1e-5f;
  std::memcpy(&changed[at], &value, 4);
  std::string error;
  auto direct = SileroModel::load_from_memory(changed.data(), changed.size(), &error);
  ASSERT_TRUE(direct) << error;
  EXPECT_FALSE(direct->fft_front_end());
  auto original = model(kVariants[0]);
  ASSERT_TRUE(original && original->fft_front_end());
  const std::vector<float> speech = to_float(voicekit::testing::two_turns(16000, 0.5));
  for (bool portable : {false, true}) {
    SileroInference a(original), b(direct, 16000, {portable});
    const float diff = max_abs_diff(run_windows(a, speech), run_windows(b, speech));
    EXPECT_LT(diff, 1e-4f) << (portable ? "portable" : direct->kernels());
  }
}

/* ---- resampler -------------------------------------------------------------------------- */

namespace {

std::vector<float> sine(double hz, int rate, double seconds, double phase = 0.0) {
  std::vector<float> out(static_cast<std::size_t>(seconds * rate));
  for (std::size_t i = 0; i < out.size(); i++)
    out[i] =
        static_cast<float>(0.5 * std::sin(2.0 * M_PI * hz * static_cast<double>(i) / rate + phase));
  return out;
}

/* RMS over the middle half (away from the start-up). */
double middle_rms(const std::vector<float> &x) {
  double sum = 0.0;
  const std::size_t a = x.size() / 4, b = 3 * x.size() / 4;
  for (std::size_t i = a; i < b; i++)
    sum += static_cast<double>(x[i]) * x[i];
  return std::sqrt(sum / static_cast<double>(b - a));
}

} /* namespace */

TEST(Resampler, PassesSpeechAndStopsAliases) {
  const double amplitude_rms = 0.5 / std::sqrt(2.0);
  for (int from : {11025, 12000, 22050, 24000, 32000, 44100, 48000, 47999}) {
    /* 1 kHz passes, in phase with the input's timeline. */
    const std::vector<float> out = resample(sine(1000.0, from, 1.0), from, 16000);
    EXPECT_NEAR(middle_rms(out), amplitude_rms, 0.005 * amplitude_rms) << from;
    const std::vector<float> expect = sine(1000.0, 16000, 1.0);
    float worst = 0.0f;
    for (std::size_t i = out.size() / 4; i < 3 * out.size() / 4; i++)
      worst = std::max(worst, std::fabs(out[i] - expect[i]));
    EXPECT_LT(worst, 0.01f) << from << " Hz: output not aligned with the input";
    /* A tone the output cannot hold (aliasing would fold it below 8 kHz):
     * at least 50 dB down. */
    const double high = from > 16000 ? 9500.0 : 0.52 * from;
    if (high < from / 2.0) {
      const std::vector<float> alias = resample(sine(high, from, 1.0), from, 16000);
      EXPECT_LT(middle_rms(alias), amplitude_rms * 0.00316) << from << " Hz, tone " << high;
    }
  }
}

TEST(Resampler, AnyChunkingGivesTheSameOutput) {
  std::mt19937 random(3);
  std::normal_distribution<float> noise(0.0f, 0.2f);
  std::vector<float> in(44100);
  for (float &x : in)
    x = noise(random);
  for (int from : {44100, 22050, 11025, 8000}) {
    const std::vector<float> whole = resample(in, from, 16000);
    Resampler resampler;
    resampler.configure(from, 16000, 700);
    std::vector<float> pieces, buffer(resampler.max_output(700));
    for (std::size_t done = 0; done < in.size();) {
      const std::size_t n = std::min<std::size_t>(in.size() - done, 1 + random() % 700);
      const std::size_t got = resampler.process(in.data() + done, n, buffer.data());
      ASSERT_LE(got, resampler.max_output(n));
      pieces.insert(pieces.end(), buffer.begin(), buffer.begin() + static_cast<long>(got));
      done += n;
    }
    EXPECT_EQ(pieces, whole) << from;
    /* About in.size() * 16000 / from outputs, less the look-ahead. */
    const double expected = static_cast<double>(in.size()) * 16000.0 / from;
    EXPECT_NEAR(static_cast<double>(whole.size()), expected,
                resampler.delay_seconds() * 16000.0 + 2.0)
        << from;
    EXPECT_LT(resampler.delay_seconds(), 0.0025) << from;
  }
}

/* ---- the engine ------------------------------------------------------------------------- */

namespace {

struct Detection {
  std::vector<TurnEvent> events;
  std::vector<float> probabilities;
};

Detection detect(FrameAnalyzer &analyzer, const std::vector<std::int16_t> &samples, int rate) {
  Detection out;
  TurnDetector turn;
  const std::size_t chunk = static_cast<std::size_t>(rate) / 50;
  for (std::size_t done = 0; done < samples.size(); done += chunk) {
    const std::size_t count = std::min(chunk, samples.size() - done);
    analyzer.push(samples.data() + done, count, [&](const FrameResult &frame) {
      const auto r = static_cast<std::uint64_t>(rate);
      out.probabilities.push_back(frame.probability);
      if (auto event = turn.push(frame.probability,
                                 (frame.end_sample - frame.frame_samples) * 1000000000ull / r,
                                 frame.end_sample * 1000000000ull / r))
        out.events.push_back(*event);
    });
  }
  if (auto event =
          turn.finish(analyzer.samples_fed() * 1000000000ull / static_cast<std::uint64_t>(rate)))
    out.events.push_back(*event);
  return out;
}

} /* namespace */

TEST(SileroEngine, FindsTwoTurnsAtEveryRateAndFrameLength) {
  auto loaded = model(kVariants[0]);
  ASSERT_TRUE(loaded);
  const std::vector<Span> spans = two_turn_spans(1.5);
  for (int rate : {8000, 11025, 16000, 22050, 32000, 44100, 48000})
    for (int frame_ms : {10, 20, 32}) {
      FrameAnalyzer analyzer(make_silero_engine(loaded));
      EXPECT_STREQ(analyzer.engine().name(), "silero");
      AudioFormat format;
      format.rate = rate;
      std::string error;
      ASSERT_TRUE(analyzer.configure(format, frame_ms, &error)) << error;
      const Detection found = detect(analyzer, voicekit::testing::two_turns(rate), rate);
      ASSERT_EQ(found.events.size(), 4u) << rate << " Hz, " << frame_ms << " ms frames";
      for (std::size_t t = 0; t < 2; t++) {
        const TurnEvent &start = found.events[2 * t], &pause = found.events[2 * t + 1];
        EXPECT_EQ(start.kind, TurnEvent::Kind::kSpeechStart);
        EXPECT_EQ(pause.kind, TurnEvent::Kind::kPause);
        EXPECT_FALSE(pause.forced);
        /* Decisions within the turn (onset after its start, offset before
         * its end plus the delays). */
        EXPECT_GT(start.decision_ns, static_cast<std::uint64_t>(spans[t].start * 1e9));
        EXPECT_LT(start.decision_ns, static_cast<std::uint64_t>((spans[t].start + 1.0) * 1e9));
        EXPECT_GT(pause.speech_end_ns, static_cast<std::uint64_t>((spans[t].end - 1.0) * 1e9));
        EXPECT_LT(pause.speech_end_ns, static_cast<std::uint64_t>((spans[t].end + 0.3) * 1e9));
      }
    }
}

TEST(SileroEngine, MatchesTheNetworkAt16kHzAndStartsAtZero) {
  auto loaded = model(kVariants[1]);
  ASSERT_TRUE(loaded);
  const std::vector<float> speech = to_float(voicekit::testing::two_turns(16000, 0.5));
  SileroInference inference(loaded);
  const std::vector<float> windows = run_windows(inference, speech);
  /* 10 ms frames: window k completes in frame floor((k + 1) * 512 / 160). */
  auto engine = make_silero_engine(loaded);
  engine->configure(16000, 160);
  std::size_t completed = 0;
  for (std::size_t f = 0; (f + 1) * 160 <= speech.size(); f++) {
    const float p = engine->process(speech.data() + f * 160);
    while ((completed + 1) * 512 <= (f + 1) * 160)
      completed++;
    const float expect = completed == 0 ? 0.0f : windows[completed - 1];
    ASSERT_EQ(p, expect) << "frame " << f;
  }
  /* reset: back to 0 until the next window. */
  engine->reset();
  EXPECT_EQ(engine->process(speech.data()), 0.0f);
}

TEST(SileroEngine, RecordedSpeechAt48kHz) {
  auto loaded = model(kVariants[1]);
  ASSERT_TRUE(loaded);
  int rate = 0;
  const std::vector<float> speech = load_wav("/usr/share/sounds/alsa/Front_Center.wav", &rate);
  ASSERT_EQ(rate, 48000);
  std::vector<float> padded(static_cast<std::size_t>(rate), 0.0f);
  padded.insert(padded.end(), speech.begin(), speech.end());
  padded.insert(padded.end(), static_cast<std::size_t>(rate), 0.0f);
  auto engine = make_silero_engine(loaded);
  const std::size_t frame = 480;
  engine->configure(rate, frame);
  float highest = 0.0f, in_lead = 0.0f;
  for (std::size_t f = 0; (f + 1) * frame <= padded.size(); f++) {
    const float p = engine->process(padded.data() + f * frame);
    highest = std::max(highest, p);
    if ((f + 1) * frame < static_cast<std::size_t>(rate))
      in_lead = std::max(in_lead, p);
  }
  EXPECT_GT(highest, 0.9f);
  EXPECT_LT(in_lead, 0.05f);
}

TEST(SileroEngine, NoAllocationPerFrame) {
  auto loaded = model(kVariants[0]);
  ASSERT_TRUE(loaded);
  for (int rate : {8000, 16000, 22050, 44100, 48000}) {
    const std::vector<std::int16_t> speech = voicekit::testing::two_turns(rate, 0.3);
    FrameAnalyzer analyzer(make_silero_engine(loaded));
    AudioFormat format;
    format.rate = rate;
    std::string error;
    ASSERT_TRUE(analyzer.configure(format, 20, &error)) << error;
    float sum = 0.0f;
    const long before = g_allocations.load();
    analyzer.push(speech.data(), speech.size(),
                  [&](const FrameResult &frame) { sum += frame.probability; });
    analyzer.reset();
    analyzer.push(speech.data(), speech.size(),
                  [&](const FrameResult &frame) { sum += frame.probability; });
    EXPECT_EQ(g_allocations.load() - before, 0) << rate;
    EXPECT_GT(sum, 10.0f) << rate;
  }
  EXPECT_EQ(silero_resampler_delay(16000), 0.0);
  EXPECT_EQ(silero_resampler_delay(8000), 0.0);
  EXPECT_GT(silero_resampler_delay(48000), 0.0);
  EXPECT_LT(silero_resampler_delay(11025), 0.002);
  EXPECT_LT(silero_resampler_delay(48000), 0.001);
}

/* ---- parity with ONNX Runtime ---------------------------------------------------------- */

namespace {

/* Runs a program (no shell); true if it exits 0. */
bool run(const std::vector<std::string> &args, std::string *why) {
  std::vector<char *> argv;
  for (const std::string &arg : args)
    argv.push_back(const_cast<char *>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  const int spawned = posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
  if (spawned != 0) {
    *why = "cannot run " + args[0] + ": " + std::strerror(spawned);
    return false;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *why = args[0] + " " + args[1] + " failed (status " + std::to_string(status) + ")";
    return false;
  }
  return true;
}

/* Several seconds of real speech, recorded noise, white noise, silence,
 * clipped speech and a sweep, at 16 kHz. */
std::vector<float> parity_signal() {
  std::vector<float> out;
  for (const char *name : {"goforward.raw", "numbers.raw", "something.raw"}) {
    const std::vector<float> speech = to_float(voicekit::testing::load_raw_s16(name));
    out.insert(out.end(), speech.begin(), speech.end());
  }
  int rate = 0;
  const std::vector<float> noise =
      resample(load_wav("/usr/share/sounds/alsa/Noise.wav", &rate), 48000, 16000);
  out.insert(out.end(), noise.begin(), noise.end());
  std::mt19937 random(23);
  std::normal_distribution<float> white(0.0f, 0.1f);
  for (int i = 0; i < 16000; i++)
    out.push_back(white(random));
  out.insert(out.end(), 8000, 0.0f);
  const std::vector<float> speech = to_float(voicekit::testing::load_raw_s16("goforward.raw"));
  for (std::size_t i = 0; i < 24000; i++)
    out.push_back(std::clamp(speech[i] * 20.0f, -1.0f, 1.0f));
  for (int i = 0; i < 16000; i++) {
    const double t = i / 16000.0;
    out.push_back(static_cast<float>(0.3 * std::sin(2.0 * M_PI * (100.0 + 3900.0 * t) * t)));
  }
  return out;
}

struct Parity {
  double probability = INFINITY, state = INFINITY;
  std::size_t windows = 0;
};

Parity parity(const char *variant, int rate, bool portable) {
  Parity result;
  auto loaded = model(variant);
  const std::string ort = env_path("VOICEKIT_ORT_DIR");
  if (ort.empty()) {
    ADD_FAILURE() << "VOICEKIT_ORT_DIR is not set: it must name the node_modules holding "
                     "onnxruntime-node (scripts/common.sh installs it)";
    return result;
  }
  if (!loaded)
    return result;
  std::vector<float> signal = parity_signal();
  if (rate != 16000)
    signal = resample(signal, 16000, rate);
  SileroInference inference(loaded, rate, {portable});
  const std::size_t n = inference.window_samples(), context = inference.context_samples();
  const std::vector<float> windows = voicekit::testing::windows_with_context(signal, n, context);
  std::vector<float> native, states;
  for (std::size_t i = 0; i + n <= signal.size(); i += n) {
    native.push_back(inference.process_window(signal.data() + i));
    states.insert(states.end(), inference.state(), inference.state() + 256);
  }
  char dir_template[] = "/tmp/voicekit-parity-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    return result;
  }
  const std::string dir = dir_template;
  const std::string in = dir + "/windows.f32", out = dir + "/reference.f32";
  std::string why;
  const bool ok = write_file(in, windows.data(), windows.size() * sizeof(float)) &&
                  run({"node", std::string(VOICEKIT_SILERO_SCRIPTS) + "/reference.mjs",
                       env_path(variant), std::to_string(rate), in, out},
                      &why);
  const std::vector<std::uint8_t> bytes = ok ? read_file(out) : std::vector<std::uint8_t>();
  std::remove(in.c_str());
  std::remove(out.c_str());
  rmdir(dir.c_str());
  if (!ok) {
    ADD_FAILURE() << why;
    return result;
  }
  if (bytes.size() != native.size() * 257 * sizeof(float)) {
    ADD_FAILURE() << "reference output of " << bytes.size() << " bytes for " << native.size()
                  << " windows";
    return result;
  }
  std::vector<float> reference(bytes.size() / sizeof(float));
  std::memcpy(reference.data(), bytes.data(), bytes.size());
  result.probability = result.state = 0.0;
  result.windows = native.size();
  for (std::size_t w = 0; w < native.size(); w++) {
    result.probability = std::max(result.probability,
                                  static_cast<double>(std::fabs(native[w] - reference[w * 257])));
    /* h (in [-1, 1]) absolutely, c (unbounded, up to about 20) relative to
     * its size. */
    for (std::size_t k = 0; k < 256; k++) {
      const double mine = states[w * 256 + k], theirs = reference[w * 257 + 1 + k];
      const double scale = k < 128 ? 1.0 : std::max(1.0, std::fabs(theirs));
      result.state = std::max(result.state, std::fabs(mine - theirs) / scale);
    }
  }
  /* The signal must have exercised both ends of the scale. */
  EXPECT_GT(*std::max_element(native.begin(), native.end()), 0.9f);
  EXPECT_LT(*std::min_element(native.begin(), native.end()), 0.1f);
  return result;
}

void expect_parity(const char *variant) {
  for (int rate : {16000, 8000})
    for (bool portable : {false, true}) {
      const Parity p = parity(variant, rate, portable);
      std::printf("parity %s at %d Hz (%s kernels): %zu windows, max |p - p_ort| = %.3g, "
                  "state: max |h - h_ort|, |c - c_ort| / max(1, |c_ort|) = %.3g\n",
                  variant, rate, portable ? "portable" : "default", p.windows, p.probability,
                  p.state);
      EXPECT_LE(p.probability, 1e-3) << variant << " at " << rate;
      EXPECT_LE(p.state, 1e-3) << variant << " at " << rate;
      EXPECT_GT(p.windows, 400u);
    }
}

} /* namespace */

TEST(SileroParity, V5MatchesOnnxRuntime) {
  expect_parity(kVariants[0]);
}
TEST(SileroParity, V6MatchesOnnxRuntime) {
  expect_parity(kVariants[1]);
}
