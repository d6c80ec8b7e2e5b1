#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
#
# Fails on any name the project puts into a user's process without the
# library's prefix: symbols in the dynamic symbol table of libgstvoicekit-1.0
# and of the plugin, and the macros, types and enum values of the installed
# headers.
import re
import subprocess
import sys

LIBRARY_SYMBOL = re.compile(r"^gst_voicekit_[a-z0-9_]+$")
PLUGIN_SYMBOLS = {"gst_plugin_voicekit_get_desc", "gst_plugin_voicekit_register"}
# Names a public header may define: GStreamer's own prefixes with the
# library's name after them, the C++ namespace, and header guards.
HEADER_NAME = re.compile(r"^(_?GstVoiceKit[A-Za-z0-9]*|gst_voicekit_[a-z0-9_]+|GST_VOICEKIT_[A-Z0-9_]+|"
                         r"GST_TYPE_VOICEKIT_[A-Z0-9_]+|voicekit)$")


def dynamic_symbols(path):
    """Defined, exported symbols of a shared object (nm -D --defined-only)."""
    out = subprocess.run(["nm", "-D", "--defined-only", path], check=True, capture_output=True,
                         text=True).stdout
    names = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3:
            names.append(fields[2])
    if not names:
        sys.exit(f"no dynamic symbols read from {path}: is it the built library?")
    return names


def header_names(path):
    """Macros, typedefs, struct tags, enum values and functions a header declares."""
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    names = set(re.findall(r"^\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)", text, flags=re.M))
    names |= set(re.findall(r"\btypedef\b[^;{]*?\b([A-Za-z_][A-Za-z0-9_]*)\s*;", text))
    names |= set(re.findall(r"\}\s*([A-Za-z_][A-Za-z0-9_]*)\s*;", text))  # typedef'd struct/enum
    names |= set(re.findall(r"\bstruct\s+([A-Za-z_][A-Za-z0-9_]*)", text))
    for body in re.findall(r"\benum\b[^{;]*\{(.*?)\}", text, flags=re.S):
        names |= set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*)", body, flags=re.M))
    names |= set(re.findall(r"^\s*namespace\s+([A-Za-z_][A-Za-z0-9_]*)", text, flags=re.M))
    # Function declarations: an identifier followed by "(" at top level in a
    # declaration that ends with ");".
    for decl in re.findall(r"GST_VOICEKIT_API\s+([^;]*?)\(", text):
        names.add(decl.split()[-1].lstrip("*"))
    return names


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: check-symbols.py LIBRARY.so PLUGIN.so [HEADER...]")
    library, plugin, headers = sys.argv[1], sys.argv[2], sys.argv[3:]
    bad = []
    library_symbols = dynamic_symbols(library)
    bad += [f"{library}: exported {name}" for name in library_symbols
            if not LIBRARY_SYMBOL.match(name)]
    plugin_symbols = set(dynamic_symbols(plugin))
    bad += [f"{plugin}: exported {name}" for name in sorted(plugin_symbols - PLUGIN_SYMBOLS)]
    bad += [f"{plugin}: does not export {name}" for name in sorted(PLUGIN_SYMBOLS - plugin_symbols)]
    for header in headers:
        bad += [f"{header}: defines {name}" for name in sorted(header_names(header))
                if not HEADER_NAME.match(name)]
    for line in bad:
        print(line)
    print(f"{len(library_symbols)} library symbols, {len(plugin_symbols)} plugin symbols, "
          f"{len(headers)} headers checked: {len(bad)} names without the prefix")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
