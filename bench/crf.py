#!/usr/bin/env python
"""Benchmark of the feature CRF (``--model crf``, issue 26): training time, test F1, decoding speed.

Trains the CRF that ``zhnlp train-ner --model crf`` trains (default settings) on the corpus's train split
(timed; or loads ``--model DIR``), scores test (entity F1, conlleval's reading), then decodes the test
sentences with it and with a BiLSTM-CRF tagger (``--bilstm``, default the shipped model of the corpus,
as ``zhnlp tag`` runs it: one torch thread, batches of 64), one after the other in this run, and prints
the sentences/s of each (median of ``--repeats``) and their ratio.
Targets: ResumeNER F1 >= 93.5 with <= 60 s of training, MSRA F1 >= 91.0, decoding >= 5,000 sentences/s.

Usage::

    python bench/crf.py                      # ResumeNER: about a minute on 2 cores
    python bench/crf.py --corpus msra        # MSRA: about 5 minutes of training
    python bench/crf.py --model DIR --json out.json

Exit status 0 when measured (targets met or not), 2 when the data is missing.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data"
CORPORA = {"resume": ("resume_ner", "{}.char.bmes", "resume-ner", 93.5),  # folder, files, shipped tagger, target F1
           "msra": ("msra_ner", "{}.bio", "msra-ner", 91.0)}
TARGET_SPS, TARGET_TRAIN_S = 5000.0, 60.0


def rate(fn, n: int, repeats: int) -> float:
    """Sentences per second: ``n`` over the median wall time of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return n / statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", choices=sorted(CORPORA), default="resume")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", type=Path, help="a trained --model crf directory (else trained here)")
    ap.add_argument("--bilstm", help="the BiLSTM-CRF tagger to compare with [default: the shipped one]")
    ap.add_argument("--softword", action="store_true", help="train with --softword (jieba's word positions)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()

    from zhnlp.tasks.crf_tagger import CRFConfig, CRFTagger
    from zhnlp.tasks.tagger import TaggerConfig, load_tagger, read_examples, score, use_threads

    folder, pattern, shipped, target_f1 = CORPORA[args.corpus]
    paths = {s: args.data / folder / pattern.format(s) for s in ("train", "test")}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        print(f"missing data: {', '.join(missing)}", file=sys.stderr)
        return 2
    test = read_examples(paths["test"], "ner")
    train_s = None
    if args.model:
        crf = CRFTagger.load(args.model)
    else:
        train = read_examples(paths["train"], "ner")
        crf = CRFTagger(CRFConfig(), TaggerConfig(task="ner", softword=args.softword))
        t = time.perf_counter()
        crf.fit((s.tokens, s.tags) for s in train)
        train_s = time.perf_counter() - t
        print(f"trained on {len(train)} sentences in {train_s:.1f} s ({CRFConfig()}, softword {args.softword})")
    sents = [s.tokens for s in test]
    pred = crf.predict(sents)
    f1 = 100 * score("ner", None, sents, [s.tags for s in test], pred)["f1"]
    print(f"test entity F1 {f1:.2f} ({len(sents)} sentences, {sum(map(len, sents))} characters)")

    use_threads(1)  # as zhnlp tag decodes
    bilstm = load_tagger(args.bilstm or shipped)
    crf_sps = rate(lambda: crf.predict(sents), len(sents), args.repeats)
    bilstm_sps = rate(lambda: bilstm.predict(sents, batch_size=64), len(sents), args.repeats)
    print(f"decoding: crf {crf_sps:.0f} sentences/s, {bilstm!r} {bilstm_sps:.0f} sentences/s: "
          f"crf / bilstm-crf = {crf_sps / bilstm_sps:.2f}")
    met = f1 >= target_f1 and crf_sps >= TARGET_SPS and (train_s is None or args.corpus != "resume"
                                                         or train_s <= TARGET_TRAIN_S)
    print(f"targets (F1 >= {target_f1}, decoding >= {TARGET_SPS:.0f} sentences/s"
          f"{', training <= 60 s' if args.corpus == 'resume' else ''}): {'met' if met else 'NOT met'}")
    if args.json:
        figures = {"corpus": args.corpus, "config": vars(crf.config), "softword": crf.task_config.softword,
                   "train_seconds": train_s, "test_f1": f1,
                   "crf_sentences_per_s": crf_sps, "bilstm_sentences_per_s": bilstm_sps,
                   "bilstm": repr(bilstm), "ratio": crf_sps / bilstm_sps, "targets_met": met}
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
