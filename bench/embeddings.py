#!/usr/bin/env python
"""Benchmark of ``zhnlp embed`` against the targets of the word-vector issue.

Quality (default): build a corpus from the Chinese text of the *train* splits under
../shared/data (MSRA NER sentences from train.bio, the review column of
online_shopping_10_cats/train.csv and chnsenticorp/train.csv, the Chinese column of
cmn_eng/train.tsv (distinct sentences), the UD Chinese GSD train sentences), segment it
once with zhnlp's default Segmenter (-j 2), train skip-gram, CBOW and fastText (skip-gram)
on it, and print Spearman x100 on wordsim-240/297 (pairs used) and 3CosAdd analogy
accuracy (questions used) on analogy.txt and CA8 morphological/semantic. fastText is also
scored with subword vectors switched off (vocabulary words only) for a like-for-like row.

Streaming (``--rss --mb 200``): repeat the segmented corpus to >= MB MiB of pre-segmented
text, run ``zhnlp embed train --pre-segmented --epochs 1`` in a subprocess, poll the
VmRSS of its process tree from /proc, and print the peak next to the size of the model's
arrays (vocabulary x dim x 4 bytes x 2: input vectors and output weights).

Usage::

    python bench/embeddings.py                       # quality table (about 10 minutes on 2 cores)
    python bench/embeddings.py --rss --mb 200        # streaming memory target only
    python bench/embeddings.py --quick               # smoke run: small corpus, 1 epoch
    python bench/embeddings.py --json out.json --workdir /tmp/emb   # keep the corpus for reruns

Exit status: 0 when every measurement was taken, 1 when one failed, 2 on missing data.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data"
MB = 1 << 20

MODELS = {  # name -> EmbeddingConfig options
    "skip-gram": dict(algo="word2vec", sg=True),
    "CBOW": dict(algo="word2vec", sg=False),
    "fastText": dict(algo="fasttext", sg=True),
}
EVAL_FILES = [("wordsim-240", ("wordsim", "wordsim-240.txt")),
              ("wordsim-297", ("wordsim", "wordsim-297.txt")),
              ("analogy", ("wordsim", "analogy.txt")),
              ("CA8-morph", ("wordsim", "CA8", "morphological.txt")),
              ("CA8-sem", ("wordsim", "CA8", "semantic.txt"))]


# ------------------------------------------------------------------------------- corpus
def corpus_sources(data: Path) -> dict[str, Path]:
    return {"msra_ner": data / "msra_ner" / "train.bio",
            "online_shopping_10_cats": data / "online_shopping_10_cats" / "train.csv",
            "chnsenticorp": data / "chnsenticorp" / "train.csv",
            "cmn_eng": data / "cmn_eng" / "train.tsv",
            "ud_chinese_gsd": data / "ud_chinese_gsd" / "train.conll"}


def _blocks(path: Path, column: int):
    """Sentences of a one-token-per-line file (blank line between sentences), column joined."""
    cur: list[str] = []
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip():
                if cur:
                    yield "".join(cur)
                cur = []
                continue
            cur.append(line.split("\t")[column])
    if cur:
        yield "".join(cur)


def _clean(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split())


def raw_texts(name: str, path: Path):
    """The Chinese sentences of one source, one string each."""
    if name == "msra_ner":
        yield from _blocks(path, 0)
    elif name == "ud_chinese_gsd":
        yield from _blocks(path, 1)
    elif name == "cmn_eng":
        seen = set()
        with open(path, encoding="utf-8-sig") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 2 and parts[1] not in seen:
                    seen.add(parts[1])
                    yield parts[1]
    else:
        with open(path, encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                yield row.get("review") or ""


def build_corpus(data: Path, work: Path, jobs: int, limit_lines: int | None = None) -> dict:
    """Write raw.txt (one sentence a line) and segmented.txt (zhnlp words); reuse them if present."""
    from zhnlp.embeddings import segment_to_file
    from zhnlp.text.segment import Segmenter

    raw, seg = work / "raw.txt", work / "segmented.txt"
    info_path = work / "corpus.json"
    if seg.exists() and info_path.exists():
        info = json.loads(info_path.read_text())
        if info.get("limit_lines") == limit_lines:
            print(f"reusing {seg}", file=sys.stderr)
            return info
    per_source = {}
    with open(raw, "w", encoding="utf-8", newline="\n") as out:
        for name, path in corpus_sources(data).items():
            n = chars = 0
            for text in raw_texts(name, path):
                text = _clean(text)
                if not text:
                    continue
                out.write(text + "\n")
                n += 1
                chars += len(text)
                if limit_lines and n >= limit_lines:
                    break
            per_source[name] = {"lines": n, "chars": chars}
            print(f"  {name}: {n:,} lines, {chars:,} characters", file=sys.stderr)
    t0 = time.perf_counter()
    lines, tokens = segment_to_file([raw], seg, Segmenter(), jobs=jobs)
    info = {"sources": per_source, "raw_bytes": raw.stat().st_size, "segmented_bytes": seg.stat().st_size,
            "lines": lines, "tokens": tokens, "segment_seconds": round(time.perf_counter() - t0, 1),
            "jobs": jobs, "limit_lines": limit_lines}
    info_path.write_text(json.dumps(info))
    print(f"segmented {lines:,} lines, {tokens:,} words ({info['raw_bytes'] / MB:.1f} MiB raw) in "
          f"{info['segment_seconds']} s with -j {jobs}", file=sys.stderr)
    return info


# ------------------------------------------------------------------------------- quality
def evaluate_all(vec, data: Path, subwords: bool = True) -> dict:
    from zhnlp.embeddings import evaluate

    out = {}
    for label, parts in EVAL_FILES:
        path = data.joinpath(*parts)
        r = evaluate(vec, path, subwords=subwords, restrict_vocab=None)
        out[label] = r.as_dict()
    return out


def fmt_sim(r: dict) -> str:
    rho = "n/a" if math.isnan(r["spearman"]) else f"{r['spearman'] * 100:.1f}"
    return f"{rho} ({r['used']}/{r['pairs']})"


def fmt_ana(r: dict) -> str:
    acc = "n/a" if math.isnan(r["accuracy"]) else f"{r['accuracy'] * 100:.1f}%"
    return f"{acc} ({r['total']}/{r['total'] + r['skipped_oov']})"


def quality(args, seg_path: Path) -> dict:
    from zhnlp.embeddings import EmbeddingConfig, as_vectors, train_vectors

    results = {}
    for name in args.models:
        config = EmbeddingConfig(dim=args.dim, epochs=args.epochs, min_count=args.min_count,
                                 window=args.window, workers=args.workers, seed=1, **MODELS[name])
        t0 = time.perf_counter()
        model = train_vectors([seg_path], config, pre_segmented=True, progress=not args.quiet)
        seconds = time.perf_counter() - t0
        vec = as_vectors(model)
        entry = {"config": config.as_dict(), "seconds": round(seconds, 1), "vocab": len(vec),
                 "tokens": int(model.corpus_total_words), "eval": evaluate_all(vec, args.data)}
        if vec.subwords:
            entry["eval_vocab_only"] = evaluate_all(vec, args.data, subwords=False)
        results[name] = entry
        print(f"{name}: {len(vec):,} words, {seconds:.0f} s", file=sys.stderr)
    return results


def print_table(results: dict) -> str:
    head = ["model", "ws-240 x100 (used/240)", "ws-297 x100 (used/297)", "analogy.txt acc (used/all)",
            "CA8 morph acc", "CA8 sem acc", "vocab", "train s"]
    rows = []
    for name, e in results.items():
        variants = [(name, e["eval"])]
        if "eval_vocab_only" in e:
            variants = [(f"{name} (subwords)", e["eval"]), (f"{name} (vocab only)", e["eval_vocab_only"])]
        for label, ev in variants:
            rows.append([label, fmt_sim(ev["wordsim-240"]), fmt_sim(ev["wordsim-297"]), fmt_ana(ev["analogy"]),
                         fmt_ana(ev["CA8-morph"]), fmt_ana(ev["CA8-sem"]), f"{e['vocab']:,}", f"{e['seconds']:.0f}"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    text = "\n".join(lines)
    print(text)
    return text


# ------------------------------------------------------------------------------- RSS
def _tree(pid: int) -> list[int]:
    """pid and all its descendants (from /proc/*/stat parent ids)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_polled(cmd: list[str], interval: float = 0.2) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(_rss_kb(p) for p in _tree(proc.pid)))
        time.sleep(interval)
    out, err = proc.communicate()
    return {"cmd": cmd, "rc": proc.returncode, "wall_s": round(time.perf_counter() - t0, 1),
            "peak_rss_mib": round(peak / 1024, 1), "stdout": out[-2000:], "stderr": err[-4000:]}


def rss(args, seg_path: Path, work: Path) -> dict:
    big = work / f"big-{args.mb}mb.txt"
    size = seg_path.stat().st_size
    reps = math.ceil(args.mb * MB / size)
    if not big.exists() or big.stat().st_size != size * reps:
        with open(big, "wb") as out, open(seg_path, "rb") as src:
            data = src.read()
            for _ in range(reps):
                out.write(data)
    out_vec = work / "rss.vec"
    cmd = [sys.executable, "-m", "zhnlp", "embed", "train", str(big), "-o", str(out_vec), "--pre-segmented",
           "--epochs", "1", "--dim", str(args.dim), "--min-count", str(args.min_count),
           "--workers", str(args.workers)]
    # the baseline: the same interpreter with zhnlp.embeddings, gensim and numpy imported
    base = run_polled([sys.executable, "-c", "import zhnlp.cli, zhnlp.embeddings, gensim.models, numpy, "
                                             "time; time.sleep(1.5)"], interval=0.1)
    res = run_polled(cmd)
    vocab = None
    if out_vec.exists():
        with open(out_vec, encoding="utf-8") as f:
            vocab = int(f.readline().split()[0])
    model_mib = vocab * args.dim * 4 * 2 / MB if vocab else float("nan")
    res.update(corpus_mib=round(big.stat().st_size / MB, 1), repeats=reps, vocab=vocab, dim=args.dim,
               model_arrays_mib=round(model_mib, 1), baseline_rss_mib=base["peak_rss_mib"],
               beyond_model_mib=round(res["peak_rss_mib"] - model_mib, 1))
    print(f"corpus {res['corpus_mib']} MiB ({reps} copies), rc {res['rc']}, {res['wall_s']} s: "
          f"peak RSS {res['peak_rss_mib']} MiB; model arrays {res['model_arrays_mib']} MiB "
          f"({vocab} words x {args.dim} x 4 B x 2); peak minus model {res['beyond_model_mib']} MiB "
          f"(interpreter + gensim baseline {base['peak_rss_mib']} MiB); target: < 2048 MiB beyond the model")
    if res["rc"] != 0:
        print(res["stderr"], file=sys.stderr)
    out_vec.unlink(missing_ok=True)
    if not args.keep:
        big.unlink(missing_ok=True)
    return res


# ------------------------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--workdir", type=Path, help="Keep the corpus here (reused by later runs).")
    ap.add_argument("--models", default="skip-gram,CBOW,fastText")
    ap.add_argument("--dim", type=int, default=200)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--jobs", type=int, default=2, help="Segmentation processes.")
    ap.add_argument("--rss", action="store_true", help="Measure streaming memory instead of quality.")
    ap.add_argument("--mb", type=int, default=200, help="MiB of pre-segmented text for --rss.")
    ap.add_argument("--quick", action="store_true", help="Small corpus, 1 epoch, dim 50.")
    ap.add_argument("--keep", action="store_true", help="Keep the big --rss corpus.")
    ap.add_argument("--json", type=Path, help="Write all figures here.")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        ap.error(f"unknown model(s) {unknown}; choose from {list(MODELS)}")
    if args.quick:
        args.epochs, args.dim = 1, 50
    missing = [str(p) for p in corpus_sources(args.data).values() if not p.exists()]
    missing += [str(args.data.joinpath(*parts)) for _, parts in EVAL_FILES if not args.data.joinpath(*parts).exists()]
    if missing:
        print(f"missing data: {', '.join(missing)}", file=sys.stderr)
        return 2
    tmp = None
    if args.workdir:
        work = args.workdir
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="zhnlp-bench-embed-")
        work = Path(tmp.name)
    report = {"python": platform.python_version(), "cpus": os.cpu_count(), "args": {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}
    status = 0
    try:
        t0 = time.perf_counter()
        report["corpus"] = build_corpus(args.data, work, args.jobs, 2000 if args.quick else None)
        seg = work / "segmented.txt"
        if args.rss:
            report["rss"] = rss(args, seg, work)
            status = 0 if report["rss"]["rc"] == 0 else 1
        else:
            report["models"] = quality(args, seg)
            report["table"] = print_table(report["models"])
        report["total_seconds"] = round(time.perf_counter() - t0, 1)
        print(f"total {report['total_seconds']} s", file=sys.stderr)
    except Exception as exc:  # report what was measured so far
        import traceback

        traceback.print_exc()
        report["error"] = repr(exc)
        status = 1
    finally:
        if args.json:
            args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1))
        if tmp is not None:
            tmp.cleanup()
    return status


if __name__ == "__main__":
    sys.exit(main())
