/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * voicekit-server's HTTP and WebSocket side (docs/server.md): serves the
 * page, speaks the signalling protocol, keeps the sessions (one Call each)
 * and their limits. Runs on the default GMainContext.
 */
#ifndef TOOLS_VOICEKIT_SERVER_SERVER_HPP
#define TOOLS_VOICEKIT_SERVER_SERVER_HPP

#include "call.hpp"

#include <libsoup/soup.h>

#include <map>
#include <memory>
#include <string>

namespace voicekit::server {

struct ServerConfig {
  std::string address = "127.0.0.1";
  unsigned port = 8000;
  unsigned max_sessions = 16;
  unsigned time_limit_s = 0;       /* 0: none */
  unsigned media_timeout_s = 4;    /* connected session without audio */
  unsigned connect_timeout_s = 15; /* hello to first audio */
  unsigned hello_timeout_s = 10;   /* socket open without hello */
  bool events_json = false;
  CallConfig call;
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
  std::size_t max_connections() const;
  void refuse(Connection &connection, const SignallingError &error,
              const std::string &asked_id = std::string());
  void end_session(Connection &connection, const std::string &reason, bool say_bye);
  void on_closed(Connection *connection);
  void tick();
  void log_line(const std::string &json);
  std::string stats_json() const;

  /* Non-fatal errors a connection may cause before it is closed. */
  static constexpr unsigned kMaxSoftErrors = 20;

  ServerConfig config_;
  guint64 next_serial_ = 1;
  SoupServer *soup_ = nullptr;
  unsigned bound_port_ = 0;
  guint tick_source_ = 0;
  std::map<std::string, Connection *> sessions_; /* accepted webrtc_ids */
  std::map<Connection *, std::unique_ptr<Connection>> connections_;
};

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_SERVER_HPP */
