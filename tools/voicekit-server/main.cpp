/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * voicekit-server: a WebRTC voice server built from the voicekit elements.
 * Serves one page; every client gets its own pipeline (call.hpp). See
 * docs/server.md for the options and the signalling protocol.
 */
#include "server.hpp"

#include "../build-tree-plugin.hpp"

#include <glib-unix.h>
#include <gst/gst.h>

#include <cstdio>
#include <string>
#include <sys/resource.h>

namespace {

/* Every element a session needs, with the Debian package that has it. */
bool check_elements(std::string &missing) {
  static const char *const needed[][2] = {{"webrtcbin", "gstreamer1.0-plugins-bad"},
                                          {"nicesrc", "gstreamer1.0-nice"},
                                          {"dtlssrtpenc", "gstreamer1.0-plugins-bad"},
                                          {"srtpenc", "gstreamer1.0-plugins-bad"},
                                          {"rtpopusdepay", "gstreamer1.0-plugins-good"},
                                          {"opusdec", "gstreamer1.0-plugins-base"},
                                          {"opusenc", "gstreamer1.0-plugins-base"},
                                          {"sessiontag", "gst-voicekit"},
                                          {"pausedetect", "gst-voicekit"},
                                          {"replyonpause", "gst-voicekit"}};
  for (const auto &element : needed) {
    GstElementFactory *factory = gst_element_factory_find(element[0]);
    if (factory == nullptr) {
      missing += std::string(missing.empty() ? "" : ", ") + element[0] + " (" + element[1] + ")";
      continue;
    }
    gst_object_unref(factory);
  }
  return missing.empty();
}

/* Every connection holds a descriptor, every session dozens: the soft limit
 * (often 1024) goes up to the hard one. */
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
    return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
    std::perror("voicekit-server: cannot raise the descriptor limit");
}

/* Repeated address options: IP literals, normalised; "none" clears them. */
bool take_addresses(gchar **values, std::set<std::string> &target, std::string &problem) {
  if (values == nullptr)
    return true;
  target.clear();
  for (gchar **value = values; *value != nullptr; ++value) {
    if (g_strcmp0(*value, "none") == 0)
      continue;
    GInetAddress *address = g_inet_address_new_from_string(*value);
    if (address == nullptr) {
      problem = std::string("--trusted-address: \"") + *value + "\" is not an IP address";
      return false;
    }
    gchar *text = g_inet_address_to_string(address);
    target.insert(text);
    g_free(text);
    g_object_unref(address);
  }
  return true;
}

} /* namespace */

int main(int argc, char **argv) {
  voicekit::server::ServerConfig config;
  gchar *address = nullptr;
  gchar *ice_address = nullptr;
  gchar *handler = nullptr;
  gchar *command = nullptr;
  gchar *engine = nullptr;
  gint port = static_cast<gint>(config.port);
  gint max_sessions = static_cast<gint>(config.max_sessions);
  gint time_limit = 0;
  gint min_silence = static_cast<gint>(config.call.min_silence_ms);
  gint speech_pad = static_cast<gint>(config.call.speech_pad_ms);
  gint jitter = static_cast<gint>(config.call.jitter_latency_ms);
  gint media_timeout = static_cast<gint>(config.media_timeout_s);
  gint hello_timeout = static_cast<gint>(config.hello_timeout_s);
  gint offer_timeout = static_cast<gint>(config.offer_timeout_s);
  gint max_connections = 0;
  gint max_connections_per_address = 0;
  gint max_sessions_per_address = 0;
  gchar **trusted = nullptr;
  gchar **allowed_hosts = nullptr;
  gboolean events_json = FALSE;
  const GOptionEntry entries[] = {
      {"address", 0, 0, G_OPTION_ARG_STRING, &address, "Address to serve on (default 127.0.0.1)",
       "ADDR"},
      {"port", 0, 0, G_OPTION_ARG_INT, &port, "Port (default 8000; 0 picks a free one)", "PORT"},
      {"ice-address", 0, 0, G_OPTION_ARG_STRING, &ice_address,
       "The only local address ICE uses (default 127.0.0.1)", "ADDR"},
      {"handler", 0, 0, G_OPTION_ARG_STRING, &handler,
       "Who answers: echo (default), command, spoken (pocketsphinx + espeak-ng)", "KIND"},
      {"command", 0, 0, G_OPTION_ARG_STRING, &command,
       "Program run per utterance with --handler=command (WAV in, WAV out)", "CMD"},
      {"max-sessions", 0, 0, G_OPTION_ARG_INT, &max_sessions,
       "Sessions at once (default 16); more are refused", "N"},
      {"time-limit", 0, 0, G_OPTION_ARG_INT, &time_limit,
       "Seconds a session may last (default 0: no limit)", "S"},
      {"engine", 0, 0, G_OPTION_ARG_STRING, &engine,
       "pausedetect engine: auto (default), builtin, silero", "ENGINE"},
      {"min-silence-ms", 0, 0, G_OPTION_ARG_INT, &min_silence,
       "Silence that ends a turn, in ms (default 500)", "MS"},
      {"speech-pad-ms", 0, 0, G_OPTION_ARG_INT, &speech_pad,
       "Audio kept before each detected onset, in ms (default 300); an echo starts with it", "MS"},
      {"jitter-latency-ms", 0, 0, G_OPTION_ARG_INT, &jitter,
       "webrtcbin's jitter buffer, in ms (default 40)", "MS"},
      {"media-timeout", 0, 0, G_OPTION_ARG_INT, &media_timeout,
       "Seconds without audio before a session is closed (default 4)", "S"},
      {"hello-timeout", 0, 0, G_OPTION_ARG_INT, &hello_timeout,
       "Seconds a connection may stay open without hello (default 10)", "S"},
      {"offer-timeout", 0, 0, G_OPTION_ARG_INT, &offer_timeout,
       "Seconds a session may wait between hello and its offer (default 10)", "S"},
      {"max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections,
       "Connections at once, HTTP and WebSocket (default 4 x max-sessions + 16)", "N"},
      {"max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &max_connections_per_address,
       "Connections at once from one client address (default a quarter of max-connections, "
       "at least 4)",
       "N"},
      {"max-sessions-per-address", 0, 0, G_OPTION_ARG_INT, &max_sessions_per_address,
       "Sessions at once from one client address (default a quarter of max-sessions, at least 1)",
       "N"},
      {"trusted-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &trusted,
       "A client address the per-address limits do not apply to, as a reverse proxy's "
       "(repeatable; default 127.0.0.1 and ::1; none: no address)",
       "ADDR"},
      {"allowed-host", 0, 0, G_OPTION_ARG_STRING_ARRAY, &allowed_hosts,
       "A name the Host header may give besides the addresses served (repeatable)", "NAME"},
      {"events-json", 0, 0, G_OPTION_ARG_NONE, &events_json,
       "Print every event and session change as a JSON line", nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *options = g_option_context_new("- WebRTC voice server (gst-voicekit)");
  g_option_context_add_main_entries(options, entries, nullptr);
  g_option_context_add_group(options, gst_init_get_option_group());
  GError *error = nullptr;
  if (!g_option_context_parse(options, &argc, &argv, &error)) {
    std::fprintf(stderr, "voicekit-server: %s\n", error->message);
    g_error_free(error);
    g_option_context_free(options);
    return 2;
  }
  g_option_context_free(options);

  auto take = [](gchar *value, std::string &target) {
    if (value != nullptr)
      target = value;
    g_free(value);
  };
  take(address, config.address);
  take(ice_address, config.call.ice_address);
  take(handler, config.call.handler);
  take(command, config.call.command);
  take(engine, config.call.engine);
  std::string problem;
  take_addresses(trusted, config.trusted_addresses, problem);
  g_strfreev(trusted);
  for (gchar **host = allowed_hosts; host != nullptr && *host != nullptr; ++host)
    config.allowed_hosts.emplace_back(*host);
  g_strfreev(allowed_hosts);
  if (!problem.empty()) {
    std::fprintf(stderr, "voicekit-server: %s\n", problem.c_str());
    return 2;
  }
  if (port < 0 || port > 65535)
    problem = "--port must be 0-65535";
  else if (max_sessions < 1 || max_sessions > 10000)
    problem = "--max-sessions must be 1-10000";
  else if (time_limit < 0)
    problem = "--time-limit must be 0 or more";
  /* pausedetect's ranges: a value outside them would be refused there with a
   * warning and the default kept, so refuse it here, by name. */
  else if (min_silence < 10 || min_silence > 60000)
    problem = "--min-silence-ms must be 10-60000";
  else if (speech_pad != 0 && (speech_pad < 10 || speech_pad > 5000))
    problem = "--speech-pad-ms must be 0 or 10-5000";
  else if (jitter < 0 || jitter > 10000)
    problem = "--jitter-latency-ms must be 0-10000";
  else if (media_timeout < 1)
    problem = "--media-timeout must be 1 or more";
  else if (hello_timeout < 1)
    problem = "--hello-timeout must be 1 or more";
  else if (offer_timeout < 1)
    problem = "--offer-timeout must be 1 or more";
  else if (max_connections < 0 || max_connections_per_address < 0 || max_sessions_per_address < 0)
    problem = "--max-connections, --max-connections-per-address and --max-sessions-per-address "
              "must be 1 or more";
  else if (config.call.handler != "echo" && config.call.handler != "command" &&
           config.call.handler != "spoken")
    problem = "--handler must be echo, command or spoken";
  else if (config.call.handler == "command" && config.call.command.empty())
    problem = "--handler=command needs --command";
  else if (config.call.engine != "auto" && config.call.engine != "builtin" &&
           config.call.engine != "silero")
    problem = "--engine must be auto, builtin or silero";
  if (!problem.empty()) {
    std::fprintf(stderr, "voicekit-server: %s\n", problem.c_str());
    return 2;
  }
  config.port = static_cast<unsigned>(port);
  config.max_sessions = static_cast<unsigned>(max_sessions);
  config.time_limit_s = static_cast<unsigned>(time_limit);
  config.call.min_silence_ms = static_cast<unsigned>(min_silence);
  config.call.jitter_latency_ms = static_cast<unsigned>(jitter);
  config.call.speech_pad_ms = static_cast<unsigned>(speech_pad);
  config.media_timeout_s = static_cast<unsigned>(media_timeout);
  config.hello_timeout_s = static_cast<unsigned>(hello_timeout);
  config.offer_timeout_s = static_cast<unsigned>(offer_timeout);
  config.max_connections = static_cast<unsigned>(max_connections);
  config.max_connections_per_address = static_cast<unsigned>(max_connections_per_address);
  config.max_sessions_per_address = static_cast<unsigned>(max_sessions_per_address);
  config.events_json = events_json;
  raise_descriptor_limit();

  if (!voicekit::load_build_tree_plugin("voicekit-server"))
    return 1;
  std::string missing;
  if (!check_elements(missing)) {
    std::fprintf(stderr, "voicekit-server: missing GStreamer elements: %s\n", missing.c_str());
    return 1;
  }

  if (config.call.handler == "spoken") {
    /* Loads pocketsphinx's model now: a broken install fails here, not at the
     * first utterance, and the first answer does not pay the loading time. */
    config.call.transcriber = std::make_shared<voicekit::server::Transcriber>();
    std::string preload_error;
    if (!config.call.transcriber->preload(preload_error)) {
      std::fprintf(stderr, "voicekit-server: --handler=spoken cannot run: %s\n",
                   preload_error.c_str());
      return 1;
    }
  }

  GMainLoop *loop = g_main_loop_new(nullptr, FALSE);
  int status = 0;
  {
    voicekit::server::Server server(config);
    std::string start_error;
    if (!server.start(start_error)) {
      std::fprintf(stderr, "voicekit-server: %s\n", start_error.c_str());
      status = 1;
    } else {
      auto quit = [](gpointer data) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop *>(data));
        return G_SOURCE_REMOVE;
      };
      /* Before the line that says the server is ready: GLib makes the
       * descriptors signal handling needs now (a process short of
       * descriptors later cannot). */
      g_unix_signal_add(SIGINT, quit, loop);
      g_unix_signal_add(SIGTERM, quit, loop);
      std::printf("voicekit-server: listening on %s\n", server.url().c_str());
      std::fflush(stdout);
      g_main_loop_run(loop);
      server.shutdown();
    }
  }
  g_main_loop_unref(loop);
  /* The pocketsphinx decoders are GStreamer pipelines: freed before deinit. */
  config.call.transcriber.reset();
  gst_deinit();
  return status;
}
