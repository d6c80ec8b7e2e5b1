/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Writes element messages as client events (bus-events.hpp).
 */
#include "bus-events.hpp"

#include "signalling.hpp"

#include <cstdint>

namespace voicekit::server {

namespace {

/* Bus message fields that are times, written in milliseconds. */
bool is_time_field(const char *name) {
  static const char *const names[] = {"running-time", "stream-time", "speech-start",
                                      "speech-end",   "latency",     "duration"};
  for (const char *time : names)
    if (g_strcmp0(name, time) == 0)
      return true;
  return false;
}

} /* namespace */

std::string event_json(const GstStructure *structure, const char *source) {
  JsonWriter json;
  json.str("type", "event").str("source", source);
  const gint n = gst_structure_n_fields(structure);
  for (gint i = 0; i < n; ++i) {
    const gchar *name = gst_structure_nth_field_name(structure, i);
    const GValue *value = gst_structure_get_value(structure, name);
    std::string key = name;
    for (char &c : key)
      if (c == '-')
        c = '_';
    if (G_VALUE_HOLDS_STRING(value) && g_value_get_string(value) == nullptr) {
      json.null(key.c_str());
    } else if (key == "event" && G_VALUE_HOLDS_STRING(value)) {
      json.str("event", g_value_get_string(value));
    } else if (G_VALUE_HOLDS_STRING(value)) {
      json.str(key.c_str(), g_value_get_string(value) != nullptr ? g_value_get_string(value) : "");
    } else if (G_VALUE_HOLDS_UINT64(value)) {
      const guint64 v = g_value_get_uint64(value);
      if (is_time_field(name)) {
        if (v == GST_CLOCK_TIME_NONE)
          json.null((key + "_ms").c_str());
        else
          json.number((key + "_ms").c_str(), static_cast<double>(v) / 1e6);
      } else {
        json.integer(key.c_str(), static_cast<std::int64_t>(v));
      }
    } else if (G_VALUE_HOLDS_BOOLEAN(value)) {
      json.boolean(key.c_str(), g_value_get_boolean(value));
    } else if (G_VALUE_HOLDS_INT(value)) {
      json.integer(key.c_str(), g_value_get_int(value));
    } else if (G_VALUE_HOLDS_UINT(value)) {
      json.integer(key.c_str(), g_value_get_uint(value));
    } else if (G_VALUE_HOLDS_DOUBLE(value)) {
      json.number(key.c_str(), g_value_get_double(value));
    }
    /* Other types (the session context itself) stay on the bus. */
  }
  return json.text();
}

} /* namespace voicekit::server */
