/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The "spoken" handler of voicekit-server, from Debian packages only: the
 * utterance is transcribed with pocketsphinx (the GStreamer element of
 * gstreamer1.0-pocketsphinx, with the pocketsphinx-en-us model) and answered
 * with espeak-ng ("You said ...").
 *
 * Every function here needs gst_init() to have been called. All of them may be
 * called from any thread; none touches a GMainContext.
 */
#ifndef TOOLS_VOICEKIT_SERVER_SPOKEN_HPP
#define TOOLS_VOICEKIT_SERVER_SPOKEN_HPP

#include <gst/gst.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace voicekit::server {

/* Cancels one reply: transcription, speech synthesis or both. cancel() may be
 * called from any thread, any number of times; it is short (an atomic store and
 * one write() to an eventfd), so replyonpause's `reply-stop` handler, which runs
 * on the streaming thread, can call it directly.
 *
 * Why not a plain std::atomic<bool>: espeak-ng runs through
 * voicekit::reply::Command, whose poll() loop wakes on a descriptor, so a
 * cancel reaches it at once instead of at the next timeout. */
class Cancel {
public:
  Cancel();
  ~Cancel();
  Cancel(const Cancel &) = delete;
  Cancel &operator=(const Cancel &) = delete;

  void cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  /* Readable once cancelled (never read, so it stays readable). -1 if no eventfd
   * could be made (descriptor limit): then speak() only notices a cancel before
   * espeak-ng starts and after it ends; transcribe() is not affected. */
  int fd() const { return fd_; }

private:
  std::atomic<bool> cancelled_{false};
  int fd_ = -1;
};

struct TranscriberOptions {
  /* pocketsphinx's model; empty: the element's defaults, which on Debian 12 are
   * the pocketsphinx-en-us files under /usr/share/pocketsphinx/model/en-us. */
  std::string hmm;  /* acoustic model directory */
  std::string lm;   /* language model */
  std::string dict; /* pronunciation dictionary */
  /* Loaded decoders kept between calls: loading one takes about 0.3 s of CPU,
   * as long as decoding a 3 s utterance, and holds some 55-90 MB resident.
   * 0: every call loads its own and frees it. */
  std::size_t max_idle = 2;
  /* Transcriptions running at once (0: no limit); more calls wait for one to
   * finish. Each running call holds a decoder and keeps one core busy. */
  std::size_t max_running = 2;
  /* Bound on one call, waiting included; then the call fails. */
  std::chrono::milliseconds timeout{120000};
};

/* Speech to text with a pool of pocketsphinx pipelines (appsrc ! pocketsphinx !
 * fakesink), each kept in READY between calls so its decoder stays loaded; each
 * call converts its audio to S16LE mono 16 kHz with a GstAudioConverter of its
 * own. Thread-safe: one Transcriber serves every session of the server;
 * concurrent calls use different decoders. It must outlive the calls in flight
 * and be destroyed before gst_deinit() (it holds pipelines). */
class Transcriber {
public:
  explicit Transcriber(TranscriberOptions options = {});
  ~Transcriber();
  Transcriber(const Transcriber &) = delete;
  Transcriber &operator=(const Transcriber &) = delete;

  /* Loads a decoder now and keeps it idle (if max_idle allows): checks the
   * element and the model at startup and takes the loading time out of the
   * first utterance. False with `error` set if pocketsphinx cannot run. */
  bool preload(std::string &error);

  /* Transcribes the audio of `sample`: any interleaved raw audio caps
   * GstAudioConverter handles (replyonpause's utterance sample: the input caps,
   * S16LE mono 16 kHz in the server). `text` gets the words pocketsphinx recognised,
   * lower case, separated by single spaces; empty for silence or noise, which
   * is not an error. False with `error` set (and `text` empty) on failure: no
   * caps, not raw audio, no buffer, element or model missing, pipeline error,
   * timeout, or "cancelled" when `cancel` (may be null) fired: then it returns
   * within about one 100 ms chunk of processing. */
  bool transcribe(GstSample *sample, std::string &text, std::string &error,
                  const Cancel *cancel = nullptr);

  /* Decoders loaded and idle right now (tests). */
  std::size_t idle() const;

  struct Decoder; /* one pipeline: spoken.cpp */

private:
  std::unique_ptr<Decoder> acquire(std::string &error, const Cancel *cancel,
                                   std::chrono::steady_clock::time_point deadline);
  void release(std::unique_ptr<Decoder> decoder, bool reusable);

  const TranscriberOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable done_; /* a running call finished */
  std::vector<std::unique_ptr<Decoder>> idle_;
  std::size_t running_ = 0;
};

/* One call with a decoder of its own, loaded and freed in the call: about
 * 0.3-0.4 s more than with a Transcriber (the test prints the timings). */
bool transcribe(GstSample *sample, std::string &text, std::string &error,
                const Cancel *cancel = nullptr);

/* Speaks `text` with espeak-ng (`espeak-ng --stdout -v en-us`, the text on its
 * stdin, never on its command line where ps would show it) and returns the
 * audio as a GstSample: caps (S16LE mono 22050 Hz with Debian's espeak-ng) and
 * one buffer with PTS 0 and its duration. nullptr with `error` set: empty text,
 * espeak-ng missing or failing (with its last stderr lines), broken WAV, or
 * "cancelled". The child never outlives the call. */
GstSample *speak(const std::string &text, std::string &error, const Cancel *cancel = nullptr);

/* "You said go forward ten meters." or, for an empty transcript, a fixed
 * sentence. Long transcripts are cut at a word boundary (the reply stays short). */
std::string answer_text(const std::string &transcript);

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_SPOKEN_HPP */
