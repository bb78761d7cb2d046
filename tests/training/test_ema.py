"""Weight averaging (--ema) in the shared trainer: the running average, dev scores and the
saved model use it, training continues from the trained weights, and --resume keeps it."""
from __future__ import annotations

import pytest
import torch
from classifier_fixtures import labeled_rows, write_csv
from helpers import interrupted_after, invoke, one_line_error, trained_with_and_without
from torch import nn

from zhnlp.errors import ZhnlpError
from zhnlp.training.trainer import TrainConfig, Trainer, WeightAverage


def test_the_average_follows_the_weights_with_a_ramped_decay():
    p = nn.Parameter(torch.tensor([0.0, 10.0]))
    avg = WeightAverage([p], 0.9)
    expected = p.detach().clone()
    for step, value in enumerate([1.0, 2.0, 3.0, 4.0]):
        with torch.no_grad():
            p.fill_(value)
        avg.update(step)
        decay = min(0.9, (1 + step) / (10 + step))
        expected = decay * expected + (1 - decay) * value
        assert torch.allclose(avg.shadow[0], expected)
    with avg.applied():
        assert torch.allclose(p.detach(), expected)
    assert p.detach().tolist() == [4.0, 4.0]  # the trained weights are back
    with pytest.raises(ZhnlpError, match="--ema must lie in"):
        TrainConfig(ema=1.0)


class _Probe(nn.Module):
    """Regression through one linear layer; notes the weights that each dev evaluation sees."""

    metric, higher_is_better = "loss", False

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 1)
        self.evaluated: list[torch.Tensor] = []

    def forward_loss(self, batch):
        err = self.lin(batch["x"]).squeeze(1) - batch["y"]
        return (err ** 2).sum(), int(batch["y"].shape[0])

    def dev_scores(self, batches):
        self.evaluated.append(self.lin.weight.detach().clone())
        loss = sum(float(self.forward_loss(b)[0]) for b in batches)
        return {"loss": loss}

    def save(self, directory, metrics=None, extra_files=None):
        return directory


def _items(n=32):
    g = torch.Generator().manual_seed(3)
    xs = torch.randn(n, 2, generator=g)
    return [{"x": x.tolist(), "y": float(x[0] - 2 * x[1])} for x in xs]


def _collate(items):
    return {"x": torch.tensor([i["x"] for i in items]), "y": torch.tensor([i["y"] for i in items])}


def _train(tmp_path, name, ema, epochs=3, resume=False):
    torch.manual_seed(0)
    model = _Probe()
    config = TrainConfig(epochs=epochs, batch_size=4, lr=0.05, patience=0, progress=False, threads=1, ema=ema)
    trainer = Trainer(model, _items(), _items(8), collate=_collate, lengths=[1] * 32, config=config,
                      output=tmp_path / name, resume=resume)
    return model, trainer


def test_dev_scores_and_the_kept_weights_are_the_averages(tmp_path, monkeypatch):
    seen = []
    original = WeightAverage.update

    def spy(self, step):
        original(self, step)
        seen.append((self.params[0].detach().clone(), self.shadow[0].clone()))  # lin.weight: live, average

    monkeypatch.setattr(WeightAverage, "update", spy)
    model, trainer = _train(tmp_path, "ema", 0.9)
    result = trainer.train()
    steps = len(seen) // 3
    averages = [seen[(e + 1) * steps - 1][1] for e in range(3)]
    assert all(torch.equal(ev, avg) for ev, avg in zip(model.evaluated, averages))
    assert not torch.equal(model.evaluated[-1], seen[-1][0])  # not the last update's weights
    assert torch.equal(model.lin.weight.detach(), averages[result.best_epoch - 1])
    plain, trainer = _train(tmp_path, "plain", 0.0)
    trainer.train()
    assert torch.equal(plain.evaluated[0], seen[steps - 1][0])  # without --ema: the trained weights


def test_resume_keeps_the_average(tmp_path):
    full, trainer = _train(tmp_path, "full", 0.9)
    trainer.train()
    cut, trainer = _train(tmp_path, "cut", 0.9)
    with interrupted_after(1):
        with pytest.raises(KeyboardInterrupt):
            trainer.train()
    cut, trainer = _train(tmp_path, "cut", 0.9, resume=True)
    trainer.train()
    assert len(cut.evaluated) == 2 and all(torch.equal(a, b) for a, b in zip(full.evaluated[1:], cut.evaluated))
    assert torch.equal(full.lin.weight, cut.lin.weight)


def test_train_classifier_with_ema_records_it(tmp_path):
    table = write_csv(tmp_path / "reviews.csv", labeled_rows(40, seed=1))
    args = ["train-classifier", table, "--dev", table, "--emb-dim", "8", "--hidden", "8", "--epochs", "2",
            "--threads", "1", "-q"]
    assert trained_with_and_without(tmp_path, args, ["--ema", "0.9"])["train_config"]["ema"] == 0.9
    one_line_error(invoke(*args, "--ema", "1.5", "-o", tmp_path / "bad", ok=False), "--ema must lie in [0, 1)")


def test_resuming_a_run_without_an_average_with_ema_is_a_clear_error(tmp_path):
    _, trainer = _train(tmp_path, "plain", 0.0)
    with interrupted_after(1):
        with pytest.raises(KeyboardInterrupt):
            trainer.train()
    with pytest.raises(ZhnlpError, match="kept no weight average; resume without --ema"):
        _train(tmp_path, "plain", 0.9, resume=True)[1].train()
