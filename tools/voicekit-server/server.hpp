/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * voicekit-server's HTTP and WebSocket side (docs/server.md): serves the
 * page, speaks the signalling protocol, keeps the sessions (one Call each)
 * and their limits. Connections come through its listener and gate
 * (listener.hpp, gate.hpp). Runs on the default GMainContext.
 */
#ifndef TOOLS_VOICEKIT_SERVER_SERVER_HPP
#define TOOLS_VOICEKIT_SERVER_SERVER_HPP

#include "allowed-hosts.hpp"
#include "call.hpp"
#include "gate.hpp"
#include "listener.hpp"
#include "log-writer.hpp"

#include <libsoup/soup.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace voicekit::server {

struct ServerConfig {
  std::string address = "127.0.0.1";
  unsigned port = 8000;
  unsigned max_sessions = 16;
  unsigned time_limit_s = 0;       /* 0: none */
  unsigned media_timeout_s = 4;    /* connected session without audio */
  unsigned connect_timeout_s = 15; /* hello to first audio */
  unsigned hello_timeout_s = 10;   /* socket open without hello */
  unsigned offer_timeout_s = 10;   /* hello to offer */
  /* 0: derived from max_sessions (the *_limit() functions below). */
  unsigned max_connections = 0;
  unsigned max_connections_per_address = 0;
  unsigned max_sessions_per_address = 0;
  /* Clients exempt from the per-address limits (normalised IP addresses). */
  std::set<std::string> trusted_addresses = {"127.0.0.1", "::1"};
  /* Host names a request may give besides the ones served (--allowed-host). */
  std::vector<std::string> allowed_hosts;
  bool events_json = false;
  CallConfig call;

  /* Every connection, HTTP or WebSocket: 4 x max_sessions + 16. */
  unsigned connections_limit() const;
  /* A quarter of the connections, at least 4. */
  unsigned connections_per_address_limit() const;
  /* A quarter of the sessions, at least 1. */
  unsigned sessions_per_address_limit() const;
};

class Server {
public:
  explicit Server(ServerConfig config);
  ~Server();
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;

  /* Binds and listens; false with `error` set when it cannot. */
  bool start(std::string &error);
  /* http://address:port/ once started. */
  std::string url() const;
  /* Says bye (server-shutdown) to every client and ends every session. */
  void shutdown();

  struct Connection;

private:
  static void on_page(SoupServer *, SoupServerMessage *message, const char *path, GHashTable *,
                      gpointer data);
  static void on_stats(SoupServer *, SoupServerMessage *message, const char *path, GHashTable *,
                       gpointer data);
  static void on_websocket(SoupServer *, SoupServerMessage *message, const char *path,
                           SoupWebsocketConnection *socket, gpointer data);
  void on_text(Connection &connection, const std::string &text);
  void on_hello(Connection &connection, const std::string &id);
  void send(Connection &connection, const std::string &json);
  void soft_error(Connection &connection, const SignallingError &error);
  bool take_report(Connection &connection, std::size_t bytes);
  void refuse(Connection &connection, const SignallingError &error,
              const std::string &asked_id = std::string());
  void end_session(Connection &connection, const std::string &reason, bool say_bye);
  void on_closed(Connection *connection);
  void tick();
  void log_line(const std::string &json);
  std::string stats_json() const;

  /* Non-fatal errors a connection may cause before it is closed. */
  static constexpr unsigned kMaxSoftErrors = 20;
  /* Client reports: the largest logged (bytes of the message), then a burst
   * and a steady rate per connection; the others are dropped and counted. */
  static constexpr std::size_t kMaxReportBytes = 4096;
  static constexpr double kReportBurst = 10;
  static constexpr double kReportsPerSecond = 5;
  /* Bytes handed to libsoup for a client and not yet written to its socket:
   * past this, the client is not reading, and is cut off. */
  static constexpr guint64 kMaxQueuedBytes = 1024 * 1024;

  ServerConfig config_;
  guint64 next_serial_ = 1;
  SoupServer *soup_ = nullptr;
  unsigned bound_port_ = 0;
  guint tick_source_ = 0;
  std::map<std::string, Connection *> sessions_; /* accepted webrtc_ids */
  std::map<std::string, unsigned> sessions_per_address_;
  std::map<Connection *, std::unique_ptr<Connection>> connections_;
  guint64 reports_dropped_ = 0;
  guint64 cut_off_ = 0;
  gint64 teardown_us_max_ = 0; /* the longest a session's Call took to destroy */
  std::unique_ptr<LogWriter> log_;
  std::unique_ptr<AllowedHosts> hosts_;
  std::unique_ptr<Gate> gate_;
  std::unique_ptr<Listener> listener_;
};

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_SERVER_HPP */
