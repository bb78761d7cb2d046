"""Adversarial training (--adversarial, FGM) in the shared trainer."""
from __future__ import annotations

import pytest
import torch
from classifier_fixtures import labeled_rows, write_csv
from helpers import invoke, one_line_error, trained_with_and_without
from tagging_fixtures import write_ner
from torch import nn

from zhnlp.errors import ZhnlpError
from zhnlp.training.trainer import TrainConfig, Trainer, adversarial_parameters, perturbed


def test_perturbed_moves_along_the_gradient_by_epsilon_then_puts_the_weights_back():
    p = nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    p.grad = torch.tensor([[0.0, 0.0], [3.0, 4.0]])  # norm 5
    with perturbed([p], 2.0):
        assert p.detach().flatten().tolist() == pytest.approx([1.0, 2.0, 3.0 + 1.2, 4.0 + 1.6])
    assert p.detach().tolist() == [[1.0, 2.0], [3.0, 4.0]]
    p.grad = torch.zeros(2, 2)  # no gradient, no direction: left as it is
    with perturbed([p], 2.0):
        assert p.detach().tolist() == [[1.0, 2.0], [3.0, 4.0]]


class _Probe(nn.Module):
    """Regression through an embedding; notes the embedding table each forward pass sees."""

    metric, higher_is_better = "loss", False

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(3, 2)
        self.out = nn.Linear(2, 1)
        self.seen: list[torch.Tensor] = []

    def adversarial_parameters(self):
        return [self.embed.weight]

    def forward_loss(self, batch):
        self.seen.append(self.embed.weight.detach().clone())
        err = self.out(self.embed(batch["ids"])).squeeze(1) - batch["y"]
        return (err ** 2).sum(), int(batch["y"].shape[0])

    def dev_scores(self, batches):
        return {}

    def save(self, directory, metrics=None, extra_files=None):
        return directory


def _collate(items):
    return {"ids": torch.tensor([i["id"] for i in items]), "y": torch.tensor([i["y"] for i in items])}


def test_each_step_also_learns_from_the_embeddings_moved_along_their_gradient(tmp_path):
    torch.manual_seed(0)
    model = _Probe()
    items = [{"id": i % 3, "y": float(i % 3) - 1.0} for i in range(8)]
    config = TrainConfig(epochs=1, batch_size=8, lr=0.1, patience=0, progress=False, threads=1, adversarial=0.5)
    Trainer(model, items, [], collate=_collate, lengths=[1] * 8, config=config, output=tmp_path / "m").train()
    clean, attacked = model.seen  # one step: two forward passes
    move = attacked - clean
    assert float(move.norm()) == pytest.approx(0.5, abs=1e-5)
    # ... along the gradient of the clean loss (per item) with respect to the table, from the
    # same starting weights (the same seed builds the same probe)
    torch.manual_seed(0)
    start = _Probe()
    table = clean.clone().requires_grad_(True)
    batch = _collate(items)
    err = start.out(nn.functional.embedding(batch["ids"], table)).squeeze(1) - batch["y"]
    ((err ** 2).sum() / 8).backward()
    assert torch.allclose(move, 0.5 * table.grad / table.grad.norm(), atol=1e-5)


def test_adversarial_needs_a_model_that_names_its_embeddings():
    with pytest.raises(ZhnlpError, match="--adversarial is not available for Module"):
        adversarial_parameters(nn.Module(), 1.0)
    assert adversarial_parameters(nn.Module(), 0.0) == []
    with pytest.raises(ZhnlpError, match="--adversarial must be at least 0"):
        TrainConfig(adversarial=-1)


def test_train_ner_and_train_classifier_with_adversarial(tmp_path):
    train, dev = write_ner(tmp_path / "train.bio", 60, seed=1), write_ner(tmp_path / "dev.bio", 20, seed=2)
    args = ["train-ner", train, "--dev", dev, "--emb-dim", "8", "--hidden", "8", "--epochs", "2", "--threads", "1", "-q"]
    metrics = trained_with_and_without(tmp_path / "ner", args, ["--adversarial", "1.0"])
    assert metrics["train_config"]["adversarial"] == 1.0
    table = write_csv(tmp_path / "reviews.csv", labeled_rows(40, seed=1))
    invoke("train-classifier", table, "--dev", table, "--emb-dim", "8", "--hidden", "8", "--epochs", "1",
           "--adversarial", "1.0", "-q", "-o", tmp_path / "clf")
    one_line_error(invoke(*args, "--adversarial", "-1", "-o", tmp_path / "bad", ok=False),
                   "--adversarial must be at least 0")
