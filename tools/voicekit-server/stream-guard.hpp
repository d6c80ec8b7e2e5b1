/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The stream guard: the GIOStream voicekit-server hands libsoup for each
 * connection. It holds a WebSocket client to its budgets (control frames,
 * message size, bytes it leaves unread) by reading the client's frame headers
 * as libsoup reads them, and cuts the connection off past a budget.
 */
#ifndef TOOLS_VOICEKIT_SERVER_STREAM_GUARD_HPP
#define TOOLS_VOICEKIT_SERVER_STREAM_GUARD_HPP

#include <gio/gio.h>

#include <functional>
#include <memory>
#include <string>

namespace voicekit::server {

struct GuardLimits {
  /* Control frames (ping, pong, close) from the client: a burst, then a
   * steady rate. libsoup answers every ping with a pong it queues, and the
   * queueing costs more the longer the queue is. */
  double control_burst = 32;
  double control_per_second = 4;
  /* One message, all its fragments together (libsoup 3.2 bounds one frame,
   * not a message sent in many). */
  guint64 max_message_bytes = 64 * 1024;
  /* Bytes read from the socket before the main loop gets a turn: libsoup
   * reads a WebSocket for as long as the client keeps it readable. */
  gsize read_slice_bytes = 64 * 1024;
};

/* What a guard knows about its connection. Lives on the main thread (where
 * libsoup reads and writes); shared by the stream and whoever watches it. */
class StreamGuard {
public:
  StreamGuard(GSocketConnection *connection, std::string prefix, guint64 frames_from,
              const GuardLimits &limits, std::function<void()> on_closed);
  ~StreamGuard();
  StreamGuard(const StreamGuard &) = delete;
  StreamGuard &operator=(const StreamGuard &) = delete;

  /* Why the client was cut off: "control-frame-flood", "message-too-large",
   * or what cut_off() was given; "" while it was not. */
  const std::string &violation() const { return violation_; }
  /* A text frame with `payload_bytes` handed to libsoup to send. */
  void note_frame_sent(gsize payload_bytes);
  /* Bytes handed to libsoup and not yet written to the socket. A lower bound:
   * of the frames libsoup makes itself, the answers to the client's (pongs,
   * the close echo) are counted, its keepalive pings are not. */
  guint64 queued_bytes();
  /* Ends the connection now: the socket is shut both ways and every later
   * read fails, so libsoup closes it on its next turn. */
  void cut_off(const std::string &reason);

  /* For the guard's own GIO streams (stream-guard.cpp). */
  gssize read(void *buffer, gsize count, bool blocking, GCancellable *cancellable, GError **error);
  gssize write(const void *buffer, gsize count, bool blocking, GCancellable *cancellable,
               GError **error);
  bool readable();
  bool writable();
  GSource *create_read_source(GObject *stream, GCancellable *cancellable);
  GSource *create_write_source(GObject *stream, GCancellable *cancellable);
  bool close(GCancellable *cancellable, GError **error);
  GInputStream *base_input() const;
  GOutputStream *base_output() const;

private:
  bool inspect(const guint8 *data, gsize size);
  bool on_frame(guint8 first_byte, guint64 payload_bytes);
  gssize fail_read(GError **error) const;
  void notify_closed();

  GSocketConnection *connection_;
  GuardLimits limits_;
  std::function<void()> on_closed_;
  std::string prefix_; /* the request head (and anything after it) the gate read */
  gsize prefix_read_ = 0;
  guint64 offset_ = 0;      /* bytes of input passed to libsoup */
  guint64 frames_from_;     /* where WebSocket frames start; G_MAXUINT64: never */
  guint8 header_[14] = {0}; /* the frame header being read */
  gsize header_size_ = 0;
  guint64 payload_left_ = 0; /* of the current frame */
  guint64 message_bytes_ = 0;
  double control_tokens_;
  gint64 control_refilled_us_ = 0;
  gsize slice_ = 0; /* bytes read since the last turn given to the main loop */
  guint64 handed_ = 0;
  guint64 written_ = 0;
  std::string violation_;
  bool closed_ = false;
};

/* A new stream over `connection` for libsoup (full transfer). Reads first
 * return `prefix`, then the socket; frames are read from `frames_from` (the
 * end of an upgrade request; G_MAXUINT64 for plain HTTP). `on_closed` runs
 * once, when the stream is closed or finalized. `guard` receives the guard. */
GIOStream *stream_guard_new(GSocketConnection *connection, std::string prefix, guint64 frames_from,
                            const GuardLimits &limits, std::function<void()> on_closed,
                            std::shared_ptr<StreamGuard> *guard);

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_STREAM_GUARD_HPP */
