/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * vad-eval corpus: real recordings trimmed to their speech, joined into turns
 * with known speech boundaries, mixed with noise at a chosen SNR and level.
 *
 * Everything is 16 kHz mono. Times are in samples unless a name says _ns.
 * The rules (trimming, cutting, gaps, SNR) are described in
 * docs/pausedetect-eval.md; the constants live in TrimRule and CorpusConfig.
 */
#ifndef TOOLS_EVAL_CORPUS_HPP
#define TOOLS_EVAL_CORPUS_HPP

#include <cstdint>
#include <string>
#include <vector>

namespace voicekit::eval {

constexpr int kRate = 16000;

inline std::uint64_t samples_to_ns(std::uint64_t samples) {
  return samples * 1000000000ull / static_cast<std::uint64_t>(kRate);
}

/* Mono audio, full scale = 1.0. */
struct Audio {
  int rate = 0;
  std::vector<float> samples;
};

/* RIFF/WAVE, PCM 16-bit, any channel count (averaged to mono). */
bool read_wav(const std::string &path, Audio *out, std::string *error);
/* Headerless signed 16-bit little-endian mono. */
bool read_raw_s16le(const std::string &path, int rate, Audio *out, std::string *error);
bool write_wav_s16(const std::string &path, const std::vector<std::int16_t> &samples, int rate,
                   std::string *error);

/* Offline, non-causal speech trimming of one recording (see corpus.cpp). */
struct TrimRule {
  int window_ms = 10;               /* energy windows ... */
  int hop_ms = 5;                   /* ... every hop_ms */
  double floor_percentile = 10.0;   /* noise floor = this percentile of frame levels */
  double peak_percentile = 99.0;    /* peak = this percentile of frame levels */
  double relative = 0.3;            /* threshold = floor + relative * (peak - floor) */
  double min_above_floor_db = 12.0; /* ... but at least floor + this */
  int min_run_ms = 40;              /* shorter runs above threshold are noise, not speech */
  int split_pause_ms = 300;         /* a run below threshold this long splits segments */
  int min_segment_ms = 250;         /* shorter pieces (clicks, breaths) are dropped */
  double high_pass_hz = 150.0;      /* measured level ignores energy below this */
};

struct Span {
  std::uint64_t begin = 0; /* first sample */
  std::uint64_t end = 0;   /* one past the last sample */
};

struct Segment {
  std::string source;
  Span in_source;
  std::vector<float> samples;
};

struct SourceStats {
  std::string name;
  double seconds = 0;
  double floor_db = 0;
  double peak_db = 0;
  double threshold_db = 0;
  double gain_db = 0; /* applied so that active speech is at CorpusConfig::speech_rms_db */
  int segments = 0;
  double speech_seconds = 0;
};

/* Cuts one recording into speech segments. */
std::vector<Segment> segment_recording(const Audio &audio, const std::string &name,
                                       const TrimRule &rule, SourceStats *stats);

struct Turn {
  Span span;                        /* first speech sample .. end of the last segment */
  std::vector<Span> segments;       /* its segments in the corpus */
  std::vector<std::string> sources; /* where each segment comes from */
};

struct CorpusConfig {
  std::uint32_t seed = 20240601;
  int min_turns = 48;
  int short_gap_min_ms = 150; /* inside a turn */
  int short_gap_max_ms = 350;
  int long_gap_min_ms = 1200; /* between turns */
  int long_gap_max_ms = 2500;
  int lead_in_ms = 1000;        /* before the first turn */
  int tail_ms = 2000;           /* after the last turn */
  double speech_rms_db = -26.0; /* every source scaled to this active-speech level */
  TrimRule trim;
};

struct Corpus {
  std::vector<float> speech; /* clean speech, digital silence between segments */
  std::vector<Turn> turns;
  std::vector<SourceStats> sources;
  std::size_t segment_pool = 0; /* distinct segments available */
  std::size_t segments_used = 0;
  double speech_rms = 0; /* over speech samples (inside segments) only */
};

/* Reads the pocketsphinx-testdata recordings under data_dir and builds the
 * corpus. Fails (with a message naming the missing files) when any is absent. */
bool build_corpus(const std::string &data_dir, const CorpusConfig &config, Corpus *corpus,
                  std::string *error);

enum class NoiseKind { kAlsa, kPink, kBrown, kWhite };
const char *noise_name(NoiseKind kind);
bool parse_noise(const std::string &text, NoiseKind *kind);
std::string noise_description(NoiseKind kind);

/* Noise of `length` samples at unit RMS. kAlsa loops the recording in
 * noise_file (resampled to 16 kHz); the others are synthetic, from `seed`. */
bool make_noise(NoiseKind kind, std::size_t length, std::uint32_t seed,
                const std::string &noise_file, std::vector<float> *out, std::string *error);

/* speech + noise at snr_db (noise may be null: clean), then the whole mix
 * scaled so that its peak is at peak_dbfs, rounded to S16. */
std::vector<std::int16_t> mix(const Corpus &corpus, const std::vector<float> *noise, double snr_db,
                              double peak_dbfs);

} /* namespace voicekit::eval */

#endif /* TOOLS_EVAL_CORPUS_HPP */
