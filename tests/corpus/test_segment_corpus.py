"""cli/segment-corpus.sh: a mirror tree of segmented files, resumable, parallel."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from helpers import ROOT

SCRIPT = ROOT / "cli" / "segment-corpus.sh"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("xargs") is None,
                                reason="needs bash and xargs")


def run(src, out, *opts, jobs=2):
    env = dict(os.environ, ZHNLP=f"{sys.executable} -m zhnlp", JOBS=str(jobs))
    return subprocess.run(["bash", str(SCRIPT), str(src), str(out), *opts], env=env,
                          capture_output=True, text=True)


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    (src / "x.txt").write_text("我爱北京天安门\n\n今天天气不错\n", encoding="utf-8")
    (src / "a" / "b" / "y.txt").write_text("北京大学生前来应聘\n", encoding="utf-8")
    (src / "a" / "empty.txt").write_text("", encoding="utf-8")
    (src / "a" / "notes.md").write_text("not a corpus file\n", encoding="utf-8")
    return src


def test_mirrors_tree_and_passes_options(tree, tmp_path):
    out = tmp_path / "out"
    r = run(tree, out, "--sep", "/")
    assert r.returncode == 0, r.stderr
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["a/b/y.txt", "a/empty.txt", "x.txt"]
    assert (out / "x.txt").read_text(encoding="utf-8") == "我/爱/北京/天安门\n\n今天天气/不错\n"
    assert (out / "a" / "empty.txt").read_text() == ""


def test_rerun_skips_complete_outputs_and_redoes_missing_or_stale(tree, tmp_path):
    out = tmp_path / "out"
    assert run(tree, out).returncode == 0
    (out / "a" / "b" / "y.txt").unlink()            # as if interrupted before this file
    (out / "x.txt").write_text("KEEP\n", encoding="utf-8")
    old = time.time() - 100
    os.utime(tree / "x.txt", (old, old))             # source older than output: complete
    r = run(tree, out)
    assert r.returncode == 0, r.stderr
    assert "skip x.txt" in r.stderr and "done a/b/y.txt" in r.stderr
    assert (out / "x.txt").read_text(encoding="utf-8") == "KEEP\n"
    assert (out / "a" / "b" / "y.txt").read_text(encoding="utf-8") == "北京 大学生 前来 应聘\n"
    (tree / "x.txt").write_text("我爱北京\n", encoding="utf-8")   # source changed: redone
    r = run(tree, out)
    assert "done x.txt" in r.stderr
    assert (out / "x.txt").read_text(encoding="utf-8") == "我 爱 北京\n"


def test_bad_file_fails_others_done_and_no_partial_output(tree, tmp_path):
    (tree / "bad.txt").write_bytes(b"ok\n\xff\xfe\n")
    out = tmp_path / "out"
    r = run(tree, out)
    assert r.returncode == 1
    assert "bad.txt:2: not valid utf-8" in r.stderr and "FAILED bad.txt" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (out / "bad.txt").exists()
    assert (out / "x.txt").exists() and (out / "a" / "b" / "y.txt").exists()
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]


def test_usage_errors(tmp_path):
    assert run(tmp_path / "missing", tmp_path / "out").returncode == 2
    r = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True)
    assert r.returncode == 2 and "SRC_DIR OUT_DIR" in r.stdout
