"""Numbers that cannot train, and torch's threads (issue 23, parts 3 and 5).

Numeric options are finite and in range (one-line errors naming the option; the bad-input
catalogue runs them through every command); a run whose loss or weights stop being finite
stops with an error naming the epoch and step, and leaves neither a model nor a checkpoint of
non-finite weights; logs and metrics are strict JSON; every inference command's ``--threads``
(default 1, as ``zhnlp tag``'s) reaches torch.
"""
from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from classifier_fixtures import labeled_rows, write_csv
from helpers import invoke, one_line_error
from tagging_fixtures import write_ner
from zhnlp.checks import check_number, json_safe
from zhnlp.errors import ZhnlpError
from zhnlp.training.trainer import LOG_FILE, TrainConfig, Trainer


def _strict(text: str):
    """``json.loads`` that refuses NaN and Infinity (which are not JSON)."""
    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


# --------------------------------------------------------------------------- the checks

@pytest.mark.parametrize("args, message", [
    (("--lr", math.inf, 0, 10), {"above": True}),
    (("--lr", math.nan, 0), {}),
    (("--threads", -4, 0), {}),
    (("--lr", 11.0, 0, 10), {"above": True}),
    (("--lr", 0.0, 0), {"above": True}),
    (("--ema", 1.0, 0, 1), {"below": True}),
])
def test_check_number_names_the_option_the_rule_and_the_value(args, message):
    expected = {("--lr", math.inf): "--lr must be a finite number, not inf",
                ("--lr", math.nan): "--lr must be a finite number, not nan",
                ("--threads", -4): "--threads must be at least 0, not -4",
                ("--lr", 11.0): "--lr must lie in (0, 10], not 11.0",
                ("--lr", 0.0): "--lr must be positive, not 0.0",
                ("--ema", 1.0): "--ema must lie in [0, 1), not 1.0"}[args[:2]]
    with pytest.raises(ZhnlpError) as info:
        check_number(*args, **message)
    assert str(info.value) == expected
    check_number(args[0], 0.5, 0, 1)  # in range: no error


def test_train_config_refuses_non_finite_and_negative_numbers():
    for kw, needle in [({"lr": math.inf}, "--lr must be a finite number, not inf"),
                       ({"lr": math.nan}, "--lr must be a finite number, not nan"),
                       ({"lr": 1e38}, "--lr must lie in (0, 10]"),
                       ({"threads": -4}, "--threads must be at least 0, not -4"),
                       ({"weight_decay": math.inf}, "--weight-decay must be a finite number"),
                       ({"clip_norm": math.nan}, "--clip must be a finite number"),
                       ({"warmup_steps": -1}, "--warmup must be at least 0")]:
        with pytest.raises(ZhnlpError, match=needle.replace("(", r"\(").replace("]", r"\]")):
            TrainConfig(**kw)


def test_json_safe_turns_non_finite_numbers_into_null():
    data = {"a": math.nan, "b": [1.0, math.inf, {"c": -math.inf}], "d": (2, "x"), "e": None}
    assert json.dumps(json_safe(data), allow_nan=False) == \
        '{"a": null, "b": [1.0, null, {"c": null}], "d": [2, "x"], "e": null}'


# --------------------------------------------------------------------------- the trainer

class _Toy(nn.Module):
    """Regression through one linear layer. ``poison`` (update number -> "loss" | "weights")
    makes that update's loss NaN, or sets a weight to NaN after taking a finite loss."""

    metric, higher_is_better = "loss", False

    def __init__(self, poison: dict[int, str] | None = None, dev_extra: dict | None = None) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 1)
        self.poison, self.dev_extra, self.calls, self.saved = poison or {}, dev_extra or {}, 0, {}

    def forward_loss(self, batch):
        self.calls += self.training  # updates only, not dev evaluation
        loss = ((self.lin(batch["x"]).squeeze(1) - batch["y"]) ** 2).sum()
        what = self.poison.get(self.calls) if self.training else None
        if what == "loss":
            loss = loss * math.nan
        elif what == "weights":
            with torch.no_grad():
                self.lin.weight[0, 0] = math.nan
        return loss, int(batch["y"].shape[0])

    def dev_scores(self, batches):
        return {"loss": sum(float(self.forward_loss(b)[0]) for b in batches), **self.dev_extra}

    def save(self, directory, metrics=None, extra_files=None):
        self.saved = {"metrics": metrics, "extra_files": extra_files}
        return directory


def _items(n=8):
    g = torch.Generator().manual_seed(3)
    return [{"x": x.tolist(), "y": float(x[0] - 2 * x[1])} for x in torch.randn(n, 2, generator=g)]


def _collate(items):
    return {"x": torch.tensor([i["x"] for i in items]), "y": torch.tensor([i["y"] for i in items])}


def _trainer(tmp_path, model, epochs=3):
    torch.manual_seed(0)
    config = TrainConfig(epochs=epochs, batch_size=4, lr=0.05, patience=0, progress=False, threads=1)
    return Trainer(model, _items(), _items(4), collate=_collate, lengths=[1] * 8, config=config,
                   output=tmp_path / "model")


def test_a_warm_up_in_epochs_is_that_many_epochs_of_updates(tmp_path):
    def trained(name, **warmup):
        torch.manual_seed(0)
        model = _Toy()
        config = TrainConfig(epochs=2, batch_size=4, lr=0.05, patience=0, progress=False, threads=1, **warmup)
        trainer = Trainer(model, _items(), _items(4), collate=_collate, lengths=[1] * 8, config=config,
                          output=tmp_path / name)
        steps = trainer.warmup_steps()
        trainer.train()
        return steps, model.lin.weight.detach().clone()

    steps, by_epochs = trained("epochs", warmup_epochs=1.5)  # 8 items in batches of 4: two updates an epoch
    assert steps == 3
    assert torch.equal(by_epochs, trained("steps", warmup_steps=3)[1])
    assert not torch.equal(by_epochs, trained("none")[1])
    steps_win, _ = trained("both", warmup_steps=5, warmup_epochs=1.5)  # a preset's epochs, the user's --warmup
    assert steps_win == 5
    with pytest.raises(ZhnlpError, match="^--warmup-epochs must be at least 0"):
        TrainConfig(warmup_epochs=-1.0)


def test_a_nan_loss_stops_training_and_keeps_only_the_last_finite_epoch(tmp_path):
    trainer = _trainer(tmp_path, _Toy(poison={3: "loss"}))  # two updates an epoch: the 3rd is epoch 2's first
    with pytest.raises(ZhnlpError) as info:
        trainer.train()
    assert str(info.value).startswith("training diverged: the loss is nan at epoch 2, step 3 (--lr 0.05); "
                                      "try a lower --lr; the checkpoint of the last completed epoch stays in ")
    assert not (tmp_path / "model").exists()
    meta = _strict((tmp_path / "model.checkpoint" / "trainer.json").read_text(encoding="utf-8"))
    assert meta["epoch"] == 1
    from safetensors.torch import load_file

    assert all(torch.isfinite(t).all() for t in load_file(str(tmp_path / "model.checkpoint" / "last.safetensors"))
               .values())


def test_weights_that_stop_being_finite_stop_training_before_any_checkpoint(tmp_path):
    trainer = _trainer(tmp_path, _Toy(poison={2: "weights"}))  # a finite loss, then NaN weights: epoch 1's end
    with pytest.raises(ZhnlpError, match=r"^training diverged: the weights are not finite at epoch 1, step 2 .*"
                                         r"try a lower --lr; no model was written$"):
        trainer.train()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_logs_metrics_and_checkpoints_are_strict_json(tmp_path):
    model = _Toy(dev_extra={"perplexity": math.inf})  # e.g. a seq2seq model's first epochs
    trainer = _trainer(tmp_path, model, epochs=2)
    result = trainer.train()
    meta = _strict((tmp_path / "model.checkpoint" / "trainer.json").read_text(encoding="utf-8"))
    assert meta["history"][0]["dev_perplexity"] is None
    trainer.finish({"dev": {"perplexity": math.inf, "loss": 1.0}, "history": result.history})
    rows = [_strict(line) for line in model.saved["extra_files"][LOG_FILE].splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2] and rows[0]["dev_perplexity"] is None
    assert model.saved["metrics"]["dev"] == {"perplexity": None, "loss": 1.0}
    json.dumps(model.saved["metrics"], allow_nan=False)


# --------------------------------------------------------------------------- through the CLI

def _ner(work):
    write_ner(work / "train.bio", 24, seed=0)
    return ["train-ner", "train.bio", "--hidden", "8", "--emb-dim", "8"]


def _classifier(work):
    write_csv(work / "train.csv", labeled_rows(24, seed=0))
    return ["train-classifier", "train.csv", "--hidden", "8", "--emb-dim", "8"]


@pytest.mark.parametrize("job", [_ner, _classifier], ids=["train-ner", "train-classifier"])
def test_a_diverging_run_is_a_one_line_error_and_writes_nothing(job, tmp_path, monkeypatch):
    """Gradients made NaN in the first update (as a learning rate far too high would): the
    second update's loss is NaN; the error names epoch and step, suggests a lower --lr, and
    neither a model directory nor a checkpoint is left."""
    def nan_gradients(params, max_norm, *args, **kwargs):
        for p in params:
            if p.grad is not None:
                p.grad.fill_(math.nan)
        return torch.tensor(math.nan)

    monkeypatch.chdir(tmp_path)
    args = job(tmp_path)
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", nan_gradients)
    r = invoke(*args, "-o", "model", "--batch-size", "8", "--epochs", "2", "--threads", "1", "-q", ok=False)
    one_line_error(r, "training diverged: the loss is nan at epoch 1, step 2", "try a lower --lr",
                   "no model was written")
    assert not (tmp_path / "model").exists() and not (tmp_path / "model.checkpoint").exists()


# --------------------------------------------------------------------------- threads

GOOD = "我爱北京天安门\n今天天气很好\n"


def _inference(work):
    (work / "good.txt").write_text(GOOD, encoding="utf-8")
    (work / "test.bio").write_text("张\tB-NAME\n三\tE-NAME\n好\tO\n\n", encoding="utf-8")
    (work / "test.csv").write_text("review,label\n房间很好,positive\n房间很差,negative\n", encoding="utf-8")
    return {"tag": ["tag", "resume-ner-hmm", "good.txt", "-o", "out.txt"],
            "classify": ["classify", "hotel-sentiment", "good.txt", "-o", "out.txt"],
            "translate": ["translate", "cmn-eng", "good.txt", "-o", "out.txt"],
            "evaluate-tagger": ["evaluate", "resume-ner-hmm", "test.bio"],
            "evaluate-classifier": ["evaluate", "hotel-sentiment", "test.csv"],
            "segment-model": ["segment", "--model", "ud-cws", "good.txt", "-o", "out.txt"]}


@pytest.mark.parametrize("command", ["tag", "classify", "translate", "evaluate-tagger", "evaluate-classifier",
                                     "segment-model"])
def test_threads_of_every_inference_command_reach_torch(command, tmp_path, monkeypatch):
    """Default one thread (torch's default collapses when another job shares the cores);
    --threads N sets N; 0 leaves torch's default."""
    calls: list[int] = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)  # a spy: the test process keeps its threads
    monkeypatch.chdir(tmp_path)
    args = _inference(tmp_path)[command]
    for given, expected in (([], [1]), (["--threads", "3"], [3]), (["--threads", "0"], [])):
        calls.clear()
        invoke(*args, *given)
        assert calls == expected, (given, calls)


def test_json_printed_by_a_command_is_strict(tmp_path, monkeypatch):
    """An undefined score (Spearman of constant predictions: the two pairs are one pair of words
    in either order) is null in ``--json`` output, not a bare NaN."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "v.txt").write_text("2 3\n我 0.1 0.2 0.3\n你 0.2 0.1 0.0\n", encoding="utf-8")
    (tmp_path / "sim.txt").write_text("我 你 5\n你 我 3\n", encoding="utf-8")
    out = _strict(invoke("embed", "evaluate", "v.txt", "sim.txt", "--json").stdout)
    assert out["results"][0]["spearman"] is None and out["results"][0]["used"] == 2


@pytest.mark.parametrize("job", [_ner, _classifier], ids=["train-ner", "train-classifier"])
def test_training_takes_one_thread_by_default(job, tmp_path, monkeypatch):
    """Training collapses as inference does when a job shares the cores: --threads defaults to 1."""
    calls: list[int] = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    monkeypatch.chdir(tmp_path)
    args = job(tmp_path)
    for given, expected in (([], [1]), (["--threads", "0"], [])):
        calls.clear()
        invoke(*args, *given, "-o", "model", "--epochs", "1", "--force", "-q")
        assert calls == expected, (given, calls)


def test_ensemble_threads_reach_torch_before_the_members_load(tmp_path, monkeypatch):
    """zhnlp ensemble scores --dev/--test (inference): one thread by default, as evaluate."""
    calls: list[int] = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    monkeypatch.chdir(tmp_path)
    for given, expected in (([], [1]), (["--threads", "2"], [2])):
        calls.clear()
        r = invoke("ensemble", "shopping-sentiment", "shopping-sentiment", "-o", "m", *given, ok=False)
        one_line_error(r, "twice")
        assert calls == expected, (given, calls)
