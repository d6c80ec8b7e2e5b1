#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
#
# The one handler of voicekit-server in test-server-chaos.py
# (--handler command --command "/bin/sh .../chaos-dispatch.sh"): replyonpause's
# command handler runs it per utterance, the utterance as WAV on stdin,
# WEBRTC_ID and UTTERANCE in the environment; the reply goes as WAV to stdout.
#
# The session's id carries its plan: "<name>:<action>,<action>,..."; utterance
# n gets the n-th action (the last one once the plan runs out). An id without
# ':' (the good sessions) gets `echo`. Actions:
#   echo            the input itself (a valid reply)
#   crash.<mode>    crash.sh: starts its reply, then dies (segv, abort, exit)
#   hang.<mode>     hang.sh: never finishes (silent, partial, term, orphan)
#   garbage.<mode>  garbage.py: answers something that is not a usable WAV
#   slow.<mode>     slow.py: a valid reply, late (start) or trickled (trickle)
# With CHAOS_LOG set, one line "<pid> <action> <utterance> <id>" per run is
# appended to that file (the test finds the processes it must see killed).
here=$(dirname "$0")
plan=
case $WEBRTC_ID in
  *:*) plan=${WEBRTC_ID#*:} ;;
esac
action=echo
if [ -n "$plan" ]; then
  n=${UTTERANCE:-1}
  set -f
  IFS=,
  # shellcheck disable=SC2086
  set -- $plan
  unset IFS
  if [ "$n" -gt "$#" ]; then n=$#; fi
  if [ "$n" -lt 1 ]; then n=1; fi
  shift $((n - 1))
  action=$1
fi
if [ -n "${CHAOS_LOG:-}" ]; then
  echo "$$ $action ${UTTERANCE:-?} $WEBRTC_ID" >>"$CHAOS_LOG"
fi
kind=${action%%.*}
mode=${action#*.}
case $kind in
  echo) exec cat ;;
  crash) exec /bin/sh "$here/crash.sh" "$mode" ;;
  hang) exec /bin/sh "$here/hang.sh" "$mode" ;;
  garbage) exec /usr/bin/python3 "$here/garbage.py" "$mode" ;;
  slow) exec /usr/bin/python3 "$here/slow.py" "$mode" ;;
  *)
    echo "chaos-dispatch.sh: unknown action '$action'" >&2
    exit 2
    ;;
esac
