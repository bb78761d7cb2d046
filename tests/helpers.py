"""Test helpers: where the real corpora and fixtures are, running the CLI in-process, what a clean
one-line error looks like, tiny training configs, interrupting a run."""
from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "data"


def data_path(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test with the reason when it is absent."""
    p = DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared corpus not available: {p} (needs ../shared/data beside the repo)")
    return p


def assert_one_line_error(stderr: str, *needles: str) -> str:
    """A clean CLI failure's stderr: exactly one line ``zhnlp: error: ...`` mentioning every
    needle, no traceback. Returns the line."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("zhnlp: error:"), stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def invoke(*args, input: str | bytes | None = None, ok: bool = True):
    """Run ``zhnlp ARGS`` in-process (typer's CliRunner); with ``ok``, assert it succeeded."""
    from typer.testing import CliRunner

    from zhnlp.cli import app

    r = CliRunner().invoke(app, [str(a) for a in args], input=input)
    if ok:
        assert r.exit_code == 0, (r.stdout, r.stderr, r.exception)
    return r


def trained_with_and_without(tmp_path: Path, args: list, option: list) -> dict:
    """Train ``zhnlp ARGS`` twice, plainly and with the ``option`` arguments; assert that
    the weights differ; return the metrics.json of the run with the option."""
    import json

    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, extra in (("plain", []), ("option", option)):
        invoke(*args, *extra, "-o", tmp_path / name)
    assert (tmp_path / "option" / "model.safetensors").read_bytes() != \
        (tmp_path / "plain" / "model.safetensors").read_bytes()
    return json.loads((tmp_path / "option" / "metrics.json").read_text(encoding="utf-8"))


def one_line_error(r, *needles: str) -> str:
    """A clean failure of :func:`invoke`: non-zero exit, stderr one line ``zhnlp: error: ...``,
    no traceback."""
    assert r.exit_code not in (0, None), r.stdout
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.stdout, r.stdout
    return assert_one_line_error(r.stderr, *needles)


@contextlib.contextmanager
def interrupted_after(epochs: int):
    """Within the block, the shared trainer raises KeyboardInterrupt (as Ctrl-C would) right
    after writing the checkpoint of its ``epochs``-th epoch."""
    import zhnlp.training.trainer as train_mod

    calls = {"n": 0}
    original = train_mod.Trainer._save_checkpoint

    def save_then_interrupt(self, *a, **kw):
        original(self, *a, **kw)
        calls["n"] += 1
        if calls["n"] == epochs:
            raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(train_mod.Trainer, "_save_checkpoint", save_then_interrupt)
        yield


def fast_train_config(**kw):
    """A TrainConfig for tiny test trainings: quiet, one thread, no early stopping."""
    from zhnlp.training.trainer import TrainConfig

    return TrainConfig(**{"lr": 0.01, "progress": False, "patience": 0, "threads": 1, **kw})


def trained_and_reloaded(train, output: Path, inputs, predict) -> tuple:
    """Train → save → load → predict, the round trip every model kind shares: ``train(output)`` writes a
    model directory (config.json, JSON vocabularies, safetensors weights, metrics.json; no pickle, no
    checkpoint left), ``zhnlp.load`` reads it back twice and ``predict(model, inputs)`` gives the same
    answers both times. Returns (the training result, the loaded model, its predictions)."""
    import json

    import zhnlp
    from zhnlp.training.serialization import PICKLE_SUFFIXES

    result = train(output)
    assert Path(result.output) == Path(output)
    names = {p.name for p in Path(output).iterdir()}
    assert {"config.json", "metrics.json"} <= names and any(n.startswith("vocab-") for n in names), names
    assert "model.safetensors" in names, names
    assert not any(Path(n).suffix in PICKLE_SUFFIXES for n in names), names
    assert not Path(output).with_name(Path(output).name + ".checkpoint").exists()
    recorded = json.loads((Path(output) / "metrics.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in recorded.items() if k != "history"} == json.loads(json.dumps(
        {k: v for k, v in result.metrics.items() if k != "history"}))
    model, again = zhnlp.load(output), zhnlp.load(output)
    predictions = predict(model, inputs)
    assert predictions == predict(again, inputs)
    return result, model, predictions
