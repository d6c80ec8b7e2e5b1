#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
"""Draws the cost curve of bench-load: CPU (% of one core) against the number
of live sessions N, per pausedetect engine, and resident memory against N.

    /usr/bin/python3 tests/benchmarks/plot-load.py load.csv docs/load-cpu.png

Input: the CSV that `bench-load --csv PATH` writes. Every run is a point (held
runs filled, runs that fell behind hollow); the line joins the held ramp and
refine runs; a star marks the N confirmed for the long hold. Needs Debian's
python3-matplotlib.
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"builtin": "tab:blue", "silero": "tab:orange"}
CORES_PERCENT = 200.0  # this machine: 2 cores


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1], newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        print("no rows in " + argv[1], file=sys.stderr)
        return 1
    for row in rows:
        row["n"] = int(row["n"])
        row["cpu"] = float(row["cpu_percent"])
        row["rss"] = float(row["rss_mib"])
        row["held"] = row["held"] == "yes"

    fig, (cpu_ax, mem_ax) = plt.subplots(1, 2, figsize=(11, 4.5))
    engines = []
    for row in rows:
        if row["engine"] not in engines:
            engines.append(row["engine"])
    for engine in engines:
        colour = COLOURS.get(engine, None)
        mine = [r for r in rows if r["engine"] == engine]
        held = sorted((r for r in mine if r["held"] and r["phase"] != "confirm"),
                      key=lambda r: r["n"])
        behind = [r for r in mine if not r["held"]]
        confirmed = [r for r in mine if r["held"] and r["phase"] == "confirm"]
        for ax, key in ((cpu_ax, "cpu"), (mem_ax, "rss")):
            ax.plot([r["n"] for r in held], [r[key] for r in held], "o-", color=colour,
                    label=engine + ", held")
            if behind:
                ax.plot([r["n"] for r in behind], [r[key] for r in behind], "o",
                        color=colour, markerfacecolor="none", markersize=8,
                        label=engine + ", fell behind")
            if confirmed:
                best = max(confirmed, key=lambda r: r["n"])
                ax.plot([best["n"]], [best[key]], "*", color=colour, markersize=16,
                        markeredgecolor="black",
                        label="%s, held %.0f s: N=%d" % (engine, float(best["window_s"]),
                                                         best["n"]))
    cpu_ax.axhline(CORES_PERCENT, color="grey", linestyle="--", linewidth=1)
    cpu_ax.annotate("2 cores", xy=(1.0, CORES_PERCENT), xycoords=("axes fraction", "data"),
                    ha="right", va="bottom", color="grey")
    cpu_ax.set_xlabel("live sessions N (20 ms buffers, real time)")
    cpu_ax.set_ylabel("process CPU, % of one core")
    cpu_ax.set_title("CPU against sessions")
    cpu_ax.set_ylim(bottom=0, top=CORES_PERCENT * 1.1)
    cpu_ax.set_xlim(left=0)
    cpu_ax.grid(alpha=0.3)
    cpu_ax.legend(fontsize=8, loc="upper left")
    mem_ax.set_xlabel("live sessions N")
    mem_ax.set_ylabel("resident memory (VmRSS), MiB")
    mem_ax.set_title("Memory against sessions")
    mem_ax.set_ylim(bottom=0)
    mem_ax.set_xlim(left=0)
    mem_ax.grid(alpha=0.3)
    mem_ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("bench-load: sessiontag ! pausedetect ! replyonpause handler=echo per session, "
                 "one process, 2 cores", fontsize=10)
    fig.tight_layout()
    fig.savefig(argv[2], dpi=110)
    print("wrote " + argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
