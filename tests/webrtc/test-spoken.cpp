/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Unit tests of the server's "spoken" handler (tools/voicekit-server/spoken.hpp):
 * pocketsphinx transcription of Debian's test recording, espeak-ng speech, the
 * round trip between them, silence, cancellation, bad samples, missing
 * programs and models, concurrent calls, and no leaked descriptors or child
 * processes. Needs gstreamer1.0-pocketsphinx, pocketsphinx-en-us,
 * pocketsphinx-testdata and espeak-ng. Prints its timings ("[ timing ]").
 */
#include <tools/voicekit-server/spoken.hpp>

#include <gst/audio/audio.h>
#include <gst/gst.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <cerrno>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace voicekit::server;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char *kGoForward = "/usr/share/pocketsphinx/test/data/goforward.raw";

/* gst_init once; gst_deinit at the end, so GST_TRACERS=leaks can report what
 * is left alive. */
class GstEnvironment : public ::testing::Environment {
public:
  void SetUp() override { gst_init(nullptr, nullptr); }
  void TearDown() override { gst_deinit(); }
};
[[maybe_unused]] const auto *const kGstEnvironment =
    ::testing::AddGlobalTestEnvironment(new GstEnvironment);

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<int16_t> read_raw(const char *path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<int16_t> samples(bytes.size() / 2);
  for (std::size_t i = 0; i < samples.size(); i++)
    samples[i] = static_cast<int16_t>(static_cast<uint8_t>(bytes[2 * i]) |
                                      (static_cast<uint8_t>(bytes[2 * i + 1]) << 8));
  return samples;
}

/* A sample like replyonpause's utterance: caps and one buffer. */
GstSample *make_sample(const void *data, std::size_t size, GstCaps *caps) {
  GstBuffer *buffer = size > 0 ? gst_buffer_new_memdup(data, size) : gst_buffer_new();
  GstSample *sample = gst_sample_new(buffer, caps, nullptr, nullptr);
  gst_buffer_unref(buffer);
  if (caps)
    gst_caps_unref(caps);
  return sample;
}

GstCaps *audio_caps(GstAudioFormat format, int rate, int channels) {
  GstAudioInfo info;
  gst_audio_info_set_format(&info, format, rate, channels, nullptr);
  return gst_audio_info_to_caps(&info);
}

GstSample *s16_sample(const std::vector<int16_t> &samples, int rate = 16000) {
  return make_sample(samples.data(), samples.size() * 2,
                     audio_caps(GST_AUDIO_FORMAT_S16LE, rate, 1));
}

GstSample *goforward_sample() {
  const std::vector<int16_t> samples = read_raw(kGoForward);
  return samples.empty() ? nullptr : s16_sample(samples);
}

/* The transcriber hears "forward" in goforward.raw (16 kHz mono). */
void expect_hears_goforward(Transcriber &transcriber) {
  GstSample *plain = goforward_sample();
  std::string text, error;
  EXPECT_TRUE(transcriber.transcribe(plain, text, error)) << error;
  EXPECT_NE(text.find("forward"), std::string::npos) << text;
  gst_sample_unref(plain);
}

struct Level {
  double seconds = 0;
  double rms = 0;
  int peak = 0;
};

/* Duration and level of a speak() sample (S16LE mono expected from espeak-ng). */
Level level_of(GstSample *sample) {
  Level level;
  GstAudioInfo info;
  if (!gst_audio_info_from_caps(&info, gst_sample_get_caps(sample)))
    return level;
  GstBuffer *buffer = gst_sample_get_buffer(sample);
  GstMapInfo map;
  if (!buffer || !gst_buffer_map(buffer, &map, GST_MAP_READ))
    return level;
  const std::size_t frames = map.size / static_cast<std::size_t>(GST_AUDIO_INFO_BPF(&info));
  level.seconds = static_cast<double>(frames) / GST_AUDIO_INFO_RATE(&info);
  if (GST_AUDIO_INFO_FORMAT(&info) == GST_AUDIO_FORMAT_S16LE && frames > 0) {
    const auto *pcm = reinterpret_cast<const int16_t *>(map.data);
    const std::size_t count = map.size / 2;
    double sum = 0;
    for (std::size_t i = 0; i < count; i++) {
      sum += static_cast<double>(pcm[i]) * pcm[i];
      level.peak = std::max(level.peak, std::abs(static_cast<int>(pcm[i])));
    }
    level.rms = std::sqrt(sum / static_cast<double>(count));
  }
  gst_buffer_unmap(buffer, &map);
  return level;
}

int count_entries(const char *path) {
  int count = 0;
  if (DIR *dir = opendir(path)) {
    while (readdir(dir))
      count++;
    closedir(dir);
  }
  return count;
}

/* No child process of this test is left, running or zombie. */
bool no_children() {
  return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

/* Cancels from another thread after `delay`; joins on destruction. */
class DelayedCancel {
public:
  DelayedCancel(Cancel &cancel, std::chrono::milliseconds delay)
      : thread_([this, &cancel, delay] {
          std::this_thread::sleep_for(delay);
          fired_at_ = Clock::now();
          cancel.cancel();
        }) {}
  ~DelayedCancel() { join(); }
  void join() {
    if (thread_.joinable())
      thread_.join();
  }
  Clock::time_point fired_at() {
    join();
    return fired_at_;
  }

private:
  Clock::time_point fired_at_;
  std::thread thread_;
};

} /* namespace */

TEST(Spoken, TranscribesGoForward) {
  GstSample *sample = goforward_sample();
  ASSERT_NE(sample, nullptr) << kGoForward << " missing (Debian package pocketsphinx-testdata)";
  std::string text, error;

  /* A decoder of its own per call (loads the model each time). */
  for (int call = 1; call <= 2; call++) {
    const auto start = Clock::now();
    EXPECT_TRUE(transcribe(sample, text, error, nullptr)) << error;
    std::printf("[ timing ] transcribe() without a Transcriber, call %d: %.3f s: \"%s\"\n", call,
                seconds_since(start), text.c_str());
    EXPECT_NE(text.find("forward"), std::string::npos) << text;
  }

  /* A Transcriber: the load once, then only decoding. */
  Transcriber transcriber;
  auto start = Clock::now();
  ASSERT_TRUE(transcriber.preload(error)) << error;
  std::printf("[ timing ] Transcriber::preload(): %.3f s\n", seconds_since(start));
  EXPECT_EQ(transcriber.idle(), 1u);
  for (int call = 1; call <= 3; call++) {
    start = Clock::now();
    EXPECT_TRUE(transcriber.transcribe(sample, text, error, nullptr)) << error;
    std::printf("[ timing ] Transcriber::transcribe() call %d (goforward.raw, 2.9 s): %.3f s\n",
                call, seconds_since(start));
    EXPECT_NE(text.find("forward"), std::string::npos) << text;
    EXPECT_EQ(text, "go forward ten meters");
  }
  EXPECT_EQ(transcriber.idle(), 1u);
  gst_sample_unref(sample);
}

/* Any raw audio: the same recording as F32LE stereo 48 kHz (linear
 * interpolation), as a WebRTC session's caps would be before conversion. */
TEST(Spoken, TranscribesOtherFormats) {
  const std::vector<int16_t> in = read_raw(kGoForward);
  ASSERT_FALSE(in.empty());
  std::vector<float> out;
  for (std::size_t i = 0; i + 1 < in.size(); i++)
    for (int k = 0; k < 3; k++) {
      const float v = (in[i] + (in[i + 1] - in[i]) * (k / 3.0f)) / 32768.0f;
      out.push_back(v);
      out.push_back(v);
    }
  GstSample *sample = make_sample(out.data(), out.size() * sizeof(float),
                                  audio_caps(GST_AUDIO_FORMAT_F32LE, 48000, 2));
  Transcriber transcriber;
  std::string text, error;
  EXPECT_TRUE(transcriber.transcribe(sample, text, error)) << error;
  EXPECT_NE(text.find("forward"), std::string::npos) << text;
  /* Back to 16 kHz mono on the same (reused) decoder: new caps each call. */
  expect_hears_goforward(transcriber);
  gst_sample_unref(sample);
}

TEST(Spoken, Speaks) {
  std::string error;
  for (int call = 1; call <= 2; call++) {
    const auto start = Clock::now();
    GstSample *sample = speak("You said go forward ten meters.", error);
    const double took = seconds_since(start);
    ASSERT_NE(sample, nullptr) << error;
    GstAudioInfo info;
    ASSERT_TRUE(gst_audio_info_from_caps(&info, gst_sample_get_caps(sample)));
    const Level level = level_of(sample);
    std::printf("[ timing ] speak() call %d: %.3f s for %.2f s of audio (%s %d Hz %d ch, rms %.0f, "
                "peak %d)\n",
                call, took, level.seconds, GST_AUDIO_INFO_NAME(&info), GST_AUDIO_INFO_RATE(&info),
                GST_AUDIO_INFO_CHANNELS(&info), level.rms, level.peak);
    EXPECT_EQ(GST_AUDIO_INFO_FORMAT(&info), GST_AUDIO_FORMAT_S16LE);
    EXPECT_GT(level.seconds, 1.0);
    EXPECT_LT(level.seconds, 6.0);
    EXPECT_GT(level.rms, 300.0);
    EXPECT_GT(level.peak, 3000);
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    EXPECT_EQ(GST_BUFFER_PTS(buffer), 0u);
    EXPECT_NEAR(static_cast<double>(GST_BUFFER_DURATION(buffer)) / GST_SECOND, level.seconds,
                0.001);
    gst_sample_unref(sample);
  }
  EXPECT_TRUE(no_children());
}

/* espeak-ng's voice through pocketsphinx: reported, not asserted. */
TEST(Spoken, RoundTrip) {
  std::string error, text;
  GstSample *spoken = speak("go forward ten meters", error);
  ASSERT_NE(spoken, nullptr) << error;
  Transcriber transcriber;
  ASSERT_TRUE(transcriber.transcribe(spoken, text, error)) << error;
  std::printf("[ report ] espeak-ng \"go forward ten meters\" -> pocketsphinx \"%s\"\n",
              text.c_str());
  if (text.find("forward") == std::string::npos)
    std::printf("[ report ] pocketsphinx did not recognise espeak-ng's \"forward\"\n");
  gst_sample_unref(spoken);
}

TEST(Spoken, SilenceIsEmptyTranscript) {
  Transcriber transcriber;
  std::string text = "stale", error;
  GstSample *silence = s16_sample(std::vector<int16_t>(16000 * 2, 0));
  EXPECT_TRUE(transcriber.transcribe(silence, text, error)) << error;
  EXPECT_EQ(text, "");
  EXPECT_EQ(error, "");
  gst_sample_unref(silence);
  /* No audio at all (an empty buffer) is silence too. */
  GstSample *empty = s16_sample({});
  text = "stale";
  EXPECT_TRUE(transcriber.transcribe(empty, text, error)) << error;
  EXPECT_EQ(text, "");
  gst_sample_unref(empty);
  EXPECT_EQ(answer_text(""), "Sorry, I did not catch any words.");
}

TEST(Spoken, CancelTranscribe) {
  /* One minute of speech: decoding takes seconds, so a cancel lands mid-way. */
  const std::vector<int16_t> one = read_raw(kGoForward);
  ASSERT_FALSE(one.empty());
  std::vector<int16_t> long_input;
  while (long_input.size() < 16000u * 60)
    long_input.insert(long_input.end(), one.begin(), one.end());
  GstSample *sample = s16_sample(long_input);
  Transcriber transcriber;
  std::string text, error;
  ASSERT_TRUE(transcriber.preload(error)) << error;

  Cancel cancel;
  DelayedCancel canceller(cancel, std::chrono::milliseconds(300));
  const auto start = Clock::now();
  EXPECT_FALSE(transcriber.transcribe(sample, text, error, &cancel));
  const auto returned = Clock::now();
  const double late = std::chrono::duration<double>(returned - canceller.fired_at()).count();
  std::printf("[ timing ] transcribe() of 60 s cancelled after 0.3 s: returned %.3f s after the "
              "cancel (%.3f s in all)\n",
              late, std::chrono::duration<double>(returned - start).count());
  EXPECT_EQ(error, "cancelled");
  EXPECT_EQ(text, "");
  EXPECT_LT(late, 0.5); /* measured 0.03-0.18 s (ASan), margin for a loaded machine */
  /* The cancelled decoder is discarded, not reused. */
  EXPECT_EQ(transcriber.idle(), 0u);

  /* Already cancelled: returns at once. */
  EXPECT_FALSE(transcriber.transcribe(sample, text, error, &cancel));
  EXPECT_EQ(error, "cancelled");

  /* The Transcriber still works. */
  expect_hears_goforward(transcriber);
  gst_sample_unref(sample);
}

TEST(Spoken, CancelSpeak) {
  /* A long text: espeak-ng needs well over a second for it. */
  std::string text;
  for (int i = 0; i < 300; i++)
    text += "This sentence is long enough to keep the synthesizer busy for a while. ";
  Cancel cancel;
  std::string error;
  DelayedCancel canceller(cancel, std::chrono::milliseconds(100));
  const auto start = Clock::now();
  GstSample *sample = speak(text, error, &cancel);
  const auto returned = Clock::now();
  const double late = std::chrono::duration<double>(returned - canceller.fired_at()).count();
  std::printf("[ timing ] speak() of %zu characters cancelled after 0.1 s: returned %.3f s after "
              "the cancel (%.3f s in all)\n",
              text.size(), late, std::chrono::duration<double>(returned - start).count());
  EXPECT_EQ(sample, nullptr);
  if (sample)
    gst_sample_unref(sample);
  EXPECT_EQ(error, "cancelled");
  EXPECT_LT(late, 0.5); /* measured 0.03-0.18 s (ASan), margin for a loaded machine */
  EXPECT_TRUE(no_children());
  EXPECT_EQ(speak("hello", error, &cancel), nullptr);
  EXPECT_EQ(error, "cancelled");
}

TEST(Spoken, BadSamples) {
  Transcriber transcriber;
  std::string text, error;
  const std::vector<int16_t> audio(1600, 100);

  EXPECT_FALSE(transcriber.transcribe(nullptr, text, error));
  EXPECT_EQ(error, "no sample");

  GstSample *no_caps = make_sample(audio.data(), audio.size() * 2, nullptr);
  EXPECT_FALSE(transcriber.transcribe(no_caps, text, error));
  EXPECT_EQ(error, "the sample has no caps");
  gst_sample_unref(no_caps);

  GstSample *video = make_sample(
      audio.data(), audio.size() * 2,
      gst_caps_from_string("video/x-raw, format=GRAY8, width=40, height=80, framerate=25/1"));
  EXPECT_FALSE(transcriber.transcribe(video, text, error));
  EXPECT_NE(error.find("not fixed raw audio: video/x-raw"), std::string::npos) << error;
  gst_sample_unref(video);

  GstSample *unfixed = make_sample(audio.data(), audio.size() * 2,
                                   gst_caps_from_string("audio/x-raw, format=S16LE, channels=1"));
  EXPECT_FALSE(transcriber.transcribe(unfixed, text, error));
  EXPECT_NE(error.find("not fixed raw audio"), std::string::npos) << error;
  gst_sample_unref(unfixed);

  GstSample *encoded = make_sample(audio.data(), audio.size() * 2,
                                   gst_caps_from_string("audio/x-opus, channels=1, rate=48000"));
  EXPECT_FALSE(transcriber.transcribe(encoded, text, error));
  EXPECT_NE(error.find("audio/x-opus"), std::string::npos) << error;
  gst_sample_unref(encoded);

  GstSample *no_buffer =
      gst_sample_new(nullptr, audio_caps(GST_AUDIO_FORMAT_S16LE, 16000, 1), nullptr, nullptr);
  GstCaps *caps = gst_sample_get_caps(no_buffer);
  gst_caps_unref(caps); /* gst_sample_new took its own reference */
  EXPECT_FALSE(transcriber.transcribe(no_buffer, text, error));
  EXPECT_EQ(error, "the sample has no buffer");
  gst_sample_unref(no_buffer);

  EXPECT_EQ(speak("", error), nullptr);
  EXPECT_NE(error.find("empty"), std::string::npos) << error;
  EXPECT_EQ(speak(" \n\t", error), nullptr);
  EXPECT_NE(error.find("empty"), std::string::npos) << error;
  EXPECT_EQ(transcriber.idle(), 0u); /* none of these loaded a decoder */
}

TEST(Spoken, MissingModel) {
  TranscriberOptions options;
  options.hmm = "/nonexistent/en-us";
  Transcriber transcriber(options);
  std::string error;
  EXPECT_FALSE(transcriber.preload(error));
  EXPECT_EQ(error, "pocketsphinx acoustic model directory not found: /nonexistent/en-us (Debian "
                   "package pocketsphinx-en-us)");
  GstSample *sample = goforward_sample();
  std::string text;
  EXPECT_FALSE(transcriber.transcribe(sample, text, error));
  EXPECT_NE(error.find("not found"), std::string::npos) << error;
  gst_sample_unref(sample);

  /* A directory that holds no model. */
  options.hmm = "/tmp";
  Transcriber empty_dir(options);
  EXPECT_FALSE(empty_dir.preload(error));
  EXPECT_EQ(error, "pocketsphinx acoustic model directory not found: /tmp/mdef (Debian package "
                   "pocketsphinx-en-us)");

  /* Files that are there but are no model: pocketsphinx's own failure. */
  options.hmm.clear();
  options.lm = "/etc/hostname";
  Transcriber broken(options);
  EXPECT_FALSE(broken.preload(error));
  std::printf("[ report ] broken language model: %s\n", error.c_str());
  EXPECT_NE(error.find("pocketsphinx cannot load its model"), std::string::npos) << error;
  EXPECT_NE(error.find("lm /etc/hostname"), std::string::npos) << error;
}

TEST(Spoken, MissingEspeak) {
  const char *path = std::getenv("PATH");
  const std::string saved = path ? path : "";
  ::setenv("PATH", "/nonexistent", 1);
  std::string error;
  GstSample *sample = speak("hello", error);
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(sample, nullptr);
  EXPECT_NE(error.find("cannot run espeak-ng"), std::string::npos) << error;
  EXPECT_NE(error.find("Debian package espeak-ng"), std::string::npos) << error;
}

TEST(Spoken, EspeakFails) {
  /* An espeak-ng that exits non-zero with a message: a fake first on PATH. */
  char dir_template[] = "/tmp/test-spoken-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string fake = dir + "/espeak-ng";
  {
    std::ofstream out(fake);
    out << "#!/bin/sh\necho 'espeak-ng: voice not found' >&2\nexit 3\n";
  }
  ASSERT_EQ(::chmod(fake.c_str(), 0755), 0);
  const char *path = std::getenv("PATH");
  const std::string saved = path ? path : "";
  ::setenv("PATH", (dir + ":" + saved).c_str(), 1);
  std::string error;
  GstSample *sample = speak("hello", error);
  /* Not WAV at all. */
  {
    std::ofstream out(fake);
    out << "#!/bin/sh\necho 'this is not a wav file'\n";
  }
  std::string error2;
  GstSample *sample2 = speak("hello", error2);
  ::setenv("PATH", saved.c_str(), 1);
  ::unlink(fake.c_str());
  ::rmdir(dir.c_str());
  EXPECT_EQ(sample, nullptr);
  EXPECT_EQ(error, "espeak-ng failed (exit status 3): espeak-ng: voice not found");
  EXPECT_EQ(sample2, nullptr);
  EXPECT_NE(error2.find("not a WAV stream"), std::string::npos) << error2;
  EXPECT_TRUE(no_children());
}

TEST(Spoken, ConcurrentCalls) {
  Transcriber transcriber;
  GstSample *sample = goforward_sample();
  ASSERT_NE(sample, nullptr);
  std::atomic<int> recognised{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < 4; t++)
    threads.emplace_back([&] {
      for (int i = 0; i < 2; i++) {
        std::string text, error;
        if (transcriber.transcribe(sample, text, error) && text == "go forward ten meters")
          recognised++;
      }
    });
  for (auto &thread : threads)
    thread.join();
  std::printf("[ timing ] 8 transcriptions in 4 threads (max_running 2): %.3f s\n",
              seconds_since(start));
  EXPECT_EQ(recognised.load(), 8);
  EXPECT_LE(transcriber.idle(), 2u);
  gst_sample_unref(sample);
}

TEST(Spoken, NoLeakedDescriptorsOrChildren) {
  GstSample *sample = goforward_sample();
  std::string text, error;
  Cancel cancel;
  {
    /* Warm-up: GStreamer's registry, plugins and thread pools open what they keep. */
    Transcriber transcriber;
    ASSERT_TRUE(transcriber.transcribe(sample, text, error)) << error;
    GstSample *spoken = speak("warm up", error, &cancel);
    ASSERT_NE(spoken, nullptr) << error;
    gst_sample_unref(spoken);
  }
  const int before = count_entries("/proc/self/fd");
  const int threads_before = count_entries("/proc/self/task");
  for (int i = 0; i < 3; i++) {
    Transcriber transcriber;
    EXPECT_TRUE(transcriber.transcribe(sample, text, error)) << error;
    EXPECT_TRUE(transcribe(sample, text, error, nullptr)) << error;
    GstSample *spoken = speak("no leaks here", error, &cancel);
    ASSERT_NE(spoken, nullptr) << error;
    gst_sample_unref(spoken);
  }
  EXPECT_EQ(count_entries("/proc/self/fd"), before);
  const int threads_after = count_entries("/proc/self/task");
  std::printf("[ report ] threads before %d, after %d\n", threads_before, threads_after);
  /* GLib keeps a few idle pool threads for reuse; no thread per call. */
  EXPECT_LE(threads_after, threads_before + 2);
  EXPECT_TRUE(no_children());
  gst_sample_unref(sample);
}

TEST(Spoken, AnswerText) {
  EXPECT_EQ(answer_text("go forward ten meters"), "You said go forward ten meters.");
  EXPECT_EQ(answer_text("  go   forward \n"), "You said go forward.");
  EXPECT_EQ(answer_text(""), "Sorry, I did not catch any words.");
  EXPECT_EQ(answer_text(" [[ ]] <sil> [NOISE] "), "Sorry, I did not catch any words.");
  EXPECT_EQ(answer_text("<s> go forward(2) ten </s>"), "You said go forward ten.");
  EXPECT_EQ(answer_text("a \"quoted\" <b>word</b>"), "You said a quoted.");
  EXPECT_EQ(answer_text("don't stop"), "You said don't stop.");
  std::string many;
  for (int i = 0; i < 200; i++)
    many += "word ";
  const std::string answer = answer_text(many);
  EXPECT_LE(answer.size(), 300u + 10u);
  EXPECT_EQ(answer.substr(answer.size() - 6), " word.");
}
