/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * One session of voicekit-server (call.hpp): its life, what webrtcbin's
 * signals, promises and the bus report (brought onto the main thread), the
 * offer and answer, and what the session tells its owner. The pipeline's
 * shape is in session-pipeline.cpp, the reply handler in reply-handler.cpp,
 * ICE's address in ice.cpp, the events' JSON in bus-events.cpp.
 */
#include "call.hpp"

#include "bus-events.hpp"
#include "ice.hpp"
#include "reply-handler.hpp"
#include "session-log.hpp"
#include "session-pipeline.hpp"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <utility>
#include <vector>

#define GST_CAT_DEFAULT voicekit::server::session_debug

namespace voicekit::server {

/* Held by every job, signal handler and probe that may outlive the Call; the
 * Call clears `call` (on the main thread) before it goes away, and jobs run on
 * the main thread too, so a job sees either a live Call or nullptr. */
struct Call::Anchor {
  Call *call = nullptr;
  GMainContext *context = nullptr; /* owned: jobs may be posted after the Call is gone */
  std::atomic<gint64> last_media_us{0};

  ~Anchor() {
    if (context != nullptr)
      g_main_context_unref(context);
  }

  /* Runs `job` later on the main thread, if the Call still exists then. Never
   * runs it inline, even from the main thread. */
  static void post(const std::shared_ptr<Anchor> &anchor, std::function<void(Call &)> job) {
    struct Job {
      std::shared_ptr<Anchor> anchor;
      std::function<void(Call &)> run;
    };
    GSource *source = g_idle_source_new();
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(
        source,
        [](gpointer data) -> gboolean {
          auto *job = static_cast<Job *>(data);
          if (job->anchor->call != nullptr)
            job->run(*job->anchor->call);
          return G_SOURCE_REMOVE;
        },
        new Job{anchor, std::move(job)}, [](gpointer data) { delete static_cast<Job *>(data); });
    g_source_attach(source, anchor->context);
    g_source_unref(source);
  }
};

namespace {

/* A heap copy of the anchor for GLib user data, freed by the destroy notify
 * (GDestroyNotify, or GClosureNotify for signal handlers). */
gpointer anchor_data(const std::shared_ptr<Call::Anchor> &anchor) {
  return new std::shared_ptr<Call::Anchor>(anchor);
}
void free_anchor_data(gpointer data) {
  delete static_cast<std::shared_ptr<Call::Anchor> *>(data);
}
void free_anchor_closure_data(gpointer data, GClosure *) {
  free_anchor_data(data);
}
const std::shared_ptr<Call::Anchor> &anchor_of(gpointer data) {
  return *static_cast<std::shared_ptr<Call::Anchor> *>(data);
}

/* The error of a webrtcbin promise reply, or "" when it succeeded. */
std::string promise_error(GstPromise *promise) {
  if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED)
    return "no reply";
  const GstStructure *reply = gst_promise_get_reply(promise);
  if (reply != nullptr && gst_structure_has_field(reply, "error")) {
    GError *error = nullptr;
    gst_structure_get(reply, "error", G_TYPE_ERROR, &error, nullptr);
    std::string message = error != nullptr ? error->message : "unknown error";
    g_clear_error(&error);
    return message;
  }
  return "";
}

} /* namespace */

/* Callbacks GLib and GStreamer make on their own threads (webrtcbin's signals
 * and promises, a pad probe) or on the main thread (the bus watch, a timeout):
 * each hands the news to the Call through its anchor. Members, so the jobs
 * they post reach the Call's private state. */
struct Call::Handlers {
  /* A buffer reached sessiontag (streaming thread). */
  static GstPadProbeReturn media_arrived(GstPad *, GstPadProbeInfo *, gpointer data) {
    anchor_of(data)->last_media_us.store(g_get_monotonic_time());
    return GST_PAD_PROBE_OK;
  }

  /* webrtcbin's "on-ice-candidate": a local candidate was gathered. */
  static void local_candidate(GstElement *, guint mline, gchar *candidate, gpointer data) {
    std::string text = candidate != nullptr ? candidate : "";
    Anchor::post(anchor_of(data),
                 [mline, text](Call &call) { call.on_local_candidate(mline, text); });
  }

  /* "notify::ice-gathering-state": once complete, an answer waiting for the
   * candidates goes out. */
  static void gathering_state_changed(GstElement *webrtc, GParamSpec *, gpointer data) {
    GstWebRTCICEGatheringState state;
    g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
    if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
      return;
    Anchor::post(anchor_of(data), [](Call &call) {
      if (call.answer_created_ && !call.answer_sent_)
        call.send_answer();
    });
  }

  /* "notify::ice-connection-state". */
  static void connection_state_changed(GstElement *webrtc, GParamSpec *, gpointer data) {
    GstWebRTCICEConnectionState state;
    g_object_get(webrtc, "ice-connection-state", &state, nullptr);
    Anchor::post(anchor_of(data),
                 [state](Call &call) { call.on_ice_state(static_cast<int>(state)); });
  }

  /* The pipeline's bus watch: runs on the main thread already. */
  static gboolean bus_message(GstBus *, GstMessage *message, gpointer data) {
    if (Call *call = anchor_of(data)->call)
      call->on_bus_message(message);
    return G_SOURCE_CONTINUE;
  }

  /* set-remote-description's promise (webrtcbin's thread): on success the
   * answer is asked for, on the main thread. */
  static void remote_description_set(GstPromise *promise, gpointer data) {
    const std::string failure = promise_error(promise);
    if (!failure.empty()) {
      Anchor::post(anchor_of(data), [failure](Call &call) {
        call.callbacks_.send(
            error_message({"bad-sdp", "webrtcbin refused the offer: " + failure}, true));
        call.fail("bad-sdp");
      });
      return;
    }
    Anchor::post(anchor_of(data), [](Call &call) {
      GstPromise *answered = gst_promise_new_with_change_func(
          answer_created, anchor_data(call.anchor_), free_anchor_data);
      g_signal_emit_by_name(call.webrtc_, "create-answer", nullptr, answered);
      gst_promise_unref(answered);
    });
  }

  /* create-answer's promise (webrtcbin's thread): the answer becomes the
   * local description, on the main thread. */
  static void answer_created(GstPromise *promise, gpointer data) {
    const std::string failure = promise_error(promise);
    GstWebRTCSessionDescription *description = nullptr;
    const GstStructure *reply = gst_promise_get_reply(promise);
    if (failure.empty() && reply != nullptr)
      gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &description,
                        nullptr);
    /* Freed with the job, also when the Call is gone by then. */
    std::shared_ptr<GstWebRTCSessionDescription> answer(description,
                                                        [](GstWebRTCSessionDescription *d) {
                                                          if (d != nullptr)
                                                            gst_webrtc_session_description_free(d);
                                                        });
    Anchor::post(anchor_of(data), [failure, answer](Call &call) {
      if (answer == nullptr) {
        call.fail("webrtcbin made no answer: " +
                  (failure.empty() ? std::string("empty reply") : failure));
        return;
      }
      g_signal_emit_by_name(call.webrtc_, "set-local-description", answer.get(), nullptr);
      call.on_answer_ready();
    });
  }

  /* answer_wait_ms after the answer was made (main thread): it goes out with
   * the candidates gathered so far. */
  static gboolean answer_wait_over(gpointer data) {
    auto *call = static_cast<Call *>(data);
    call->answer_timeout_ = 0;
    if (!call->answer_sent_)
      call->send_answer();
    return G_SOURCE_REMOVE;
  }
};

/* ---- life ------------------------------------------------------------------- */

int Call::pipelines_alive() {
  return session_pipelines_alive();
}

Call::Call(const CallConfig &config, const std::string &webrtc_id, Callbacks callbacks)
    : config_(config), webrtc_id_(webrtc_id), callbacks_(std::move(callbacks)),
      anchor_(std::make_shared<Anchor>()) {
  anchor_->call = this;
  anchor_->context = g_main_context_ref_thread_default();
}

std::unique_ptr<Call> Call::create(const CallConfig &config, const std::string &webrtc_id,
                                   Callbacks callbacks, std::string &error) {
  ensure_session_debug_category();
  std::unique_ptr<Call> call(new Call(config, webrtc_id, std::move(callbacks)));
  if (!call->build(error))
    return nullptr;
  return call;
}

Call::~Call() {
  anchor_->call = nullptr; /* jobs already queued now do nothing */
  if (answer_timeout_ != 0)
    g_source_remove(answer_timeout_);
  if (pipeline_ != nullptr) {
    if (bus_watch_ != 0) {
      GstBus *bus = gst_element_get_bus(pipeline_);
      gst_bus_remove_watch(bus);
      gst_object_unref(bus);
    }
    if (webrtc_ != nullptr)
      gst_object_unref(webrtc_);
    if (reply_ != nullptr)
      gst_object_unref(reply_);
    /* NULL stops every streaming thread; replyonpause does not wait for
     * handlers, which hold their own references and notice the flush. What
     * webrtcbin's signals and the probe post meanwhile finds no Call. */
    if (config_.reaper) {
      config_.reaper->take(pipeline_);
    } else {
      gst_element_set_state(pipeline_, GST_STATE_NULL);
      gst_object_unref(pipeline_);
    }
  }
  GST_INFO("session %s: call destroyed", webrtc_id_.c_str());
}

gint64 Call::last_media_us() const {
  return anchor_->last_media_us.load();
}

/* ---- the pipeline ----------------------------------------------------------- */

bool Call::build(std::string &error) {
  pipeline_ = make_session_pipeline(config_, webrtc_id_, error);
  if (pipeline_ == nullptr)
    return false;
  webrtc_ = gst_bin_get_by_name(GST_BIN(pipeline_), "webrtc");
  reply_ = gst_bin_get_by_name(GST_BIN(pipeline_), "reply");
  set_reply_handler(
      reply_, config_,
      [anchor = std::weak_ptr<Anchor>(anchor_)](guint64 utterance, const std::string &text) {
        if (auto live = anchor.lock())
          Anchor::post(live,
                       [utterance, text](Call &call) { call.on_transcript(utterance, text); });
      });
  watch_media();
  if (!restrict_ice_to_address(webrtc_, config_.ice_address, error))
    return false;
  connect_webrtc_signals();
  watch_bus();
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    error = "the session pipeline does not start (see the server's log)";
    return false;
  }
  GST_INFO("session %s: pipeline playing", webrtc_id_.c_str());
  return true;
}

/* When audio last came in: the server closes sessions whose media stopped. */
void Call::watch_media() {
  GstElement *tag = gst_bin_get_by_name(GST_BIN(pipeline_), "tag");
  GstPad *tag_sink = gst_element_get_static_pad(tag, "sink");
  gst_pad_add_probe(tag_sink, GST_PAD_PROBE_TYPE_BUFFER, Handlers::media_arrived,
                    anchor_data(anchor_), free_anchor_data);
  gst_object_unref(tag_sink);
  gst_object_unref(tag);
}

void Call::connect_webrtc_signals() {
  g_signal_connect_data(webrtc_, "on-ice-candidate", G_CALLBACK(Handlers::local_candidate),
                        anchor_data(anchor_), free_anchor_closure_data, GConnectFlags(0));
  g_signal_connect_data(webrtc_, "notify::ice-gathering-state",
                        G_CALLBACK(Handlers::gathering_state_changed), anchor_data(anchor_),
                        free_anchor_closure_data, GConnectFlags(0));
  g_signal_connect_data(webrtc_, "notify::ice-connection-state",
                        G_CALLBACK(Handlers::connection_state_changed), anchor_data(anchor_),
                        free_anchor_closure_data, GConnectFlags(0));
}

void Call::watch_bus() {
  GstBus *bus = gst_element_get_bus(pipeline_);
  bus_watch_ = gst_bus_add_watch_full(bus, G_PRIORITY_DEFAULT, Handlers::bus_message,
                                      anchor_data(anchor_), free_anchor_data);
  gst_object_unref(bus);
}

/* ---- negotiation ------------------------------------------------------------ */

bool Call::handle_offer(const std::string &sdp, SignallingError &error) {
  if (offered_) {
    error = {"protocol", "this session already has an offer (renegotiation is not supported)"};
    return false;
  }
  OfferAudio audio;
  if (!find_opus_offer(sdp, audio, error))
    return false;
  GstSDPMessage *message = nullptr;
  gst_sdp_message_new_from_text(sdp.c_str(), &message);
  if (message == nullptr || gst_sdp_message_medias_len(message) == 0) {
    if (message != nullptr)
      gst_sdp_message_free(message);
    error = {"bad-sdp", "the offer does not parse as SDP"};
    return false;
  }
  offered_ = true;

  /* The reply goes out with the payload type the client offered for Opus. */
  if (!link_reply_stream(pipeline_, webrtc_, audio.opus_payload)) {
    gst_sdp_message_free(message);
    error = {"internal", "cannot link the reply stream to webrtcbin"};
    return false;
  }

  GstWebRTCSessionDescription *offer =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, message);
  /* set-remote-description, then create-answer, then set-local-description:
   * each step in webrtcbin's own thread, the result back on the main thread. */
  GstPromise *remote_set = gst_promise_new_with_change_func(Handlers::remote_description_set,
                                                            anchor_data(anchor_), free_anchor_data);
  g_signal_emit_by_name(webrtc_, "set-remote-description", offer, remote_set);
  gst_promise_unref(remote_set);
  gst_webrtc_session_description_free(offer);
  for (auto &candidate : pending_candidates_)
    g_signal_emit_by_name(webrtc_, "add-ice-candidate", candidate.first, candidate.second.c_str());
  pending_candidates_.clear();
  return true;
}

void Call::on_answer_ready() {
  answer_created_ = true;
  GstWebRTCICEGatheringState state;
  g_object_get(webrtc_, "ice-gathering-state", &state, nullptr);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) {
    send_answer();
    return;
  }
  /* Loopback gathering takes milliseconds; a client that waits for an answer
   * never waits more than answer_wait_ms, candidates found later trickle. */
  answer_timeout_ = g_timeout_add(config_.answer_wait_ms, Handlers::answer_wait_over, this);
}

void Call::send_answer() {
  if (answer_timeout_ != 0) {
    g_source_remove(answer_timeout_);
    answer_timeout_ = 0;
  }
  GstWebRTCSessionDescription *local = nullptr;
  g_object_get(webrtc_, "local-description", &local, nullptr);
  if (local == nullptr) {
    fail("webrtcbin has no local description");
    return;
  }
  gchar *text = gst_sdp_message_as_text(local->sdp);
  answer_sent_ = true;
  callbacks_.send(JsonWriter().str("type", "answer").str("sdp", text).text());
  g_free(text);
  gst_webrtc_session_description_free(local);
  GST_INFO("session %s: answer sent", webrtc_id_.c_str());
}

void Call::on_local_candidate(unsigned mline_index, const std::string &candidate) {
  /* Before the answer, the candidate goes out inside it (webrtcbin adds each
   * gathered candidate to its local description). */
  if (!answer_sent_)
    return;
  callbacks_.send(JsonWriter()
                      .str("type", "candidate")
                      .str("candidate", candidate)
                      .integer("sdpMLineIndex", mline_index)
                      .text());
}

void Call::add_remote_candidate(unsigned mline_index, const std::string &candidate) {
  if (candidate.empty())
    return; /* end of candidates: nothing to tell libnice */
  if (!offered_) {
    if (pending_candidates_.size() < 64)
      pending_candidates_.emplace_back(mline_index, candidate);
    return;
  }
  g_signal_emit_by_name(webrtc_, "add-ice-candidate", mline_index, candidate.c_str());
}

/* ---- what happens ----------------------------------------------------------- */

void Call::on_ice_state(int state) {
  switch (static_cast<GstWebRTCICEConnectionState>(state)) {
  case GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED:
  case GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED:
    if (!connected_) {
      connected_ = true;
      callbacks_.event(JsonWriter()
                           .str("type", "event")
                           .str("source", "server")
                           .str("event", "connected")
                           .str("webrtc_id", webrtc_id_)
                           .text());
    }
    break;
  case GST_WEBRTC_ICE_CONNECTION_STATE_FAILED:
    fail("ice-failed");
    break;
  default:
    break;
  }
}

void Call::on_transcript(guint64 utterance, const std::string &text) {
  callbacks_.event(JsonWriter()
                       .str("type", "event")
                       .str("source", "server")
                       .str("event", "transcript")
                       .str("webrtc_id", webrtc_id_)
                       .integer("utterance", static_cast<std::int64_t>(utterance))
                       .str("text", text)
                       .text());
}

void Call::on_bus_message(GstMessage *message) {
  switch (GST_MESSAGE_TYPE(message)) {
  case GST_MESSAGE_ELEMENT: {
    const GstStructure *structure = gst_message_get_structure(message);
    if (structure == nullptr)
      break;
    const char *name = gst_structure_get_name(structure);
    if (g_strcmp0(name, "pausedetect") != 0 && g_strcmp0(name, "replyonpause") != 0)
      break;
    const char *id = gst_structure_get_string(structure, "webrtc-id");
    if (id != nullptr && webrtc_id_ != id)
      GST_ERROR("session %s: %s message names session %s", webrtc_id_.c_str(), name, id);
    callbacks_.event(event_json(structure, name));
    break;
  }
  case GST_MESSAGE_ERROR: {
    GError *error = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error(message, &error, &debug);
    GST_WARNING("session %s: error from %s: %s (%s)", webrtc_id_.c_str(),
                GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), error->message,
                debug != nullptr ? debug : "");
    const std::string reason = std::string("pipeline error from ") +
                               GST_OBJECT_NAME(GST_MESSAGE_SRC(message)) + ": " + error->message;
    g_clear_error(&error);
    g_free(debug);
    fail(reason);
    break;
  }
  case GST_MESSAGE_WARNING: {
    GError *error = nullptr;
    gst_message_parse_warning(message, &error, nullptr);
    GST_WARNING("session %s: warning from %s: %s", webrtc_id_.c_str(),
                GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), error->message);
    g_clear_error(&error);
    break;
  }
  default:
    break;
  }
}

void Call::fail(const std::string &reason) {
  if (failed_)
    return;
  failed_ = true;
  GST_WARNING("session %s: %s", webrtc_id_.c_str(), reason.c_str());
  callbacks_.failed(reason);
}

} /* namespace voicekit::server */
