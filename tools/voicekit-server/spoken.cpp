/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The "spoken" handler: pocketsphinx and espeak-ng. See spoken.hpp.
 */
#include "spoken.hpp"

#include <gst/reply/command.hpp>
#include <gst/reply/wav.hpp>

#include <gst/app/gstappsrc.h>
#include <gst/audio/audio.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>
#include <utility>

#include <dlfcn.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace voicekit::server {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char *kRecognizer = "pocketsphinx";
/* What the element takes (its sink template), and all the pipeline ever sees. */
constexpr int kRecognizerRate = 16000;
/* Input pushed in pieces of this length: pocketsphinx's chain function cannot
 * be interrupted, so a cancel waits for at most one piece. */
constexpr int kChunksPerSecond = 10;
/* How often a waiting call looks at its Cancel and deadline. */
constexpr auto kPollSlice = std::chrono::milliseconds(10);

constexpr const char *kSpeaker = "espeak-ng";
constexpr auto kSpeakTimeout = std::chrono::seconds(30);
/* espeak-ng speaks a few hundred characters in well under a second; this only
 * stops a broken one from filling memory. */
constexpr uint64_t kMaxSpeechSeconds = 600;
/* SIGTERM, then SIGKILL this much later (as replyonpause's command handler). */
constexpr auto kTerminateGrace = std::chrono::milliseconds(200);
constexpr std::size_t kMaxAnswerChars = 300;
constexpr const char *kNothingHeard = "Sorry, I did not catch any words.";

/* pocketsphinx prints its whole configuration (some 60 lines) to stderr every
 * time an element is created and every time a decoder is loaded, through
 * sphinxbase's log file, which the GStreamer plugin leaves at stderr (it only
 * routes sphinxbase's messages, errors included, to the GStreamer debug
 * category "pocketsphinx"). A server would print that for every decoder, so
 * the log file is turned off once, process-wide. Debian ships no sphinxbase
 * headers: the function is looked up in the library the plugin has loaded.
 * Harmless if it is not there (the tables are then printed). */
void quiet_sphinx_log_file() {
  static std::once_flag once;
  std::call_once(once, [] {
    void *library = ::dlopen("libsphinxbase.so.3", RTLD_NOW | RTLD_NOLOAD);
    if (!library)
      return;
    using SetLogFile = void (*)(FILE *);
    if (auto set = reinterpret_cast<SetLogFile>(::dlsym(library, "err_set_logfp")))
      set(nullptr); /* sphinxbase: NULL disables the log file */
    ::dlclose(library);
  });
}

std::string collapse_spaces(const std::string &text) {
  std::istringstream words(text);
  std::string word, out;
  while (words >> word) {
    if (!out.empty())
      out += ' ';
    out += word;
  }
  return out;
}

/* The last lines of a child's stderr, on one line, for an error message. */
std::string stderr_summary(const std::string &tail) {
  std::vector<std::string> lines;
  std::istringstream in(tail);
  std::string line;
  while (std::getline(in, line)) {
    line = collapse_spaces(line);
    if (!line.empty())
      lines.push_back(line);
  }
  std::string out;
  for (std::size_t i = lines.size() > 3 ? lines.size() - 3 : 0; i < lines.size(); i++)
    out += (out.empty() ? ": " : " / ") + lines[i];
  return out;
}

std::string pop_error(GstBus *bus) {
  std::string text;
  while (GstMessage *message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
    GError *gerror = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error(message, &gerror, &debug);
    if (text.empty()) {
      text = gerror ? gerror->message : "unknown error";
      if (debug && *debug)
        text += std::string(" (") + debug + ")";
      if (GST_MESSAGE_SRC(message))
        text = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) + ": " + text;
    }
    g_clear_error(&gerror);
    g_free(debug);
    gst_message_unref(message);
  }
  return text;
}

GstElement *make_element(const char *factory_name, const char *package, std::string &error) {
  GstElement *element = gst_element_factory_make(factory_name, nullptr);
  if (!element)
    error = std::string("GStreamer element '") + factory_name + "' not found (Debian package " +
            package + ")";
  return element;
}

/* The recogniser, with sphinxbase's log file turned off before the element's
 * instance init prints to it. */
GstElement *make_recognizer(std::string &error) {
  GstElementFactory *factory = gst_element_factory_find(kRecognizer);
  if (!factory) {
    error = std::string("GStreamer element '") + kRecognizer +
            "' not found (Debian package gstreamer1.0-pocketsphinx)";
    return nullptr;
  }
  GstPluginFeature *loaded = gst_plugin_feature_load(GST_PLUGIN_FEATURE(factory));
  gst_object_unref(factory);
  if (!loaded) {
    error = std::string("the GStreamer plugin of '") + kRecognizer + "' cannot be loaded";
    return nullptr;
  }
  quiet_sphinx_log_file();
  GstElement *element = gst_element_factory_create(GST_ELEMENT_FACTORY(loaded), nullptr);
  gst_object_unref(loaded);
  if (!element)
    error = std::string("cannot create the GStreamer element '") + kRecognizer + "'";
  return element;
}

/* Checks the model paths the element will load, so a missing model is named
 * instead of ending as pocketsphinx's "Failed to initialize PocketSphinx". */
bool check_model(GstElement *recognizer, std::string &error) {
  struct Part {
    const char *property;
    const char *what;
    GFileTest test;
  };
  const Part parts[] = {{"hmm", "acoustic model directory", G_FILE_TEST_IS_DIR},
                        {"lm", "language model", G_FILE_TEST_IS_REGULAR},
                        {"dict", "dictionary", G_FILE_TEST_IS_REGULAR}};
  for (const Part &part : parts) {
    gchar *path = nullptr;
    g_object_get(recognizer, part.property, &path, nullptr);
    /* hmm and dict are required; lm may be unset if a grammar replaced it. */
    bool ok = path ? g_file_test(path, part.test) : std::string(part.property) == "lm";
    std::string missing = path ? path : "(not set)";
    /* A directory without the model definition is pocketsphinx's most likely
     * failure: say so rather than "Failed to initialize PocketSphinx". */
    if (ok && part.test == G_FILE_TEST_IS_DIR) {
      gchar *mdef = g_build_filename(path, "mdef", nullptr);
      ok = g_file_test(mdef, G_FILE_TEST_IS_REGULAR);
      missing = mdef;
      g_free(mdef);
    }
    if (!ok)
      error = std::string("pocketsphinx ") + part.what + " not found: " + missing +
              " (Debian package pocketsphinx-en-us)";
    g_free(path);
    if (!ok)
      return false;
  }
  return true;
}

} /* namespace */

/* ---------------------------------------------------------------------------
 * Cancel */

Cancel::Cancel() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Cancel::~Cancel() {
  if (fd_ >= 0)
    ::close(fd_);
}

void Cancel::cancel() {
  cancelled_.store(true, std::memory_order_release);
  if (fd_ >= 0) {
    const uint64_t one = 1;
    /* Cannot block (EFD_NONBLOCK); a full counter means it is readable already. */
    [[maybe_unused]] const ssize_t written = ::write(fd_, &one, sizeof one);
  }
}

/* ---------------------------------------------------------------------------
 * Transcriber */

struct Transcriber::Decoder {
  GstElement *pipeline = nullptr;   /* owned */
  GstElement *source = nullptr;     /* appsrc, owned by the pipeline */
  GstElement *recognizer = nullptr; /* owned by the pipeline */

  Decoder() = default;
  Decoder(const Decoder &) = delete;
  Decoder &operator=(const Decoder &) = delete;
  ~Decoder() {
    if (pipeline) {
      /* Stops the streaming thread (after the chunk in hand) and frees the
       * decoder; queued chunks are dropped. */
      gst_element_set_state(pipeline, GST_STATE_NULL);
      gst_object_unref(pipeline);
    }
  }

  /* Builds the pipeline and loads the decoder (NULL to READY: pocketsphinx's
   * ps_init, most of the cost). */
  static std::unique_ptr<Decoder> make(const TranscriberOptions &options, std::string &error);

  enum class Result { kDone, kFailed, kCancelled };
  /* One utterance. After kDone the pipeline is in READY again, ready for the
   * next; after the others it must be discarded (pocketsphinx keeps an
   * unfinished utterance across state changes).
   * `converter` turns `info` into S16LE mono 16 kHz; nullptr if it already is. */
  Result run(GstBuffer *buffer, const GstAudioInfo &info, GstAudioConverter *converter,
             std::string &text, std::string &error, const Cancel *cancel,
             Clock::time_point deadline);
};

std::unique_ptr<Transcriber::Decoder> Transcriber::Decoder::make(const TranscriberOptions &options,
                                                                 std::string &error) {
  auto decoder = std::make_unique<Decoder>();
  decoder->pipeline = gst_pipeline_new("spoken-transcriber");
  GstElement *recognizer = make_recognizer(error);
  if (!recognizer)
    return nullptr;
  gst_bin_add(GST_BIN(decoder->pipeline), recognizer);
  decoder->recognizer = recognizer;
  if (!options.hmm.empty())
    g_object_set(recognizer, "hmm", options.hmm.c_str(), nullptr);
  /* Setting lm clears a grammar, and dict is independent: order does not matter. */
  if (!options.lm.empty())
    g_object_set(recognizer, "lm", options.lm.c_str(), nullptr);
  if (!options.dict.empty())
    g_object_set(recognizer, "dict", options.dict.c_str(), nullptr);
  if (!check_model(recognizer, error))
    return nullptr;

  GstElement *source = make_element("appsrc", "gstreamer1.0-plugins-base", error);
  if (!source)
    return nullptr;
  gst_bin_add(GST_BIN(decoder->pipeline), source);
  decoder->source = source;
  GstElement *sink = make_element("fakesink", "libgstreamer1.0-0", error);
  if (!sink)
    return nullptr;
  gst_bin_add(GST_BIN(decoder->pipeline), sink);

  /* The whole utterance is queued at once (max-bytes 0: no limit), so pushing
   * never blocks and the caller only waits on the bus, where it can cancel.
   * The caps never change: each call converts its audio itself, with a fresh
   * GstAudioConverter. (A reused audioresample element is not safe here: with
   * GStreamer 1.22, after READY it reconfigures its old resampler for the new
   * rate, and a 48 kHz call followed by a 16 kHz one reads past a heap buffer
   * in gst_audio_resampler_update, found by AddressSanitizer.) */
  GstCaps *caps = gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "layout",
                                      G_TYPE_STRING, "interleaved", "rate", G_TYPE_INT,
                                      kRecognizerRate, "channels", G_TYPE_INT, 1, nullptr);
  g_object_set(source, "format", GST_FORMAT_TIME, "max-bytes", G_GUINT64_CONSTANT(0), "caps", caps,
               nullptr);
  gst_caps_unref(caps);
  /* The text buffers are not needed (the hypothesis comes as a message); no
   * clock, no preroll: the pipeline runs as fast as pocketsphinx decodes. */
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  if (!gst_element_link_many(source, recognizer, sink, nullptr)) {
    error = "cannot link appsrc ! pocketsphinx ! fakesink";
    return nullptr;
  }

  if (gst_element_set_state(decoder->pipeline, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE) {
    /* The element's error only says "Failed to initialize PocketSphinx"; the
     * reason went to its debug category. */
    gchar *hmm = nullptr, *lm = nullptr, *dict = nullptr;
    g_object_get(recognizer, "hmm", &hmm, "lm", &lm, "dict", &dict, nullptr);
    error = std::string("pocketsphinx cannot load its model (hmm ") + (hmm ? hmm : "-") + ", lm " +
            (lm ? lm : "-") + ", dict " + (dict ? dict : "-") +
            "); GST_DEBUG=pocketsphinx:1 shows why";
    g_free(hmm);
    g_free(lm);
    g_free(dict);
    return nullptr;
  }
  return decoder;
}

Transcriber::Decoder::Result Transcriber::Decoder::run(GstBuffer *buffer, const GstAudioInfo &info,
                                                       GstAudioConverter *converter,
                                                       std::string &text, std::string &error,
                                                       const Cancel *cancel,
                                                       Clock::time_point deadline) {
  GstBus *bus = gst_element_get_bus(pipeline);
  /* Messages of the previous call (state changes to READY) are stale. */
  gst_bus_set_flushing(bus, TRUE);
  gst_bus_set_flushing(bus, FALSE);

  GstMapInfo map = GST_MAP_INFO_INIT;
  auto end = [&](Result result, std::string why) {
    if (map.memory)
      gst_buffer_unmap(buffer, &map);
    gst_object_unref(bus);
    error = std::move(why);
    return result;
  };
  auto fail = [&](std::string why) { return end(Result::kFailed, std::move(why)); };

  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    std::string why = pop_error(bus);
    return fail(why.empty() ? "pocketsphinx pipeline: cannot start" : why);
  }

  /* In chunks, timestamped from 0 (the element's "every 100 ms" partial-result
   * timer reads them). Already S16LE mono 16 kHz: sub-buffers sharing the
   * sample's memory, no copy. Otherwise converted chunk by chunk by one
   * converter, which keeps the resampler's history across chunks (the last
   * few milliseconds it holds at the end are not worth flushing). */
  const gsize bpf = static_cast<gsize>(GST_AUDIO_INFO_BPF(&info));
  const int rate = GST_AUDIO_INFO_RATE(&info);
  const gsize frames = gst_buffer_get_size(buffer) / bpf;
  const gsize chunk_frames = std::max<gsize>(1, static_cast<gsize>(rate / kChunksPerSecond));
  if (converter && !gst_buffer_map(buffer, &map, GST_MAP_READ))
    return fail("cannot read the utterance's buffer");
  guint64 out_frame = 0;
  for (gsize frame = 0; frame < frames; frame += chunk_frames) {
    /* Converting a minute of 48 kHz stereo takes a while too. */
    if (cancel && cancel->cancelled())
      return end(Result::kCancelled, "cancelled");
    const gsize count = std::min(chunk_frames, frames - frame);
    GstBuffer *chunk = nullptr;
    gsize out_count = count;
    if (!converter) {
      chunk = gst_buffer_copy_region(buffer, GST_BUFFER_COPY_MEMORY, frame * bpf, count * bpf);
      if (!chunk)
        return fail("cannot split the utterance into chunks");
    } else {
      out_count = gst_audio_converter_get_out_frames(converter, count);
      if (out_count == 0)
        continue; /* the resampler keeps these frames for the next chunk */
      chunk = gst_buffer_new_allocate(nullptr, out_count * sizeof(int16_t), nullptr);
      GstMapInfo out;
      gst_buffer_map(chunk, &out, GST_MAP_WRITE);
      gpointer in_planes[1] = {map.data + frame * bpf};
      gpointer out_planes[1] = {out.data};
      const gboolean converted = gst_audio_converter_samples(
          converter, GST_AUDIO_CONVERTER_FLAG_NONE, in_planes, count, out_planes, out_count);
      gst_buffer_unmap(chunk, &out);
      if (!converted) {
        gst_buffer_unref(chunk);
        return fail("cannot convert the utterance to S16LE mono 16 kHz");
      }
    }
    GST_BUFFER_PTS(chunk) = gst_util_uint64_scale_int(out_frame, GST_SECOND, kRecognizerRate);
    GST_BUFFER_DURATION(chunk) = gst_util_uint64_scale_int(out_count, GST_SECOND, kRecognizerRate);
    out_frame += out_count;
    if (gst_app_src_push_buffer(GST_APP_SRC(source), chunk) != GST_FLOW_OK)
      return fail("appsrc refused the utterance");
  }
  if (map.memory)
    gst_buffer_unmap(buffer, &map);
  map.memory = nullptr;
  gst_app_src_end_of_stream(GST_APP_SRC(source));

  /* pocketsphinx ends an utterance (and posts a final hypothesis) at each
   * pause its own VAD finds, and at EOS: the transcript is all of them. An
   * utterance without speech (silence, or the tail after the last pause) makes
   * it log "Couldn't find <s> in first frame" at ERROR level in its debug
   * category: harmless, the hypothesis is just empty. */
  std::string words;
  for (;;) {
    if (cancel && cancel->cancelled())
      return end(Result::kCancelled, "cancelled");
    if (Clock::now() >= deadline)
      return fail("pocketsphinx did not finish in time");
    GstMessage *message = gst_bus_timed_pop_filtered(
        bus, static_cast<GstClockTime>(std::chrono::nanoseconds(kPollSlice).count()),
        static_cast<GstMessageType>(GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    if (!message)
      continue;
    switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ELEMENT: {
      const GstStructure *s = gst_message_get_structure(message);
      gboolean final = FALSE;
      const gchar *hypothesis = nullptr;
      if (GST_MESSAGE_SRC(message) == GST_OBJECT(recognizer) &&
          gst_structure_has_name(s, "pocketsphinx") &&
          gst_structure_get_boolean(s, "final", &final) && final &&
          (hypothesis = gst_structure_get_string(s, "hypothesis")) && *hypothesis)
        words += std::string(words.empty() ? "" : " ") + hypothesis;
      gst_message_unref(message);
      break;
    }
    case GST_MESSAGE_ERROR: {
      GError *gerror = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_error(message, &gerror, &debug);
      std::string why =
          std::string(GST_MESSAGE_SRC(message) ? GST_MESSAGE_SRC_NAME(message) : "?") + ": " +
          (gerror ? gerror->message : "unknown error");
      if (debug && *debug)
        why += std::string(" (") + debug + ")";
      g_clear_error(&gerror);
      g_free(debug);
      gst_message_unref(message);
      return fail(why);
    }
    case GST_MESSAGE_EOS:
      gst_message_unref(message);
      gst_object_unref(bus);
      /* Back to READY: the decoder stays loaded, appsrc forgets its EOS. */
      if (gst_element_set_state(pipeline, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE) {
        error = "pocketsphinx pipeline: cannot stop";
        return Result::kFailed;
      }
      text = collapse_spaces(words);
      return Result::kDone;
    default:
      gst_message_unref(message);
      break;
    }
  }
}

Transcriber::Transcriber(TranscriberOptions options) : options_(std::move(options)) {}

Transcriber::~Transcriber() = default;

std::size_t Transcriber::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_.size();
}

std::unique_ptr<Transcriber::Decoder> Transcriber::acquire(std::string &error, const Cancel *cancel,
                                                           Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (options_.max_running > 0 && running_ >= options_.max_running) {
    if (cancel && cancel->cancelled()) {
      error = "cancelled";
      return nullptr;
    }
    if (Clock::now() >= deadline) {
      error = "timed out waiting for a free pocketsphinx decoder";
      return nullptr;
    }
    /* Timed: a Cancel does not signal this condition variable. */
    done_.wait_for(lock, kPollSlice);
  }
  running_++;
  if (!idle_.empty()) {
    std::unique_ptr<Decoder> decoder = std::move(idle_.back());
    idle_.pop_back();
    return decoder;
  }
  /* Loading takes a while: not under the lock, other calls go on meanwhile. */
  lock.unlock();
  std::unique_ptr<Decoder> decoder = Decoder::make(options_, error);
  if (!decoder) {
    lock.lock();
    running_--;
    done_.notify_one();
  }
  return decoder;
}

void Transcriber::release(std::unique_ptr<Decoder> decoder, bool reusable) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_--;
    if (reusable && idle_.size() < options_.max_idle)
      idle_.push_back(std::move(decoder));
  }
  done_.notify_one();
  decoder.reset(); /* if not kept: freed outside the lock (stops its thread) */
}

bool Transcriber::preload(std::string &error) {
  error.clear();
  std::unique_ptr<Decoder> decoder = acquire(error, nullptr, Clock::now() + options_.timeout);
  if (!decoder)
    return false;
  release(std::move(decoder), true);
  return true;
}

bool Transcriber::transcribe(GstSample *sample, std::string &text, std::string &error,
                             const Cancel *cancel) {
  text.clear();
  error.clear();
  const auto deadline = Clock::now() + options_.timeout;
  if (!sample) {
    error = "no sample";
    return false;
  }
  GstCaps *caps = gst_sample_get_caps(sample);
  if (!caps) {
    error = "the sample has no caps";
    return false;
  }
  GstAudioInfo info;
  if (!gst_audio_info_from_caps(&info, caps) || GST_AUDIO_INFO_BPF(&info) <= 0 ||
      GST_AUDIO_INFO_RATE(&info) <= 0) {
    gchar *described = gst_caps_to_string(caps);
    error = std::string("the sample's caps are not fixed raw audio: ") + described;
    g_free(described);
    return false;
  }
  if (GST_AUDIO_INFO_LAYOUT(&info) != GST_AUDIO_LAYOUT_INTERLEAVED) {
    error = "non-interleaved audio is not supported";
    return false;
  }
  GstBuffer *buffer = gst_sample_get_buffer(sample);
  if (!buffer) {
    error = "the sample has no buffer";
    return false;
  }
  if (gst_buffer_get_size(buffer) < static_cast<gsize>(GST_AUDIO_INFO_BPF(&info)))
    return true; /* no audio: nothing was said */
  if (cancel && cancel->cancelled()) {
    error = "cancelled";
    return false;
  }

  /* A fresh converter per call (see Decoder::make). No dither: the same
   * utterance always gives the same transcript. */
  GstAudioInfo target;
  gst_audio_info_set_format(&target, GST_AUDIO_FORMAT_S16LE, kRecognizerRate, 1, nullptr);
  GstStructure *config =
      gst_structure_new("GstAudioConverter", GST_AUDIO_CONVERTER_OPT_DITHER_METHOD,
                        GST_TYPE_AUDIO_DITHER_METHOD, GST_AUDIO_DITHER_NONE, nullptr);
  std::unique_ptr<GstAudioConverter, void (*)(GstAudioConverter *)> converter(
      gst_audio_converter_new(GST_AUDIO_CONVERTER_FLAG_NONE, &info, &target, config),
      gst_audio_converter_free);
  if (!converter) {
    gchar *described = gst_caps_to_string(caps);
    error = std::string("cannot convert ") + described + " to S16LE mono 16 kHz";
    g_free(described);
    return false;
  }
  if (gst_audio_converter_is_passthrough(converter.get()))
    converter.reset();

  std::unique_ptr<Decoder> decoder = acquire(error, cancel, deadline);
  if (!decoder)
    return false;
  const Decoder::Result result =
      decoder->run(buffer, info, converter.get(), text, error, cancel, deadline);
  release(std::move(decoder), result == Decoder::Result::kDone);
  if (result != Decoder::Result::kDone)
    text.clear();
  return result == Decoder::Result::kDone;
}

bool transcribe(GstSample *sample, std::string &text, std::string &error, const Cancel *cancel) {
  TranscriberOptions options;
  options.max_idle = 0;
  options.max_running = 0;
  Transcriber transcriber(options);
  return transcriber.transcribe(sample, text, error, cancel);
}

/* ---------------------------------------------------------------------------
 * espeak-ng */

namespace {

GstAudioFormat gst_format(reply::WavSampleFormat format) {
  switch (format) {
  case reply::WavSampleFormat::kU8:
    return GST_AUDIO_FORMAT_U8;
  case reply::WavSampleFormat::kS16:
    return GST_AUDIO_FORMAT_S16LE;
  case reply::WavSampleFormat::kS24:
    return GST_AUDIO_FORMAT_S24LE;
  case reply::WavSampleFormat::kS32:
    return GST_AUDIO_FORMAT_S32LE;
  case reply::WavSampleFormat::kF32:
    return GST_AUDIO_FORMAT_F32LE;
  }
  return GST_AUDIO_FORMAT_UNKNOWN;
}

} /* namespace */

GstSample *speak(const std::string &text, std::string &error, const Cancel *cancel) {
  error.clear();
  if (collapse_spaces(text).empty()) {
    error = "nothing to speak: the text is empty";
    return nullptr;
  }
  if (cancel && cancel->cancelled()) {
    error = "cancelled";
    return nullptr;
  }

  reply::Command command;
  std::string why;
  if (!command.start({kSpeaker, "--stdout", "-v", "en-us"}, {}, &why)) {
    error = std::string("cannot run ") + kSpeaker + ": " + why + " (Debian package espeak-ng)";
    return nullptr;
  }

  reply::WavReader reader;
  std::vector<uint8_t> audio;
  bool too_long = false;
  auto on_output = [&](const uint8_t *data, std::size_t size) {
    if (reader.feed(data, size) == reply::WavReader::Status::kError)
      return false;
    std::vector<uint8_t> piece = reader.take_audio();
    audio.insert(audio.end(), piece.begin(), piece.end());
    if (reader.has_format() &&
        audio.size() > kMaxSpeechSeconds * static_cast<uint64_t>(reader.format().rate) *
                           static_cast<uint64_t>(reader.format().bytes_per_frame())) {
      too_long = true;
      return false;
    }
    return true;
  };
  std::string input = text;
  input += '\n';
  const reply::Command::Outcome outcome =
      command.run(std::vector<uint8_t>(input.begin(), input.end()), on_output,
                  Clock::now() + kSpeakTimeout, cancel ? cancel->fd() : -1);
  if (outcome != reply::Command::Outcome::kExited)
    command.terminate(kTerminateGrace);

  switch (outcome) {
  case reply::Command::Outcome::kCancelled:
    error = "cancelled";
    return nullptr;
  case reply::Command::Outcome::kTimedOut:
    error = std::string(kSpeaker) + " did not finish within " +
            std::to_string(std::chrono::seconds(kSpeakTimeout).count()) + " s";
    return nullptr;
  case reply::Command::Outcome::kOutputRefused:
    error = too_long ? std::string(kSpeaker) + " produced more than " +
                           std::to_string(kMaxSpeechSeconds) + " s of audio"
                     : std::string(kSpeaker) + "'s output is not a WAV stream: " + reader.error();
    return nullptr;
  case reply::Command::Outcome::kCompleted:
    /* Only after Take::kComplete, which this sink (true or false) never
     * says: espeak-ng was killed, its output cannot be trusted. */
    error = std::string(kSpeaker) + " did not exit after its output";
    return nullptr;
  case reply::Command::Outcome::kExited:
    break;
  }
  if (command.exit_status() != 0) {
    error = std::string(kSpeaker) + " failed (exit status " +
            std::to_string(command.exit_status()) + ")" + stderr_summary(command.stderr_tail());
    return nullptr;
  }
  if (!reader.finish(&why)) {
    error = std::string(kSpeaker) + "'s output is not a WAV stream: " + why;
    return nullptr;
  }
  std::vector<uint8_t> rest = reader.take_audio();
  audio.insert(audio.end(), rest.begin(), rest.end());
  /* Without an eventfd the cancel is only seen now. */
  if (cancel && cancel->cancelled()) {
    error = "cancelled";
    return nullptr;
  }
  if (audio.empty()) {
    error = std::string(kSpeaker) + " produced no audio" + stderr_summary(command.stderr_tail());
    return nullptr;
  }

  const reply::WavFormat &format = reader.format();
  GstAudioInfo info;
  gst_audio_info_set_format(&info, gst_format(format.format), format.rate, format.channels,
                            nullptr);
  GstCaps *caps = gst_audio_info_to_caps(&info);
  if (!caps) {
    error = std::string("no caps for ") + kSpeaker + "'s " + std::to_string(format.channels) +
            " channels";
    return nullptr;
  }
  const gsize size = audio.size();
  const guint64 frames = size / static_cast<gsize>(format.bytes_per_frame());
  /* The buffer wraps the vector: no copy of the audio. */
  auto *owned = new std::vector<uint8_t>(std::move(audio));
  GstBuffer *buffer = gst_buffer_new_wrapped_full(
      GST_MEMORY_FLAG_READONLY, owned->data(), size, 0, size, owned,
      [](gpointer data) { delete static_cast<std::vector<uint8_t> *>(data); });
  GST_BUFFER_PTS(buffer) = 0;
  GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale_int(frames, GST_SECOND, format.rate);
  GST_BUFFER_OFFSET(buffer) = 0;
  GST_BUFFER_OFFSET_END(buffer) = frames;
  GstSample *sample = gst_sample_new(buffer, caps, nullptr, nullptr);
  gst_buffer_unref(buffer);
  gst_caps_unref(caps);
  return sample;
}

std::string answer_text(const std::string &transcript) {
  std::istringstream words(transcript);
  std::string word, said;
  while (words >> word) {
    /* Sphinx notations, should a recogniser return them: fillers (<sil>,
     * [NOISE], +BREATH+) are dropped, alternative pronunciations (word(2)) lose
     * their number. */
    if (word.front() == '<' || word.front() == '[' || word.front() == '+')
      continue;
    if (const std::size_t paren = word.find('('); paren != std::string::npos && paren > 0)
      word.erase(paren);
    /* Only letters, digits, apostrophes and hyphens reach espeak-ng: no markup
     * or phoneme brackets ("[[...]]"), whatever the transcript holds. */
    std::string clean;
    for (const char c : word) {
      const auto u = static_cast<unsigned char>(c);
      if (std::isalnum(u) || c == '\'' || c == '-')
        clean += c;
    }
    if (clean.empty())
      continue;
    if (said.size() + 1 + clean.size() > kMaxAnswerChars)
      break;
    if (!said.empty())
      said += ' ';
    said += clean;
  }
  if (said.empty())
    return kNothingHeard;
  return "You said " + said + ".";
}

} /* namespace voicekit::server */
