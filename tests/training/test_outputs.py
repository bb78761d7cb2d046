"""Outputs never destroy what is there: regular files are replaced atomically (through a
symlink, onto its target), devices, pipes and open descriptors are written in place, and a
model directory replaces only nothing, an empty folder or (with --force) a zhnlp model."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from helpers import invoke, one_line_error
from zhnlp.errors import OutputError
from zhnlp.io import atomic_output, check_output_path, is_stream_target
from zhnlp.training.serialization import check_model_output, is_model_directory

TEXT = "我爱北京天安门\n今天天气很好\n"
EXPECTED = "我 爱 北京 天安门\n今天天气 很 好\n"
TRAIN = "张 B-PER\n三 I-PER\n在 O\n北 B-LOC\n京 I-LOC\n\n李 B-PER\n四 I-PER\n去 O\n上 B-LOC\n海 I-LOC\n\n"
posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes and /dev need a POSIX system")


def zhnlp(*args: str, stdout) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zhnlp", *args], stdout=stdout, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def text(tmp_path) -> Path:
    p = tmp_path / "in.txt"
    p.write_text(TEXT, encoding="utf-8")
    return p


def test_a_symlink_is_written_through_to_its_target(text, tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target.name)
    invoke("segment", text, "-o", link)
    assert link.is_symlink() and os.readlink(link) == target.name
    assert target.read_text(encoding="utf-8") == EXPECTED


def test_a_dangling_symlink_creates_its_target(text, tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to("new.txt")
    invoke("segment", text, "-o", link)
    assert link.is_symlink() and (tmp_path / "new.txt").read_text(encoding="utf-8") == EXPECTED


@posix_only
def test_a_named_pipe_stays_a_pipe_and_its_reader_gets_the_output(text, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    invoke("segment", text, "-o", fifo)
    reader.join(30)
    assert got == [EXPECTED]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@posix_only
@pytest.mark.parametrize("command", [["segment"], ["tag", "resume-ner-hmm"], ["vocab", "build"]])
def test_dev_null_stays_a_device(text, command):
    assert is_stream_target("/dev/null")
    before = os.stat("/dev/null")
    invoke(*command, text, "-o", "/dev/null")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


@posix_only
def test_a_full_device_is_a_one_line_error():
    with pytest.raises(OutputError, match="/dev/full: cannot write: No space left"):
        with atomic_output("/dev/full") as f:
            f.write("x" * 100_000)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@posix_only
def test_dev_stdout_appends_where_the_shell_redirected_it(text, tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("kept\n", encoding="utf-8")
    with open(out, "a", encoding="utf-8") as f:
        r = zhnlp("segment", str(text), "-o", "/dev/stdout", stdout=f)
    assert r.returncode == 0, r.stderr
    assert out.read_text(encoding="utf-8") == "kept\n" + EXPECTED


@posix_only
@pytest.mark.skipif(not Path("/bin/bash").exists(), reason="needs bash for process substitution")
def test_process_substitution_is_written_directly(text, tmp_path):
    script = f'"{sys.executable}" -m zhnlp segment "{text}" -o >(cat > "{tmp_path}/ps.txt"); wait'
    r = subprocess.run(["/bin/bash", "-c", script], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for _ in range(100):  # the substituted process may finish just after bash
        if (tmp_path / "ps.txt").exists() and (tmp_path / "ps.txt").read_text(encoding="utf-8"):
            break
        threading.Event().wait(0.05)
    assert (tmp_path / "ps.txt").read_text(encoding="utf-8") == EXPECTED


def test_check_output_path_sees_through_links_to_the_input(text, tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to(text)
    with pytest.raises(OutputError, match="its own input"):
        check_output_path(link, [str(text)])


# --- model directories -------------------------------------------------------------------

def _train(tmp_path: Path, out: Path, *extra: str):
    data = tmp_path / "t.bio"
    data.write_text(TRAIN, encoding="utf-8")
    return invoke("train-ner", data, "--model", "hmm", "-o", out, *extra, ok=False)


def test_a_model_replaces_nothing_but_a_model_and_only_with_force(tmp_path):
    out = tmp_path / "m"
    assert _train(tmp_path, out).exit_code == 0 and is_model_directory(out)
    (out / "metrics.json").write_text('{"marker": 1}\n', encoding="utf-8")
    one_line_error(_train(tmp_path, out), str(out), "--force")
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8")) == {"marker": 1}
    assert _train(tmp_path, out, "--force").exit_code == 0
    assert "marker" not in json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no leftovers


def test_an_empty_folder_takes_a_model(tmp_path):
    (tmp_path / "empty").mkdir()
    assert _train(tmp_path, tmp_path / "empty").exit_code == 0
    assert is_model_directory(tmp_path / "empty")


def test_check_model_output_refuses_a_users_folder_even_with_force(tmp_path):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "README.md").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="not a zhnlp model directory"):
        check_model_output(tmp_path / "proj", force=True)
    assert (tmp_path / "proj" / "README.md").read_text(encoding="utf-8") == "mine"


def test_save_refuses_a_folder_that_gained_files_during_training(tmp_path):
    from zhnlp.training.serialization import atomic_directory

    out = tmp_path / "m"
    with pytest.raises(OutputError, match="not a zhnlp model directory"):
        with atomic_directory(out) as tmp:
            (tmp / "config.json").write_text("{}", encoding="utf-8")
            out.mkdir()
            (out / "notes.txt").write_text("written meanwhile", encoding="utf-8")
    assert (out / "notes.txt").read_text(encoding="utf-8") == "written meanwhile"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_metrics_json_is_strict_json_with_undefined_scores_as_null(tmp_path):
    from zhnlp.training.serialization import write_metrics

    write_metrics(tmp_path, {"dev": {"f1": float("nan"), "loss": float("inf")}, "epochs": [1.0, float("-inf")]})
    text = (tmp_path / "metrics.json").read_text(encoding="utf-8")
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c} in metrics.json")) == \
        {"dev": {"f1": None, "loss": None}, "epochs": [1.0, None]}
