/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * bench-silero: the native Silero VAD engine against ONNX Runtime (Node),
 * on the same windows, one thread each.
 *
 * For each model (VOICEKIT_SILERO_MODEL_V5 and _V6, or --model FILE) and
 * sample rate (16 and 8 kHz) it prints:
 *   - native time per window (us; median and minimum over rounds, every round
 *     runs all windows in order, state carried) and times real time
 *     (a window is 32 ms of audio at either rate), with the default kernels
 *     and the portable ones;
 *   - onnxruntime-node's time per window on the same windows (session.run,
 *     intraOpNumThreads = interOpNumThreads = 1; tests/silero/bench-ort.mjs,
 *     needs VOICEKIT_ORT_DIR and node on PATH), and the ratio;
 *   - the whole engine (FrameAnalyzer + resampling + network) on 48 kHz S16
 *     in 20 ms buffers, in times real time;
 *   - memory: the prepared weights (bytes), one stream's state (bytes), and
 *     the resident-memory growth of loading the model and of 100 streams.
 *
 * The signal: Debian's pocketsphinx-testdata speech with silences (the
 * two-turn test signal), repeated to --seconds.
 *
 * Usage: bench-silero [--seconds S] [--rounds R] [--model FILE] [--no-ort]
 */
#include <gst/vad/silero.hpp>
#include <gst/vad/vad.hpp>

#include "../common/silero-windows.hpp"
#include "../common/speech.hpp"
#include "bench-stats.hpp"
#include "bench-vad.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace vad = voicekit::vad;
using Clock = std::chrono::steady_clock;

using voicekit::bench::median;
using voicekit::bench::minimum;

/* Resident set size, bytes. */
long rss_bytes() {
  std::FILE *file = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (file != nullptr) {
    if (std::fscanf(file, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    std::fclose(file);
  }
  return resident * sysconf(_SC_PAGESIZE);
}

std::vector<float> signal_at(int rate, double seconds) {
  std::vector<float> out;
  for (std::int16_t s : voicekit::testing::two_turns_for(rate, seconds))
    out.push_back(static_cast<float>(s) / 32768.0f);
  return out;
}

struct Timing {
  double median_us, min_us;
  double checksum;
};

Timing time_native(const std::shared_ptr<const vad::SileroModel> &model, int rate,
                   const std::vector<float> &signal, int rounds, bool portable) {
  vad::SileroInference inference(model, rate, {portable});
  const std::size_t n = inference.window_samples();
  const std::size_t windows = signal.size() / n;
  std::vector<double> per_window;
  double checksum = 0.0;
  for (int round = -1; round < rounds; round++) { /* round -1: warm-up */
    inference.reset();
    const auto start = Clock::now();
    for (std::size_t w = 0; w < windows; w++)
      checksum += inference.process_window(signal.data() + w * n);
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    if (round >= 0)
      per_window.push_back(us / static_cast<double>(windows));
  }
  return {median(per_window), minimum(per_window), checksum};
}

/* FrameAnalyzer with the Silero engine on 48 kHz S16 mono, 20 ms buffers and
 * 10 ms frames: times real time (median of rounds). */
double engine_realtime(const std::shared_ptr<const vad::SileroModel> &model, double seconds,
                       int rounds) {
  const int rate = 48000;
  const std::vector<std::int16_t> samples = voicekit::testing::two_turns_for(rate, seconds);
  vad::FrameAnalyzer analyzer(vad::make_silero_engine(model));
  voicekit::bench::configure_or_exit(analyzer, rate);
  std::vector<double> factors;
  double sum = 0.0;
  for (int round = -1; round < rounds; round++) {
    analyzer.reset();
    const auto start = Clock::now();
    for (std::size_t done = 0; done < samples.size(); done += 960)
      analyzer.push(samples.data() + done, std::min<std::size_t>(960, samples.size() - done),
                    [&](const vad::FrameResult &frame) { sum += frame.probability; });
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (round >= 0)
      factors.push_back(static_cast<double>(samples.size()) / rate / elapsed);
  }
  if (sum <= 0.0) {
    std::fprintf(stderr, "the engine found no speech: not a valid run\n");
    std::exit(1);
  }
  return median(factors);
}

/* Runs node on bench-ort.mjs; returns its JSON line's median and min. */
bool time_ort(const std::string &model_path, int rate, const std::vector<float> &signal, int rounds,
              double *median_us, double *min_us) {
  const std::size_t n = rate == 8000 ? 256 : 512, context = rate == 8000 ? 32 : 64;
  char dir_template[] = "/tmp/bench-silero-XXXXXX";
  if (mkdtemp(dir_template) == nullptr)
    return false;
  const std::string dir = dir_template;
  const std::string windows_path = dir + "/windows.f32", out_path = dir + "/ort.json";
  {
    const std::vector<float> windows = voicekit::testing::windows_with_context(signal, n, context);
    std::ofstream out(windows_path, std::ios::binary);
    out.write(reinterpret_cast<const char *>(windows.data()),
              static_cast<std::streamsize>(windows.size() * sizeof(float)));
  }
  const std::string script = std::string(VOICEKIT_SILERO_SCRIPTS) + "/bench-ort.mjs";
  std::vector<std::string> args = {
      "node", script, model_path, std::to_string(rate), windows_path, std::to_string(rounds)};
  std::printf("  $ VOICEKIT_ORT_DIR=%s", std::getenv("VOICEKIT_ORT_DIR"));
  for (const std::string &arg : args)
    std::printf(" %s", arg.c_str());
  std::printf("\n");
  std::vector<char *> argv;
  for (std::string &arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  pid_t pid;
  const int spawned = posix_spawnp(&pid, "node", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  if (spawned == 0)
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  std::ifstream in(out_path);
  const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(windows_path.c_str());
  std::remove(out_path.c_str());
  rmdir(dir.c_str());
  if (spawned != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "  node failed (%s)\n",
                 spawned != 0 ? std::strerror(spawned) : "see its messages above");
    return false;
  }
  auto number = [&](const char *key) {
    const std::size_t at = json.find(std::string("\"") + key + "\":");
    return at == std::string::npos ? -1.0 : std::atof(json.c_str() + at + std::strlen(key) + 3);
  };
  *median_us = number("median");
  *min_us = number("min");
  std::printf("  %s", json.c_str());
  return *median_us > 0.0;
}

} /* namespace */

int main(int argc, char **argv) {
  double seconds = 30.0;
  int rounds = 15;
  bool ort = true;
  std::vector<std::pair<std::string, std::string>> models;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = std::atof(argv[++i]);
    else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = std::max(1, std::atoi(argv[++i]));
    else if (std::strcmp(argv[i], "--model") == 0 && i + 1 < argc)
      models.emplace_back(argv[i + 1], argv[i + 1]), i++;
    else if (std::strcmp(argv[i], "--no-ort") == 0)
      ort = false;
    else {
      std::printf("usage: %s [--seconds S] [--rounds R] [--model FILE] [--no-ort]\n", argv[0]);
      return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
    }
  }
  if (models.empty())
    for (const char *variable : {"VOICEKIT_SILERO_MODEL_V5", "VOICEKIT_SILERO_MODEL_V6"})
      if (const char *path = std::getenv(variable); path != nullptr && *path != '\0')
        models.emplace_back(variable, path);
  if (models.empty()) {
    std::fprintf(stderr, "no model: set VOICEKIT_SILERO_MODEL_V5 / _V6 or pass --model FILE\n");
    return 2;
  }
  if (ort && std::getenv("VOICEKIT_ORT_DIR") == nullptr) {
    std::fprintf(stderr, "VOICEKIT_ORT_DIR is not set (or pass --no-ort)\n");
    return 2;
  }

  std::printf("bench-silero: %.0f s of speech and silence per rate, %d rounds (+1 warm-up), "
              "one thread\n",
              seconds, rounds);
  bool targets_met = true;
  for (const auto &[label, path] : models) {
    const long rss_before = rss_bytes();
    std::string error;
    const auto load_start = Clock::now();
    auto model = vad::SileroModel::load(path, &error);
    const double load_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - load_start).count();
    const long rss_model = rss_bytes() - rss_before;
    if (!model) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), error.c_str());
      return 1;
    }
    const long rss_streams_before = rss_bytes();
    std::vector<std::unique_ptr<vad::SileroInference>> streams;
    for (int i = 0; i < 100; i++)
      streams.push_back(std::make_unique<vad::SileroInference>(model));
    const long rss_streams = rss_bytes() - rss_streams_before;
    std::printf("\n%s = %s\n", label.c_str(), path.c_str());
    std::printf("  kernels %s, STFT %s, load %.1f ms\n", model->kernels(),
                model->fft_front_end() ? "as FFT" : "as matrix", load_ms);
    std::printf("  memory: weights %zu bytes (both rates), one stream %zu bytes; RSS growth: "
                "load %ld bytes, 100 streams %ld bytes\n",
                model->weight_bytes(), streams.front()->state_bytes(), rss_model, rss_streams);
    streams.clear();

    for (int rate : {16000, 8000}) {
      const std::vector<float> signal = signal_at(rate, seconds);
      const Timing native = time_native(model, rate, signal, rounds, false);
      const Timing portable = time_native(model, rate, signal, rounds, true);
      const double window_us = 32000.0;
      std::printf("  %d Hz, %zu windows:\n", rate, signal.size() / (rate == 8000 ? 256 : 512));
      std::printf("    native (%s): %.2f us/window median, %.2f min -> %.0fx real time\n",
                  model->kernels(), native.median_us, native.min_us, window_us / native.median_us);
      std::printf("    native (portable): %.2f us/window median, %.2f min -> %.0fx real time\n",
                  portable.median_us, portable.min_us, window_us / portable.median_us);
      targets_met = targets_met && native.median_us <= 32.0;
      if (ort) {
        double ort_median = 0.0, ort_min = 0.0;
        if (!time_ort(path, rate, signal, rounds, &ort_median, &ort_min))
          return 1;
        std::printf("    onnxruntime-node: %.2f us/window median, %.2f min -> %.0fx real time\n",
                    ort_median, ort_min, window_us / ort_median);
        std::printf("    native is %.1fx faster than onnxruntime-node (medians; %.1fx on "
                    "minimums)\n",
                    ort_median / native.median_us, ort_min / native.min_us);
        targets_met = targets_met && ort_median / native.median_us >= 4.0;
      }
    }
    std::printf("  engine at 48 kHz (resampling + network, 10 ms frames): %.0fx real time\n",
                engine_realtime(model, seconds, std::max(3, rounds / 3)));
  }
  std::printf("\ntargets (<= 32 us/window, >= 1000x real time%s): %s\n",
              ort ? ", >= 4x onnxruntime-node" : "", targets_met ? "met" : "NOT met");
  return 0;
}
