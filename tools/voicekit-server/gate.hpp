/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The gate: every connection voicekit-server accepts, from the accept until
 * it closes. It admits a connection (a cap on all of them, another per client
 * address), reads its request head (with a deadline), answers itself what the
 * server does not serve (a method, a body, a foreign Host), and hands the rest
 * to libsoup inside a stream guard (stream-guard.hpp).
 */
#ifndef TOOLS_VOICEKIT_SERVER_GATE_HPP
#define TOOLS_VOICEKIT_SERVER_GATE_HPP

#include "allowed-hosts.hpp"
#include "stream-guard.hpp"

#include <libsoup/soup.h>

#include <map>
#include <memory>
#include <set>
#include <string>

namespace voicekit::server {

/* The IP address of a socket address ("127.0.0.1", "::1"), the key of the
 * per-address limits; "" for anything else. */
std::string address_key(GSocketAddress *address);

struct GateConfig {
  std::size_t max_connections = 80;
  std::size_t max_connections_per_address = 20;
  /* Addresses exempt from the per-address limit (a reverse proxy's). */
  std::set<std::string> unlimited_addresses;
  GuardLimits guard;
};

class Gate {
public:
  Gate(SoupServer *soup, GateConfig config, AllowedHosts &hosts);
  ~Gate();
  Gate(const Gate &) = delete;
  Gate &operator=(const Gate &) = delete;

  /* A connection the listener accepted; the gate takes a reference. */
  void admit(GSocket *socket);
  /* Closes the connection that has waited longest for its request head;
   * false when none is waiting. */
  bool evict_idle();
  /* The guard of the live connection with this remote address (the object
   * libsoup gives back for the connection's messages), or nullptr. */
  std::shared_ptr<StreamGuard> guard_of(GSocketAddress *remote) const;

  struct Counters {
    guint64 refused_busy = 0;     /* all connections in use (503) */
    guint64 refused_address = 0;  /* its address has too many (503) */
    guint64 evicted_idle = 0;     /* closed, idle, to make room */
    guint64 head_timeouts = 0;    /* no complete request head in time (408) */
    guint64 refused_requests = 0; /* 400, 405, 413, 421, 431 */
  };
  const Counters &counters() const { return counters_; }
  /* Connections open now, HTTP and WebSocket. */
  std::size_t open() const;

  /* Time a connection has to send its whole request head. */
  static constexpr unsigned kHeadTimeoutS = 10;
  /* The longest request head read (libsoup's own limit). */
  static constexpr std::size_t kMaxHeadBytes = 64 * 1024;

private:
  struct Table;
  struct Entry;
  static gboolean on_readable(GSocket *, GIOCondition, gpointer data);
  void read_head(guint64 id);
  void on_head(guint64 id, std::size_t head_end);
  /* Answers the request itself and closes the connection. */
  void answer(guint64 id, guint status, const std::string &extra_headers, const std::string &body,
              const char *content_type = "text/plain; charset=utf-8");
  void hand_over(guint64 id, std::size_t head_end, bool websocket);
  void remove(guint64 id);
  void tick();

  SoupServer *soup_;
  GateConfig config_;
  AllowedHosts &hosts_;
  std::shared_ptr<Table> table_; /* also held, weakly, by the guards' close callbacks */
  guint64 next_id_ = 1;
  guint tick_source_ = 0;
  Counters counters_;
};

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_GATE_HPP */
