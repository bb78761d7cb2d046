"""Helpers the benchmark scripts share: machine and device names, device syncs, medians."""
from __future__ import annotations

import os
import platform
import statistics
from pathlib import Path


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
    from zhnlp.train import resolve_device

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
