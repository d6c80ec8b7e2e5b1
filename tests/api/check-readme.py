#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
#
# The README's C lines are the ones examples/c/session-ids.c compiles and runs
# under the leaks tracer: every non-blank line of the README's ```c block must
# stand, as written (white space folded), in that file.
import re
import sys


def folded(line):
    return " ".join(line.split())


def main():
    readme, example = sys.argv[1], sys.argv[2]
    blocks = re.findall(r"```c\n(.*?)```", open(readme, encoding="utf-8").read(), flags=re.S)
    if not blocks:
        sys.exit(f"{readme} has no ```c block")
    source = {folded(line) for line in open(example, encoding="utf-8")}
    missing = [line for block in blocks for line in block.splitlines()
               if line.strip() and folded(line) not in source]
    for line in missing:
        print(f"README line not in {example}: {line}")
    print(f"{sum(len(b.splitlines()) for b in blocks)} README C lines, {len(missing)} missing")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
