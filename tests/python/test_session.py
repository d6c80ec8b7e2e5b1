#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
"""Python (PyGObject, Debian's python3-gi) use of the session library.

The lines marked "documented" are the ones README.md and docs/sessiontag.md
show; this test runs them as written.
"""
import sys
import unittest

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVoiceKit", "1.0")
from gi.repository import GLib, Gst, GstVoiceKit  # noqa: E402

Gst.init(None)


def run_to_eos(pipeline, timeout_s=20):
    pipeline.set_state(Gst.State.PLAYING)
    message = pipeline.get_bus().timed_pop_filtered(
        timeout_s * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if message is None:
        raise AssertionError("no EOS within %d s" % timeout_s)
    if message.type == Gst.MessageType.ERROR:
        raise AssertionError("pipeline error: %s" % message.parse_error()[0].message)


class AppsinkCallback(unittest.TestCase):
    def test_webrtc_id_from_buffers_pad_and_current_context(self):
        pipeline = Gst.parse_launch(
            "audiotestsrc num-buffers=25 ! audioconvert ! "
            "sessiontag webrtc-id=py-caller fields=session,user=alice ! "
            "opusenc ! opusdec ! appsink name=sink emit-signals=true sync=false")
        seen = []

        def on_new_sample(appsink):
            sample = appsink.emit("pull-sample")
            buffer = sample.get_buffer()
            # documented: the session of a buffer
            webrtc_id = GstVoiceKit.buffer_get_webrtc_id(buffer)
            # documented: the session on a pad (sticky event)
            context = GstVoiceKit.pad_get_session_context(appsink.get_static_pad("sink"))
            # documented: FastRTC's get_current_context() counterpart
            current = GstVoiceKit.SessionContext.get_current()
            seen.append((webrtc_id,
                         context.get_webrtc_id(),
                         context.get_fields().get_string("user"),
                         current.get_webrtc_id() if current else None))
            return Gst.FlowReturn.OK

        pipeline.get_by_name("sink").connect("new-sample", on_new_sample)
        run_to_eos(pipeline)
        self.assertGreaterEqual(len(seen), 20)
        for entry in seen:
            self.assertEqual(entry, ("py-caller", "py-caller", "alice", "py-caller"))

    def test_no_current_context_outside_a_scope(self):
        self.assertIsNone(GstVoiceKit.SessionContext.get_current())

    def test_current_context_is_not_seen_past_a_queue(self):
        # The scope covers the streaming thread sessiontag pushes in; past a
        # queue another thread runs the callback, which must see no context
        # rather than a wrong one; the meta still tells the session.
        pipeline = Gst.parse_launch(
            "audiotestsrc num-buffers=10 ! sessiontag webrtc-id=queued ! queue ! "
            "appsink name=sink emit-signals=true sync=false")
        seen = []

        def on_new_sample(appsink):
            buffer = appsink.emit("pull-sample").get_buffer()
            seen.append((GstVoiceKit.buffer_get_webrtc_id(buffer),
                         GstVoiceKit.SessionContext.get_current()))
            return Gst.FlowReturn.OK

        pipeline.get_by_name("sink").connect("new-sample", on_new_sample)
        run_to_eos(pipeline)
        self.assertEqual(len(seen), 10)
        for webrtc_id, current in seen:
            self.assertEqual(webrtc_id, "queued")
            self.assertIsNone(current)


class ContextApi(unittest.TestCase):
    def test_context_and_ids(self):
        fields = Gst.Structure.from_string("session, user=bob, device=phone")[0]
        context = GstVoiceKit.SessionContext.new("abc", fields)
        self.assertEqual(context.get_webrtc_id(), "abc")
        self.assertEqual(context.get_fields().get_string("device"), "phone")
        self.assertGreater(context.get_created_us(), 0)
        with self.assertRaises(TypeError):  # PyGObject: "constructor returned NULL"
            GstVoiceKit.SessionContext.new("", None)
        with self.assertRaisesRegex(GLib.Error, "control character"):
            GstVoiceKit.session_id_is_valid("bad\x01id")
        generated = GstVoiceKit.session_id_generate()
        self.assertEqual(len(generated), 24)
        self.assertTrue(GstVoiceKit.session_id_is_valid(generated))

    def test_scope_from_python(self):
        context = GstVoiceKit.SessionContext.new("py-scope", None)
        GstVoiceKit.SessionContext.push_current(context)
        try:
            self.assertEqual(GstVoiceKit.SessionContext.get_current().get_webrtc_id(), "py-scope")
        finally:
            GstVoiceKit.SessionContext.pop_current()
        self.assertIsNone(GstVoiceKit.SessionContext.get_current())

    def test_tag_a_buffer_and_read_the_event(self):
        context = GstVoiceKit.SessionContext.new("py-buffer", None)
        buffer = Gst.Buffer.new_allocate(None, 32, None)
        GstVoiceKit.buffer_set_session_context(buffer, context)
        self.assertEqual(GstVoiceKit.buffer_get_webrtc_id(buffer), "py-buffer")
        event = GstVoiceKit.event_new_session(context)
        self.assertEqual(GstVoiceKit.event_parse_session(event).get_webrtc_id(), "py-buffer")
        self.assertEqual(event.get_structure().get_string("webrtc-id"), "py-buffer")

    def test_element_property_and_generated_id(self):
        tag = Gst.ElementFactory.make("sessiontag", None)
        self.assertIsNone(tag.props.webrtc_id)  # generated at the start when unset
        self.assertEqual(tag.set_state(Gst.State.PAUSED), Gst.StateChangeReturn.SUCCESS)
        self.assertEqual(len(tag.props.webrtc_id), 24)
        self.assertEqual(tag.props.context.get_webrtc_id(), tag.props.webrtc_id)
        tag.props.webrtc_id = "set-from-python"
        self.assertEqual(tag.props.context.get_webrtc_id(), "set-from-python")
        tag.set_state(Gst.State.NULL)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
