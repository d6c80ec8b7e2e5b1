/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The "0 or [minimum, maximum]" guint64 property spec of pausedetect's
 * durations: see pausedetect-duration.hpp.
 */
#include "pausedetect-duration.hpp"

namespace voicekit::element {

namespace {

/* A GParamSpecUInt64 (minimum 0, so 0 passes its checks) with the smallest
 * value above 0 that means anything. */
struct DurationParamSpec {
  GParamSpecUInt64 parent;
  guint64 nonzero_minimum;
};

gboolean duration_is_valid(GParamSpec *pspec, const GValue *value) {
  const auto *spec = reinterpret_cast<const DurationParamSpec *>(pspec);
  const guint64 duration = g_value_get_uint64(value);
  return duration == 0 || (duration >= spec->nonzero_minimum && duration <= spec->parent.maximum);
}

/* Brings `value` into the spec; TRUE when it had to change it (then
 * g_object_set() warns and leaves the property alone). */
gboolean duration_validate(GParamSpec *pspec, GValue *value) {
  if (duration_is_valid(pspec, value))
    return FALSE;
  const auto *spec = reinterpret_cast<const DurationParamSpec *>(pspec);
  const guint64 duration = g_value_get_uint64(value);
  g_value_set_uint64(value, duration > spec->parent.maximum ? spec->parent.maximum
                                                            : spec->nonzero_minimum);
  return TRUE;
}

void duration_class_init(gpointer klass, gpointer) {
  GParamSpecClass *pspec_class = static_cast<GParamSpecClass *>(klass);
  pspec_class->value_validate = duration_validate;
#if GLIB_CHECK_VERSION(2, 74, 0)
  pspec_class->value_is_valid = duration_is_valid;
#endif
}

GType duration_param_get_type() {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    const GTypeInfo info = {sizeof(GParamSpecClass),
                            nullptr,
                            nullptr,
                            duration_class_init,
                            nullptr,
                            nullptr,
                            sizeof(DurationParamSpec),
                            0,
                            nullptr,
                            nullptr};
    const GType registered = g_type_register_static(G_TYPE_PARAM_UINT64, "GstVoiceKitParamDuration",
                                                    &info, static_cast<GTypeFlags>(0));
    g_once_init_leave(&type, registered);
  }
  return type;
}

} /* namespace */

GParamSpec *param_spec_duration(const gchar *name, const gchar *nick, const gchar *blurb,
                                guint64 nonzero_minimum, guint64 maximum, guint64 default_value,
                                GParamFlags flags) {
  g_return_val_if_fail(nonzero_minimum > 0 && nonzero_minimum <= maximum, nullptr);
  g_return_val_if_fail(default_value == 0 ||
                           (default_value >= nonzero_minimum && default_value <= maximum),
                       nullptr);
  auto *spec = static_cast<DurationParamSpec *>(
      g_param_spec_internal(duration_param_get_type(), name, nick, blurb, flags));
  spec->parent.minimum = 0;
  spec->parent.maximum = maximum;
  spec->parent.default_value = default_value;
  spec->nonzero_minimum = nonzero_minimum;
  return G_PARAM_SPEC(spec);
}

} /* namespace voicekit::element */
