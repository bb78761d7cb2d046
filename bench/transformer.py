#!/usr/bin/env python
"""Decoding speed of the Transformer-CRF tagger against a BiLSTM-CRF of similar size, side by side (issue 26).

On ResumeNER's test set (../shared/data/resume_ner), both networks read the same features (characters and
bigrams, ResumeNER's training vocabularies) and decode in length-sorted batches of 64 as ``zhnlp tag`` does
(``NeuralTagger.predict``: on a CPU with one torch thread, ``zhnlp tag``'s default, the BiLSTM's backward
direction on a second thread). Speed does not depend on the weights, so both are untrained; their rounds are
interleaved and the medians compared. Default sizes: the BiLSTM-CRF of the shipped resume-ner members (256 units
per direction) against the Transformer-CRF of docs/experiments.md (size 256, 2 layers, 4 heads), about a million
weights each besides the embeddings.

Usage::

    python bench/transformer.py                    # CPU, one torch thread
    python bench/transformer.py --device cuda      # on a GPU (bench/gpu.sh)

Prints sentences/s of each and the ratio transformer-crf / bilstm-crf. Exit status 0 when measured, 2 when the
data is missing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from _common import resume_ner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--bilstm-hidden", type=int, default=256, help="BiLSTM units per direction")
    ap.add_argument("--transformer-hidden", type=int, default=256, help="the Transformer's size")
    ap.add_argument("--transformer-layers", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: zhnlp tag's default; 0: torch's)")
    args = ap.parse_args()

    import torch

    from zhnlp.tasks.tagger import Featurizer, TaggerConfig, build_module
    from zhnlp.training.trainer import resolve_device

    sets = resume_ner(args.data)
    if sets is None:
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    train, test = sets[0], [s.tokens for s in sets[1]]
    modules = {}
    for model, hidden, layers in (("bilstm-crf", args.bilstm_hidden, 1),
                                  ("transformer-crf", args.transformer_hidden, args.transformer_layers)):
        cfg = TaggerConfig(task="ner", scheme="BMES", hidden=hidden, layers=layers, bigram=True)
        torch.manual_seed(1)
        module = build_module(cfg, Featurizer.build(cfg, train), model)
        module.place(device=str(device))
        modules[model] = module
        weights = sum(p.numel() for name, p in module.net.named_parameters() if "embed" not in name)
        print(f"{model:16s} hidden {hidden}, layers {layers}: {weights:,} weights besides the embeddings")

    def rate(module) -> float:
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        module.predict(test, batch_size=args.batch_size)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return len(test) / (time.perf_counter() - t0)

    print(f"ResumeNER test: {len(test)} sentences, batches of {args.batch_size}, device {device}, "
          f"torch threads {torch.get_num_threads()}")
    for module in modules.values():
        rate(module)  # warm-up
    rounds: dict[str, list[float]] = {m: [] for m in modules}
    for r in range(args.repeats):
        for model, module in modules.items():
            rounds[model].append(rate(module))
            print(f"round {r + 1} {model:16s} {rounds[model][-1]:9.1f} sentences/s", flush=True)
    med = {m: statistics.median(v) for m, v in rounds.items()}
    print()
    for model, v in med.items():
        print(f"{model:16s} {v:9.1f} sentences/s (median of {args.repeats})")
    print(f"transformer-crf / bilstm-crf decoding: {med['transformer-crf'] / med['bilstm-crf']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
