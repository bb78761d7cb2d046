"""Helpers the benchmark scripts share: machine and device names, device syncs, medians, timed
subprocesses with the peak RSS of their process tree, and large text files built from real corpora."""
from __future__ import annotations

import csv
import os
import platform
import random
import statistics
import subprocess
import sys
import shutil
import tempfile
import time
from pathlib import Path

MB = 1 << 20


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores visible)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores visible)"


def devices_of(spec: str) -> list[str]:
    """The devices of ``--device`` that can run here (a note for each that cannot)."""
    from zhnlp.errors import ZhnlpError
    from zhnlp.training.trainer import resolve_device

    out = []
    for name in [d.strip() for d in spec.split(",") if d.strip()]:
        try:
            dev = resolve_device(name)
        except ZhnlpError as exc:
            print(f"note: skipping device {name}: {exc}")
            continue
        out.append(str(dev) if dev.type == "cuda" else "cpu")
    return out


def device_label(dev: str) -> str:
    if dev == "cpu":
        return f"cpu: {cpu_name()}"
    import torch

    return f"{dev}: {torch.cuda.get_device_name(torch.device(dev))}"


def sync(dev: str) -> None:
    if dev != "cpu":
        import torch

        torch.cuda.synchronize(torch.device(dev))


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --------------------------------------------------------------------------- processes

def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.extend(int(x) for x in f.read().split())
        except (OSError, ValueError):
            pass
    return kids


def _tree(pid: int) -> list[int]:
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(_children(p))
    return out


def _proc_kb(path: str, key: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy (all cores, /proc/stat), or NaN."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal: busy = all but idle and iowait
        return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


class Run:
    """One finished subprocess: wall and CPU seconds, exit code, peak RSS figures (KiB), stderr.

    ``cpu`` is the user+system time of the process and its reaped descendants (workers);
    ``other_cpu`` the CPU seconds the rest of the machine used meanwhile (noise indicator).
    """

    def __init__(self, cmd, wall, rc, maxrss_kb, tree_rss_kb=0, tree_pss_kb=0, max_procs=0, stderr="",
                 cpu=0.0, other_cpu=float("nan")):
        self.cmd, self.wall, self.rc, self.maxrss_kb = cmd, wall, rc, maxrss_kb
        self.tree_rss_kb, self.tree_pss_kb, self.max_procs, self.stderr = tree_rss_kb, tree_pss_kb, max_procs, stderr
        self.cpu, self.other_cpu = cpu, other_cpu


def run(cmd: list[str], env: dict, *, stdout=None, poll: bool = False, interval: float = 0.05,
        pss_every: int = 20, check: bool = True) -> Run:
    """Run a command, timing the whole process.

    ``poll`` samples the summed VmRSS of the process tree every ``interval`` seconds, and
    its summed PSS (shared pages counted once) every ``pss_every`` samples.
    """
    with tempfile.TemporaryFile() as err:
        out = stdout if stdout is not None else subprocess.DEVNULL
        busy0 = _busy_cpu_s()
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        peak_rss = peak_pss = procs = 0
        if poll:
            samples = 0
            while True:
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    break
                pids = _tree(p.pid)
                rss = sum(_proc_kb(f"/proc/{q}/status", "VmRSS:") for q in pids)
                peak_rss, procs = max(peak_rss, rss), max(procs, len(pids))
                if samples % pss_every == 0:  # smaps_rollup costs ~10 ms a read: sample it less often
                    pss = sum(_proc_kb(f"/proc/{q}/smaps_rollup", "Pss:") for q in pids)
                    peak_pss = max(peak_pss, pss)
                samples += 1
                time.sleep(interval)
        else:
            _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        busy = _busy_cpu_s() - busy0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    # ru_maxrss of a reaped child covers it and its reaped descendants: the largest single process.
    cpu = ru.ru_utime + ru.ru_stime
    r = Run(cmd, wall, p.returncode, ru.ru_maxrss, peak_rss, peak_pss, procs, stderr, cpu, busy - cpu)
    if check and r.rc != 0:
        raise RuntimeError(f"command failed (exit {r.rc}): {' '.join(map(str, cmd))}\n{stderr[-2000:]}")
    return r


def zhnlp_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "zhnlp"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("zhnlp")
    return [found] if found else [sys.executable, "-m", "zhnlp"]



# --------------------------------------------------------------------------- data

def read_csv_texts(path: Path, column: str = "review") -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [row[column] or "" for row in csv.DictReader(f)]


def read_bio_sentences(path: Path) -> list[str]:
    """Sentences rebuilt from a char<TAB>tag file (blank line between sentences)."""
    sents, chars = [], []
    with open(path, encoding="utf-8", newline="") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line:
                if chars:
                    sents.append("".join(chars))
                    chars = []
                continue
            chars.append(line.rsplit("\t", 1)[0] if "\t" in line else line)
    if chars:
        sents.append("".join(chars))
    return sents


def clean_line(text: str) -> str:
    """One line of text: no line breaks, no NUL, no leading BOM, no edge whitespace."""
    text = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\x00", "")
    return text.strip().lstrip("\ufeff").strip()


def corpus_lines(data: Path) -> dict[str, list[str]]:
    """Real text lines: product and hotel reviews, MSRA news sentences."""
    sources = {
        "online_shopping_10_cats": read_csv_texts(data / "online_shopping_10_cats" / "online_shopping_10_cats.csv"),
        "chnsenticorp": read_csv_texts(data / "chnsenticorp" / "ChnSentiCorp_htl_all.csv"),
        "msra_ner": [s for split in ("train", "dev", "test")
                     for s in read_bio_sentences(data / "msra_ner" / f"{split}.bio")],
    }
    return {k: [c for c in map(clean_line, v) if c] for k, v in sources.items()}


def build_text_file(path: Path, lines: list[str], size_mb: float) -> dict:
    """Write the lines (shuffled once, fixed seed) over and over until the file has size_mb MB."""
    order = list(lines)
    random.Random(0).shuffle(order)
    target = int(size_mb * MB)
    size = n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        while size < target:
            for line in order:
                data = line + "\n"
                f.write(data)
                size += len(data.encode("utf-8"))
                n += 1
                if size >= target:
                    break
    return {"bytes": path.stat().st_size, "lines": n, "unique_lines": len(order)}


def compare_files(paths: list[Path]) -> dict:
    """Byte equality of files, and where they first differ (line number and lines)."""
    sizes = [p.stat().st_size for p in paths]
    handles = [open(p, "rb") for p in paths]
    first = None
    differing = 0
    lines = 0
    try:
        while True:
            rows = [h.readline() for h in handles]
            if not any(rows):
                break
            lines += 1
            if len(set(rows)) > 1:
                differing += 1
                if first is None:
                    first = {"line": lines, "texts": [r.decode("utf-8", "replace").rstrip("\n") for r in rows]}
    finally:
        for h in handles:
            h.close()
    return {"identical": differing == 0 and len(set(sizes)) == 1, "sizes": sizes,
            "differing_lines": differing, "first_difference": first}


def resume_ner(data: Path):
    """ResumeNER's training sentences (tags that break BMES repaired, as training does) and test sentences from
    ``data`` (../shared/data), or None, with a line on stderr, where they are missing."""
    from zhnlp.formats.schemes import check_sentences
    from zhnlp.tasks.tagger import read_examples

    folder = data / "resume_ner"
    if not (folder / "train.char.bmes").exists():
        print(f"missing {folder} (needs ../shared/data beside the repo)", file=sys.stderr)
        return None
    train = check_sentences(read_examples(folder / "train.char.bmes", "ner"), "BMES", repair=True)
    return train, read_examples(folder / "test.char.bmes", "ner")
