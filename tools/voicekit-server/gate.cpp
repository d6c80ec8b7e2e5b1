/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The gate of voicekit-server (gate.hpp): admission, the request head, the
 * answers to what is refused before libsoup, and the handover to libsoup.
 */
#include "gate.hpp"

#include "signalling.hpp"

#include <cstring>
#include <vector>

namespace voicekit::server {

std::string address_key(GSocketAddress *address) {
  if (address == nullptr || !G_IS_INET_SOCKET_ADDRESS(address))
    return "";
  GInetAddress *ip = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address));
  /* A client of an IPv6 wildcard socket may come as ::ffff:a.b.c.d: the key
   * is its IPv4 address. */
  if (g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6) {
    const guint8 *bytes = g_inet_address_to_bytes(ip);
    static const guint8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(bytes, mapped, sizeof mapped) == 0) {
      GInetAddress *v4 = g_inet_address_new_from_bytes(bytes + 12, G_SOCKET_FAMILY_IPV4);
      gchar *text = g_inet_address_to_string(v4);
      std::string key = text;
      g_free(text);
      g_object_unref(v4);
      return key;
    }
  }
  gchar *text = g_inet_address_to_string(ip);
  std::string key = text;
  g_free(text);
  return key;
}

/* One live connection. In the head phase the gate owns its socket and
 * watches it; once handed over, libsoup owns it through the guard. */
struct Gate::Entry {
  std::string ip;
  GSocketAddress *remote = nullptr;
  GSocket *socket = nullptr; /* head phase */
  GSource *source = nullptr; /* head phase: readable */
  gint64 since_us = 0;
  std::string head;
  std::size_t scanned = 0;     /* of `head`, looking for its end */
  std::size_t line_length = 0; /* of the line being scanned, CRs left out */
  bool seen_line = false;      /* a non-blank line came before */
  std::weak_ptr<StreamGuard> guard;

  Entry() = default;
  Entry(const Entry &) = delete;
  Entry &operator=(const Entry &) = delete;
  ~Entry() {
    if (source != nullptr) {
      g_source_destroy(source);
      g_source_unref(source);
    }
    if (socket != nullptr) {
      g_socket_close(socket, nullptr);
      g_object_unref(socket);
    }
    if (remote != nullptr)
      g_object_unref(remote);
  }
  bool handed() const { return socket == nullptr; }
};

/* Every live connection, by the order they came in (the oldest first). */
struct Gate::Table {
  std::map<guint64, std::unique_ptr<Entry>> entries;
  std::map<std::string, std::size_t> per_address;
  std::map<GSocketAddress *, guint64> by_remote;

  void erase(guint64 id) {
    auto found = entries.find(id);
    if (found == entries.end())
      return;
    Entry &entry = *found->second;
    if (--per_address[entry.ip] == 0)
      per_address.erase(entry.ip);
    by_remote.erase(entry.remote);
    entries.erase(found);
  }
};

namespace {

/* The answer to a connection refused before its request was read. */
void answer_now(GSocket *socket, const char *status_line, const std::string &why) {
  const std::string response = std::string("HTTP/1.1 ") + status_line +
                               "\r\nConnection: close\r\nRetry-After: 1\r\n"
                               "Content-Type: text/plain; charset=utf-8\r\n"
                               "Content-Length: " +
                               std::to_string(why.size() + 1) + "\r\n\r\n" + why + "\n";
  g_socket_send_with_blocking(socket, response.data(), response.size(), FALSE, nullptr, nullptr);
  g_socket_close(socket, nullptr);
}

/* The routes of docs/server.md: libsoup's handlers match a path and what is
 * under it. */
bool under(const char *path, const char *route) {
  const std::size_t length = std::strlen(route);
  return std::strncmp(path, route, length) == 0 &&
         (path[length] == '\0' || path[length] == '/' || path[length] == '?');
}

/* libsoup 3.2 does not know every phrase the gate answers with. */
const char *phrase(guint status) {
  switch (status) {
  case SOUP_STATUS_MISDIRECTED_REQUEST:
    return "Misdirected Request";
  case 431:
    return "Request Header Fields Too Large";
  case SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE:
    return "Content Too Large";
  default:
    return soup_status_get_phrase(status);
  }
}

} /* namespace */

Gate::Gate(SoupServer *soup, GateConfig config, AllowedHosts &hosts)
    : soup_(soup), config_(std::move(config)), hosts_(hosts), table_(std::make_shared<Table>()) {
  tick_source_ = g_timeout_add_seconds(
      1,
      [](gpointer data) -> gboolean {
        static_cast<Gate *>(data)->tick();
        return G_SOURCE_CONTINUE;
      },
      this);
}

Gate::~Gate() {
  g_source_remove(tick_source_);
}

std::size_t Gate::open() const {
  return table_->entries.size();
}

std::shared_ptr<StreamGuard> Gate::guard_of(GSocketAddress *remote) const {
  auto found = table_->by_remote.find(remote);
  if (found == table_->by_remote.end())
    return nullptr;
  return table_->entries.at(found->second)->guard.lock();
}

/* ---- admission --------------------------------------------------------------- */

void Gate::admit(GSocket *socket) {
  GSocketAddress *remote = g_socket_get_remote_address(socket, nullptr);
  if (remote == nullptr) {
    g_socket_close(socket, nullptr); /* gone already */
    return;
  }
  const std::string ip = address_key(remote);
  const bool limited = config_.unlimited_addresses.count(ip) == 0;
  auto per_address = table_->per_address.find(ip);
  if (limited && per_address != table_->per_address.end() &&
      per_address->second >= config_.max_connections_per_address) {
    ++counters_.refused_address;
    answer_now(socket, "503 Service Unavailable",
               "too many connections from your address: try again later");
    g_object_unref(remote);
    return;
  }
  if (table_->entries.size() >= config_.max_connections && !evict_idle()) {
    ++counters_.refused_busy;
    answer_now(socket, "503 Service Unavailable",
               "the server has too many open connections: try again later");
    g_object_unref(remote);
    return;
  }
  const guint64 id = next_id_++;
  auto entry = std::make_unique<Entry>();
  entry->ip = ip;
  entry->remote = remote;
  entry->socket = G_SOCKET(g_object_ref(socket));
  entry->since_us = g_get_monotonic_time();
  struct Watch {
    Gate *gate;
    guint64 id;
  };
  entry->source = g_socket_create_source(socket, G_IO_IN, nullptr);
  g_source_set_callback(entry->source, G_SOURCE_FUNC(on_readable), new Watch{this, id},
                        [](gpointer data) { delete static_cast<Watch *>(data); });
  g_source_attach(entry->source, nullptr);
  ++table_->per_address[ip];
  table_->by_remote[remote] = id;
  table_->entries[id] = std::move(entry);
}

bool Gate::evict_idle() {
  for (auto &item : table_->entries) {
    if (!item.second->handed()) {
      ++counters_.evicted_idle;
      remove(item.first);
      return true;
    }
  }
  return false;
}

void Gate::remove(guint64 id) {
  table_->erase(id);
}

void Gate::tick() {
  const gint64 now = g_get_monotonic_time();
  std::vector<guint64> late;
  for (auto &item : table_->entries)
    if (!item.second->handed() &&
        now - item.second->since_us > static_cast<gint64>(kHeadTimeoutS) * G_USEC_PER_SEC)
      late.push_back(item.first);
  for (guint64 id : late) {
    ++counters_.head_timeouts;
    answer(id, SOUP_STATUS_REQUEST_TIMEOUT, "",
           "no complete request within " + std::to_string(kHeadTimeoutS) + " s\n");
  }
}

/* ---- the request head ---------------------------------------------------------- */

gboolean Gate::on_readable(GSocket *, GIOCondition, gpointer data) {
  struct Watch {
    Gate *gate;
    guint64 id;
  };
  auto *watch = static_cast<Watch *>(data);
  watch->gate->read_head(watch->id);
  return G_SOURCE_CONTINUE;
}

void Gate::read_head(guint64 id) {
  Entry &entry = *table_->entries.at(id);
  char buffer[8192];
  for (;;) {
    GError *error = nullptr;
    const gssize got =
        g_socket_receive_with_blocking(entry.socket, buffer, sizeof buffer, FALSE, nullptr, &error);
    if (got < 0) {
      const bool later = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      g_error_free(error);
      if (!later)
        remove(id);
      return;
    }
    if (got == 0) {
      remove(id); /* closed before a whole request */
      return;
    }
    entry.head.append(buffer, static_cast<std::size_t>(got));
    /* libsoup's rule: a line ends at LF (a CR before it is ignored), blank
     * lines before the request line are skipped, a blank line ends it. */
    for (; entry.scanned < entry.head.size(); ++entry.scanned) {
      const char c = entry.head[entry.scanned];
      if (c == '\n') {
        if (entry.line_length == 0 && entry.seen_line) {
          on_head(id, entry.scanned + 1);
          return;
        }
        entry.seen_line = entry.seen_line || entry.line_length > 0;
        entry.line_length = 0;
      } else if (c != '\r') {
        ++entry.line_length;
      }
    }
    if (entry.head.size() > kMaxHeadBytes) {
      ++counters_.refused_requests;
      answer(id, 431, "", "the request head is larger than 64 KiB\n");
      return;
    }
  }
}

/* A whole head: refused here, or handed to libsoup. */
void Gate::on_head(guint64 id, std::size_t head_end) {
  Entry &entry = *table_->entries.at(id);
  /* The head without its blank line, as libsoup's parser wants it. */
  std::size_t length = head_end - 1;
  if (length > 0 && entry.head[length - 1] == '\r')
    --length;
  SoupMessageHeaders *headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
  char *method = nullptr;
  char *path = nullptr;
  SoupHTTPVersion version;
  const guint parsed = soup_headers_parse_request(entry.head.data(), static_cast<int>(length),
                                                  headers, &method, &path, &version);
  const char *host = soup_message_headers_get_one(headers, "Host");
  const bool has_host = host != nullptr;
  const std::string host_name = has_host ? host : "";
  const SoupEncoding encoding = soup_message_headers_get_encoding(headers);
  const bool websocket_route = path != nullptr && under(path, "/ws");
  const bool websocket = websocket_route && g_strcmp0(method, "GET") == 0 &&
                         soup_message_headers_header_contains(headers, "Upgrade", "websocket");
  const char *allowed = websocket_route ? "GET" : "GET, HEAD";
  const bool method_allowed =
      g_strcmp0(method, "GET") == 0 || (!websocket_route && g_strcmp0(method, "HEAD") == 0);
  const bool has_body = encoding == SOUP_ENCODING_CHUNKED ||
                        encoding == SOUP_ENCODING_UNRECOGNIZED ||
                        (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
                         soup_message_headers_get_content_length(headers) > 0);
  const bool is_path = path != nullptr && path[0] == '/';
  g_free(method);
  g_free(path);
  soup_message_headers_unref(headers);

  if (parsed == SOUP_STATUS_OK && (!has_host || hosts_.allows(host_name)) && is_path &&
      method_allowed && !has_body) {
    hand_over(id, head_end, websocket);
    return;
  }
  ++counters_.refused_requests;
  if (parsed != SOUP_STATUS_OK)
    answer(id, parsed, "", "the request does not parse\n");
  else if (has_host && !hosts_.allows(host_name))
    /* DNS rebinding: a page of another site whose name resolves to this
     * server must not reach it. Said in the signalling protocol's terms too. */
    answer(id, SOUP_STATUS_MISDIRECTED_REQUEST, "",
           error_message({"forbidden-host", "this server does not serve the host \"" +
                                                AllowedHosts::host_of(host_name) +
                                                "\" (see --allowed-host)"},
                         true) +
               "\n",
           "application/json");
  else if (!is_path)
    answer(id, SOUP_STATUS_BAD_REQUEST, "", "only paths are served, not other URIs\n");
  else if (!method_allowed)
    answer(id, SOUP_STATUS_METHOD_NOT_ALLOWED, std::string("Allow: ") + allowed + "\r\n",
           std::string("this resource answers ") + allowed + " only\n");
  else
    answer(id, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "", "requests to this server have no body\n");
}

void Gate::answer(guint64 id, guint status, const std::string &extra_headers,
                  const std::string &body, const char *content_type) {
  Entry &entry = *table_->entries.at(id);
  const std::string response =
      "HTTP/1.1 " + std::to_string(status) + " " + phrase(status) +
      "\r\nConnection: close\r\nServer: voicekit-server\r\n" + "Content-Type: " + content_type +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
  /* A fresh socket's send buffer takes this whole; a client that sent more
   * than its head (a body) gets the answer before the reset the close makes. */
  g_socket_send_with_blocking(entry.socket, response.data(), response.size(), FALSE, nullptr,
                              nullptr);
  g_socket_shutdown(entry.socket, FALSE, TRUE, nullptr);
  remove(id);
}

/* libsoup gets the connection with the head already read: the guard replays
 * it, then passes the socket through. */
void Gate::hand_over(guint64 id, std::size_t head_end, bool websocket) {
  Entry &entry = *table_->entries.at(id);
  GSocketAddress *local = g_socket_get_local_address(entry.socket, nullptr);
  if (local == nullptr) {
    remove(id);
    return;
  }
  g_source_destroy(entry.source);
  g_source_unref(entry.source);
  entry.source = nullptr;
  GSocketConnection *connection = g_socket_connection_factory_create_connection(entry.socket);
  g_object_unref(entry.socket);
  entry.socket = nullptr;
  std::weak_ptr<Table> table = table_;
  std::shared_ptr<StreamGuard> guard;
  GIOStream *stream = stream_guard_new(
      connection, std::move(entry.head), websocket ? head_end : G_MAXUINT64, config_.guard,
      [table, id] {
        if (auto live = table.lock())
          live->erase(id);
      },
      &guard);
  g_object_unref(connection);
  entry.guard = guard;
  GSocketAddress *remote = G_SOCKET_ADDRESS(g_object_ref(entry.remote));
  /* libsoup may answer and close the stream before this returns (the entry
   * is gone then): nothing of the entry is used after it. */
  soup_server_accept_iostream(soup_, stream, local, remote, nullptr);
  g_object_unref(remote);
  g_object_unref(local);
  g_object_unref(stream);
}

} /* namespace voicekit::server */
