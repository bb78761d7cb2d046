"""PNG figures for model directories and evaluations: bytes, or None without matplotlib (the caller skips them)."""
from __future__ import annotations

import io
import math
import warnings
from pathlib import Path
from typing import Sequence

from ..errors import ZhnlpError


def _pyplot():
    """matplotlib's pyplot on the Agg backend, or None when matplotlib is not installed."""
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
        for i, k in enumerate(dev_keys):  # colours after the loss's C0, so no two lines share one
            ax2.plot(epochs, [r.get(k, math.nan) for r in history], "s--", color=f"C{i + 1}",
                     label=k.replace("_", " "))
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


def attention_png(alignments: Sequence, font: str | None = None) -> bytes | None:
    """Attention heat maps of :class:`~zhnlp.tasks.translator.Alignment`s, a panel each (rows output, columns source
    tokens); ``font``: a font file for the Chinese labels when no CJK font is installed."""
    plt = _pyplot()
    if plt is None or not alignments:
        return None
    families = _cjk_font(font)
    n = len(alignments)
    width = max(4.0, 0.35 * max(len(a.source) + 1 for a in alignments) + 2)
    heights = [max(2.0, 0.3 * (len(a.target) + 1) + 1.2) for a in alignments]
    fig, axes = plt.subplots(n, 1, figsize=(width, sum(heights)), gridspec_kw={"height_ratios": heights},
                             squeeze=False)
    for ax, a in zip(axes[:, 0], alignments):
        ax.imshow(a.weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_xticks(range(len(a.source) + 1))
        ax.set_xticklabels(list(a.source) + ["</s>"], fontfamily=families)
        ax.set_yticks(range(len(a.target) + 1))
        ax.set_yticklabels(list(a.target) + ["</s>"], fontfamily=families)
        ax.xaxis.tick_top()
        ax.set_xlabel(a.text, fontsize=9)
    with warnings.catch_warnings():  # without a CJK font, glyphs are boxes (see has_cjk_font), one warning each
        warnings.simplefilter("ignore", UserWarning)
        return _png(fig, plt)


def has_cjk_font(font: str | None = None) -> bool:
    """Whether Chinese labels will render (a font file given, or a CJK font found)."""
    return _pyplot() is not None and _cjk_font(font) != ["DejaVu Sans"]


def _cjk_font(font: str | None = None) -> list[str]:
    """Font families for Chinese labels, in matplotlib's fallback order: ``font``, installed CJK fonts, mplfonts'."""
    from matplotlib import font_manager

    extra = [font] if font else []
    if not font:
        try:
            import mplfonts  # optional: pip install mplfonts (bundles Noto Sans CJK)

            extra += [str(p) for p in (Path(mplfonts.__file__).parent / "fonts").glob("NotoSansCJKsc-Regular.*")]
        except ImportError:
            pass
    added = []
    for path in extra:
        try:
            font_manager.fontManager.addfont(path)
            added.append(font_manager.FontProperties(fname=path).get_name())
        except (OSError, RuntimeError, ValueError) as exc:
            if font:
                raise ZhnlpError(f"--font {font}: not a usable font file ({exc})") from None
    names = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [n for n in ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei",
                       "PingFang SC", "Source Han Sans SC", "AR PL UMing CN") if n in names]
    return list(dict.fromkeys(added + cjk + ["DejaVu Sans"]))


__all__ = ["learning_curve_png", "confusion_png", "attention_png", "has_cjk_font"]
