#!/usr/bin/env python
"""Benchmark of ``zhnlp segment --scheduler``: a local Dask cluster of 1 vs 2 workers.

Builds a text file of real sentences (reviews and news from ../shared/data, repeated) of
``--mb`` MB (default 200), then segments it in one run each, side by side:

- ``zhnlp segment BIG --scheduler local:1 -o OUT1``
- ``zhnlp segment BIG --scheduler local:2 -o OUT2``
- ``zhnlp segment BIG -j 1 -o OUT0`` (the single-process path; ``--skip-single`` leaves it out)

Each is a whole process timed by wall clock (cluster start-up included) with the peak RSS
of its process tree. Prints MB/s for each, the 2-vs-1-worker ratio (target ≥ 1.6), and
whether the outputs are byte-identical. The ratio needs two otherwise idle cores.

Usage::

    python bench/dask.py                  # 200 MB (about 15 minutes on 2 cores)
    python bench/dask.py --mb 20          # a quick look
    python bench/dask.py --json out.json

Exit status: 0 when the measurements were taken (met or not), 1 when a run failed, 2 on
missing data.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MB, build_text_file, compare_files, corpus_lines, cpu_name, run, zhnlp_cmd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
TARGET = 1.6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--mb", type=float, default=200.0, help="input size in MB (2**20 bytes)")
    ap.add_argument("--block-size", default="8MB", help="--block-size passed to zhnlp segment")
    ap.add_argument("--skip-single", action="store_true", help="leave out the -j 1 run")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: no shared data at {args.data} (--data)", file=sys.stderr)
        return 2
    print(f"machine: {cpu_name()}; python {sys.version.split()[0]}")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    results: dict = {"mb": args.mb, "block_size": args.block_size, "runs": {}}
    with tempfile.TemporaryDirectory(prefix="zhnlp-bench-dask-") as tmp:
        tmp = Path(tmp)
        big = tmp / "big.txt"
        lines = [x for v in corpus_lines(args.data).values() for x in v]
        info = build_text_file(big, lines, args.mb)
        size_mb = info["bytes"] / MB
        results["input"] = info
        print(f"input: {size_mb:.1f} MB, {info['lines']:,} lines ({info['unique_lines']:,} distinct)")
        # One segmentation first fills the dictionary cache, so that no run pays for building it.
        cache_warm = tmp / "warm.txt"
        cache_warm.write_text("\n".join(lines[:10]) + "\n", encoding="utf-8")
        run(zhnlp_cmd() + ["segment", str(cache_warm), "-q"], env)

        runs = [("local:1", ["--scheduler", "local:1", "--block-size", args.block_size]),
                ("local:2", ["--scheduler", "local:2", "--block-size", args.block_size])]
        if not args.skip_single:
            runs.append(("-j 1", ["-j", "1"]))
        outputs = []
        for name, opts in runs:
            out = tmp / f"out-{len(outputs)}.txt"
            r = run(zhnlp_cmd() + ["segment", str(big), "-o", str(out), "-q", *opts], env, poll=True,
                    interval=0.2, pss_every=10**9, check=False)
            if r.rc != 0:
                print(f"error: {name} failed (exit {r.rc}):\n{r.stderr[-2000:]}", file=sys.stderr)
                return 1
            outputs.append(out)
            results["runs"][name] = {"seconds": r.wall, "mb_per_s": size_mb / r.wall,
                                     "tree_rss_peak_mb": r.tree_rss_kb / 1024, "processes": r.max_procs,
                                     "other_cpu_s": r.other_cpu}
            print(f"  {name:8} {r.wall:8.1f} s  {size_mb / r.wall:6.2f} MB/s  peak RSS of the tree "
                  f"{r.tree_rss_kb / 1024:7.1f} MB ({r.max_procs} processes); other CPU use meanwhile "
                  f"{r.other_cpu:.1f} s")
        same = compare_files(outputs)
        results["identical"] = same["identical"]
        ratio = results["runs"]["local:1"]["seconds"] / results["runs"]["local:2"]["seconds"]
        results["ratio_2_vs_1"] = ratio
    names = " = ".join(name for name, _ in runs)
    print(f"outputs {names}: {'identical' if same['identical'] else 'DIFFERENT: ' + json.dumps(same['first_difference'], ensure_ascii=False)}")
    met = ratio >= TARGET and same["identical"] and size_mb >= 200
    print(f"2 workers vs 1: {ratio:.2f}x (target >= {TARGET} on >= 200 MB, identical output): "
          f"{'met' if met else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
