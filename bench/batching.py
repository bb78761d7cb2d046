#!/usr/bin/env python
"""Benchmark of length-bucketed vs randomly composed batches (the batching issue, target 1).

One training epoch (forward, backward, Adam step) of the same character GRU tagger over the
same real sentences (MSRA NER training text, ../shared/data/msra_ner/train.bio), once with
:class:`zhnlp.training.batching.BucketBatchSampler` and once with :class:`RandomBatchSampler`; both
go through the same collate function and :func:`zhnlp.training.batching.run_rnn` (pack/unpack).
Rounds alternate the two samplers; the medians are compared. Prints sentences/s of each,
their ratio and the share of padded positions in each.

Usage::

    python bench/batching.py                    # 8,000 sentences, 3 rounds (about 5 minutes on 2 cores)
    python bench/batching.py --sentences 2000 --rounds 1    # quick look
    python bench/batching.py --json out.json

Exit status 0 when measured (target met or not), 2 when the data is missing.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data"
TARGET = 1.5


def read_bio(path: Path) -> list[tuple[list[str], list[str]]]:
    """Sentences of a ``char<TAB>tag`` file (blank line between sentences)."""
    sents, chars, tags = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if chars:
                sents.append((chars, tags))
            chars, tags = [], []
            continue
        c, t = line.split("\t")
        chars.append(c)
        tags.append(t)
    if chars:
        sents.append((chars, tags))
    return sents


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--sentences", type=int, default=8000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--emb", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    import torch
    from torch import nn

    from zhnlp.training.batching import BucketBatchSampler, RandomBatchSampler, TaggingCollate, padding_share, run_rnn
    from zhnlp.text.vocab import Vocab

    path = args.data / "msra_ner" / "train.bio"
    if not path.exists():
        print(f"missing {path} (needs ../shared/data beside the repo)", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    sents = read_bio(path)
    random.Random(args.seed).shuffle(sents)
    sents = sents[: args.sentences]
    chars = Vocab.build((c for c, _ in sents), level="word")
    tagset = Vocab.build((t for _, t in sents), specials=("<pad>",), unk=None)
    items = [{"ids": chars.encode(c), "tags": tagset.encode(t)} for c, t in sents]
    lengths = [len(it["ids"]) for it in items]
    collate = TaggingCollate(pad=chars.pad_id, tag_pad=tagset.pad_id)

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(len(chars), args.emb, padding_idx=chars.pad_id)
            self.rnn = nn.GRU(args.emb, args.hidden, batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * args.hidden, len(tagset))

        def forward(self, ids, lengths):
            h, _ = run_rnn(self.rnn, self.emb(ids), lengths)  # (batch, seq, 2*hidden)
            return self.out(h)

    def epoch(sampler_cls, rnd: int) -> tuple[float, float]:
        torch.manual_seed(args.seed)
        model = Tagger()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        sampler = sampler_cls(lengths, args.batch_size, seed=args.seed)
        sampler.set_epoch(rnd)
        batches = list(sampler)
        loss_fn = nn.CrossEntropyLoss(ignore_index=tagset.pad_id)
        t0 = time.perf_counter()
        for idx in batches:
            b = collate([items[i] for i in idx])
            logits = model(b["ids"], b["lengths"])
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), b["tags"].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
        secs = time.perf_counter() - t0
        return len(items) / secs, padding_share(batches, lengths)

    results: dict[str, list[float]] = {"bucketed": [], "random": []}
    pads: dict[str, float] = {}
    print(f"{len(items)} MSRA training sentences, mean length {statistics.mean(lengths):.1f}, "
          f"max {max(lengths)}; GRU emb {args.emb} hidden {args.hidden} bidirectional, batch {args.batch_size}, "
          f"torch threads {torch.get_num_threads()}")
    for rnd in range(args.rounds):
        order = [("bucketed", BucketBatchSampler), ("random", RandomBatchSampler)]
        if rnd % 2:
            order.reverse()
        for name, cls in order:
            rate, pad = epoch(cls, rnd)
            results[name].append(rate)
            pads[name] = pad
            print(f"round {rnd + 1} {name:8s} {rate:8.1f} sentences/s  padding {pad:.1%}", flush=True)
    med = {k: statistics.median(v) for k, v in results.items()}
    ratio = med["bucketed"] / med["random"]
    print()
    print(f"bucketed: {med['bucketed']:.1f} sentences/s (padding {pads['bucketed']:.1%})")
    print(f"random:   {med['random']:.1f} sentences/s (padding {pads['random']:.1%})")
    print(f"bucketed / random: {ratio:.2f}x (target >= {TARGET}x: {'met' if ratio >= TARGET else 'NOT met'})")
    if args.json:
        args.json.write_text(json.dumps({"median_sentences_per_s": med, "padding_share": pads,
                                         "ratio": ratio, "rounds": results, "args": vars(args)},
                                        default=str, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
