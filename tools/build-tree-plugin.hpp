/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Programs of this tree (the demo, the server, tests) prefer the plugin they
 * were built with over an installed one: meson passes its path as
 * VOICEKIT_PLUGIN_FILE. Loading it registers its elements for this process.
 */
#ifndef TOOLS_BUILD_TREE_PLUGIN_HPP
#define TOOLS_BUILD_TREE_PLUGIN_HPP

#include <gst/gst.h>

#include <cstdio>

namespace voicekit {

/* True when the build tree's plugin was loaded or there is none to load (an
 * installed plugin may then serve); false, with the reason on stderr, when the
 * file is there but does not load. Call after gst_init(). */
inline bool load_build_tree_plugin(const char *program) {
#ifdef VOICEKIT_PLUGIN_FILE
  if (!g_file_test(VOICEKIT_PLUGIN_FILE, G_FILE_TEST_EXISTS))
    return true;
  GError *error = nullptr;
  GstPlugin *plugin = gst_plugin_load_file(VOICEKIT_PLUGIN_FILE, &error);
  if (plugin == nullptr) {
    std::fprintf(stderr, "%s: cannot load %s: %s\n", program, VOICEKIT_PLUGIN_FILE,
                 error != nullptr ? error->message : "unknown error");
    g_clear_error(&error);
    return false;
  }
  gst_object_unref(plugin);
#else
  (void)program;
#endif
  return true;
}

} /* namespace voicekit */

#endif /* TOOLS_BUILD_TREE_PLUGIN_HPP */
