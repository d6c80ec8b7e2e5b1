/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The Host header check of voicekit-server (allowed-hosts.hpp).
 */
#include "allowed-hosts.hpp"

#include <gio/gio.h>

#include <ifaddrs.h>
#include <netinet/in.h>

namespace voicekit::server {

namespace {

/* An IP literal in GLib's canonical spelling, or "" when `text` is none. */
std::string normalised_address(const std::string &text) {
  GInetAddress *address = g_inet_address_new_from_string(text.c_str());
  if (address == nullptr)
    return "";
  gchar *canonical = g_inet_address_to_string(address);
  std::string result = canonical;
  g_free(canonical);
  g_object_unref(address);
  return result;
}

/* Interfaces' addresses are read again at most this often (wildcard only). */
constexpr gint64 kInterfacesRefreshUs = 10 * G_USEC_PER_SEC;

} /* namespace */

std::string AllowedHosts::host_of(const std::string &host_header) {
  std::string host = host_header;
  while (!host.empty() && (host.back() == ' ' || host.back() == '\t'))
    host.pop_back();
  while (!host.empty() && (host.front() == ' ' || host.front() == '\t'))
    host.erase(0, 1);
  if (!host.empty() && host.front() == '[') {
    const std::size_t end = host.find(']');
    host = end == std::string::npos ? "" : host.substr(1, end - 1);
  } else if (host.find(':') == host.rfind(':') && host.find(':') != std::string::npos) {
    host.erase(host.find(':')); /* name:port; more colons: a bare IPv6 address */
  }
  if (!host.empty() && host.back() == '.')
    host.pop_back();
  gchar *lower = g_ascii_strdown(host.c_str(), -1);
  host = lower;
  g_free(lower);
  return host;
}

AllowedHosts::AllowedHosts(const std::string &listen_address,
                           const std::vector<std::string> &names) {
  for (const std::string &name : names) {
    const std::string host = host_of(name);
    const std::string address = normalised_address(host);
    names_.insert(address.empty() ? host : address);
  }
  GInetAddress *listen = g_inet_address_new_from_string(listen_address.c_str());
  if (listen == nullptr)
    return;
  ipv6_ = g_inet_address_get_family(listen) == G_SOCKET_FAMILY_IPV6;
  wildcard_ = g_inet_address_get_is_any(listen);
  if (wildcard_ || g_inet_address_get_is_loopback(listen))
    names_.insert("localhost");
  if (wildcard_) {
    gchar *lower = g_ascii_strdown(g_get_host_name(), -1);
    names_.insert(lower);
    g_free(lower);
    refresh_interfaces();
  } else {
    names_.insert(normalised_address(listen_address));
  }
  g_object_unref(listen);
}

void AllowedHosts::refresh_interfaces() {
  interfaces_read_us_ = g_get_monotonic_time();
  interface_.clear();
  ifaddrs *list = nullptr;
  if (getifaddrs(&list) != 0)
    return;
  for (ifaddrs *entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr)
      continue;
    const int family = entry->ifa_addr->sa_family;
    if (family != AF_INET && !(family == AF_INET6 && ipv6_))
      continue;
    GSocketAddress *address = g_socket_address_new_from_native(
        entry->ifa_addr, family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    if (address == nullptr)
      continue;
    gchar *text =
        g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address)));
    interface_.insert(text);
    g_free(text);
    g_object_unref(address);
  }
  freeifaddrs(list);
}

bool AllowedHosts::allows(const std::string &host_header) {
  const std::string host = host_of(host_header);
  if (host.empty())
    return false;
  const std::string address = normalised_address(host);
  const std::string &key = address.empty() ? host : address;
  if (names_.count(key) != 0)
    return true;
  if (!wildcard_ || address.empty())
    return false;
  if (interface_.count(address) != 0)
    return true;
  if (g_get_monotonic_time() - interfaces_read_us_ < kInterfacesRefreshUs)
    return false;
  refresh_interfaces(); /* an interface may have come up since */
  return interface_.count(address) != 0;
}

std::string AllowedHosts::describe() const {
  std::string text;
  for (const std::string &name : names_)
    text += (text.empty() ? "" : ", ") + name;
  for (const std::string &address : interface_)
    text += (text.empty() ? "" : ", ") + address;
  return text;
}

} /* namespace voicekit::server */
