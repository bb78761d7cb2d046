#!/usr/bin/env python
"""Benchmark of the GRU seq2seq translator (the seq2seq issue): training and decoding speed.

Sections (``--only``, comma-separated; default both):

``train``
    Training target tokens/s (the shared trainer via ``train_seq2seq``: its
    ``train_items_per_s``, which counts target tokens with EOS) on a fixed random subset of
    the cmn_eng training pairs, length-bucketed (``TrainConfig.bucket=True``) with batches
    sorted by target then source length (``Seq2SeqConfig.bucket_by="target"``, the default)
    and by source length (``"source"``, how the shipped model was trained), vs random
    batches (``bucket=False``); same model settings: the shipped model's (``--shipped``,
    default ``cmn-eng``) or ``--hidden``/``--emb``. Rounds alternate the order; medians
    compared (the notes claim about 2×).
``beam``
    Decoding sentences/s of ``Translator.translate`` over N test sources (one batch size,
    length-sorted batches) with beam k = 1 (greedy) and k = 5; medians over rounds.

``--device cpu,cuda`` measures on each device named (GPU figures when a GPU is available;
skipped with a note otherwise).

Usage::

    python bench/seq2seq.py                                   # both sections, CPU (~6 minutes on 2 cores)
    python bench/seq2seq.py --only train --threads 1 --rounds 3
    python bench/seq2seq.py --only beam --model DIR --sentences 500
    python bench/seq2seq.py --device cpu,cuda
    python bench/seq2seq.py --train-pairs 400 --max-steps 5 --rounds 1 --sentences 50 --model DIR   # smoke run

Exit status 0 when measured, 1 when a measurement failed, 2 when data or a model is missing.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _common import device_label, devices_of, med, sync  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
SECTIONS = ("train", "beam")


class Missing(Exception):
    """Data or a model is missing (exit status 2)."""


def pairs_file(args, name: str) -> Path:
    p = args.data / "cmn_eng" / f"{name}.tsv"
    if not p.exists():
        raise Missing(f"missing {p} (needs ../shared/data beside the repo, or --data)")
    return p


def model_settings(args) -> dict:
    """Seq2SeqConfig fields of the shipped model (or of --hidden/--emb when it is absent)."""
    from zhnlp.training.serialization import read_config, resolve_model
    from zhnlp.tasks.translator import Seq2SeqConfig

    if args.shipped:
        try:
            return read_config(resolve_model(args.shipped))["config"]["seq2seq"]
        except Exception as exc:  # noqa: BLE001  (a missing model falls back to the options)
            print(f"note: {args.shipped} not found ({exc}); using --hidden {args.hidden} --emb {args.emb}")
    return {**vars(Seq2SeqConfig()), "hidden": args.hidden, "emb_dim": args.emb}


def run_train(args, devices: list[str], summary: list, results: dict) -> None:
    from zhnlp.training.batching import BucketBatchSampler, RandomBatchSampler, padding_share
    from zhnlp.formats.pairs import read_pairs
    from zhnlp.training.trainer import TrainConfig
    from zhnlp.tasks.translator import Seq2SeqConfig, train_seq2seq

    settings = model_settings(args)
    cfg = dict(settings, beam=1, select="perplexity")
    all_pairs = read_pairs(pairs_file(args, "train"))
    idx = sorted(random.Random(1).sample(range(len(all_pairs)), min(args.train_pairs, len(all_pairs))))
    sub = all_pairs.subset(idx)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.tsv"
        path.write_text("".join(f"{t}\t{s}\n" for s, t in zip(sub.src, sub.tgt)), encoding="utf-8")
        enc_lengths = {"source": [len(s) + 1 for s in sub.src], "target": [len(t.split()) + 1 for t in sub.tgt]}
        pads = {}
        for name, cls in (("bucketed by source", BucketBatchSampler), ("random", RandomBatchSampler)):
            for side, lengths in enc_lengths.items():
                sampler = cls(enc_lengths["source"], args.batch_size, shuffle=True, seed=1)
                pads[f"{name}: {side}"] = padding_share(list(sampler), lengths)
        print(f"== train: {len(sub)} pairs, batch {args.batch_size}, hidden {cfg['hidden']}, emb {cfg['emb_dim']}, "
              f"{args.max_steps or 'all'} steps a run, {args.rounds} round(s); padding (English words roughly): "
              + ", ".join(f"{k} {v:.1%}" for k, v in pads.items()))

        def one_run(dev: str, mode: str, steps: int) -> float:
            out = Path(tmp) / f"m-{mode}"
            tcfg = TrainConfig(epochs=1, batch_size=args.batch_size, bucket=mode != "random", max_steps=steps,
                               device=dev, progress=False, threads=args.threads, patience=0)
            config = Seq2SeqConfig.from_dict({**cfg, "bucket_by": "source" if mode == "source" else "target"})
            train_seq2seq(path, None, out, config=config, train_config=tcfg)
            log = [json.loads(line) for line in (out / "training_log.jsonl").read_text().splitlines()]
            return log[0]["train_items_per_s"]

        results["train"] = {}
        modes = ("target", "source", "random")
        for dev in devices:
            for mode in modes:  # warm-up
                one_run(dev, mode, 3)
            rates: dict[str, list[float]] = {m: [] for m in modes}
            for r in range(args.rounds):
                for mode in (modes if r % 2 == 0 else modes[::-1]):
                    rates[mode].append(one_run(dev, mode, args.max_steps))
            m = {k: med(v) for k, v in rates.items()}
            ratio, ratio_src = m["target"] / m["random"], m["source"] / m["random"]
            print(f"  {device_label(dev)}: target tokens/s, bucketed by target length {m['target']:.0f}, "
                  f"by source length {m['source']:.0f}, random {m['random']:.0f} -> {ratio:.2f}x and {ratio_src:.2f}x "
                  f"(rounds: {', '.join(f'{k} {[round(x) for x in v]}' for k, v in rates.items())})")
            summary.append((f"train {dev}: bucketed (by target / by source length) / random target tokens/s",
                            f"{ratio:.2f}x / {ratio_src:.2f}x ({m['target']:.0f} / {m['source']:.0f} vs "
                            f"{m['random']:.0f}/s)"))
            results["train"][dev] = {**m, "ratio": ratio, "ratio_source": ratio_src, "padding": pads}


def run_beam(args, devices: list[str], summary: list, results: dict) -> None:
    from zhnlp.formats.pairs import read_pairs
    from zhnlp.training.serialization import ModelFormatError
    from zhnlp.tasks.translator import load_translator

    sources = read_pairs(pairs_file(args, "test")).references()[0][:args.sentences]
    results["beam"] = {}
    for dev in devices:
        try:
            tr = load_translator(args.model, device=dev)
        except ModelFormatError as exc:
            raise Missing(str(exc)) from None
        print(f"== beam: {len(sources)} test sources, batch {args.decode_batch}, model {tr.path}, {device_label(dev)}")
        tr.translate(sources[:32], beam=5, batch_size=args.decode_batch)  # warm-up
        rates: dict[int, list[float]] = {1: [], 5: []}
        for r in range(args.rounds):
            for k in ((1, 5) if r % 2 == 0 else (5, 1)):
                sync(dev)
                t0 = time.perf_counter()
                tr.translate(sources, beam=k, batch_size=args.decode_batch)
                sync(dev)
                rates[k].append(len(sources) / (time.perf_counter() - t0))
        m = {k: med(v) for k, v in rates.items()}
        print(f"  k=1 (greedy): {m[1]:.0f} sentences/s; k=5: {m[5]:.0f} sentences/s ({m[1] / m[5]:.1f}x slower)")
        summary.append((f"decode {dev}: sentences/s at k=1 / k=5", f"{m[1]:.0f} / {m[5]:.0f}"))
        results["beam"][dev] = {"k1": m[1], "k5": m[5]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=",".join(SECTIONS), help="Sections: train,beam")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--device", default="cpu", help="Comma-separated devices: cpu,cuda")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shipped", default="cmn-eng", help="Train with this model's settings ('' : use --hidden/--emb)")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--emb", type=int, default=256)
    ap.add_argument("--train-pairs", type=int, default=8000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--max-steps", type=int, default=40, help="Updates per timed run (0: one whole epoch)")
    ap.add_argument("--model", default="cmn-eng", help="Model directory or bundled name for the beam section")
    ap.add_argument("--sentences", type=int, default=500)
    ap.add_argument("--decode-batch", type=int, default=64)
    ap.add_argument("--json", type=Path, help="Also write the figures here")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    devices = devices_of(args.device)
    if not devices:
        print("no usable device")
        return 2
    summary: list = []
    results: dict = {}
    status = 0
    for name, fn in (("train", run_train), ("beam", run_beam)):
        if name not in sections:
            continue
        try:
            fn(args, devices, summary, results)
        except Missing as exc:
            print(f"missing: {exc}")
            status = max(status, 2)
        except Exception:  # noqa: BLE001  (report and go on with the other section)
            traceback.print_exc()
            status = 1
    print("\n== summary")
    for label, value in summary:
        print(f"  {label}: {value}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
