"""PNG figures written into model directories and evaluation outputs (matplotlib, Agg backend).

Each function returns PNG bytes, or None when matplotlib is not installed, so callers can
write the file or skip it.
"""
from __future__ import annotations

import io
import math
from typing import Sequence


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover
        return None
    return plt


def _png(fig, plt) -> bytes:
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def learning_curve_png(history: list[dict], metric: str) -> bytes | None:
    """Training loss and the dev metrics per epoch."""
    plt = _pyplot()
    if not history or plt is None:
        return None
    epochs = [r["epoch"] for r in history]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, [r["train_loss"] for r in history], "o-", label="train loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    dev_keys = [k for k in history[0] if k.startswith("dev_") and isinstance(history[0][k], (int, float))]
    if dev_keys:
        ax2 = ax.twinx()
        for k in dev_keys:
            ax2.plot(epochs, [r.get(k, math.nan) for r in history], "s--", label=k.replace("_", " "))
        ax2.set_ylabel(f"dev ({metric})")
        lines = ax.get_legend_handles_labels()
        lines2 = ax2.get_legend_handles_labels()
        ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="best", fontsize=8)
    else:
        ax.legend(loc="best")
    return _png(fig, plt)


def confusion_png(matrix: Sequence[Sequence[int]], labels: Sequence[str], title: str = "") -> bytes | None:
    """A confusion-matrix heat map: rows gold, columns predicted, each cell's count printed."""
    plt = _pyplot()
    if plt is None:
        return None
    k = len(labels)
    size = max(4.0, 0.6 * k + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xticklabels(labels, rotation=45, ha="right", fontfamily=_cjk_font())
    ax.set_yticklabels(labels, fontfamily=_cjk_font())
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    top = max((max(row) for row in matrix), default=0)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(matrix[i][j]), ha="center", va="center", fontsize=8,
                    color="white" if matrix[i][j] > top / 2 else "black")
    if title:
        ax.set_title(title)
    return _png(fig, plt)


def _cjk_font() -> list[str]:
    """Font families to try for Chinese labels (matplotlib falls back to the next one)."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [n for n in ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei",
                       "PingFang SC", "Source Han Sans SC", "AR PL UMing CN") if n in names]
    return cjk + ["DejaVu Sans"]


__all__ = ["learning_curve_png", "confusion_png"]
