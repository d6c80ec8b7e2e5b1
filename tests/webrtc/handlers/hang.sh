#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
#
# A handler that never finishes its reply. Modes:
#   silent   reads its input, writes nothing, ignores SIGTERM and sleeps
#            forever in a child process that ignores SIGTERM too: only the
#            SIGKILL to its process group ends both
#   partial  as silent, after the WAV header and 0.25 s of the input's audio
#            (the reply starts playing, then stalls)
#   term     writes nothing, ends on SIGTERM (a well-behaved slow program)
#   orphan   answers the full echo, then exits 0, leaving a background child
#            (ignoring SIGTERM) that holds stdout open: the reply never sees
#            the end of its stream
case ${1:-silent} in
  silent)
    trap '' TERM
    cat >/dev/null
    sleep 100000
    ;;
  partial)
    trap '' TERM
    head -c 8044
    cat >/dev/null
    sleep 100000
    ;;
  term)
    cat >/dev/null
    exec sleep 100000
    ;;
  orphan)
    cat
    (trap '' TERM; exec sleep 100000) &
    exit 0
    ;;
esac
echo "hang.sh: unknown mode '$1'" >&2
exit 2
