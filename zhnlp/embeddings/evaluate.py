"""Evaluating word vectors: word-similarity (Spearman) and analogy (3CosAdd) test sets."""
from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..checks import check_number
from ..errors import InputError, ZhnlpError
from ..io import read_lines
from .vectors import as_vectors


class _Result:
    """What both evaluations share: a JSON form with their ``kind``."""

    kind = ""

    def as_dict(self) -> dict:
        return {"kind": self.kind, **asdict(self)}


@dataclass
class SimilarityResult(_Result):
    """Spearman correlation (NaN under two pairs) of gold scores and cosines over the pairs with both vectors."""

    path: str
    spearman: float
    pairs: int
    used: int
    skipped_oov: int
    skipped_malformed: int = 0

    kind = "similarity"

    def summary(self) -> str:
        rho = "n/a" if math.isnan(self.spearman) else f"{self.spearman * 100:.1f}"
        bad = f", {self.skipped_malformed} malformed line(s) skipped" if self.skipped_malformed else ""
        return (f"{self.path}: Spearman x100 {rho} on {self.used}/{self.pairs} pairs "
                f"({self.skipped_oov} skipped: word without a vector{bad})")


@dataclass
class AnalogyResult(_Result):
    """3CosAdd accuracy over the questions whose words are in the vocabulary; correct/total/skipped_oov by section."""

    path: str
    accuracy: float
    correct: int
    total: int
    skipped_oov: int
    per_section: dict = field(default_factory=dict)
    skipped_malformed: int = 0

    kind = "analogy"

    def summary(self) -> str:
        acc = "n/a" if math.isnan(self.accuracy) else f"{self.accuracy * 100:.1f}%"
        bad = f", {self.skipped_malformed} malformed line(s) skipped" if self.skipped_malformed else ""
        lines = [f"{self.path}: accuracy {acc} ({self.correct}/{self.total} questions; "
                 f"{self.skipped_oov} of {self.total + self.skipped_oov} skipped: word out of "
                 f"vocabulary{bad})"]
        for name, s in self.per_section.items():
            sec_acc = f"{s['correct'] / s['total'] * 100:.1f}%" if s["total"] else "n/a"
            lines.append(f"  {name}: {sec_acc} ({s['correct']}/{s['total']}, "
                         f"{s['skipped_oov']} skipped)")
        return "\n".join(lines)


def _content_lines(path: str | Path, encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, stripped text) of the non-blank, non-``#`` lines of an evaluation file."""
    for lineno, line in enumerate(read_lines(path, encoding), 1):
        text = line.strip().lstrip("\ufeff")
        if text and not text.startswith("#"):
            yield lineno, text


def read_similarity_pairs(path: str | Path, *, skip_bad_lines: bool = False,
                          encoding: str = "utf-8") -> tuple[list[tuple[str, str, float]], int]:
    """(word1, word2, score) of a word-similarity file, and the malformed lines skipped (``skip_bad_lines``)."""
    pairs: list[tuple[str, str, float]] = []
    bad = 0
    for lineno, text in _content_lines(path, encoding):
        parts = [p.strip() for p in text.split("\t")]
        if len(parts) != 3 or not all(parts):
            parts = text.split()
        problem = None
        if len(parts) != 3:
            problem = f"expected 'word1<TAB>word2<TAB>score', found {len(parts)} field(s)"
        else:
            try:
                score = float(parts[2])
            except ValueError:
                problem = f"the score {parts[2]!r} is not a number"
            else:
                if not math.isfinite(score):
                    problem = f"the score {parts[2]!r} is not a finite number"
        if problem:
            if not skip_bad_lines:
                raise InputError(path, problem + " (pass --skip-bad-lines to skip such lines)",
                                 lineno, text)
            bad += 1
            continue
        pairs.append((parts[0], parts[1], score))
    return pairs, bad


def evaluate_similarity(vectors: Any, pairs_path: str | Path, *, skip_bad_lines: bool = False,
                        subwords: bool = True, encoding: str = "utf-8") -> SimilarityResult:
    """Spearman correlation of a word-similarity file's scores and the cosines, pairs without vectors counted apart."""
    from scipy.stats import spearmanr

    vec = as_vectors(vectors)
    pairs, bad = read_similarity_pairs(pairs_path, skip_bad_lines=skip_bad_lines, encoding=encoding)
    has = vec.__contains__ if subwords else vec.in_vocab
    gold, cos = [], []
    for w1, w2, score in pairs:
        if has(w1) and has(w2):
            gold.append(score)
            cos.append(float(vec.kv.similarity(w1, w2)))
    rho = float("nan")
    if len(gold) >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constant input: NaN, reported as n/a
            rho = float(spearmanr(gold, cos).statistic)
    return SimilarityResult(str(pairs_path), rho, len(pairs), len(gold), len(pairs) - len(gold), bad)


def read_analogies(path: str | Path, *, skip_bad_lines: bool = False,
                   encoding: str = "utf-8") -> tuple[list[tuple[str, tuple[str, str, str, str]]], int]:
    """(section, (a, b, c, d)) of a word2vec analogy file (``: name`` lines open sections), and the lines skipped."""
    questions = []
    section = "(no section)"
    bad = 0
    for lineno, text in _content_lines(path, encoding):
        if text.startswith(":"):
            section = text[1:].strip() or section
            continue
        parts = text.split()
        if len(parts) != 4:
            if not skip_bad_lines:
                raise InputError(path, f"expected four words 'a b c d', found {len(parts)} "
                                       "(pass --skip-bad-lines to skip such lines)", lineno, text)
            bad += 1
            continue
        questions.append((section, tuple(parts)))
    return questions, bad


def evaluate_analogy(vectors: Any, path: str | Path, restrict_vocab: int | None = 300_000, *,
                     skip_bad_lines: bool = False, encoding: str = "utf-8") -> AnalogyResult:
    """3CosAdd accuracy among the first ``restrict_vocab`` words, questions with other words counted apart."""
    import numpy as np

    vec = as_vectors(vectors)
    questions, bad = read_analogies(path, skip_bad_lines=skip_bad_lines, encoding=encoding)
    limit = len(vec) if restrict_vocab is None else min(restrict_vocab, len(vec))
    if limit < 1:
        raise ZhnlpError("restrict_vocab must be at least 1")
    index = {w: i for i, w in enumerate(vec.kv.index_to_key[:limit])}
    sections: dict[str, dict] = {}
    rows, owners = [], []
    for section, words in questions:
        s = sections.setdefault(section, {"correct": 0, "total": 0, "skipped_oov": 0})
        ids = [index.get(w) for w in words]
        if None in ids:
            s["skipped_oov"] += 1
            continue
        s["total"] += 1
        rows.append(ids)
        owners.append(section)
    correct = 0
    if rows:
        unit = np.asarray(vec.kv.vectors[:limit], dtype=np.float32)
        norms = np.linalg.norm(unit, axis=1, keepdims=True)
        unit = unit / np.where(norms > 0, norms, 1.0)
        q = np.asarray(rows, dtype=np.int64)
        batch = max(1, 16_000_000 // limit)
        hits = np.zeros(len(q), dtype=bool)
        for start in range(0, len(q), batch):
            a, b, c, d = q[start:start + batch].T
            scores = (unit[b] - unit[a] + unit[c]) @ unit.T
            r = np.arange(len(a))
            scores[r, a] = scores[r, b] = scores[r, c] = -np.inf
            hits[start:start + batch] = scores.argmax(axis=1) == d
        for section, hit in zip(owners, hits.tolist()):
            if hit:
                sections[section]["correct"] += 1
                correct += 1
    total = len(rows)
    skipped = sum(s["skipped_oov"] for s in sections.values())
    acc = correct / total if total else float("nan")
    return AnalogyResult(str(path), acc, correct, total, skipped, sections, bad)


def is_analogy_file(path: str | Path, encoding: str = "utf-8") -> bool:
    """True when the first content line is a ``: section`` header or four words."""
    for _, text in _content_lines(path, encoding):
        return text.startswith(":") or len(text.split()) == 4
    raise InputError(path, "no pairs or questions in this file")


def evaluate(vectors: Any, path: str | Path, *, skip_bad_lines: bool = False,
             restrict_vocab: int | None = 300_000, subwords: bool = True,
             encoding: str = "utf-8") -> SimilarityResult | AnalogyResult:
    """Evaluate on a word-similarity or an analogy file, told apart by content (:func:`is_analogy_file`)."""
    if restrict_vocab is not None:
        check_number("--restrict-vocab", restrict_vocab, 1)
    if is_analogy_file(path, encoding):
        return evaluate_analogy(vectors, path, restrict_vocab, skip_bad_lines=skip_bad_lines,
                                encoding=encoding)
    return evaluate_similarity(vectors, path, skip_bad_lines=skip_bad_lines, subwords=subwords,
                               encoding=encoding)


__all__ = ["SimilarityResult", "AnalogyResult", "read_similarity_pairs", "read_analogies", "evaluate_similarity", "evaluate_analogy", "evaluate", "is_analogy_file"]
