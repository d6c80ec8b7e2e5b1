/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * gst-check tests of the sessiontag element.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/voicekit/session.h>

#include "../common/session-checks.hpp"

#include <string>
#include <vector>

#define AUDIO_CAPS "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved"

static GstBuffer *new_audio_buffer(gsize size = 960) {
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, size, nullptr);
  gst_buffer_memset(buffer, 0, 0x11, size);
  return buffer;
}

/* Compares as std::string, keeping the values alive for the message. */
#define assert_id(actual, expected)                                                                \
  do {                                                                                             \
    const std::string actual_ = (actual);                                                          \
    const std::string expected_ = (expected);                                                      \
    fail_unless(actual_ == expected_, "got '%s', expected '%s'", actual_.c_str(),                  \
                expected_.c_str());                                                                \
  } while (0)

/* A harness around the bare element (not a bin), with a webrtc-id. */
static GstHarness *new_tag_harness(const char *webrtc_id) {
  GstHarness *h = gst_harness_new("sessiontag");
  if (webrtc_id != nullptr)
    g_object_set(h->element, "webrtc-id", webrtc_id, nullptr);
  gst_harness_set_src_caps_str(h, AUDIO_CAPS);
  return h;
}

static std::string webrtc_id_of(GstBuffer *buffer) {
  const gchar *id = gst_voicekit_buffer_get_webrtc_id(buffer);
  return id != nullptr ? id : "(none)";
}

static std::string property_id(GstElement *element) {
  gchar *id = nullptr;
  g_object_get(element, "webrtc-id", &id, nullptr);
  std::string text = id != nullptr ? id : "(null)";
  g_free(id);
  return text;
}

using voicekit::testing::count_session_metas;
using voicekit::testing::take_webrtc_id;

static std::string sticky_id(GstPad *pad) {
  return take_webrtc_id(gst_voicekit_pad_get_session_context(pad), "(none)");
}

/* All session events the harness received, in order, as webrtc-ids. */
static std::vector<std::string> pull_session_event_ids(GstHarness *h) {
  std::vector<std::string> ids;
  GstEvent *event;
  while ((event = gst_harness_try_pull_event(h)) != nullptr) {
    const std::string id = voicekit::testing::session_event_id(event);
    if (!id.empty())
      ids.push_back(id);
    gst_event_unref(event);
  }
  return ids;
}

GST_START_TEST(test_tags_every_buffer_without_copying_audio) {
  GstHarness *h = new_tag_harness("caller-42");
  for (int i = 0; i < 5; i++) {
    GstBuffer *in = new_audio_buffer();
    GstMemory *in_memory = gst_buffer_peek_memory(in, 0);
    GstBuffer *out = gst_harness_push_and_pull(h, in);
    fail_unless(out != nullptr);
    assert_id(webrtc_id_of(out), "caller-42");
    /* in place: the very same memory block comes out */
    fail_unless(gst_buffer_peek_memory(out, 0) == in_memory);
    fail_unless_equals_int(count_session_metas(out), 1);
    gst_buffer_unref(out);
  }
  /* the sticky event reached the harness's sink pad, after caps and segment */
  assert_id(sticky_id(h->sinkpad), "caller-42");
  GstEvent *event;
  std::vector<GstEventType> order;
  while ((event = gst_harness_try_pull_event(h)) != nullptr) {
    order.push_back(GST_EVENT_TYPE(event));
    gst_event_unref(event);
  }
  fail_unless(order.size() == 4);
  fail_unless(order[0] == GST_EVENT_STREAM_START);
  fail_unless(order[1] == GST_EVENT_CAPS);
  fail_unless(order[2] == GST_EVENT_SEGMENT);
  fail_unless(order[3] == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_webrtc_id_change_while_playing) {
  GstHarness *h = new_tag_harness("first");
  GstBuffer *out = gst_harness_push_and_pull(h, new_audio_buffer());
  assert_id(webrtc_id_of(out), "first");
  gst_buffer_unref(out);
  std::vector<std::string> events = pull_session_event_ids(h);
  fail_unless(events == std::vector<std::string>{"first"});

  g_object_set(h->element, "webrtc-id", "second", nullptr);
  assert_id(property_id(h->element), "second");
  out = gst_harness_push_and_pull(h, new_audio_buffer());
  assert_id(webrtc_id_of(out), "second");
  gst_buffer_unref(out);
  events = pull_session_event_ids(h);
  fail_unless(events == std::vector<std::string>{"second"});
  assert_id(sticky_id(h->sinkpad), "second");

  /* Setting the same id again is no change: no new event. */
  g_object_set(h->element, "webrtc-id", "second", nullptr);
  gst_buffer_unref(gst_harness_push_and_pull(h, new_audio_buffer()));
  fail_unless(pull_session_event_ids(h).empty());
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_fields_property) {
  GstHarness *h = new_tag_harness("with-fields");
  GstStructure *initial = gst_structure_from_string("session,user=alice", nullptr);
  g_object_set(h->element, "fields", initial, nullptr);
  gst_structure_free(initial);
  GstStructure *fields = nullptr;
  g_object_get(h->element, "fields", &fields, nullptr);
  fail_unless(fields != nullptr);
  fail_unless_equals_string(gst_structure_get_string(fields, "user"), "alice");
  gst_structure_free(fields);

  GstVoiceKitSessionContext *before = nullptr;
  g_object_get(h->element, "context", &before, nullptr);
  GstBuffer *out = gst_harness_push_and_pull(h, new_audio_buffer());
  const GstStructure *carried =
      gst_voicekit_session_context_get_fields(gst_voicekit_buffer_get_session_context(out));
  fail_unless_equals_string(gst_structure_get_string(carried, "user"), "alice");
  gst_buffer_unref(out);

  GstStructure *changed = gst_structure_from_string("session,user=bob,device=phone", nullptr);
  g_object_set(h->element, "fields", changed, nullptr);
  gst_structure_free(changed);
  out = gst_harness_push_and_pull(h, new_audio_buffer());
  GstVoiceKitSessionContext *after = gst_voicekit_buffer_get_session_context(out);
  carried = gst_voicekit_session_context_get_fields(after);
  fail_unless_equals_string(gst_structure_get_string(carried, "user"), "bob");
  fail_unless_equals_string(gst_structure_get_string(carried, "device"), "phone");
  /* same session: same id and creation time, new data */
  fail_unless_equals_string(gst_voicekit_session_context_get_webrtc_id(after), "with-fields");
  fail_unless_equals_int64(gst_voicekit_session_context_get_created_us(after),
                           gst_voicekit_session_context_get_created_us(before));
  gst_buffer_unref(out);
  gst_voicekit_session_context_unref(before);
  gst_harness_teardown(h);
}
GST_END_TEST;

static GstBus *element_with_own_bus(GstElement **element) {
  *element = gst_element_factory_make("sessiontag", nullptr);
  fail_unless(*element != nullptr);
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(*element, bus);
  return bus;
}

/* The id the element posted on `bus` as generated, or "(none)". */
static std::string announced_id(GstBus *bus) {
  GstMessage *message = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
  if (message == nullptr)
    return "(none)";
  const GstStructure *structure = gst_message_get_structure(message);
  fail_unless(gst_structure_has_name(structure, "sessiontag"));
  gboolean was_generated = FALSE;
  fail_unless(gst_structure_get_boolean(structure, "generated", &was_generated));
  fail_unless(was_generated);
  const std::string id = gst_structure_get_string(structure, "webrtc-id");
  gst_message_unref(message);
  return id;
}

GST_START_TEST(test_generates_and_announces_id) {
  GstElement *element;
  GstBus *bus = element_with_own_bus(&element);
  /* nothing generated before the start: gst-inspect shows the same default */
  assert_id(property_id(element), "(null)");
  GstHarness *h = gst_harness_new_with_element(element, "sink", "src");
  gst_harness_set_src_caps_str(h, AUDIO_CAPS);
  const std::string generated = property_id(element);
  fail_unless_equals_int(generated.size(), 24);

  GstMessage *message = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
  fail_unless(message != nullptr);
  const GstStructure *structure = gst_message_get_structure(message);
  fail_unless(gst_structure_has_name(structure, "sessiontag"));
  fail_unless_equals_string(gst_structure_get_string(structure, "webrtc-id"), generated.c_str());
  gboolean was_generated = FALSE;
  fail_unless(gst_structure_get_boolean(structure, "generated", &was_generated));
  fail_unless(was_generated);
  gst_message_unref(message);

  GstBuffer *out = gst_harness_push_and_pull(h, new_audio_buffer());
  assert_id(webrtc_id_of(out), generated);
  gst_buffer_unref(out);

  /* Two elements never share a generated id. */
  GstElement *other = gst_element_factory_make("sessiontag", nullptr);
  fail_unless_equals_int(gst_element_set_state(other, GST_STATE_PAUSED), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int(property_id(other).size(), 24);
  fail_if(property_id(other) == generated);
  gst_element_set_state(other, GST_STATE_NULL);
  gst_object_unref(other);

  gst_harness_teardown(h);
  gst_element_set_bus(element, nullptr);
  gst_object_unref(element);
  gst_object_unref(bus);
}
GST_END_TEST;

/* webrtc-id defaults to NULL (the same at every gst-inspect); the id is
 * generated at READY->PAUSED, kept across restarts, and made anew after
 * the application unsets it. Fields set before any id go with it. */
GST_START_TEST(test_id_generated_at_start_when_unset) {
  GstElement *element;
  GstBus *bus = element_with_own_bus(&element);
  GstElement *twin = gst_element_factory_make("sessiontag", nullptr);
  assert_id(property_id(element), property_id(twin));
  gst_object_unref(twin);
  GstVoiceKitSessionContext *context = nullptr;
  g_object_get(element, "context", &context, nullptr);
  fail_unless(context == nullptr);
  GstStructure *fields = gst_structure_from_string("session,user=carol", nullptr);
  g_object_set(element, "fields", fields, nullptr);
  gst_structure_free(fields);

  fail_unless_equals_int(gst_element_set_state(element, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  assert_id(property_id(element), "(null)");
  assert_id(announced_id(bus), "(none)");
  fail_unless_equals_int(gst_element_set_state(element, GST_STATE_PAUSED),
                         GST_STATE_CHANGE_SUCCESS);
  const std::string first_id = property_id(element);
  fail_unless_equals_int(first_id.size(), 24);
  assert_id(announced_id(bus), first_id);
  g_object_get(element, "context", &context, nullptr);
  fail_unless(context != nullptr);
  assert_id(gst_voicekit_session_context_get_webrtc_id(context), first_id);
  fail_unless_equals_string(
      gst_structure_get_string(gst_voicekit_session_context_get_fields(context), "user"), "carol");
  gst_voicekit_session_context_unref(context);

  /* a restart keeps the session, and announces nothing new */
  gst_element_set_state(element, GST_STATE_READY);
  assert_id(property_id(element), first_id);
  gst_element_set_state(element, GST_STATE_PAUSED);
  assert_id(property_id(element), first_id);
  assert_id(announced_id(bus), "(none)");

  /* unset while stopped: a new id at the next start, with the same fields */
  gst_element_set_state(element, GST_STATE_READY);
  g_object_set(element, "webrtc-id", nullptr, nullptr);
  assert_id(property_id(element), "(null)");
  fields = nullptr;
  g_object_get(element, "fields", &fields, nullptr);
  fail_unless(fields != nullptr);
  fail_unless_equals_string(gst_structure_get_string(fields, "user"), "carol");
  gst_structure_free(fields);
  gst_element_set_state(element, GST_STATE_PAUSED);
  const std::string second_id = property_id(element);
  fail_unless_equals_int(second_id.size(), 24);
  fail_if(second_id == first_id);
  assert_id(announced_id(bus), second_id);
  fail_unless(gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING) == nullptr);

  gst_element_set_state(element, GST_STATE_NULL);
  gst_element_set_bus(element, nullptr);
  gst_object_unref(element);
  gst_object_unref(bus);
}
GST_END_TEST;

GST_START_TEST(test_invalid_ids_refused_previous_kept) {
  GstElement *element;
  GstBus *bus = element_with_own_bus(&element);
  g_object_set(element, "webrtc-id", "good-id", nullptr);
  GstHarness *h = gst_harness_new_with_element(element, "sink", "src");
  gst_harness_set_src_caps_str(h, AUDIO_CAPS);

  const std::string too_long(GST_VOICEKIT_SESSION_ID_MAX_LENGTH + 1, 'x');
  const char *bad_ids[] = {"",     "bad\xff\xfeutf8", "ctrl\x01", "line\nbreak", too_long.c_str(),
                           nullptr};
  for (const char *bad : bad_ids) {
    g_object_set(element, "webrtc-id", bad, nullptr);
    assert_id(property_id(element), "good-id");
    GstMessage *message = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING);
    fail_unless(message != nullptr, "no warning for a refused id");
    GError *error = nullptr;
    gst_message_parse_warning(message, &error, nullptr);
    fail_unless(g_str_has_prefix(error->message, "Refusing webrtc-id"), error->message);
    g_error_free(error);
    gst_message_unref(message);
    GstBuffer *out = gst_harness_push_and_pull(h, new_audio_buffer());
    assert_id(webrtc_id_of(out), "good-id");
    gst_buffer_unref(out);
  }
  /* the limit itself is fine */
  const std::string longest(GST_VOICEKIT_SESSION_ID_MAX_LENGTH, 'y');
  g_object_set(element, "webrtc-id", longest.c_str(), nullptr);
  assert_id(property_id(element), longest);
  fail_unless(gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING) == nullptr);

  gst_harness_teardown(h);
  gst_element_set_bus(element, nullptr);
  gst_object_unref(element);
  gst_object_unref(bus);
}
GST_END_TEST;

GST_START_TEST(test_retags_foreign_session) {
  GstHarness *h = new_tag_harness("ours");
  /* upstream claims another session, by meta and by sticky event */
  GstVoiceKitSessionContext *foreign = gst_voicekit_session_context_new("theirs", nullptr);
  gst_harness_push_event(h, gst_voicekit_event_new_session(foreign));
  GstBuffer *in = new_audio_buffer();
  gst_voicekit_buffer_set_session_context(in, foreign);
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  assert_id(webrtc_id_of(out), "ours");
  fail_unless_equals_int(count_session_metas(out), 1);
  gst_buffer_unref(out);
  fail_unless(pull_session_event_ids(h) == std::vector<std::string>{"ours"});
  assert_id(sticky_id(h->sinkpad), "ours");

  /* a buffer shared with somebody else is re-tagged on a new buffer struct
   * (same memory), the other holder's buffer keeps its own session */
  GstBuffer *shared = new_audio_buffer();
  gst_voicekit_buffer_set_session_context(shared, foreign);
  gst_buffer_ref(shared);
  out = gst_harness_push_and_pull(h, shared);
  assert_id(webrtc_id_of(out), "ours");
  assert_id(webrtc_id_of(shared), "theirs");
  fail_unless(gst_buffer_peek_memory(out, 0) == gst_buffer_peek_memory(shared, 0));
  gst_buffer_unref(out);
  gst_buffer_unref(shared);
  gst_voicekit_session_context_unref(foreign);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_buffer_lists) {
  GstHarness *h = new_tag_harness("listed");
  GstBufferList *list = gst_buffer_list_new();
  for (int i = 0; i < 4; i++)
    gst_buffer_list_add(list, new_audio_buffer());
  fail_unless_equals_int(gst_pad_push_list(h->srcpad, list), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_received(h), 4);
  for (int i = 0; i < 4; i++) {
    GstBuffer *out = gst_harness_pull(h);
    assert_id(webrtc_id_of(out), "listed");
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_answers_session_query) {
  GstHarness *h = new_tag_harness("queried");
  GstVoiceKitSessionContext *answer = gst_voicekit_pad_query_session_context(h->sinkpad);
  fail_unless(answer != nullptr);
  fail_unless_equals_string(gst_voicekit_session_context_get_webrtc_id(answer), "queried");
  gst_voicekit_session_context_unref(answer);
  /* other queries still work (proxied upstream) */
  GstCaps *caps = gst_pad_peer_query_caps(h->sinkpad, nullptr);
  fail_unless(caps != nullptr);
  gst_caps_unref(caps);
  gst_harness_teardown(h);
}
GST_END_TEST;

static GstPadProbeReturn record_current_context(GstPad *, GstPadProbeInfo *, gpointer data) {
  auto *seen = static_cast<std::vector<std::string> *>(data);
  seen->push_back(take_webrtc_id(gst_voicekit_session_context_get_current(), "(none)"));
  return GST_PAD_PROBE_OK;
}

GST_START_TEST(test_current_context_while_pushing) {
  GstHarness *h = new_tag_harness("scoped");
  std::vector<std::string> seen;
  GstPad *srcpad = gst_element_get_static_pad(h->element, "src");
  gst_pad_add_probe(
      srcpad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      record_current_context, &seen, nullptr);
  gst_object_unref(srcpad);
  gst_buffer_unref(gst_harness_push_and_pull(h, new_audio_buffer()));
  GstBufferList *list = gst_buffer_list_new();
  gst_buffer_list_add(list, new_audio_buffer());
  gst_pad_push_list(h->srcpad, list);
  gst_buffer_unref(gst_harness_pull(h));
  fail_unless(seen == std::vector<std::string>({"scoped", "scoped"}));
  /* and nothing leaks out of the push into the calling thread */
  fail_unless(gst_voicekit_session_context_get_current() == nullptr);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_any_caps_video_passes) {
  GstHarness *h = new_tag_harness("video");
  gst_harness_set_src_caps_str(h, "video/x-raw,format=I420,width=32,height=16,framerate=30/1");
  GstBuffer *out = gst_harness_push_and_pull(h, new_audio_buffer(32 * 16 * 3 / 2));
  assert_id(webrtc_id_of(out), "video");
  gst_buffer_unref(out);
  GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
  GstStructure *structure = gst_caps_get_structure(caps, 0);
  fail_unless(gst_structure_has_name(structure, "video/x-raw"));
  gst_caps_unref(caps);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_gap_and_eos_carry_the_session_first) {
  GstHarness *h = new_tag_harness("gappy");
  gst_harness_push_event(h, gst_event_new_gap(0, GST_SECOND / 50));
  assert_id(sticky_id(h->sinkpad), "gappy");
  gst_harness_teardown(h);
}
GST_END_TEST;

/* ---- what a reader after sessiontag sees, buffer by buffer ------------------ */

/* A pad probe on buffers and downstream events: keeps the id of the latest
 * session event in check->last_event_id and hands every buffer to
 * check->on_buffer(), so a check compares each buffer with the event before it. */
template <typename Check>
static GstPadProbeReturn follow_session(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *check = static_cast<Check *>(data);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    check->on_buffer(GST_PAD_PROBE_INFO_BUFFER(info));
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    const std::string id = voicekit::testing::session_event_id(GST_PAD_PROBE_INFO_EVENT(info));
    if (!id.empty())
      check->last_event_id = id;
  }
  return GST_PAD_PROBE_OK;
}

template <typename Check> static void add_session_probe(GstPad *pad, Check *check) {
  gst_pad_add_probe(
      pad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      follow_session<Check>, check, nullptr);
}

/* Counts the buffers whose value (id, branch) differs from the previous one's. */
struct ChangeCount {
  std::string last;
  int changes = 0;
  void see(const std::string &value) {
    if (!last.empty() && value != last)
      changes++;
    last = value;
  }
};

/* Waits up to 60 s for the pipeline's end of stream: false on an error or
 * when it does not come. */
static bool reaches_eos(GstElement *pipeline) {
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *done = gst_bus_timed_pop_filtered(
      bus, 60 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const bool eos = done != nullptr && GST_MESSAGE_TYPE(done) == GST_MESSAGE_EOS;
  if (done != nullptr)
    gst_message_unref(done);
  gst_object_unref(bus);
  return eos;
}

/* The id can change from another thread while buffers flow: every buffer is
 * tagged with one of the ids, the sticky event seen before a buffer always
 * matches its meta, and ids never go back to an older value. */
struct FlowCheck {
  std::string last_event_id;
  int buffers = 0;
  int mismatches = 0;
  ChangeCount ids;
  void on_buffer(GstBuffer *buffer) {
    buffers++;
    const std::string id = webrtc_id_of(buffer);
    if (id != last_event_id)
      mismatches++;
    ids.see(id);
  }
};

struct Changer {
  GstElement *element;
  gint stop = 0;
  int changes = 0;
};

/* Changes the id until told to stop: the changes overlap the whole stream. */
static gpointer change_ids(gpointer data) {
  auto *changer = static_cast<Changer *>(data);
  while (!g_atomic_int_get(&changer->stop)) {
    gchar *id = g_strdup_printf("id-%d", changer->changes++);
    g_object_set(changer->element, "webrtc-id", id, nullptr);
    g_free(id);
    g_usleep(20);
  }
  return nullptr;
}

GST_START_TEST(test_concurrent_id_changes_never_mismatch) {
  GstElement *pipeline =
      gst_parse_launch("audiotestsrc num-buffers=20000 samplesperbuffer=64 ! sessiontag name=tag "
                       "! fakesink name=sink sync=false",
                       nullptr);
  GstElement *tag = gst_bin_get_by_name(GST_BIN(pipeline), "tag");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
  FlowCheck check;
  add_session_probe(sinkpad, &check);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  Changer changer{tag};
  GThread *thread = g_thread_new("changer", change_ids, &changer);
  const bool eos = reaches_eos(pipeline);
  g_atomic_int_set(&changer.stop, 1);
  g_thread_join(thread);
  fail_unless(eos);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  GST_INFO("%d changes, %d id changes seen in %d buffers", changer.changes, check.ids.changes,
           check.buffers);
  fail_unless_equals_int(check.buffers, 20000);
  fail_unless_equals_int(check.mismatches, 0);
  /* the changes really happened while buffers flowed */
  fail_unless(check.ids.changes >= 10, "only %d id changes seen", check.ids.changes);
  gst_object_unref(sinkpad);
  gst_object_unref(sink);
  gst_object_unref(tag);
  gst_object_unref(pipeline);
}
GST_END_TEST;

/* ---- meta survival through the elements users put after sessiontag --------- */

/* appsink's pull-sample action signal: NULL at EOS. */
static GstSample *gst_app_sink_like_pull(GstElement *appsink) {
  GstSample *sample = nullptr;
  g_signal_emit_by_name(appsink, "pull-sample", &sample);
  return sample;
}

/* audioresample makes one last buffer from its filter history when it drains
 * at EOS: no input buffer, so no meta to copy. Readers find the session of
 * such a buffer in the sticky event, which this check also asserts. */
enum class DrainTail { kTagged, kMayBeUntagged };

static void check_survival(const char *chain, int min_buffers,
                           DrainTail drain = DrainTail::kTagged) {
  gchar *description =
      g_strdup_printf("audiotestsrc num-buffers=40 samplesperbuffer=960 "
                      "! audio/x-raw,format=S16LE,rate=48000,channels=1 "
                      "! sessiontag webrtc-id=survivor ! %s ! appsink name=sink sync=false",
                      chain);
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description, &error);
  fail_unless(pipeline != nullptr && error == nullptr, "%s: %s", description,
              error != nullptr ? error->message : "");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  int buffers = 0;
  int untagged = 0;
  int wrong = 0;
  bool last_untagged = false;
  GstSample *sample;
  while ((sample = gst_app_sink_like_pull(sink)) != nullptr) {
    buffers++;
    const std::string id = webrtc_id_of(gst_sample_get_buffer(sample));
    last_untagged = id == "(none)";
    if (last_untagged)
      untagged++;
    else if (id != "survivor")
      wrong++;
    gst_sample_unref(sample);
  }
  if (drain == DrainTail::kMayBeUntagged && last_untagged)
    untagged--;
  GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
  const std::string sticky = sticky_id(sinkpad);
  gst_object_unref(sinkpad);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  GST_INFO("%s: %d buffers, %d without the session", chain, buffers, untagged);
  fail_unless(buffers >= min_buffers, "%s: only %d buffers", chain, buffers);
  fail_unless(wrong == 0, "%s: %d of %d buffers carry a wrong session", chain, wrong, buffers);
  fail_unless(untagged == 0, "%s: %d of %d buffers lost the session meta", chain, untagged,
              buffers);
  fail_unless(sticky == "survivor", "%s: sticky event says '%s'", chain, sticky.c_str());
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  g_free(description);
}

GST_START_TEST(test_survives_queue) {
  check_survival("queue", 40);
}
GST_END_TEST;
GST_START_TEST(test_survives_tee) {
  check_survival("tee ! queue", 40);
}
GST_END_TEST;
GST_START_TEST(test_survives_audioconvert) {
  check_survival("audioconvert ! audio/x-raw,format=F32LE,channels=2", 40);
}
GST_END_TEST;
GST_START_TEST(test_survives_audioresample) {
  check_survival("audioresample ! audio/x-raw,rate=16000", 40, DrainTail::kMayBeUntagged);
}
GST_END_TEST;
GST_START_TEST(test_survives_volume) {
  check_survival("volume volume=0.5", 40);
}
GST_END_TEST;
GST_START_TEST(test_survives_level) {
  check_survival("level post-messages=true", 40);
}
GST_END_TEST;
GST_START_TEST(test_survives_audiobuffersplit) {
  /* 20 ms in, 10 ms out: new buffers made from parts of old ones */
  check_survival("audiobuffersplit output-buffer-duration=1/100", 80);
}
GST_END_TEST;
GST_START_TEST(test_survives_opus_encode_decode) {
  check_survival("opusenc ! opusdec", 35);
}
GST_END_TEST;
GST_START_TEST(test_survives_rtp_opus_pay_depay) {
  check_survival("opusenc ! rtpopuspay ! rtpopusdepay ! opusdec", 35);
}
GST_END_TEST;
GST_START_TEST(test_survives_whole_webrtc_like_chain) {
  check_survival("queue ! audioconvert ! audioresample ! audio/x-raw,rate=24000 ! volume ! level "
                 "! audiobuffersplit ! opusenc ! rtpopuspay ! rtpopusdepay ! opusdec "
                 "! audioconvert ! audioresample ! audio/x-raw,rate=16000",
                 35, DrainTail::kMayBeUntagged);
}
GST_END_TEST;

/* ---- two sessions into one funnel ----------------------------------------- */

/* Branch "alpha" sends 160-sample buffers, branch "beta" 441-sample ones, so
 * each buffer tells which branch it came from. Live sources: both branches
 * run at once, paced by the clock, so the funnel switches sessions all the time. Every buffer after
 * the funnel must carry its own branch's id, in the meta and in the sticky event that precedes it.
 */
struct FunnelCheck {
  std::string last_event_id;
  int alpha = 0;
  int beta = 0;
  int wrong_meta = 0;
  int wrong_event = 0;
  ChangeCount branches;
  void on_buffer(GstBuffer *buffer) {
    const gsize samples = gst_buffer_get_size(buffer) / 2;
    const std::string expected = samples == 160 ? "alpha" : samples == 441 ? "beta" : "?";
    (expected == "alpha" ? alpha : beta)++;
    branches.see(expected);
    if (webrtc_id_of(buffer) != expected)
      wrong_meta++;
    if (last_event_id != expected)
      wrong_event++;
  }
};

GST_START_TEST(test_two_sessions_into_one_funnel) {
  GstElement *pipeline = gst_parse_launch(
      "funnel name=f ! fakesink name=sink sync=false "
      "audiotestsrc is-live=true num-buffers=400 samplesperbuffer=160 "
      "! audio/x-raw,format=S16LE,channels=1 "
      "! sessiontag webrtc-id=alpha ! queue ! f. "
      "audiotestsrc is-live=true num-buffers=400 samplesperbuffer=441 freq=880 "
      "! audio/x-raw,format=S16LE,channels=1 ! sessiontag webrtc-id=beta ! queue ! f.",
      nullptr);
  fail_unless(pipeline != nullptr);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
  FunnelCheck check;
  add_session_probe(sinkpad, &check);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  fail_unless(reaches_eos(pipeline));
  gst_element_set_state(pipeline, GST_STATE_NULL);
  GST_INFO("funnel: alpha %d, beta %d, wrong meta %d, wrong event %d, switches %d", check.alpha,
           check.beta, check.wrong_meta, check.wrong_event, check.branches.changes);
  fail_unless_equals_int(check.alpha, 400);
  fail_unless_equals_int(check.beta, 400);
  fail_unless_equals_int(check.wrong_meta, 0);
  fail_unless_equals_int(check.wrong_event, 0);
  /* the branches really interleaved, so the funnel switched sessions often */
  fail_unless(check.branches.changes >= 20, "only %d switches between sessions",
              check.branches.changes);
  gst_object_unref(sinkpad);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
}
GST_END_TEST;

/* ---- state changes at any moment -------------------------------------------- */

GST_START_TEST(test_state_cycles_keep_the_session) {
  GstElement *pipeline = gst_parse_launch(
      "audiotestsrc is-live=true samplesperbuffer=480 ! sessiontag webrtc-id=cycled name=tag "
      "! fakesink name=sink sync=false",
      nullptr);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
  FlowCheck check;
  check.last_event_id = "(none)";
  add_session_probe(sinkpad, &check);
  const GstState states[] = {GST_STATE_PLAYING, GST_STATE_PAUSED,  GST_STATE_PLAYING,
                             GST_STATE_READY,   GST_STATE_PLAYING, GST_STATE_NULL,
                             GST_STATE_PLAYING, GST_STATE_READY};
  for (int round = 0; round < 5; round++) {
    for (GstState state : states) {
      fail_if(gst_element_set_state(pipeline, state) == GST_STATE_CHANGE_FAILURE);
      gst_element_get_state(pipeline, nullptr, nullptr, GST_SECOND);
      g_usleep(2000);
    }
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  fail_unless(check.buffers > 0);
  fail_unless_equals_int(check.mismatches, 0);
  gst_object_unref(sinkpad);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
}
GST_END_TEST;

static Suite *sessiontag_suite(void) {
  Suite *suite = suite_create("sessiontag");
  TCase *basics = tcase_create("basics");
  suite_add_tcase(suite, basics);
  tcase_add_test(basics, test_tags_every_buffer_without_copying_audio);
  tcase_add_test(basics, test_webrtc_id_change_while_playing);
  tcase_add_test(basics, test_fields_property);
  tcase_add_test(basics, test_generates_and_announces_id);
  tcase_add_test(basics, test_id_generated_at_start_when_unset);
  tcase_add_test(basics, test_invalid_ids_refused_previous_kept);
  tcase_add_test(basics, test_retags_foreign_session);
  tcase_add_test(basics, test_buffer_lists);
  tcase_add_test(basics, test_answers_session_query);
  tcase_add_test(basics, test_current_context_while_pushing);
  tcase_add_test(basics, test_any_caps_video_passes);
  tcase_add_test(basics, test_gap_and_eos_carry_the_session_first);

  TCase *survival = tcase_create("survival");
  suite_add_tcase(suite, survival);
  tcase_add_test(survival, test_survives_queue);
  tcase_add_test(survival, test_survives_tee);
  tcase_add_test(survival, test_survives_audioconvert);
  tcase_add_test(survival, test_survives_audioresample);
  tcase_add_test(survival, test_survives_volume);
  tcase_add_test(survival, test_survives_level);
  tcase_add_test(survival, test_survives_audiobuffersplit);
  tcase_add_test(survival, test_survives_opus_encode_decode);
  tcase_add_test(survival, test_survives_rtp_opus_pay_depay);
  tcase_add_test(survival, test_survives_whole_webrtc_like_chain);

  TCase *sessions = tcase_create("sessions");
  suite_add_tcase(suite, sessions);
  tcase_set_timeout(sessions, 120);
  tcase_add_test(sessions, test_two_sessions_into_one_funnel);
  tcase_add_test(sessions, test_concurrent_id_changes_never_mismatch);
  tcase_add_test(sessions, test_state_cycles_keep_the_session);
  return suite;
}

GST_CHECK_MAIN(sessiontag);
