/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * pausedetect's guint64 nanosecond properties whose 0 means something of its
 * own ("none", "the engine's default"): a GParamSpecUInt64 that takes 0 or a
 * value in [minimum, maximum], so GLib refuses what lies between.
 */
#ifndef PLUGINS_VOICEKIT_PAUSEDETECT_DURATION_HPP
#define PLUGINS_VOICEKIT_PAUSEDETECT_DURATION_HPP

#include <gst/gst.h>

namespace voicekit::element {

/* A guint64 property spec (it is a GParamSpecUInt64: gst-inspect, GObject
 * introspection and gst_util_set_object_arg() treat it as one) that accepts
 * 0 and [nonzero_minimum, maximum]. A value between 0 and nonzero_minimum,
 * such as milliseconds given for nanoseconds, gets GLib's "invalid or out of
 * range" warning from g_object_set() and the property keeps its value. Its
 * spec shows the range 0 - maximum; the blurb says where values start. */
GParamSpec *param_spec_duration(const gchar *name, const gchar *nick, const gchar *blurb,
                                guint64 nonzero_minimum, guint64 maximum, guint64 default_value,
                                GParamFlags flags);

} /* namespace voicekit::element */

#endif /* PLUGINS_VOICEKIT_PAUSEDETECT_DURATION_HPP */
