"""Tagged corpora (CoNLL, CoNLL-U, segmented, ``word/pos``) streamed as sentences, errors naming file and line."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable, Iterator, Sequence

from ..errors import InputError
from ..io import atomic_output, input_name, read_lines

DOCSTART = "-DOCSTART-"
_SPACES = re.compile(r" +")


@dataclass
class Sentence:
    """One sentence of a tagged corpus: tokens, tags (None: unlabelled), feature columns, file lines (for errors)."""

    tokens: list[str]
    tags: list[str] | None = None
    columns: list[list[str]] = field(default_factory=list)  # token i's columns besides token and tag
    line: int = 0  # 1-based line of the first token (0: not from a file)
    token_lines: list[int] | None = None  # each token's line where they are not consecutive (None: line + i)

    def __len__(self) -> int:
        return len(self.tokens)

    def line_of(self, index: int) -> int:
        """The file line of token ``index`` (for error messages)."""
        if self.token_lines is not None:
            return self.token_lines[min(max(index, 0), len(self.token_lines) - 1)]
        return self.line + index


def split_columns(line: str) -> list[str]:
    """Columns of a CoNLL line: split at TABs if it has one, else at runs of ASCII spaces (U+3000 can be a token)."""
    if "\t" in line:
        cols = line.split("\t")
        if cols and cols[-1].endswith(" "):  # stray trailing spaces after the tag
            cols[-1] = cols[-1].rstrip(" ")
        return cols
    return [c for c in _SPACES.split(line) if c]


def read_conll(path: str | Path, *, encoding: str = "utf-8", tag_column: int | None = -1,
               allow_empty: bool = False) -> Iterator[Sentence]:
    """Sentences of a CoNLL file (a token a line, blank lines between sentences); ``tag_column=None``: unlabelled."""
    name = input_name(path)
    ncols = 0
    ncols_line = 0
    tokens: list[str] = []
    tags: list[str] = []
    columns: list[list[str]] = []
    first = 0
    for lineno, line in enumerate(read_lines(path, encoding, allow_empty=allow_empty), 1):
        cols = split_columns(line) if line.strip(" \t") else []
        if not cols or cols[0] == DOCSTART:
            if tokens:
                yield _sentence(tokens, tags, columns, first, tag_column)
                tokens, tags, columns = [], [], []
            continue
        if tag_column is not None and len(cols) < 2:
            raise InputError(name, "missing tag column (expected a token and its tag separated "
                                   "by a TAB or spaces)", lineno, line)
        if not ncols:
            ncols, ncols_line = len(cols), lineno
        elif len(cols) != ncols:
            raise InputError(name, f"inconsistent columns: expected {ncols} (as on line "
                                   f"{ncols_line}), found {len(cols)}", lineno, line)
        token = cols[0]
        try:
            tag = cols[tag_column] if tag_column is not None else None
        except IndexError:
            raise InputError(name, f"no column {tag_column} in a line of {len(cols)} columns", lineno, line) from None
        if not token:
            raise InputError(name, "empty token column", lineno, line)
        if tag is not None and not tag:
            raise InputError(name, "empty tag column", lineno, line)
        if not tokens:
            first = lineno
        tokens.append(token)
        used = {0}
        if tag is not None:
            tags.append(tag)
            used.add(tag_column % len(cols))
        columns.append([c for k, c in enumerate(cols) if k not in used])
    if tokens:
        yield _sentence(tokens, tags, columns, first, tag_column)


def _sentence(tokens: list[str], tags: list[str], columns: list[list[str]], line: int,
              tag_column: int | None) -> Sentence:
    """A read sentence; ``columns`` is ``[]`` when the file has no feature columns."""
    return Sentence(tokens, tags if tag_column is not None else None,
                    columns if columns and columns[0] else [], line)


def _as_sentence(item: Sentence | tuple[Sequence[str], Sequence[str] | None] | Sequence[str]) -> Sentence:
    if isinstance(item, Sentence):
        return item
    if isinstance(item, tuple) and len(item) == 2 and not isinstance(item[0], str):
        toks, tags = item
        return Sentence(list(toks), list(tags) if tags is not None else None)
    return Sentence(list(item), None)


def _check_field(value: str, what: str, n: int) -> None:
    """A field that :func:`read_conll` would read back unchanged (ValueError otherwise)."""
    if not value or any(c in value for c in "\t\n\r") or value != value.strip(" ") \
            or (what == "token" and value == DOCSTART):
        raise ValueError(f"sentence {n}: {what} {value!r} cannot be written to a CoNLL file "
                         "(empty, surrounding spaces, TAB or line break, or -DOCSTART-)")


def format_conll(sentences: Iterable[Sentence | tuple]) -> Iterator[str]:
    """The text of a CoNLL file, one sentence (ending with a blank line) at a time."""
    for n, item in enumerate(sentences, 1):
        s = _as_sentence(item)
        if s.tags is not None and len(s.tags) != len(s.tokens):
            raise ValueError(f"sentence {n}: {len(s.tokens)} tokens but {len(s.tags)} tags")
        if s.columns and len(s.columns) != len(s.tokens):
            raise ValueError(f"sentence {n}: {len(s.tokens)} tokens but {len(s.columns)} column rows")
        lines = []
        for i, tok in enumerate(s.tokens):
            _check_field(tok, "token", n)
            cols = [tok, *(s.columns[i] if s.columns else [])]
            if s.tags is not None:
                _check_field(s.tags[i], "tag", n)
                cols.append(s.tags[i])
            if len(cols) == 1 and " " in tok:
                raise ValueError(f"sentence {n}: token {tok!r} has a space and no other column "
                                 "(it would read back as two columns)")
            lines.append("\t".join(cols))
        if lines:
            yield "\n".join(lines) + "\n\n"


def write_conll(sentences: Iterable[Sentence | tuple], path_or_file: str | Path | IO[str]) -> None:
    """Write sentences (or ``(tokens, tags)``) as ``token<TAB>[features<TAB>]tag`` lines, a path atomically."""
    if isinstance(path_or_file, (str, Path)):
        with atomic_output(path_or_file) as f:
            for chunk in format_conll(sentences):
                f.write(chunk)
    else:
        for chunk in format_conll(sentences):
            path_or_file.write(chunk)


def words_to_bmes(words: Iterable[str]) -> list[str]:
    """Character tags of a segmented sentence: ``S`` for one-character words, else ``B M... E``."""
    tags: list[str] = []
    for w in words:
        n = len(w)
        if n == 1:
            tags.append("S")
        elif n > 1:
            tags.append("B")
            tags.extend("M" * (n - 2))
            tags.append("E")
    return tags


def bmes_to_words(chars: Sequence[str], tags: Sequence[str]) -> list[str]:
    """Words from characters and BMES tags (``B-X`` by prefix), robust to illegal sequences; other tags are words."""
    if len(chars) != len(tags):
        raise ValueError(f"{len(chars)} characters but {len(tags)} tags")
    words: list[str] = []
    cur = ""
    for ch, tag in zip(chars, tags):
        p = tag[:1] if len(tag) == 1 or tag[1:2] == "-" else ""
        if p in ("B", "S") or p not in ("M", "E"):
            if cur:
                words.append(cur)
            cur = ch
        else:
            cur += ch
        if p not in ("B", "M"):  # E, S and unknown tags close the word
            words.append(cur)
            cur = ""
    if cur:
        words.append(cur)
    return words


def read_segmented_sentences(path: str | Path, *, encoding: str = "utf-8",
                             allow_empty: bool = False) -> Iterator[Sentence]:
    """Segmented text (a sentence a line) as character sentences with BMES tags, for word segmentation."""
    for lineno, line in enumerate(read_lines(path, encoding, allow_empty=allow_empty), 1):
        words = line.split()
        if not words:
            continue
        chars = [c for w in words for c in w]
        yield Sentence(chars, words_to_bmes(words), [], lineno, [lineno] * len(chars))


_CONLLU_COLUMNS = {"upos": 3, "xpos": 4}


def read_conllu(path: str | Path, *, column: str = "upos", encoding: str = "utf-8",
                allow_empty: bool = False) -> Iterator[Sentence]:
    """CoNLL-U words (FORM) tagged with UPOS (or XPOS); comments, ranges (``1-2``) and empty nodes skipped."""
    key = column.lower()
    if key not in _CONLLU_COLUMNS:
        raise ValueError(f"column must be 'upos' or 'xpos', not {column!r}")
    col = _CONLLU_COLUMNS[key]
    name = input_name(path)
    words: list[str] = []
    tags: list[str] = []
    lines: list[int] = []
    for lineno, line in enumerate(read_lines(path, encoding, allow_empty=allow_empty), 1):
        if not line.strip():
            if words:
                yield Sentence(words, tags, [], lines[0], lines)
                words, tags, lines = [], [], []
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            raise InputError(name, f"expected 10 TAB-separated CoNLL-U columns, found {len(cols)}",
                             lineno, line)
        wid = cols[0]
        if "-" in wid or "." in wid:
            continue
        if not wid.isdigit():
            raise InputError(name, f"bad word ID {wid!r} (expected a number, a range 1-2 or an "
                                   "empty node 1.1)", lineno, line)
        if not cols[1] or not cols[col]:
            raise InputError(name, f"empty FORM or {key.upper()}", lineno, line)
        words.append(cols[1])
        tags.append(cols[col])
        lines.append(lineno)
    if words:
        yield Sentence(words, tags, [], lines[0], lines)


def split_word_pos(token: str) -> tuple[str, str] | None:
    """``word/pos`` → (word, pos) at the last ``/``, People's Daily brackets dropped (``政府/n]nt`` → 政府/n)."""
    if token.startswith("[") and token.rfind("/") > 1:
        token = token[1:]
    slash = token.rfind("/")
    close = token.rfind("]")
    if close > slash > 0:
        token = token[:close]
    word, sep, pos = token.rpartition("/")
    if not sep or not word or not pos:
        return None
    return word, pos


def read_word_pos(path: str | Path, *, encoding: str = "utf-8",
                  allow_empty: bool = False) -> Iterator[Sentence]:
    """People's Daily text (``word/pos`` tokens, a sentence a line) as word sentences tagged with POS."""
    name = input_name(path)
    for lineno, line in enumerate(read_lines(path, encoding, allow_empty=allow_empty), 1):
        items = line.split()
        if not items:
            continue
        words, tags = [], []
        for item in items:
            wp = split_word_pos(item)
            if wp is None:
                raise InputError(name, f"token {item!r} is not word/pos", lineno, line)
            words.append(wp[0])
            tags.append(wp[1])
        yield Sentence(words, tags, [], lineno, [lineno] * len(words))


__all__ = ["Sentence", "DOCSTART", "split_columns", "read_conll", "write_conll", "format_conll",
           "words_to_bmes", "bmes_to_words", "read_segmented_sentences", "read_conllu",
           "split_word_pos", "read_word_pos"]
