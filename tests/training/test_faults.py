"""Faults: a training run killed outright (SIGKILL, no chance to clean up) and resumed, unsafe
model directories (pickle files, tampered weights, newer format versions) refused by every
kind of command, and no code path that unpickles.

The kill test is the strong form of the in-process interruption tests (test_tagger,
test_classifier raise KeyboardInterrupt *after* a checkpoint is written): here the process
dies at an arbitrary point of the next epoch, possibly inside a checkpoint write, and a
``--resume`` run must still finish with exactly the weights of an uninterrupted run.
Exact equality is expected (and asserted), not just a close dev score: the trainer reseeds
every random source at the start of each epoch (``set_seed(seed * 1000 + epoch)``) and the
bucketed batch sampler draws its order from ``random.Random(seed * 1_000_003 + epoch)``, so a
resumed epoch repeats the same batches and the same dropout masks as the uninterrupted one,
and the checkpoint restores weights and Adam's state bit for bit (safetensors).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import ROOT, invoke, one_line_error
from zhnlp.resources import models_dir

GOOD = "我爱北京天安门\n今天天气很好\n"


# --------------------------------------------------------------------------- SIGKILL + --resume

def _ner_job(work: Path) -> list[str]:
    from tagging_fixtures import write_ner

    write_ner(work / "train.bio", 1500, seed=0)
    write_ner(work / "dev.bio", 100, seed=1)
    return ["train-ner", "train.bio", "--dev", "dev.bio", "--hidden", "32", "--emb-dim", "32"]


def _classifier_job(work: Path) -> list[str]:
    from classifier_fixtures import labeled_rows, write_csv

    write_csv(work / "train.csv", labeled_rows(3000, seed=0))
    write_csv(work / "dev.csv", labeled_rows(150, seed=1))
    return ["train-classifier", "train.csv", "--dev", "dev.csv", "--hidden", "32", "--emb-dim", "32"]


JOBS = {"train-ner": _ner_job, "train-classifier": _classifier_job}
EPOCHS = 3
# bucketed batches are the default (--bucket); dropout is on (0.5 NER, 0.3 classifier)
COMMON = ["--epochs", str(EPOCHS), "--batch-size", "16", "--seed", "7", "--threads", "1", "--patience", "0", "-q"]


def _start(work: Path, args: list[str], output: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.Popen([sys.executable, "-m", "zhnlp", *args, *COMMON, "-o", output, *extra], cwd=work,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(proc: subprocess.Popen, timeout: float = 120) -> None:
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err.decode("utf-8", "replace")
    assert b"Traceback" not in err, err


def _history(checkpoint: Path) -> list[dict]:
    """The per-epoch log rows of a checkpoint; [] when there is none (yet)."""
    try:
        return json.loads((checkpoint / "trainer.json").read_text(encoding="utf-8"))["history"]
    except (OSError, ValueError, KeyError):
        return []


def _weights(directory: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(directory / "model.safetensors"))


@pytest.fixture
def processes():
    """Popen objects appended here are killed (if still running) when the test ends."""
    procs: list[subprocess.Popen] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(JOBS))
def test_sigkill_mid_epoch_then_resume_gives_the_same_weights(command, tmp_path, processes):
    import torch

    work = tmp_path
    args = JOBS[command](work)
    reference = _start(work, args, "ref")           # uninterrupted, alongside the run that is killed
    victim = _start(work, args, "run")
    processes += [reference, victim]
    checkpoint = work / "run.checkpoint"
    # wait for the first completed epoch's checkpoint, then half an epoch more (an epoch takes
    # ~1.3 s here; at least 0.2 s, at most 2 s is waited): the kill lands in epoch 2's training
    deadline = time.monotonic() + 90
    while not (done := _history(checkpoint)):
        assert victim.poll() is None, victim.communicate()[1].decode("utf-8", "replace")
        assert time.monotonic() < deadline, "no epoch checkpoint within 90 s"
        time.sleep(0.02)
    time.sleep(min(max(done[0]["seconds"] / 2, 0.2), 2.0))
    assert victim.poll() is None, "the run ended before it could be killed (epochs too short)"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    assert not (work / "run").exists(), "a model directory appeared before training ended"
    # what the kill left: a checkpoint (or, killed between its two renames, a .old one)
    kept = _history(checkpoint) or _history(work / "run.checkpoint.old")
    left = sorted(p.name for p in work.iterdir() if p.name.startswith("run"))
    # killed after epoch 1's checkpoint and before the last epoch's: there is work left to resume
    assert 1 <= len(kept) < EPOCHS, (len(kept), left)
    # whatever the kill left (maybe a half-written .tmp beside the checkpoint) must resume
    resumed = _start(work, args, "run", "--resume")
    processes.append(resumed)
    _finish(resumed)
    _finish(reference)

    assert not [p.name for p in work.iterdir() if p.name.startswith(("run.", "ref."))], \
        "checkpoint folders left behind after training finished"
    got, want = _weights(work / "run"), _weights(work / "ref")
    assert sorted(got) == sorted(want)
    differ = [k for k in want if not torch.equal(got[k], want[k])]
    assert not differ, f"resumed weights differ from the uninterrupted run's in {differ}"
    # and so do the per-epoch dev scores (the resumed log holds the killed run's epochs too)
    logs = [[{k: v for k, v in json.loads(line).items() if k.startswith("dev_") or k == "train_loss"}
             for line in (work / d / "training_log.jsonl").read_text(encoding="utf-8").splitlines()]
            for d in ("run", "ref")]
    assert len(logs[0]) == EPOCHS and logs[0] == logs[1]
    # it did resume (not start over): the epochs before the kill are the killed run's own rows
    rows = [json.loads(line) for line in (work / "run" / "training_log.jsonl").read_text().splitlines()]
    assert rows[:len(kept)] == kept, "the resumed run retrained the epochs of its checkpoint"


def test_resume_after_a_kill_between_the_checkpoint_renames(tmp_path):
    """A checkpoint write renames OUT.checkpoint to OUT.checkpoint.old, then OUT.checkpoint.tmp to
    OUT.checkpoint: a kill between the two leaves no OUT.checkpoint. --resume must still find
    the last completed epoch (in .old) rather than say there is nothing to resume."""
    import torch

    from helpers import fast_train_config, interrupted_after
    from tagging_fixtures import write_ner
    from zhnlp.tasks.tagger import TaggerConfig, train_tagger

    write_ner(tmp_path / "train.bio", 60, seed=0)
    write_ner(tmp_path / "dev.bio", 10, seed=1)

    def run(out: str, resume: bool = False):
        cfg = TaggerConfig(task="ner", emb_dim=8, hidden=8)
        return train_tagger(tmp_path / "train.bio", tmp_path / "dev.bio", tmp_path / out, config=cfg,
                            train_config=fast_train_config(epochs=3, batch_size=8, seed=3), resume=resume)

    run("ref")
    with interrupted_after(2):
        with pytest.raises(KeyboardInterrupt):
            run("run")
    ck = tmp_path / "run.checkpoint"
    # the state of a kill between os.replace(checkpoint, old) and os.replace(tmp, checkpoint)
    shutil.copytree(ck, tmp_path / "run.checkpoint.tmp")
    os.replace(ck, tmp_path / "run.checkpoint.old")
    run("run", resume=True)
    got, want = _weights(tmp_path / "run"), _weights(tmp_path / "ref")
    assert all(torch.equal(got[k], want[k]) for k in want)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("run.")]


# --------------------------------------------------------------------------- unsafe model directories

def _add_pickle(d: Path) -> str:
    # a real pickle (protocol 4, the int 1) beside the safetensors weights
    (d / "model.pt").write_bytes(b"\x80\x04K\x01.")
    return "model.pt"


def _pickle_instead_of_weights(d: Path) -> str:
    (d / "model.safetensors").unlink()
    (d / "weights.pkl").write_bytes(b"\x80\x04K\x01.")
    return "weights.pkl"


def _tamper_header(d: Path) -> str:
    raw = bytearray((d / "model.safetensors").read_bytes())
    raw[8:20] = b"\x00" * 12  # the JSON header no longer parses
    (d / "model.safetensors").write_bytes(bytes(raw))
    return "model.safetensors"


def _header_points_outside(d: Path) -> str:
    """A well-formed header whose first tensor claims more bytes than the file holds."""
    raw = (d / "model.safetensors").read_bytes()
    n = int.from_bytes(raw[:8], "little")
    head = json.loads(raw[8:8 + n])
    name = next(k for k in head if k != "__metadata__")
    head[name]["data_offsets"][1] += 10_000_000
    new = json.dumps(head, separators=(",", ":")).encode()
    new += b" " * (-len(new) % 8)
    (d / "model.safetensors").write_bytes(len(new).to_bytes(8, "little") + new + raw[8 + n:])
    return "model.safetensors"


def _newer_format(d: Path) -> str:
    head = json.loads((d / "config.json").read_text(encoding="utf-8"))
    head["version"] = 99
    (d / "config.json").write_text(json.dumps(head), encoding="utf-8")
    return "config.json"


EDITS = {"pickle-beside": (_add_pickle, ("pickle",)),
         "pickle-instead": (_pickle_instead_of_weights, ("pickle",)),
         "tampered-header": (_tamper_header, ("tampered",)),
         "header-out-of-bounds": (_header_points_outside, ("tampered",)),
         "newer-format-version": (_newer_format, ("version 99", "upgrade"))}
COMMANDS = {"tag": "msra-ner", "classify": "hotel-sentiment", "translate": "cmn-eng"}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unsafe_model_directory_is_refused(command, edit, tmp_path, monkeypatch):
    src = models_dir() / COMMANDS[command]
    if not (src / "config.json").is_file():
        pytest.skip(f"bundled model {COMMANDS[command]} not installed")
    bad = tmp_path / "bad-model"
    shutil.copytree(src, bad)
    change, needles = EDITS[edit]
    culprit = change(bad)
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "out.txt").write_bytes(b"OLD\n")
    monkeypatch.chdir(tmp_path)
    r = invoke(command, str(bad), "good.txt", "-o", "out/out.txt", ok=False)
    line = one_line_error(r, culprit, *needles)
    assert str(bad / culprit) in line or f"bad-model/{culprit}" in line, line
    assert (tmp_path / "out" / "out.txt").read_bytes() == b"OLD\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["out.txt"]


# --------------------------------------------------------------------------- nothing unpickles

UNPICKLING = re.compile(r"\btorch\.load\b|\bpickle\.loads?\b|\bcPickle\b|\bdill\b|\bjoblib\.load\b|"
                        r"\bweights_only\s*=\s*False\b|\bnp\.load\b[^\n]*allow_pickle\s*=\s*True|"
                        r"\ballow_pickle\s*=\s*True\b|\bshelve\b|"
                        r"\btorch\.serialization\b|\bUnpickler\b")


def test_no_code_path_unpickles():
    """A source scan of the package (and the benchmark and CLI scripts that ship beside it):
    no torch.load, pickle.load(s), Unpickler, joblib/dill/shelve loading, numpy loading with
    allow_pickle=True, or weights_only=False. (Model files are safetensors + JSON; a torch.load
    with weights_only=True would be acceptable, and none is needed. The dictionary cache's
    ``marshal.loads`` is not pickle: it builds plain dicts/strings/numbers, no objects of
    arbitrary classes, and only from a cache file whose SHA-256 it has checked.)"""
    for bad in ("torch.load(path)", "pickle.loads(b)", "x = np.load(f, allow_pickle=True)",
                "torch.load(p, weights_only=False)", "pickle.Unpickler(f)", "joblib.load(p)"):
        assert UNPICKLING.search(bad), bad  # the scan would see each of these
    assert not UNPICKLING.search("load_file(str(path))")
    files = sorted((ROOT / "zhnlp").rglob("*.py"))
    assert len(files) > 20, files
    files += sorted(p for d in ("bench", "cli") if (ROOT / d).is_dir() for p in (ROOT / d).rglob("*.py"))
    hits = []
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            m = UNPICKLING.search(code)
            if m and not (m.group(0) == "torch.load" and "weights_only=True" in code):
                hits.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not hits, "\n".join(hits)


# --------------------------------------------------------------------------- out of GPU memory

@pytest.mark.parametrize("command", sorted(JOBS))
def test_out_of_gpu_memory_suggests_a_smaller_batch_and_keeps_nothing(command, tmp_path, monkeypatch):
    """A step that runs out of GPU memory (simulated: the gradient clipping of the first step
    raises CUDA's out-of-memory error) is a one-line error that names the batch size and
    suggests half of it; no model directory is left."""
    import torch

    def no_memory(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.chdir(tmp_path)
    args = JOBS[command](tmp_path)
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", no_memory)
    r = invoke(*args, "-o", "model", "--batch-size", "24", "--epochs", "1", "--threads", "1", "-q", ok=False)
    one_line_error(r, "out of GPU memory at --batch-size 24", "try --batch-size 12")
    assert not (tmp_path / "model").exists()
