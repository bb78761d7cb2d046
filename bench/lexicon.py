#!/usr/bin/env python
"""Huge lexicons (issue 27, target 5): a 1,000,000-entry lexicon from the shared text's frequent
character n-grams, loaded by jieba's ``load_userdict`` and by zhnlp's engines.

Each measurement is a separate process: load time (first run: cold cache; second run: warm),
its peak RSS when loaded (VmHWM), and segmentation speed with the lexicon on a few MB of the same text;
the outputs of zhnlp's two engines must be identical. Target: zhnlp's (warm) load takes <= 1/5 of
``jieba.load_userdict`` and <= 1/2 of its peak RSS.

Usage::

    python bench/lexicon.py                      # 1M entries, 2 MB of text to segment
    python bench/lexicon.py --entries 200000 --mb 1
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MB, build_text_file, compare_files, corpus_lines, run

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# Each script prints one JSON line: load seconds (in-process) and segmentation seconds.
JIEBA_SCRIPT = '''\
import json, sys, time
import jieba
jieba.setLogLevel(60)
t00 = time.perf_counter()
jieba.initialize()
t0 = time.perf_counter()
jieba.load_userdict(sys.argv[1])
t1 = time.perf_counter()
hwm = int(next(x for x in open("/proc/self/status") if x.startswith("VmHWM")).split()[1])
with open(sys.argv[2], encoding="utf-8") as f, open(sys.argv[3], "w", encoding="utf-8") as out:
    for line in f:
        out.write(" ".join(jieba.lcut(line.rstrip("\\n"))) + "\\n")
print(json.dumps({"load_s": t1 - t0, "init_s": t0 - t00, "cut_s": time.perf_counter() - t1, "hwm_kb": hwm}))
'''
ZHNLP_SCRIPT = '''\
import json, sys, time
t0 = time.perf_counter()
from zhnlp.text.segment import Segmenter
seg = Segmenter(user_dicts=[sys.argv[1]], engine=sys.argv[4]).load()
t1 = time.perf_counter()
hwm = int(next(x for x in open("/proc/self/status") if x.startswith("VmHWM")).split()[1])
with open(sys.argv[2], encoding="utf-8") as f, open(sys.argv[3], "w", encoding="utf-8") as out:
    for words in seg.map_chunks([line.rstrip("\\n") for line in f], 1):
        out.write("".join(" ".join(w) + "\\n" for w in words))
print(json.dumps({"load_s": t1 - t0, "init_s": 0.0, "cut_s": time.perf_counter() - t1, "hwm_kb": hwm}))
'''


def build_lexicon(lines: list[str], entries: int, path: Path) -> int:
    """The ``entries`` most frequent 2- to 4-character Han n-grams, as ``word count`` lines."""
    counts: Counter[str] = Counter()
    for line in lines:
        for run_ in re.findall("[\u4E00-\u9FD5]{2,}", line):
            counts.update(run_[i:i + n] for n in (2, 3, 4) for i in range(len(run_) - n + 1))
    top = counts.most_common(entries)
    path.write_text("".join(f"{w} {c}\n" for w, c in top), encoding="utf-8")
    return len(top)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--mb", type=float, default=2.0, help="text segmented with the lexicon (MB)")
    args = ap.parse_args(argv)
    sources = corpus_lines(args.data)
    lines = [x for v in sources.values() for x in v]
    with tempfile.TemporaryDirectory(prefix="zhnlp-lexicon-") as tmpdir:
        tmp = Path(tmpdir)
        env = dict(os.environ, ZHNLP_CACHE_DIR=str(tmp / "cache"))
        lex, text = tmp / "lexicon.txt", tmp / "text.txt"
        n = build_lexicon(lines, args.entries, lex)
        build_text_file(text, lines, args.mb)
        print(f"lexicon: {n} entries, {lex.stat().st_size / MB:.1f} MB; text: {text.stat().st_size / MB:.1f} MB")
        scripts = {"jieba": JIEBA_SCRIPT, "zhnlp": ZHNLP_SCRIPT}
        for k, body in scripts.items():
            (tmp / f"load_{k}.py").write_text(body, encoding="utf-8")
        results: dict = {}
        runs = [("jieba load_userdict", "jieba", []), ("zhnlp fast, first run", "zhnlp", ["fast"]),
                ("zhnlp fast, second run", "zhnlp", ["fast"]), ("zhnlp --engine jieba, warm", "zhnlp", ["jieba"])]
        for label, script, extra in runs:
            out = tmp / f"out.{len(results)}.txt"
            with open(tmp / "stdout.json", "w+b") as so:
                r = run([sys.executable, str(tmp / f"load_{script}.py"), str(lex), str(text), str(out), *extra], env,
                        stdout=so)
                so.seek(0)
                res = json.loads(so.read().decode().strip().splitlines()[-1])
            res.update(wall_s=r.wall, maxrss_mb=res["hwm_kb"] / 1024, out=out,
                       mb_per_s=text.stat().st_size / MB / res["cut_s"])
            results[label] = res
            init = f" (+ jieba.initialize {res['init_s']:.2f} s)" if res["init_s"] else ""
            print(f"  {label:28} load {res['load_s']:6.2f} s{init}  process {r.wall:6.2f} s  peak RSS after loading "
                  f"{res['maxrss_mb']:7.1f} MB  segmenting {res['mb_per_s']:5.2f} MB/s")
        j, z = results["jieba load_userdict"], results["zhnlp fast, second run"]
        same = compare_files([results[k]["out"] for k in list(results)[1:]])["identical"]
        print(f"load time zhnlp fast (warm) / jieba load_userdict = {z['load_s'] / j['load_s']:.3f}  (target <= 0.2)")
        print(f"peak RSS zhnlp fast (warm) / jieba = {z['maxrss_mb'] / j['maxrss_mb']:.3f}  (target <= 0.5)")
        print(f"zhnlp's engines give identical output: {'yes' if same else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
