"""Character features defined once for every model and ``embed --level bigram``, so pretrained bigrams are found."""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Container, Iterator, Sequence

from ..checks import check_choice
from ..errors import ZhnlpError
from ..io import MAX_LINE_CHARS, read_lines
from .segment import Segmenter

LEVELS = ("word", "char", "bigram")
EOS_BIGRAM = "</s>"


def norm(tok: str) -> str:
    """NFKC form of a token (full-width letters and digits as ASCII, compatibility forms unified)."""
    return unicodedata.normalize("NFKC", tok) or tok


def bigrams(chars: Sequence[str]) -> list[str]:
    """Each character with the next one (the last with ``</s>``): the ``bigram`` feature."""
    return [a + b for a, b in zip(chars, list(chars[1:]) + [EOS_BIGRAM])]


def has_space(token: str) -> bool:
    """Whether a token holds whitespace (NFKC of a character can: U+FFE3 -> " \\u0304")."""
    return any(c.isspace() for c in token)


# Punctuation written in other forms than NFKC unifies (UD Chinese GSD writes "." for "。", “” for "" or 「」):
# a normalized token the vocabulary lacks is read as the first of these forms it has.
PUNCT_FORMS: dict[str, tuple[str, ...]] = {
    "。": (".",), ".": ("。",),
    '"': ("“", "”"), "“": ('"', "「"), "”": ('"', "」"), "「": ("“", '"'), "」": ("”", '"'),
    "'": ("‘", "’"), "‘": ("'", "『"), "’": ("'", "』"), "『": ("‘", "'"), "』": ("’", "'"),
    "—": ("-", "--"), "——": ("--", "—", "-"), "―": ("—", "-"), "--": ("——", "—", "-"),
    "...": ("......",), "......": ("...",),
    "·": ("・", "‧"), "・": ("·", "‧"), "‧": ("·", "・"), "•": ("·", "・"),
    "~": ("〜",), "〜": ("~",),
    "【": ("〔", "["), "】": ("〕", "]"), "〔": ("【", "["), "〕": ("】", "]"), "[": ("〔", "【"), "]": ("〕", "】"),
    "〈": ("《",), "〉": ("》",), "《": ("〈",), "》": ("〉",),
}


def known_form(token: str, vocab: Container[str]) -> str:
    """``token``, or when ``vocab`` lacks it, the first of its :data:`PUNCT_FORMS` that ``vocab`` has."""
    if token in vocab:
        return token
    return next((f for f in PUNCT_FORMS.get(token, ()) if f in vocab), token)


def tokenized_lines(inputs: Sequence[str | Path], seg: Segmenter | None = None, *,
                    level: str = "word", pre_segmented: bool = False, encoding: str = "utf-8",
                    jobs: int = 1, max_line_chars: int = MAX_LINE_CHARS,
                    allow_empty: bool = False) -> Iterator[list[str]]:
    """Token lists of the non-blank lines, streamed: words, characters, or bigrams (those with a space left out)."""
    check_choice("--level", level, LEVELS)
    if not inputs:
        raise ZhnlpError("no input files")

    def lines() -> Iterator[str]:
        for path in inputs:
            for line in read_lines(path, encoding, max_line_chars=max_line_chars,
                                   allow_empty=allow_empty):
                if line.strip():
                    yield line

    if level == "char":
        return ([c for c in line if not c.isspace()] for line in lines())
    if level == "bigram":
        return ([b for b in bigrams([norm(c) for c in line if not c.isspace()]) if not has_space(b)]
                for line in lines())
    if pre_segmented:
        return (line.split() for line in lines())
    seg = seg or Segmenter()
    return ([w for w in words if w.strip()] for words in seg.cut_lines(lines(), jobs=jobs))


__all__ = ["LEVELS", "EOS_BIGRAM", "PUNCT_FORMS", "norm", "bigrams", "has_space", "known_form", "tokenized_lines"]
