#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
#
# pausedetect from Python (PyGObject): bus messages and turn events, with the
# session's webrtc-id, on real speech from Debian's pocketsphinx-testdata;
# durations in nanoseconds; the engine auto picks whatever the home directory.
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest
import warnings

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


class Durations(unittest.TestCase):
    def test_a_duration_in_milliseconds_is_refused_and_the_value_kept(self):
        detect = Gst.ElementFactory.make("pausedetect", None)
        for name, written, meant in [("min-silence-duration", 500, 500 * Gst.MSECOND),
                                     ("speech-pad", 300, 300 * Gst.MSECOND),
                                     ("frame-duration", 20, 20 * Gst.MSECOND)]:
            before = detect.get_property(name)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                detect.set_property(name, written)
                Gst.util_set_object_arg(detect, name, str(written))
            self.assertEqual(
                len([w for w in caught if "out of range for property '%s'" % name in str(w.message)]),
                2, [str(w.message) for w in caught])
            self.assertEqual(detect.get_property(name), before)
            detect.set_property(name, meant)  # nanoseconds, GStreamer's unit
            self.assertEqual(detect.get_property(name), meant)

    def test_engine_defaults_until_the_engine_is_chosen(self):
        detect = Gst.ElementFactory.make("pausedetect", None)
        self.assertEqual(detect.props.frame_duration, 0)  # the engine's
        self.assertEqual(detect.props.end_threshold, -1.0)
        pipeline = Gst.parse_launch("audiotestsrc num-buffers=5 ! pausedetect name=d engine=builtin "
                                    "! fakesink")
        pipeline.set_state(Gst.State.PAUSED)
        pipeline.get_state(5 * Gst.SECOND)
        detect = pipeline.get_by_name("d")
        self.assertEqual(detect.props.frame_duration, 10 * Gst.MSECOND)
        self.assertAlmostEqual(detect.props.end_threshold, 0.1, places=6)
        pipeline.set_state(Gst.State.NULL)


# Run in a process of its own, with the environment the test gives it: the
# engine pausedetect picks, by its read-only property and by the detector event
# downstream.
ENGINE_PROBE = textwrap.dedent("""
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstVoiceKit", "1.0")
    from gi.repository import Gst, GstVoiceKit
    Gst.init(None)
    pipeline = Gst.parse_launch("audiotestsrc num-buffers=5 ! pausedetect name=d ! fakesink name=s")
    pipeline.set_state(Gst.State.PLAYING)
    message = pipeline.get_bus().timed_pop_filtered(10 * Gst.SECOND,
                                                    Gst.MessageType.EOS | Gst.MessageType.ERROR)
    detector = GstVoiceKit.pad_get_turn_detector(pipeline.get_by_name("s").get_static_pad("sink"))
    print(pipeline.get_by_name("d").props.engine_in_use, detector.get_string("engine"),
          message.type == Gst.MessageType.EOS)
    pipeline.set_state(Gst.State.NULL)
""")


class EngineUnderAnyHome(unittest.TestCase):
    def engine(self, home, model=None):
        environment = dict(os.environ, HOME=home)
        environment.pop("XDG_CACHE_HOME", None)
        environment.pop("VOICEKIT_SILERO_MODEL", None)
        if model is not None:
            environment["VOICEKIT_SILERO_MODEL"] = model
        out = subprocess.run([sys.executable, "-c", ENGINE_PROBE], env=environment, check=True,
                             capture_output=True, text=True, timeout=60).stdout.split()
        self.assertEqual(out[2], "True", out)
        self.assertEqual(out[0], out[1])  # property and event agree
        return out[0]

    def test_a_service_account_gets_the_same_engine(self):
        model = os.environ.get("VOICEKIT_SILERO_MODEL_V5", "")
        self.assertTrue(os.path.isfile(model), "VOICEKIT_SILERO_MODEL_V5 names no model")
        with tempfile.TemporaryDirectory() as empty_home, \
                tempfile.TemporaryDirectory() as user_home:
            cache = os.path.join(user_home, ".cache", "gst-voicekit", "models")
            os.makedirs(cache)
            os.symlink(model, os.path.join(cache, "silero_vad.onnx"))
            self.assertEqual(self.engine(empty_home, model), "silero")
            self.assertEqual(self.engine(user_home), "silero")
            # the variable names a missing file: no Silero, the cache is not searched
            self.assertEqual(self.engine(user_home, os.path.join(empty_home, "none.onnx")),
                             "builtin")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
