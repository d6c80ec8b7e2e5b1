/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The bus messages each voicekit element posts, the one thing about an
 * element the GStreamer registry does not know: voicekit-docs writes this
 * table into docs/elements.md, and tests/docs/test-element-messages.cpp runs
 * the elements and fails when what they post and this table disagree.
 */
#ifndef TOOLS_VOICEKIT_DOCS_MESSAGES_HPP
#define TOOLS_VOICEKIT_DOCS_MESSAGES_HPP

#include <vector>

namespace voicekit::docs {

/* One field of a message. */
struct MessageField {
  const char *name;
  const char *type;  /* GType name of the value, as the structure holds it */
  const char *unit;  /* "ns", or "" when the value has none */
  const char *kinds; /* the `event` values whose messages carry it, space-separated; "" all */
  bool optional;     /* absent when `absent_when` says so; else always there */
  const char *meaning;
};

/* One value of a message's `event` field: a kind of that message. */
struct MessageKind {
  const char *event;
  const char *posted_when;
};

/* Element messages (GST_MESSAGE_ELEMENT) named `name` that `element` posts. */
struct ElementMessage {
  const char *element; /* factory name */
  const char *name;    /* the structure's name */
  const char *posted_when;
  std::vector<MessageKind> kinds; /* empty: the message has no `event` field */
  const char *absent_when;        /* what leaves out the fields marked optional */
  std::vector<MessageField> fields;
};

inline const std::vector<ElementMessage> &element_messages() {
  static const std::vector<ElementMessage> table = {
      {"pausedetect",
       "pausedetect",
       "on each turn decision, unless `post-messages` is FALSE; the same fields travel "
       "downstream in the \"GstVoiceKitTurn\" event",
       {
           {"speech-start", "the user started speaking: `min-speech-duration` of speech"},
           {"pause",
            "the user paused: `min-silence-duration` of silence, `max-speech-duration` reached, "
            "or EOS or a new stream during speech"},
       },
       "the audio carries no session (no sessiontag upstream)",
       {
           {"event", "gchararray", "", "", false, "the kind of decision"},
           {"utterance", "guint64", "", "", false, "counts from 1 in each stream"},
           {"running-time", "guint64", "ns", "", false,
            "running time of the end of the audio that completed the decision"},
           {"stream-time", "guint64", "ns", "", false, "the same instant in stream time"},
           {"speech-start", "guint64", "ns", "", false,
            "estimated onset, stream time, `speech-pad` before the first speech frame"},
           {"speech-end", "guint64", "ns", "pause", false, "estimated offset, stream time"},
           {"webrtc-id", "gchararray", "", "", true, "the session of the audio"},
           {"context", "GstVoiceKitSessionContext", "", "", true,
            "the whole session context of the audio"},
       }},
      {"replyonpause",
       "replyonpause",
       "at each step of a reply, unless `post-messages` is FALSE",
       {
           {"utterance", "an utterance went to the handler (at the pause)"},
           {"reply-start", "the first reply sample was pushed"},
           {"reply-end", "the last reply sample was pushed"},
           {"reply-interrupted", "the user spoke over the reply (at the speech-start)"},
           {"handler-error",
            "the handler failed, timed out, or gave no or broken audio (an element warning "
            "too)"},
       },
       "the audio carries no session (no sessiontag upstream)",
       {
           {"event", "gchararray", "", "", false, "the step"},
           {"utterance", "guint64", "", "", false,
            "the reply's number: pausedetect's utterance, or a greeting's number"},
           {"running-time", "guint64", "ns", "", false,
            "when it happened: the decision that caused it (utterance, reply-interrupted), "
            "else the output's position"},
           {"stream-time", "guint64", "ns", "", false, "the same instant in stream time"},
           {"webrtc-id", "gchararray", "", "", true, "the session of the utterance"},
           {"duration", "guint64", "ns", "utterance", false, "length of the utterance's audio"},
           {"truncated", "gboolean", "", "utterance", false,
            "the utterance was longer than `max-utterance-duration` and was cut"},
           {"latency", "guint64", "ns", "reply-start", false,
            "wall clock from the pause decision reaching the element to the first reply sample"},
           {"error", "gchararray", "", "handler-error", false, "why the handler failed"},
       }},
      {"sessiontag",
       "sessiontag",
       "at READY->PAUSED when `webrtc-id` is unset: the id it generated",
       {},
       "",
       {
           {"webrtc-id", "gchararray", "", "", false, "the generated id"},
           {"generated", "gboolean", "", "", false, "always TRUE"},
       }},
  };
  return table;
}

} /* namespace voicekit::docs */

#endif /* TOOLS_VOICEKIT_DOCS_MESSAGES_HPP */
