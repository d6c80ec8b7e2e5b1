/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The library from plain C, as an application sees it: g_autoptr for its
 * types, the names it registers in the process (GTypes, meta API, event and
 * query structures) all carry the library's name, and the version macros.
 */
#include <gst/check/gstcheck.h>
#include <gst/voicekit/voicekit-version.h>
#include <gst/voicekit/voicekit.h>

GST_START_TEST(test_autoptr_releases_context) {
  GstVoiceKitSessionContext *kept = NULL;
  {
    g_autoptr(GstVoiceKitSessionContext) context =
        gst_voicekit_session_context_new("c-autoptr", NULL);
    fail_unless(context != NULL);
    kept = gst_voicekit_session_context_ref(context);
  }
  /* The scope dropped its reference; ours is still valid. */
  fail_unless_equals_string(gst_voicekit_session_context_get_webrtc_id(kept), "c-autoptr");
  {
    g_autoptr(GstVoiceKitSessionContext) last = kept; /* released at the end of the scope */
    g_autoptr(GstBuffer) buffer = gst_buffer_new();
    gst_voicekit_buffer_set_session_context(buffer, last);
    fail_unless_equals_string(gst_voicekit_buffer_get_webrtc_id(buffer), "c-autoptr");
  }
}
GST_END_TEST

static gboolean has_prefix(const gchar *name) {
  return name != NULL && g_str_has_prefix(name, "GstVoiceKit");
}

GST_START_TEST(test_registered_names_carry_the_prefix) {
  fail_unless_equals_string(g_type_name(GST_TYPE_VOICEKIT_SESSION_CONTEXT),
                            "GstVoiceKitSessionContext");
  fail_unless_equals_string(g_type_name(GST_VOICEKIT_SESSION_META_API_TYPE),
                            "GstVoiceKitSessionMetaAPI");
  fail_unless_equals_string(g_type_name(GST_VOICEKIT_SESSION_META_INFO->type),
                            "GstVoiceKitSessionMeta");
  fail_unless_equals_string(g_type_name(GST_TYPE_VOICEKIT_TURN_EVENT_TYPE),
                            "GstVoiceKitTurnEventType");
  fail_unless_equals_string(g_type_name(GST_TYPE_VOICEKIT_UTTERANCE_EVENT_TYPE),
                            "GstVoiceKitUtteranceEventType");

  g_autoptr(GstVoiceKitSessionContext) context = gst_voicekit_session_context_new("c-names", NULL);
  GstEvent *events[] = {
      gst_voicekit_event_new_session(context),
      gst_voicekit_event_new_turn(GST_VOICEKIT_TURN_EVENT_PAUSE, 1, 0, 0, 0, 0, context),
      gst_voicekit_event_new_turn_detector("builtin", 1, 2, 3, 4),
      gst_voicekit_event_new_utterance(GST_VOICEKIT_UTTERANCE_EVENT_START, 1, context),
  };
  for (guint i = 0; i < G_N_ELEMENTS(events); i++) {
    fail_unless(has_prefix(gst_structure_get_name(gst_event_get_structure(events[i]))),
                "event %u is named %s", i, gst_structure_get_name(gst_event_get_structure(events[i])));
    gst_event_unref(events[i]);
  }
  g_autoptr(GstQuery) query = gst_voicekit_query_new_session();
  fail_unless(has_prefix(gst_structure_get_name(gst_query_get_structure(query))));

  /* Enum values by their nicks, as GStreamer's own generated enums. */
  g_autoptr(GEnumClass) turn_class = g_type_class_ref(GST_TYPE_VOICEKIT_TURN_EVENT_TYPE);
  fail_unless_equals_string(g_enum_get_value(turn_class, GST_VOICEKIT_TURN_EVENT_PAUSE)->value_nick,
                            "pause");
  fail_unless_equals_string(
      g_enum_get_value(turn_class, GST_VOICEKIT_TURN_EVENT_SPEECH_START)->value_nick,
      "speech-start");
}
GST_END_TEST

GST_START_TEST(test_version_macros) {
  fail_unless(GST_VOICEKIT_CHECK_VERSION(0, 2, 0));
  fail_unless(GST_VOICEKIT_CHECK_VERSION(GST_VOICEKIT_VERSION_MAJOR, GST_VOICEKIT_VERSION_MINOR,
                                         GST_VOICEKIT_VERSION_MICRO));
  fail_if(GST_VOICEKIT_CHECK_VERSION(GST_VOICEKIT_VERSION_MAJOR, GST_VOICEKIT_VERSION_MINOR,
                                     GST_VOICEKIT_VERSION_MICRO + 1));
  fail_if(GST_VOICEKIT_CHECK_VERSION(GST_VOICEKIT_VERSION_MAJOR + 1, 0, 0));
  fail_unless_equals_string(GST_VOICEKIT_VERSION_STRING, VOICEKIT_VERSION);
}
GST_END_TEST

static Suite *c_api_suite(void) {
  Suite *suite = suite_create("c-api");
  TCase *tc = tcase_create("general");
  suite_add_tcase(suite, tc);
  tcase_add_test(tc, test_autoptr_releases_context);
  tcase_add_test(tc, test_registered_names_carry_the_prefix);
  tcase_add_test(tc, test_version_macros);
  return suite;
}

GST_CHECK_MAIN(c_api)
