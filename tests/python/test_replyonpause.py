#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
"""replyonpause handler=signals from Python (PyGObject, Debian's python3-gi), the
way examples/python/echo_agent.py uses it: a FastRTC-style handler that reads the
webrtc-id from the current context, keeps per-session data in a dict keyed by it
and streams its reply back in chunks with push-reply and end-reply.

Two sessions run at the same time, each its own pipeline
`filesrc ! wavparse ! audioconvert ! audioresample ! sessiontag webrtc-id=... !
pausedetect ! replyonpause handler=signals ! audioconvert ! appsink`, on real
speech (pocketsphinx-testdata's goforward.raw, two turns 4 s apart), not live.
Then barge-in (the second turn 1.5 s after the first, over a long reply:
reply-stop, push-reply refused, the reply cut) and the session greeting.
"""
import array
import math
import os
import sys
import tempfile
import threading
import time
import unittest
import wave

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVoiceKit", "1.0")
from gi.repository import Gst, GstVoiceKit  # noqa: E402

Gst.init(None)

# The input the example builds for itself: goforward.raw (VOICEKIT_SPEECH_DIR,
# pocketsphinx-testdata's by default) twice at 16 kHz, gap_seconds of silence
# before, between and after.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                                "python"))
from echo_agent import SPEECH_DIR, two_turn_wav  # noqa: E402

SPEECH = os.path.join(SPEECH_DIR, "goforward.raw")
RATE = 16000  # two_turn_wav's
REPLY_RATE = 24000  # like FastRTC; the element converts to the output's 16 kHz
BEEP_S = 0.1
GAP_S = 0.1
THRESHOLD = 2000  # a beep's samples, resampled, are far above; silence is 0


def tone(seconds, amplitude=12000, frequency=1000):
    count = int(seconds * REPLY_RATE)
    return array.array("h", (int(amplitude * math.sin(2 * math.pi * frequency * i / REPLY_RATE))
                             for i in range(count)))


def reply_caps():
    return Gst.Caps.from_string(
        "audio/x-raw,format=S16LE,layout=interleaved,channels=1,rate=%d" % REPLY_RATE)


class Agent:
    """The application: one instance shared by every session, like a FastRTC
    handler function and its module-level dict."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sessions = {}  # webrtc_id -> {"turns": n}
        self.calls = []  # one dict per handler call
        self.errors = []

    def reply(self, audio):
        """FastRTC shape: yields (rate, samples). One beep per turn so far."""
        current = GstVoiceKit.SessionContext.get_current()
        webrtc_id = current.get_webrtc_id() if current is not None else None
        with self.lock:
            state = self.sessions.setdefault(webrtc_id, {"turns": 0})
            state["turns"] += 1
            turn = state["turns"]
        for _ in range(turn):
            beep = tone(BEEP_S)
            half = len(beep) // 2
            yield REPLY_RATE, beep[:half]
            yield REPLY_RATE, beep[half:]
            yield REPLY_RATE, array.array("h", bytes(2 * int(GAP_S * REPLY_RATE)))

    def on_utterance(self, element, utterance, sample):
        """The `utterance` signal (handler=signals)."""
        current = GstVoiceKit.SessionContext.get_current()
        call = {
            "utterance": utterance,
            "thread": threading.get_native_id(),
            "current": current.get_webrtc_id() if current is not None else None,
            "buffer-id": GstVoiceKit.buffer_get_webrtc_id(sample.get_buffer()),
            "info-id": sample.get_info().get_string("webrtc-id") if sample.get_info() else None,
            "info-utterance": (sample.get_info().get_uint64("utterance")[1]
                               if sample.get_info() else None),
            "element": element.get_name(),
            "pushed": [],
        }
        try:
            rate = sample.get_caps().get_structure(0).get_int("rate")[1]
            audio = (rate, sample.get_buffer().extract_dup(0, sample.get_buffer().get_size()))
            with self.lock:
                before = dict((k, v["turns"]) for k, v in self.sessions.items())
            for rate, chunk in self.reply(audio):
                buffer = Gst.Buffer.new_wrapped(chunk.tobytes())
                ok = element.emit("push-reply", utterance,
                                  Gst.Sample.new(buffer, reply_caps(), None, None))
                call["pushed"].append(ok)
                time.sleep(0.005)  # a handler producing audio as it goes
            with self.lock:
                turn = self.sessions[call["current"]]["turns"]
            call["turn"] = turn
            call["turns-before"] = before.get(call["current"], 0)
            call["end"] = element.emit("end-reply", utterance)
        except Exception as error:  # noqa: BLE001 - a failure must reach the test
            self.errors.append("%s: %s" % (type(error).__name__, error))
            element.emit("fail-reply", utterance, str(error))
        with self.lock:
            self.calls.append(call)


class Session:
    """One pipeline: one caller."""

    def __init__(self, agent, webrtc_id, source, on_utterance=None):
        self.webrtc_id = webrtc_id
        self.pipeline = Gst.parse_launch(
            "filesrc location=%s ! wavparse ! audioconvert ! audioresample ! "
            "sessiontag webrtc-id=%s ! pausedetect ! "
            "replyonpause name=reply-%s handler=signals ! audioconvert ! "
            "appsink name=sink emit-signals=true sync=false "
            "caps=audio/x-raw,format=S16LE,layout=interleaved,rate=%d,channels=1"
            % (source, webrtc_id, webrtc_id, RATE))
        self.element = self.pipeline.get_by_name("reply-" + webrtc_id)
        self.element.connect("utterance", on_utterance or agent.on_utterance)
        self.streaming_threads = set()
        self.buffers = []  # (pts, duration, webrtc-id, bytes)
        self.messages = []
        self.problems = []
        probe_types = Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM
        self.element.get_static_pad("sink").add_probe(probe_types, self.on_streaming)
        self.element.get_static_pad("src").add_probe(probe_types, self.on_streaming)
        self.pipeline.get_by_name("sink").connect("new-sample", self.on_new_sample)

    def on_streaming(self, pad, info):
        self.streaming_threads.add(threading.get_native_id())
        return Gst.PadProbeReturn.OK

    def on_new_sample(self, appsink):
        buffer = appsink.emit("pull-sample").get_buffer()
        self.buffers.append((buffer.pts, buffer.duration, GstVoiceKit.buffer_get_webrtc_id(buffer),
                             buffer.extract_dup(0, buffer.get_size())))
        return Gst.FlowReturn.OK

    def start(self):
        self.pipeline.set_state(Gst.State.PLAYING)

    def wait(self, timeout_s=60):
        bus = self.pipeline.get_bus()
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            message = bus.timed_pop_filtered(
                max(0, int(left * Gst.SECOND)),
                Gst.MessageType.EOS | Gst.MessageType.ERROR | Gst.MessageType.WARNING |
                Gst.MessageType.ELEMENT)
            if message is None:
                self.problems.append("no EOS within %d s" % timeout_s)
                break
            if message.type == Gst.MessageType.EOS:
                break
            if message.type == Gst.MessageType.ERROR:
                self.problems.append("error: " + message.parse_error()[0].message)
                break
            if message.type == Gst.MessageType.WARNING:
                error, debug = message.parse_warning()
                self.problems.append("warning: %s (%s)" % (error.message, debug))
                continue
            structure = message.get_structure()
            if structure.has_name("replyonpause"):
                self.messages.append({
                    "event": structure.get_string("event"),
                    "utterance": structure.get_uint64("utterance")[1],
                    "webrtc-id": structure.get_string("webrtc-id"),
                    "running-time": structure.get_uint64("running-time")[1],
                })
        self.pipeline.set_state(Gst.State.NULL)

    def output(self):
        """The output as one S16 array from running time `base`, and the
        discontinuities found."""
        samples = array.array("h")
        gaps = []
        expected = None
        for pts, duration, _, data in self.buffers:
            if expected is not None and abs(pts - expected) > Gst.SECOND // RATE:
                gaps.append((expected, pts))
            expected = pts + duration
            samples.frombytes(data)
        base = self.buffers[0][0] if self.buffers else 0
        return base, samples, gaps


def beeps(samples):
    """Runs of loud samples separated by at least 40 ms of quiet ones."""
    count = 0
    quiet = 10 ** 9
    for value in samples:
        if abs(value) > THRESHOLD:
            if quiet > int(0.04 * RATE):
                count += 1
            quiet = 0
        else:
            quiet += 1
    return count


class ReplyOnPauseSignals(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(SPEECH):
            raise AssertionError(SPEECH + " (pocketsphinx-testdata) is missing")
        cls.tmp = tempfile.TemporaryDirectory()
        source = os.path.join(cls.tmp.name, "two-turns.wav")
        two_turn_wav(source)
        cls.agent = Agent()
        cls.main_thread = threading.get_native_id()
        cls.sessions = [Session(cls.agent, webrtc_id, source)
                        for webrtc_id in ("py-caller-a", "py-caller-b")]
        for session in cls.sessions:
            session.start()
        for session in cls.sessions:
            session.wait()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_pipelines_ran_cleanly(self):
        for session in self.sessions:
            self.assertEqual(session.problems, [], session.webrtc_id)
        self.assertEqual(self.agent.errors, [])

    def test_handler_runs_off_the_main_and_streaming_threads(self):
        self.assertEqual(len(self.agent.calls), 4)
        for session in self.sessions:
            self.assertTrue(session.streaming_threads)
            for call in self.agent.calls:
                if call["element"] != session.element.get_name():
                    continue
                self.assertNotEqual(call["thread"], self.main_thread)
                self.assertNotIn(call["thread"], session.streaming_threads)

    def test_current_context_is_the_session(self):
        by_session = {}
        for call in self.agent.calls:
            by_session.setdefault(call["current"], []).append(call)
        self.assertEqual(sorted(by_session), ["py-caller-a", "py-caller-b"])
        for session in self.sessions:
            calls = by_session[session.webrtc_id]
            self.assertEqual(sorted(c["utterance"] for c in calls), [1, 2])
            for call in calls:
                self.assertEqual(call["element"], session.element.get_name())
                self.assertEqual(call["buffer-id"], session.webrtc_id)
                self.assertEqual(call["info-id"], session.webrtc_id)
                self.assertEqual(call["info-utterance"], call["utterance"])
        # outside the handler, no scope is left behind on this thread
        self.assertIsNone(GstVoiceKit.SessionContext.get_current())

    def test_per_session_data(self):
        self.assertEqual(self.agent.sessions,
                         {"py-caller-a": {"turns": 2}, "py-caller-b": {"turns": 2}})
        for call in self.agent.calls:
            # utterance n of a session is its n-th turn: the dict is per session
            self.assertEqual(call["turn"], call["utterance"])
            self.assertEqual(call["turns-before"], call["utterance"] - 1)
            # every chunk was taken, and the reply closed
            self.assertEqual(call["pushed"], [True] * (3 * call["turn"]))
            self.assertTrue(call["end"])

    def test_reply_messages_carry_the_session(self):
        for session in self.sessions:
            events = [(m["event"], m["utterance"]) for m in session.messages]
            self.assertEqual(events, [("utterance", 1), ("reply-start", 1), ("reply-end", 1),
                                      ("utterance", 2), ("reply-start", 2), ("reply-end", 2)],
                             session.webrtc_id)
            self.assertEqual({m["webrtc-id"] for m in session.messages}, {session.webrtc_id})

    def test_reply_audio_arrives_in_the_output(self):
        for session in self.sessions:
            self.assertTrue(session.buffers, session.webrtc_id)
            self.assertEqual({b[2] for b in session.buffers}, {session.webrtc_id})
            base, samples, gaps = session.output()
            self.assertEqual(gaps, [])
            # the output lasts as long as the input, sample for sample
            with wave.open(os.path.join(self.tmp.name, "two-turns.wav")) as source:
                self.assertAlmostEqual(base + len(samples) * Gst.SECOND // RATE,
                                       source.getnframes() * Gst.SECOND // RATE,
                                       delta=Gst.SECOND // 50)

            def index(running_time):
                return (running_time - base) * RATE // Gst.SECOND

            starts = {m["utterance"]: m["running-time"] for m in session.messages
                      if m["event"] == "reply-start"}
            ends = {m["utterance"]: m["running-time"] for m in session.messages
                    if m["event"] == "reply-end"}
            quiet_from = 0
            for utterance in (1, 2):
                start, end = index(starts[utterance]), index(ends[utterance])
                # the reply is utterance beeps of 100 ms, each then 100 ms of silence
                self.assertAlmostEqual((end - start) / RATE, utterance * (BEEP_S + GAP_S),
                                       delta=0.005)
                self.assertEqual(beeps(samples[start:end]), utterance,
                                 "%s reply %d" % (session.webrtc_id, utterance))
                # silence between replies
                self.assertEqual(max(map(abs, samples[quiet_from:start]), default=0), 0)
                quiet_from = end
            self.assertEqual(max(map(abs, samples[quiet_from:]), default=0), 0)


class BargeIn(unittest.TestCase):
    """The user speaks over a long reply: reply-stop reaches the handler (the
    signal examples/python/echo_agent.py stops on), push-reply refuses the
    rest, nothing more of that reply plays, and the next turn is answered."""

    def test_reply_stop_and_push_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "two-turns.wav")
            two_turn_wav(source, gap_seconds=1.5)
            stops = []
            pushes = {}
            ends = {}
            errors = []

            def on_utterance(element, utterance, sample):
                try:
                    # utterance 1: up to 10 s of tone in 100 ms chunks, more
                    # than the 1.5 s before the next turn; utterance 2: 200 ms
                    chunks = 100 if utterance == 1 else 2
                    results = pushes.setdefault(utterance, [])
                    for _ in range(chunks):
                        buffer = Gst.Buffer.new_wrapped(tone(0.1).tobytes())
                        ok = element.emit("push-reply", utterance,
                                          Gst.Sample.new(buffer, reply_caps(), None, None))
                        results.append(ok)
                        if not ok:
                            break
                        time.sleep(0.002)
                    ends[utterance] = element.emit("end-reply", utterance)
                except Exception as error:  # noqa: BLE001
                    errors.append(repr(error))

            session = Session(None, "py-barge-in", source, on_utterance)
            session.element.connect(
                "reply-stop", lambda element, utterance: stops.append(utterance))
            session.start()
            session.wait()

            self.assertEqual(session.problems, [])
            self.assertEqual(errors, [])
            events = [(m["event"], m["utterance"]) for m in session.messages]
            self.assertEqual(events, [("utterance", 1), ("reply-start", 1),
                                      ("reply-interrupted", 1), ("utterance", 2),
                                      ("reply-start", 2), ("reply-end", 2)])
            self.assertEqual({m["webrtc-id"] for m in session.messages}, {"py-barge-in"})
            self.assertEqual(stops, [1])
            # chunks were taken until the stop, then refused; the reply never ended
            taken = pushes[1]
            self.assertGreater(taken.count(True), 1)
            self.assertEqual(taken[-1], False)
            self.assertEqual(taken.count(False), 1)
            self.assertFalse(ends[1])
            self.assertEqual(pushes[2], [True, True])
            self.assertTrue(ends[2])

            # output: nothing of reply 1 after the interruption, then reply 2
            # whole. The speech-start is decided within an input buffer and
            # the event follows that buffer; the output runs up to one buffer
            # ahead of the input ("the first reply span is pushed at once, up
            # to one input buffer ahead"), and "the reply stops within one
            # output buffer": reply audio may fill the output buffer holding
            # the decision and the next one, not more.
            base, samples, gaps = session.output()
            self.assertEqual(gaps, [])
            at = {(m["event"], m["utterance"]): m["running-time"] for m in session.messages}
            buffer_ends = [pts + duration for pts, duration, _, _ in session.buffers]
            holding = next(end for end in buffer_ends if end > at[("reply-interrupted", 1)])
            cut_time = next(end for end in buffer_ends if end > holding)

            def index(running_time):
                return (running_time - base) * RATE // Gst.SECOND

            cut = index(cut_time)
            start2, end2 = index(at[("reply-start", 2)]), index(at[("reply-end", 2)])
            self.assertLess(cut, start2)
            self.assertEqual(max(map(abs, samples[cut:start2]), default=0), 0)
            self.assertGreater(max(map(abs, samples[index(at[("reply-start", 1)]):cut])),
                               THRESHOLD)
            self.assertAlmostEqual((end2 - start2) / RATE, 0.2, delta=0.005)
            self.assertEqual(max(map(abs, samples[end2:]), default=0), 0)


class Greeting(unittest.TestCase):
    """FastRTC's startup greeting: the `greeting` signal at the start of the
    session, from a worker thread with the session current; the reply is
    utterance 0."""

    def test_greeting_with_the_session_current(self):
        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "two-turns.wav")
            two_turn_wav(source)
            agent = Agent()
            greetings = []

            def on_greeting(element, context, number):
                current = GstVoiceKit.SessionContext.get_current()
                greetings.append({
                    "context": context.get_webrtc_id() if context is not None else None,
                    "current": current.get_webrtc_id() if current is not None else None,
                    "thread": threading.get_native_id(),
                })
                buffer = Gst.Buffer.new_wrapped(tone(0.3).tobytes())
                greetings[-1]["number"] = number
                greetings[-1]["pushed"] = element.emit(
                    "push-reply", number, Gst.Sample.new(buffer, reply_caps(), None, None))
                greetings[-1]["ended"] = element.emit("end-reply", number)
                return True

            session = Session(agent, "py-greeted", source)
            session.element.connect("greeting", on_greeting)
            session.start()
            session.wait()

            self.assertEqual(session.problems, [])
            self.assertEqual(len(greetings), 1)
            greeting = greetings[0]
            self.assertEqual(greeting["context"], "py-greeted")
            self.assertEqual(greeting["current"], "py-greeted")
            self.assertNotEqual(greeting["thread"], threading.get_native_id())
            self.assertNotIn(greeting["thread"], session.streaming_threads)
            self.assertEqual(greeting["number"], 0)  # the element's first greeting
            self.assertTrue(greeting["pushed"])
            self.assertTrue(greeting["ended"])
            events = [(m["event"], m["utterance"]) for m in session.messages]
            self.assertEqual(events[:2], [("reply-start", 0), ("reply-end", 0)])
            self.assertEqual(events[2:], [("utterance", 1), ("reply-start", 1),
                                          ("reply-end", 1), ("utterance", 2),
                                          ("reply-start", 2), ("reply-end", 2)])
            self.assertEqual({m["webrtc-id"] for m in session.messages}, {"py-greeted"})
            at = {(m["event"], m["utterance"]): m["running-time"] for m in session.messages}
            self.assertAlmostEqual((at[("reply-end", 0)] - at[("reply-start", 0)]) / Gst.SECOND,
                                   0.3, delta=0.005)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
