"""Sentence pairs for translation: TAB-separated pair files, splits by source, reversible English tokenization."""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import InputError, ZhnlpError
from ..io import read_lines

_OPENING = {"(", "[", "{", "``", "`", "$", "#", "¿", "¡"}
_CLOSING = {".", ",", "!", "?", ";", ":", "%", ")", "]", "}", "''", "'", "…"}
_CLITIC = re.compile(r"^(.+?)(n't|'s|'re|'ve|'ll|'d|'m)$", re.IGNORECASE)


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def tokenize_en(text: str, lower: bool = False) -> list[str]:
    """English tokens: whitespace pieces, their outer punctuation split off a character a token (quotes as `` ` ''),
    clitics (``n't 's 're 've 'll 'd 'm``) split off the word; :func:`detokenize_en` reverses it."""
    text = text.replace("’", "'").replace("“", '"').replace("”", '"')
    tokens: list[str] = []
    for piece in text.split():
        if all(_is_punct(c) for c in piece):  # a free-standing dash, "...", "&"
            tokens.append(piece)
            continue
        i, j = 0, len(piece)
        while i < j and _is_punct(piece[i]):
            i += 1
        while j > i and _is_punct(piece[j - 1]):
            j -= 1
        lead = ["``" if c == '"' else "`" if c == "'" else c for c in piece[:i]]
        trail = ["''" if c == '"' else c for c in piece[j:]]
        core = piece[i:j]
        m = _CLITIC.match(core)
        words = [m.group(1), m.group(2)] if m and m.group(1).isalpha() else [core]
        tokens.extend(lead + words + trail)
    return [t.lower() for t in tokens] if lower else tokens


def detokenize_en(tokens: Sequence[str], truecase: bool = False) -> str:
    """The sentence of ``tokens`` (inverse of :func:`tokenize_en`); ``truecase`` capitalises the start and ``i``."""
    out: list[str] = []
    glue_next = True
    for tok in tokens:
        if not tok:
            continue
        attach_left = tok in _CLOSING or tok.lower() in _CLITICS
        if out and not glue_next and not attach_left:
            out.append(" ")
        out.append('"' if tok in ("``", "''") else "'" if tok == "`" else tok)
        glue_next = tok in _OPENING
    text = "".join(out)
    if truecase and text:
        text = re.sub(r"\bi\b", "I", text)
        text = text[0].upper() + text[1:]
    return text


_CLITICS = {"n't", "'s", "'re", "'ve", "'ll", "'d", "'m"}


@dataclass
class Pairs:
    """Source and target sentences of a pair file, each pair's line, and the lines skipped, by reason."""

    path: str
    src: list[str] = field(default_factory=list)
    tgt: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    skipped: dict[str, list[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.src)

    def subset(self, indices: Sequence[int]) -> "Pairs":
        """The pairs at ``indices`` (a split)."""
        return Pairs(self.path, [self.src[i] for i in indices], [self.tgt[i] for i in indices],
                     [self.lines[i] for i in indices])

    def references(self) -> tuple[list[str], list[list[str]]]:
        """Distinct sources and every target given for each: BLEU's multi-reference test set."""
        refs: dict[str, list[str]] = {}
        for s, t in zip(self.src, self.tgt):
            refs.setdefault(s, []).append(t)
        return list(refs), list(refs.values())


def read_pairs(path: str | Path, *, src_col: int = 1, tgt_col: int = 0, encoding: str = "utf-8",
               strict: bool = False) -> Pairs:
    """Pairs of a TAB-separated file; bad lines are listed in ``skipped``, or with ``strict`` an error naming them."""
    if src_col < 0 or tgt_col < 0 or src_col == tgt_col:
        raise ZhnlpError(f"--src-col and --tgt-col must be two different column numbers (0-based), "
                         f"not {src_col} and {tgt_col}")
    pairs = Pairs(str(path))
    need = max(src_col, tgt_col) + 1
    for lineno, line in enumerate(read_lines(path, encoding, allow_empty=False), 1):
        if not line.strip():
            continue
        cols = line.rstrip("\r\n").split("\t")
        if len(cols) < need:
            problem = (f"{len(cols)} column(s), need at least {need} (source column {src_col}, "
                       f"target column {tgt_col}; columns are TAB-separated)")
            reason = "too few columns"
        else:
            src, tgt = cols[src_col].strip(), cols[tgt_col].strip()
            if src and tgt:
                pairs.src.append(src)
                pairs.tgt.append(tgt)
                pairs.lines.append(lineno)
                continue
            problem = reason = "empty source" if not src else "empty target"
        if strict:
            raise InputError(str(path), f"{problem} (--strict refuses such lines)", lineno)
        pairs.skipped.setdefault(reason, []).append(lineno)
    if not pairs.src:
        raise InputError(str(path), "no sentence pairs (is it a TAB-separated pair file? "
                                    "check --src-col/--tgt-col)")
    return pairs


def split_pairs(pairs: Pairs, fractions: Sequence[float], seed: int) -> dict[str, list[int]]:
    """Seeded train/dev/test indices, grouped by source sentence so that no dev or test source occurs in train."""
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(pairs.src):
        groups.setdefault(s, []).append(i)
    keys = list(groups)
    random.Random(seed).shuffle(keys)
    total = len(pairs.src)
    parts: dict[str, list[int]] = {"train": [], "dev": [], "test": []}
    bounds = [fractions[0] * total, (fractions[0] + fractions[1]) * total]
    done = 0
    for key in keys:
        name = "train" if done < bounds[0] else "dev" if done < bounds[1] else "test"
        parts[name].extend(groups[key])
        done += len(groups[key])
    for name in ("train", "dev", "test"):
        parts[name].sort()
    if not parts["train"] or not parts["dev"]:
        raise ZhnlpError(f"--split {','.join(map(str, fractions))} leaves an empty train or dev part "
                         f"({len(keys)} distinct sources)")
    return parts


def describe_skipped(skipped: dict[str, list[int]]) -> Iterable[str]:
    """One human line per reason: ``3 lines with too few columns (lines 4, 9, 12)``."""
    for reason, lines in skipped.items():
        first = ", ".join(str(n) for n in lines[:5]) + (" ..." if len(lines) > 5 else "")
        yield f"{len(lines)} line(s) with {reason} (lines {first})"


__all__ = ["tokenize_en", "detokenize_en", "Pairs", "read_pairs", "split_pairs", "describe_skipped"]
