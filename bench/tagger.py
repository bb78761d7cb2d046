#!/usr/bin/env python
"""Benchmark of the BiLSTM-CRF tagger's speed on CPU (the tagger issue, target 5).

On ResumeNER (../shared/data/resume_ner): training sentences/s over one epoch (forward,
backward, Adam step, as the shared trainer runs it) with length-bucketed and with random
("padded") batches, and decoding sentences/s of the test set, as one batch (the anchor's
way) and in length-sorted batches of 64 (what ``zhnlp tag`` does), with the LSTM in float32
and in bfloat16 (``zhnlp tag --precision bf16``), the batches of 64 as ``zhnlp tag`` runs them
(``--threads 1``: one torch thread, each LSTM layer's backward direction on a second thread;
timed in a child process, three times, whose median is the round's figure) and, for comparison, with each op on torch's default threads (``_1call`` rows); medians over
``--repeats`` interleaved runs. The anchor (luopeixiang/named_entity_recognition's
BiLSTM-CRF, emb 128 / hidden 128 / batch 64) is re-implemented in bench/anchor_tagger.py and
timed in the same run on the same CPU: the ratios to it are the targets (training >= 3x,
decoding >= 5x). Its published figures on a machine like this one: training 229-292
sentences/s, decoding 900 sentences/s; hence the absolute targets 820 and 4,500.

Usage::

    python bench/tagger.py                       # emb 128 / hidden 128 / batch 64 (the anchor's settings)
    python bench/tagger.py --shipped models/resume-ner   # the settings of a trained model directory
    python bench/tagger.py --device cuda --amp   # on a GPU

Exit status 0 when measured (target met or not), 2 when the data is missing.
"""
from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

from _common import resume_ner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data"
TRAIN_TARGET, DECODE_TARGET = 820.0, 4500.0   # sentences/s: 3x and 5x the anchor's published figures
TRAIN_RATIO, DECODE_RATIO = 3.0, 5.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--emb", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--shipped", type=Path, help="take the tagger settings from this model directory")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--amp", action="store_true")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--no-bf16", action="store_true", help="skip the bf16 decoding rows (zhnlp tag --precision bf16)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--as-tag", choices=("fp32", "bf16"),
                    help="internal: in this process, time the batches of 64 as zhnlp tag runs them (one torch "
                         "thread) and print the rates as JSON")
    args = ap.parse_args()

    import torch

    from zhnlp.training.batching import BucketBatchSampler, RandomBatchSampler, TaggingCollate, to_device
    from zhnlp.tasks.tagger import Featurizer, TaggerConfig, build_module
    from zhnlp.training.trainer import resolve_device

    sets = resume_ner(args.data)
    if sets is None:
        return 2
    train, test = sets
    if args.as_tag:
        torch.set_num_threads(1)
    elif args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    if args.shipped:
        head = json.loads((args.shipped / "config.json").read_text(encoding="utf-8"))
        cfg = TaggerConfig.from_dict(head["config"]["tagger"])
        metrics = json.loads((args.shipped / "metrics.json").read_text())
        # an ensemble (zhnlp ensemble): the settings of its first member, one network
        batch_size = (metrics.get("train_config") or metrics["members"][0]["train_config"])["batch_size"]
    else:
        cfg = TaggerConfig(task="ner", emb_dim=args.emb, hidden=args.hidden)
        batch_size = args.batch_size
    cfg.scheme = "BMES"
    feats = Featurizer.build(cfg, train)
    items = [feats.encode(s.tokens, s.tags) for s in train]
    test_items = [feats.encode(s.tokens, s.tags) for s in test]
    lengths = [len(i["ids"]) for i in items]
    collate = TaggingCollate(pad=feats.vocabs["tokens"].pad_id)
    use_amp = args.amp and device.type == "cuda"

    def train_epoch(sampler_cls) -> float:
        torch.manual_seed(1)
        module = build_module(cfg, feats)
        module.net.to(device).train()
        opt = torch.optim.Adam(module.net.parameters(), lr=1e-3)
        batches = [collate([items[i] for i in b]) for b in sampler_cls(lengths, batch_size, seed=1)]
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for b in batches:
            b = to_device(b, device)
            with torch.autocast(device.type, enabled=use_amp, dtype=torch.bfloat16):
                loss, n = module.forward_loss(b)
            opt.zero_grad()
            (loss / n).backward()
            torch.nn.utils.clip_grad_norm_(module.net.parameters(), 5.0)
            opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return len(items) / (time.perf_counter() - t0)

    module = build_module(cfg, feats)
    module.net.to(device).eval()
    bf16 = copy.deepcopy(module)
    bf16.net.set_precision("bf16")
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1)

    def decode(batch: int | None, module=module, as_tag: bool = False) -> float:
        """Sentences/s; ``as_tag`` (in the ``--as-tag`` child, on one torch thread): each LSTM
        layer's backward direction on a second thread, as ``zhnlp tag`` runs on a CPU."""
        order = sorted(range(len(test_items)), key=lambda i: -len(test_items[i]["ids"]))
        size = batch or len(order)
        as_tag = as_tag and device.type == "cpu"
        t0 = time.perf_counter()
        with torch.inference_mode():
            for k in range(0, len(order), size):
                b = to_device(collate([test_items[i] for i in order[k:k + size]]), device)
                # --amp autocasts the float32 network; the bf16 copy already runs its LSTM in bfloat16
                with torch.autocast(device.type, enabled=use_amp and module is not bf16, dtype=torch.bfloat16):
                    module.decode_batch(b, pool if as_tag else None)
        return len(test_items) / (time.perf_counter() - t0)

    if args.as_tag:  # the child of as_tag_rate
        for _ in range(2):
            decode(64, bf16 if args.as_tag == "bf16" else module, as_tag=True)
        print(json.dumps([decode(64, bf16 if args.as_tag == "bf16" else module, as_tag=True) for _ in range(3)]))
        return 0

    def as_tag_rate(precision: str) -> float:
        """Median sentences/s of ``zhnlp tag``'s way, measured in a child process: its second
        thread must not share torch's thread pools with the rows and the anchor timed here."""
        import subprocess

        cmd = [sys.executable, __file__, "--as-tag", precision, "--data", str(args.data), "--emb", str(args.emb),
               "--hidden", str(args.hidden), "--batch-size", str(args.batch_size), "--device", str(args.device)]
        if args.shipped:
            cmd += ["--shipped", str(args.shipped)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        return statistics.median(json.loads(done.stdout.strip().splitlines()[-1]))

    import anchor_tagger

    pairs = [(s.tokens, s.tags) for s in train]
    res: dict[str, list[float]] = {"train_bucketed": [], "train_random": [], "decode_one_batch": [],
                                   "decode_batches_64_1call": [], "decode_batches_64": [], "anchor_train": [],
                                   "anchor_decode": []}
    if not args.no_bf16:
        res.update(decode_one_batch_bf16=[], decode_batches_64_bf16_1call=[], decode_batches_64_bf16=[])
    print(f"ResumeNER: {len(items)} training, {len(test_items)} test sentences; emb {cfg.emb_dim}, hidden "
          f"{cfg.hidden}, bigram {cfg.bigram}, softword {cfg.softword}, batch {batch_size}, device {device}, "
          f"torch threads {torch.get_num_threads()}")
    decode(64)  # warm-up
    if not args.no_bf16:
        decode(64, bf16)
    for r in range(args.repeats):
        for name, fn in (("train_bucketed", lambda: train_epoch(BucketBatchSampler)),
                         ("train_random", lambda: train_epoch(RandomBatchSampler)),
                         ("decode_one_batch", lambda: decode(None)),
                         ("decode_batches_64_1call", lambda: decode(64)),
                         ("decode_batches_64", lambda: as_tag_rate("fp32")),
                         ("decode_one_batch_bf16", lambda: decode(None, bf16)),
                         ("decode_batches_64_bf16_1call", lambda: decode(64, bf16)),
                         ("decode_batches_64_bf16", lambda: as_tag_rate("bf16")),
                         ("anchor_train", lambda: anchor_tagger.train_epoch_rate(pairs, args.batch_size)),
                         ("anchor_decode", lambda: anchor_tagger.decode_rate(pairs, [s.tokens for s in test]))):
            if name not in res:
                continue
            res[name].append(fn())
            print(f"round {r + 1} {name:20s} {res[name][-1]:9.1f} sentences/s", flush=True)
    med = {k: statistics.median(v) for k, v in res.items()}
    print()
    for k, v in med.items():
        if k.startswith("anchor"):
            print(f"{k:20s} {v:9.1f} sentences/s  (the anchor, re-implemented, this machine)")
            continue
        training = k.startswith("train")
        anchor = med["anchor_train"] if training else med["anchor_decode"]
        ratio, target = (TRAIN_RATIO, TRAIN_TARGET) if training else (DECODE_RATIO, DECODE_TARGET)
        fastest = max(res["anchor_train"] if training else res["anchor_decode"])
        print(f"{k:20s} {v:9.1f} sentences/s  = {v / anchor:5.2f}x the anchor here "
              f"(target {ratio:.0f}x: {'met' if v / anchor >= ratio else 'NOT met'}; "
              f"absolute {target:.0f}/s: {'met' if v >= target else 'NOT met'}; "
              f"{v / fastest:.2f}x the anchor's fastest round)")
    if args.json:
        args.json.write_text(json.dumps({"median": med, "rounds": res, "args": vars(args)}, default=str, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
