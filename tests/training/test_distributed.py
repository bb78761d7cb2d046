"""Training on several processes: ``torchrun --nproc-per-node N -m zhnlp train-*`` through the
shared trainer's DistributedDataParallel path, run for real on the CPU (gloo, 2 processes).

What could go wrong, and what catches it:
- ranks training on the same batches, or on all of them: the sampler test (no processes),
  the probe (``ddp_probe.py``: every rank's batches, epoch by epoch, against the sharded
  sampler) and the CLI run's log (items trained per epoch, summed over ranks);
- ranks drifting apart (gradients not averaged, best weights not shared): the weights each
  step of the probe starts from, and those it ends with, equal on both ranks;
- ranks stopping at different epochs, or a rank writing files: the probe's histories and
  who saved, the CLI's one summary line and one model directory;
- ``--resume`` under torchrun: a 2-epoch run left as a crash leaves it, resumed to 4
  epochs on both ranks, ends with the weights of an uninterrupted 4-epoch run;
- a quality difference: ``train-ner`` on 2 processes × batch B scores within 0.5 F1 points
  of one process with batch 2B (the same effective batch) and the same seed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, invoke
from tagging_fixtures import write_ner

torch = pytest.importorskip("torch")
if not (torch.distributed.is_available() and torch.distributed.is_gloo_available()):  # pragma: no cover
    pytest.skip("this torch build has no torch.distributed with gloo", allow_module_level=True)

TESTS = ROOT / "tests"


def torchrun(cwd: Path, *args, nproc: int = 2, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m torch.distributed.run --standalone --nproc-per-node NPROC ARGS`` (a free port
    of its own, one thread per process; on the CPU the trainer picks gloo); asserts that every
    rank exited 0."""
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), str(TESTS), os.environ.get("PYTHONPATH")) if p)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
           *map(str, args)]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return proc


# -- the sampler (no processes) --------------------------------------------------------------------

@pytest.mark.parametrize("n, batch, replicas", [(96, 8, 2), (120, 10, 3), (101, 10, 2), (7, 4, 4), (500, 3, 2)])
def test_sharded_bucket_batches_are_disjoint_and_cover_every_item(n, batch, replicas):
    import random

    from zhnlp.training.batching import BucketBatchSampler

    rng = random.Random(n)
    lengths = [rng.randrange(1, 30) for _ in range(n)]
    for epoch in (0, 1):
        whole = BucketBatchSampler(lengths, batch, seed=4)
        whole.set_epoch(epoch)
        order = list(whole)  # the one seeded, bucketed order every rank computes
        shards = []
        for r in range(replicas):
            s = BucketBatchSampler(lengths, batch, seed=4, num_replicas=replicas, rank=r)
            s.set_epoch(epoch)
            shards.append(list(s))
            assert len(shards[-1]) == len(s)
        assert len({len(s) for s in shards}) == 1  # as many steps on every rank: no rank waits forever
        # rank r takes batches r, r + N, r + 2N... of that order; the last round is filled up
        # from the start of the order, so that every rank has a batch in it
        padded = [order[i % len(order)] for i in range(len(shards[0]) * replicas)]
        assert [shards[r][k] for k in range(len(shards[0])) for r in range(replicas)] == padded
        items = [i for s in shards for b in s for i in b]
        assert set(items) == set(range(n))
        if len(order) % replicas == 0:  # then nothing is repeated: the shards are disjoint
            assert sorted(items) == list(range(n))
        else:
            assert len(items) - n <= (replicas - 1) * batch
    a = BucketBatchSampler(lengths, batch, seed=4, num_replicas=replicas, rank=0)
    b = BucketBatchSampler(lengths, batch, seed=4, num_replicas=replicas, rank=0)
    b.set_epoch(1)
    assert list(a) != list(b) or len(list(a)) <= 1  # a new shard every epoch


@pytest.mark.parametrize("variant", ["plain", "features-no-crf"])
def test_every_tagger_parameter_gets_a_gradient(variant):
    """DDP is built without find_unused_parameters: every trainable parameter must take part
    in every loss (else the second step fails under torchrun)."""
    from zhnlp.nn.tagger import BiLSTMCRF, TaggerNetConfig

    feats = {"bigram": 9} if variant != "plain" else {}
    net = BiLSTMCRF(TaggerNetConfig(n_tokens=12, n_tags=5, emb_dim=6, hidden=4, layers=2, features=feats,
                                    feature_dims={"bigram": 3}, use_crf=variant == "plain"))
    lengths = torch.tensor([4, 2])
    batch = {"ids": torch.tensor([[3, 4, 5, 6], [7, 8, 0, 0]]), "tags": torch.tensor([[1, 2, 3, 4], [1, 1, 0, 0]]),
             "lengths": lengths, "mask": torch.arange(4)[None, :] < lengths[:, None],
             "features": {"bigram": torch.tensor([[1, 2, 3, 4], [5, 6, 0, 0]])} if feats else {}}
    net.loss(batch).backward()
    assert [n for n, p in net.named_parameters() if p.grad is None] == []


@pytest.mark.parametrize("pooling", ["last", "max", "mean", "attention"])
def test_every_classifier_parameter_gets_a_gradient(pooling):
    from zhnlp.nn.classifier import ClassifierNetConfig, GRUClassifier

    net = GRUClassifier(ClassifierNetConfig(n_tokens=12, n_classes=3, emb_dim=6, hidden=4, layers=2, pooling=pooling,
                                            n_bigrams=9, n_ngrams=11))
    ids = torch.tensor([[3, 4, 5, 6], [7, 8, 0, 0]])
    net.logits(ids, torch.tensor([4, 2]), torch.tensor([[1, 2, 3, 4], [5, 6, 0, 0]]),
               torch.tensor([[1, 2, 3], [4, 0, 0]])).sum().backward()
    assert [n for n, p in net.named_parameters() if p.grad is None] == []


@pytest.mark.parametrize("attention, input_feed, tie", [("dot", True, True), ("additive", False, False),
                                                         ("dot", True, False)])
def test_every_seq2seq_parameter_gets_a_gradient(attention, input_feed, tie):
    from zhnlp.nn.seq2seq import Seq2SeqNet, Seq2SeqNetConfig

    net = Seq2SeqNet(Seq2SeqNetConfig(n_src=10, n_tgt=11, src_pad=0, tgt_pad=0, bos=1, eos=2, emb_dim=8, hidden=4,
                                      layers=2, attention=attention, input_feed=input_feed, tie_embeddings=tie))
    src = torch.tensor([[3, 4, 5, 2], [6, 7, 2, 0]])
    tgt_in = torch.tensor([[1, 3, 4], [1, 5, 0]])
    net(src, torch.tensor([4, 3]), tgt_in).float().sum().backward()
    assert [n for n, p in net.named_parameters() if p.grad is None] == []


def test_hmm_tagger_refuses_torchrun(tmp_path, monkeypatch):
    """The HMM is counted in one pass without the trainer: N processes would race to write it."""
    from zhnlp.errors import ZhnlpError
    from zhnlp.tasks.tagger import TaggerConfig, train_tagger

    monkeypatch.setenv("WORLD_SIZE", "2")
    train = write_ner(tmp_path / "train.bio", 5)
    with pytest.raises(ZhnlpError, match="without torchrun"):
        train_tagger(train, None, tmp_path / "m", config=TaggerConfig(task="ner"), train_config=None, model="hmm")
    assert not (tmp_path / "m").exists()


# -- the trainer's mechanics under torchrun (the probe) ----------------------------------------------

@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """The probe's three runs (full, interrupted, resumed) on 2 ranks: its folder and each
    rank's report."""
    out = tmp_path_factory.mktemp("probe")
    torchrun(out, TESTS / "ddp_probe.py", out)
    return out, [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]


@pytest.mark.slow
def test_ranks_train_on_disjoint_shards_and_stay_in_sync(probe):
    from ddp_probe import BATCH, N_ITEMS, items

    from zhnlp.training.batching import BucketBatchSampler

    out, reports = probe
    ranks = [rep["full"] for rep in reports]
    lengths = [it["len"] for it in items()]
    steps_per_epoch = N_ITEMS // BATCH // 2
    for r, rep in enumerate(ranks):
        assert rep["rank"] == r and rep["world_size"] == 2 and rep["metrics_world_size"] == 2
        assert [step for step, _ in rep["seen"]] == list(range(4 * steps_per_epoch))
        for epoch in range(4):  # exactly rank r's shard of the seeded order of that epoch
            sampler = BucketBatchSampler(lengths, BATCH, seed=3, num_replicas=2, rank=r)
            sampler.set_epoch(epoch)
            seen = [b for step, b in rep["seen"] if step // steps_per_epoch == epoch]
            assert seen == list(sampler)
    for epoch in range(4):  # together: every item once an epoch, no item on both ranks
        per_rank = [{i for step, b in rep["seen"] if step // steps_per_epoch == epoch for i in b} for rep in ranks]
        assert not per_rank[0] & per_rank[1]
        assert per_rank[0] | per_rank[1] == set(range(N_ITEMS))
    # gradients averaged: the ranks step from the same weights every time, and end with one model
    assert ranks[0]["trajectory"] == ranks[1]["trajectory"]
    assert len({tuple(w) for w in ranks[0]["trajectory"]}) == len(ranks[0]["trajectory"])  # it did learn
    assert ranks[0]["epochs"] == ranks[1]["epochs"] == [1, 2, 3, 4]
    assert ranks[0]["best_epoch"] == ranks[1]["best_epoch"] == 1
    for rep in ranks:  # the best (first) epoch's weights, which rank 0 read back and sent to rank 1
        assert rep["weights"] == rep["trajectory"][steps_per_epoch]
    assert [rep["saved"] for rep in ranks] == [True, False]  # rank 0 alone writes the model
    assert json.loads((out / "full" / "metrics.json").read_text())["world_size"] == 2
    assert not (out / "full.checkpoint").exists()


@pytest.mark.slow
def test_resume_under_torchrun_ends_with_the_uninterrupted_weights(probe):
    out, reports = probe
    for r, rep in enumerate(reports):
        full, cut, resumed = rep["full"], rep["interrupted"], rep["resumed"]
        assert cut["checkpoint_left"] and not cut["model_written"] and cut["epochs"] == [1, 2]
        assert resumed["epochs"] == [1, 2, 3, 4]  # every rank loaded the checkpoint and went on from epoch 3
        half = len(full["seen"]) // 2
        assert resumed["seen"] == full["seen"][half:]
        flat = [v for weights in full["trajectory"][half:] for v in weights]
        assert [v for weights in resumed["trajectory"] for v in weights] == pytest.approx(flat, abs=1e-6)
        assert resumed["weights"] == pytest.approx(full["weights"], abs=1e-6)
    assert reports[0]["resumed"]["weights"] == reports[1]["resumed"]["weights"]
    assert (out / "resumed" / "metrics.json").is_file() and not (out / "resumed.checkpoint").exists()


# -- the command line ----------------------------------------------------------------------------------

NER_OPTIONS = ["--epochs", "8", "--lr", "0.01", "--patience", "0", "--emb-dim", "32", "--hidden", "32",
               "--seed", "1", "--threads", "1"]


@pytest.mark.slow
def test_torchrun_train_ner_scores_as_one_process_with_the_same_effective_batch(tmp_path):
    train, dev = write_ner(tmp_path / "train.bio", 120, seed=1), write_ner(tmp_path / "dev.bio", 30, seed=2)
    invoke("train-ner", train, "--dev", dev, "-o", tmp_path / "one", "--batch-size", "20", "-q", *NER_OPTIONS)
    proc = torchrun(tmp_path, "-m", "zhnlp", "train-ner", train, "--dev", dev, "-o", tmp_path / "two",
                    "--batch-size", "10", *NER_OPTIONS)
    summaries = [line for line in proc.stderr.splitlines() if line.startswith("trained bilstm-crf ner")]
    assert len(summaries) == 1, proc.stderr  # rank 0 alone reports
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev.bio", "one", "train.bio", "two"]  # no checkpoint left
    from zhnlp import load_tagger

    one, two = (json.loads((tmp_path / name / "metrics.json").read_text()) for name in ("one", "two"))
    assert (one["world_size"], two["world_size"]) == (1, 2) and two["train_config"]["batch_size"] == 10
    for name in ("one", "two"):  # each epoch, 120 sentences in all: 6 updates of 20, or of 2 ranks × 10
        log = [json.loads(line) for line in (tmp_path / name / "training_log.jsonl").read_text().splitlines()]
        assert [r["epoch"] for r in log] == list(range(1, 9))
        assert {r["train_items"] for r in log} == {120}
    f1_one, f1_two = one["dev"]["f1"], two["dev"]["f1"]
    print(f"dev F1: one process × 20 {100 * f1_one:.2f}, two processes × 10 {100 * f1_two:.2f}")
    assert f1_two > 0.95 and abs(f1_one - f1_two) <= 0.005
    assert load_tagger(tmp_path / "two").evaluate(dev)["f1"] == pytest.approx(f1_two)


@pytest.mark.slow
def test_torchrun_train_classifier_smoke(tmp_path):
    """Every classifier option that adds parameters (bigrams, bag, n-grams, attention pooling,
    class-weight buffer) trains under DDP; the model loads."""
    from classifier_fixtures import labeled_rows, write_csv

    from zhnlp.tasks.classifier import load_classifier

    train = write_csv(tmp_path / "train.csv", labeled_rows(60, seed=1))
    dev = write_csv(tmp_path / "dev.csv", labeled_rows(15, seed=2))
    torchrun(tmp_path, "-m", "zhnlp", "train-classifier", train, "--dev", dev, "-o", tmp_path / "clf", "--epochs", "2",
             "--batch-size", "8", "--emb-dim", "16", "--hidden", "8", "--bigram", "--bigram-min-freq", "1",
             "--ngrams", "2", "--ngram-min-freq", "1", "--pooling", "attention", "--class-weights", "auto",
             "--threads", "1", "-q")
    metrics = json.loads((tmp_path / "clf" / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["epochs_run"] == 2
    assert load_classifier(tmp_path / "clf").predict(["足球比赛"])[0] in {"sports", "food", "tech"}
