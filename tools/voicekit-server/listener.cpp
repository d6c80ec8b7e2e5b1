/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * voicekit-server's accept layer (listener.hpp). libsoup's own listener
 * drops its accept watch for good when accept() fails (EMFILE): this one
 * keeps accepting whatever happens.
 */
#include "listener.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace voicekit::server {

namespace {

/* What a client refused for lack of descriptors reads before the close. */
constexpr char kUnavailable[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                "Connection: close\r\n"
                                "Retry-After: 1\r\n"
                                "Content-Length: 0\r\n\r\n";

/* Descriptors ran out: logged at most this often. */
constexpr gint64 kLogEveryUs = G_USEC_PER_SEC;

int open_reserve() {
  return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

} /* namespace */

Listener::Listener(Accepted accepted, FreeDescriptor free_descriptor)
    : accepted_(std::move(accepted)), free_descriptor_(std::move(free_descriptor)) {}

Listener::~Listener() {
  if (source_ != nullptr) {
    g_source_destroy(source_);
    g_source_unref(source_);
  }
  if (resume_ != 0)
    g_source_remove(resume_);
  if (socket_ != nullptr) {
    g_socket_close(socket_, nullptr);
    g_object_unref(socket_);
  }
  if (reserve_fd_ >= 0)
    close(reserve_fd_);
}

bool Listener::start(const std::string &address, unsigned port, std::string &error) {
  GSocketAddress *bind_address = g_inet_socket_address_new_from_string(address.c_str(), port);
  if (bind_address == nullptr) {
    error = "\"" + address + "\" is not an IP address";
    return false;
  }
  GError *socket_error = nullptr;
  socket_ = g_socket_new(g_socket_address_get_family(bind_address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, &socket_error);
  if (socket_ != nullptr) {
    g_socket_set_blocking(socket_, FALSE);
    g_socket_set_listen_backlog(socket_, SOMAXCONN);
    if (g_socket_bind(socket_, bind_address, TRUE, &socket_error) &&
        g_socket_listen(socket_, &socket_error)) {
      GSocketAddress *local = g_socket_get_local_address(socket_, nullptr);
      if (local != nullptr) {
        port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
        g_object_unref(local);
      }
    }
  }
  g_object_unref(bind_address);
  if (socket_error != nullptr) {
    error =
        "cannot listen on " + address + ":" + std::to_string(port) + ": " + socket_error->message;
    g_error_free(socket_error);
    return false;
  }
  reserve_fd_ = open_reserve();
  watch();
  return true;
}

void Listener::watch() {
  source_ = g_socket_create_source(socket_, G_IO_IN, nullptr);
  g_source_set_callback(source_, G_SOURCE_FUNC(on_ready), this, nullptr);
  g_source_attach(source_, nullptr);
}

gboolean Listener::on_ready(GSocket *, GIOCondition, gpointer data) {
  static_cast<Listener *>(data)->accept_some();
  return G_SOURCE_CONTINUE;
}

void Listener::accept_some() {
  const int listen_fd = g_socket_get_fd(socket_);
  for (int turn = 0; turn < kAcceptsPerTurn && resume_ == 0; ++turn) {
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      switch (errno) {
      case EAGAIN:
#if EAGAIN != EWOULDBLOCK
      case EWOULDBLOCK:
#endif
        return;
      case EINTR:
      case ECONNABORTED:
      case EPROTO:
      case EPERM:
        continue; /* that client is gone, or refused by a firewall: the next */
      case EMFILE:
      case ENFILE:
        if (free_descriptor_ && free_descriptor_())
          continue;
        refuse_with_reserve();
        return;
      default: /* ENOBUFS, ENOMEM: the kernel is short of memory */
        g_message("accept: %s: pausing %u ms", std::strerror(errno), kBackoffMs);
        back_off();
        return;
      }
    }
    if (reserve_fd_ < 0)
      reserve_fd_ = open_reserve(); /* taken back after exhaustion */
    GSocket *socket = g_socket_new_from_fd(fd, nullptr);
    if (socket == nullptr) {
      close(fd);
      continue;
    }
    g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, TRUE, nullptr);
    accepted_(socket);
    g_object_unref(socket);
  }
}

/* No descriptor left and no idle connection to close: the reserve one makes
 * room to accept the waiting clients and close them at once, so they are
 * answered (503) instead of waiting in the backlog. */
void Listener::refuse_with_reserve() {
  const int exhausted_errno = errno;
  guint refused = 0;
  if (reserve_fd_ >= 0) {
    close(reserve_fd_);
    reserve_fd_ = -1;
    for (int turn = 0; turn < kAcceptsPerTurn; ++turn) {
      const int fd =
          accept4(g_socket_get_fd(socket_), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0)
        break;
      if (send(fd, kUnavailable, sizeof kUnavailable - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        /* gone already: nothing to tell it */
      }
      close(fd);
      ++refused;
    }
    reserve_fd_ = open_reserve();
  }
  refused_exhausted_ += refused;
  const gint64 now = g_get_monotonic_time();
  if (now - last_logged_us_ >= kLogEveryUs) {
    last_logged_us_ = now;
    g_message("descriptors exhausted (%s): refusing new connections (%" G_GUINT64_FORMAT
              " so far), pausing %u ms",
              std::strerror(exhausted_errno), refused_exhausted_, kBackoffMs);
  }
  back_off();
}

/* Stops watching the socket for kBackoffMs: the clients wait in the backlog
 * instead of the main loop spinning on a socket it cannot accept from. */
void Listener::back_off() {
  if (resume_ != 0)
    return;
  g_source_destroy(source_);
  g_source_unref(source_);
  source_ = nullptr;
  resume_ = g_timeout_add(
      kBackoffMs,
      [](gpointer data) -> gboolean {
        auto *self = static_cast<Listener *>(data);
        self->resume_ = 0;
        self->watch();
        return G_SOURCE_REMOVE;
      },
      this);
}

} /* namespace voicekit::server */
