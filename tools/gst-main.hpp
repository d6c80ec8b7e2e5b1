/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The main() of the programs of this tree that run GStreamer once: init, the
 * program, deinit (so that GST_TRACERS=leaks reports).
 */
#ifndef TOOLS_GST_MAIN_HPP
#define TOOLS_GST_MAIN_HPP

#include <gst/gst.h>

namespace voicekit {

/* gst_init() (which takes GStreamer's options out of argv), `run` with what
 * is left, gst_deinit(); returns what `run` returned. */
inline int gst_main(int argc, char **argv, int (*run)(int argc, char **argv)) {
  gst_init(&argc, &argv);
  const int exit_code = run(argc, argv);
  gst_deinit(); /* lets GST_TRACERS=leaks report */
  return exit_code;
}

} /* namespace voicekit */

#endif /* TOOLS_GST_MAIN_HPP */
