#!/usr/bin/env python
"""Benchmark of ``zhnlp tag``'s memory on a big file (the streaming target): tagging a >= 200 MB
raw-text file keeps the peak RSS <= 1 GB.

Builds a raw Chinese text file of ``--mb`` MB (default 200) in a temporary folder by repeating
real sentences (MSRA NER's test split joined back into lines, ../shared/data/msra_ner/test.bio;
ResumeNER's or SIGHAN's PKU test text when that is absent, generated sentences when all are),
runs ``python -m zhnlp tag MODEL BIG -o OUT -q`` as a subprocess (``--jobs`` 1, then every
further value given), and samples every 0.1 s the resident memory of the whole process tree
(the command and its worker processes, summed; psutil, or /proc without it). Also reported:
the largest single process (the OS's ru_maxrss of the waited-for children, exact, not sampled).
Checks that the output has exactly as many lines as the input.

One result line per run, e.g.::

    tag msra-ner 200.0 MB -j 1: peak RSS 434 MB (tree of 1 process(es), sampled every 0.1 s via psutil;
    limit 1,024 MB) PASS; largest single process 434 MB (ru_maxrss of wait4); 290 lines/s, ...

Usage::

    python bench/tag_memory.py                  # 200 MB, msra-ner, -j 1
    python bench/tag_memory.py --mb 5 --jobs 1,2 # a quick look (also: how fast, to size a full run)
    python bench/tag_memory.py --threads 1      # one torch thread (a busy machine: 2 threads can be 5x slower)
    python bench/tag_memory.py --keep DIR       # keep the big file and the output in DIR

Exit status 0 when every run met the limit, 1 when one did not (or failed), 2 when nothing
could be measured.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data"
MB = 1_000_000
LIMIT_MB = 1024.0
SENTENCE = "我们今天在北京大学讨论自然语言处理的问题，并且测试分词工具。"


def source_lines(data: Path) -> tuple[list[str], str]:
    """Raw sentences (one per line, no newline) and where they came from."""
    from zhnlp.formats.conll import read_conll

    for sub, name in (("msra_ner", "test.bio"), ("resume_ner", "test.char.bmes")):
        p = data / sub / name
        if p.is_file():
            return ["".join(s.tokens) for s in read_conll(p) if s.tokens], str(p)
    pku = data / "sighan2005" / "testing" / "pku_test.utf8"
    if pku.is_file():
        return [ln for ln in pku.read_text(encoding="utf-8").splitlines() if ln.strip()], str(pku)
    return [f"{i}：{SENTENCE}" for i in range(5000)], "generated sentences"


def build_input(path: Path, lines: list[str], size: int) -> int:
    """Write lines, repeated, until the file holds ``size`` bytes (whole lines); returns the line count."""
    block = ("\n".join(lines) + "\n").encode("utf-8")
    n_block = len(lines)
    written = count = 0
    with open(path, "wb") as f:
        while written + len(block) <= size:
            f.write(block)
            written += len(block)
            count += n_block
        for line in lines:  # the remainder, line by line
            if written >= size:
                break
            b = (line + "\n").encode("utf-8")
            f.write(b)
            written += len(b)
            count += 1
    return count


def count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            n += chunk.count(b"\n")
    return n


class TreeRSS:
    """Samples every ``interval`` s the summed RSS of a process and all its descendants (and
    their summed PSS, which counts pages shared between them, e.g. torch's libraries, once)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval = pid, interval
        self.peak = self.peak_pss = self.peak_procs = 0
        self.timeline: list[tuple[float, int]] = []   # (seconds since start, tree RSS)
        self._stop = threading.Event()
        try:
            import psutil  # noqa: F401

            self.how = "psutil"
        except ImportError:
            self.how = "/proc"
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TreeRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _pids(self) -> list[int]:
        if self.how == "psutil":
            import psutil

            try:
                root = psutil.Process(self.pid)
                return [self.pid] + [c.pid for c in root.children(recursive=True)]
            except psutil.Error:
                return []
        return _proc_tree(self.pid)

    def _run(self) -> None:
        t0 = time.monotonic()
        while not self._stop.is_set():
            rss = pss = n = 0
            for pid in self._pids():
                r, p = _rss_pss(pid)
                if r:
                    rss, pss, n = rss + r, pss + p, n + 1
            if n:
                self.timeline.append((time.monotonic() - t0, rss))
            if rss > self.peak:
                self.peak, self.peak_procs = rss, n
            self.peak_pss = max(self.peak_pss, pss)
            self._stop.wait(self.interval)


def _rss_pss(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes from /proc/PID/smaps_rollup; (0, 0) when it is gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return 0, 0
    return rss, pss


def _proc_tree(pid: int) -> list[int]:
    """pid and its descendants from /proc (Linux, without psutil)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def run_once(model: str, big: Path, out: Path, jobs: int, extra: list[str], env: dict, interval: float) -> dict:
    """Run ``zhnlp tag`` once; returns peak figures, an RSS timeline, seconds and the return code."""
    cmd = [sys.executable, "-m", "zhnlp", "tag", model, str(big), "-o", str(out), "-q", "-j", str(jobs), *extra]
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        with TreeRSS(proc.pid, interval) as sampler:
            # wait4: this child's own rusage; its ru_maxrss is the largest resident set of the
            # process or of any descendant it waited for (its workers), exact rather than sampled
            _, status, usage = os.wait4(proc.pid, 0)
        secs = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return {"cmd": cmd, "rc": proc.returncode, "stderr": stderr, "seconds": secs, "tree_peak": sampler.peak, "tree_pss": sampler.peak_pss,
            "tree_procs": sampler.peak_procs, "how": sampler.how, "single_peak": usage.ru_maxrss * 1024,
            "timeline": sampler.timeline}


def timeline_note(timeline: list[tuple[float, int]]) -> str:
    """The tree's RSS at 10%, 25%, 50%, 75% and 100% of the run (does memory grow with the input read?)."""
    if not timeline:
        return ""
    end = timeline[-1][0]
    parts = []
    for q in (0.1, 0.25, 0.5, 0.75, 1.0):
        rss = next((r for t, r in timeline if t >= q * end), timeline[-1][1])
        parts.append(f"{int(q * 100)}% {rss / 2**20:,.0f}")
    return "RSS over the run (MB): " + ", ".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=200.0, help="input size in MB (10^6 bytes) [200]")
    ap.add_argument("--model", default="msra-ner", help="model directory or bundled name [msra-ner]")
    ap.add_argument("--jobs", default="1", help="comma-separated -j values, one run each [1]")
    ap.add_argument("--limit-mb", type=float, default=LIMIT_MB, help="peak RSS limit in MB (2^20 bytes) [1024]")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--keep", type=Path, help="write the big file and outputs here (kept) instead of a temp folder")
    ap.add_argument("--interval", type=float, default=0.1, help="RSS sampling interval in seconds [0.1]")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch CPU threads in zhnlp tag (OMP_NUM_THREADS; 0: torch's default). 1 avoids "
                         "oversubscription on a busy machine")
    ap.add_argument("--tag-args", default="", help="more options for zhnlp tag, e.g. '--batch-size 128'")
    args = ap.parse_args()

    try:
        jobs_list = [int(j) for j in args.jobs.split(",") if j.strip()]
    except ValueError:
        ap.error("--jobs: comma-separated integers")
    if args.mb <= 0 or not jobs_list or min(jobs_list) < 1:
        ap.error("--mb must be positive and every --jobs value at least 1")
    lines, origin = source_lines(args.data)
    work = args.keep or Path(tempfile.mkdtemp(prefix="zhnlp-tag-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if args.threads:
        env.update(OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    results = []
    try:
        big = work / "big.txt"
        t0 = time.perf_counter()
        n_lines = build_input(big, lines, int(args.mb * MB))
        size = big.stat().st_size
        print(f"input: {size / MB:.1f} MB, {n_lines:,} lines ({len(lines):,} distinct, from {origin}), "
              f"built in {time.perf_counter() - t0:.1f} s in {work}", flush=True)
        from _common import cpu_name

        print(f"machine: {cpu_name()}; python {sys.version.split()[0]}", flush=True)
        for jobs in jobs_list:
            out = work / f"out-j{jobs}.txt"
            r = run_once(args.model, big, out, jobs, args.tag_args.split(), env, args.interval)
            threads = f", {args.threads} thread(s)" if args.threads else ""
            label = f"tag {args.model} {size / MB:.1f} MB -j {jobs}{threads}"
            if r["rc"] != 0:
                print(f"{label}: FAILED (exit {r['rc']}): {r['stderr'].strip()[-2000:]}", flush=True)
                results.append(False)
                continue
            got = count_lines(out)
            peak = r["tree_peak"] / 2**20
            ok = peak <= args.limit_mb and got == n_lines
            verdict = "PASS" if ok else "FAIL"
            lines_note = "" if got == n_lines else f"; OUTPUT HAS {got:,} LINES, INPUT {n_lines:,}"
            print(f"{label}: peak RSS {peak:,.0f} MB (tree of {r['tree_procs']} process(es), sampled every "
                  f"{args.interval} s via {r['how']}; limit {args.limit_mb:,.0f} MB) {verdict}; "
                  f"peak PSS {r['tree_pss'] / 2**20:,.0f} MB (shared pages counted once); "
                  f"largest single process {r['single_peak'] / 2**20:,.0f} MB (ru_maxrss of wait4); "
                  f"{n_lines / r['seconds']:,.0f} lines/s, {size / MB / r['seconds']:.3f} MB/s, "
                  f"{n_lines:,} lines in {r['seconds']:.1f} s{lines_note}", flush=True)
            print(f"  {timeline_note(r['timeline'])}", flush=True)
            results.append(ok)
            if not args.keep:
                out.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if not results:
        return 2
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
