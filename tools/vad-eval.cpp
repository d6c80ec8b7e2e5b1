/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * vad-eval: how well `pausedetect`'s built-in engine finds the end of a turn,
 * next to webrtcdsp's voice detection and removesilence, all read by the same
 * turn rule (voicekit::vad::TurnDetector).
 *
 * 1. Corpus: the speech recordings of Debian's pocketsphinx-testdata, trimmed
 *    to their speech offline and cut at real pauses (tools/eval/corpus.cpp),
 *    joined into turns: segments inside a turn are 150-350 ms apart (shorter
 *    than min-silence, so one turn), turns are 1.2-2.5 s apart. std::mt19937
 *    with a fixed seed: every run builds the same corpus. 16 kHz mono.
 * 2. Conditions: clean, and noise (a looped recording and synthetic brown
 *    noise by default) at 20, 10 and 5 dB SNR (speech power over the speech
 *    samples only, over noise power); each mix scaled to peaks of -6, -20 and
 *    -30 dBFS, so a detector that relies on the absolute level shows it.
 * 3. Detectors -> per-frame speech probabilities -> one TurnDetector each,
 *    same configuration -> speech-start and pause decisions.
 * 4. Scores (tools/eval/score.hpp has the exact matching rules), per SNR
 *    with levels and noises pooled, then per condition.
 *
 * Usage: vad-eval --help
 */
#include "comma-list.hpp"
#include "eval/corpus.hpp"
#include "eval/detectors.hpp"
#include "eval/score.hpp"

#include "gst/vad/engines.hpp"
#include "gst/vad/turn.hpp"

#include <gst/gst.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace voicekit;
using eval::NoiseKind;

constexpr double kClean = 1000.0; /* the SNR value that means "no noise" */

enum class Detector { kBuiltin, kSilero, kWebrtcdsp, kRemovesilence };
const std::pair<Detector, const char *> kDetectorNames[] = {
    {Detector::kBuiltin, "builtin"},
    {Detector::kSilero, "silero"},
    {Detector::kWebrtcdsp, "webrtcdsp"},
    {Detector::kRemovesilence, "removesilence"},
};

const char *detector_name(Detector d) {
  for (const auto &[detector, name] : kDetectorNames)
    if (detector == d)
      return name;
  return "?";
}

bool parse_detector(const std::string &text, Detector *out) {
  for (const auto &[detector, name] : kDetectorNames)
    if (text == name) {
      *out = detector;
      return true;
    }
  return false;
}

/* The turn rule's defaults are pausedetect's: one source, TurnConfig. */
const vad::TurnConfig kTurnDefaults{};

int to_ms(std::uint64_t ns) {
  return static_cast<int>(ns / vad::kMillisecond);
}

struct Options {
  std::string data_dir = "/usr/share/pocketsphinx/test/data";
  std::string noise_file = "/usr/share/sounds/alsa/Noise.wav";
  std::string dump_dir;
  int min_silence_ms = to_ms(kTurnDefaults.min_silence_ns);
  int min_speech_ms = to_ms(kTurnDefaults.min_speech_ns);
  int speech_pad_ms = to_ms(kTurnDefaults.speech_pad_ns);
  double threshold = kTurnDefaults.threshold;
  double end_threshold = kTurnDefaults.end_threshold;
  bool end_threshold_given = false;
  int frame_ms = 10;
  bool frame_ms_given = false;
  std::uint32_t seed = 20240601;
  int turns = 48;
  std::vector<double> snrs = {kClean, 20, 10, 5};
  std::vector<double> levels = {-6, -20, -30};
  std::vector<NoiseKind> noises = {NoiseKind::kAlsa, NoiseKind::kBrown};
  std::vector<Detector> detectors = {Detector::kBuiltin, Detector::kSilero, Detector::kWebrtcdsp,
                                     Detector::kRemovesilence};
  std::string model_path; /* silero; empty: pausedetect's default */
  int removesilence_threshold = -60;
  std::string webrtc_likelihood = "low";
  bool quick = false;
  bool verbose = false;
};

void usage(FILE *to) {
  std::fprintf(
      to,
      "Usage: vad-eval [options]\n"
      "\n"
      "Builds a labelled corpus of turns from pocketsphinx-testdata, mixes it with\n"
      "noise at several SNRs and levels, runs the detectors, applies the same turn\n"
      "rule to each and prints markdown tables of turn-end latency, missed turns,\n"
      "false pauses, speech-start latency and onset lost.\n"
      "\n"
      "  --data-dir DIR        speech recordings (default /usr/share/pocketsphinx/test/data)\n"
      "  --noise-file FILE     recorded noise (default /usr/share/sounds/alsa/Noise.wav)\n"
      "  --noise LIST          alsa,pink,brown,white (default alsa,brown)\n"
      "  --snr LIST            dB, or clean (default clean,20,10,5)\n"
      "  --levels LIST         peak level of each mix, dBFS (default -6,-20,-30)\n"
      "  --quick               one level (-20 dBFS) and the first noise only\n"
      "  --detectors LIST      builtin,silero,webrtcdsp,removesilence (default all)\n"
      "  --model FILE          Silero model (default: pausedetect's search path,\n"
      "                        $VOICEKIT_SILERO_MODEL, <datadir>/gst-voicekit/models,\n"
      "                        ~/.cache/gst-voicekit/models; silero_vad.onnx)\n"
      "  --frame-ms N          engine frame, 10..32 (default 10 builtin, 32 silero)\n"
      "  --min-silence-ms N    turn rule: silence that makes a pause (default %d)\n"
      "  --min-speech-ms N     turn rule: speech that starts an utterance (default %d)\n"
      "  --speech-pad-ms N     turn rule: audio kept before the onset (default %d)\n"
      "  --threshold P         turn rule: speech at or above (default %.2f)\n"
      "  --end-threshold P     turn rule: silence below (default %.2f)\n"
      "  --removesilence-threshold DB  removesilence threshold (default -60; the element\n"
      "                        truncates it to a multiple of 10 dB)\n"
      "  --webrtc-likelihood L very-low, low, moderate, high (default low)\n"
      "  --seed N              corpus seed (default 20240601)\n"
      "  --turns N             at least N turns (default 48)\n"
      "  --dump-wav DIR        write every mix as WAV plus an Audacity label file\n"
      "  --verbose             list every missed turn and false pause\n"
      "  --help                this text\n",
      to_ms(kTurnDefaults.min_silence_ns), to_ms(kTurnDefaults.min_speech_ns),
      to_ms(kTurnDefaults.speech_pad_ns), static_cast<double>(kTurnDefaults.threshold),
      static_cast<double>(kTurnDefaults.end_threshold));
}

/* A comma-separated list: each item through `parse` (false for a bad one).
 * False when an item is bad or there is none; `out` holds the good ones. */
template <typename T, typename Parse>
bool parse_list(const std::string &text, std::vector<T> *out, Parse parse) {
  out->clear();
  bool ok = true;
  for (const auto &item : comma_list(text)) {
    T value;
    if (parse(item, &value))
      out->push_back(value);
    else
      ok = false;
  }
  return ok && !out->empty();
}

bool parse_double(const std::string &text, double *out) {
  char *end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v))
    return false;
  *out = v;
  return true;
}

bool parse_int(const std::string &text, long lo, long hi, int *out) {
  char *end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < lo || v > hi)
    return false;
  *out = static_cast<int>(v);
  return true;
}

/* 0 to run, else the exit code. */
int parse_options(int argc, char **argv, Options *o) {
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return -1;
    }
    if (arg == "--quick") {
      o->quick = true;
      continue;
    }
    if (arg == "--verbose") {
      o->verbose = true;
      continue;
    }
    static const char *const kValueOptions[] = {"--data-dir",
                                                "--noise-file",
                                                "--dump-wav",
                                                "--min-silence-ms",
                                                "--min-speech-ms",
                                                "--speech-pad-ms",
                                                "--frame-ms",
                                                "--turns",
                                                "--removesilence-threshold",
                                                "--seed",
                                                "--threshold",
                                                "--end-threshold",
                                                "--webrtc-likelihood",
                                                "--snr",
                                                "--levels",
                                                "--noise",
                                                "--detectors",
                                                "--model"};
    bool known = false;
    for (const char *name : kValueOptions)
      known = known || arg == name;
    if (!known) {
      std::fprintf(stderr, "vad-eval: unknown option %s (see --help)\n", arg.c_str());
      return 2;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "vad-eval: %s needs a value (see --help)\n", arg.c_str());
      return 2;
    }
    const std::string value = argv[++i];
    bool ok = true;
    double number = 0;
    int seed = 0;
    if (arg == "--data-dir") {
      o->data_dir = value;
    } else if (arg == "--noise-file") {
      o->noise_file = value;
    } else if (arg == "--dump-wav") {
      o->dump_dir = value;
    } else if (arg == "--min-silence-ms") {
      ok = parse_int(value, 10, 10000, &o->min_silence_ms);
    } else if (arg == "--min-speech-ms") {
      ok = parse_int(value, 10, 10000, &o->min_speech_ms); /* pausedetect's range */
    } else if (arg == "--speech-pad-ms") {
      ok = parse_int(value, 0, 10000, &o->speech_pad_ms);
    } else if (arg == "--frame-ms") {
      ok = parse_int(value, 10, 32, &o->frame_ms);
      o->frame_ms_given = true;
    } else if (arg == "--turns") {
      ok = parse_int(value, 1, 10000, &o->turns);
    } else if (arg == "--removesilence-threshold") {
      ok = parse_int(value, -70, 70, &o->removesilence_threshold);
    } else if (arg == "--seed") {
      ok = parse_int(value, 0, 2147483647L, &seed);
      o->seed = static_cast<std::uint32_t>(seed);
    } else if (arg == "--threshold") {
      ok = parse_double(value, &number) && number > 0 && number <= 1;
      o->threshold = number;
    } else if (arg == "--end-threshold") {
      o->end_threshold_given = true;
      ok = parse_double(value, &number) && number >= 0 && number <= 1;
      o->end_threshold = number;
    } else if (arg == "--webrtc-likelihood") {
      ok = value == "very-low" || value == "low" || value == "moderate" || value == "high";
      o->webrtc_likelihood = value;
    } else if (arg == "--snr") {
      ok = parse_list(value, &o->snrs, [](const std::string &p, double *snr) {
        if (p == "clean") {
          *snr = kClean;
          return true;
        }
        return parse_double(p, snr) && *snr > -30 && *snr < 100;
      });
    } else if (arg == "--levels") {
      ok = parse_list(value, &o->levels, [](const std::string &p, double *level) {
        return parse_double(p, level) && *level <= 0 && *level >= -60;
      });
    } else if (arg == "--noise") {
      ok = parse_list(value, &o->noises, eval::parse_noise);
    } else if (arg == "--model") {
      o->model_path = value;
    } else if (arg == "--detectors") {
      ok = parse_list(value, &o->detectors, parse_detector);
    } else {
      std::fprintf(stderr, "vad-eval: unknown option %s (see --help)\n", arg.c_str());
      return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "vad-eval: bad value for %s: %s (see --help)\n", arg.c_str(),
                   value.c_str());
      return 2;
    }
  }
  if (o->end_threshold > o->threshold) {
    std::fprintf(stderr, "vad-eval: --end-threshold must not exceed --threshold\n");
    return 2;
  }
  if (o->quick) {
    o->levels = {-20};
    o->noises.resize(1);
  }
  return 0;
}

struct Condition {
  bool clean;
  NoiseKind noise;
  double snr;
  double level;
};

std::string snr_label(double snr) {
  if (snr >= kClean)
    return "clean";
  char text[32];
  std::snprintf(text, sizeof text, "%g dB", snr);
  return text;
}

std::string condition_label(const Condition &c) {
  char text[96];
  if (c.clean)
    std::snprintf(text, sizeof text, "clean @ %g dBFS", c.level);
  else
    std::snprintf(text, sizeof text, "%s %s @ %g dBFS", eval::noise_name(c.noise),
                  snr_label(c.snr).c_str(), c.level);
  return text;
}

std::string fmt(const char *format, double v) {
  if (std::isnan(v))
    return "-";
  char text[64];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos)
        return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

/* One markdown table: a row per metric, a column per detector. */
void print_table(const std::vector<Detector> &detectors, const std::vector<eval::Score> &scores) {
  std::printf("| metric |");
  for (Detector d : detectors)
    std::printf(" %s |", detector_name(d));
  std::printf("\n|---|");
  for (std::size_t i = 0; i < detectors.size(); i++)
    std::printf("---|");
  std::printf("\n");
  auto row = [&](const char *name, auto cell) {
    std::printf("| %s |", name);
    for (const eval::Score &s : scores)
      std::printf(" %s |", cell(s).c_str());
    std::printf("\n");
  };
  row("turns", [](const eval::Score &s) { return std::to_string(s.turns); });
  row("turn ends detected", [](const eval::Score &s) {
    return std::to_string(s.detected_ends) + " (" +
           fmt("%.1f", 100.0 * s.detected_ends / std::max(1, s.turns)) + " %)";
  });
  row("missed turns (merged / early / undetected)", [](const eval::Score &s) {
    return std::to_string(s.missed()) + " (" + std::to_string(s.missed_merged) + " / " +
           std::to_string(s.missed_early) + " / " + std::to_string(s.missed_undetected) + ")";
  });
  row("false pauses (in turn / in gap)", [](const eval::Score &s) {
    return std::to_string(s.false_pauses()) + " (" + std::to_string(s.false_in_turn) + " / " +
           std::to_string(s.false_in_gap) + ")";
  });
  row("turn-end latency median, ms",
      [](const eval::Score &s) { return fmt("%.0f", eval::quantile(s.end_latency_ms, 0.5)); });
  row("turn-end latency p95, ms",
      [](const eval::Score &s) { return fmt("%.0f", eval::quantile(s.end_latency_ms, 0.95)); });
  row("speech-start latency median, ms",
      [](const eval::Score &s) { return fmt("%.0f", eval::quantile(s.start_latency_ms, 0.5)); });
  row("utterance open before turn start",
      [](const eval::Score &s) { return std::to_string(s.open_before); });
  row("onset lost median / max, ms", [](const eval::Score &s) {
    return fmt("%.0f", eval::quantile(s.onset_lost_ms, 0.5)) + " / " +
           fmt("%.0f", eval::quantile(s.onset_lost_ms, 1.0));
  });
  row("speech frames detected", [](const eval::Score &s) {
    return fmt("%.1f %%", 100.0 * static_cast<double>(s.speech_hits) /
                              static_cast<double>(std::max<std::uint64_t>(1, s.speech_frames)));
  });
  row("non-speech frames flagged", [](const eval::Score &s) {
    return fmt("%.1f %%", 100.0 * static_cast<double>(s.other_hits) /
                              static_cast<double>(std::max<std::uint64_t>(1, s.other_frames)));
  });
}

bool write_labels(const std::string &path, const eval::Corpus &corpus) {
  std::ofstream out(path);
  for (std::size_t i = 0; i < corpus.turns.size(); i++) {
    const auto &t = corpus.turns[i];
    out << static_cast<double>(t.span.begin) / eval::kRate << '\t'
        << static_cast<double>(t.span.end) / eval::kRate << "\tturn " << i + 1 << '\n';
  }
  return static_cast<bool>(out);
}

} /* namespace */

int main(int argc, char **argv) {
  std::string command = argv[0];
  for (int i = 1; i < argc; i++)
    command += std::string(" ") + argv[i];
  Options options;
  if (const int code = parse_options(argc, argv, &options))
    return code < 0 ? 0 : code;
  gst_init(nullptr, nullptr);

  for (Detector d : options.detectors) {
    if (d == Detector::kBuiltin || d == Detector::kSilero)
      continue;
    const std::string missing = eval::missing_element(detector_name(d));
    if (!missing.empty()) {
      std::fprintf(stderr, "vad-eval: %s (or leave it out with --detectors)\n", missing.c_str());
      return 1;
    }
  }

  const auto t0 = std::chrono::steady_clock::now();
  auto seconds_since = [](std::chrono::steady_clock::time_point from) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - from).count();
  };

  eval::CorpusConfig corpus_config;
  corpus_config.seed = options.seed;
  corpus_config.min_turns = options.turns;
  eval::Corpus corpus;
  std::string error;
  if (!eval::build_corpus(options.data_dir, corpus_config, &corpus, &error)) {
    std::fprintf(stderr, "vad-eval: %s\n", error.c_str());
    return 1;
  }
  bool any_noise = false;
  for (double snr : options.snrs)
    any_noise = any_noise || snr < kClean;
  std::map<NoiseKind, std::vector<float>> noise;
  if (any_noise) {
    for (NoiseKind kind : options.noises) {
      if (!eval::make_noise(kind, corpus.speech.size(), options.seed, options.noise_file,
                            &noise[kind], &error)) {
        std::fprintf(stderr, "vad-eval: %s\n", error.c_str());
        return 1;
      }
    }
  }
  const double corpus_seconds = seconds_since(t0);

  eval::Truth truth;
  for (const auto &t : corpus.turns) {
    truth.turns.push_back({eval::samples_to_ns(t.span.begin), eval::samples_to_ns(t.span.end)});
    for (const auto &s : t.segments)
      truth.segments.push_back({eval::samples_to_ns(s.begin), eval::samples_to_ns(s.end)});
  }
  truth.end_ns = eval::samples_to_ns(corpus.speech.size());

  std::vector<Condition> conditions;
  for (double snr : options.snrs) {
    for (double level : options.levels) {
      if (snr >= kClean) {
        conditions.push_back({true, NoiseKind::kAlsa, snr, level});
        continue;
      }
      for (NoiseKind kind : options.noises)
        conditions.push_back({false, kind, snr, level});
    }
  }

  vad::TurnConfig turn_config;
  turn_config.threshold = static_cast<float>(options.threshold);
  turn_config.end_threshold = static_cast<float>(options.end_threshold);
  turn_config.min_speech_ns = static_cast<std::uint64_t>(options.min_speech_ms) * vad::kMillisecond;
  turn_config.min_silence_ns =
      static_cast<std::uint64_t>(options.min_silence_ms) * vad::kMillisecond;
  turn_config.speech_pad_ns = static_cast<std::uint64_t>(options.speech_pad_ms) * vad::kMillisecond;

  const std::size_t nd = options.detectors.size();
  std::vector<std::vector<eval::Score>> per_condition(conditions.size(),
                                                      std::vector<eval::Score>(nd));
  std::vector<double> detector_seconds(nd, 0.0);
  std::vector<std::string> verbose_lines;

  for (std::size_t c = 0; c < conditions.size(); c++) {
    const Condition &cond = conditions[c];
    const std::vector<std::int16_t> audio =
        eval::mix(corpus, cond.clean ? nullptr : &noise[cond.noise], cond.snr, cond.level);
    if (!options.dump_dir.empty()) {
      char name[128];
      std::snprintf(name, sizeof name, "%s-%s-%gdBFS",
                    cond.clean ? "clean" : eval::noise_name(cond.noise),
                    cond.clean ? "inf" : fmt("%g", cond.snr).c_str(), cond.level);
      if (!eval::write_wav_s16(options.dump_dir + "/" + name + ".wav", audio, eval::kRate,
                               &error) ||
          !write_labels(options.dump_dir + "/" + name + ".txt", corpus)) {
        std::fprintf(stderr, "vad-eval: %s\n",
                     error.empty() ? "cannot write labels" : error.c_str());
        return 1;
      }
    }
    for (std::size_t d = 0; d < nd; d++) {
      const auto start = std::chrono::steady_clock::now();
      std::vector<eval::Frame> frames;
      bool ok = false;
      switch (options.detectors[d]) {
      case Detector::kBuiltin:
        ok = eval::run_builtin(audio, eval::kRate, options.frame_ms, &frames, &error);
        break;
      case Detector::kSilero:
        /* pausedetect's frames for silero: the network's 32 ms windows */
        ok = eval::run_silero(audio, eval::kRate, options.frame_ms_given ? options.frame_ms : 32,
                              options.model_path, &frames, &error);
        break;
      case Detector::kWebrtcdsp:
        ok = eval::run_webrtcdsp(audio, eval::kRate, options.webrtc_likelihood, &frames, &error);
        break;
      case Detector::kRemovesilence:
        ok = eval::run_removesilence(audio, eval::kRate, options.removesilence_threshold, &frames,
                                     &error);
        break;
      }
      if (!ok) {
        std::fprintf(stderr, "vad-eval: %s on %s: %s\n", detector_name(options.detectors[d]),
                     condition_label(cond).c_str(), error.c_str());
        return 1;
      }
      const std::uint64_t end_ns = frames.empty() ? 0 : frames.back().end_ns;
      /* Silero's own end rule, as pausedetect applies it: threshold - 0.15,
       * unless --end-threshold was given. */
      vad::TurnConfig config = turn_config;
      if (options.detectors[d] == Detector::kSilero && !options.end_threshold_given)
        config.end_threshold = std::max(0.0f, config.threshold - 0.15f);
      const auto utterances = eval::run_turn_detector(frames, config, end_ns);
      std::vector<std::string> log;
      per_condition[c][d] = eval::score_utterances(utterances, frames, truth, turn_config.threshold,
                                                   options.verbose ? &log : nullptr);
      detector_seconds[d] += seconds_since(start);
      for (const auto &line : log)
        verbose_lines.push_back(std::string(detector_name(options.detectors[d])) + ", " +
                                condition_label(cond) + ": " + line);
    }
  }
  const double total_seconds = seconds_since(t0);

  /* ---- report ---- */
  double speech_s = 0, turn_s = 0;
  for (const auto &t : corpus.turns) {
    turn_s += static_cast<double>(t.span.end - t.span.begin) / eval::kRate;
    for (const auto &s : t.segments)
      speech_s += static_cast<double>(s.end - s.begin) / eval::kRate;
  }
  const std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M %Z", std::localtime(&now));

  std::printf("# vad-eval: end-of-turn detection\n\n");
  std::printf("Command: `%s`\n\n", command.c_str());
  std::printf("Run %s on %u cores (%s); %s.\n\n", date, std::thread::hardware_concurrency(),
              cpu_model().c_str(), gst_version_string());
  std::printf("Corpus (seed %u): %zu turns, %zu segments placed (%zu distinct, from %zu "
              "recordings in %s), %.1f s of audio, %.1f s of speech in segments, %.1f s inside "
              "turns. Gaps inside a turn %d-%d ms, between turns %d-%d ms, lead-in %d ms, tail "
              "%d ms; digital silence before noise.\n\n",
              options.seed, corpus.turns.size(), corpus.segments_used, corpus.segment_pool,
              corpus.sources.size(), options.data_dir.c_str(),
              static_cast<double>(corpus.speech.size()) / eval::kRate, speech_s, turn_s,
              corpus_config.short_gap_min_ms, corpus_config.short_gap_max_ms,
              corpus_config.long_gap_min_ms, corpus_config.long_gap_max_ms,
              corpus_config.lead_in_ms, corpus_config.tail_ms);
  if (any_noise) {
    std::printf("Noise:\n");
    for (NoiseKind kind : options.noises)
      std::printf("- %s: %s\n", eval::noise_name(kind), eval::noise_description(kind).c_str());
    std::printf("\n");
  }
  std::printf("SNR = speech power over the speech samples only / noise power. Each mix is "
              "scaled to a peak of ");
  for (std::size_t i = 0; i < options.levels.size(); i++)
    std::printf("%s%g", i == 0 ? "" : ", ", options.levels[i]);
  std::printf(" dBFS; tables pool the levels and noises of one SNR.\n\n");
  std::printf("Detectors: builtin = FrameAnalyzer(make_builtin_engine()), %d ms frames; "
              "silero = FrameAnalyzer(Silero engine, native), %d ms frames, model %s; "
              "webrtcdsp = voice-detection only (likelihood %s), 10 ms, 0/1; removesilence = "
              "remove=true threshold=%d dB (hysteresis 480 samples), 10 ms buffers, 0/1 (-60, "
              "its default, detects the most turn ends of -70..-30 over all conditions).\n",
              options.frame_ms, options.frame_ms_given ? options.frame_ms : 32,
              vad::locate_silero_model(vad::model_search_path(options.model_path)).path.c_str(),
              options.webrtc_likelihood.c_str(), options.removesilence_threshold);
  std::printf("Turn rule for all: threshold %.2f, end-threshold %.2f (silero: %s), min-speech "
              "%d ms, min-silence %d ms, speech-pad %d ms.\n\n",
              options.threshold, options.end_threshold,
              options.end_threshold_given ? "the same" : "threshold - 0.15, Silero's rule",
              options.min_speech_ms, options.min_silence_ms, options.speech_pad_ms);
  std::printf(
      "Matching (times are stream times; s/e = true start/end of a turn): a turn end is "
      "detected when the utterance open at e (confirmed before e + 100 ms) pauses before the "
      "next turn starts; latency = pause decision - e. Missed: merged (that utterance runs "
      "into the next turn or never pauses), early (it paused inside the turn and nothing was "
      "open at e), undetected (no utterance overlaps the turn). False pause: any other pause "
      "decision, in turn (inside [s, e)) or in gap. Speech-start latency = start decision - s "
      "for the first utterance overlapping the turn, unless it was already open before s. "
      "Onset lost = max(0, reported speech start - s). Frames: true speech = at least half "
      "inside a segment.\n\n");

  for (double snr : options.snrs) {
    std::vector<eval::Score> pooled(nd);
    for (std::size_t c = 0; c < conditions.size(); c++)
      if (conditions[c].snr == snr)
        for (std::size_t d = 0; d < nd; d++)
          pooled[d].add(per_condition[c][d]);
    std::printf("## SNR %s\n\n", snr_label(snr).c_str());
    print_table(options.detectors, pooled);
    std::printf("\n");
  }

  std::printf("## Per condition: missed / false pauses / median turn-end latency (ms)\n\n");
  std::printf("| condition |");
  for (Detector d : options.detectors)
    std::printf(" %s |", detector_name(d));
  std::printf("\n|---|");
  for (std::size_t d = 0; d < nd; d++)
    std::printf("---|");
  std::printf("\n");
  for (std::size_t c = 0; c < conditions.size(); c++) {
    std::printf("| %s |", condition_label(conditions[c]).c_str());
    for (std::size_t d = 0; d < nd; d++) {
      const eval::Score &s = per_condition[c][d];
      std::printf(" %d / %d / %s |", s.missed(), s.false_pauses(),
                  fmt("%.0f", eval::quantile(s.end_latency_ms, 0.5)).c_str());
    }
    std::printf("\n");
  }
  std::printf("\n");

  std::printf("Time: %.1f s in all (corpus and noise %.1f s", total_seconds, corpus_seconds);
  for (std::size_t d = 0; d < nd; d++)
    std::printf(", %s %.1f s", detector_name(options.detectors[d]), detector_seconds[d]);
  std::printf(") for %zu conditions of %.1f s of audio.\n", conditions.size(),
              static_cast<double>(corpus.speech.size()) / eval::kRate);

  if (options.verbose) {
    std::printf("\n## Sources\n\n| recording | s | floor dB | peak dB | threshold dB | gain dB | "
                "segments | speech s |\n|---|---|---|---|---|---|---|---|\n");
    for (const auto &s : corpus.sources)
      std::printf("| %s | %.2f | %.1f | %.1f | %.1f | %+.1f | %d | %.2f |\n", s.name.c_str(),
                  s.seconds, s.floor_db, s.peak_db, s.threshold_db, s.gain_db, s.segments,
                  s.speech_seconds);
    std::printf("\n## Turns\n\n");
    for (std::size_t i = 0; i < corpus.turns.size(); i++) {
      const auto &t = corpus.turns[i];
      std::printf("%zu. %.3f-%.3f s:", i + 1, static_cast<double>(t.span.begin) / eval::kRate,
                  static_cast<double>(t.span.end) / eval::kRate);
      for (std::size_t j = 0; j < t.sources.size(); j++)
        std::printf(" [%.3f-%.3f] %s", static_cast<double>(t.segments[j].begin) / eval::kRate,
                    static_cast<double>(t.segments[j].end) / eval::kRate, t.sources[j].c_str());
      std::printf("\n");
    }
    std::printf("\n## Errors\n\n");
    for (const auto &line : verbose_lines)
      std::printf("- %s\n", line.c_str());
  }
  return 0;
}
