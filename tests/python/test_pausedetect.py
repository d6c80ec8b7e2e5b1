#!/usr/bin/python3
"""pausedetect from Python (PyGObject): bus messages and turn events, with the
session's webrtc-id, on real speech from Debian's pocketsphinx-testdata."""
import os
import sys
import unittest

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVoiceKit", "1.0")
from gi.repository import Gst, GstVoiceKit  # noqa: E402

Gst.init(None)

SPEECH = os.path.join(os.environ.get("VOICEKIT_SPEECH_DIR", "/usr/share/pocketsphinx/test/data"),
                      "goforward.raw")


class TurnEvents(unittest.TestCase):
    def test_messages_and_events_carry_the_session(self):
        self.assertTrue(os.path.exists(SPEECH), SPEECH + " (pocketsphinx-testdata) is missing")
        pipeline = Gst.parse_launch(
            "filesrc location=%s ! rawaudioparse format=pcm pcm-format=s16le sample-rate=16000 "
            "num-channels=1 ! sessiontag webrtc-id=py-turns ! pausedetect ! fakesink name=sink"
            % SPEECH)
        events = []

        def on_event(pad, info):
            event = info.get_event()
            # documented: a turn event read downstream, in stream order
            ok, kind, utterance, running, stream, start, end, context = \
                GstVoiceKit.event_parse_turn(event)
            if ok:
                events.append((kind, utterance, stream, start, end, context.get_webrtc_id()))
            return Gst.PadProbeReturn.OK

        sinkpad = pipeline.get_by_name("sink").get_static_pad("sink")
        sinkpad.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, on_event)
        pipeline.set_state(Gst.State.PLAYING)
        bus = pipeline.get_bus()
        messages = []
        while True:
            message = bus.timed_pop_filtered(
                20 * Gst.SECOND,
                Gst.MessageType.EOS | Gst.MessageType.ERROR | Gst.MessageType.ELEMENT)
            self.assertIsNotNone(message, "no EOS within 20 s")
            if message.type == Gst.MessageType.ERROR:
                self.fail(message.parse_error()[0].message)
            if message.type == Gst.MessageType.EOS:
                break
            structure = message.get_structure()
            if structure.has_name("pausedetect"):
                messages.append((structure.get_string("event"),
                                 structure.get_string("webrtc-id"),
                                 structure.get_uint64("stream-time")[1]))
        pipeline.set_state(Gst.State.NULL)

        self.assertEqual([m[0] for m in messages], ["speech-start", "pause"])
        self.assertEqual({m[1] for m in messages}, {"py-turns"})
        self.assertEqual([e[0] for e in events],
                         [GstVoiceKit.TurnEventType.SPEECH_START, GstVoiceKit.TurnEventType.PAUSE])
        self.assertEqual({e[5] for e in events}, {"py-turns"})
        self.assertEqual([e[2] for e in events], [m[2] for m in messages])
        kind, utterance, stream, start, end, _ = events[1]
        self.assertEqual(utterance, 1)
        self.assertLess(start, end)
        self.assertGreaterEqual(stream - end, 500 * Gst.MSECOND)  # min-silence-duration


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
