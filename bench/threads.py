#!/usr/bin/env python
"""Benchmark: do zhnlp's commands keep their speed when another job shares the cores?

Each command runs on a quiet machine and with busy-loop processes beside it (``--busy``,
default 1: one other busy job), side by side in one run (quiet and busy runs alternate),
and the ratio busy / quiet is printed. torch's default thread count (a thread per core)
waits for its slowest thread at every op, so one busy core slows it many times over;
``--threads 1`` (the default of every inference command) should stay within 1.5x.

Rows: ``--threads 1`` (the default) and ``--threads 0`` (torch's default, what classify,
translate and evaluate used before they had the option) for

1. ``zhnlp evaluate resume-ner`` on the ResumeNER test set (target: busy / quiet <= 1.5);
2. ``zhnlp classify shopping-category`` on 1,000 review lines (target: <= 1.5);
3. ``zhnlp tag resume-ner`` on 1,000 test sentences and ``zhnlp translate cmn-eng`` on 200
   sources (for reference);
4. with ``--train``: ``zhnlp train-classifier`` (2,000 rows, one epoch) and ``zhnlp train-ner``
   (500 sentences, one epoch), whose ``--threads`` defaults to 0.

Usage::

    python bench/threads.py                 # about 5 minutes on 2 cores (--threads 0 rows are the slow ones)
    python bench/threads.py --train         # also the two training commands
    python bench/threads.py --repeats 1 --skip-default-threads   # quick: --threads 1 rows only

Times are whole-process wall seconds (start-up and model loading included), the median of
``--repeats`` runs (``--default-repeats`` for the slow ``--threads 0`` rows). ``others q`` and
``others b``: the cores that other processes kept busy during the quiet and the busy runs
(the busy loops not counted), from /proc/stat: a machine shared with other jobs is not quiet,
and its figures are read against these. Exit status: 0
when every measurement was taken (whether or not the targets are met), 1 when one failed,
2 when the shared data is missing.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cpu_name, med, read_bio_sentences, read_csv_texts, run, zhnlp_cmd  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TARGET = 1.5
TARGETED = ("evaluate resume-ner", "classify shopping-category")


def _busy_loops(n: int) -> list[subprocess.Popen]:
    """``n`` busy loops, each in a session of its own: with the kernel's autogroup scheduling (on
    in most desktop and server kernels) a session's processes share one slice of the CPU, so a
    loop in the bench's session would take its time from the measured command alone, not as
    another user's job does."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
            for _ in range(n)]


def _stop(procs: list[subprocess.Popen]) -> float:
    """Kill the busy loops; returns the CPU seconds they used."""
    used = 0.0
    for p in procs:
        try:
            fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            used += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
        except (OSError, ValueError, IndexError):
            used = float("nan")
        p.kill()
        p.wait()
    return used


def _inputs(work: Path) -> dict[str, list[str]]:
    """name -> zhnlp arguments (without --threads), writing the inputs they read under ``work``."""
    reviews = [t.replace("\n", " ") for t in read_csv_texts(DATA / "online_shopping_10_cats" / "test.csv") if t][:1000]
    (work / "reviews.txt").write_text("".join(t + "\n" for t in reviews), encoding="utf-8")
    resume_test = DATA / "resume_ner" / "test.char.bmes"
    sentences = read_bio_sentences(resume_test)[:1000]
    (work / "sentences.txt").write_text("".join(s + "\n" for s in sentences), encoding="utf-8")
    sources = [line.split("\t")[1] for line in (DATA / "cmn_eng" / "test.tsv").read_text(encoding="utf-8")
               .splitlines()[:200]]
    (work / "sources.txt").write_text("".join(s + "\n" for s in sources), encoding="utf-8")
    return {
        "evaluate resume-ner": ["evaluate", "resume-ner", str(resume_test)],
        "classify shopping-category": ["classify", "shopping-category", str(work / "reviews.txt"),
                                       "-o", str(work / "labels.txt")],
        "tag resume-ner": ["tag", "resume-ner", str(work / "sentences.txt"), "-o", str(work / "tags.txt")],
        "translate cmn-eng": ["translate", "cmn-eng", str(work / "sources.txt"), "-o", str(work / "en.txt")],
    }


def _training(work: Path) -> dict[str, list[str]]:
    csv_lines = (DATA / "online_shopping_10_cats" / "train.csv").read_text(encoding="utf-8").splitlines()
    (work / "train.csv").write_text("\n".join(csv_lines[:2001]) + "\n", encoding="utf-8")
    bio, n = [], 0
    for line in (DATA / "resume_ner" / "train.char.bmes").read_text(encoding="utf-8").splitlines():
        bio.append(line)
        n += not line.strip()
        if n == 500:
            break
    (work / "train.bio").write_text("\n".join(bio) + "\n", encoding="utf-8")
    return {
        "train-classifier (2,000 rows, 1 epoch)": ["train-classifier", str(work / "train.csv"), "--text-col",
                                                   "review", "--label-col", "cat", "--epochs", "1", "-q", "--force",
                                                   "-o", str(work / "clf")],
        "train-ner (500 sentences, 1 epoch)": ["train-ner", str(work / "train.bio"), "--epochs", "1", "-q", "--force",
                                               "-o", str(work / "ner")],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--busy", type=int, default=1, help="busy-loop processes beside each busy run")
    ap.add_argument("--repeats", type=int, default=3, help="runs per row and condition (median)")
    ap.add_argument("--default-repeats", type=int, default=1, help="runs of the slow --threads 0 rows")
    ap.add_argument("--skip-default-threads", action="store_true", help="no --threads 0 rows")
    ap.add_argument("--train", action="store_true", help="also time train-classifier and train-ner")
    ap.add_argument("--only", default="", help="rows whose command starts with this (e.g. train-)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `kill`: the busy loops stop too (finally)
    if not DATA.is_dir():
        print(f"shared data not found: {DATA}", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env["PYTHONIOENCODING"] = "utf-8"
    print(f"machine: {cpu_name()}; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"busy: {args.busy} busy-loop process(es) beside each busy run, each in its own session; "
          "quiet and busy runs alternate\n")
    rows = []
    with tempfile.TemporaryDirectory(prefix="zhnlp-bench-threads-") as tmp:
        work = Path(tmp)
        commands = _inputs(work)
        if args.train:
            commands.update(_training(work))
        commands = {k: v for k, v in commands.items() if k.startswith(args.only)}
        settings = [("1", args.repeats)]
        if not args.skip_default_threads:
            settings.append(("0", args.default_repeats))
        print(f"{'command':40} {'--threads':>9} {'quiet s':>8} {'busy s':>8} {'busy/quiet':>10} "
              f"{'others q':>9} {'others b':>9}")
        for name, cmd_args in commands.items():
            for threads, repeats in settings:
                quiet, busy, quiet_bg, busy_bg = [], [], [], []
                for _ in range(repeats):
                    cmd = [*zhnlp_cmd(), *cmd_args, "--threads", threads]
                    try:
                        r = run(cmd, env)
                        quiet.append(r.wall)
                        quiet_bg.append(r.other_cpu / r.wall)
                        loops = _busy_loops(args.busy)
                        try:
                            r = run(cmd, env)
                        finally:
                            loop_cpu = _stop(loops)
                        busy.append(r.wall)
                        busy_bg.append((r.other_cpu - loop_cpu) / r.wall)
                    except RuntimeError as exc:
                        print(f"failed: {exc}", file=sys.stderr)
                        return 1
                ratio = med(busy) / med(quiet)
                rows.append((name, threads, ratio))
                print(f"{name:40} {threads:>9} {med(quiet):8.2f} {med(busy):8.2f} {ratio:10.2f} "
                      f"{med(quiet_bg):9.2f} {med(busy_bg):9.2f}", flush=True)
    print(f"\ntargets (default --threads 1, busy / quiet <= {TARGET}):")
    for name, threads, ratio in rows:
        if name in TARGETED and threads == "1":
            print(f"  {name:38} {ratio:5.2f}  {'met' if ratio <= TARGET else 'NOT met'}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
