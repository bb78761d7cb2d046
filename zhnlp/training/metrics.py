"""Evaluation metrics: word segmentation (the SIGHAN bakeoff's), entities (conlleval's), tags and classes."""
from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

from ..formats.schemes import entities


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
    skipped_lines: list[int] | None = None  # 1-based numbers of lines whose characters differ (not scored)

    def as_dict(self) -> dict:
        return asdict(self)

    def report(self) -> str:
        """Human-readable summary, one figure a line."""
        def pct(x: float | None) -> str:
            return "n/a" if x is None else f"{100 * x:.2f}"

        rows = [("lines scored", f"{self.lines - len(self.skipped_lines or [])} of {self.lines}"),
                ("gold words", self.gold_words), ("predicted words", self.pred_words),
                ("precision", pct(self.precision)), ("recall", pct(self.recall)), ("F1", pct(self.f1))]
        if self.oov_rate is not None:
            rows += [("OOV rate", pct(self.oov_rate)), ("OOV recall", pct(self.oov_recall)),
                     ("IV recall", pct(self.iv_recall))]
        if self.skipped_lines:
            shown = ", ".join(map(str, self.skipped_lines[:10])) + (" ..." if len(self.skipped_lines) > 10 else "")
            rows.append(("skipped lines", f"{len(self.skipped_lines)} (text differs: {shown})"))
        return "\n".join(f"{name:<18}{value}" for name, value in rows)


def score_segmentation(gold: Iterable[str], pred: Iterable[str],
                       training_words: set[str] | None = None) -> SegScore:
    """Segmentation scores line by line; lines whose text differs are listed, not scored (``training_words``: OOV)."""
    g_n = p_n = hit = 0
    iv, oov = [0, 0], [0, 0]  # words, right ones
    skipped: list[int] = []
    lines = 0
    for gl, pl in itertools.zip_longest(gold, pred):
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
            for w, end in zip(gw, itertools.accumulate(map(len, gw))):
                counts = iv if w in training_words else oov
                counts[0] += 1
                counts[1] += (end - len(w), end) in ps
    score = SegScore(*_prf(hit, p_n, g_n), g_n, p_n, hit, lines=lines, skipped_lines=skipped)
    if training_words is not None:
        score.oov_rate = oov[0] / g_n if g_n else 0.0
        score.oov_recall = oov[1] / oov[0] if oov[0] else None
        score.iv_recall = iv[1] / iv[0] if iv[0] else None
    return score


@dataclass
class TypeScore:
    """Entity scores of one type (fractions, like :class:`SegScore`); support: gold entities."""
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int
    correct: int


def _prf(correct: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts (0.0 where undefined)."""
    p = correct / predicted if predicted else 0.0
    r = correct / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


@dataclass
class EntityScore:
    """Entity-level scores, conlleval's (an entity is right when its type and both ends are); fractions in [0, 1]."""
    precision: float
    recall: float
    f1: float
    gold_entities: int
    pred_entities: int
    correct: int
    per_type: dict[str, TypeScore]
    sentences: int = 0
    tokens: int = 0
    token_accuracy: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    def report(self, digits: int = 2) -> str:
        """A table like seqeval's ``classification_report``: P/R/F1 ×100 and support per type, micro and macro avg."""
        names = sorted(self.per_type)
        width = max([len(n) for n in names] + [len("macro avg"), 9])
        head = f"{'':>{width}}  {'precision':>9}  {'recall':>9}  {'f1':>9}  {'support':>8}"
        rows = [head, ""]

        def row(label: str, p: float, r: float, f: float, n: int) -> str:
            return (f"{label:>{width}}  {100 * p:>9.{digits}f}  {100 * r:>9.{digits}f}  "
                    f"{100 * f:>9.{digits}f}  {n:>8}")

        for n in names:
            t = self.per_type[n]
            rows.append(row(n or "(untyped)", t.precision, t.recall, t.f1, t.support))
        rows.append("")
        rows.append(row("micro avg", self.precision, self.recall, self.f1, self.gold_entities))
        if names:
            macro = [sum(getattr(self.per_type[n], m) for n in names) / len(names)
                     for m in ("precision", "recall", "f1")]
            rows.append(row("macro avg", *macro, self.gold_entities))
        rows.append(f"sentences {self.sentences}, tokens {self.tokens}, "
                    f"token accuracy {100 * self.token_accuracy:.{digits}f}")
        return "\n".join(rows)


def _tag_seq(item) -> list[str]:
    tags = getattr(item, "tags", item)
    if tags is None:
        raise ValueError("a sentence without tags cannot be scored")
    return list(tags)


def _paired(gold: Iterable, pred: Iterable) -> Iterable[tuple[int, list[str], list[str]]]:
    """(sentence number, gold tags, predicted tags); ValueError on any length mismatch."""
    for n, (g, p) in enumerate(itertools.zip_longest(gold, pred), 1):
        if g is None and p is None:
            return
        if g is None or p is None:
            raise ValueError(f"sentence {n}: the {'gold' if g is None else 'predicted'} tags "
                             "ran out first (different numbers of sentences)")
        gt, pt = _tag_seq(g), _tag_seq(p)
        if len(gt) != len(pt):
            raise ValueError(f"sentence {n}: {len(gt)} gold tags but {len(pt)} predicted tags")
        yield n, gt, pt


def score_entities(gold_tag_seqs: Iterable, pred_tag_seqs: Iterable,
                   scheme: str | None = None) -> EntityScore:
    """Entity P/R/F1, overall and per type, as conlleval and seqeval read them; ``scheme`` rejects other schemes."""
    g_n = p_n = hit = sents = toks = tok_hit = 0
    counts: dict[str, list[int]] = {}
    for _, gt, pt in _paired(gold_tag_seqs, pred_tag_seqs):
        sents += 1
        toks += len(gt)
        tok_hit += sum(a == b for a, b in zip(gt, pt))
        ge, pe = set(entities(gt, scheme)), set(entities(pt, scheme))
        g_n += len(ge)
        p_n += len(pe)
        both = ge & pe
        hit += len(both)
        for column, found in enumerate((ge, pe, both)):  # gold, predicted, correct per type
            for ty, _, _ in found:
                counts.setdefault(ty, [0, 0, 0])[column] += 1
    per_type = {ty: TypeScore(*_prf(c, p, g), support=g, predicted=p, correct=c)
                for ty, (g, p, c) in sorted(counts.items())}
    return EntityScore(*_prf(hit, p_n, g_n), gold_entities=g_n, pred_entities=p_n, correct=hit,
                       per_type=per_type, sentences=sents, tokens=toks,
                       token_accuracy=tok_hit / toks if toks else 0.0)


def score_tags(gold: Iterable, pred: Iterable) -> float:
    """Token accuracy (a fraction) of predicted against gold tag sequences (POS tagging)."""
    n = right = 0
    for _, gt, pt in _paired(gold, pred):
        n += len(gt)
        right += sum(a == b for a, b in zip(gt, pt))
    return right / n if n else 0.0


def score_words(gold_words_seqs: Iterable[Iterable[str]], pred_words_seqs: Iterable[Iterable[str]],
                training_words: set[str] | None = None) -> SegScore:
    """Word segmentation scores of word lists (per sentence), by :func:`score_segmentation`."""
    return score_segmentation((" ".join(ws) for ws in gold_words_seqs),
                              (" ".join(ws) for ws in pred_words_seqs), training_words)


def score_classes(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None) -> dict:
    """Accuracy, macro and per-class P/R/F1 over ``labels`` (default: all seen), confusion matrix (rows gold)."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions")
    labels = list(labels) if labels is not None else sorted(set(gold) | set(pred))
    index = {lab: i for i, lab in enumerate(labels)}
    k = len(labels)
    matrix = [[0] * k for _ in range(k)]
    for g, p in zip(gold, pred):
        matrix[index[g]][index[p]] += 1
    per_class = {}
    for lab, i in index.items():
        n_gold = sum(matrix[i])
        p, r, f = _prf(matrix[i][i], sum(matrix[r][i] for r in range(k)), n_gold)
        per_class[lab] = {"precision": p, "recall": r, "f1": f, "support": n_gold}
    present = [lab for lab in labels if per_class[lab]["support"] or any(matrix[r][index[lab]] for r in range(k))]
    macro = {m: sum(per_class[lab][m] for lab in present) / len(present) if present else 0.0
             for m in ("precision", "recall", "f1")}
    correct = sum(matrix[i][i] for i in range(k))
    return {"accuracy": correct / len(gold) if gold else 0.0, "macro_precision": macro["precision"],
            "macro_recall": macro["recall"], "macro_f1": macro["f1"], "examples": len(gold),
            "per_class": per_class, "labels": labels, "confusion": matrix}
