"""Tagged corpora in any format taggers read, detected from the first lines, read as sentences for a task."""
from __future__ import annotations

import json
from pathlib import Path

from ..checks import check_choice
from ..errors import InputError
from ..io import read_lines
from . import conll

DATA_FORMATS = ("auto", "conll", "conllu", "segmented", "word-pos")


def detect_format(path: str | Path, encoding: str = "utf-8", sample: int = 50) -> str:
    """A tagging file's format by its first lines (CoNLL-U, word/pos, CoNLL, else segmented); JSON is refused."""
    counts, word_pos, n = set(), 0, 0
    for line in read_lines(path, encoding, allow_empty=True):
        s = line.strip()
        if not s or s.startswith("#") or s.startswith("-DOCSTART-"):
            continue
        if not n and s[0] in "{[":
            try:
                json.loads(s)
            except ValueError:
                pass
            else:
                raise InputError(str(path), "JSON lines, not a tagging format: give CoNLL (a token and its tag "
                                            "a line, a blank line between sentences), CoNLL-U, segmented text or "
                                            "word/pos text", 1 + n)
        cols = s.split("\t")
        if len(cols) == 10 and cols[0].split("-")[0].split(".")[0].isdigit():
            return "conllu"
        parts = s.split()
        counts.add(len(parts))
        word_pos += all("/" in p[1:] for p in parts)
        n += 1
        if n >= sample:
            break
    if not n:
        raise InputError(str(path), "empty file: no sentences")
    if word_pos == n:
        return "word-pos"
    if len(counts) == 1 and min(counts) >= 2:
        return "conll"
    return "segmented"


def resolve_format(path: str | Path, task: str, fmt: str = "auto", encoding: str = "utf-8") -> str:
    """The format ``path`` is read in for ``task`` (``auto``: detected); NER refuses CoNLL-U and word/pos."""
    if fmt == "auto":
        fmt = detect_format(path, encoding)
        if fmt == "segmented" and task != "cws":
            fmt = "conll"  # uneven columns: let the CoNLL reader name the bad line
    check_choice("--data-format", fmt, DATA_FORMATS)
    if task == "ner" and fmt in ("conllu", "word-pos"):
        raise InputError(str(path), f"{fmt} text tags parts of speech (train-pos); train-ner reads CoNLL: a "
                                    "token and its NER tag (B-PER, O...) a line")
    return fmt


def read_examples(path: str | Path, task: str, fmt: str = "auto", encoding: str = "utf-8") -> list:
    """Tagged sentences of a training/evaluation file for ``task`` (CWS: characters with B/M/E/S from words)."""
    fmt = resolve_format(path, task, fmt, encoding)
    if task == "cws":
        if fmt == "segmented":
            sents = list(conll.read_segmented_sentences(path, encoding=encoding))
        elif fmt in ("conllu", "word-pos"):
            reader = conll.read_conllu if fmt == "conllu" else conll.read_word_pos
            sents = [conll.Sentence(tokens=[c for w in s.tokens for c in w], tags=conll.words_to_bmes(s.tokens),
                                    columns=[], line=s.line)
                     for s in reader(path, encoding=encoding)]
        else:
            sents = list(conll.read_conll(path, encoding=encoding))
    elif fmt == "conllu":
        sents = list(conll.read_conllu(path, encoding=encoding))
    elif fmt == "word-pos":
        sents = list(conll.read_word_pos(path, encoding=encoding))
    elif fmt == "segmented":
        raise InputError(str(path), f"{task.upper()} training needs tags: use CoNLL (token and tag per line)"
                                    + (" or CoNLL-U / word/pos" if task == "pos" else ""))
    else:
        sents = list(conll.read_conll(path, encoding=encoding))
    if not sents:
        raise InputError(str(path), "no sentences (empty training or evaluation file)")
    return sents


__all__ = ["DATA_FORMATS", "detect_format", "resolve_format", "read_examples"]
