/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Unit tests of the session library (gst/voicekit/session.h): ids, context,
 * meta, sticky event, query and the thread-local current context.
 */
#include <gst/voicekit/session-scope.hpp>
#include <gst/voicekit/session.h>

#include "../common/session-checks.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

struct ContextDeleter {
  void operator()(GstVoiceKitSessionContext *context) const {
    if (context != nullptr)
      gst_voicekit_session_context_unref(context);
  }
};
using ContextPtr = std::unique_ptr<GstVoiceKitSessionContext, ContextDeleter>;

ContextPtr make_context(const char *id, const GstStructure *fields = nullptr) {
  return ContextPtr(gst_voicekit_session_context_new(id, fields));
}

bool id_is_valid(const std::string &id, std::string *why = nullptr) {
  GError *error = nullptr;
  const bool valid = gst_voicekit_session_id_is_valid(id.c_str(), &error);
  if (error != nullptr) {
    if (why != nullptr)
      *why = error->message;
    g_error_free(error);
  }
  return valid;
}

} /* namespace */

TEST(SessionId, AcceptsOrdinaryIds) {
  EXPECT_TRUE(id_is_valid("abc"));
  EXPECT_TRUE(id_is_valid("caller-42_x.y:z"));
  EXPECT_TRUE(id_is_valid("séance-日本"));
  EXPECT_TRUE(id_is_valid(std::string(GST_VOICEKIT_SESSION_ID_MAX_LENGTH, 'a')));
}

TEST(SessionId, RefusesBadIdsWithAReason) {
  std::string why;
  EXPECT_FALSE(gst_voicekit_session_id_is_valid(nullptr, nullptr));
  EXPECT_FALSE(id_is_valid("", &why));
  EXPECT_NE(why.find("empty"), std::string::npos);
  EXPECT_FALSE(id_is_valid(std::string(GST_VOICEKIT_SESSION_ID_MAX_LENGTH + 1, 'a'), &why));
  EXPECT_NE(why.find("257"), std::string::npos);
  EXPECT_FALSE(id_is_valid("abc\xff\xfe", &why));
  EXPECT_NE(why.find("UTF-8"), std::string::npos);
  EXPECT_FALSE(id_is_valid("a\nb", &why));
  EXPECT_NE(why.find("control"), std::string::npos);
  EXPECT_FALSE(id_is_valid("\x01"));
  EXPECT_FALSE(id_is_valid("tab\there"));
  EXPECT_FALSE(id_is_valid("del\x7f"));
  EXPECT_FALSE(id_is_valid("c1\xc2\x85")); /* U+0085, a C1 control */
}

TEST(SessionId, GeneratedIdsAreUrlSafeLongAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; i++) {
    gchar *id = gst_voicekit_session_id_generate();
    const std::string text(id);
    g_free(id);
    ASSERT_EQ(text.size(), 24u); /* 144 bits in base64 */
    for (char c : text)
      ASSERT_TRUE(g_ascii_isalnum(c) || c == '-' || c == '_') << text;
    ASSERT_TRUE(id_is_valid(text));
    ASSERT_TRUE(seen.insert(text).second) << "duplicate " << text;
  }
}

TEST(SessionContext, HoldsIdTimeAndFields) {
  GstStructure *fields = gst_structure_from_string("session, user=alice, level=(int)3", nullptr);
  const gint64 before = g_get_real_time();
  ContextPtr context = make_context("abc", fields);
  const gint64 after = g_get_real_time();
  gst_structure_set(fields, "user", G_TYPE_STRING, "mallory", nullptr); /* was copied */
  ASSERT_TRUE(context);
  EXPECT_STREQ(gst_voicekit_session_context_get_webrtc_id(context.get()), "abc");
  EXPECT_GE(gst_voicekit_session_context_get_created_us(context.get()), before);
  EXPECT_LE(gst_voicekit_session_context_get_created_us(context.get()), after);
  const GstStructure *held = gst_voicekit_session_context_get_fields(context.get());
  ASSERT_NE(held, nullptr);
  EXPECT_STREQ(gst_structure_get_string(held, "user"), "alice");
  gst_structure_free(fields);

  ContextPtr bare = make_context("abc");
  EXPECT_EQ(gst_voicekit_session_context_get_fields(bare.get()), nullptr);
}

TEST(SessionContext, RefusesInvalidId) {
  EXPECT_FALSE(make_context(""));
  EXPECT_FALSE(make_context("bad\x02"));
}

TEST(SessionContext, EqualityComparesEverything) {
  GstStructure *fields = gst_structure_from_string("s, user=alice", nullptr);
  ContextPtr a(gst_voicekit_session_context_new_full("x", fields, 10));
  ContextPtr b(gst_voicekit_session_context_new_full("x", fields, 10));
  ContextPtr other_time(gst_voicekit_session_context_new_full("x", fields, 11));
  ContextPtr other_id(gst_voicekit_session_context_new_full("y", fields, 10));
  ContextPtr no_fields(gst_voicekit_session_context_new_full("x", nullptr, 10));
  gst_structure_free(fields);
  EXPECT_TRUE(gst_voicekit_session_context_is_equal(a.get(), b.get()));
  EXPECT_FALSE(gst_voicekit_session_context_is_equal(a.get(), other_time.get()));
  EXPECT_FALSE(gst_voicekit_session_context_is_equal(a.get(), other_id.get()));
  EXPECT_FALSE(gst_voicekit_session_context_is_equal(a.get(), no_fields.get()));
  EXPECT_FALSE(gst_voicekit_session_context_is_equal(a.get(), nullptr));
  EXPECT_TRUE(gst_voicekit_session_context_is_equal(nullptr, nullptr));
}

/* Fields GStreamer cannot compare (a list mixing types) compare without a
 * CRITICAL; field order does not matter; values and names do. */
TEST(SessionContext, EqualityOfAwkwardFields) {
  g_log_set_always_fatal(static_cast<GLogLevelFlags>(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING));
  auto context = [](const char *text) {
    GstStructure *fields = gst_structure_from_string(text, nullptr);
    EXPECT_NE(fields, nullptr) << text;
    ContextPtr made(gst_voicekit_session_context_new_full("x", fields, 10));
    gst_structure_free(fields);
    return made;
  };
  EXPECT_TRUE(gst_voicekit_session_context_is_equal(context("s, l={1,abc,3}").get(),
                                                    context("s, l={1,abc,3}").get()));
  EXPECT_FALSE(gst_voicekit_session_context_is_equal(context("s, l={1,abc,3}").get(),
                                                     context("s, l={1,abd,3}").get()));
  EXPECT_TRUE(gst_voicekit_session_context_is_equal(context("s, a=1, b=two").get(),
                                                    context("s, b=two, a=1").get()));
  EXPECT_FALSE(
      gst_voicekit_session_context_is_equal(context("s, a=1").get(), context("t, a=1").get()));
  EXPECT_FALSE(gst_voicekit_session_context_is_equal(context("s, a=1").get(),
                                                     context("s, a=(string)1").get()));
  EXPECT_FALSE(
      gst_voicekit_session_context_is_equal(context("s, a=1").get(), context("s, a=1, b=2").get()));
}

TEST(SessionContext, BoxedCopyIsAReference) {
  ContextPtr context = make_context("boxed");
  gpointer copy = g_boxed_copy(GST_TYPE_VOICEKIT_SESSION_CONTEXT, context.get());
  EXPECT_EQ(copy, context.get());
  g_boxed_free(GST_TYPE_VOICEKIT_SESSION_CONTEXT, copy);
  EXPECT_STREQ(gst_voicekit_session_context_get_webrtc_id(context.get()), "boxed");
}

using voicekit::testing::count_session_metas;

TEST(SessionMeta, HasNoTagsSoTransformsKeepIt) {
  const gchar *const *tags = gst_meta_api_type_get_tags(GST_VOICEKIT_SESSION_META_API_TYPE);
  EXPECT_TRUE(tags == nullptr || tags[0] == nullptr);
  EXPECT_FALSE(
      gst_meta_api_type_has_tag(GST_VOICEKIT_SESSION_META_API_TYPE, g_quark_from_string("audio")));
}

TEST(SessionMeta, SetGetAndRetagKeepsOneMeta) {
  ContextPtr alice = make_context("alice");
  ContextPtr bob = make_context("bob");
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, 64, nullptr);
  EXPECT_EQ(gst_voicekit_buffer_get_webrtc_id(buffer), nullptr);
  EXPECT_EQ(gst_voicekit_buffer_get_session_context(buffer), nullptr);

  gst_voicekit_buffer_set_session_context(buffer, alice.get());
  EXPECT_STREQ(gst_voicekit_buffer_get_webrtc_id(buffer), "alice");
  gst_voicekit_buffer_set_session_context(buffer, bob.get());
  EXPECT_STREQ(gst_voicekit_buffer_get_webrtc_id(buffer), "bob");
  EXPECT_EQ(gst_voicekit_buffer_get_session_context(buffer),
            bob.get()); /* a reference, not a copy */
  EXPECT_EQ(count_session_metas(buffer), 1u);
  gst_buffer_unref(buffer);
}

TEST(SessionMeta, CopiedWithTheBufferAndHoldsTheContextAlive) {
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, 64, nullptr);
  {
    ContextPtr context = make_context("survivor");
    gst_voicekit_buffer_set_session_context(buffer, context.get());
  }
  GstBuffer *copy = gst_buffer_copy(buffer);
  gst_buffer_unref(buffer);
  EXPECT_STREQ(gst_voicekit_buffer_get_webrtc_id(copy), "survivor");
  EXPECT_EQ(count_session_metas(copy), 1u);

  GstBuffer *region = gst_buffer_copy_region(copy, GST_BUFFER_COPY_ALL, 8, 16);
  EXPECT_STREQ(gst_voicekit_buffer_get_webrtc_id(region), "survivor");
  gst_buffer_unref(region);
  gst_buffer_unref(copy);
}

TEST(SessionMeta, TransformOfAnyKindCopies) {
  ContextPtr context = make_context("any-transform");
  GstBuffer *source = gst_buffer_new_allocate(nullptr, 16, nullptr);
  GstBuffer *dest = gst_buffer_new_allocate(nullptr, 16, nullptr);
  GstMeta *meta = GST_META_CAST(gst_voicekit_buffer_set_session_context(source, context.get()));
  /* A transform type nobody knows (as an encoder or converter would pass). */
  meta->info->transform_func(dest, meta, source, g_quark_from_static_string("made-up-transform"),
                             nullptr);
  EXPECT_STREQ(gst_voicekit_buffer_get_webrtc_id(dest), "any-transform");
  /* Transforming onto a buffer that already has a session replaces it. */
  ContextPtr other = make_context("other");
  GstBuffer *tagged = gst_buffer_new_allocate(nullptr, 16, nullptr);
  gst_voicekit_buffer_set_session_context(tagged, other.get());
  meta->info->transform_func(tagged, meta, source, g_quark_from_static_string("gst-copy"), nullptr);
  EXPECT_STREQ(gst_voicekit_buffer_get_webrtc_id(tagged), "any-transform");
  EXPECT_EQ(count_session_metas(tagged), 1u);
  gst_buffer_unref(tagged);
  gst_buffer_unref(dest);
  gst_buffer_unref(source);
}

TEST(SessionEvent, RoundTripsAndIsStickySerializedDownstream) {
  ContextPtr context = make_context("evt", nullptr);
  GstEvent *event = gst_voicekit_event_new_session(context.get());
  EXPECT_EQ(GST_EVENT_TYPE(event), GST_EVENT_CUSTOM_DOWNSTREAM_STICKY);
  EXPECT_TRUE(GST_EVENT_IS_STICKY(event));
  EXPECT_TRUE(GST_EVENT_IS_SERIALIZED(event));
  EXPECT_TRUE(GST_EVENT_IS_DOWNSTREAM(event));
  const GstStructure *structure = gst_event_get_structure(event);
  EXPECT_STREQ(gst_structure_get_string(structure, "webrtc-id"), "evt");
  ContextPtr parsed(gst_voicekit_event_parse_session(event));
  EXPECT_EQ(parsed.get(), context.get());
  gst_event_unref(event);

  GstEvent *unrelated = gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
                                             gst_structure_new_empty("something-else"));
  EXPECT_EQ(gst_voicekit_event_parse_session(unrelated), nullptr);
  gst_event_unref(unrelated);
  GstEvent *eos = gst_event_new_eos();
  EXPECT_EQ(gst_voicekit_event_parse_session(eos), nullptr);
  gst_event_unref(eos);
}

TEST(SessionEvent, PadFindsItAmongOtherCustomStickyEvents) {
  GstPad *src = gst_pad_new("src", GST_PAD_SRC);
  GstPad *sink = gst_pad_new("sink", GST_PAD_SINK);
  ASSERT_EQ(gst_pad_link(src, sink), GST_PAD_LINK_OK);
  gst_pad_set_active(src, TRUE);
  gst_pad_set_active(sink, TRUE);
  EXPECT_EQ(gst_voicekit_pad_get_session_context(sink), nullptr);
  gst_pad_push_event(src, gst_event_new_stream_start("s"));
  gst_pad_push_event(src, gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
                                               gst_structure_new_empty("aaa-first")));
  ContextPtr first = make_context("first");
  ContextPtr second = make_context("second");
  gst_pad_push_event(src, gst_voicekit_event_new_session(first.get()));
  gst_pad_push_event(src, gst_voicekit_event_new_session(second.get())); /* overwrites */
  ContextPtr found(gst_voicekit_pad_get_session_context(sink));
  ASSERT_TRUE(found);
  EXPECT_STREQ(gst_voicekit_session_context_get_webrtc_id(found.get()), "second");
  gst_pad_set_active(src, FALSE);
  gst_pad_set_active(sink, FALSE);
  gst_object_unref(src);
  gst_object_unref(sink);
}

static gboolean answer_session_query(GstPad *, GstObject *, GstQuery *query) {
  if (GST_QUERY_TYPE(query) != GST_QUERY_CUSTOM)
    return FALSE;
  ContextPtr context = make_context("answered");
  gst_voicekit_query_set_session(query, context.get());
  return TRUE;
}

TEST(SessionQuery, AsksUpstream) {
  GstPad *src = gst_pad_new("src", GST_PAD_SRC);
  GstPad *sink = gst_pad_new("sink", GST_PAD_SINK);
  EXPECT_EQ(gst_voicekit_pad_query_session_context(sink), nullptr); /* unlinked */
  gst_pad_set_query_function(src, answer_session_query);
  ASSERT_EQ(gst_pad_link(src, sink), GST_PAD_LINK_OK);
  ContextPtr answer(gst_voicekit_pad_query_session_context(sink));
  ASSERT_TRUE(answer);
  EXPECT_STREQ(gst_voicekit_session_context_get_webrtc_id(answer.get()), "answered");

  GstQuery *unanswered = gst_voicekit_query_new_session();
  EXPECT_EQ(gst_voicekit_query_parse_session(unanswered), nullptr);
  gst_query_unref(unanswered);
  gst_object_unref(src);
  gst_object_unref(sink);
}

TEST(CurrentContext, NullOutsideAnyScopeAndNests) {
  EXPECT_EQ(gst_voicekit_session_context_get_current(), nullptr);
  ContextPtr outer = make_context("outer");
  ContextPtr inner = make_context("inner");
  {
    voicekit::SessionScope outer_scope(outer.get());
    ContextPtr current(gst_voicekit_session_context_get_current());
    EXPECT_EQ(current.get(), outer.get());
    {
      voicekit::SessionScope inner_scope(inner.get());
      ContextPtr nested(gst_voicekit_session_context_get_current());
      EXPECT_EQ(nested.get(), inner.get());
      voicekit::SessionScope none(nullptr); /* opens nothing */
      ContextPtr still(gst_voicekit_session_context_get_current());
      EXPECT_EQ(still.get(), inner.get());
    }
    ContextPtr back(gst_voicekit_session_context_get_current());
    EXPECT_EQ(back.get(), outer.get());
  }
  EXPECT_EQ(gst_voicekit_session_context_get_current(), nullptr);
}

TEST(CurrentContext, ScopeKeepsTheContextAlive) {
  GstVoiceKitSessionContext *context = gst_voicekit_session_context_new("short-lived", nullptr);
  gst_voicekit_session_context_push_current(context);
  gst_voicekit_session_context_unref(context); /* the scope holds its own reference */
  ContextPtr current(gst_voicekit_session_context_get_current());
  EXPECT_STREQ(gst_voicekit_session_context_get_webrtc_id(current.get()), "short-lived");
  gst_voicekit_session_context_pop_current();
  EXPECT_EQ(gst_voicekit_session_context_get_current(), nullptr);
}

/* 16 threads, each inside its own scope (and nested scopes), all at once: the
 * getter must only ever return the calling thread's own context. */
TEST(CurrentContext, SixteenThreadsOnlyEverSeeTheirOwn) {
  constexpr int kThreads = 16;
  constexpr int kIterations = 20000;
  std::atomic<int> ready{0};
  std::atomic<long> wrong{0};
  std::atomic<long> checks{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      const std::string own_id = "thread-" + std::to_string(t);
      const std::string nested_id = own_id + "-nested";
      ContextPtr own = make_context(own_id.c_str());
      ContextPtr nested = make_context(nested_id.c_str());
      ready++;
      while (ready.load() < kThreads)
        std::this_thread::yield();
      voicekit::SessionScope scope(own.get());
      for (int i = 0; i < kIterations; i++) {
        ContextPtr seen(gst_voicekit_session_context_get_current());
        if (!seen || own_id != gst_voicekit_session_context_get_webrtc_id(seen.get()))
          wrong++;
        if (i % 7 == 0) {
          voicekit::SessionScope inner(nested.get());
          ContextPtr seen_nested(gst_voicekit_session_context_get_current());
          if (!seen_nested ||
              nested_id != gst_voicekit_session_context_get_webrtc_id(seen_nested.get()))
            wrong++;
          checks++;
        }
        checks++;
        if (i % 1000 == 0)
          std::this_thread::yield();
      }
    });
  }
  for (auto &thread : threads)
    thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(checks.load(), static_cast<long>(kThreads) * kIterations);
  EXPECT_EQ(gst_voicekit_session_context_get_current(),
            nullptr); /* the main thread never had one */
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
