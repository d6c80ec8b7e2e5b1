/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Checks the message table docs/elements.md is written from
 * (tools/voicekit-docs-messages.hpp) against the elements: runs sessiontag,
 * pausedetect and replyonpause on real speech until every kind of message has
 * been posted, and fails on a message, kind, field or type the table does not
 * list, a field the table promises that a message lacks, or anything the
 * table lists that no message showed.
 */
#include "../../tools/voicekit-docs-messages.hpp"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace {

using voicekit::docs::ElementMessage;
using voicekit::docs::MessageField;

constexpr const char *kSpeech = "/usr/share/pocketsphinx/test/data/goforward.raw";
constexpr int kRate = 16000;
constexpr const char *kCaps = "audio/x-raw,format=S16LE,layout=interleaved,rate=16000,channels=1";

/* `kinds` of a table field ("" all, else space-separated) holds `kind`. */
bool field_in_kind(const MessageField &field, const std::string &kind) {
  if (field.kinds[0] == '\0')
    return true;
  gchar **names = g_strsplit(field.kinds, " ", -1);
  bool found = false;
  for (gchar **name = names; *name != nullptr; ++name)
    found = found || kind == *name;
  g_strfreev(names);
  return found;
}

std::vector<std::string> kinds_of(const ElementMessage &entry) {
  std::vector<std::string> kinds;
  for (const auto &kind : entry.kinds)
    kinds.emplace_back(kind.event);
  if (kinds.empty())
    kinds.emplace_back("");
  return kinds;
}

std::string label(const ElementMessage &entry, const std::string &kind) {
  std::string text = std::string(entry.element) + " message " + entry.name;
  if (!kind.empty())
    text += " \"" + kind + "\"";
  return text;
}

/* What the elements posted, held against the table. */
struct Checker {
  std::set<std::string> seen;        /* "element/message/kind" and "element/message/kind/field" */
  std::vector<std::string> problems; /* each once, in the order found */

  void problem(const std::string &text) {
    if (std::find(problems.begin(), problems.end(), text) == problems.end())
      problems.push_back(text);
  }

  void check(GstMessage *message) {
    if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT ||
        !GST_IS_ELEMENT(GST_MESSAGE_SRC(message)))
      return;
    GstElementFactory *factory = gst_element_get_factory(GST_ELEMENT(GST_MESSAGE_SRC(message)));
    if (factory == nullptr ||
        g_strcmp0(gst_plugin_feature_get_plugin_name(GST_PLUGIN_FEATURE(factory)), "voicekit") != 0)
      return;
    const std::string element = gst_plugin_feature_get_name(factory);
    const GstStructure *structure = gst_message_get_structure(message);
    const std::string name = gst_structure_get_name(structure);
    const ElementMessage *entry = nullptr;
    for (const auto &candidate : voicekit::docs::element_messages())
      if (element == candidate.element && name == candidate.name)
        entry = &candidate;
    if (entry == nullptr) {
      problem(element + " posts a message " + name + " the table does not list");
      return;
    }
    std::string kind;
    if (!entry->kinds.empty()) {
      const gchar *event = gst_structure_get_string(structure, "event");
      kind = event != nullptr ? event : "(none)";
      bool listed = false;
      for (const auto &known : entry->kinds)
        listed = listed || kind == known.event;
      if (!listed) {
        problem(label(*entry, kind) + ": a kind the table does not list");
        return;
      }
    }
    seen.insert(element + "/" + name + "/" + kind);
    for (gint i = 0; i < gst_structure_n_fields(structure); ++i) {
      const std::string field_name = gst_structure_nth_field_name(structure, i);
      const char *type = G_VALUE_TYPE_NAME(gst_structure_get_value(structure, field_name.c_str()));
      const MessageField *field = nullptr;
      for (const auto &candidate : entry->fields)
        if (field_name == candidate.name)
          field = &candidate;
      if (field == nullptr || !field_in_kind(*field, kind)) {
        problem(label(*entry, kind) + " has a field " + field_name + " (" + type +
                ") the table does not list for it");
        continue;
      }
      if (g_strcmp0(type, field->type) != 0)
        problem(label(*entry, kind) + ": field " + field_name + " is a " + type +
                ", the table says " + field->type);
      seen.insert(element + "/" + name + "/" + kind + "/" + field_name);
    }
    for (const auto &field : entry->fields)
      if (!field.optional && field_in_kind(field, kind) &&
          !gst_structure_has_field(structure, field.name))
        problem(label(*entry, kind) + " lacks " + field.name +
                ", which the table says it always has");
  }

  /* Everything the table lists was seen at least once. */
  void check_all_seen() {
    for (const auto &entry : voicekit::docs::element_messages()) {
      for (const auto &kind : kinds_of(entry)) {
        const std::string key = std::string(entry.element) + "/" + entry.name + "/" + kind;
        if (seen.count(key) == 0) {
          problem(label(entry, kind) + ": in the table, never posted");
          continue;
        }
        for (const auto &field : entry.fields)
          if (field_in_kind(field, kind) && seen.count(key + "/" + field.name) == 0)
            problem(label(entry, kind) + ": field " + field.name + " in the table, never posted");
      }
    }
  }
};

std::vector<std::int16_t> read_speech() {
  gchar *data = nullptr;
  gsize length = 0;
  if (!g_file_get_contents(kSpeech, &data, &length, nullptr))
    return {};
  std::vector<std::int16_t> samples(length / 2);
  memcpy(samples.data(), data, samples.size() * 2);
  g_free(data);
  return samples;
}

/* Runs `description` (an appsrc named "in" first) on `audio` in 20 ms
 * buffers to EOS, every message through `checker`. `prepare` may connect
 * signals before it plays. False on an error or a timeout. */
bool run(const char *description, const std::vector<std::int16_t> &audio, Checker &checker,
         void (*prepare)(GstElement *pipeline) = nullptr) {
  GError *error = nullptr;
  GstElement *pipeline =
      gst_parse_launch_full(description, nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &error);
  if (pipeline == nullptr || error != nullptr) {
    ADD_FAILURE() << "cannot build " << description << ": "
                  << (error != nullptr ? error->message : "unknown error");
    g_clear_error(&error);
    if (pipeline != nullptr)
      gst_object_unref(pipeline);
    return false;
  }
  if (prepare != nullptr)
    prepare(pipeline);
  GstElement *source = gst_bin_get_by_name(GST_BIN(pipeline), "in");
  GstCaps *caps = gst_caps_from_string(kCaps);
  g_object_set(source, "caps", caps, "format", GST_FORMAT_TIME, "max-bytes", G_GUINT64_CONSTANT(0),
               nullptr);
  gst_caps_unref(caps);
  constexpr size_t kChunk = kRate / 50;
  for (size_t offset = 0; offset < audio.size(); offset += kChunk) {
    const size_t samples = std::min(kChunk, audio.size() - offset);
    GstBuffer *buffer = gst_buffer_new_memdup(audio.data() + offset, samples * 2);
    GST_BUFFER_PTS(buffer) = gst_util_uint64_scale_int(offset, GST_SECOND, kRate);
    GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale_int(samples, GST_SECOND, kRate);
    GstFlowReturn flow = GST_FLOW_OK;
    g_signal_emit_by_name(source, "push-buffer", buffer, &flow);
    gst_buffer_unref(buffer);
  }
  GstFlowReturn flow = GST_FLOW_OK;
  g_signal_emit_by_name(source, "end-of-stream", &flow);
  gst_object_unref(source);

  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  bool ended = false;
  while (!ended) {
    GstMessage *message = gst_bus_timed_pop_filtered(
        bus, 60 * GST_SECOND,
        GstMessageType(GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    if (message == nullptr) {
      ADD_FAILURE() << "no EOS within 60 s: " << description;
      break;
    }
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
      gst_message_parse_error(message, &error, nullptr);
      ADD_FAILURE() << description << ": " << error->message;
      g_clear_error(&error);
      gst_message_unref(message);
      break;
    }
    ended = GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS;
    checker.check(message);
    gst_message_unref(message);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return ended;
}

/* handler=signals: the first utterance gets a reply long enough to be
 * spoken over, every later one fails. */
void reply_then_fail(GstElement *reply, guint64 number, GstSample *, gpointer) {
  gboolean accepted = FALSE;
  if (number > 1) {
    g_signal_emit_by_name(reply, "fail-reply", number, "the second reply fails", &accepted);
    return;
  }
  const size_t samples = 5 * kRate;
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, samples * 2, nullptr);
  gst_buffer_memset(buffer, 0, 0, samples * 2);
  GST_BUFFER_PTS(buffer) = 0;
  GST_BUFFER_DURATION(buffer) = 5 * GST_SECOND;
  GstCaps *caps = gst_caps_from_string(kCaps);
  GstSample *sample = gst_sample_new(buffer, caps, nullptr, nullptr);
  g_signal_emit_by_name(reply, "push-reply", number, sample, &accepted);
  g_signal_emit_by_name(reply, "end-reply", number, &accepted);
  gst_sample_unref(sample);
  gst_caps_unref(caps);
  gst_buffer_unref(buffer);
}

void connect_reply_then_fail(GstElement *pipeline) {
  GstElement *reply = gst_bin_get_by_name(GST_BIN(pipeline), "reply");
  g_signal_connect(reply, "utterance", G_CALLBACK(reply_then_fail), nullptr);
  gst_object_unref(reply);
}

TEST(ElementMessages, MatchTheTableTheReferenceIsWrittenFrom) {
  const std::vector<std::int16_t> speech = read_speech();
  ASSERT_FALSE(speech.empty()) << "cannot read " << kSpeech << " (Debian: pocketsphinx-testdata)";
  const std::vector<std::int16_t> second(kRate, 0);
  Checker checker;

  /* sessiontag without an id (it posts the one it makes); one utterance,
   * echoed: speech-start, pause, utterance, reply-start, reply-end. */
  std::vector<std::int16_t> once = speech;
  once.insert(once.end(), second.begin(), second.end());
  EXPECT_TRUE(run("appsrc name=in ! sessiontag ! pausedetect engine=builtin "
                  "! replyonpause name=reply ! fakesink sync=false",
                  once, checker));

  /* Two utterances a second apart: the first one's 5 s reply is spoken over
   * (reply-interrupted), the second one's handler fails (handler-error). */
  std::vector<std::int16_t> twice = once;
  twice.insert(twice.end(), once.begin(), once.end());
  EXPECT_TRUE(run("appsrc name=in ! sessiontag webrtc-id=caller-1 ! pausedetect engine=builtin "
                  "! replyonpause name=reply handler=signals ! fakesink sync=false",
                  twice, checker, connect_reply_then_fail));

  checker.check_all_seen();
  std::string report;
  for (const auto &problem : checker.problems)
    report += "  " + problem + "\n";
  EXPECT_TRUE(checker.problems.empty())
      << "tools/voicekit-docs-messages.hpp and the elements disagree:\n"
      << report << "Fix the table (or the element), then run scripts/gen-elements-doc.";
}

} /* namespace */

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  const int status = RUN_ALL_TESTS();
  gst_deinit();
  return status;
}
