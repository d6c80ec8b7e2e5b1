/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The names a request's Host header may give for voicekit-server (against
 * DNS rebinding): the addresses it serves, loopback names when it serves
 * loopback, and the names of --allowed-host.
 */
#ifndef TOOLS_VOICEKIT_SERVER_ALLOWED_HOSTS_HPP
#define TOOLS_VOICEKIT_SERVER_ALLOWED_HOSTS_HPP

#include <glib.h>

#include <set>
#include <string>
#include <vector>

namespace voicekit::server {

class AllowedHosts {
public:
  /* `listen_address`: the address the server binds (an IP literal);
   * `names`: the allow-list, host names or addresses. */
  AllowedHosts(const std::string &listen_address, const std::vector<std::string> &names);

  /* True when a Host header value ("name", "name:port", "[v6]:port") names
   * this server. */
  bool allows(const std::string &host_header);
  /* The names and addresses allowed now, for the log. */
  std::string describe() const;

  /* The host of a Host header value, lowercase, without port, brackets or a
   * final dot. */
  static std::string host_of(const std::string &host_header);

private:
  void refresh_interfaces();

  bool wildcard_ = false; /* 0.0.0.0 or ::: every interface's address */
  bool ipv6_ = false;
  std::set<std::string> names_;     /* lowercase names and normalised addresses */
  std::set<std::string> interface_; /* wildcard: the interfaces' addresses */
  gint64 interfaces_read_us_ = 0;
};

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_ALLOWED_HOSTS_HPP */
