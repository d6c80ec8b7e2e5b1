/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * voicekit-demo: two (or more) WebRTC sessions' audio through one pipeline,
 * and the session id travelling with every buffer.
 *
 * What it shows. Each input file stands for one caller (one WebRTC session).
 * Its branch tags the audio with `sessiontag webrtc-id=...` right where it
 * enters, then sends it through the elements a voice pipeline has: format
 * conversion, resampling to 48 kHz, an Opus encoder and decoder (new buffers
 * every step) and a queue (a new streaming thread). A funnel then mixes the
 * branches into one stream and one sink, as a server handling several calls
 * does:
 *
 *   filesrc ! rawaudioparse|wavparse ! sessiontag webrtc-id=session-1-... !
 *     audioconvert ! pausedetect ! replyonpause ! audioresample !
 *     audio/x-raw,rate=48000 ! opusenc ! opusdec ! queue ! funnel ! fakesink sync=true
 *                                          (one such branch per session)
 *
 * pausedetect in each branch reports when its caller starts and stops
 * speaking; replyonpause (echo handler, FastRTC's hello world) answers each
 * utterance with the utterance itself, from the pause on. Each message of
 * both carries the webrtc-id, which must be the branch's own; what reaches the
 * sink is the reply stream (silence, then the echoed utterances).
 *
 * At the sink, every buffer must still say which session it belongs to, in two
 * ways: the GstVoiceKitSessionMeta on the buffer (gst_voicekit_buffer_get_webrtc_id()) and the
 * sticky session event on the sink pad (gst_voicekit_pad_get_session_context()), which
 * funnel forwards whenever it switches from one session's branch to the other.
 * Both are compared with where the buffer really came from: a probe at the end
 * of each branch notes the branch, and funnel hands the buffer on to the sink
 * in that same thread.
 *
 * It prints one line per session about every 0.5 s of audio (pts, the id from
 * the meta, the id from the sticky event), a line for every wrong buffer, and
 * a summary per session. Exit code 0 when every buffer of every session
 * arrived with the right id both ways; 1 when a buffer had a wrong or missing
 * id, a session got no audio or the pipeline failed; 2 on bad arguments or
 * missing input files.
 *
 * Input: Debian's pocketsphinx-testdata recordings by default (two speakers,
 * goforward.raw and numbers.raw); `--file PATH`, repeatable, picks others, one
 * session each: *.raw is read as 16 kHz mono S16LE (the format of that
 * package's raw files), *.wav through wavparse.
 */
#include <gst/gst.h>
#include <gst/voicekit/session.h>

#include "build-tree-plugin.hpp"
#include "gst-main.hpp"

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace {

constexpr const char *kDataDir = "/usr/share/pocketsphinx/test/data";
constexpr const char *kDefaultFiles[] = {"goforward.raw", "numbers.raw"};
constexpr GstClockTime kReportEvery = 500 * GST_MSECOND;

/* What the sink saw of one session. */
struct Session {
  std::string file;
  std::string webrtc_id;
  guint64 buffers = 0;
  GstClockTime audio = 0;   /* summed buffer durations */
  guint64 missing_meta = 0; /* buffers without a session meta, but the last */
  /* The last buffer so far had no meta. Tolerated for the very last buffer of
   * a session only: audioresample's filter tail at EOS is made from no input
   * buffer, so it has no meta to copy; its sticky event still names the
   * session (checked like every buffer's). */
  bool last_missing_meta = false;
  guint64 wrong_meta = 0;   /* buffers whose meta names another session */
  guint64 wrong_sticky = 0; /* buffers whose sink pad sticky event named another (or none) */
  GstClockTime next_report = 0;
};

struct Demo {
  std::vector<Session> sessions;
  std::mutex lock; /* guards sessions' counters and stdout from the streaming threads */
  guint64 unknown_origin = 0;
  guint64 switches = 0; /* times the sink got a buffer of another session than the last */
  int last_branch = -1;
};

/* The branch whose buffer this thread is pushing into the funnel, or -1. Set
 * by the probe at the end of each branch; funnel hands the buffer on to the
 * sink in the same thread, so the sink's handoff reads it right. */
thread_local int current_branch = -1;

/* ---- command line ------------------------------------------------------------- */

void print_usage(FILE *to) {
  std::fprintf(to,
               "Usage: voicekit-demo [--file PATH]...\n"
               "\n"
               "Runs one session per file through sessiontag, Opus and a funnel, and checks\n"
               "at the sink that every buffer still carries its own session's webrtc-id, on\n"
               "the buffer (meta) and on the pad (sticky event).\n"
               "\n"
               "  --file PATH  a recording, one session each; *.raw is 16 kHz mono S16LE,\n"
               "               *.wav is parsed. Repeatable. Default:\n"
               "               %s/{%s,%s}\n"
               "  --help       this text\n",
               kDataDir, kDefaultFiles[0], kDefaultFiles[1]);
}

bool has_suffix(const std::string &text, const char *suffix) {
  const size_t length = std::strlen(suffix);
  return text.size() >= length &&
         g_ascii_strcasecmp(text.c_str() + text.size() - length, suffix) == 0;
}

/* "session-<n>-<file name without extension>", at most 24 bytes (one column of
 * the output); "session-<n>" when the file name does not make a valid id. */
std::string make_webrtc_id(size_t index, const std::string &file) {
  const std::string prefix = "session-" + std::to_string(index + 1);
  gchar *base = g_path_get_basename(file.c_str());
  gchar *dot = std::strrchr(base, '.');
  if (dot != nullptr && dot != base)
    *dot = '\0';
  std::string id = (prefix + "-" + base).substr(0, 24);
  g_free(base);
  return gst_voicekit_session_id_is_valid(id.c_str(), nullptr) ? id : prefix;
}

/* Returns -1 to run, or the exit code to leave with. */
int parse_options(int argc, char **argv, std::vector<std::string> *files) {
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      print_usage(stdout);
      return 0;
    } else if (std::strcmp(argv[i], "--file") == 0 && i + 1 < argc) {
      files->push_back(argv[++i]);
    } else if (std::strncmp(argv[i], "--file=", 7) == 0) {
      files->push_back(argv[i] + 7);
    } else {
      std::fprintf(stderr, "voicekit-demo: bad argument '%s'\n\n", argv[i]);
      print_usage(stderr);
      return 2;
    }
  }
  if (files->empty()) {
    for (const char *name : kDefaultFiles)
      files->push_back(std::string(kDataDir) + "/" + name);
  }
  return -1;
}

/* Every file must be readable and of a known kind. */
bool check_files(const std::vector<std::string> &files) {
  bool ok = true;
  for (const auto &file : files) {
    if (!g_file_test(file.c_str(), G_FILE_TEST_IS_REGULAR)) {
      std::fprintf(stderr, "voicekit-demo: cannot read %s: no such file\n", file.c_str());
      ok = false;
    } else if (!has_suffix(file, ".raw") && !has_suffix(file, ".wav")) {
      std::fprintf(stderr, "voicekit-demo: %s: only .raw (16 kHz mono S16LE) and .wav files\n",
                   file.c_str());
      ok = false;
    }
  }
  if (!ok && g_str_has_prefix(files.front().c_str(), kDataDir)) {
    std::fprintf(stderr, "voicekit-demo: the default recordings come with Debian's "
                         "pocketsphinx-testdata: apt install pocketsphinx-testdata, or pass "
                         "--file PATH\n");
  }
  return ok;
}

/* Prefers the plugin of this build tree over an installed one. */
bool ensure_sessiontag() {
  if (!voicekit::load_build_tree_plugin("voicekit-demo"))
    return false;
  GstElementFactory *factory = gst_element_factory_find("sessiontag");
  if (factory == nullptr)
    return false;
  gst_object_unref(factory);
  return true;
}

/* ---- what the sink sees ---------------------------------------------------------- */

GstPadProbeReturn on_branch_end(GstPad *, GstPadProbeInfo *, gpointer branch) {
  current_branch = GPOINTER_TO_INT(branch);
  return GST_PAD_PROBE_OK;
}

void on_sink_handoff(GstElement *, GstBuffer *buffer, GstPad *pad, gpointer data) {
  auto *demo = static_cast<Demo *>(data);
  const int branch = current_branch;
  current_branch = -1;

  const gchar *meta_id = gst_voicekit_buffer_get_webrtc_id(buffer);
  GstVoiceKitSessionContext *sticky = gst_voicekit_pad_get_session_context(pad);
  const gchar *sticky_id =
      sticky != nullptr ? gst_voicekit_session_context_get_webrtc_id(sticky) : nullptr;
  const GstClockTime pts = GST_BUFFER_PTS(buffer);

  std::lock_guard<std::mutex> guard(demo->lock);
  if (branch < 0 || static_cast<size_t>(branch) >= demo->sessions.size()) {
    demo->unknown_origin++;
    std::printf("  ??  buffer of unknown origin, pts %" GST_TIME_FORMAT ", meta %s\n",
                GST_TIME_ARGS(pts), meta_id != nullptr ? meta_id : "(none)");
  } else {
    Session &session = demo->sessions[static_cast<size_t>(branch)];
    if (demo->last_branch >= 0 && demo->last_branch != branch)
      demo->switches++;
    demo->last_branch = branch;
    const bool meta_ok = g_strcmp0(meta_id, session.webrtc_id.c_str()) == 0;
    const bool sticky_ok = g_strcmp0(sticky_id, session.webrtc_id.c_str()) == 0;
    session.buffers++;
    if (GST_BUFFER_DURATION_IS_VALID(buffer))
      session.audio += GST_BUFFER_DURATION(buffer);
    if (session.last_missing_meta)
      session.missing_meta++; /* it was not the last buffer after all */
    session.last_missing_meta = meta_id == nullptr;
    if (meta_id != nullptr && !meta_ok)
      session.wrong_meta++;
    if (!sticky_ok)
      session.wrong_sticky++;

    const bool due = !GST_CLOCK_TIME_IS_VALID(pts) || pts >= session.next_report;
    if (due || !meta_ok || !sticky_ok) {
      std::printf("  %-2d  %" GST_TIME_FORMAT "  %-24s %-24s %s\n", branch + 1, GST_TIME_ARGS(pts),
                  meta_id != nullptr ? meta_id : "(no meta)",
                  sticky_id != nullptr ? sticky_id : "(no event)",
                  meta_ok && sticky_ok ? "ok"
                  : meta_id == nullptr ? "WRONG: no meta on the buffer"
                                       : "WRONG");
      std::fflush(stdout);
      if (due && GST_CLOCK_TIME_IS_VALID(pts))
        session.next_report = (pts / kReportEvery + 1) * kReportEvery;
    }
  }
  if (sticky != nullptr)
    gst_voicekit_session_context_unref(sticky);
}

/* ---- pipeline --------------------------------------------------------------------- */

std::string pipeline_description(const std::vector<Session> &sessions) {
  std::string description = "funnel name=mix ! fakesink name=sink sync=true signal-handoffs=true";
  for (size_t i = 0; i < sessions.size(); i++) {
    const std::string n = std::to_string(i);
    const char *parser = has_suffix(sessions[i].file, ".raw")
                             ? "rawaudioparse use-sink-caps=false format=pcm pcm-format=s16le "
                               "sample-rate=16000 num-channels=1"
                             : "wavparse";
    description += "  filesrc name=src" + n + " ! " + parser + " ! sessiontag name=tag" + n +
                   " ! audioconvert ! pausedetect name=detect" + n + " ! replyonpause name=reply" +
                   n +
                   " ! audioresample ! audio/x-raw,rate=48000 ! opusenc ! "
                   "opusdec ! queue name=end" +
                   n + " ! mix.";
  }
  return description;
}

/* The branch an element (detectN, replyN) belongs to. */
size_t branch_of(GstMessage *message) {
  const gchar *name = GST_OBJECT_NAME(GST_MESSAGE_SRC(message));
  const gchar *digits = name + std::strcspn(name, "0123456789");
  return static_cast<size_t>(std::strtoul(digits, nullptr, 10));
}

/* Prints a replyonpause event; false when it names another session than the
 * branch it came from. */
bool report_reply(GstMessage *message, const std::vector<Session> &sessions) {
  const GstStructure *s = gst_message_get_structure(message);
  const size_t branch = branch_of(message);
  const gchar *event = gst_structure_get_string(s, "event");
  const gchar *id = gst_structure_get_string(s, "webrtc-id");
  guint64 utterance = 0, running_time = 0, latency = 0;
  gst_structure_get_uint64(s, "utterance", &utterance);
  gst_structure_get_uint64(s, "running-time", &running_time);
  const bool right =
      branch < sessions.size() && g_strcmp0(id, sessions[branch].webrtc_id.c_str()) == 0;
  std::string detail;
  if (gst_structure_get_uint64(s, "latency", &latency))
    detail = " (" + std::to_string(static_cast<double>(latency) / GST_MSECOND).substr(0, 5) +
             " ms after the pause)";
  guint64 duration = 0;
  if (gst_structure_get_uint64(s, "duration", &duration))
    detail = " (" + std::to_string(static_cast<double>(duration) / GST_SECOND).substr(0, 4) +
             " s of speech to the echo handler)";
  if (const gchar *error = gst_structure_get_string(s, "error"))
    detail = std::string(": ") + error;
  std::printf("  %-2zu  %" GST_TIME_FORMAT "  %-24s %s, utterance %" G_GUINT64_FORMAT "%s%s\n",
              branch + 1, GST_TIME_ARGS(running_time), id != nullptr ? id : "(none)", event,
              utterance, detail.c_str(), right ? "" : "  WRONG SESSION");
  return right && g_strcmp0(event, "handler-error") != 0;
}

/* Prints a pausedetect decision; false when it names another session than
 * the branch (detectN) it came from. */
bool report_turn(GstMessage *message, const std::vector<Session> &sessions) {
  const GstStructure *s = gst_message_get_structure(message);
  const size_t branch = branch_of(message);
  const gchar *event = gst_structure_get_string(s, "event");
  const gchar *id = gst_structure_get_string(s, "webrtc-id");
  guint64 utterance = 0, stream_time = 0, start = 0, end = 0;
  gst_structure_get_uint64(s, "utterance", &utterance);
  gst_structure_get_uint64(s, "stream-time", &stream_time);
  gst_structure_get_uint64(s, "speech-start", &start);
  const bool right =
      branch < sessions.size() && g_strcmp0(id, sessions[branch].webrtc_id.c_str()) == 0;
  if (g_strcmp0(event, "pause") == 0 && gst_structure_get_uint64(s, "speech-end", &end))
    std::printf("  %-2zu  %" GST_TIME_FORMAT "  %-24s pause after utterance %" G_GUINT64_FORMAT
                " (speech %.2f s to %.2f s)%s\n",
                branch + 1, GST_TIME_ARGS(stream_time), id != nullptr ? id : "(none)", utterance,
                static_cast<double>(start) / GST_SECOND, static_cast<double>(end) / GST_SECOND,
                right ? "" : "  WRONG SESSION");
  else
    std::printf("  %-2zu  %" GST_TIME_FORMAT "  %-24s speech-start, utterance %" G_GUINT64_FORMAT
                "%s\n",
                branch + 1, GST_TIME_ARGS(stream_time), id != nullptr ? id : "(none)", utterance,
                right ? "" : "  WRONG SESSION");
  return right;
}

/* Plays the pipeline to the end. Returns false on an error. */
bool run(GstElement *pipeline, const std::vector<Session> &sessions) {
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    std::fprintf(stderr, "voicekit-demo: the pipeline does not start\n");
    gst_element_set_state(pipeline, GST_STATE_NULL);
    return false;
  }
  /* The engine is chosen at READY->PAUSED: auto picks Silero when the model
   * search path finds its file (docs/pausedetect.md). */
  for (size_t i = 0; i < sessions.size(); i++) {
    GstElement *detect =
        gst_bin_get_by_name(GST_BIN(pipeline), ("detect" + std::to_string(i)).c_str());
    gchar *engine = nullptr;
    g_object_get(detect, "engine-in-use", &engine, nullptr);
    std::printf("  session %zu: pausedetect engine %s\n", i + 1, engine != nullptr ? engine : "?");
    g_free(engine);
    gst_object_unref(detect);
  }
  GstBus *bus = gst_element_get_bus(pipeline);
  bool ok = true;
  for (bool done = false; !done;) {
    GstMessage *message = gst_bus_timed_pop_filtered(
        bus, GST_CLOCK_TIME_NONE,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING |
                                    GST_MESSAGE_ELEMENT));
    GError *error = nullptr;
    gchar *details = nullptr;
    switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_EOS:
      done = true;
      break;
    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name(message, "pausedetect") && !report_turn(message, sessions))
        ok = false;
      if (gst_message_has_name(message, "replyonpause") && !report_reply(message, sessions))
        ok = false;
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error(message, &error, &details);
      std::fprintf(stderr, "voicekit-demo: error from %s: %s\n%s\n",
                   GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), error->message,
                   details != nullptr ? details : "");
      ok = false;
      done = true;
      break;
    default:
      gst_message_parse_warning(message, &error, &details);
      std::fprintf(stderr, "voicekit-demo: warning from %s: %s\n",
                   GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), error->message);
      break;
    }
    g_clear_error(&error);
    g_free(details);
    gst_message_unref(message);
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  return ok;
}

/* Prints the summary; returns true when every session came through intact. */
bool report(const Demo &demo) {
  bool ok = demo.unknown_origin == 0;
  std::printf("\nsummary\n  %-2s  %-24s %8s %9s %13s %13s %14s %11s\n", "#", "webrtc-id", "buffers",
              "audio s", "meta missing", "meta wrong", "sticky wrong", "drain tail");
  for (size_t i = 0; i < demo.sessions.size(); i++) {
    const Session &s = demo.sessions[i];
    std::printf("  %-2zu  %-24s %8" G_GUINT64_FORMAT " %9.2f %13" G_GUINT64_FORMAT
                " %13" G_GUINT64_FORMAT " %14" G_GUINT64_FORMAT " %11s\n",
                i + 1, s.webrtc_id.c_str(), s.buffers, static_cast<double>(s.audio) / GST_SECOND,
                s.missing_meta, s.wrong_meta, s.wrong_sticky,
                s.last_missing_meta ? "no meta" : "-");
    if (s.buffers == 0 || s.missing_meta != 0 || s.wrong_meta != 0 || s.wrong_sticky != 0)
      ok = false;
  }
  if (demo.unknown_origin != 0)
    std::printf("  %" G_GUINT64_FORMAT " buffers of unknown origin\n", demo.unknown_origin);
  std::printf("  the sink switched from one session to another %" G_GUINT64_FORMAT " times\n",
              demo.switches);
  std::printf("%s\n", ok ? "OK: every buffer reached the sink with its own session's id, on the "
                           "buffer and on the pad"
                         : "FAILED: some audio lost its session id (see above)");
  for (const Session &s : demo.sessions) {
    if (s.last_missing_meta) {
      std::printf("(drain tail: the last buffer of a session came without meta; audioresample "
                  "makes it at EOS from its filter history, with no input buffer to copy a meta "
                  "from; its sticky event named the right session)\n");
      break;
    }
  }
  return ok;
}

int run_main(int argc, char **argv) {
  std::vector<std::string> files;
  const int exit_code = parse_options(argc, argv, &files);
  if (exit_code >= 0)
    return exit_code;
  if (!check_files(files))
    return 2;
  if (!ensure_sessiontag()) {
    std::fprintf(stderr, "voicekit-demo: no sessiontag element; build the plugin or set "
                         "GST_PLUGIN_PATH to the directory holding libgstvoicekit.so\n");
    return 1;
  }

  Demo demo;
  for (const auto &file : files) {
    Session session;
    session.file = file;
    session.webrtc_id = make_webrtc_id(demo.sessions.size(), file);
    demo.sessions.push_back(session);
  }

  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(pipeline_description(demo.sessions).c_str(), &error);
  if (pipeline == nullptr || error != nullptr) {
    std::fprintf(stderr, "voicekit-demo: cannot build the pipeline: %s\n",
                 error != nullptr ? error->message : "unknown error");
    g_clear_error(&error);
    if (pipeline != nullptr)
      gst_object_unref(pipeline);
    return 1;
  }

  std::printf("voicekit-demo: %zu sessions through sessiontag ! audioconvert ! pausedetect ! "
              "replyonpause ! audioresample ! opusenc ! opusdec ! queue ! funnel ! fakesink\n"
              "(pausedetect's and replyonpause's lines come as they decide, ahead of the "
              "clock-synchronised sink; the sink plays the reply stream)\n",
              demo.sessions.size());
  for (size_t i = 0; i < demo.sessions.size(); i++) {
    const Session &session = demo.sessions[i];
    const std::string n = std::to_string(i);
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), ("src" + n).c_str());
    GstElement *tag = gst_bin_get_by_name(GST_BIN(pipeline), ("tag" + n).c_str());
    GstElement *end = gst_bin_get_by_name(GST_BIN(pipeline), ("end" + n).c_str());
    g_object_set(src, "location", session.file.c_str(), nullptr);
    g_object_set(tag, "webrtc-id", session.webrtc_id.c_str(), nullptr);
    GstPad *end_pad = gst_element_get_static_pad(end, "src");
    gst_pad_add_probe(end_pad, GST_PAD_PROBE_TYPE_BUFFER, on_branch_end,
                      GINT_TO_POINTER(static_cast<int>(i)), nullptr);
    gst_object_unref(end_pad);
    gst_object_unref(end);
    gst_object_unref(tag);
    gst_object_unref(src);
    std::printf("  session %zu: webrtc-id %-24s %s\n", i + 1, session.webrtc_id.c_str(),
                session.file.c_str());
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_signal_connect(sink, "handoff", G_CALLBACK(on_sink_handoff), &demo);
  gst_object_unref(sink);

  std::printf("\nat the sink, about every 0.5 s of each session's audio, and pausedetect's "
              "decisions as they come:\n  %-2s  %-17s  %-24s %-24s\n",
              "#", "pts", "webrtc-id (meta)", "webrtc-id (sticky)");
  const bool ran = run(pipeline, demo.sessions);
  gst_object_unref(pipeline);

  const bool intact = report(demo);
  return ran && intact ? 0 : 1;
}

} /* namespace */

int main(int argc, char **argv) {
  return voicekit::gst_main(argc, argv, run_main);
}
