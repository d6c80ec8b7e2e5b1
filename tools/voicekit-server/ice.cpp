/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Restricts a session's ICE gathering to one address (ice.hpp).
 */
#include "ice.hpp"

#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>

namespace voicekit::server {

bool restrict_ice_to_address(GstElement *webrtc, const std::string &address, std::string &error) {
  GstWebRTCICE *ice = nullptr;
  g_object_get(webrtc, "ice-agent", &ice, nullptr);
  if (ice == nullptr)
    return true;
  g_object_set(ice, "ice-tcp", FALSE, nullptr);
  NiceAgent *agent = nullptr;
  g_object_get(ice, "agent", &agent, nullptr);
  /* No UPnP: libnice would start a thread per session and multicast on every
   * interface, whatever the one address ICE is restricted to. */
  if (agent != nullptr)
    g_object_set(agent, "upnp", FALSE, nullptr);
  NiceAddress nice_address;
  nice_address_init(&nice_address);
  const bool ok = agent != nullptr &&
                  nice_address_set_from_string(&nice_address, address.c_str()) &&
                  nice_agent_add_local_address(agent, &nice_address);
  if (agent != nullptr)
    g_object_unref(agent);
  gst_object_unref(ice);
  if (!ok)
    error = "cannot restrict ICE to the address \"" + address + "\"";
  return ok;
}

} /* namespace voicekit::server */
