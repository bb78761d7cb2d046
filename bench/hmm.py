#!/usr/bin/env python
"""Benchmark of the HMM tagger on ResumeNER (issue 5): accuracy and decoding speed.

Trains :class:`zhnlp.tasks.hmm.HMM` (default settings, chosen on dev.char.bmes) on
../shared/data/resume_ner/train.char.bmes (timed), then decodes test.char.bmes with

* ``predict``: the batched numpy Viterbi (what tagging many sentences uses),
* ``viterbi``: the numpy Viterbi one sentence at a time,
* the pure-Python reference Viterbi (loops over tags), and
* with ``--anchor``: a re-implementation of the anchor's decoder (the classic tutorial HMM:
  a torch loop over tags at every position) on the anchor's estimates (unsmoothed counts,
  zeros → 1e-10, uniform emission for unknown characters, no constraints),

reporting sentences/s (median of ``--repeats`` runs), checking that every path is identical
to the reference's, printing entity P/R/F1 on test (conlleval definition, by
:func:`zhnlp.training.metrics.score_entities`, cross-checked by ../shared/tools/score.py when present)
and the ratio to the anchor's published 54 sentences/s. Targets: F1 >= 85 and decoding
>= 20 x 54 sentences/s with identical paths.

Usage::

    python bench/hmm.py                       # about 1 minute on 2 cores
    python bench/hmm.py --anchor --json out.json
    python bench/hmm.py --order 1             # the first-order model

Exit status 0 when measured (target met or not), 2 when the data is missing.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data"
SCORE_PY = ROOT.parent / "shared" / "tools" / "score.py"
ANCHOR_SPS = 54.0
ANCHOR_F1 = 83.5
TARGET_F1 = 85.0
TARGET_RATIO = 20.0


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median wall time of ``repeats`` calls and the last result."""
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def anchor_decode(model, sentences: list[list[str]]) -> list[list[str]]:
    """The anchor's decoding loop (luopeixiang/named_entity_recognition, HMM.decoding): torch,
    one max over previous tags per tag and position; unknown tokens emit log(1/N)."""
    import torch

    A = torch.from_numpy(model.log_A)
    Bt = torch.from_numpy(model.log_B).t()
    Pi = torch.from_numpy(model.log_pi)
    N = A.shape[0]
    stoi, itos = model.tokens.stoi, model.tags.itos
    out = []
    for words in sentences:
        n = len(words)
        viterbi = torch.zeros(N, n, dtype=torch.float64)
        back = torch.zeros(N, n).long()
        wid = stoi.get(words[0])
        bt = torch.log(torch.ones(N, dtype=torch.float64) / N) if wid is None else Bt[wid]
        viterbi[:, 0] = Pi + bt
        back[:, 0] = -1
        for step in range(1, n):
            wid = stoi.get(words[step])
            bt = torch.log(torch.ones(N, dtype=torch.float64) / N) if wid is None else Bt[wid]
            for tag in range(N):
                best, arg = torch.max(viterbi[:, step - 1] + A[:, tag], dim=0)
                viterbi[tag, step] = best + bt[tag]
                back[tag, step] = arg
        last = int(viterbi[:, n - 1].argmax())
        path = [last]
        for step in range(n - 1, 0, -1):
            last = int(back[last, step])
            path.append(last)
        out.append([itos[i] for i in reversed(path)])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--repeats", type=int, default=5, help="runs of each fast decoder (median)")
    ap.add_argument("--reference-repeats", type=int, default=1)
    ap.add_argument("--order", type=int, choices=(1, 2), default=2,
                    help="HMM order: 2 (the default HMMConfig) or 1 (first order, emission alpha 0.1)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--anchor", action="store_true",
                    help="also time the anchor-style torch decoder and score the anchor's estimates")
    ap.add_argument("--anchor-sentences", type=int, default=100)
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()

    from zhnlp.formats.conll import read_conll, write_conll
    from zhnlp.tasks.hmm import HMM, HMMConfig
    from zhnlp.training.metrics import score_entities

    folder = args.data / "resume_ner"
    paths = {s: folder / f"{s}.char.bmes" for s in ("train", "dev", "test")}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        print(f"missing data: {', '.join(missing)}", file=sys.stderr)
        return 2

    t = time.perf_counter()
    train = list(read_conll(paths["train"]))
    dev = list(read_conll(paths["dev"]))
    test = list(read_conll(paths["test"]))
    read_s = time.perf_counter() - t
    # order 1 gets its own dev-best emission smoothing (0.1; the second order's is 0.05)
    config = HMMConfig(order=1, emission_alpha=0.1) if args.order == 1 else HMMConfig()
    fit_s, model = timed(lambda: HMM(config).fit(train), 3)
    print(f"HMM order {config.order}: {len(model.tags)} tags, {len(model.tokens)} tokens; "
          f"read 3 files {read_s:.2f} s, fit {len(train)} sentences {fit_s:.3f} s (median of 3)")

    sents = [s.tokens for s in test]
    n_sent = len(sents)
    pred_s, pred = timed(lambda: model.predict(sents, batch_size=args.batch_size), args.repeats)
    vit_s, vit = timed(lambda: [model.viterbi(s) for s in sents], args.repeats)
    ref_s, ref = timed(lambda: [model.reference_viterbi(s) for s in sents], args.reference_repeats)
    same_batch = sum(a == b for a, b in zip(pred, ref))
    same_single = sum(a == b for a, b in zip(vit, ref))
    identical = same_batch == same_single == n_sent
    sps = {"predict": n_sent / pred_s, "viterbi": n_sent / vit_s, "reference": n_sent / ref_s}
    print(f"decode test ({n_sent} sentences, {sum(map(len, sents))} characters):")
    for name, v in sps.items():
        print(f"  {name:<10} {v:9.0f} sentences/s  ({v / ANCHOR_SPS:6.1f} x the anchor's {ANCHOR_SPS:.0f})")
    print(f"  identical paths to the reference: predict {same_batch}/{n_sent}, "
          f"viterbi {same_single}/{n_sent}")

    dev_score = score_entities([s.tags for s in dev], model.predict([s.tokens for s in dev]))
    score = score_entities([s.tags for s in test], pred)
    print(f"dev  entity P/R/F1 {100 * dev_score.precision:.2f} / {100 * dev_score.recall:.2f} / "
          f"{100 * dev_score.f1:.2f}")
    print(f"test entity P/R/F1 {100 * score.precision:.2f} / {100 * score.recall:.2f} / "
          f"{100 * score.f1:.2f}  (anchor {ANCHOR_F1})")
    print(score.report())

    ref_f1 = None
    if SCORE_PY.exists():
        with tempfile.TemporaryDirectory() as d:
            write_conll([(s.tokens, p) for s, p in zip(test, pred)], Path(d) / "pred.bmes")
            out = subprocess.run([sys.executable, str(SCORE_PY), "ner", str(paths["test"]),
                                  str(Path(d) / "pred.bmes")], capture_output=True, text=True, check=True)
            ref_f1 = json.loads(out.stdout)["F1"]
        print(f"score.py ner on the same predictions: F1 {ref_f1}")

    anchor = None
    if args.anchor:
        tut = HMM(HMMConfig(order=1, transition_alpha=1e-10, emission_alpha=1e-10, unk="uniform",
                            constrained=False)).fit(train)
        some = sents[:args.anchor_sentences]
        a_s, a_pred = timed(lambda: anchor_decode(tut, some), 1)
        a_same = sum(a == b for a, b in zip(a_pred, tut.predict(some)))
        tut_f1 = score_entities([s.tags for s in test], tut.predict(sents)).f1
        anchor = {"sentences_per_s": len(some) / a_s, "sentences": len(some), "same_paths": a_same,
                  "test_f1": round(100 * tut_f1, 2)}
        print(f"anchor-style decoder (torch, loop over tags) here: {anchor['sentences_per_s']:.0f} "
              f"sentences/s on {len(some)} sentences ({a_same} paths equal to zhnlp's on the same "
              f"estimates); predict is {sps['predict'] / anchor['sentences_per_s']:.0f} x that")
        print(f"anchor's estimates (unsmoothed, uniform <unk>, unconstrained) on test: "
              f"F1 {anchor['test_f1']:.2f}")

    ratio = sps["predict"] / ANCHOR_SPS
    met = score.f1 * 100 >= TARGET_F1 and ratio >= TARGET_RATIO and identical
    print(f"target (F1 >= {TARGET_F1}, decoding >= {TARGET_RATIO:.0f} x {ANCHOR_SPS:.0f} = "
          f"{TARGET_RATIO * ANCHOR_SPS:.0f} sentences/s, identical paths): "
          f"{'met' if met else 'NOT met'} (F1 {100 * score.f1:.2f}, {ratio:.1f} x)")
    if args.json:
        figures = {"order": config.order, "config": asdict(model.config), "fit_seconds": fit_s,
                   "sentences_per_s": sps, "ratio_vs_anchor": ratio, "identical_paths": identical,
                   "dev_f1": 100 * dev_score.f1, "test": score.as_dict(), "score_py_f1": ref_f1,
                   "anchor": anchor, "target_met": met, "python": platform.python_version(),
                   "machine": platform.machine()}
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
