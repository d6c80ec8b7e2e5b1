/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * vad-eval corpus: see corpus.hpp and docs/pausedetect-eval.md.
 *
 * Trimming rule (offline, non-causal, per recording):
 *   1. Remove the recording's DC offset; high-pass at 150 Hz (fourth order)
 *      for the measurement only: rumble and breath pops below that carry
 *      energy but no speech (the mixes keep the recordings as they are).
 *   2. Level of 10 ms windows every 5 ms: 10 log10(mean square).
 *   3. Noise floor = 10th percentile of those levels, peak = 99th percentile.
 *      Threshold = floor + 0.3 (peak - floor), and at least floor + 12 dB.
 *   4. Speech = runs of consecutive windows at or above the threshold that
 *      span at least 40 ms; shorter runs are noise bursts and clicks. Speech
 *      runs less than 300 ms apart belong to one segment; 300 ms or more
 *      without speech is a real pause and cuts the recording there.
 *   5. A segment runs from the start of its first speech window to the end of
 *      its last one: no margin. Segments shorter than 250 ms are dropped.
 * Every segment of a recording is then scaled by one gain per recording so
 * that the recording's speech (its segments) has an RMS of -26 dBFS.
 *
 * Random numbers: std::mt19937 with an explicit seed, drawn through the small
 * helpers below (not the standard distributions, whose algorithms differ
 * between C++ libraries), so a seed builds the same corpus everywhere.
 */
#include "corpus.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>

#include <dirent.h>
#include <sys/stat.h>

namespace voicekit::eval {

namespace {

bool fail(std::string *error, const std::string &why) {
  if (error != nullptr)
    *error = why;
  return false;
}

bool read_file(const std::string &path, std::vector<unsigned char> *bytes, std::string *error) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(error, "cannot open " + path);
  bytes->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

std::uint32_t le32(const unsigned char *p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint16_t le16(const unsigned char *p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
float s16_at(const unsigned char *p) {
  return static_cast<float>(static_cast<std::int16_t>(le16(p))) / 32768.0f;
}

bool file_exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/* Sorted names in `dir` that end with `suffix`. */
std::vector<std::string> list_dir(const std::string &dir, const std::string &suffix) {
  std::vector<std::string> names;
  DIR *d = ::opendir(dir.c_str());
  if (d == nullptr)
    return names;
  while (const dirent *entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

/* Uniform integer in [lo, hi], by rejection: the same on every C++ library. */
int uniform_int(std::mt19937 &rng, int lo, int hi) {
  const std::uint32_t range = static_cast<std::uint32_t>(hi - lo) + 1u;
  const std::uint32_t limit = (0xFFFFFFFFu / range) * range;
  std::uint32_t draw = 0;
  do {
    draw = static_cast<std::uint32_t>(rng());
  } while (draw >= limit);
  return lo + static_cast<int>(draw % range);
}

/* Uniform in (0, 1). */
double uniform_open(std::mt19937 &rng) {
  return (static_cast<double>(rng()) + 0.5) / 4294967296.0;
}

/* Standard normal, Box-Muller (one value per call, the other is dropped). */
double normal(std::mt19937 &rng) {
  const double u1 = uniform_open(rng);
  const double u2 = uniform_open(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

double percentile(std::vector<double> values, double p) {
  if (values.empty())
    return 0.0;
  std::sort(values.begin(), values.end());
  const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
  return values[static_cast<std::size_t>(std::lround(rank))];
}

double db(double power) {
  return 10.0 * std::log10(power + 1e-20);
}

void normalize_rms(std::vector<float> *samples) {
  double sum = 0.0;
  for (float v : *samples)
    sum += static_cast<double>(v) * v;
  const double rms =
      std::sqrt(sum / static_cast<double>(std::max<std::size_t>(1, samples->size())));
  if (rms <= 0.0)
    return;
  const float gain = static_cast<float>(1.0 / rms);
  for (float &v : *samples)
    v *= gain;
}

/* Integer-factor decimation behind a windowed-sinc (Blackman) low-pass at
 * 0.45 of the output rate. */
std::vector<float> decimate(const std::vector<float> &in, int factor) {
  if (factor == 1)
    return in;
  constexpr int kHalf = 48 * 3;
  const double cutoff = 0.45 / factor; /* cycles per input sample */
  std::vector<float> taps(2 * kHalf + 1);
  double sum = 0.0;
  for (int i = -kHalf; i <= kHalf; i++) {
    const double x = 2.0 * cutoff * i;
    const double sinc = i == 0 ? 1.0 : std::sin(M_PI * x) / (M_PI * x);
    const double t = static_cast<double>(i + kHalf) / (2.0 * kHalf);
    const double window = 0.42 - 0.5 * std::cos(2.0 * M_PI * t) + 0.08 * std::cos(4.0 * M_PI * t);
    taps[static_cast<std::size_t>(i + kHalf)] = static_cast<float>(2.0 * cutoff * sinc * window);
    sum += 2.0 * cutoff * sinc * window;
  }
  for (float &t : taps)
    t = static_cast<float>(t / sum);
  std::vector<float> out(in.size() / static_cast<std::size_t>(factor));
  const long n = static_cast<long>(in.size());
  for (std::size_t o = 0; o < out.size(); o++) {
    const long center = static_cast<long>(o) * factor;
    double acc = 0.0;
    for (int i = -kHalf; i <= kHalf; i++) {
      const long at = center + i;
      if (at >= 0 && at < n)
        acc += static_cast<double>(taps[static_cast<std::size_t>(i + kHalf)]) *
               in[static_cast<std::size_t>(at)];
    }
    out[o] = static_cast<float>(acc);
  }
  return out;
}

void remove_dc(std::vector<float> *samples) {
  if (samples->empty())
    return;
  const double mean =
      std::accumulate(samples->begin(), samples->end(), 0.0) / static_cast<double>(samples->size());
  for (float &v : *samples)
    v -= static_cast<float>(mean);
}

/* Fourth-order high-pass (two Butterworth sections, bilinear transform):
 * rumble, handling noise and breath pops below `cutoff_hz` carry energy but no
 * speech, and must not count as speech in the ground truth. */
void high_pass(std::vector<float> *samples, double cutoff_hz, int rate) {
  const double w0 = 2.0 * M_PI * cutoff_hz / rate;
  const double alpha = std::sin(w0) / (2.0 * M_SQRT1_2);
  const double cosw = std::cos(w0);
  const double a0 = 1.0 + alpha;
  const double b0 = (1.0 + cosw) / 2.0 / a0, b1 = -(1.0 + cosw) / a0, b2 = b0;
  const double a1 = -2.0 * cosw / a0, a2 = (1.0 - alpha) / a0;
  for (int section = 0; section < 2; section++) {
    double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    for (float &v : *samples) {
      const double x0 = v;
      const double y0 = b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = x0;
      y2 = y1;
      y1 = y0;
      v = static_cast<float>(y0);
    }
  }
}

} /* namespace */

/* ---- audio files --------------------------------------------------------- */

bool read_wav(const std::string &path, Audio *out, std::string *error) {
  std::vector<unsigned char> bytes;
  if (!read_file(path, &bytes, error))
    return false;
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 ||
      std::memcmp(bytes.data() + 8, "WAVE", 4) != 0)
    return fail(error, path + ": not a RIFF/WAVE file");
  std::size_t pos = 12;
  int channels = 0, bits = 0, rate = 0, format = 0;
  const unsigned char *data = nullptr;
  std::size_t data_size = 0;
  while (pos + 8 <= bytes.size()) {
    const unsigned char *chunk = bytes.data() + pos;
    const std::size_t size = le32(chunk + 4);
    const std::size_t body = pos + 8;
    const std::size_t available = std::min(size, bytes.size() - body);
    if (std::memcmp(chunk, "fmt ", 4) == 0 && available >= 16) {
      format = le16(chunk + 8);
      channels = le16(chunk + 10);
      rate = static_cast<int>(le32(chunk + 12));
      bits = le16(chunk + 22);
      if (format == 0xFFFE && available >= 26)
        format = le16(chunk + 8 + 24); /* WAVE_FORMAT_EXTENSIBLE: sub-format GUID */
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      data = chunk + 8;
      data_size = available;
    }
    pos = body + size + (size & 1u);
  }
  if (format != 1 || bits != 16 || channels < 1 || rate <= 0 || data == nullptr)
    return fail(error, path + ": only 16-bit PCM WAV is read (format " + std::to_string(format) +
                           ", " + std::to_string(bits) + " bits)");
  const std::size_t frames = data_size / (2u * static_cast<std::size_t>(channels));
  out->rate = rate;
  out->samples.assign(frames, 0.0f);
  for (std::size_t i = 0; i < frames; i++) {
    float sum = 0.0f;
    for (int c = 0; c < channels; c++)
      sum +=
          s16_at(data + 2 * (i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)));
    out->samples[i] = sum / static_cast<float>(channels);
  }
  return true;
}

bool read_raw_s16le(const std::string &path, int rate, Audio *out, std::string *error) {
  std::vector<unsigned char> bytes;
  if (!read_file(path, &bytes, error))
    return false;
  out->rate = rate;
  out->samples.resize(bytes.size() / 2);
  for (std::size_t i = 0; i < out->samples.size(); i++)
    out->samples[i] = s16_at(bytes.data() + 2 * i);
  return true;
}

bool write_wav_s16(const std::string &path, const std::vector<std::int16_t> &samples, int rate,
                   std::string *error) {
  std::ofstream out(path, std::ios::binary);
  if (!out)
    return fail(error, "cannot write " + path);
  auto put32 = [&](std::uint32_t v) {
    const unsigned char b[4] = {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8),
                                static_cast<unsigned char>(v >> 16),
                                static_cast<unsigned char>(v >> 24)};
    out.write(reinterpret_cast<const char *>(b), 4);
  };
  auto put16 = [&](std::uint16_t v) {
    const unsigned char b[2] = {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8)};
    out.write(reinterpret_cast<const char *>(b), 2);
  };
  const auto data_bytes = static_cast<std::uint32_t>(samples.size() * 2);
  out.write("RIFF", 4);
  put32(36 + data_bytes);
  out.write("WAVEfmt ", 8);
  put32(16);
  put16(1);
  put16(1);
  put32(static_cast<std::uint32_t>(rate));
  put32(static_cast<std::uint32_t>(rate) * 2);
  put16(2);
  put16(16);
  out.write("data", 4);
  put32(data_bytes);
  for (std::int16_t v : samples)
    put16(static_cast<std::uint16_t>(v));
  if (!out)
    return fail(error, "write error on " + path);
  return true;
}

/* ---- trimming and cutting ------------------------------------------------- */

std::vector<Segment> segment_recording(const Audio &audio, const std::string &name,
                                       const TrimRule &rule, SourceStats *stats) {
  std::vector<float> x = audio.samples;
  remove_dc(&x);
  high_pass(&x, rule.high_pass_hz, audio.rate);
  const std::size_t window =
      static_cast<std::size_t>(audio.rate) * static_cast<std::size_t>(rule.window_ms) / 1000;
  const std::size_t hop =
      static_cast<std::size_t>(audio.rate) * static_cast<std::size_t>(rule.hop_ms) / 1000;
  const std::size_t frames = x.size() < window ? 0 : (x.size() - window) / hop + 1;
  std::vector<double> level(frames);
  for (std::size_t k = 0; k < frames; k++) {
    double sum = 0.0;
    for (std::size_t i = 0; i < window; i++)
      sum += static_cast<double>(x[k * hop + i]) * x[k * hop + i];
    level[k] = db(sum / static_cast<double>(window));
  }
  const double floor_db = percentile(level, rule.floor_percentile);
  const double peak_db = percentile(level, rule.peak_percentile);
  const double threshold =
      std::max(floor_db + rule.relative * (peak_db - floor_db), floor_db + rule.min_above_floor_db);

  /* Frames k and j > k: a pause of (j - k) hops minus one window between them. */
  const std::size_t split_hops =
      static_cast<std::size_t>((rule.split_pause_ms + rule.window_ms) / rule.hop_ms);
  const std::size_t min_samples =
      static_cast<std::size_t>(audio.rate) * static_cast<std::size_t>(rule.min_segment_ms) / 1000;
  std::vector<Segment> segments;
  auto close = [&](std::size_t first, std::size_t last) {
    Segment s;
    s.source = name;
    s.in_source.begin = first * hop;
    s.in_source.end = last * hop + window;
    if (s.in_source.end - s.in_source.begin < min_samples)
      return;
    s.samples.assign(x.begin() + static_cast<std::ptrdiff_t>(s.in_source.begin),
                     x.begin() + static_cast<std::ptrdiff_t>(s.in_source.end));
    segments.push_back(std::move(s));
  };
  /* Runs of frames at or above the threshold, long enough to be speech. */
  /* A run of n windows spans (n - 1) hops plus one window. */
  const std::size_t min_run =
      static_cast<std::size_t>(std::max(1, (rule.min_run_ms - rule.window_ms) / rule.hop_ms + 1));
  std::vector<Span> runs;
  for (std::size_t k = 0; k < frames;) {
    if (level[k] < threshold) {
      k++;
      continue;
    }
    std::size_t end = k;
    while (end < frames && level[end] >= threshold)
      end++;
    if (end - k >= min_run)
      runs.push_back({k, end});
    k = end;
  }
  bool open = false;
  std::size_t first = 0, last = 0;
  for (const Span &run : runs) {
    if (open && run.begin - last >= split_hops) {
      close(first, last);
      open = false;
    }
    if (!open) {
      open = true;
      first = run.begin;
    }
    last = run.end - 1;
  }
  if (open)
    close(first, last);

  if (stats != nullptr) {
    stats->name = name;
    stats->seconds = static_cast<double>(audio.samples.size()) / audio.rate;
    stats->floor_db = floor_db;
    stats->peak_db = peak_db;
    stats->threshold_db = threshold;
    stats->segments = static_cast<int>(segments.size());
    double speech = 0;
    for (const Segment &s : segments)
      speech += static_cast<double>(s.samples.size());
    stats->speech_seconds = speech / audio.rate;
  }
  return segments;
}

/* ---- corpus ----------------------------------------------------------------- */

bool build_corpus(const std::string &data_dir, const CorpusConfig &config, Corpus *corpus,
                  std::string *error) {
  struct Source {
    std::string path;
    bool raw;
  };
  std::vector<Source> sources;
  std::vector<std::string> missing;
  for (const char *sub : {"librivox", "cards"}) {
    const std::string dir = data_dir + "/" + sub;
    const auto names = list_dir(dir, ".wav");
    if (names.empty())
      missing.push_back(dir + "/*.wav");
    for (const auto &n : names)
      sources.push_back({std::string(sub) + "/" + n, false});
  }
  for (const char *raw :
       {"goforward.raw", "numbers.raw", "something.raw", "tidigits/dhd.2934z.raw"}) {
    if (!file_exists(data_dir + "/" + raw))
      missing.push_back(data_dir + "/" + raw);
    sources.push_back({raw, true});
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto &m : missing)
      list += "\n  " + m;
    return fail(error, "missing speech recordings (Debian package pocketsphinx-testdata, or "
                       "--data-dir):" +
                           list);
  }

  std::vector<Segment> pool;
  corpus->sources.clear();
  for (const Source &source : sources) {
    Audio audio;
    const std::string path = data_dir + "/" + source.path;
    const bool ok =
        source.raw ? read_raw_s16le(path, kRate, &audio, error) : read_wav(path, &audio, error);
    if (!ok)
      return false;
    if (audio.rate != kRate)
      return fail(error, path + ": " + std::to_string(audio.rate) + " Hz, expected 16000 Hz");
    SourceStats stats;
    std::vector<Segment> segments = segment_recording(audio, source.path, config.trim, &stats);
    double sum = 0.0, count = 0.0;
    for (const Segment &s : segments) {
      for (float v : s.samples)
        sum += static_cast<double>(v) * v;
      count += static_cast<double>(s.samples.size());
    }
    if (count > 0) {
      const double rms_db = db(sum / count);
      stats.gain_db = config.speech_rms_db - rms_db;
      const float gain = static_cast<float>(std::pow(10.0, stats.gain_db / 20.0));
      for (Segment &s : segments)
        for (float &v : s.samples)
          v *= gain;
    }
    corpus->sources.push_back(stats);
    for (Segment &s : segments)
      pool.push_back(std::move(s));
  }
  if (pool.empty())
    return fail(error, "no speech segment found in " + data_dir);
  corpus->segment_pool = pool.size();

  /* Turns: passes over the pool, each in a fresh random order; a turn takes
   * the next 1, 2 or 3 segments (40 %, 40 %, 20 %). */
  std::mt19937 rng(config.seed);
  auto ms = [](int v) { return static_cast<std::uint64_t>(v) * kRate / 1000; };
  std::vector<std::vector<std::size_t>> turn_segments;
  while (static_cast<int>(turn_segments.size()) < config.min_turns) {
    std::vector<std::size_t> order(pool.size());
    std::iota(order.begin(), order.end(), 0);
    for (std::size_t i = order.size(); i > 1; i--)
      std::swap(order[i - 1],
                order[static_cast<std::size_t>(uniform_int(rng, 0, static_cast<int>(i - 1)))]);
    std::size_t next = 0;
    while (next < order.size() && static_cast<int>(turn_segments.size()) < config.min_turns) {
      const int roll = uniform_int(rng, 0, 9);
      std::size_t take = roll < 4 ? 1 : roll < 8 ? 2 : 3;
      take = std::min(take, order.size() - next);
      turn_segments.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(next),
                                 order.begin() + static_cast<std::ptrdiff_t>(next + take));
      next += take;
    }
  }

  /* Layout: lead-in, turns with short gaps inside and long gaps between, tail. */
  std::vector<float> &speech = corpus->speech;
  speech.assign(ms(config.lead_in_ms), 0.0f);
  corpus->turns.clear();
  corpus->segments_used = 0;
  double speech_sum = 0.0, speech_count = 0.0;
  for (std::size_t t = 0; t < turn_segments.size(); t++) {
    Turn turn;
    for (std::size_t j = 0; j < turn_segments[t].size(); j++) {
      if (j > 0)
        speech.resize(speech.size() +
                          ms(uniform_int(rng, config.short_gap_min_ms, config.short_gap_max_ms)),
                      0.0f);
      const Segment &s = pool[turn_segments[t][j]];
      Span span{speech.size(), speech.size() + s.samples.size()};
      speech.insert(speech.end(), s.samples.begin(), s.samples.end());
      for (float v : s.samples)
        speech_sum += static_cast<double>(v) * v;
      speech_count += static_cast<double>(s.samples.size());
      turn.segments.push_back(span);
      turn.sources.push_back(s.source + "@" + std::to_string(s.in_source.begin * 1000 / kRate) +
                             "ms");
      corpus->segments_used++;
    }
    turn.span = {turn.segments.front().begin, turn.segments.back().end};
    corpus->turns.push_back(std::move(turn));
    const bool last = t + 1 == turn_segments.size();
    speech.resize(speech.size() +
                      (last ? ms(config.tail_ms)
                            : ms(uniform_int(rng, config.long_gap_min_ms, config.long_gap_max_ms))),
                  0.0f);
  }
  /* Whole 10 ms frames. */
  speech.resize((speech.size() + 159) / 160 * 160, 0.0f);
  corpus->speech_rms = std::sqrt(speech_sum / std::max(1.0, speech_count));
  return true;
}

/* ---- noise ------------------------------------------------------------------ */

namespace {

struct NoiseInfo {
  NoiseKind kind;
  const char *name;
  const char *description;
};

const NoiseInfo kNoises[] = {
    {NoiseKind::kAlsa, "alsa",
     "recorded: alsa-utils Noise.wav (stationary, about pink up to 12 kHz), 48 kHz "
     "decimated to 16 kHz, looped every ~1.36 s with a 50 ms cross-fade"},
    {NoiseKind::kPink, "pink", "synthetic pink (-3 dB/octave, Voss-McCartney, 16 rows), seeded"},
    {NoiseKind::kBrown, "brown",
     "synthetic brown (-6 dB/octave above ~13 Hz, leaky integrated white), seeded"},
    {NoiseKind::kWhite, "white", "synthetic white (Gaussian), seeded"},
};

const NoiseInfo *noise_info(NoiseKind kind) {
  for (const NoiseInfo &info : kNoises)
    if (info.kind == kind)
      return &info;
  return nullptr;
}

} /* namespace */

const char *noise_name(NoiseKind kind) {
  const NoiseInfo *info = noise_info(kind);
  return info != nullptr ? info->name : "?";
}

bool parse_noise(const std::string &text, NoiseKind *kind) {
  for (const NoiseInfo &info : kNoises) {
    if (text == info.name) {
      *kind = info.kind;
      return true;
    }
  }
  return false;
}

std::string noise_description(NoiseKind kind) {
  const NoiseInfo *info = noise_info(kind);
  return info != nullptr ? info->description : "?";
}

bool make_noise(NoiseKind kind, std::size_t length, std::uint32_t seed,
                const std::string &noise_file, std::vector<float> *out, std::string *error) {
  out->assign(length, 0.0f);
  std::mt19937 rng(seed ^ (0x9E3779B9u * (static_cast<std::uint32_t>(kind) + 1u)));
  switch (kind) {
  case NoiseKind::kAlsa: {
    Audio audio;
    if (!file_exists(noise_file))
      return fail(error, "missing noise recording " + noise_file +
                             " (Debian package alsa-utils, or --noise-file; or choose "
                             "--noise pink,brown)");
    if (!read_wav(noise_file, &audio, error))
      return false;
    if (audio.rate % kRate != 0)
      return fail(error, noise_file + ": " + std::to_string(audio.rate) +
                             " Hz is not a multiple of 16 kHz");
    std::vector<float> x = decimate(audio.samples, audio.rate / kRate);
    remove_dc(&x);
    const std::size_t fade = static_cast<std::size_t>(kRate / 20); /* 50 ms */
    if (x.size() < 4 * fade)
      return fail(error, noise_file + ": too short to loop");
    /* Seamless loop of x.size() - fade samples: its head cross-fades (equal
     * power) from x's tail into x's head. */
    const std::size_t period = x.size() - fade;
    std::vector<float> loop(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(period));
    for (std::size_t i = 0; i < fade; i++) {
      const double w = (static_cast<double>(i) + 0.5) / static_cast<double>(fade);
      loop[i] = static_cast<float>(std::sin(0.5 * M_PI * w) * x[i] +
                                   std::cos(0.5 * M_PI * w) * x[period + i]);
    }
    for (std::size_t i = 0; i < length; i++)
      (*out)[i] = loop[i % period];
    break;
  }
  case NoiseKind::kPink: {
    constexpr int kRows = 16;
    double rows[kRows] = {};
    double total = 0.0;
    for (double &r : rows) {
      r = normal(rng);
      total += r;
    }
    for (std::size_t i = 0; i < length; i++) {
      /* Row k changes every 2^k samples: the number of trailing zeros of i+1. */
      std::size_t n = i + 1;
      int k = 0;
      while ((n & 1u) == 0 && k < kRows - 1) {
        n >>= 1;
        k++;
      }
      total -= rows[k];
      rows[k] = normal(rng);
      total += rows[k];
      (*out)[i] = static_cast<float>(total + normal(rng));
    }
    break;
  }
  case NoiseKind::kBrown: {
    double y = 0.0;
    for (std::size_t i = 0; i < length; i++) {
      y = 0.995 * y + normal(rng);
      (*out)[i] = static_cast<float>(y);
    }
    break;
  }
  case NoiseKind::kWhite:
    for (std::size_t i = 0; i < length; i++)
      (*out)[i] = static_cast<float>(normal(rng));
    break;
  }
  normalize_rms(out);
  return true;
}

std::vector<std::int16_t> mix(const Corpus &corpus, const std::vector<float> *noise, double snr_db,
                              double peak_dbfs) {
  const std::size_t n = corpus.speech.size();
  std::vector<float> m(corpus.speech);
  if (noise != nullptr) {
    /* Noise has unit RMS: this gain makes speech RMS / noise RMS = snr_db. */
    const float gain = static_cast<float>(corpus.speech_rms / std::pow(10.0, snr_db / 20.0));
    for (std::size_t i = 0; i < n; i++)
      m[i] += gain * (*noise)[i];
  }
  float peak = 0.0f;
  for (float v : m)
    peak = std::max(peak, std::fabs(v));
  const double scale = peak > 0.0f ? std::pow(10.0, peak_dbfs / 20.0) / peak : 1.0;
  std::vector<std::int16_t> out(n);
  for (std::size_t i = 0; i < n; i++) {
    const double v = std::round(m[i] * scale * 32768.0);
    out[i] = static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
  }
  return out;
}

} /* namespace voicekit::eval */
