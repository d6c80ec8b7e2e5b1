#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
#
# House rules a reviewer would otherwise check by eye, over every file git
# tracks: an SPDX licence line and the copyright at the top of each source
# file; C and C++ use /* */ comments only; header guards are the file's path
# (uppercased, other characters as _); no file under plugins/ or tools/ is
# longer than MAX_LINES (one job per file).
import os
import re
import subprocess
import sys

SPDX = "SPDX-License-Identifier: LGPL-2.1-or-later"
COPYRIGHT = "Copyright (C) 2026 The gst-voicekit authors"
C_FILES = (".c", ".cpp", ".h", ".hpp")
SCRIPT_FILES = (".py", ".sh", ".mjs", ".js", ".map")
MAX_LINES = 800


def line_comments(source):
    """Offsets of // comments, skipping strings, character and raw string literals."""
    found = []
    i, n = 0, len(source)
    while i < n:
        if source.startswith("//", i):
            found.append(i)
            j = source.find("\n", i)
            i = n if j < 0 else j
        elif source.startswith("/*", i):
            j = source.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif (raw := re.match(r'(?:u8|u|U|L)?R"([^()\\ ]{0,16})\(', source[i:i + 24])) and \
                (i == 0 or not (source[i - 1].isalnum() or source[i - 1] == "_")):
            end = ")" + raw.group(1) + '"'
            j = source.find(end, i + raw.end())
            i = n if j < 0 else j + len(end)
        elif source[i] == '"' or (source[i] == "'" and not (i > 0 and source[i - 1].isalnum())):
            quote, j = source[i], i + 1
            while j < n and source[j] != quote and source[j] != "\n":
                j += 2 if source[j] == "\\" else 1
            i = j + 1
        else:
            i += 1
    return found


def guard_of(path):
    return re.sub(r"[^A-Za-z0-9]", "_", path).upper()


def is_source(path):
    base = os.path.basename(path)
    return (path.endswith(C_FILES + SCRIPT_FILES) or base == "meson.build" or
            (not os.path.splitext(base)[1] and not path.startswith("tests/fuzz/") and
             open(path, "rb").read(2) == b"#!"))


def check(path):
    problems = []
    source = open(path, encoding="utf-8").read()
    head = source[:400]
    if SPDX not in head or COPYRIGHT not in head:
        problems.append("no SPDX licence line and copyright at the top")
    if path.endswith(C_FILES):
        for offset in line_comments(source):
            problems.append(f"line {source.count(chr(10), 0, offset) + 1}: // comment (use /* */)")
    if path.endswith((".h", ".hpp")):
        guard = guard_of(path)
        if not re.search(rf"^#ifndef {guard}\n#define {guard}\n", source, flags=re.M) or \
                not source.rstrip().endswith(f"#endif /* {guard} */"):
            problems.append(f"header guard is not {guard} (#ifndef/#define ... #endif /* {guard} */)")
    if path.startswith(("plugins/", "tools/")) and path.endswith(C_FILES):
        lines = source.count("\n")
        if lines > MAX_LINES:
            problems.append(f"{lines} lines: more than {MAX_LINES}, split it by job")
    return problems


def main():
    root = sys.argv[1]
    os.chdir(root)
    files = subprocess.run(["git", "ls-files"], check=True, capture_output=True,
                           text=True).stdout.split()
    checked = bad = 0
    for path in sorted(files):
        if not os.path.isfile(path) or not is_source(path):
            continue
        checked += 1
        for problem in check(path):
            bad += 1
            print(f"{path}: {problem}")
    print(f"{checked} source files checked, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
