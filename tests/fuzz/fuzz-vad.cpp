/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * libFuzzer target: the voice-activity core (gst/vad/) on arbitrary audio in
 * arbitrary formats, driven the way pausedetect drives it: FrameAnalyzer with
 * the built-in or the Silero engine, TurnDetector on its frames, and the
 * Resampler on its own.
 *
 * Input layout (fuzz-input.hpp reads it; a short input reads zeros):
 *   byte 0        mode: low 3 bits 7 = the resampler alone, else the analyzer
 *   analyzer:     rate selector (1, 3 or 5 bytes), format byte (bit 0 F32,
 *                 bits 1-2 channels 1/2/0/3, bit 3 Silero, bit 4 the timeline
 *                 restarts at 0 on a flush), frame ms (8..34), a turn config
 *                 (6 bytes), 4 chunk lengths and their scale, the gap, flush
 *                 and reconfiguration schedule (3 bytes), the second format
 *                 (rate, format, frame ms) and turn config; then the samples.
 *   resampler:    two rate selectors, max chunk (2 bytes); then a chunk
 *                 length byte before each chunk of S16 samples.
 * Invalid rates (0, negative, 7999, 96000, any 32-bit value), channel counts
 * and frame lengths are chosen on purpose: configure() must refuse them and
 * keep the previous configuration. F32 samples are raw bytes, so NaN, Inf and
 * huge values come naturally.
 *
 * Invariants (FUZZ_CHECK traps): probabilities finite and in [0, 1]; frames
 * contiguous, of the configured length, numbered from the last configure or
 * reset; turn events alternate speech-start / pause with utterances 1, 2, ...
 * after each flush, never go back in time, and agree with the turn config
 * (min speech, min silence, max speech) and the detector's state; the
 * resampler writes at most max_output() samples, exactly as many as its
 * ratio and delay say, all finite and bounded.
 *
 * Silero runs when $VOICEKIT_SILERO_MODEL_V5 (or _V6) names a model that
 * loads (read once, in LLVMFuzzerInitialize); else the Silero bit falls back
 * to the built-in engine. The first line on stderr says which.
 */
#include "fuzz-input.hpp"

#include <gst/vad/resampler.hpp>
#include <gst/vad/silero.hpp>
#include <gst/vad/turn.hpp>
#include <gst/vad/vad.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

namespace vad = voicekit::vad;
using voicekit::fuzz::Input;

namespace {

std::shared_ptr<const vad::SileroModel> silero_model;

/* Mostly the rates a stream has, some just outside 8..48 kHz, some absurd. */
int pick_rate(Input &in) {
  static const int kRates[] = {8000,  11025, 12000, 16000, 22050,  24000, 32000, 44100,
                               48000, 7999,  48001, 0,     -16000, 96000, 8001,  47999};
  const std::uint8_t selector = in.byte();
  if (selector < 192)
    return kRates[selector % 16];
  if (selector < 254)
    return 8000 + in.u16() % 40001; /* any rate in range: odd resampling ratios */
  return static_cast<int>(in.u32());
}

/* A probability threshold in [0, 1], or NaN (255): the detector must cope. */
float pick_threshold(Input &in) {
  const std::uint8_t b = in.byte();
  return b == 255 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(b) / 254.0f;
}

/* A duration in steps of `step_ms`; 255 is "never" (UINT64_MAX: overflow bait). */
std::uint64_t pick_duration(Input &in, std::uint64_t step_ms) {
  const std::uint8_t b = in.byte();
  return b == 255 ? std::numeric_limits<std::uint64_t>::max() : b * step_ms * vad::kMillisecond;
}

vad::TurnConfig pick_turn_config(Input &in) {
  vad::TurnConfig config;
  config.threshold = pick_threshold(in);
  config.end_threshold = pick_threshold(in);
  config.min_speech_ns = pick_duration(in, 4);
  config.min_silence_ns = pick_duration(in, 8);
  config.speech_pad_ns = pick_duration(in, 8);
  config.max_speech_ns = pick_duration(in, 20); /* 0: no limit */
  return config;
}

struct FormatChoice {
  vad::AudioFormat format;
  int frame_ms = 20;
  bool silero = false;
  bool restart_timeline = false;
};

FormatChoice pick_format(Input &in) {
  FormatChoice choice;
  choice.format.rate = pick_rate(in);
  const std::uint8_t bits = in.byte();
  choice.format.sample_format = (bits & 1) != 0 ? vad::SampleFormat::kF32 : vad::SampleFormat::kS16;
  static const int kChannels[] = {1, 2, 0, 3};
  choice.format.channels = kChannels[(bits >> 1) & 3];
  choice.silero = (bits & 8) != 0 && silero_model != nullptr;
  choice.restart_timeline = (bits & 16) != 0;
  choice.frame_ms = 8 + in.byte() % 27; /* 10..32 valid, 8, 9, 33, 34 not */
  return choice;
}

bool format_valid(const FormatChoice &choice) {
  const vad::AudioFormat &f = choice.format;
  return f.rate >= vad::kMinRate && f.rate <= vad::kMaxRate && f.channels >= 1 && f.channels <= 2 &&
         choice.frame_ms >= vad::kMinFrameMs && choice.frame_ms <= vad::kMaxFrameMs;
}

/* What the turn events so far say; checked against every new event. */
struct TurnModel {
  bool open = false;
  std::uint64_t utterance = 0;
  std::uint64_t last_decision = 0;
  std::uint64_t open_start = 0;     /* speech_start_ns of the open utterance */
  std::uint64_t last_pause_end = 0; /* speech_end_ns of the last pause */
};

void check_state(const vad::TurnDetector &detector, const TurnModel &model) {
  const vad::TurnState state = detector.state();
  if (model.open)
    FUZZ_CHECK(state == vad::TurnState::kSpeaking || state == vad::TurnState::kStopping);
  else
    FUZZ_CHECK(state == vad::TurnState::kQuiet || state == vad::TurnState::kStarting);
  FUZZ_CHECK(detector.utterances() == model.utterance);
}

/* `from_finish`: the event came from finish(now), else from a frame ending at `now`. */
void check_event(const vad::TurnEvent &event, const vad::TurnDetector &detector, TurnModel &model,
                 std::uint64_t now, bool from_finish) {
  const vad::TurnConfig &config = detector.config();
  FUZZ_CHECK(event.decision_ns == now);
  FUZZ_CHECK(event.decision_ns >= model.last_decision);
  FUZZ_CHECK(event.speech_start_ns <= event.decision_ns);
  if (event.kind == vad::TurnEvent::Kind::kSpeechStart) {
    FUZZ_CHECK(!from_finish);
    FUZZ_CHECK(!model.open);
    FUZZ_CHECK(event.utterance == model.utterance + 1);
    FUZZ_CHECK(!event.forced);
    /* The onset is at or after the previous utterance's end, and the pad
     * never reaches back past it. */
    FUZZ_CHECK(event.speech_start_ns >= model.last_pause_end);
    /* Enough speech frames between onset and decision. */
    FUZZ_CHECK(event.decision_ns - event.speech_start_ns >= config.min_speech_ns);
    model.open = true;
    model.utterance = event.utterance;
    model.open_start = event.speech_start_ns;
  } else {
    FUZZ_CHECK(model.open);
    FUZZ_CHECK(event.utterance == model.utterance);
    FUZZ_CHECK(event.speech_start_ns == model.open_start);
    FUZZ_CHECK(event.speech_start_ns <= event.speech_end_ns);
    FUZZ_CHECK(event.speech_end_ns <= event.decision_ns);
    if (from_finish) {
      FUZZ_CHECK(event.forced);
    } else if (event.forced) {
      FUZZ_CHECK(config.max_speech_ns != 0);
      FUZZ_CHECK(event.decision_ns - event.speech_start_ns >= config.max_speech_ns);
    } else {
      FUZZ_CHECK(event.decision_ns - event.speech_end_ns >= config.min_silence_ns);
    }
    model.open = false;
    model.last_pause_end = event.speech_end_ns;
  }
  model.last_decision = event.decision_ns;
  check_state(detector, model);
}

/* One stream through FrameAnalyzer and TurnDetector, timed like pausedetect:
 * sample s of the current configuration plays at base_ns + s / rate. */
class Stream {
public:
  explicit Stream(bool silero)
      : analyzer_(silero ? vad::make_silero_engine(silero_model) : vad::make_builtin_engine()),
        silero_(silero) {}

  void configure(const FormatChoice &choice) {
    const bool was_configured = analyzer_.configured();
    const vad::AudioFormat before = analyzer_.format();
    const std::size_t frame_before = analyzer_.frame_samples();
    const std::uint64_t fed_before = analyzer_.samples_fed();
    std::string error;
    const bool ok = analyzer_.configure(choice.format, choice.frame_ms, &error);
    FUZZ_CHECK(ok == format_valid(choice));
    if (!ok) {
      /* Refused: says why, and nothing changed. */
      FUZZ_CHECK(!error.empty());
      FUZZ_CHECK(analyzer_.configured() == was_configured);
      FUZZ_CHECK(analyzer_.frame_samples() == frame_before);
      FUZZ_CHECK(analyzer_.samples_fed() == fed_before);
      FUZZ_CHECK(analyzer_.format().rate == before.rate);
      FUZZ_CHECK(analyzer_.format().channels == before.channels);
      return;
    }
    /* Keep the timeline across the re-initialisation, as pausedetect does. */
    if (was_configured)
      base_ns_ += time_of(fed_before, before.rate);
    FUZZ_CHECK(analyzer_.configured());
    FUZZ_CHECK(analyzer_.samples_fed() == 0);
    FUZZ_CHECK(analyzer_.frame_samples() == static_cast<std::size_t>(choice.format.rate) *
                                                static_cast<std::size_t>(choice.frame_ms) / 1000);
    FUZZ_CHECK(std::string(analyzer_.engine().name()) == (silero_ ? "silero" : "builtin"));
    last_end_sample_ = 0;
  }

  std::size_t bytes_per_frame() const {
    if (!analyzer_.configured())
      return 2; /* nothing is analysed: the bytes are skipped as S16 mono */
    const vad::AudioFormat &f = analyzer_.format();
    return static_cast<std::size_t>(f.channels) *
           (f.sample_format == vad::SampleFormat::kF32 ? sizeof(float) : sizeof(std::int16_t));
  }

  /* `frames` sample frames from `bytes` (frames * bytes_per_frame() of them). */
  void push(const std::uint8_t *bytes, std::size_t frames) {
    /* An aligned copy, as a GstBuffer's memory is: the analyzer reads
     * int16/float directly. */
    const std::size_t size = frames * bytes_per_frame();
    aligned_.assign((size + sizeof(float) - 1) / sizeof(float) + 1, 0.0f);
    if (size > 0)
      std::memcpy(aligned_.data(), bytes, size);
    const std::uint64_t fed = analyzer_.samples_fed();
    analyzer_.push(aligned_.data(), frames, [this](const vad::FrameResult &f) { on_frame(f); });
    after_feed(fed, frames);
  }

  void push_silence(std::size_t frames) {
    const std::uint64_t fed = analyzer_.samples_fed();
    analyzer_.push_silence(frames, [this](const vad::FrameResult &f) { on_frame(f); });
    after_feed(fed, frames);
  }

  /* A flush: the analyzer and the turn rule start over. */
  void flush(bool restart_timeline) {
    if (analyzer_.configured())
      base_ns_ += time_of(analyzer_.samples_fed(), analyzer_.format().rate);
    analyzer_.reset();
    FUZZ_CHECK(analyzer_.samples_fed() == 0);
    last_end_sample_ = 0;
    turn_.reset();
    model_ = TurnModel{};
    if (restart_timeline)
      base_ns_ = 0; /* running time starts again after a flush */
    check_state(turn_, model_);
  }

  void set_turn_config(const vad::TurnConfig &config) { turn_.set_config(config); }

  void finish() {
    const std::uint64_t now = now_ns();
    const bool was_open = model_.open;
    const auto event = turn_.finish(now);
    FUZZ_CHECK(event.has_value() == was_open);
    if (event)
      check_event(*event, turn_, model_, now, true);
    FUZZ_CHECK(turn_.state() == vad::TurnState::kQuiet);
  }

  std::uint64_t total_frames() const { return frames_; }

private:
  static std::uint64_t time_of(std::uint64_t samples, int rate) {
    return samples * 1000000000ull / static_cast<std::uint64_t>(rate);
  }
  std::uint64_t now_ns() const {
    return analyzer_.configured()
               ? base_ns_ + time_of(analyzer_.samples_fed(), analyzer_.format().rate)
               : base_ns_;
  }

  void after_feed(std::uint64_t fed_before, std::size_t frames) {
    if (!analyzer_.configured()) {
      FUZZ_CHECK(analyzer_.samples_fed() == 0);
      return;
    }
    FUZZ_CHECK(analyzer_.samples_fed() == fed_before + frames);
    /* Every complete frame was analysed: less than one frame is pending. */
    FUZZ_CHECK(analyzer_.samples_fed() - last_end_sample_ < analyzer_.frame_samples());
  }

  void on_frame(const vad::FrameResult &frame) {
    frames_++;
    FUZZ_CHECK(std::isfinite(frame.probability));
    FUZZ_CHECK(frame.probability >= 0.0f && frame.probability <= 1.0f);
    FUZZ_CHECK(frame.frame_samples == analyzer_.frame_samples());
    FUZZ_CHECK(frame.end_sample == last_end_sample_ + frame.frame_samples);
    last_end_sample_ = frame.end_sample;
    const int rate = analyzer_.format().rate;
    const std::uint64_t end = base_ns_ + time_of(frame.end_sample, rate);
    const std::uint64_t start = base_ns_ + time_of(frame.end_sample - frame.frame_samples, rate);
    if (auto event = turn_.push(frame.probability, start, end))
      check_event(*event, turn_, model_, end, false);
    else
      check_state(turn_, model_);
  }

  vad::FrameAnalyzer analyzer_;
  vad::TurnDetector turn_;
  TurnModel model_;
  bool silero_;
  std::uint64_t base_ns_ = 0;
  std::uint64_t last_end_sample_ = 0;
  std::uint64_t frames_ = 0;
  std::vector<float> aligned_;
};

void fuzz_analyzer(Input &in) {
  const FormatChoice first = pick_format(in);
  const vad::TurnConfig first_turn = pick_turn_config(in);
  std::size_t chunks[4];
  for (std::size_t &chunk : chunks)
    chunk = in.byte();
  const std::size_t scale = 1 + in.byte() % 16;  /* chunks up to 4080 frames */
  const std::uint8_t gaps = in.byte();           /* every (low 4 bits) chunks, (high) * 97 frames */
  const std::uint8_t flush_at = in.byte();       /* after this chunk; 255: never */
  const std::uint8_t reconfigure_at = in.byte(); /* after this chunk; >= 32: never */
  const FormatChoice second = pick_format(in);
  const vad::TurnConfig second_turn = pick_turn_config(in);

  Stream stream(first.silero);
  stream.set_turn_config(first_turn);
  stream.configure(first);
  /* Silence (GAPs) is bounded, to 0.25 to 1.5 s: Silero under ASan is slow
   * (about 1 ms a window), and the fuzzer learns nothing from seconds of
   * zeros; it takes 500 ms to end an utterance with the default turn rule. */
  std::size_t silence_left = 12000;
  for (unsigned chunk = 0; chunk < 512 && !in.empty(); chunk++) {
    const std::size_t frame_bytes = stream.bytes_per_frame();
    const std::size_t wanted = chunks[chunk % 4] * scale;
    const std::uint8_t *bytes = nullptr;
    const std::size_t got = in.take(wanted * frame_bytes, &bytes) / frame_bytes;
    stream.push(bytes, got);
    const unsigned every = gaps & 15;
    if (every != 0 && chunk % every == every - 1) {
      const std::size_t frames = std::min<std::size_t>((gaps >> 4) * 97u, silence_left);
      silence_left -= frames;
      stream.push_silence(frames);
    }
    if (chunk == flush_at)
      stream.flush(first.restart_timeline);
    if (chunk == reconfigure_at) {
      stream.configure(second);
      stream.set_turn_config(second_turn);
    }
  }
  stream.finish();
}

/* The resampler alone, at any pair of rates in 8..48 kHz, in chunks of any
 * length (some longer than max_chunk: they are cut to it). */
void fuzz_resampler(Input &in) {
  auto rate = [&in] {
    static const int kRates[] = {8000, 16000, 11025, 22050, 44100, 48000, 12000, 32000};
    const std::uint8_t selector = in.byte();
    return selector < 128 ? kRates[selector % 8] : 8000 + in.u16() % 40001;
  };
  const int from = rate();
  const int to = rate();
  const std::size_t max_chunk = 1 + in.u16() % 4096;
  const float amplitude = (in.byte() & 1) != 0 ? 8.0f : 1.0f; /* the analyzer clips at 8 */
  vad::Resampler resampler;
  resampler.configure(from, to, max_chunk);
  FUZZ_CHECK(resampler.passthrough() == (from == to));
  const std::int64_t g = std::gcd(from, to);
  const std::int64_t up = to / g, down = from / g;
  const std::int64_t half = static_cast<std::int64_t>(resampler.taps() / 2);
  std::int64_t fed = 0, produced = 0;
  std::vector<float> input, output;
  while (!in.empty()) {
    const std::uint8_t control = in.byte();
    if (control == 0xff) { /* a new stream */
      resampler.reset();
      fed = produced = 0;
      continue;
    }
    const std::size_t count = control * 17u % (max_chunk + 9);
    const std::uint8_t *bytes = nullptr;
    const std::size_t got = in.take(count * 2, &bytes) / 2;
    input.assign(got, 0.0f);
    for (std::size_t i = 0; i < got; i++) {
      const auto sample = static_cast<std::int16_t>(bytes[2 * i] | bytes[2 * i + 1] << 8);
      input[i] = amplitude * static_cast<float>(sample) / 32768.0f;
    }
    const std::size_t used = std::min(got, max_chunk);
    /* Exactly max_output(): ASan catches a write past it. */
    output.assign(resampler.max_output(used), 0.0f);
    const std::size_t n = resampler.process(input.data(), got, output.data());
    FUZZ_CHECK(n <= output.size());
    for (std::size_t i = 0; i < n; i++) {
      FUZZ_CHECK(std::isfinite(output[i]));
      /* Unity gain at DC; the ripple of a windowed sinc stays far below 3x. */
      FUZZ_CHECK(std::fabs(output[i]) <= 3.0f * amplitude);
    }
    fed += static_cast<std::int64_t>(used);
    produced += static_cast<std::int64_t>(n);
    /* Output k is centred on input k * from / to and needs `half` samples
     * after it: exactly this many outputs exist after `fed` inputs. */
    const std::int64_t expected =
        resampler.passthrough() ? fed : (fed > half ? ((fed - half) * up + down - 1) / down : 0);
    FUZZ_CHECK(produced == expected);
  }
}

} /* namespace */

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  for (const char *variable : {"VOICEKIT_SILERO_MODEL_V5", "VOICEKIT_SILERO_MODEL_V6"}) {
    const char *path = std::getenv(variable);
    if (path == nullptr || *path == '\0')
      continue;
    std::string error;
    silero_model = vad::SileroModel::load(path, &error);
    if (silero_model) {
      std::fprintf(stderr, "fuzz-vad: engines builtin and silero (%s)\n", path);
      return 0;
    }
    std::fprintf(stderr, "fuzz-vad: %s: %s\n", path, error.c_str());
  }
  std::fprintf(stderr, "fuzz-vad: engine builtin only (no Silero model: set "
                       "VOICEKIT_SILERO_MODEL_V5)\n");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  Input in(data, size);
  if ((in.byte() & 7) == 7)
    fuzz_resampler(in);
  else
    fuzz_analyzer(in);
  return 0;
}
