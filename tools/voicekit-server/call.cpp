/* See call.hpp. */
#include "call.hpp"

#include "spoken.hpp"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <gst/voicekit/session.h>
#include <nice/agent.h>

#include <map>
#include <set>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

GST_DEBUG_CATEGORY_STATIC(call_debug);
#define GST_CAT_DEFAULT call_debug

namespace voicekit::server {

namespace {

std::atomic<int> g_pipelines_alive{0};

void ensure_debug_category() {
  static std::once_flag once;
  std::call_once(once, [] {
    GST_DEBUG_CATEGORY_INIT(call_debug, "voicekit-server", 0, "voicekit-server sessions");
  });
}

} // namespace

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

/* A heap copy of the anchor for GLib user data, freed by the destroy notify. */
gpointer anchor_data(const std::shared_ptr<Call::Anchor> &anchor) {
  return new std::shared_ptr<Call::Anchor>(anchor);
}
void free_anchor_data(gpointer data, GClosure * = nullptr) {
  delete static_cast<std::shared_ptr<Call::Anchor> *>(data);
}
const std::shared_ptr<Call::Anchor> &anchor_of(gpointer data) {
  return *static_cast<std::shared_ptr<Call::Anchor> *>(data);
}

/* Bus message fields that are times, written in milliseconds. */
bool is_time_field(const char *name) {
  static const char *const names[] = {"running-time", "stream-time", "speech-start",
                                      "speech-end",   "latency",     "duration"};
  for (const char *time : names)
    if (g_strcmp0(name, time) == 0)
      return true;
  return false;
}

/* A pausedetect or replyonpause element message as a client event: every
 * plain field, dashes as underscores, times in ms. */
std::string event_json(const GstStructure *structure, const char *source) {
  JsonWriter json;
  json.str("type", "event").str("source", source);
  const gint n = gst_structure_n_fields(structure);
  for (gint i = 0; i < n; ++i) {
    const gchar *name = gst_structure_nth_field_name(structure, i);
    const GValue *value = gst_structure_get_value(structure, name);
    std::string key = name;
    for (char &c : key)
      if (c == '-')
        c = '_';
    if (G_VALUE_HOLDS_STRING(value) && g_value_get_string(value) == nullptr) {
      json.null(key.c_str());
    } else if (key == "event" && G_VALUE_HOLDS_STRING(value)) {
      json.str("event", g_value_get_string(value));
    } else if (G_VALUE_HOLDS_STRING(value)) {
      json.str(key.c_str(), g_value_get_string(value) != nullptr ? g_value_get_string(value) : "");
    } else if (G_VALUE_HOLDS_UINT64(value)) {
      const guint64 v = g_value_get_uint64(value);
      if (is_time_field(name)) {
        if (v == GST_CLOCK_TIME_NONE)
          json.null((key + "_ms").c_str());
        else
          json.number((key + "_ms").c_str(), static_cast<double>(v) / 1e6);
      } else {
        json.integer(key.c_str(), static_cast<std::int64_t>(v));
      }
    } else if (G_VALUE_HOLDS_BOOLEAN(value)) {
      json.boolean(key.c_str(), g_value_get_boolean(value));
    } else if (G_VALUE_HOLDS_INT(value)) {
      json.integer(key.c_str(), g_value_get_int(value));
    } else if (G_VALUE_HOLDS_UINT(value)) {
      json.integer(key.c_str(), g_value_get_uint(value));
    } else if (G_VALUE_HOLDS_DOUBLE(value)) {
      json.number(key.c_str(), g_value_get_double(value));
    }
    /* Other types (the session context itself) stay on the bus. */
  }
  return json.text();
}

/* ---- the spoken handler: replyonpause handler=signals ----------------------- */

/* Shared by the utterance and reply-stop handlers of one replyonpause. The
 * utterance signal comes on a worker thread of replyonpause; reply-stop on its
 * streaming thread. */
struct SpokenState {
  std::weak_ptr<Call::Anchor> anchor;
  std::shared_ptr<Transcriber> transcriber;
  std::mutex lock;
  std::map<guint64, std::shared_ptr<Cancel>> cancels;
  /* reply-stop for an utterance whose handler had not started yet: it is
   * cancelled as soon as it registers. Reply numbers only grow, so anything
   * below the last one started can be forgotten. */
  std::set<guint64> stopped_early;
};

void spoken_utterance(GstElement *reply, guint64 number, GstSample *sample, gpointer data) {
  auto *state = static_cast<SpokenState *>(data);
  auto cancel = std::make_shared<Cancel>();
  {
    std::lock_guard<std::mutex> guard(state->lock);
    state->cancels[number] = cancel;
    if (state->stopped_early.erase(number) != 0)
      cancel->cancel();
    state->stopped_early.erase(state->stopped_early.begin(),
                               state->stopped_early.lower_bound(number));
  }
  std::string text;
  std::string error;
  GstSample *answer = nullptr;
  if (state->transcriber->transcribe(sample, text, error, cancel.get())) {
    if (auto anchor = state->anchor.lock())
      Call::Anchor::post(anchor, [number, text](Call &call) { call.on_transcript(number, text); });
    answer = speak(answer_text(text), error, cancel.get());
  }
  /* Each action returns FALSE when the reply was cut meanwhile: nothing to do. */
  gboolean accepted = FALSE;
  if (answer != nullptr) {
    g_signal_emit_by_name(reply, "push-reply", number, answer, &accepted);
    gst_sample_unref(answer);
    g_signal_emit_by_name(reply, "end-reply", number, &accepted);
  } else if (!cancel->cancelled()) {
    g_signal_emit_by_name(reply, "fail-reply", number, error.c_str(), &accepted);
  }
  std::lock_guard<std::mutex> guard(state->lock);
  state->cancels.erase(number);
}

/* On the streaming thread: Cancel::cancel() is short. */
void spoken_stop(GstElement *, guint64 number, gpointer data) {
  auto *state = static_cast<SpokenState *>(data);
  std::lock_guard<std::mutex> guard(state->lock);
  auto found = state->cancels.find(number);
  if (found != state->cancels.end())
    found->second->cancel();
  else if (state->stopped_early.size() < 64)
    state->stopped_early.insert(number);
}

} // namespace

/* ---- life ------------------------------------------------------------------- */

int Call::pipelines_alive() {
  return g_pipelines_alive.load();
}

Call::Call(const CallConfig &config, const std::string &webrtc_id, Callbacks callbacks)
    : config_(config), webrtc_id_(webrtc_id), callbacks_(std::move(callbacks)),
      anchor_(std::make_shared<Anchor>()) {
  anchor_->call = this;
  anchor_->context = g_main_context_ref_thread_default();
}

std::unique_ptr<Call> Call::create(const CallConfig &config, const std::string &webrtc_id,
                                   Callbacks callbacks, std::string &error) {
  ensure_debug_category();
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
    /* NULL stops every streaming thread; replyonpause does not wait for
     * handlers, which hold their own references and notice the flush. */
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    if (webrtc_ != nullptr)
      gst_object_unref(webrtc_);
    if (reply_ != nullptr)
      gst_object_unref(reply_);
    gst_object_unref(pipeline_);
  }
  GST_INFO("session %s: call destroyed", webrtc_id_.c_str());
}

gint64 Call::last_media_us() const {
  return anchor_->last_media_us.load();
}

/* ---- the pipeline ----------------------------------------------------------- */

bool Call::build(std::string &error) {
  /* Everything but the two links to webrtcbin, which wait for the offer (the
   * payload type) and for webrtcbin's source pad. The reply's RTP crosses from
   * an appsink to an appsrc: linked straight back into webrtcbin, the chain
   * would make a loop in the bin's graph (webrtcbin feeding itself), which
   * GstBin cannot sort and warns about at every state change. Audio is analysed at 16 kHz
   * mono: all pausedetect's engines need, and a third of the work of 48 kHz. */
  const char *description =
      "webrtcbin name=webrtc bundle-policy=max-bundle "
      "rtpopusdepay name=depay ! opusdec plc=true ! audioconvert ! audioresample "
      "! audio/x-raw,format=S16LE,rate=16000,channels=1 ! sessiontag name=tag "
      "! pausedetect name=detect ! replyonpause name=reply "
      "! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 "
      "! opusenc audio-type=voice frame-size=20 ! rtpopuspay name=pay "
      "! appsink name=replyout sync=false async=false enable-last-sample=false "
      "appsrc name=replyin format=time is-live=true do-timestamp=false "
      "! capsfilter name=paycaps";
  GError *parse_error = nullptr;
  GstElement *bin =
      gst_parse_launch_full(description, nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &parse_error);
  if (bin == nullptr || parse_error != nullptr) {
    error = std::string("cannot build the session pipeline: ") +
            (parse_error != nullptr ? parse_error->message : "unknown error");
    g_clear_error(&parse_error);
    if (bin != nullptr)
      gst_object_unref(bin);
    return false;
  }
  pipeline_ = bin;
  g_pipelines_alive.fetch_add(1);
  g_object_weak_ref(
      G_OBJECT(pipeline_), [](gpointer, GObject *) { g_pipelines_alive.fetch_sub(1); }, nullptr);
  gst_object_set_name(GST_OBJECT(pipeline_), ("session-" + webrtc_id_).c_str());

  webrtc_ = gst_bin_get_by_name(GST_BIN(pipeline_), "webrtc");
  reply_ = gst_bin_get_by_name(GST_BIN(pipeline_), "reply");
  GstElement *tag = gst_bin_get_by_name(GST_BIN(pipeline_), "tag");
  GstElement *detect = gst_bin_get_by_name(GST_BIN(pipeline_), "detect");
  g_object_set(tag, "webrtc-id", webrtc_id_.c_str(), nullptr);
  gst_util_set_object_arg(G_OBJECT(detect), "engine", config_.engine.c_str());
  g_object_set(detect, "min-silence-duration",
               static_cast<guint64>(config_.min_silence_ms) * GST_MSECOND, "speech-pad",
               static_cast<guint64>(config_.speech_pad_ms) * GST_MSECOND, nullptr);
  if (config_.handler == "spoken") {
    gst_util_set_object_arg(G_OBJECT(reply_), "handler", "signals");
    auto *state = new SpokenState;
    state->anchor = anchor_;
    state->transcriber = config_.transcriber;
    g_signal_connect_data(
        reply_, "utterance", G_CALLBACK(spoken_utterance), state,
        [](gpointer data, GClosure *) { delete static_cast<SpokenState *>(data); },
        GConnectFlags(0));
    g_signal_connect(reply_, "reply-stop", G_CALLBACK(spoken_stop), state);
  } else if (config_.handler == "command") {
    gst_util_set_object_arg(G_OBJECT(reply_), "handler", "command");
    g_object_set(reply_, "command", config_.command.c_str(), nullptr);
  } else {
    gst_util_set_object_arg(G_OBJECT(reply_), "handler", "echo");
  }

  /* When audio last came in: the server closes sessions whose media stopped. */
  GstPad *tag_sink = gst_element_get_static_pad(tag, "sink");
  gst_pad_add_probe(
      tag_sink, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad *, GstPadProbeInfo *, gpointer data) {
        anchor_of(data)->last_media_us.store(g_get_monotonic_time());
        return GST_PAD_PROBE_OK;
      },
      anchor_data(anchor_), [](gpointer data) { free_anchor_data(data); });
  gst_object_unref(tag_sink);
  gst_object_unref(tag);
  GstElement *reply_out = gst_bin_get_by_name(GST_BIN(pipeline_), "replyout");
  GstElement *reply_in = gst_bin_get_by_name(GST_BIN(pipeline_), "replyin");
  GstAppSinkCallbacks bridge = {};
  bridge.new_sample = [](GstAppSink *sink, gpointer data) -> GstFlowReturn {
    GstSample *sample = gst_app_sink_pull_sample(sink);
    if (sample == nullptr)
      return GST_FLOW_FLUSHING;
    GstFlowReturn flow =
        gst_app_src_push_buffer(GST_APP_SRC(data), gst_buffer_ref(gst_sample_get_buffer(sample)));
    gst_sample_unref(sample);
    /* Before the offer links the appsrc, or while it flushes, the reply is
     * dropped; the session goes on. */
    return flow == GST_FLOW_FLUSHING || flow == GST_FLOW_NOT_LINKED ? GST_FLOW_OK : flow;
  };
  gst_app_sink_set_callbacks(GST_APP_SINK(reply_out), &bridge, gst_object_ref(reply_in),
                             [](gpointer data) { gst_object_unref(data); });
  gst_object_unref(reply_out);
  gst_object_unref(reply_in);
  gst_object_unref(detect);

  g_object_set(webrtc_, "latency", config_.jitter_latency_ms, nullptr);
  /* ICE gathers on the configured address only (127.0.0.1 by default): no
   * interface enumeration, no TCP candidates, no STUN or TURN. */
  GstWebRTCICE *ice = nullptr;
  g_object_get(webrtc_, "ice-agent", &ice, nullptr);
  if (ice != nullptr) {
    g_object_set(ice, "ice-tcp", FALSE, nullptr);
    NiceAgent *agent = nullptr;
    g_object_get(ice, "agent", &agent, nullptr);
    NiceAddress address;
    nice_address_init(&address);
    const bool ok = agent != nullptr &&
                    nice_address_set_from_string(&address, config_.ice_address.c_str()) &&
                    nice_agent_add_local_address(agent, &address);
    if (agent != nullptr)
      g_object_unref(agent);
    gst_object_unref(ice);
    if (!ok) {
      error = "cannot restrict ICE to the address \"" + config_.ice_address + "\"";
      return false;
    }
  }

  g_signal_connect_data(webrtc_, "on-ice-candidate",
                        G_CALLBACK(+[](GstElement *, guint mline, gchar *candidate, gpointer data) {
                          std::string text = candidate != nullptr ? candidate : "";
                          Anchor::post(anchor_of(data), [mline, text](Call &call) {
                            call.on_local_candidate(mline, text);
                          });
                        }),
                        anchor_data(anchor_), free_anchor_data, GConnectFlags(0));
  g_signal_connect_data(webrtc_, "notify::ice-gathering-state",
                        G_CALLBACK(+[](GstElement *webrtc, GParamSpec *, gpointer data) {
                          GstWebRTCICEGatheringState state;
                          g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
                          if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
                            Anchor::post(anchor_of(data), [](Call &call) {
                              if (call.answer_created_ && !call.answer_sent_)
                                call.send_answer();
                            });
                        }),
                        anchor_data(anchor_), free_anchor_data, GConnectFlags(0));
  g_signal_connect_data(webrtc_, "notify::ice-connection-state",
                        G_CALLBACK(+[](GstElement *webrtc, GParamSpec *, gpointer data) {
                          GstWebRTCICEConnectionState state;
                          g_object_get(webrtc, "ice-connection-state", &state, nullptr);
                          Anchor::post(anchor_of(data), [state](Call &call) {
                            call.on_ice_state(static_cast<int>(state));
                          });
                        }),
                        anchor_data(anchor_), free_anchor_data, GConnectFlags(0));
  /* The client's audio: link the first audio pad to the depayloader (on the
   * streaming thread that adds it; the rest of the chain is already playing). */
  g_signal_connect_data(
      webrtc_, "pad-added", G_CALLBACK(+[](GstElement *webrtc, GstPad *pad, gpointer data) {
        if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
          return;
        GstElement *pipeline = GST_ELEMENT(gst_element_get_parent(webrtc));
        if (pipeline == nullptr)
          return;
        GstElement *depay = gst_bin_get_by_name(GST_BIN(pipeline), "depay");
        GstPad *sink = gst_element_get_static_pad(depay, "sink");
        if (gst_pad_is_linked(sink) || gst_pad_link(pad, sink) != GST_PAD_LINK_OK) {
          /* A second stream, or not Opus: consume it so webrtcbin never
           * blocks on an unlinked pad. */
          GstElement *sink_element = gst_element_factory_make("fakesink", nullptr);
          g_object_set(sink_element, "async", FALSE, "sync", FALSE, nullptr);
          gst_bin_add(GST_BIN(pipeline), sink_element);
          gst_element_sync_state_with_parent(sink_element);
          GstPad *fake_sink = gst_element_get_static_pad(sink_element, "sink");
          gst_pad_link(pad, fake_sink);
          gst_object_unref(fake_sink);
          GST_WARNING_OBJECT(webrtc, "an extra stream %s is discarded", GST_PAD_NAME(pad));
        }
        gst_object_unref(sink);
        gst_object_unref(depay);
        gst_object_unref(pipeline);
        (void)data;
      }),
      nullptr, nullptr, GConnectFlags(0));

  GstBus *bus = gst_element_get_bus(pipeline_);
  bus_watch_ = gst_bus_add_watch_full(
      bus, G_PRIORITY_DEFAULT,
      [](GstBus *, GstMessage *message, gpointer data) -> gboolean {
        /* Bus watches run on the main thread already. */
        if (Call *call = anchor_of(data)->call)
          call->on_bus_message(message);
        return G_SOURCE_CONTINUE;
      },
      anchor_data(anchor_), [](gpointer data) { free_anchor_data(data); });
  gst_object_unref(bus);

  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    error = "the session pipeline does not start (see the server's log)";
    return false;
  }
  GST_INFO("session %s: pipeline playing", webrtc_id_.c_str());
  return true;
}

/* ---- negotiation ------------------------------------------------------------ */

namespace {

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

} // namespace

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
  GstElement *pay = gst_bin_get_by_name(GST_BIN(pipeline_), "pay");
  GstElement *paycaps = gst_bin_get_by_name(GST_BIN(pipeline_), "paycaps");
  GstElement *reply_in = gst_bin_get_by_name(GST_BIN(pipeline_), "replyin");
  g_object_set(pay, "pt", audio.opus_payload, nullptr);
  GstCaps *caps =
      gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio", "encoding-name",
                          G_TYPE_STRING, "OPUS", "clock-rate", G_TYPE_INT, 48000, "payload",
                          G_TYPE_INT, static_cast<int>(audio.opus_payload), nullptr);
  g_object_set(paycaps, "caps", caps, nullptr);
  gst_app_src_set_caps(GST_APP_SRC(reply_in), caps);
  gst_object_unref(reply_in);
  gst_caps_unref(caps);
  const bool linked = gst_element_link(paycaps, webrtc_);
  gst_object_unref(pay);
  gst_object_unref(paycaps);
  if (!linked) {
    gst_sdp_message_free(message);
    error = {"internal", "cannot link the reply stream to webrtcbin"};
    return false;
  }

  GstWebRTCSessionDescription *offer =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, message);
  /* set-remote-description, then create-answer, then set-local-description:
   * each step in webrtcbin's own thread, the result back on the main thread. */
  GstPromise *remote_set = gst_promise_new_with_change_func(
      [](GstPromise *promise, gpointer data) {
        const std::string failure = promise_error(promise);
        const auto &anchor = anchor_of(data);
        if (!failure.empty()) {
          Anchor::post(anchor, [failure](Call &call) {
            call.callbacks_.send(
                error_message({"bad-sdp", "webrtcbin refused the offer: " + failure}, true));
            call.fail("bad-sdp");
          });
          return;
        }
        Anchor::post(anchor, [](Call &call) {
          GstPromise *answered = gst_promise_new_with_change_func(
              [](GstPromise *promise, gpointer data) {
                const std::string failure = promise_error(promise);
                GstWebRTCSessionDescription *description = nullptr;
                const GstStructure *reply = gst_promise_get_reply(promise);
                if (failure.empty() && reply != nullptr)
                  gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                                    &description, nullptr);
                /* Freed with the job, also when the Call is gone by then. */
                std::shared_ptr<GstWebRTCSessionDescription> answer(
                    description, [](GstWebRTCSessionDescription *d) {
                      if (d != nullptr)
                        gst_webrtc_session_description_free(d);
                    });
                Anchor::post(anchor_of(data), [failure, answer](Call &call) {
                  if (answer == nullptr) {
                    call.fail("webrtcbin made no answer: " +
                              (failure.empty() ? std::string("empty reply") : failure));
                    return;
                  }
                  g_signal_emit_by_name(call.webrtc_, "set-local-description", answer.get(),
                                        nullptr);
                  call.on_answer_ready();
                });
              },
              anchor_data(call.anchor_), [](gpointer data) { free_anchor_data(data); });
          g_signal_emit_by_name(call.webrtc_, "create-answer", nullptr, answered);
          gst_promise_unref(answered);
        });
      },
      anchor_data(anchor_), [](gpointer data) { free_anchor_data(data); });
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
  answer_timeout_ = g_timeout_add(
      config_.answer_wait_ms,
      [](gpointer data) -> gboolean {
        auto *call = static_cast<Call *>(data);
        call->answer_timeout_ = 0;
        if (!call->answer_sent_)
          call->send_answer();
        return G_SOURCE_REMOVE;
      },
      this);
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

} // namespace voicekit::server
