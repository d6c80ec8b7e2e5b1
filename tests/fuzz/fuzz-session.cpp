/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * libFuzzer target: session context parsing from strings and structures
 * (gst/voicekit/session.h, turn-event.h).
 *
 * Input layout: 4 control bytes, 4 numbers (u64, little-endian), then
 * NUL-separated strings: a webrtc-id, a `fields` string, an engine name, and
 * up to 4 structure strings.
 *
 * (a) Strings: the id goes through gst_voicekit_session_id_is_valid() and
 *     gst_voicekit_session_context_new*(); the fields string becomes a GstStructure the
 *     way sessiontag's `fields` property gets one from gst-launch or
 *     g_object_set() with a string (gst_value_deserialize() into
 *     GST_TYPE_STRUCTURE) or from Python (gst_structure_from_string()). Every
 *     carrier then round-trips the context unchanged: the sticky event, the
 *     query, a pad's sticky events, the buffer meta (and its copy), the
 *     current scope, the turn, utterance and turn-detector events.
 * (b) Structures: each structure string, parsed by gst_structure_from_string(),
 *     is renamed like one of our events (or not), given a "context" field that
 *     is a real context, a NULL one, a string or left alone, and wrapped in a
 *     custom event of any type, a custom query and a pad's sticky events; all
 *     our parse functions read it. They must accept only what they document
 *     (type and name), hand back only real contexts, and never crash, leak or
 *     raise a GLib critical (made fatal here).
 */
#include "fuzz-glib.hpp"
#include "fuzz-input.hpp"

#include <gst/gst.h>
#include <gst/voicekit/session.h>
#include <gst/voicekit/turn-event.h>

#include <cstring>
#include <string>
#include <vector>

using voicekit::fuzz::Input;

namespace {

/* The library's rule, written out independently of it (a differential check):
 * non-empty, at most 256 bytes, UTF-8, no control characters. */
bool id_ok(const std::string &id) {
  if (id.empty() || id.size() > GST_VOICEKIT_SESSION_ID_MAX_LENGTH ||
      !g_utf8_validate(id.data(), static_cast<gssize>(id.size()), nullptr))
    return false;
  for (const gchar *p = id.c_str(); *p != '\0'; p = g_utf8_next_char(p))
    if (g_unichar_iscntrl(g_utf8_get_char(p)))
      return false;
  return true;
}

/* A context handed back by a parse function must be a real one. */
void check_context(GstVoiceKitSessionContext *context) {
  if (context == nullptr)
    return;
  const gchar *id = gst_voicekit_session_context_get_webrtc_id(context);
  FUZZ_CHECK(id != nullptr && id_ok(id));
}

bool same_fields(const GstStructure *a, const GstStructure *b) {
  if (a == nullptr || b == nullptr)
    return a == b;
  if (a == b)
    return true;
  /* As text: gst_structure_is_equal() cannot compare every value its parser
   * makes (fuzz-glib.hpp); the text of a copy is the same. */
  gchar *text_a = gst_structure_to_string(a);
  gchar *text_b = gst_structure_to_string(b);
  const bool same = g_strcmp0(text_a, text_b) == 0;
  g_free(text_b);
  g_free(text_a);
  return same;
}

bool comparable(const GstStructure *fields) {
  if (fields == nullptr)
    return true;
  voicekit::fuzz::TolerateCriticals gstreamer_compares;
  GstStructure *copy = gst_structure_copy(fields);
  const bool equal = gst_structure_is_equal(fields, copy);
  gst_structure_free(copy);
  return equal;
}

/* gst_voicekit_session_context_is_equal() compares fields with gst_structure_is_equal(),
 * whose criticals on such values are GStreamer's. */
bool contexts_equal(const GstVoiceKitSessionContext *a, const GstVoiceKitSessionContext *b) {
  voicekit::fuzz::TolerateCriticals gstreamer_compares;
  return gst_voicekit_session_context_is_equal(a, b);
}

/* A pad to store sticky events on, as an element's sink pad holds them. */
GstPad *new_pad() {
  GstPad *pad = gst_pad_new("sink", GST_PAD_SINK);
  gst_pad_set_active(pad, TRUE);
  return pad;
}

void free_pad(GstPad *pad) {
  gst_pad_set_active(pad, FALSE);
  gst_object_unref(pad);
}

/* Lists, arrays and ranges nested deeper than this are not parsed. GStreamer
 * leaks when such a parse fails (tests/fuzz/lsan.supp), and LeakSanitizer
 * can only suppress it while gst_structure_from_string() is among the
 * recorded frames (scripts/fuzz keeps 64): each level adds two. Our parse
 * functions never see the nesting anyway, only the fields around it. */
constexpr int kMaxNesting = 12;

bool too_deep(const std::string &text) {
  int depth = 0;
  for (char c : text) {
    if (c == '{' || c == '<' || c == '[')
      depth++;
    else if ((c == '}' || c == '>' || c == ']') && depth > 0)
      depth--;
    if (depth > kMaxNesting)
      return true;
  }
  return false;
}

/* A structure from text, as gst_structure_from_string() gives it; text after
 * the structure is ignored (GStreamer warns when the caller cannot see it). */
GstStructure *parse_structure_string(const std::string &text) {
  if (too_deep(text))
    return nullptr;
  voicekit::fuzz::TolerateCriticals gstreamer_parses;
  gchar *end = nullptr;
  return gst_structure_from_string(text.c_str(), &end);
}

/* The fields string as sessiontag's `fields` property receives it. */
GstStructure *parse_fields(const std::string &text, bool like_python) {
  if (text.empty() || too_deep(text))
    return nullptr;
  voicekit::fuzz::TolerateCriticals gstreamer_parses;
  if (like_python)
    return parse_structure_string(text);
  /* gst-launch and g_object_set() with a string: gst_util_set_object_arg()
   * deserializes into the property's type, GST_TYPE_STRUCTURE. */
  GValue value = G_VALUE_INIT;
  g_value_init(&value, GST_TYPE_STRUCTURE);
  GstStructure *fields = nullptr;
  if (gst_value_deserialize(&value, text.c_str())) {
    const GstStructure *parsed = gst_value_get_structure(&value);
    fields = parsed != nullptr ? gst_structure_copy(parsed) : nullptr;
  }
  g_value_unset(&value);
  return fields;
}

struct Numbers {
  guint64 utterance, running, stream, start, end;
};

/* Every carrier gives the context back unchanged. */
void round_trip(GstVoiceKitSessionContext *context, const std::string &engine, const Numbers &n,
                std::uint8_t control) {
  const std::string id = gst_voicekit_session_context_get_webrtc_id(context);

  /* Printing a structure that holds a context shows its id. */
  GValue boxed = G_VALUE_INIT, text = G_VALUE_INIT;
  g_value_init(&boxed, GST_TYPE_VOICEKIT_SESSION_CONTEXT);
  g_value_set_boxed(&boxed, context);
  g_value_init(&text, G_TYPE_STRING);
  FUZZ_CHECK(g_value_transform(&boxed, &text));
  FUZZ_CHECK(std::string(g_value_get_string(&text)) == "webrtc-id:" + id);
  g_value_unset(&text);
  g_value_unset(&boxed);

  /* Sticky event, directly and through a pad. */
  GstEvent *event = gst_voicekit_event_new_session(context);
  GstVoiceKitSessionContext *parsed = gst_voicekit_event_parse_session(event);
  FUZZ_CHECK(parsed == context);
  gst_voicekit_session_context_unref(parsed);
  const GstStructure *structure = gst_event_get_structure(event);
  FUZZ_CHECK(g_strcmp0(gst_structure_get_string(structure, "webrtc-id"), id.c_str()) == 0);
  gint64 created = 0;
  FUZZ_CHECK(gst_structure_get_int64(structure, "created-us", &created) &&
             created == gst_voicekit_session_context_get_created_us(context));
  /* Through text (a log line read back): the context does not survive
   * serialization; whatever comes back must still be safe to parse. */
  gchar *serialized = gst_structure_to_string(structure);
  if (GstStructure *reread = parse_structure_string(serialized)) {
    GstEvent *again = gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, reread);
    GstVoiceKitSessionContext *from_text = gst_voicekit_event_parse_session(again);
    check_context(from_text);
    if (from_text != nullptr)
      gst_voicekit_session_context_unref(from_text);
    gst_event_unref(again);
  }
  g_free(serialized);

  GstPad *pad = new_pad();
  FUZZ_CHECK(gst_voicekit_pad_get_session_context(pad) == nullptr);
  FUZZ_CHECK(gst_pad_store_sticky_event(pad, event) == GST_FLOW_OK);
  gst_event_unref(event);
  GstEvent *detector =
      gst_voicekit_event_new_turn_detector(engine.c_str(), n.start, n.end, n.running, n.stream);
  FUZZ_CHECK(gst_pad_store_sticky_event(pad, detector) == GST_FLOW_OK);
  parsed = gst_voicekit_pad_get_session_context(pad);
  FUZZ_CHECK(parsed == context);
  gst_voicekit_session_context_unref(parsed);
  GstStructure *detector_fields = gst_voicekit_pad_get_turn_detector(pad);
  FUZZ_CHECK(detector_fields != nullptr &&
             gst_structure_is_equal(detector_fields, gst_event_get_structure(detector)));
  gst_structure_free(detector_fields);
  gst_event_unref(detector);
  free_pad(pad);

  /* Query: unanswered, then answered. */
  GstQuery *query = gst_voicekit_query_new_session();
  FUZZ_CHECK(gst_voicekit_query_parse_session(query) == nullptr);
  gst_voicekit_query_set_session(query, context);
  parsed = gst_voicekit_query_parse_session(query);
  FUZZ_CHECK(parsed == context);
  gst_voicekit_session_context_unref(parsed);
  gst_query_unref(query);

  /* Buffer meta: one per buffer, copied with the buffer. */
  GstBuffer *buffer = gst_buffer_new();
  FUZZ_CHECK(gst_voicekit_buffer_get_webrtc_id(buffer) == nullptr);
  gst_voicekit_buffer_set_session_context(buffer, context);
  gst_voicekit_buffer_set_session_context(buffer, context);
  FUZZ_CHECK(gst_buffer_get_n_meta(buffer, GST_VOICEKIT_SESSION_META_API_TYPE) == 1);
  FUZZ_CHECK(g_strcmp0(gst_voicekit_buffer_get_webrtc_id(buffer), id.c_str()) == 0);
  GstBuffer *copy = gst_buffer_copy(buffer);
  FUZZ_CHECK(gst_voicekit_buffer_get_session_context(copy) == context);
  gst_buffer_unref(copy);
  gst_buffer_unref(buffer);

  /* Current scope. */
  gst_voicekit_session_context_push_current(context);
  parsed = gst_voicekit_session_context_get_current();
  FUZZ_CHECK(parsed == context);
  gst_voicekit_session_context_unref(parsed);
  gst_voicekit_session_context_pop_current();
  FUZZ_CHECK(gst_voicekit_session_context_get_current() == nullptr);

  /* Turn and utterance events, with and without the session. */
  GstVoiceKitSessionContext *carried = (control & 1) != 0 ? context : nullptr;
  const auto type =
      (control & 2) != 0 ? GST_VOICEKIT_TURN_EVENT_PAUSE : GST_VOICEKIT_TURN_EVENT_SPEECH_START;
  GstEvent *turn =
      gst_voicekit_event_new_turn(type, n.utterance, n.running, n.stream, n.start, n.end, carried);
  GstVoiceKitTurnEventType got_type;
  guint64 utterance = 0;
  GstClockTime running = 0, stream = 0, start = 0, end = 0;
  GstVoiceKitSessionContext *got_context = nullptr;
  FUZZ_CHECK(gst_voicekit_event_parse_turn(turn, &got_type, &utterance, &running, &stream, &start,
                                           &end, &got_context));
  FUZZ_CHECK(got_type == type && utterance == n.utterance && running == n.running &&
             stream == n.stream && start == n.start);
  FUZZ_CHECK(end == (type == GST_VOICEKIT_TURN_EVENT_PAUSE ? n.end : GST_CLOCK_TIME_NONE));
  FUZZ_CHECK(got_context == carried);
  if (got_context != nullptr)
    gst_voicekit_session_context_unref(got_context);
  gst_event_unref(turn);

  const auto utterance_type =
      (control & 4) != 0 ? GST_VOICEKIT_UTTERANCE_EVENT_END : GST_VOICEKIT_UTTERANCE_EVENT_START;
  GstEvent *bracket = gst_voicekit_event_new_utterance(utterance_type, n.utterance, carried);
  GstVoiceKitUtteranceEventType got_utterance_type;
  FUZZ_CHECK(
      gst_voicekit_event_parse_utterance(bracket, &got_utterance_type, &utterance, &got_context));
  FUZZ_CHECK(got_utterance_type == utterance_type && utterance == n.utterance &&
             got_context == carried);
  if (got_context != nullptr)
    gst_voicekit_session_context_unref(got_context);
  gst_event_unref(bracket);
}

const char *const kNames[] = {GST_VOICEKIT_SESSION_EVENT_NAME, GST_VOICEKIT_TURN_EVENT_NAME,
                              GST_VOICEKIT_UTTERANCE_EVENT_NAME,
                              GST_VOICEKIT_TURN_DETECTOR_EVENT_NAME};

const GstEventType kEventTypes[] = {
    GST_EVENT_CUSTOM_DOWNSTREAM,        GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
    GST_EVENT_CUSTOM_UPSTREAM,          GST_EVENT_CUSTOM_BOTH,
    GST_EVENT_CUSTOM_DOWNSTREAM_OOB,    GST_EVENT_CUSTOM_BOTH_OOB,
    GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, GST_EVENT_CUSTOM_DOWNSTREAM};

/* One structure from the input, dressed as `control` says, read by every
 * parse function. `context` (nullable) is a real context to plant. */
void parse_structure(GstStructure *structure, std::uint8_t control,
                     GstVoiceKitSessionContext *context, const std::string &id) {
  const unsigned rename = control & 7;
  if (rename >= 1 && rename <= 4)
    gst_structure_set_name(structure, kNames[rename - 1]);
  switch ((control >> 3) & 3) {
  case 1:
    if (context != nullptr)
      gst_structure_set(structure, "context", GST_TYPE_VOICEKIT_SESSION_CONTEXT, context, nullptr);
    break;
  case 2: /* a NULL boxed context: a typed field with nothing in it */
    gst_structure_set(structure, "context", GST_TYPE_VOICEKIT_SESSION_CONTEXT, nullptr, nullptr);
    break;
  case 3: /* the right name, the wrong type (GStreamer wants UTF-8 strings) */
    gst_structure_set(structure, "context", G_TYPE_STRING,
                      g_utf8_validate(id.c_str(), -1, nullptr) ? id.c_str() : "?", nullptr);
    break;
  default:
    break;
  }
  const std::string name = gst_structure_get_name(structure);
  const bool has_context =
      gst_structure_has_field_typed(structure, "context", GST_TYPE_VOICEKIT_SESSION_CONTEXT);
  const GstEventType event_type = kEventTypes[control >> 5];

  GstEvent *event = gst_event_new_custom(event_type, gst_structure_copy(structure));
  FUZZ_CHECK(event != nullptr);

  GstVoiceKitSessionContext *parsed = gst_voicekit_event_parse_session(event);
  if (parsed != nullptr) {
    FUZZ_CHECK(event_type == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY &&
               name == GST_VOICEKIT_SESSION_EVENT_NAME && has_context);
    check_context(parsed);
    gst_voicekit_session_context_unref(parsed);
  }

  const bool is_turn =
      event_type == GST_EVENT_CUSTOM_DOWNSTREAM && name == GST_VOICEKIT_TURN_EVENT_NAME;
  GstVoiceKitTurnEventType turn_type = GST_VOICEKIT_TURN_EVENT_SPEECH_START;
  guint64 utterance = 0;
  GstClockTime running = 0, stream = 0, start = 0, end = 0;
  GstVoiceKitSessionContext *got_context = nullptr;
  FUZZ_CHECK(gst_voicekit_event_parse_turn(event, nullptr, nullptr, nullptr, nullptr, nullptr,
                                           nullptr, nullptr) == is_turn);
  FUZZ_CHECK(gst_voicekit_event_parse_turn(event, &turn_type, &utterance, &running, &stream, &start,
                                           &end, &got_context) == is_turn);
  if (is_turn) {
    FUZZ_CHECK(turn_type == GST_VOICEKIT_TURN_EVENT_SPEECH_START ||
               turn_type == GST_VOICEKIT_TURN_EVENT_PAUSE);
    FUZZ_CHECK((turn_type == GST_VOICEKIT_TURN_EVENT_PAUSE) ==
               (g_strcmp0(gst_structure_get_string(structure, "event"), "pause") == 0));
    guint64 value = 0;
    if (!gst_structure_get_uint64(structure, "running-time", &value))
      FUZZ_CHECK(running == GST_CLOCK_TIME_NONE);
    else
      FUZZ_CHECK(running == value);
    FUZZ_CHECK(got_context == nullptr || has_context);
    check_context(got_context);
    if (got_context != nullptr)
      gst_voicekit_session_context_unref(got_context);
  }

  const bool is_utterance =
      event_type == GST_EVENT_CUSTOM_DOWNSTREAM && name == GST_VOICEKIT_UTTERANCE_EVENT_NAME;
  GstVoiceKitUtteranceEventType utterance_type = GST_VOICEKIT_UTTERANCE_EVENT_START;
  got_context = nullptr;
  FUZZ_CHECK(gst_voicekit_event_parse_utterance(event, nullptr, nullptr, nullptr) == is_utterance);
  FUZZ_CHECK(gst_voicekit_event_parse_utterance(event, &utterance_type, &utterance, &got_context) ==
             is_utterance);
  if (is_utterance) {
    FUZZ_CHECK(utterance_type == GST_VOICEKIT_UTTERANCE_EVENT_START ||
               utterance_type == GST_VOICEKIT_UTTERANCE_EVENT_END);
    FUZZ_CHECK(got_context == nullptr || has_context);
    check_context(got_context);
    if (got_context != nullptr)
      gst_voicekit_session_context_unref(got_context);
  }

  /* Sticky ones on a pad, as an element's sink pad would hold them. */
  if (GST_EVENT_IS_STICKY(event)) {
    GstPad *pad = new_pad();
    FUZZ_CHECK(gst_pad_store_sticky_event(pad, event) == GST_FLOW_OK);
    parsed = gst_voicekit_pad_get_session_context(pad);
    FUZZ_CHECK(parsed == nullptr || (name == GST_VOICEKIT_SESSION_EVENT_NAME && has_context));
    check_context(parsed);
    if (parsed != nullptr)
      gst_voicekit_session_context_unref(parsed);
    GstStructure *detector = gst_voicekit_pad_get_turn_detector(pad);
    FUZZ_CHECK((detector != nullptr) == (name == GST_VOICEKIT_TURN_DETECTOR_EVENT_NAME));
    if (detector != nullptr) {
      /* As text: gst_structure_is_equal() cannot compare a GstVoiceKitSessionContext
       * field (no compare function registered: a GStreamer critical). */
      gchar *got = gst_structure_to_string(detector);
      gchar *want = gst_structure_to_string(structure);
      FUZZ_CHECK(g_strcmp0(got, want) == 0);
      g_free(want);
      g_free(got);
      gst_structure_free(detector);
    }
    free_pad(pad);
  }
  gst_event_unref(event);

  /* The same structure as a custom query, unanswered and answered. */
  GstQuery *query = gst_query_new_custom(GST_QUERY_CUSTOM, gst_structure_copy(structure));
  parsed = gst_voicekit_query_parse_session(query);
  if (parsed != nullptr) {
    FUZZ_CHECK(name == GST_VOICEKIT_SESSION_EVENT_NAME && has_context);
    check_context(parsed);
    gst_voicekit_session_context_unref(parsed);
  }
  if (name == GST_VOICEKIT_SESSION_EVENT_NAME && context != nullptr) {
    gst_voicekit_query_set_session(query, context);
    parsed = gst_voicekit_query_parse_session(query);
    FUZZ_CHECK(parsed == context);
    gst_voicekit_session_context_unref(parsed);
  }
  gst_query_unref(query);
}

} /* namespace */

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  /* No plugins are needed: no registry scan (slow under ASan, and a fork). */
  g_setenv("GST_REGISTRY_DISABLE", "yes", TRUE);
  g_setenv("GST_PLUGIN_SYSTEM_PATH_1_0", "", TRUE);
  g_setenv("GST_PLUGIN_PATH_1_0", "", TRUE);
  gst_init(nullptr, nullptr);
  voicekit::fuzz::trap_on_critical();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  Input in(data, size);
  std::uint8_t control[4];
  for (std::uint8_t &c : control)
    c = in.byte();
  Numbers numbers{in.u64(), in.u64(), in.u64(), in.u64(), 0};
  numbers.end = numbers.start ^ numbers.running;
  const std::string id = in.until('\0');
  const std::string fields_text = in.until('\0');
  /* An engine name is UTF-8 (GStreamer refuses other strings in a structure). */
  gchar *valid_engine = g_utf8_make_valid(in.until('\0').c_str(), -1);
  const std::string engine = valid_engine;
  g_free(valid_engine);

  /* (a) the id and the fields string */
  GError *error = nullptr;
  const bool valid = gst_voicekit_session_id_is_valid(id.c_str(), &error);
  FUZZ_CHECK(valid == gst_voicekit_session_id_is_valid(id.c_str(), nullptr));
  FUZZ_CHECK(valid == (error == nullptr));
  if (error != nullptr) {
    FUZZ_CHECK(error->message != nullptr && error->message[0] != '\0');
    g_error_free(error);
  }
  /* id.c_str() stops at a NUL: the id the library sees. */
  FUZZ_CHECK(valid == id_ok(id.c_str()));

  GstStructure *fields = parse_fields(fields_text, (control[0] & 0x80) != 0);
  const gint64 created = static_cast<gint64>(numbers.utterance);
  GstVoiceKitSessionContext *context =
      gst_voicekit_session_context_new_full(id.c_str(), fields, created);
  FUZZ_CHECK((context != nullptr) == valid);
  if (context != nullptr) {
    FUZZ_CHECK(id == gst_voicekit_session_context_get_webrtc_id(context));
    FUZZ_CHECK(gst_voicekit_session_context_get_created_us(context) == created);
    FUZZ_CHECK(same_fields(gst_voicekit_session_context_get_fields(context), fields));
    /* Immutable: its own copy of the fields. */
    FUZZ_CHECK(fields == nullptr || gst_voicekit_session_context_get_fields(context) != fields);
    GstVoiceKitSessionContext *twin =
        gst_voicekit_session_context_new_full(id.c_str(), fields, created);
    GstVoiceKitSessionContext *later =
        gst_voicekit_session_context_new_full(id.c_str(), fields, created ^ 1);
    GstVoiceKitSessionContext *now = gst_voicekit_session_context_new(id.c_str(), fields);
    /* Equal, unless GStreamer cannot compare the fields with a copy of
     * themselves (a list mixing types). */
    FUZZ_CHECK(contexts_equal(context, twin) || !comparable(fields));
    FUZZ_CHECK(!contexts_equal(context, later));
    FUZZ_CHECK(!contexts_equal(context, nullptr));
    FUZZ_CHECK(now != nullptr && same_fields(gst_voicekit_session_context_get_fields(now), fields));
    gst_voicekit_session_context_unref(now);
    gst_voicekit_session_context_unref(later);
    gst_voicekit_session_context_unref(twin);
    round_trip(context, engine, numbers, control[0]);
  } else {
    FUZZ_CHECK(gst_voicekit_session_context_new(id.c_str(), fields) == nullptr);
  }

  /* (b) structures from the input */
  GstVoiceKitSessionContext *planted = context;
  if (planted == nullptr)
    planted = gst_voicekit_session_context_new("fuzz", fields);
  for (int i = 0; i < 4 && !in.empty(); i++) {
    const std::string text = in.until('\0');
    GstStructure *structure = parse_structure_string(text);
    if (structure == nullptr)
      continue;
    parse_structure(structure, control[i], planted, id);
    gst_structure_free(structure);
  }
  /* The fields themselves, dressed as an event: an application may put
   * anything there. */
  if (fields != nullptr)
    parse_structure(fields, control[1] ^ control[2], planted, id);

  if (planted != context)
    gst_voicekit_session_context_unref(planted);
  if (context != nullptr)
    gst_voicekit_session_context_unref(context);
  if (fields != nullptr)
    gst_structure_free(fields);
  return 0;
}
