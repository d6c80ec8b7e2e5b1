/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * voicekit-server's HTTP and WebSocket side (server.hpp): the page, the
 * signalling protocol over each socket, and the sessions with their limits.
 */
#include "server.hpp"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include <algorithm>
#include <cstdio>
#include <dirent.h>
#include <fstream>

namespace voicekit::server {

struct Server::Connection {
  SoupWebsocketConnection *socket = nullptr;
  std::shared_ptr<StreamGuard> guard; /* its budgets (stream-guard.hpp) */
  std::string peer;                   /* remote address, for the log */
  std::string address;                /* the IP of `peer`: per-address limits */
  std::string webrtc_id;              /* set once hello is accepted */
  bool accepted = false;
  bool offered = false;
  bool ended = false;
  std::unique_ptr<Call> call;
  gint64 accepted_us = 0;
  gint64 opened_us = 0;
  guint64 serial = 0;       /* tells a reused address from the connection a job meant */
  unsigned soft_errors = 0; /* non-fatal errors sent so far */
  double report_tokens = kReportBurst;
  gint64 report_refilled_us = 0;
  guint64 reports_dropped = 0;
  guint time_limit_source = 0;
  gulong handlers[3] = {0, 0, 0};
};

namespace {

int count_fds() {
  int n = 0;
  if (DIR *dir = opendir("/proc/self/fd")) {
    while (dirent *entry = readdir(dir))
      if (entry->d_name[0] != '.')
        ++n;
    closedir(dir);
    --n; /* the directory stream's own descriptor */
  }
  return n;
}

int count_threads() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Threads:", 0) == 0)
      return std::atoi(line.c_str() + 8);
  return -1;
}

} /* namespace */

unsigned ServerConfig::connections_limit() const {
  return max_connections != 0 ? max_connections : 4 * max_sessions + 16;
}

unsigned ServerConfig::connections_per_address_limit() const {
  return max_connections_per_address != 0 ? max_connections_per_address
                                          : std::max(4u, connections_limit() / 4);
}

unsigned ServerConfig::sessions_per_address_limit() const {
  return max_sessions_per_address != 0 ? max_sessions_per_address : std::max(1u, max_sessions / 4);
}

Server::Server(ServerConfig config) : config_(std::move(config)) {
  if (!config_.call.reaper)
    config_.call.reaper = std::make_shared<PipelineReaper>();
  const bool json = config_.events_json;
  log_ = std::make_unique<LogWriter>(stdout, [json](unsigned long long dropped) {
    const std::string count = std::to_string(dropped);
    return json ? "{\"type\":\"log-dropped\",\"lines\":" + count + "}"
                : "log: " + count + " lines dropped (stdout too slow)";
  });
}

Server::~Server() {
  shutdown();
  listener_.reset(); /* no more connections */
  for (auto &entry : connections_) {
    for (gulong handler : entry.second->handlers)
      if (handler != 0)
        g_signal_handler_disconnect(entry.second->socket, handler);
    g_object_unref(entry.second->socket);
  }
  connections_.clear();
  if (tick_source_ != 0)
    g_source_remove(tick_source_);
  if (soup_ != nullptr) {
    soup_server_disconnect(soup_);
    g_object_unref(soup_);
  }
  gate_.reset();
  /* Every session's pipeline is stopped and freed before this returns. */
  config_.call.reaper.reset();
  log_.reset();
}

bool Server::start(std::string &error) {
  soup_ = soup_server_new("server-header", "voicekit-server", nullptr);
  /* permessage-deflate lets a few KB inflate to gigabytes in libsoup 3.2
   * (nothing bounds a message's inflated size): signalling does without. */
  soup_server_remove_websocket_extension(soup_, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  soup_server_add_handler(soup_, "/", on_page, this, nullptr);
  soup_server_add_handler(soup_, "/stats", on_stats, this, nullptr);
  soup_server_add_websocket_handler(soup_, "/ws", nullptr, nullptr, on_websocket, this, nullptr);
  hosts_ = std::make_unique<AllowedHosts>(config_.address, config_.allowed_hosts);
  GateConfig gate;
  gate.max_connections = config_.connections_limit();
  gate.max_connections_per_address = config_.connections_per_address_limit();
  gate.unlimited_addresses = config_.trusted_addresses;
  gate.guard.max_message_bytes = kMaxMessageBytes;
  gate_ = std::make_unique<Gate>(soup_, gate, *hosts_);
  listener_ = std::make_unique<Listener>([this](GSocket *socket) { gate_->admit(socket); },
                                         [this] { return gate_->evict_idle(); });
  if (!listener_->start(config_.address, config_.port, error))
    return false;
  bound_port_ = listener_->port();
  tick_source_ = g_timeout_add_seconds(
      1,
      [](gpointer data) -> gboolean {
        static_cast<Server *>(data)->tick();
        return G_SOURCE_CONTINUE;
      },
      this);
  return true;
}

std::string Server::url() const {
  const bool v6 = config_.address.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + config_.address + "]" : config_.address) + ":" +
         std::to_string(bound_port_) + "/";
}

namespace {

/* One line for people: "session <id>: pause (utterance 2)". */
std::string human_line(const std::string &json) {
  JsonParser *parser = json_parser_new();
  std::string line;
  if (json_parser_load_from_data(parser, json.c_str(), -1, nullptr) &&
      JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    ::JsonObject *object = json_node_get_object(json_parser_get_root(parser));
    auto text = [object](const char *key) -> std::string {
      JsonNode *node = json_object_get_member(object, key);
      if (node == nullptr || JSON_NODE_TYPE(node) != JSON_NODE_VALUE)
        return "";
      if (json_node_get_value_type(node) == G_TYPE_STRING)
        return json_node_get_string(node);
      if (json_node_get_value_type(node) == G_TYPE_INT64)
        return std::to_string(json_node_get_int(node));
      if (json_node_get_value_type(node) == G_TYPE_DOUBLE) {
        char number[32];
        std::snprintf(number, sizeof number, "%.1f", json_node_get_double(node));
        return number;
      }
      return "";
    };
    const std::string type = text("type");
    const std::string id = text("webrtc_id");
    if (type == "event") {
      line = "session " + id + ": " + text("event");
      if (!text("utterance").empty())
        line += " (utterance " + text("utterance") + ")";
      if (!text("latency_ms").empty())
        line += ", " + text("latency_ms") + " ms after the pause";
      if (!text("text").empty())
        line += ": \"" + text("text") + "\"";
      if (!text("message").empty())
        line += ": " + text("message");
      if (!text("error").empty())
        line += ": " + text("error");
    } else if (type == "session") {
      line = "session " + id + ": " + text("state");
      if (!text("peer").empty())
        line += " from " + text("peer");
      if (!text("reason").empty())
        line += " (" + text("reason") + ")";
    } else if (type == "refused") {
      line = "refused a client (" + text("code") + "): " + text("message");
    }
  }
  g_object_unref(parser);
  /* What clients chose (ids, origins, SDP in reasons) must not drive the
   * terminal: control characters are shown as '?'. */
  std::string shown;
  for (const gchar *p = line.c_str(); *p != '\0'; p = g_utf8_next_char(p)) {
    const gunichar c = g_utf8_get_char(p);
    if (g_unichar_iscntrl(c) || g_unichar_type(c) == G_UNICODE_FORMAT)
      shown += '?';
    else
      shown.append(p, static_cast<std::size_t>(g_utf8_next_char(p) - p));
  }
  return shown;
}

} /* namespace */

void Server::log_line(const std::string &json) {
  if (!config_.events_json) {
    /* Client reports are for tests; everything else for whoever runs it. */
    std::string line = human_line(json);
    if (!line.empty())
      log_->write(std::move(line));
    return;
  }
  log_->write(json);
}

std::string Server::stats_json() const {
  return JsonWriter()
      .integer("sessions", static_cast<std::int64_t>(sessions_.size()))
      .integer("connections", static_cast<std::int64_t>(connections_.size()))
      .integer("calls_alive", Call::pipelines_alive())
      .integer("threads", count_threads())
      .integer("fds", count_fds())
      .integer("max_sessions", config_.max_sessions)
      .integer("sockets", static_cast<std::int64_t>(gate_->open()))
      .integer("max_connections", config_.connections_limit())
      .integer("refused_connections", static_cast<std::int64_t>(gate_->counters().refused_busy +
                                                                gate_->counters().refused_address +
                                                                listener_->refused_exhausted()))
      .integer("evicted_idle", static_cast<std::int64_t>(gate_->counters().evicted_idle))
      .integer("refused_requests", static_cast<std::int64_t>(gate_->counters().refused_requests +
                                                             gate_->counters().head_timeouts))
      .integer("cut_off", static_cast<std::int64_t>(cut_off_))
      .integer("reports_dropped", static_cast<std::int64_t>(reports_dropped_))
      .integer("log_lines_dropped", static_cast<std::int64_t>(log_->dropped()))
      .integer("teardowns_pending", static_cast<std::int64_t>(config_.call.reaper->pending()))
      .integer("teardown_us_max", teardown_us_max_)
      .text();
}

/* ---- HTTP ------------------------------------------------------------------- */

void Server::on_page(SoupServer *, SoupServerMessage *message, const char *path, GHashTable *,
                     gpointer) {
  if (g_strcmp0(path, "/") != 0 && g_strcmp0(path, "/index.html") != 0) {
    soup_server_message_set_status(message, SOUP_STATUS_NOT_FOUND, nullptr);
    return;
  }
  if (soup_server_message_get_method(message) != SOUP_METHOD_GET &&
      soup_server_message_get_method(message) != SOUP_METHOD_HEAD) {
    soup_server_message_set_status(message, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    return;
  }
  GBytes *page = g_resources_lookup_data("/org/voicekit/server/index.html",
                                         G_RESOURCE_LOOKUP_FLAGS_NONE, nullptr);
  if (page == nullptr) {
    soup_server_message_set_status(message, SOUP_STATUS_INTERNAL_SERVER_ERROR, nullptr);
    return;
  }
  soup_server_message_set_status(message, SOUP_STATUS_OK, nullptr);
  soup_message_headers_replace(soup_server_message_get_response_headers(message), "Cache-Control",
                               "no-store");
  soup_server_message_set_response(message, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                   static_cast<const char *>(g_bytes_get_data(page, nullptr)),
                                   g_bytes_get_size(page));
  g_bytes_unref(page);
}

void Server::on_stats(SoupServer *, SoupServerMessage *message, const char *, GHashTable *,
                      gpointer data) {
  const std::string body = static_cast<Server *>(data)->stats_json();
  soup_server_message_set_status(message, SOUP_STATUS_OK, nullptr);
  soup_server_message_set_response(message, "application/json", SOUP_MEMORY_COPY, body.data(),
                                   body.size());
}

/* ---- WebSocket -------------------------------------------------------------- */

void Server::on_websocket(SoupServer *, SoupServerMessage *message, const char *,
                          SoupWebsocketConnection *socket, gpointer data) {
  auto *self = static_cast<Server *>(data);
  auto owned = std::make_unique<Connection>();
  Connection *connection = owned.get();
  connection->socket = SOUP_WEBSOCKET_CONNECTION(g_object_ref(socket));
  connection->serial = self->next_serial_++;
  connection->opened_us = g_get_monotonic_time();
  if (GSocketAddress *remote = soup_server_message_get_remote_address(message)) {
    gchar *text = g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(remote));
    connection->peer = text;
    g_free(text);
    connection->address = address_key(remote);
    connection->guard = self->gate_->guard_of(remote);
  }
  self->connections_[connection] = std::move(owned);
  soup_websocket_connection_set_max_incoming_payload_size(socket, kMaxMessageBytes);
  soup_websocket_connection_set_keepalive_interval(socket, 5);

  struct Link {
    Server *server;
    Connection *connection;
  };
  auto closure_data = [&] { return new Link{self, connection}; };
  auto free_link = [](gpointer link, GClosure *) { delete static_cast<Link *>(link); };
  connection->handlers[0] = g_signal_connect_data(
      socket, "message",
      G_CALLBACK(+[](SoupWebsocketConnection *, gint type, GBytes *bytes, gpointer data) {
        auto *link = static_cast<Link *>(data);
        if (type != SOUP_WEBSOCKET_DATA_TEXT) {
          link->server->soft_error(
              *link->connection, {"bad-message", "messages are JSON text frames, not binary ones"});
          return;
        }
        gsize size = 0;
        const auto *text = static_cast<const char *>(g_bytes_get_data(bytes, &size));
        link->server->on_text(*link->connection, std::string(text != nullptr ? text : "", size));
      }),
      closure_data(), free_link, GConnectFlags(0));
  connection->handlers[1] = g_signal_connect_data(
      socket, "closed", G_CALLBACK(+[](SoupWebsocketConnection *, gpointer data) {
        auto *link = static_cast<Link *>(data);
        /* Later: the socket is still inside its own signal emission. */
        struct Job {
          Server *server;
          Connection *connection;
        };
        g_idle_add_full(
            G_PRIORITY_DEFAULT,
            [](gpointer data) -> gboolean {
              auto *job = static_cast<Job *>(data);
              job->server->on_closed(job->connection);
              return G_SOURCE_REMOVE;
            },
            new Job{link->server, link->connection},
            [](gpointer data) { delete static_cast<Job *>(data); });
      }),
      closure_data(), free_link, GConnectFlags(0));
  connection->handlers[2] = g_signal_connect_data(
      socket, "error", G_CALLBACK(+[](SoupWebsocketConnection *, GError *error, gpointer data) {
        auto *link = static_cast<Link *>(data);
        g_message("connection %s (%s): %s", link->connection->peer.c_str(),
                  link->connection->webrtc_id.c_str(), error->message);
      }),
      closure_data(), free_link, GConnectFlags(0));

  /* A page of another site must not open sessions here: when the browser
   * names an origin (a sandboxed frame names "null"), it has to be this
   * server. Programs that send no Origin (aiortc, scripts) are not browsers.
   * (The Host was checked before the upgrade: gate.cpp.) */
  SoupMessageHeaders *headers = soup_server_message_get_request_headers(message);
  const char *origin = soup_message_headers_get_one(headers, "Origin");
  const char *host = soup_message_headers_get_one(headers, "Host");
  if (origin != nullptr &&
      (host == nullptr || (std::string(origin) != std::string("http://") + host &&
                           std::string(origin) != std::string("https://") + host))) {
    self->refuse(*connection,
                 {"forbidden-origin", "pages from another origin cannot open sessions here"});
  }
}

/* A non-fatal error; a client that keeps making them is cut off (each costs
 * an answer the client may never read). */
void Server::soft_error(Connection &connection, const SignallingError &error) {
  if (++connection.soft_errors > kMaxSoftErrors) {
    refuse(connection,
           {"too-many-errors", "more than " + std::to_string(kMaxSoftErrors) +
                                   " bad messages: closing; the last was: " + error.message});
    return;
  }
  send(connection, error_message(error, false));
}

void Server::send(Connection &connection, const std::string &json) {
  if (soup_websocket_connection_get_state(connection.socket) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  soup_websocket_connection_send_text(connection.socket, json.c_str());
  if (connection.guard == nullptr)
    return;
  connection.guard->note_frame_sent(json.size());
  /* A client that does not read is cut off, not served: libsoup would queue
   * whatever is sent to it. The socket is shut now; libsoup notices on its
   * next turn and the session ends from on_closed() (not from here, which
   * may be inside a Call's callback). */
  if (connection.guard->queued_bytes() > kMaxQueuedBytes)
    connection.guard->cut_off("not-reading");
}

/* A client report is logged when it is small and the client's budget allows;
 * false when it is dropped (counted, said once per connection). */
bool Server::take_report(Connection &connection, std::size_t bytes) {
  const gint64 now = g_get_monotonic_time();
  if (connection.report_refilled_us != 0)
    connection.report_tokens =
        std::min(kReportBurst, connection.report_tokens +
                                   kReportsPerSecond *
                                       static_cast<double>(now - connection.report_refilled_us) /
                                       G_USEC_PER_SEC);
  connection.report_refilled_us = now;
  const char *reason = nullptr;
  if (bytes > kMaxReportBytes)
    reason = "larger than 4096 bytes";
  else if (connection.report_tokens < 1.0)
    reason = "more than 5 a second";
  else
    connection.report_tokens -= 1.0;
  if (reason == nullptr)
    return true;
  ++reports_dropped_;
  if (connection.reports_dropped++ == 0)
    log_line(JsonWriter()
                 .str("type", "reports-dropped")
                 .str("webrtc_id", connection.webrtc_id)
                 .str("reason", std::string("a report ") + reason)
                 .text());
  return false;
}

/* A fatal error: tell the client, end its session, close. */
void Server::refuse(Connection &connection, const SignallingError &error,
                    const std::string &asked_id) {
  send(connection, error_message(error, true));
  JsonWriter line;
  line.str("type", "refused").str("code", error.code).str("message", error.message);
  const std::string &id = connection.accepted ? connection.webrtc_id : asked_id;
  if (id.empty() || error.code == "invalid-id")
    line.null("webrtc_id");
  else
    line.str("webrtc_id", id);
  log_line(line.text());
  end_session(connection, error.code, false);
}

void Server::on_text(Connection &connection, const std::string &text) {
  if (connection.ended)
    return;
  ClientMessage message;
  SignallingError error;
  if (!parse_client_message(text, message, error)) {
    soft_error(connection, error);
    return;
  }
  switch (message.kind) {
  case MessageKind::Hello:
    if (connection.accepted) {
      soft_error(connection, {"protocol", "hello was already sent"});
      return;
    }
    on_hello(connection, message.webrtc_id);
    return;
  case MessageKind::Offer: {
    if (!connection.accepted) {
      soft_error(connection, {"protocol", "send hello before the offer"});
      return;
    }
    if (!connection.call->handle_offer(message.sdp, error)) {
      if (error.code == "protocol")
        soft_error(connection, error);
      else
        refuse(connection, error);
      return;
    }
    connection.offered = true;
    return;
  }
  case MessageKind::Candidate:
    if (!connection.accepted) {
      soft_error(connection, {"protocol", "send hello before candidates"});
      return;
    }
    /* A candidate webrtcbin would mishandle (a host name: an mDNS .local
     * address leaks the session's ICE agent and has crashed libnice) is left
     * out, not an error: browsers trickle them among usable ones. */
    if (!message.candidate.empty() && !check_ice_candidate(message.candidate, error)) {
      g_debug("session %s: candidate left out: %s", connection.webrtc_id.c_str(),
              error.message.c_str());
      return;
    }
    connection.call->add_remote_candidate(message.mline_index, message.candidate);
    return;
  case MessageKind::Report:
    if (!connection.accepted || !take_report(connection, text.size()))
      return;
    log_line(JsonWriter()
                 .str("type", "client-report")
                 .str("webrtc_id", connection.webrtc_id)
                 .merge(message.report)
                 .text());
    return;
  case MessageKind::Bye:
    end_session(connection, "client-bye", false);
    return;
  }
}

void Server::on_hello(Connection &connection, const std::string &id) {
  SignallingError error;
  if (!check_webrtc_id(id, error)) {
    refuse(connection, error, id);
    return;
  }
  if (sessions_.count(id) != 0) {
    refuse(connection,
           {"duplicate-id",
            "a session with the webrtc_id \"" + id + "\" is already live: make a new id"},
           id);
    return;
  }
  if (sessions_.size() >= config_.max_sessions) {
    refuse(connection,
           {"too-many-sessions", "the server has reached its limit of " +
                                     std::to_string(config_.max_sessions) +
                                     " sessions: try again later"},
           id);
    return;
  }
  /* A few addresses must not hold every session (a reverse proxy's address
   * is trusted: all its clients come from it). */
  const unsigned per_address = config_.sessions_per_address_limit();
  if (config_.trusted_addresses.count(connection.address) == 0 &&
      sessions_per_address_[connection.address] >= per_address) {
    refuse(connection,
           {"too-many-sessions-from-address",
            "your address has " + std::to_string(per_address) +
                " sessions already, the most it may have: try again later"},
           id);
    return;
  }
  Connection *target = &connection;
  Call::Callbacks callbacks;
  callbacks.send = [this, target](const std::string &json) { send(*target, json); };
  callbacks.event = [this, target](const std::string &json) {
    send(*target, json);
    log_line(json);
  };
  const guint64 serial = connection.serial;
  callbacks.failed = [this, target, serial](const std::string &reason) {
    /* Not from inside the Call: end the session from the main loop, if the
     * connection is still there (not another one at the same address). */
    struct Job {
      Server *server;
      Connection *connection;
      guint64 serial;
      std::string reason;
    };
    g_idle_add_full(
        G_PRIORITY_DEFAULT,
        [](gpointer data) -> gboolean {
          auto *job = static_cast<Job *>(data);
          auto found = job->server->connections_.find(job->connection);
          if (found != job->server->connections_.end() && found->second->serial == job->serial)
            job->server->end_session(*job->connection, job->reason, true);
          return G_SOURCE_REMOVE;
        },
        new Job{this, target, serial, reason},
        [](gpointer data) { delete static_cast<Job *>(data); });
  };
  std::string build_error;
  connection.call = Call::create(config_.call, id, std::move(callbacks), build_error);
  if (!connection.call) {
    refuse(connection, {"internal", build_error}, id);
    return;
  }
  connection.webrtc_id = id;
  connection.accepted = true;
  connection.accepted_us = g_get_monotonic_time();
  sessions_[id] = &connection;
  ++sessions_per_address_[connection.address];
  if (config_.time_limit_s > 0) {
    struct Job {
      Server *server;
      Connection *connection;
    };
    connection.time_limit_source = g_timeout_add_seconds_full(
        G_PRIORITY_DEFAULT, config_.time_limit_s,
        [](gpointer data) -> gboolean {
          auto *job = static_cast<Job *>(data);
          job->connection->time_limit_source = 0;
          job->server->end_session(*job->connection, "time-limit", true);
          return G_SOURCE_REMOVE;
        },
        new Job{this, &connection}, [](gpointer data) { delete static_cast<Job *>(data); });
  }
  send(connection, JsonWriter()
                       .str("type", "welcome")
                       .str("webrtc_id", id)
                       .str("handler", config_.call.handler)
                       .integer("min_silence_ms", config_.call.min_silence_ms)
                       .integer("time_limit", config_.time_limit_s)
                       .text());
  log_line(JsonWriter()
               .str("type", "session")
               .str("state", "open")
               .str("webrtc_id", id)
               .str("peer", connection.peer)
               .text());
}

/* Ends the session at once (its pipeline stops and is freed now, not when the
 * socket has finished closing), then closes the socket. */
void Server::end_session(Connection &connection, const std::string &reason, bool say_bye) {
  if (connection.ended)
    return;
  connection.ended = true;
  if (connection.time_limit_source != 0) {
    g_source_remove(connection.time_limit_source);
    connection.time_limit_source = 0;
  }
  if (say_bye)
    send(connection, JsonWriter().str("type", "bye").str("reason", reason).text());
  if (connection.accepted) {
    sessions_.erase(connection.webrtc_id);
    if (--sessions_per_address_[connection.address] == 0)
      sessions_per_address_.erase(connection.address);
    const gint64 teardown_start = g_get_monotonic_time();
    connection.call.reset();
    teardown_us_max_ = std::max(teardown_us_max_, g_get_monotonic_time() - teardown_start);
    JsonWriter line;
    line.str("type", "session")
        .str("state", "closed")
        .str("webrtc_id", connection.webrtc_id)
        .str("reason", reason);
    if (connection.reports_dropped > 0)
      line.integer("reports_dropped", static_cast<std::int64_t>(connection.reports_dropped));
    log_line(line.text());
  }
  if (soup_websocket_connection_get_state(connection.socket) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close(connection.socket, SOUP_WEBSOCKET_CLOSE_NORMAL, reason.c_str());
}

void Server::on_closed(Connection *connection) {
  auto found = connections_.find(connection);
  if (found == connections_.end())
    return;
  const std::string violation =
      connection->guard != nullptr ? connection->guard->violation() : std::string();
  if (!violation.empty() && !connection->ended) {
    ++cut_off_;
    static const std::map<std::string, std::string> why = {
        {"control-frame-flood", "more control frames (ping, pong, close) than its budget"},
        {"message-too-large", "a message larger than its limit, in fragments"},
        {"not-reading", "more than 1 MiB waiting for it: it does not read"}};
    JsonWriter line;
    line.str("type", "refused")
        .str("code", violation)
        .str("message", why.count(violation) != 0 ? why.at(violation) : violation);
    if (connection->accepted)
      line.str("webrtc_id", connection->webrtc_id);
    else
      line.null("webrtc_id");
    log_line(line.text());
  }
  end_session(*connection, violation.empty() ? "disconnected" : violation, false);
  for (gulong handler : connection->handlers)
    if (handler != 0)
      g_signal_handler_disconnect(connection->socket, handler);
  g_object_unref(connection->socket);
  connections_.erase(found);
}

void Server::tick() {
  const gint64 now = g_get_monotonic_time();
  std::vector<std::pair<Connection *, const char *>> expired;
  std::vector<Connection *> silent;
  for (auto &entry : connections_) {
    Connection &connection = *entry.second;
    if (!connection.ended && !connection.accepted &&
        now - connection.opened_us > static_cast<gint64>(config_.hello_timeout_s) * G_USEC_PER_SEC)
      silent.push_back(&connection);
    if (connection.ended || !connection.accepted || !connection.call)
      continue;
    const gint64 last = connection.call->last_media_us();
    /* No offer in time: the session did not connect, the reason clients
     * already know for that. */
    if (!connection.offered && now - connection.accepted_us >
                                   static_cast<gint64>(config_.offer_timeout_s) * G_USEC_PER_SEC)
      expired.emplace_back(&connection, "connect-timeout");
    else if (last != 0 &&
             now - last > static_cast<gint64>(config_.media_timeout_s) * G_USEC_PER_SEC)
      expired.emplace_back(&connection, "media-timeout");
    else if (last == 0 && now - connection.accepted_us >
                              static_cast<gint64>(config_.connect_timeout_s) * G_USEC_PER_SEC)
      expired.emplace_back(&connection, "connect-timeout");
  }
  for (auto &item : expired)
    end_session(*item.first, item.second, true);
  for (Connection *connection : silent)
    refuse(*connection,
           {"hello-timeout", "no hello within " + std::to_string(config_.hello_timeout_s) + " s"});
}

void Server::shutdown() {
  for (auto &entry : connections_)
    end_session(*entry.second, "server-shutdown", true);
}

} /* namespace voicekit::server */
