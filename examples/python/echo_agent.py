#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
"""A FastRTC-style voice agent with replyonpause, in Python (Debian's python3-gi).

FastRTC writes an agent as a generator handed to ReplyOnPause:

    def echo(audio):                              # (sample_rate, numpy array)
        webrtc_id = get_current_context().webrtc_id
        for chunk in make_reply(audio):
            yield (24000, chunk)
    stream = Stream(ReplyOnPause(echo), modality="audio", mode="send-receive")

Here the same function runs inside a GStreamer pipeline:

    filesrc ! wavparse ! audioconvert ! audioresample ! sessiontag webrtc-id=... !
        pausedetect ! replyonpause handler=signals ! audioconvert ! wavenc ! filesink

`replyonpause` emits `utterance` from a worker thread (never the streaming
thread) with the utterance's session current, so
`GstVoiceKit.SessionContext.get_current()` plays the part of
`get_current_context()`. The reply goes back in chunks with the `push-reply`
action, and `end-reply` closes it.

The reply for turn N of a session: N short beeps (the per-session turn count),
then the utterance played backwards, all at 24 kHz like FastRTC's output; the
element converts it to the output format.

Usage (from the repository root, after `ninja -C build`):

    GST_PLUGIN_PATH=$PWD/build/plugins GI_TYPELIB_PATH=$PWD/build/gst/voicekit \\
    LD_LIBRARY_PATH=$PWD/build/gst/voicekit \\
        /usr/bin/python3 examples/python/echo_agent.py [input.wav [reply.wav [webrtc-id]]]

Without an input it builds one from pocketsphinx-testdata's goforward.raw with
two turns (`go forward ten meters`, twice).
"""
import array
import math
import os
import sys
import tempfile
import threading
import wave

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVoiceKit", "1.0")
from gi.repository import Gst, GstVoiceKit  # noqa: E402

REPLY_RATE = 24000  # FastRTC's output rate
CHUNK_SECONDS = 0.2  # one push-reply per 200 ms of reply
SPEECH_DIR = os.environ.get("VOICEKIT_SPEECH_DIR", "/usr/share/pocketsphinx/test/data")


# ---- the application: what a FastRTC user writes ---------------------------------

# Per-session data, keyed by webrtc_id, like a FastRTC app keeps a dict of
# conversations. Handlers of different sessions may run at the same time.
sessions = {}
sessions_lock = threading.Lock()


def beep(seconds, frequency, rate):
    count = int(seconds * rate)
    return array.array("h", (int(8000 * math.sin(2 * math.pi * frequency * i / rate))
                             for i in range(count)))


def resample(samples, from_rate, to_rate):
    """Linear interpolation: enough for a demo."""
    if from_rate == to_rate:
        return array.array("h", samples)
    count = len(samples) * to_rate // from_rate
    out = array.array("h", bytes(2 * count))
    last = len(samples) - 1
    for i in range(count):
        position = i * from_rate / to_rate
        index = int(position)
        a = samples[min(index, last)]
        b = samples[min(index + 1, last)]
        out[i] = int(a + (b - a) * (position - index))
    return out


def echo(audio):
    """FastRTC's handler shape: audio is (sample_rate, mono S16 samples);
    yields (sample_rate, samples) chunks."""
    context = GstVoiceKit.SessionContext.get_current()  # get_current_context()
    webrtc_id = context.get_webrtc_id() if context is not None else "anonymous"
    with sessions_lock:
        state = sessions.setdefault(webrtc_id, {"turns": 0})
        state["turns"] += 1
        turn = state["turns"]
    rate, samples = audio
    print("[%s] turn %d: %.2f s of speech, thread %s" %
          (webrtc_id, turn, len(samples) / rate, threading.current_thread().name), flush=True)

    silence = array.array("h", bytes(2 * int(0.08 * REPLY_RATE)))
    for _ in range(turn):  # one beep per turn of this session
        yield REPLY_RATE, beep(0.12, 880, REPLY_RATE) + silence
    reply = resample(samples, rate, REPLY_RATE)
    reply.reverse()
    step = int(CHUNK_SECONDS * REPLY_RATE)
    for start in range(0, len(reply), step):
        yield REPLY_RATE, reply[start:start + step]


# ---- the glue: ReplyOnPause(fn) on top of replyonpause handler=signals ----------

class ReplyOnPause:
    """Runs a FastRTC-style generator for each utterance of `element`."""

    def __init__(self, element, fn):
        self.element = element
        self.fn = fn
        self.stopped = set()
        self.lock = threading.Lock()
        element.set_property("handler", "signals")
        element.connect("utterance", self.on_utterance)
        element.connect("reply-stop", self.on_reply_stop)

    def on_reply_stop(self, element, utterance):
        # The user spoke over the reply: stop producing it.
        with self.lock:
            self.stopped.add(utterance)

    def on_utterance(self, element, utterance, sample):
        try:
            audio = self.mono_s16(sample)
            for rate, chunk in self.fn(audio):
                with self.lock:
                    if utterance in self.stopped:
                        return
                caps = Gst.Caps.from_string(
                    "audio/x-raw,format=S16LE,layout=interleaved,channels=1,rate=%d" % rate)
                buffer = Gst.Buffer.new_wrapped(chunk.tobytes())
                if not element.emit("push-reply", utterance,
                                    Gst.Sample.new(buffer, caps, None, None)):
                    return  # interrupted or failed: the element takes no more
            element.emit("end-reply", utterance)
        except Exception as error:  # noqa: BLE001 - report any handler failure
            element.emit("fail-reply", utterance, "%s: %s" % (type(error).__name__, error))

    @staticmethod
    def mono_s16(sample):
        structure = sample.get_caps().get_structure(0)
        rate = structure.get_int("rate")[1]
        channels = structure.get_int("channels")[1]
        audio_format = structure.get_string("format")
        buffer = sample.get_buffer()
        data = buffer.extract_dup(0, buffer.get_size())
        if audio_format == "S16LE":
            samples = array.array("h", data)
        else:  # F32LE
            floats = array.array("f", data)
            samples = array.array("h", (max(-32768, min(32767, int(v * 32767))) for v in floats))
        if channels == 2:
            samples = array.array("h", ((samples[i] + samples[i + 1]) // 2
                                        for i in range(0, len(samples), 2)))
        return rate, samples


# ---- the pipeline ---------------------------------------------------------------

def two_turn_wav(path, rate=16000, gap_seconds=4.0):
    """silence, speech, silence, speech, silence (goforward.raw, 16 kHz). The
    gap leaves time for the first reply; with a shorter one the second turn
    interrupts it (barge-in: reply-interrupted, the reply-stop signal)."""
    with open(os.path.join(SPEECH_DIR, "goforward.raw"), "rb") as raw:
        speech = raw.read()
    silence = bytes(2 * int(gap_seconds * rate))
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(silence + speech + silence + speech + silence)


def main(argv):
    Gst.init(None)
    if len(argv) > 1:
        source = argv[1]
    else:
        source = os.path.join(tempfile.gettempdir(), "echo_agent_input.wav")
        two_turn_wav(source)
    target = argv[2] if len(argv) > 2 else "echo_agent_reply.wav"
    webrtc_id = argv[3] if len(argv) > 3 else "echo-agent-1"

    pipeline = Gst.parse_launch(
        "filesrc name=src ! wavparse ! audioconvert ! audioresample ! "
        "sessiontag name=tag ! pausedetect ! replyonpause name=reply handler=signals ! "
        "audioconvert ! wavenc ! filesink name=sink")
    pipeline.get_by_name("src").set_property("location", source)
    pipeline.get_by_name("sink").set_property("location", target)
    pipeline.get_by_name("tag").set_property("webrtc-id", webrtc_id)
    ReplyOnPause(pipeline.get_by_name("reply"), echo)

    pipeline.set_state(Gst.State.PLAYING)
    bus = pipeline.get_bus()
    status = 0
    while True:
        message = bus.timed_pop_filtered(
            60 * Gst.SECOND,
            Gst.MessageType.EOS | Gst.MessageType.ERROR | Gst.MessageType.WARNING |
            Gst.MessageType.ELEMENT)
        if message is None:
            print("no end of stream within 60 s", file=sys.stderr)
            status = 1
            break
        if message.type == Gst.MessageType.EOS:
            break
        if message.type == Gst.MessageType.ERROR:
            print("error: %s" % message.parse_error()[0].message, file=sys.stderr)
            status = 1
            break
        if message.type == Gst.MessageType.WARNING:
            print("warning: %s" % message.parse_warning()[0].message, file=sys.stderr)
            continue
        structure = message.get_structure()
        if structure is not None and structure.has_name("replyonpause"):
            event = structure.get_string("event")
            extra = ""
            if event == "reply-start":
                extra = ", latency %.1f ms" % (structure.get_uint64("latency")[1] / 1e6)
            print("replyonpause: event=%s utterance=%d webrtc-id=%s at %.2f s%s" %
                  (event, structure.get_uint64("utterance")[1], structure.get_string("webrtc-id"),
                   structure.get_uint64("running-time")[1] / 1e9, extra), flush=True)
    pipeline.set_state(Gst.State.NULL)
    if status == 0:
        print("reply written to %s; sessions: %s" % (target, sessions))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
