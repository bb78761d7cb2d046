"""Bad input through ``zhnlp segment`` run as a subprocess (and interruptions of segment,
tag, classify and translate).

For every case: a non-zero exit, stderr exactly one line ``zhnlp: error: ...`` naming the
file (and ``:LINE`` where there is one), no traceback, no output or partial file left
behind, and an existing output file byte-for-byte unchanged.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from helpers import DATA, assert_one_line_error

PKU_TEST = DATA / "sighan2005" / "testing" / "pku_test.utf8"

OLD = b"OLD\n"
GOOD = "我爱北京天安门\n今天天气很好\n"
SENTENCE = "我们今天在北京大学讨论自然语言处理的问题，并且测试分词工具。"
MIB = 1_048_576


def chinese_text(n_chars: int) -> str:
    """n_chars of ordinary Chinese text on one line (fast to segment, unlike 'aaaa...')."""
    return (SENTENCE * (n_chars // len(SENTENCE) + 1))[:n_chars]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    # one temporary cache for the whole session (a fixed name under pytest's basetemp),
    # so that the dictionary cache is built once, never in the user's own cache folder
    path = tmp_path_factory.getbasetemp() / "zhnlp-cache"
    path.mkdir(exist_ok=True)
    return path


def _env(cache_dir: Path) -> dict:
    env = dict(os.environ)
    env.pop("ZHNLP_START_METHOD", None)
    env.update(ZHNLP_CACHE_DIR=str(cache_dir), PYTHONIOENCODING="utf-8")
    return env


@pytest.fixture
def zhnlp(cache_dir, tmp_path):
    """Run ``python -m zhnlp ARGS`` in tmp_path; returns the CompletedProcess (bytes)."""

    def run(*args: str, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "zhnlp", *map(str, args)], input=stdin,
                              capture_output=True, cwd=tmp_path, timeout=timeout, env=_env(cache_dir))

    return run


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (content) and folder (None) under root, by relative path."""
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes())
            for p in sorted(root.rglob("*"))}


def one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Assert a clean one-line failure mentioning every needle; return the line."""
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode != 0, err
    return assert_one_line_error(err, *needles)


@pytest.fixture
def work(tmp_path) -> Path:
    """tmp_path with good.txt and an existing out/out.txt containing OLD."""
    write(tmp_path / "good.txt", GOOD)
    write(tmp_path / "out" / "out.txt", OLD)
    return tmp_path


@pytest.fixture
def fails(zhnlp, work):
    """Run, check the one-line error, and that nothing under tmp_path changed."""

    def run(*args: str, needles: tuple[str, ...] = (), stdin: bytes | None = None) -> str:
        before = snapshot(work)
        proc = zhnlp(*args, stdin=stdin)
        msg = one_line_error(proc, *needles)
        after = snapshot(work)
        assert after == before, (msg, sorted(set(after) ^ set(before)))
        assert (work / "out" / "out.txt").read_bytes() == OLD
        return msg

    return run


# --------------------------------------------------------------------------- encodings

def gbk_on_line_3(path: Path) -> Path:
    """Line 1 ASCII, line 2 valid UTF-8 Chinese, line 3 GBK (invalid UTF-8), line 4 ASCII."""
    return write(path, b"hello world\n" + "第二行是UTF-8\n".encode("utf-8")
                 + "中文测试一下\n".encode("gbk") + b"more\n")


@pytest.mark.parametrize("where", ["stdout", "-o", "-o -j 2", "--output-dir"])
def test_gbk_without_encoding(fails, work, where):
    gbk_on_line_3(work / "bad.txt")
    if where == "--output-dir":
        write(work / "out" / "bad.txt", OLD)
    args = {"stdout": [], "-o": ["-o", "out/out.txt"], "-o -j 2": ["-o", "out/out.txt", "-j", "2"],
            "--output-dir": ["--output-dir", "out"]}[where]
    msg = fails("segment", "bad.txt", *args, needles=("bad.txt:3:", "gb18030"))
    assert "utf-8" in msg.lower()
    if where == "--output-dir":
        assert (work / "out" / "bad.txt").read_bytes() == OLD


def test_gbk_after_a_good_file(fails, work):
    """The bad file comes second: the good file's output must not be kept either."""
    gbk_on_line_3(work / "bad.txt")
    fails("segment", "good.txt", "bad.txt", "-o", "out/out.txt", needles=("bad.txt:3:", "gb18030"))


@pytest.mark.parametrize("enc", ["no-such-codec", "utf-16"])
def test_unknown_or_unsupported_encoding(fails, enc):
    fails("segment", "good.txt", "--encoding", enc, "-o", "out/out.txt", needles=(enc,))


@pytest.mark.parametrize("enc", ["no-such-codec", "utf-16"])
def test_encoding_error_does_not_blame_stdin(fails, enc):
    msg = fails("segment", "good.txt", "--encoding", enc, "-o", "out/out.txt", needles=(enc,))
    assert "<stdin>" not in msg


# --------------------------------------------------------------------------- inputs

def test_missing_file(fails):
    fails("segment", "nosuch.txt", "-o", "out/out.txt", needles=("nosuch.txt",))
    # after a good file: checked before any output is written
    fails("segment", "good.txt", "nosuch.txt", "-o", "out/out.txt", needles=("nosuch.txt",))
    fails("segment", "nosuch.txt", needles=("nosuch.txt",))


def test_directory_as_input(fails, work):
    (work / "adir").mkdir()
    fails("segment", "adir", "-o", "out/out.txt", needles=("adir", "directory"))
    fails("segment", "good.txt", "adir", needles=("adir", "directory"))


def test_empty_file(zhnlp, fails, work):
    write(work / "empty.txt", b"")
    fails("segment", "empty.txt", "-o", "out/out.txt", needles=("empty.txt", "--allow-empty"))
    fails("segment", "good.txt", "empty.txt", "-o", "out/out.txt", needles=("empty.txt",))
    proc = zhnlp("segment", "empty.txt", "--allow-empty", "-o", "out/out.txt")
    assert proc.returncode == 0, proc.stderr
    assert (work / "out" / "out.txt").read_bytes() == b""
    proc = zhnlp("segment", "good.txt", "empty.txt", "--allow-empty")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().count("\n") == 2
    # empty stdin is not an error
    proc = zhnlp("segment", stdin=b"")
    assert (proc.returncode, proc.stdout) == (0, b"")


def test_binary_data(fails, work):
    write(work / "bin.dat", b"hello\nPK\x03\x04\x14\x00\x00\x00\x08\x00\xb7\x8a\xff\xfe\x00\x01 data\nmore\n")
    fails("segment", "bin.dat", "-o", "out/out.txt", needles=("bin.dat:2:", "binary"))
    fails("segment", "bin.dat", needles=("bin.dat:2:", "binary"))


# --------------------------------------------------------------------------- long lines

def test_line_of_1mib_on_line_1(fails, work):
    write(work / "long.txt", chinese_text(MIB) + "\n尾\n")
    fails("segment", "long.txt", "-o", "out/out.txt", needles=("long.txt:1:", "--max-line-length"))


def test_line_of_1mib_names_its_line(fails, work):
    write(work / "long.txt", "短行\n" + chinese_text(MIB) + "\n尾\n")
    fails("segment", "long.txt", "-o", "out/out.txt", needles=("long.txt:2:", "--max-line-length"))


def test_long_line_inside_one_read_chunk_names_its_line(fails, work):
    # 200 000 characters = 600 kB: the whole line lies in the first 1 MiB read
    write(work / "long.txt", "短行\n第二行\n" + chinese_text(200_000) + "\n尾\n")
    fails("segment", "long.txt", "-o", "out/out.txt", needles=("long.txt:3:", "100000"))


def test_line_of_1mib_accepted_with_max_line_length(zhnlp, work):
    line = chinese_text(MIB)
    write(work / "long.txt", "短行\n" + line + "\n尾\n")
    proc = zhnlp("segment", "long.txt", "--max-line-length", "2000000", "-o", "out/out.txt", "-q")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    out = (work / "out" / "out.txt").read_text(encoding="utf-8").split("\n")
    assert len(out) == 4 and out[3] == ""
    assert out[0] == "短行" and out[2] == "尾"
    assert out[1].replace(" ", "") == line
    assert sorted(p.name for p in (work / "out").iterdir()) == ["out.txt"]


# --------------------------------------------------------------------------- outputs

@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="running as root: permissions are not enforced, a 0o500 folder is writable")
def test_unwritable_output_folder(fails, work):
    ro = work / "ro"
    write(ro / "out.txt", OLD)
    ro.chmod(0o500)
    try:
        fails("segment", "good.txt", "-o", "ro/out.txt", needles=("ro/out.txt",))
        fails("segment", "good.txt", "-o", "ro/new.txt", needles=("ro/new.txt",))
        fails("segment", "good.txt", "--output-dir", "ro", needles=("ro",))
        assert (ro / "out.txt").read_bytes() == OLD
    finally:
        ro.chmod(0o700)


def test_output_in_missing_folder(fails, work):
    fails("segment", "good.txt", "-o", "nodir/out.txt", needles=("nodir/out.txt",))
    fails("segment", "good.txt", "-o", "good.txt/out.txt", needles=("good.txt/out.txt",))
    assert not (work / "nodir").exists()


def test_output_is_a_directory_or_the_input(fails, work):
    fails("segment", "good.txt", "-o", "out", needles=("out", "--output-dir"))
    fails("segment", "good.txt", "-o", "good.txt", needles=("good.txt", "input"))
    assert (work / "good.txt").read_text(encoding="utf-8") == GOOD


def test_output_and_output_dir_together(fails, work):
    fails("segment", "good.txt", "-o", "out/out.txt", "--output-dir", "newdir",
          needles=("-o", "--output-dir"))
    assert not (work / "newdir").exists()


def test_failed_run_does_not_create_output_dir(fails, work):
    fails("segment", "nosuch.txt", "--output-dir", "newdir", needles=("nosuch.txt",))


# --------------------------------------------------------------------------- options

@pytest.mark.parametrize("args, needles", [
    (["--mode", "bogus"], ("bogus", "precise")),
    (["--pos", "--mode", "full"], ("precise",)),
    (["-j", "0"], ("jobs", "0")),
    (["--format", "xml"], ("--format", "xml")),
    (["--max-line-length", "0"], ("--max-line-length",)),
    (["--dict", "nosuchname"], ("nosuchname",)),
    (["--stopwords", "nosuchlist"], ("nosuchlist",)),
    (["--user-dict", "nosuchdict.txt"], ("nosuchdict.txt",)),
], ids=["mode", "pos-full", "jobs-0", "format", "max-line-length-0", "dict", "stopwords",
        "user-dict-missing"])
def test_bad_option(fails, args, needles):
    fails("segment", "good.txt", *args, "-o", "out/out.txt", needles=needles)


def test_malformed_user_dict(zhnlp, fails, work):
    write(work / "ud.txt", "医疗\n医院\tabc\n人民医院 10 n\n")
    msg = fails("segment", "good.txt", "--user-dict", "ud.txt", "-o", "out/out.txt",
                needles=("ud.txt:2:", "医院", "abc"))
    assert "count" in msg or "number" in msg
    proc = zhnlp("segment", "good.txt", "--user-dict", "ud.txt", "--skip-bad-lines", "-o", "out/out.txt")
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    assert (work / "out" / "out.txt").read_text(encoding="utf-8") == "我 爱 北京 天安门\n今天天气 很 好\n"
    # the good lines were kept: 人民医院 is one word now
    write(work / "h.txt", "他在人民医院工作\n")
    proc = zhnlp("segment", "h.txt", "--user-dict", "ud.txt", "--skip-bad-lines")
    assert proc.returncode == 0, proc.stderr
    assert "人民医院" in proc.stdout.decode().split()


# --------------------------------------------------------------------------- interruption

@pytest.fixture(scope="module")
def big_block() -> bytes:
    """A block of Chinese lines (pku_test, or generated sentences) that a feeder repeats without end."""
    if PKU_TEST.exists():
        block = "\n".join(PKU_TEST.read_text(encoding="utf-8").splitlines()) + "\n"
    else:
        block = "".join(f"{i}：{SENTENCE}\n" for i in range(5000))
    return block.encode("utf-8")


def _feed_forever(fd: int, block: bytes) -> None:
    """Write ``block`` to pipe ``fd`` again and again until its reader is gone, so the run can
    never finish before it is interrupted, however fast the machine."""
    try:
        while True:
            os.write(fd, block)
    except OSError:  # BrokenPipeError: the run (and every worker) has exited
        pass


def _default_sigint() -> None:
    # A child inherits an *ignored* SIGINT (e.g. pytest started in the background); a user
    # at a terminal has the default, which is what this test is about.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


INTERRUPTED = [("segment", (), signal.SIGINT, 1), ("segment", (), signal.SIGTERM, 1),
               ("segment", (), signal.SIGTERM, 2), ("tag", ("resume-ner-hmm",), signal.SIGTERM, 1),
               ("classify", ("hotel-sentiment",), signal.SIGINT, 1), ("translate", ("cmn-eng",), signal.SIGTERM, 1),
               ("segment", (), signal.SIGKILL, 2), ("tag", ("resume-ner-hmm",), signal.SIGKILL, 1),
               ("classify", ("hotel-sentiment",), signal.SIGKILL, 1)]


def _writing_into(pid: int, folder: Path) -> bool:
    """Whether process ``pid`` has a file open in ``folder`` other than the old output (on
    Linux an unnamed O_TMPFILE shows as ``folder/#N (deleted)``)."""
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return False
    return any(link.startswith(f"{folder}/") and not link.endswith("/out.txt") for link in links)


@pytest.mark.parametrize("command, model, sig, jobs", INTERRUPTED,
                         ids=["SIGINT", "SIGTERM", "SIGTERM-j2", "tag-SIGTERM", "classify-SIGINT", "translate-SIGTERM",
                              "SIGKILL-j2", "tag-SIGKILL", "classify-SIGKILL"])
def test_interrupted_run_keeps_old_output(cache_dir, tmp_path, big_block, command, model, sig, jobs):
    """Ctrl-C and kill: a one-line message and nothing written; even SIGKILL of the whole process
    group (no clean-up code runs) leaves the old output as it was and no temporary file."""
    out = tmp_path / "outdir"
    write(out / "out.txt", OLD)
    start = time.monotonic()
    jobs_opt = ["-j", str(jobs)] if command == "segment" else []
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([sys.executable, "-m", "zhnlp", command, *model, "-", "-o", "out.txt", *jobs_opt],
                            cwd=out, env=_env(cache_dir), stdin=read_end, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=_default_sigint, start_new_session=True)
    os.close(read_end)
    feeder = threading.Thread(target=_feed_forever, args=(write_end, big_block), daemon=True)
    feeder.start()
    try:
        # wait until the run is under way (writing its temporary output) and >= 1.5 s have passed
        while True:
            assert proc.poll() is None, proc.communicate()
            started = any(p.name != "out.txt" for p in out.iterdir()) or _writing_into(proc.pid, out)
            if started and time.monotonic() - start >= 1.5:
                break
            assert time.monotonic() - start < 60, f"{command} never started"
            time.sleep(0.05)
        if sig == signal.SIGKILL:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        feeder.join(timeout=60)
        os.close(write_end)
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
        one_line_error(done, "interrupted")
        assert proc.returncode == 130
    assert stdout == b""
    assert sorted(p.name for p in out.iterdir()) == ["out.txt"]
    assert (out / "out.txt").read_bytes() == OLD
