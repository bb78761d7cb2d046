#!/usr/bin/env python
"""Benchmark of ``zhnlp segment`` against the targets of the segmentation issue.

Every target is measured side by side in one run and printed as a ratio (or a figure)
next to the raw measurements, then a summary table: target, measured, required, met.

1. Throughput on >= 20 MB of real text (review and news corpora repeated): a plain
   single-process ``jieba.lcut`` loop vs ``zhnlp segment -j 1`` and ``-j 2`` (the compiled
   engine, the default) and ``zhnlp segment --engine jieba -j 1`` (whole-process wall time
   each); the four outputs must be byte-identical (issue 27: -j 1 >= 8x, -j 2 >= 14x).
2. Start-up with all five THUOCL lexicons: ``zhnlp segment`` on a warm cache vs a plain
   ``jieba.initialize(); jieba.load_userdict(...)`` script and vs ``python -c pass``
   (issue 27: <= 0.25 s over it); cold- and warm-cache runs must segment the same.
6. ``--pos`` and ``--mode full`` (both on jieba's code with either engine) against plain
   ``jieba.posseg.lcut`` / ``jieba.lcut(cut_all=True)`` loops on a quarter of the input,
   identical outputs.
3. ``zhnlp --help`` wall time minus ``python -c pass`` wall time.
4. Peak RSS of ``zhnlp segment -j 2`` on >= 500 MB of input (whole process tree).
5. Word F1 on SIGHAN 2005 PKU and MSR with the training word list as main dictionary
   (and jieba's default for reference; the bakeoff's Perl scorer when perl is available).

The 1M-entry lexicon of issue 27 (load time and peak RSS against jieba's load_userdict): bench/lexicon.py.

Usage::

    python bench/segment.py                 # full run (20-30 minutes on 2 cores; --skip-rss: ~7)
    python bench/segment.py --quick         # smoke run with small sizes
    python bench/segment.py --skip-rss --json results.json

Sizes are in MB of 2**20 bytes; MB/s likewise. Exit status: 0 when every measurement
was taken (whether or not the targets are met), 1 when a measurement failed, 2 on bad
arguments or missing data.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MB, build_text_file, compare_files, corpus_lines, run, zhnlp_cmd

THUOCL_NAMES = ("it", "medical", "finance", "law", "places")
THUOCL_FILES = {"it": "THUOCL_IT.txt", "medical": "THUOCL_medical.txt", "finance": "THUOCL_caijing.txt",
                "law": "THUOCL_law.txt", "places": "THUOCL_diming.txt"}

# The plain single-process loop of target 1: exactly zhnlp's text format (whitespace-only
# tokens dropped, words joined by one space).
LOOP_SCRIPT = '''\
import sys
import jieba
jieba.setLogLevel(60)
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8", newline="\\n") as out:
    for line in f:
        out.write(" ".join(w for w in jieba.lcut(line.rstrip("\\n")) if w.strip()) + "\\n")
'''

# The plain loops of target 6: zhnlp's text format with --pos (word/tag) and --mode full.
POS_LOOP_SCRIPT = '''\
import sys
import jieba
import jieba.posseg
jieba.setLogLevel(60)
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8", newline="\\n") as out:
    for line in f:
        out.write(" ".join(f"{p.word}/{p.flag}" for p in jieba.posseg.lcut(line.rstrip("\\n")) if p.word.strip()) + "\\n")
'''
FULL_LOOP_SCRIPT = LOOP_SCRIPT.replace('.rstrip("\\n"))', '.rstrip("\\n"), cut_all=True)')

# The plain jieba start-up of target 2.
JIEBA_STARTUP_SCRIPT = '''\
import sys
import jieba
jieba.setLogLevel(60)
jieba.initialize()
jieba.load_userdict(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as f:
    for line in f:
        sys.stdout.write(" ".join(w for w in jieba.lcut(line.rstrip("\\n")) if w.strip()) + "\\n")
'''


def source_state() -> dict:
    """What zhnlp code is measured: git HEAD, and a digest of zhnlp/*.py as they are on disk."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted((ROOT / "zhnlp").rglob("*.py")):
        h.update(str(p.relative_to(ROOT)).encode() + b"\0" + p.read_bytes() + b"\0")
    state = {"zhnlp_sha256": h.hexdigest()[:16], "git_head": None, "zhnlp_dirty": None}
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10, check=False)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "zhnlp"],
                               capture_output=True, text=True, timeout=10, check=False)
        if head.returncode == 0:
            state["git_head"] = head.stdout.strip()
            state["zhnlp_dirty"] = bool(dirty.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return state


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# --------------------------------------------------------------------------- data

def lexicon_words(name: str) -> list[str]:
    """The words of a bundled THUOCL lexicon, read as zhnlp reads them."""
    from zhnlp.text.dictionary import read_lexicon

    return [e.word for e in read_lexicon(ROOT / "dictionaries" / "thuocl" / THUOCL_FILES[name])]


def sentences_with_lexicon_words(sources: dict[str, list[str]], lexicons: dict[str, set[str]],
                                 per_lexicon: int = 4, min_len: int = 3, max_len: int = 8,
                                 max_chars: int = 120) -> list[tuple[str, str, str]]:
    """Real sentences containing a lexicon word of min_len+ characters: (lexicon, word, sentence)."""
    found: list[tuple[str, str, str]] = []
    counts = {k: 0 for k in lexicons}
    seen: set[str] = set()
    pool = sources["msra_ner"][:20000] + sources["online_shopping_10_cats"][:20000] + sources["chnsenticorp"][:5000]
    for sent in pool:
        if len(sent) > max_chars or sent in seen:
            continue
        for name, words in lexicons.items():
            if counts[name] >= per_lexicon:
                continue
            hit = next((sent[i:i + n] for n in range(max_len, min_len - 1, -1)
                        for i in range(len(sent) - n + 1) if sent[i:i + n] in words), None)
            if hit:
                found.append((name, hit, sent))
                counts[name] += 1
                seen.add(sent)
                break
        if all(c >= per_lexicon for c in counts.values()):
            break
    return found


# --------------------------------------------------------------------------- targets

def target_throughput(ctx: dict) -> dict:
    tmp, env, zh = ctx["tmp"], ctx["env"], ctx["zhnlp"]
    text = tmp / "text.txt"
    info = build_text_file(text, ctx["all_lines"], ctx["mb"])
    mb = info["bytes"] / MB
    print(f"  input: {text.name}, {mb:.1f} MB, {info['lines']} lines "
          f"({info['unique_lines']} distinct real lines, repeated)")
    loop = tmp / "loop.py"
    loop.write_text(LOOP_SCRIPT, encoding="utf-8")
    # Warm both caches first (jieba's in the temp folder, zhnlp's prefix dictionary), untimed.
    warm_in = tmp / "warm.txt"
    warm_in.write_text("今天天气很好\n", encoding="utf-8")
    run([sys.executable, str(loop), str(warm_in), str(tmp / "warm.loop")], env)
    run(zh + ["segment", str(warm_in), "-o", str(tmp / "warm.zh"), "-q"], env)
    outs = {k: tmp / f"out.{k}.txt" for k in ("loop", "j1", "j2", "jieba")}
    cmds = {"loop": [sys.executable, str(loop), str(text), str(outs["loop"])],
            "j1": zh + ["segment", str(text), "-o", str(outs["j1"]), "-j", "1", "-q"],
            "j2": zh + ["segment", str(text), "-o", str(outs["j2"]), "-j", "2", "-q"],
            "jieba": zh + ["segment", str(text), "-o", str(outs["jieba"]), "-j", "1", "-q", "--engine", "jieba"]}
    rounds = max(1, ctx["repeat"])
    res = {"input_mb": mb, "input_lines": info["lines"], "rounds": rounds, "seconds": {}, "mb_per_s": {},
           "maxrss_mb": {}, "cpu_s": {}, "other_cpu_s": {}}
    for k in cmds:
        for key in ("seconds", "maxrss_mb", "cpu_s", "other_cpu_s"):
            res[key][k] = []
    cmp = None
    busy = 0.0
    # The three commands run one after the other, round after round (interleaved), so that a
    # change in machine load hits all of them alike; the ratios use the median wall times.
    for i in range(rounds):
        for k, cmd in cmds.items():
            r = run(cmd, env)
            res["seconds"][k].append(r.wall)
            res["maxrss_mb"][k].append(r.maxrss_kb / 1024)
            res["cpu_s"][k].append(r.cpu)
            res["other_cpu_s"][k].append(r.other_cpu)
            busy = max(busy, r.other_cpu / r.wall)
            tag = f"round {i + 1} " if rounds > 1 else ""
            print(f"  {tag}{k:5} {r.wall:8.2f} s wall  {mb / r.wall:6.2f} MB/s  {r.cpu:8.2f} s CPU (all its "
                  f"processes)  max RSS of one process {r.maxrss_kb / 1024:.0f} MB; other processes on the "
                  f"machine used {r.other_cpu:.1f} CPU-s meanwhile")
        if cmp is None:
            cmp = compare_files(list(outs.values()))
        for p in outs.values():
            p.unlink()
    wall = {k: median(v) for k, v in res["seconds"].items()}
    cpu = {k: median(v) for k, v in res["cpu_s"].items()}
    res["median_seconds"], res["median_cpu_s"] = wall, cpu
    res["mb_per_s"] = {k: mb / w for k, w in wall.items()}
    res["ratio_j2_loop"] = wall["loop"] / wall["j2"]
    res["ratio_j1_loop"] = wall["loop"] / wall["j1"]
    res["ratio_jieba_engine_loop"] = wall["loop"] / wall["jieba"]
    res["identical"] = cmp["identical"]
    res["compare"] = cmp
    res["max_other_cores_busy"] = busy
    if rounds > 1:
        print("  medians: " + ", ".join(f"{k} {wall[k]:.2f} s ({mb / wall[k]:.2f} MB/s, {cpu[k]:.2f} s CPU)"
                                        for k in cmds))
    print(f"  ratio j1/loop = {res['ratio_j1_loop']:.2f}  (target >= 8)")
    print(f"  ratio j2/loop = {res['ratio_j2_loop']:.2f}  (target >= 14)")
    print(f"  ratio (--engine jieba -j 1)/loop = {res['ratio_jieba_engine_loop']:.2f}  (reference)")
    if cpu["loop"] > 0:
        print(f"  CPU time relative to the loop: j1 {cpu['j1'] / cpu['loop']:.3f}x, j2 {cpu['j2'] / cpu['loop']:.3f}x, "
              f"--engine jieba {cpu['jieba'] / cpu['loop']:.3f}x (wall-time ratios above are the targets)")
    if busy > 0.2:
        print(f"  WARNING: other processes kept up to {busy:.2f} of the {os.cpu_count()} cores busy during a timed "
              "run: wall-time ratios (j2 most of all) are understated; compare the CPU times")
    print(f"  identical: {'yes' if cmp['identical'] else 'no'}  (sizes {cmp['sizes']})")
    if not cmp["identical"] and cmp["first_difference"]:
        d = cmp["first_difference"]
        print(f"  {cmp['differing_lines']} differing lines; first at line {d['line']}:")
        for k, t in zip(outs, d["texts"]):
            print(f"    {k:5} {t[:200]}")
    ctx["text_file"] = text
    if ctx["quick"]:
        print("  (--quick: input too small for the ratios to mean much; start-up dominates)")
    return res


def target_startup(ctx: dict) -> dict:
    tmp, env, zh, reps = ctx["tmp"], ctx["env"], ctx["zhnlp"], ctx["startup_reps"]
    cache = Path(env["ZHNLP_CACHE_DIR"])
    lexicons = {n: lexicon_words(n) for n in THUOCL_NAMES}
    words: list[str] = []
    seen: set[str] = set()
    for n in THUOCL_NAMES:
        for w in lexicons[n]:
            if w not in seen:
                seen.add(w)
                words.append(w)
    words_file = tmp / "thuocl_words.txt"
    words_file.write_text("".join(w + "\n" for w in words), encoding="utf-8")
    sents = sentences_with_lexicon_words(ctx["sources"], {n: {w for w in ws if len(w) >= 3}
                                                          for n, ws in lexicons.items()})
    sent_file = tmp / "lexicon_sentences.txt"
    sent_file.write_text("".join(s + "\n" for _, _, s in sents), encoding="utf-8")
    one = tmp / "one_line.txt"
    one.write_text(sents[0][2] + "\n", encoding="utf-8")
    print(f"  lexicons: {', '.join(f'{n} {len(lexicons[n])}' for n in THUOCL_NAMES)}; "
          f"{len(words)} distinct words -> {words_file.name}")
    print(f"  one-line input: {sents[0][2]}")
    dict_args = [a for n in THUOCL_NAMES for a in ("--dict", n)]

    def empty_cache():
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)

    empty_cache()
    cold = run(zh + ["segment", str(one)] + dict_args + ["-q"], env)
    warm = [run(zh + ["segment", str(one)] + dict_args + ["-q"], env).wall for _ in range(reps)]
    jscript = tmp / "jieba_startup.py"
    jscript.write_text(JIEBA_STARTUP_SCRIPT, encoding="utf-8")
    run([sys.executable, str(jscript), str(words_file), str(one)], env)  # jieba's own cache warm
    jieba_t = [run([sys.executable, str(jscript), str(words_file), str(one)], env).wall for _ in range(reps)]
    passes = [run([sys.executable, "-c", "pass"], env).wall for _ in range(reps)]
    res = {"zhnlp_cold_s": cold.wall, "zhnlp_warm_s": warm, "jieba_s": jieba_t, "pass_s": passes,
           "zhnlp_warm_median_s": median(warm), "jieba_median_s": median(jieba_t),
           "pass_median_s": median(passes), "words": len(words), "sentence": sents[0][2]}
    res["ratio"] = res["zhnlp_warm_median_s"] / res["jieba_median_s"]
    res["over_pass_s"] = res["zhnlp_warm_median_s"] - res["pass_median_s"]
    print(f"  zhnlp cold (first) run {cold.wall:.3f} s; warm runs {', '.join(f'{t:.3f}' for t in warm)} "
          f"-> median {res['zhnlp_warm_median_s']:.3f} s")
    print(f"  jieba initialize+load_userdict runs {', '.join(f'{t:.3f}' for t in jieba_t)} "
          f"-> median {res['jieba_median_s']:.3f} s")
    print(f"  ratio zhnlp/jieba = {res['ratio']:.3f}  (target <= 0.333)")
    print(f"  python -c pass median {res['pass_median_s']:.3f} s; zhnlp warm start-up over it = "
          f"{res['over_pass_s']:.3f} s  (target <= 0.25)")

    # Same segmentation from a cold cache and a warm cache.
    empty_cache()
    cold_out, warm_out = tmp / "lex.cold.txt", tmp / "lex.warm.txt"
    run(zh + ["segment", str(sent_file), "-o", str(cold_out)] + dict_args + ["-q"], env)
    cached = sorted(p.name for p in cache.iterdir())
    run(zh + ["segment", str(sent_file), "-o", str(warm_out)] + dict_args + ["-q"], env)
    cmp = compare_files([cold_out, warm_out])
    seg_lines = warm_out.read_text(encoding="utf-8").splitlines()
    kept = sum(1 for (_, w, _), line in zip(sents, seg_lines) if w in line.split(" "))
    res["cold_warm_identical"] = cmp["identical"]
    res["cold_warm_compare"] = cmp
    res["lexicon_sentences"] = [{"lexicon": n, "word": w, "sentence": s, "segmented": line}
                                for (n, w, s), line in zip(sents, seg_lines)]
    print(f"  cold vs warm cache on {len(sents)} real sentences with lexicon words: identical: "
          f"{'yes' if cmp['identical'] else 'no'} (cache files after the cold run: {len(cached)})")
    print(f"  lexicon word kept as one token in {kept} of {len(sents)} sentences; e.g.")
    for (n, w, s), line in list(zip(sents, seg_lines))[:3]:
        print(f"    [{n}] {w}: {line[:120]}")
    if not cmp["identical"] and cmp["first_difference"]:
        d = cmp["first_difference"]
        print(f"  first difference at line {d['line']}:\n    cold {d['texts'][0]}\n    warm {d['texts'][1]}")
    return res


def target_pos_full(ctx: dict) -> dict:
    """``--pos`` and ``--mode full`` against jieba's own loops (a quarter of the input)."""
    tmp, env, zh = ctx["tmp"], ctx["env"], ctx["zhnlp"]
    text = tmp / "text_quarter.txt"
    info = build_text_file(text, ctx["all_lines"], ctx["mb"] / 4)
    mb = info["bytes"] / MB
    print(f"  input: {text.name}, {mb:.1f} MB, {info['lines']} lines")
    res: dict = {"input_mb": mb}
    for name, script, option in (("pos", POS_LOOP_SCRIPT, ["--pos"]), ("full", FULL_LOOP_SCRIPT, ["--mode", "full"])):
        loop = tmp / f"{name}_loop.py"
        loop.write_text(script, encoding="utf-8")
        outs = [tmp / f"out.{name}.loop.txt", tmp / f"out.{name}.zhnlp.txt"]
        r_loop = run([sys.executable, str(loop), str(text), str(outs[0])], env)
        r_zh = run(zh + ["segment", str(text), "-o", str(outs[1]), "-j", "1", "-q", *option], env)
        cmp = compare_files(outs)
        for p in outs:
            p.unlink()
        res[name] = {"loop_s": r_loop.wall, "zhnlp_s": r_zh.wall, "ratio": r_loop.wall / r_zh.wall,
                     "identical": cmp["identical"]}
        print(f"  {' '.join(option):12} jieba loop {r_loop.wall:6.2f} s, zhnlp segment -j 1 {r_zh.wall:6.2f} s: "
              f"ratio {r_loop.wall / r_zh.wall:.2f} (jieba's code on both sides); identical: "
              f"{'yes' if cmp['identical'] else 'no'}")
    return res


def target_help(ctx: dict) -> dict:
    env, zh, reps = ctx["env"], ctx["zhnlp"], ctx["help_reps"]
    run(zh + ["--help"], env)
    run([sys.executable, "-c", "pass"], env)
    helps = [run(zh + ["--help"], env).wall for _ in range(reps)]
    passes = [run([sys.executable, "-c", "pass"], env).wall for _ in range(reps)]
    res = {"help_s": helps, "pass_s": passes, "help_median_s": median(helps), "pass_median_s": median(passes)}
    res["overhead_s"] = res["help_median_s"] - res["pass_median_s"]
    print(f"  zhnlp --help median {res['help_median_s']:.3f} s; python -c pass median {res['pass_median_s']:.3f} s "
          f"(medians of {reps})")
    print(f"  overhead = {res['overhead_s']:.3f} s  (target <= 0.3)")
    return res


def target_rss(ctx: dict) -> dict:
    tmp, env, zh = ctx["tmp"], ctx["env"], ctx["zhnlp"]
    src = ctx.get("text_file")
    if src is None or not src.exists():
        src = tmp / "text.txt"
        build_text_file(src, ctx["all_lines"], min(ctx["mb"], ctx["rss_mb"]))
    big, out = tmp / "big.txt", tmp / "big.out.txt"
    target = int(ctx["rss_mb"] * MB)
    chunk = src.read_bytes()
    with open(big, "wb") as f:
        size = 0
        while size < target:
            f.write(chunk)
            size += len(chunk)
    mb = big.stat().st_size / MB
    print(f"  input: {big.name}, {mb:.1f} MB ({src.name} repeated)")
    one = tmp / "one-line.txt"  # fill the dictionary cache first, as any earlier run has
    one.write_text("我爱北京天安门\n", encoding="utf-8")
    run(zh + ["segment", str(one), "-q"], env)
    try:
        r = run(zh + ["segment", str(big), "-o", str(out), "-j", "2", "-q"], env, poll=True)
    finally:
        big.unlink()
        if out.exists():
            out.unlink()
    res = {"input_mb": mb, "seconds": r.wall, "mb_per_s": mb / r.wall, "cpu_s": r.cpu, "other_cpu_s": r.other_cpu,
           "tree_rss_peak_mb": r.tree_rss_kb / 1024, "tree_pss_peak_mb": r.tree_pss_kb / 1024,
           "largest_process_maxrss_mb": r.maxrss_kb / 1024, "max_processes": r.max_procs}
    print(f"  {r.wall:.1f} s wall, {mb / r.wall:.2f} MB/s, {r.cpu:.1f} s CPU, up to {r.max_procs} processes; "
          f"other processes on the machine used {r.other_cpu:.1f} CPU-s meanwhile")
    print(f"  peak RSS of the process tree (sum, polled every 0.05 s) = {res['tree_rss_peak_mb']:.1f} MB "
          f"(target <= 300)")
    print(f"  peak PSS of the tree (shared pages counted once; sampled every 1 s) = {res['tree_pss_peak_mb']:.1f} MB; "
          f"largest single process (getrusage ru_maxrss) = {res['largest_process_maxrss_mb']:.1f} MB")
    return res


def _perl_f(score_out: str) -> str | None:
    for line in score_out.splitlines():
        if line.startswith("=== F MEASURE:"):
            return line.strip()
    return None


def target_quality(ctx: dict) -> dict:
    tmp, env, zh, data = ctx["tmp"], ctx["env"], ctx["zhnlp"], ctx["data"]
    sig = data / "sighan2005"
    perl = shutil.which("perl")
    res: dict = {}
    for corpus in ("pku", "msr"):
        test = sig / "testing" / f"{corpus}_test.utf8"
        gold = sig / "gold" / f"{corpus}_test_gold.utf8"
        words = sig / "gold" / f"{corpus}_training_words.utf8"
        for variant, extra in (("main_dict", ["--main-dict", str(words)]), ("jieba_default", [])):
            pred = tmp / f"{corpus}.{variant}.pred"
            seg = run(zh + ["segment", str(test)] + extra + ["-o", str(pred), "-q"], env)
            with tempfile.TemporaryFile() as f:
                run(zh + ["eval-seg", str(gold), str(pred), "--training-words", str(words), "--json"], env, stdout=f)
                f.seek(0)
                score = json.loads(f.read().decode("utf-8"))
            row = {"f1": 100 * score["f1"], "precision": 100 * score["precision"],
                   "recall": 100 * score["recall"], "oov_recall": score.get("oov_recall"),
                   "iv_recall": score.get("iv_recall"), "skipped_lines": len(score.get("skipped_lines") or []),
                   "segment_s": seg.wall}
            if perl:
                with tempfile.TemporaryFile() as f:
                    pr = run([perl, str(sig / "scripts" / "score"), str(words), str(gold), str(pred)], env,
                             stdout=f, check=False)
                    f.seek(0)
                    row["perl_f_line"] = _perl_f(f.read().decode("utf-8", "replace")) if pr.rc == 0 else None
            res[f"{corpus}_{variant}"] = row
            label = "--main-dict training words" if variant == "main_dict" else "jieba default (reference)"
            target = "  (target >= 90.0)" if variant == "main_dict" else ""
            perl_s = f"; perl scorer: {row['perl_f_line']}" if row.get("perl_f_line") else ""
            oov = f"{100 * row['oov_recall']:.1f}" if row["oov_recall"] is not None else "n/a"
            print(f"  {corpus.upper()} {label}: F1 {row['f1']:.2f} (P {row['precision']:.2f}, R {row['recall']:.2f}, "
                  f"OOV-R {oov}, skipped lines {row['skipped_lines']}){target}{perl_s}")
            pred.unlink()
    if not perl:
        print("  (perl not found: bakeoff scorer skipped)")
    return res


# --------------------------------------------------------------------------- main

def summary_rows(results: dict) -> list[dict]:
    rows = []

    def add(name, measured, required, met, fmt="{:.3f}"):
        m = "error" if measured is None else (measured if isinstance(measured, str) else fmt.format(measured))
        rows.append({"target": name, "measured": m, "required": required,
                     "met": None if measured is None else bool(met)})

    t = results.get("throughput")
    if t is not None:
        ok = "error" not in t
        add("throughput j1/loop", t.get("ratio_j1_loop") if ok else None, ">= 8", ok and t["ratio_j1_loop"] >= 8)
        add("throughput j2/loop", t.get("ratio_j2_loop") if ok else None, ">= 14", ok and t["ratio_j2_loop"] >= 14)
        add("outputs loop = j1 = j2 = jieba", ("yes" if t["identical"] else "no") if ok else None, "yes",
            ok and t["identical"])
    s = results.get("startup")
    if s is not None:
        ok = "error" not in s
        add("start-up zhnlp/jieba (5 THUOCL)", s.get("ratio") if ok else None, "<= 0.333", ok and s["ratio"] <= 0.333)
        add("start-up over python -c pass (s)", s.get("over_pass_s") if ok else None, "<= 0.25",
            ok and s["over_pass_s"] <= 0.25)
        add("cold = warm cache output", ("yes" if s["cold_warm_identical"] else "no") if ok else None, "yes",
            ok and s["cold_warm_identical"])
    h = results.get("help")
    if h is not None:
        ok = "error" not in h
        add("--help overhead (s)", h.get("overhead_s") if ok else None, "<= 0.3", ok and h["overhead_s"] <= 0.3)
    r = results.get("rss")
    if r is not None:
        ok = "error" not in r
        if ok and r.get("skipped"):
            rows.append({"target": "peak RSS -j 2 tree (MB)", "measured": "skipped", "required": "<= 300",
                         "met": None})
        else:
            add(f"peak RSS -j 2 tree (MB, {r.get('input_mb', 0):.0f} MB in)", r.get("tree_rss_peak_mb") if ok else None,
                "<= 300", ok and r["tree_rss_peak_mb"] <= 300, "{:.1f}")
    pf = results.get("posfull")
    if pf is not None:
        ok = "error" not in pf
        for k in ("pos", "full"):
            add(f"--{'pos' if k == 'pos' else 'mode full'} / jieba loop", pf[k]["ratio"] if ok else None, "report", True,
                "{:.2f}")
            add(f"--{'pos' if k == 'pos' else 'mode full'} output = jieba's",
                ("yes" if pf[k]["identical"] else "no") if ok else None, "yes", ok and pf[k]["identical"])
    q = results.get("quality")
    if q is not None:
        ok = "error" not in q
        for c in ("pku", "msr"):
            v = q.get(f"{c}_main_dict", {}).get("f1") if ok else None
            add(f"{c.upper()} word F1 (--main-dict)", v, ">= 90.0", ok and v >= 90.0, "{:.2f}")
    return rows


def print_summary(rows: list[dict]) -> None:
    w = max(len(r["target"]) for r in rows)
    print(f"{'target':{w}}  {'measured':>10}  {'required':>9}  met")
    print(f"{'-' * w}  {'-' * 10}  {'-' * 9}  ---")
    for r in rows:
        met = "-" if r["met"] is None else ("yes" if r["met"] else "no")
        print(f"{r['target']:{w}}  {r['measured']:>10}  {r['required']:>9}  {met}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"shared data folder (default {DEFAULT_DATA})")
    ap.add_argument("--quick", action="store_true", help="short smoke run: small sizes, fewer repetitions")
    ap.add_argument("--mb", type=float, default=None, help="throughput input size in MB (default 20; --quick 2)")
    ap.add_argument("--rss-mb", type=float, default=None, help="peak-RSS input size in MB (default 500; --quick 50)")
    ap.add_argument("--skip-rss", action="store_true", help="skip the long peak-RSS measurement")
    ap.add_argument("--repeat", type=int, default=None,
                    help="throughput rounds (loop, -j 1, -j 2 interleaved; ratios of medians); default 3, --quick 1")
    ap.add_argument("--json", type=Path, default=None, help="write all results to this JSON file")
    ap.add_argument("--only", default=None,
                    help="comma-separated subset of throughput,startup,help,rss,quality,posfull (default: all)")
    args = ap.parse_args(argv)

    data = args.data.resolve()
    needed = [data / "online_shopping_10_cats" / "online_shopping_10_cats.csv",
              data / "chnsenticorp" / "ChnSentiCorp_htl_all.csv",
              *(data / "msra_ner" / f"{s}.bio" for s in ("train", "dev", "test")),
              data / "sighan2005" / "testing" / "pku_test.utf8"]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        print(f"bench/segment.py: missing data files (pass --data): {', '.join(missing)}", file=sys.stderr)
        return 2
    only = set((args.only or "throughput,startup,help,rss,quality,posfull").split(","))
    unknown = only - {"throughput", "startup", "help", "rss", "quality", "posfull"}
    if unknown:
        print(f"bench/segment.py: unknown --only target(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="zhnlp-bench-") as tmpdir:
        tmp = Path(tmpdir)
        env = dict(os.environ)
        env["ZHNLP_CACHE_DIR"] = str(tmp / "cache")
        env.pop("ZHNLP_START_METHOD", None)
        sources = corpus_lines(data)
        ctx = {"tmp": tmp, "env": env, "zhnlp": zhnlp_cmd(), "data": data, "quick": args.quick,
               "mb": args.mb if args.mb is not None else (2 if args.quick else 20),
               "rss_mb": args.rss_mb if args.rss_mb is not None else (50 if args.quick else 500),
               "repeat": args.repeat if args.repeat is not None else (1 if args.quick else 3),
               "startup_reps": 2 if args.quick else 5, "help_reps": 5 if args.quick else 10,
               "sources": sources, "all_lines": [l for v in sources.values() for l in v]}
        try:
            import jieba
            jieba_version = jieba.__version__
        except ImportError:
            jieba_version = "not importable"
        meta = {"python": sys.version.split()[0], "executable": sys.executable, "zhnlp": " ".join(ctx["zhnlp"]),
                "jieba": jieba_version, "cpus": os.cpu_count(), "platform": platform.platform(),
                "data": str(data), "quick": args.quick, "mb": ctx["mb"], "rss_mb": ctx["rss_mb"], "repeat": ctx["repeat"],
                "corpus_lines": {k: len(v) for k, v in sources.items()},
                "started": time.strftime("%Y-%m-%d %H:%M:%S"), "source": source_state()}
        print(f"zhnlp segmentation benchmark  ({meta['started']}; python {meta['python']}, jieba {jieba_version}, "
              f"{meta['cpus']} CPUs; {'quick' if args.quick else 'full'} run)")
        src = meta["source"]
        print(f"code: git HEAD {src['git_head']}{' + uncommitted changes in zhnlp/' if src['zhnlp_dirty'] else ''}, "
              f"zhnlp/*.py digest {src['zhnlp_sha256']}")
        print(f"zhnlp: {meta['zhnlp']}; data: {data}; real lines: "
              + ", ".join(f"{k} {n}" for k, n in meta["corpus_lines"].items()))
        results: dict = {}
        steps = [("throughput", "1. Throughput (jieba loop vs zhnlp -j 1 / -j 2)", target_throughput),
                 ("startup", "2. Start-up with the five THUOCL lexicons", target_startup),
                 ("help", "3. zhnlp --help overhead", target_help),
                 ("rss", "4. Peak RSS of zhnlp segment -j 2", target_rss),
                 ("quality", "5. Segmentation quality (SIGHAN 2005)", target_quality),
                 ("posfull", "6. --pos and --mode full against jieba's loops", target_pos_full)]
        failed = False
        for key, title, fn in steps:
            if key not in only:
                continue
            print(f"\n{title}  [load average before: {os.getloadavg()[0]:.2f}]")
            if key == "rss" and args.skip_rss:
                print("  skipped (--skip-rss)")
                results[key] = {"skipped": True}
                continue
            t0 = time.perf_counter()
            try:
                results[key] = fn(ctx)
            except Exception as exc:  # noqa: BLE001 (report and go on with the other targets)
                failed = True
                traceback.print_exc()
                results[key] = {"error": f"{type(exc).__name__}: {exc}"}
                print(f"  ERROR: {type(exc).__name__}: {str(exc)[:500]}")
            print(f"  ({time.perf_counter() - t0:.0f} s; load average after: {os.getloadavg()[0]:.2f})")
        rows = summary_rows(results)
        print("\nSummary")
        print_summary(rows)
        meta["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        meta["source_at_end"] = source_state()
        if meta["source_at_end"]["zhnlp_sha256"] != src["zhnlp_sha256"]:
            print(f"\nWARNING: zhnlp/*.py changed during the run (digest {src['zhnlp_sha256']} -> "
                  f"{meta['source_at_end']['zhnlp_sha256']}, HEAD {src['git_head']} -> "
                  f"{meta['source_at_end']['git_head']}): the runs measured different code.")
        if args.json:
            args.json.write_text(json.dumps({"meta": meta, "results": results, "summary": rows},
                                            ensure_ascii=False, indent=2, default=str), encoding="utf-8")
            print(f"\nresults written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
