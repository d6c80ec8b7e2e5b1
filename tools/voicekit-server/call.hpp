/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * One session of voicekit-server: its own pipeline, from webrtcbin through
 * sessiontag, pausedetect and replyonpause back into the same webrtcbin.
 *
 *   webrtcbin ! rtpopusdepay ! opusdec ! audioconvert ! audioresample
 *     ! sessiontag webrtc-id=<id> ! pausedetect ! replyonpause
 *     ! audioconvert ! audioresample ! opusenc ! rtpopuspay ! webrtcbin
 *
 * A Call lives on the thread that runs the default GMainContext (the server's
 * main loop): it is made, fed and destroyed there, and every callback it makes
 * comes from there, whatever GStreamer thread the cause came from.
 */
#ifndef TOOLS_VOICEKIT_SERVER_CALL_HPP
#define TOOLS_VOICEKIT_SERVER_CALL_HPP

#include "pipeline-reaper.hpp"
#include "signalling.hpp"
#include "spoken.hpp"

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace voicekit::server {

struct CallConfig {
  std::string handler = "echo"; /* echo, command or spoken */
  std::string command;          /* handler=command: replyonpause's command line */
  std::string engine = "auto";  /* pausedetect's engine */
  unsigned min_silence_ms = 500;
  unsigned speech_pad_ms = 300; /* pausedetect's speech-pad: audio kept before the onset */
  unsigned jitter_latency_ms = 40;
  std::string ice_address = "127.0.0.1"; /* the only address ICE gathers on */
  unsigned answer_wait_ms = 2000;        /* longest wait for gathering before the answer */
  /* handler=spoken: pocketsphinx decoders shared by every session. */
  std::shared_ptr<Transcriber> transcriber;
  /* When set, a destroyed Call's pipeline is stopped and freed on the
   * reaper's thread instead of in the destructor (the main loop). */
  std::shared_ptr<PipelineReaper> reaper;
};

class Call {
public:
  struct Callbacks {
    /* A signalling message for this call's client (answer, candidate). */
    std::function<void(const std::string &json)> send;
    /* A live event of this session (type "event"), for the client and the log. */
    std::function<void(const std::string &json)> event;
    /* The call cannot go on (pipeline error, ICE failure). Called once; the
     * owner destroys the Call later, never from inside this callback. */
    std::function<void(const std::string &reason)> failed;
  };

  /* Builds the pipeline and sets it PLAYING; nullptr with `error` set when an
   * element is missing or the pipeline does not start. */
  static std::unique_ptr<Call> create(const CallConfig &config, const std::string &webrtc_id,
                                      Callbacks callbacks, std::string &error);
  ~Call();
  Call(const Call &) = delete;
  Call &operator=(const Call &) = delete;

  /* Applies the client's offer and, once gathered, sends the answer. False
   * with `error` (bad-sdp or protocol) when the offer cannot be used. */
  bool handle_offer(const std::string &sdp, SignallingError &error);
  /* A trickled candidate of the client; empty ends them. */
  void add_remote_candidate(unsigned mline_index, const std::string &candidate);

  /* g_get_monotonic_time() of the last audio buffer from the client, 0 before. */
  gint64 last_media_us() const;
  bool connected() const { return connected_; }
  const std::string &webrtc_id() const { return webrtc_id_; }

  /* Pipelines of all calls not yet finalized (a leak shows here). */
  static int pipelines_alive();

  /* The spoken handler's transcript of utterance `utterance` (main thread). */
  void on_transcript(guint64 utterance, const std::string &text);

  struct Anchor; /* what callbacks from other threads hold on to */

private:
  struct Handlers; /* GLib and GStreamer callbacks: call.cpp */

  Call(const CallConfig &config, const std::string &webrtc_id, Callbacks callbacks);
  /* The pipeline (session-pipeline.hpp), its reply handler, ICE's address,
   * webrtcbin's signals and the bus, then PLAYING. */
  bool build(std::string &error);
  void watch_media();
  void connect_webrtc_signals();
  void watch_bus();
  void on_bus_message(GstMessage *message);
  void on_answer_ready();
  void send_answer();
  void on_local_candidate(unsigned mline_index, const std::string &candidate);
  void on_ice_state(int state);
  void fail(const std::string &reason);

  CallConfig config_;
  std::string webrtc_id_;
  Callbacks callbacks_;
  std::shared_ptr<Anchor> anchor_;
  GstElement *pipeline_ = nullptr;
  GstElement *webrtc_ = nullptr;
  GstElement *reply_ = nullptr;
  guint bus_watch_ = 0;
  guint answer_timeout_ = 0;
  bool offered_ = false;
  bool answer_sent_ = false;
  bool answer_created_ = false;
  bool connected_ = false;
  bool failed_ = false;
  std::vector<std::pair<unsigned, std::string>> pending_candidates_;
};

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_CALL_HPP */
