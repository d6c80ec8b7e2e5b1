/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * voicekit-server's accept layer: its own listening socket on the main loop,
 * and an accept that never stops the server. When descriptors run out it
 * frees one (an idle connection, or a reserve descriptor kept for this),
 * answers the waiting client at once and backs off briefly.
 */
#ifndef TOOLS_VOICEKIT_SERVER_LISTENER_HPP
#define TOOLS_VOICEKIT_SERVER_LISTENER_HPP

#include <gio/gio.h>

#include <functional>
#include <string>

namespace voicekit::server {

class Listener {
public:
  /* A new connection (non-blocking); the callee takes its own reference. */
  using Accepted = std::function<void(GSocket *socket)>;
  /* Descriptors ran out: close an idle connection; false when there is none. */
  using FreeDescriptor = std::function<bool()>;

  Listener(Accepted accepted, FreeDescriptor free_descriptor);
  ~Listener();
  Listener(const Listener &) = delete;
  Listener &operator=(const Listener &) = delete;

  /* Binds and listens; false with `error` set when it cannot. */
  bool start(const std::string &address, unsigned port, std::string &error);
  unsigned port() const { return port_; }
  /* Connections refused because no descriptor was left. */
  guint64 refused_exhausted() const { return refused_exhausted_; }

  /* Connections accepted in one turn of the main loop. */
  static constexpr int kAcceptsPerTurn = 64;
  /* The pause after descriptors ran out, or the kernel lacked memory. */
  static constexpr guint kBackoffMs = 100;

private:
  static gboolean on_ready(GSocket *, GIOCondition, gpointer data);
  void watch();
  void accept_some();
  void refuse_with_reserve();
  void back_off();

  Accepted accepted_;
  FreeDescriptor free_descriptor_;
  GSocket *socket_ = nullptr;
  GSource *source_ = nullptr;
  guint resume_ = 0;
  int reserve_fd_ = -1;
  unsigned port_ = 0;
  guint64 refused_exhausted_ = 0;
  gint64 last_logged_us_ = 0;
};

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_LISTENER_HPP */
