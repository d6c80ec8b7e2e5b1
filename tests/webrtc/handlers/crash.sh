#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
#
# A handler that crashes in the middle of its reply: it copies the head of its
# input (the 44-byte WAV header and 0.25 s of 16 kHz S16 audio) to stdout, so
# the reply has started, then dies:
#   segv   by SIGSEGV (exit status 139 as a shell reports it)
#   abort  by SIGABRT (134)
#   exit   exit 3 after a line on stderr (the handler-error carries it)
ulimit -c 0 2>/dev/null
head -c 8044
case ${1:-segv} in
  segv) kill -SEGV $$ ;;
  abort) kill -ABRT $$ ;;
  exit)
    echo "crash.sh: deliberate failure of utterance ${UTTERANCE:-?}" >&2
    exit 3
    ;;
esac
echo "crash.sh: still alive after kill -$1" >&2
exit 99
