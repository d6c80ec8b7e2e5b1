/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The stream guard (stream-guard.hpp): the budgets read from the client's
 * frame headers, and the three GIO types that give libsoup a pollable
 * GIOStream over them.
 */
#include "stream-guard.hpp"

#include <algorithm>
#include <cstring>

namespace voicekit::server {

StreamGuard::StreamGuard(GSocketConnection *connection, std::string prefix, guint64 frames_from,
                         const GuardLimits &limits, std::function<void()> on_closed)
    : connection_(G_SOCKET_CONNECTION(g_object_ref(connection))), limits_(limits),
      on_closed_(std::move(on_closed)), prefix_(std::move(prefix)), frames_from_(frames_from),
      control_tokens_(limits.control_burst) {}

StreamGuard::~StreamGuard() {
  g_object_unref(connection_);
}

GInputStream *StreamGuard::base_input() const {
  return g_io_stream_get_input_stream(G_IO_STREAM(connection_));
}

GOutputStream *StreamGuard::base_output() const {
  return g_io_stream_get_output_stream(G_IO_STREAM(connection_));
}

/* ---- budgets ---------------------------------------------------------------- */

void StreamGuard::note_frame_sent(gsize payload_bytes) {
  /* A server frame: two bytes, then a 16- or 64-bit length when needed. */
  const gsize header = payload_bytes < 126 ? 2 : payload_bytes < 65536 ? 4 : 10;
  handed_ += header + payload_bytes;
}

guint64 StreamGuard::queued_bytes() {
  /* Bytes libsoup wrote that were not counted (the 101 answer, keepalive
   * pings) would make the difference negative: start again from there. */
  handed_ = std::max(handed_, written_);
  return handed_ - written_;
}

void StreamGuard::cut_off(const std::string &reason) {
  if (!violation_.empty() || closed_)
    return;
  violation_ = reason;
  g_socket_shutdown(g_socket_connection_get_socket(connection_), TRUE, TRUE, nullptr);
}

/* Reads the client's frame headers out of the bytes passing to libsoup
 * (payloads are skipped, never copied). False once a budget is broken. */
bool StreamGuard::inspect(const guint8 *data, gsize size) {
  const guint64 start = offset_;
  offset_ += size;
  if (offset_ <= frames_from_)
    return true;
  gsize at = start >= frames_from_ ? 0 : static_cast<gsize>(frames_from_ - start);
  while (at < size) {
    if (payload_left_ > 0) {
      const guint64 skip = std::min<guint64>(payload_left_, size - at);
      payload_left_ -= skip;
      at += static_cast<gsize>(skip);
      continue;
    }
    header_[header_size_++] = data[at++];
    if (header_size_ < 2)
      continue;
    const guint8 length7 = header_[1] & 0x7f;
    const gsize extended = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
    const gsize needed = 2 + extended + ((header_[1] & 0x80) != 0 ? 4 : 0);
    if (header_size_ < needed)
      continue;
    guint64 length = length7;
    if (extended > 0) {
      length = 0;
      for (gsize i = 0; i < extended; ++i)
        length = (length << 8) | header_[2 + i];
    }
    header_size_ = 0;
    payload_left_ = length;
    if (!on_frame(header_[0], length))
      return false;
  }
  return true;
}

bool StreamGuard::on_frame(guint8 first_byte, guint64 payload_bytes) {
  const guint8 opcode = first_byte & 0x0f;
  const bool fin = (first_byte & 0x80) != 0;
  if ((opcode & 0x08) != 0) {
    const gint64 now = g_get_monotonic_time();
    if (control_refilled_us_ != 0)
      control_tokens_ = std::min(
          limits_.control_burst,
          control_tokens_ + limits_.control_per_second *
                                static_cast<double>(now - control_refilled_us_) / G_USEC_PER_SEC);
    control_refilled_us_ = now;
    if (control_tokens_ < 1.0) {
      cut_off("control-frame-flood");
      return false;
    }
    control_tokens_ -= 1.0;
    /* libsoup answers a ping with a pong of the same payload, a close with
     * a close: bytes it will queue for this client. */
    if (opcode == 0x9 || opcode == 0x8)
      handed_ += 2 + std::min<guint64>(payload_bytes, 125);
    return true;
  }
  if (opcode != 0x0)
    message_bytes_ = 0; /* a new message; 0x0 continues the last one */
  message_bytes_ += payload_bytes;
  if (message_bytes_ > limits_.max_message_bytes) {
    cut_off("message-too-large");
    return false;
  }
  if (fin)
    message_bytes_ = 0;
  return true;
}

/* ---- I/O -------------------------------------------------------------------- */

gssize StreamGuard::fail_read(GError **error) const {
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "connection cut off: %s",
              violation_.c_str());
  return -1;
}

gssize StreamGuard::read(void *buffer, gsize count, bool blocking, GCancellable *cancellable,
                         GError **error) {
  if (!violation_.empty())
    return fail_read(error);
  gssize got;
  if (prefix_read_ < prefix_.size()) {
    got = static_cast<gssize>(std::min(count, prefix_.size() - prefix_read_));
    std::memcpy(buffer, prefix_.data() + prefix_read_, static_cast<gsize>(got));
    prefix_read_ += static_cast<gsize>(got);
    if (prefix_read_ == prefix_.size())
      std::string().swap(prefix_);
  } else {
    if (!blocking && offset_ >= frames_from_ && slice_ >= limits_.read_slice_bytes) {
      /* libsoup's loop ends on "would block": other sources run, then the
       * socket (still readable) brings it back. */
      slice_ = 0;
      g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "the main loop's turn");
      return -1;
    }
    got = blocking ? g_input_stream_read(base_input(), buffer, count, cancellable, error)
                   : g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(base_input()),
                                                              buffer, count, cancellable, error);
    if (got <= 0)
      return got;
    slice_ += static_cast<gsize>(got);
  }
  if (!inspect(static_cast<const guint8 *>(buffer), static_cast<gsize>(got)))
    return fail_read(error);
  return got;
}

gssize StreamGuard::write(const void *buffer, gsize count, bool blocking, GCancellable *cancellable,
                          GError **error) {
  const gssize wrote =
      blocking ? g_output_stream_write(base_output(), buffer, count, cancellable, error)
               : g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(base_output()),
                                                            buffer, count, cancellable, error);
  if (wrote > 0)
    written_ += static_cast<guint64>(wrote);
  return wrote;
}

bool StreamGuard::readable() {
  return prefix_read_ < prefix_.size() || !violation_.empty() ||
         g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(base_input()));
}

bool StreamGuard::writable() {
  return g_pollable_output_stream_is_writable(G_POLLABLE_OUTPUT_STREAM(base_output()));
}

GSource *StreamGuard::create_read_source(GObject *stream, GCancellable *cancellable) {
  /* Bytes of the prefix, or an error to report, are ready now. */
  GSource *base =
      prefix_read_ < prefix_.size() || !violation_.empty()
          ? g_timeout_source_new(0)
          : g_pollable_input_stream_create_source(G_POLLABLE_INPUT_STREAM(base_input()), nullptr);
  GSource *source = g_pollable_source_new_full(stream, base, cancellable);
  g_source_unref(base);
  return source;
}

GSource *StreamGuard::create_write_source(GObject *stream, GCancellable *cancellable) {
  GSource *base =
      g_pollable_output_stream_create_source(G_POLLABLE_OUTPUT_STREAM(base_output()), nullptr);
  GSource *source = g_pollable_source_new_full(stream, base, cancellable);
  g_source_unref(base);
  return source;
}

bool StreamGuard::close(GCancellable *cancellable, GError **error) {
  if (closed_)
    return true;
  closed_ = true;
  const gboolean ok = g_io_stream_close(G_IO_STREAM(connection_), cancellable, error);
  notify_closed();
  return ok;
}

void StreamGuard::notify_closed() {
  if (!on_closed_)
    return;
  std::function<void()> callback = std::move(on_closed_);
  on_closed_ = nullptr;
  callback();
}

} /* namespace voicekit::server */

/* ---- the GIO types ----------------------------------------------------------- */

using voicekit::server::StreamGuard;

namespace {

/* Each stream object holds the guard: libsoup may keep one of the three
 * longer than the others. */
struct GuardRef {
  std::shared_ptr<StreamGuard> guard;
};

} /* namespace */

struct VkGuardInput {
  GFilterInputStream parent;
  GuardRef *ref;
};
struct VkGuardInputClass {
  GFilterInputStreamClass parent_class;
};
struct VkGuardOutput {
  GFilterOutputStream parent;
  GuardRef *ref;
};
struct VkGuardOutputClass {
  GFilterOutputStreamClass parent_class;
};
struct VkGuardStream {
  GIOStream parent;
  GuardRef *ref;
  GInputStream *input;
  GOutputStream *output;
};
struct VkGuardStreamClass {
  GIOStreamClass parent_class;
};

static void vk_guard_input_pollable_init(GPollableInputStreamInterface *iface);
static void vk_guard_output_pollable_init(GPollableOutputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(VkGuardInput, vk_guard_input, G_TYPE_FILTER_INPUT_STREAM,
                        G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
                                              vk_guard_input_pollable_init))
G_DEFINE_TYPE_WITH_CODE(VkGuardOutput, vk_guard_output, G_TYPE_FILTER_OUTPUT_STREAM,
                        G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM,
                                              vk_guard_output_pollable_init))
G_DEFINE_TYPE(VkGuardStream, vk_guard_stream, G_TYPE_IO_STREAM)

static StreamGuard &input_guard(gpointer stream) {
  return *reinterpret_cast<VkGuardInput *>(stream)->ref->guard;
}
static StreamGuard &output_guard(gpointer stream) {
  return *reinterpret_cast<VkGuardOutput *>(stream)->ref->guard;
}

/* input */

static gssize vk_guard_input_read(GInputStream *stream, void *buffer, gsize count,
                                  GCancellable *cancellable, GError **error) {
  return input_guard(stream).read(buffer, count, true, cancellable, error);
}

static gssize vk_guard_input_read_nonblocking(GPollableInputStream *stream, void *buffer,
                                              gsize count, GError **error) {
  return input_guard(stream).read(buffer, count, false, nullptr, error);
}

static gboolean vk_guard_input_can_poll(GPollableInputStream *) {
  return TRUE;
}

static gboolean vk_guard_input_is_readable(GPollableInputStream *stream) {
  return input_guard(stream).readable();
}

static GSource *vk_guard_input_create_source(GPollableInputStream *stream,
                                             GCancellable *cancellable) {
  return input_guard(stream).create_read_source(G_OBJECT(stream), cancellable);
}

static void vk_guard_input_finalize(GObject *object) {
  delete reinterpret_cast<VkGuardInput *>(object)->ref;
  G_OBJECT_CLASS(vk_guard_input_parent_class)->finalize(object);
}

static void vk_guard_input_init(VkGuardInput *self) {
  self->ref = new GuardRef;
}

static void vk_guard_input_class_init(VkGuardInputClass *klass) {
  G_OBJECT_CLASS(klass)->finalize = vk_guard_input_finalize;
  G_INPUT_STREAM_CLASS(klass)->read_fn = vk_guard_input_read;
}

static void vk_guard_input_pollable_init(GPollableInputStreamInterface *iface) {
  iface->can_poll = vk_guard_input_can_poll;
  iface->is_readable = vk_guard_input_is_readable;
  iface->create_source = vk_guard_input_create_source;
  iface->read_nonblocking = vk_guard_input_read_nonblocking;
}

/* output */

static gssize vk_guard_output_write(GOutputStream *stream, const void *buffer, gsize count,
                                    GCancellable *cancellable, GError **error) {
  return output_guard(stream).write(buffer, count, true, cancellable, error);
}

static gssize vk_guard_output_write_nonblocking(GPollableOutputStream *stream, const void *buffer,
                                                gsize count, GError **error) {
  return output_guard(stream).write(buffer, count, false, nullptr, error);
}

static gboolean vk_guard_output_can_poll(GPollableOutputStream *) {
  return TRUE;
}

static gboolean vk_guard_output_is_writable(GPollableOutputStream *stream) {
  return output_guard(stream).writable();
}

static GSource *vk_guard_output_create_source(GPollableOutputStream *stream,
                                              GCancellable *cancellable) {
  return output_guard(stream).create_write_source(G_OBJECT(stream), cancellable);
}

static void vk_guard_output_finalize(GObject *object) {
  delete reinterpret_cast<VkGuardOutput *>(object)->ref;
  G_OBJECT_CLASS(vk_guard_output_parent_class)->finalize(object);
}

static void vk_guard_output_init(VkGuardOutput *self) {
  self->ref = new GuardRef;
}

static void vk_guard_output_class_init(VkGuardOutputClass *klass) {
  G_OBJECT_CLASS(klass)->finalize = vk_guard_output_finalize;
  G_OUTPUT_STREAM_CLASS(klass)->write_fn = vk_guard_output_write;
}

static void vk_guard_output_pollable_init(GPollableOutputStreamInterface *iface) {
  iface->can_poll = vk_guard_output_can_poll;
  iface->is_writable = vk_guard_output_is_writable;
  iface->create_source = vk_guard_output_create_source;
  iface->write_nonblocking = vk_guard_output_write_nonblocking;
}

/* the GIOStream */

static GInputStream *vk_guard_stream_get_input(GIOStream *stream) {
  return reinterpret_cast<VkGuardStream *>(stream)->input;
}

static GOutputStream *vk_guard_stream_get_output(GIOStream *stream) {
  return reinterpret_cast<VkGuardStream *>(stream)->output;
}

static gboolean vk_guard_stream_close(GIOStream *stream, GCancellable *cancellable,
                                      GError **error) {
  auto *self = reinterpret_cast<VkGuardStream *>(stream);
  /* The filter streams leave their base streams alone: closing the socket
   * connection closes both. */
  g_input_stream_close(self->input, nullptr, nullptr);
  g_output_stream_close(self->output, nullptr, nullptr);
  return self->ref->guard->close(cancellable, error);
}

/* Closing a socket does not block: done at once on the caller's thread, as
 * GSocketConnection does, not in a worker thread (GIOStream's default). */
static void vk_guard_stream_close_async(GIOStream *stream, int, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer data) {
  GTask *task = g_task_new(stream, cancellable, callback, data);
  GError *error = nullptr;
  if (vk_guard_stream_close(stream, cancellable, &error))
    g_task_return_boolean(task, TRUE);
  else
    g_task_return_error(task, error);
  g_object_unref(task);
}

static gboolean vk_guard_stream_close_finish(GIOStream *, GAsyncResult *result, GError **error) {
  return g_task_propagate_boolean(G_TASK(result), error);
}

static void vk_guard_stream_finalize(GObject *object) {
  auto *self = reinterpret_cast<VkGuardStream *>(object);
  /* Never closed by libsoup: the socket goes now, not with the last holder
   * of the guard. */
  self->ref->guard->close(nullptr, nullptr);
  g_object_unref(self->input);
  g_object_unref(self->output);
  delete self->ref;
  G_OBJECT_CLASS(vk_guard_stream_parent_class)->finalize(object);
}

static void vk_guard_stream_init(VkGuardStream *self) {
  self->ref = new GuardRef;
}

static void vk_guard_stream_class_init(VkGuardStreamClass *klass) {
  G_OBJECT_CLASS(klass)->finalize = vk_guard_stream_finalize;
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS(klass);
  stream_class->get_input_stream = vk_guard_stream_get_input;
  stream_class->get_output_stream = vk_guard_stream_get_output;
  stream_class->close_fn = vk_guard_stream_close;
  stream_class->close_async = vk_guard_stream_close_async;
  stream_class->close_finish = vk_guard_stream_close_finish;
}

namespace voicekit::server {

GIOStream *stream_guard_new(GSocketConnection *connection, std::string prefix, guint64 frames_from,
                            const GuardLimits &limits, std::function<void()> on_closed,
                            std::shared_ptr<StreamGuard> *guard) {
  auto shared = std::make_shared<StreamGuard>(connection, std::move(prefix), frames_from, limits,
                                              std::move(on_closed));
  auto *input = static_cast<VkGuardInput *>(g_object_new(vk_guard_input_get_type(), "base-stream",
                                                         shared->base_input(), "close-base-stream",
                                                         FALSE, nullptr));
  input->ref->guard = shared;
  auto *output = static_cast<VkGuardOutput *>(g_object_new(vk_guard_output_get_type(),
                                                           "base-stream", shared->base_output(),
                                                           "close-base-stream", FALSE, nullptr));
  output->ref->guard = shared;
  auto *stream = static_cast<VkGuardStream *>(g_object_new(vk_guard_stream_get_type(), nullptr));
  stream->ref->guard = shared;
  stream->input = G_INPUT_STREAM(input);
  stream->output = G_OUTPUT_STREAM(output);
  if (guard != nullptr)
    *guard = std::move(shared);
  return G_IO_STREAM(stream);
}

} /* namespace voicekit::server */
