/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * GLib criticals as findings, for the targets that use GLib.
 */
#ifndef TESTS_FUZZ_FUZZ_GLIB_HPP
#define TESTS_FUZZ_FUZZ_GLIB_HPP

#include <glib.h>

#include <cstdio>

namespace voicekit::fuzz {

/* Set around calls whose criticals are GStreamer's own. */
inline bool &tolerating_criticals() {
  static thread_local bool tolerating = false;
  return tolerating;
}

/* GStreamer 1.22 raises criticals of its own on input its parser accepts or
 * half-accepts: gst_structure_from_string() on some names it cannot use
 * (gst_structure_new_empty(): assertion 'gst_structure_validate_name (name)'
 * failed, then NULL), gst_structure_is_equal() on a list mixing types
 * ({1,abc}: g_value_get_int() on a string) or on a GstVoiceKitSessionContext field (no
 * compare function). Around the harness's own parsing and comparing, and our
 * calls that only hand fields to gst_structure_is_equal(), they are not
 * findings. */
class TolerateCriticals {
public:
  TolerateCriticals() : was_(tolerating_criticals()) { tolerating_criticals() = true; }
  ~TolerateCriticals() { tolerating_criticals() = was_; }
  TolerateCriticals(const TolerateCriticals &) = delete;
  TolerateCriticals &operator=(const TolerateCriticals &) = delete;

private:
  bool was_;
};

/* A critical (a failed g_return_if_fail(), in our code or in a library we
 * call wrongly) or an error traps, so libFuzzer keeps the input. Not
 * g_log_set_always_fatal(): GLib then raises SIGTRAP, which libFuzzer does not
 * catch, and the input would be lost. Warnings (GStreamer's about odd but
 * accepted input) are printed and the run goes on. */
inline void trap_on_critical() {
  g_log_set_default_handler(
      [](const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer) {
        if ((level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) != 0) {
          if (tolerating_criticals())
            return; /* GStreamer's (see above): not worth a line per input */
          std::fprintf(stderr, "%s-CRITICAL: %s\n", domain != nullptr ? domain : "", message);
          __builtin_trap();
        }
        g_log_default_handler(domain, level, message, nullptr);
      },
      nullptr);
}

} /* namespace voicekit::fuzz */

#endif /* TESTS_FUZZ_FUZZ_GLIB_HPP */
