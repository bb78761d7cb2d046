"""Evaluation metrics. Word segmentation: precision, recall, F1, OOV and IV recall (SIGHAN bakeoff)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable


def word_spans(words: Iterable[str]) -> set[tuple[int, int]]:
    """Character spans (start, end) of consecutive words."""
    spans, i = set(), 0
    for w in words:
        spans.add((i, i + len(w)))
        i += len(w)
    return spans


@dataclass
class SegScore:
    """Word-level scores; the bakeoff's definitions (a word is right when both its ends are)."""

    precision: float
    recall: float
    f1: float
    gold_words: int
    pred_words: int
    correct: int
    oov_rate: float | None = None
    oov_recall: float | None = None
    iv_recall: float | None = None
    lines: int = 0
    skipped_lines: list[int] | None = None
    """1-based numbers of lines whose characters differ between gold and prediction (not scored)."""

    def as_dict(self) -> dict:
        return asdict(self)

    def report(self) -> str:
        """Human-readable summary, one figure a line."""
        out = [f"lines scored      {self.lines - len(self.skipped_lines or [])} of {self.lines}",
               f"gold words        {self.gold_words}",
               f"predicted words   {self.pred_words}",
               f"precision         {100 * self.precision:.2f}",
               f"recall            {100 * self.recall:.2f}",
               f"F1                {100 * self.f1:.2f}"]
        if self.oov_rate is not None:
            out += [f"OOV rate          {100 * self.oov_rate:.2f}",
                    f"OOV recall        {100 * self.oov_recall:.2f}" if self.oov_recall is not None
                    else "OOV recall        n/a",
                    f"IV recall         {100 * self.iv_recall:.2f}" if self.iv_recall is not None
                    else "IV recall         n/a"]
        if self.skipped_lines:
            shown = ", ".join(map(str, self.skipped_lines[:10]))
            more = " ..." if len(self.skipped_lines) > 10 else ""
            out.append(f"skipped lines     {len(self.skipped_lines)} (text differs: {shown}{more})")
        return "\n".join(out)


def score_segmentation(gold: Iterable[str], pred: Iterable[str],
                       training_words: set[str] | None = None) -> SegScore:
    """Score predicted against gold segmentation, line by line (words split on whitespace).

    Lines whose characters differ are reported in ``skipped_lines`` and not scored; a
    missing or extra line counts as differing. ``training_words`` enables OOV/IV recall.
    """
    g_n = p_n = hit = oov_n = oov_hit = iv_n = iv_hit = 0
    skipped: list[int] = []
    lines = 0
    gold_it, pred_it = iter(gold), iter(pred)
    while True:
        gl = next(gold_it, None)
        pl = next(pred_it, None)
        if gl is None and pl is None:
            break
        lines += 1
        if gl is None or pl is None:
            skipped.append(lines)
            continue
        gw, pw = gl.split(), pl.split()
        if "".join(gw) != "".join(pw):
            skipped.append(lines)
            continue
        gs, ps = word_spans(gw), word_spans(pw)
        g_n += len(gs)
        p_n += len(ps)
        hit += len(gs & ps)
        if training_words is not None:
            i = 0
            for w in gw:
                ok = (i, i + len(w)) in ps
                if w in training_words:
                    iv_n += 1
                    iv_hit += ok
                else:
                    oov_n += 1
                    oov_hit += ok
                i += len(w)
    p = hit / p_n if p_n else 0.0
    r = hit / g_n if g_n else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    score = SegScore(p, r, f, g_n, p_n, hit, lines=lines, skipped_lines=skipped)
    if training_words is not None:
        score.oov_rate = oov_n / g_n if g_n else 0.0
        score.oov_recall = oov_hit / oov_n if oov_n else None
        score.iv_recall = iv_hit / iv_n if iv_n else None
    return score
