"""Tagged corpora in any format taggers read, detected from the first lines, read as sentences for a task;
NER files converted between CoNLL schemes and span JSON."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..checks import check_choice
from ..errors import InputError
from ..io import atomic_output, check_output_path, input_name, read_lines
from . import conll, spans
from .datacheck import check_ner_tags
from .schemes import convert, detect_scheme, entities, validate

DATA_FORMATS = ("auto", "conll", "conllu", "segmented", "word-pos", "spans")
CONVERT_TO = ("bio", "bioes", "bmes", "spans")


def detect_format(path: str | Path, encoding: str = "utf-8", sample: int = 50) -> str:
    """A tagging file's format by its first lines (span JSON, CoNLL-U, word/pos, CoNLL, else segmented)."""
    counts, word_pos, n = set(), 0, 0
    for line in read_lines(path, encoding, allow_empty=True):
        s = line.strip()
        if not s or s.startswith("#") or s.startswith("-DOCSTART-"):
            continue
        if not n and s[0] in "{[":
            try:
                obj = json.loads(s)
            except ValueError:
                obj = None
            if isinstance(obj, dict):
                return "spans"  # its reader names a line that is not span JSON
            if obj is not None:
                raise InputError(str(path), f"JSON lines, not a tagging format: give CoNLL (a token and its tag "
                                            f"a line, a blank line between sentences), CoNLL-U, segmented text, "
                                            f"word/pos text or span JSON ({spans.SPAN_HELP})", 1 + n)
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
                                    "token and its NER tag (B-PER, O...) a line, or span JSON")
    if task != "ner" and fmt == "spans":
        raise InputError(str(path), f"span JSON holds entities (train-ner), not {task.upper()} tags")
    return fmt


def read_examples(path: str | Path, task: str, fmt: str = "auto", encoding: str = "utf-8",
                  scheme: str | None = None) -> list:
    """Tagged sentences of a training/evaluation file for ``task`` (CWS: characters with B/M/E/S from words;
    span JSON: characters without whitespace, tagged in ``scheme``, BIOES by default)."""
    fmt = resolve_format(path, task, fmt, encoding)
    if fmt == "spans":
        sents = list(spans.read_spans(path, scheme or "BIOES", encoding=encoding))
    elif task == "cws":
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


@dataclass
class Converted:
    """What :func:`convert_file` did: sentences and entities written, the input's format, sentences repaired."""

    sentences: int = 0
    entities: int = 0
    source: str = ""  # BIO, BIOES, BMES or spans
    repaired: int = 0  # sentences with illegal tag sequences, converted as conlleval reads them


def convert_file(src: str | Path, dst: str | Path, to: str, encoding: str = "utf-8") -> Converted:
    """Convert an NER file (CoNLL in BIO/BIOES/BMES, or span JSON in either form; detected) to ``to`` (bio, bioes,
    bmes: CoNLL, feature columns kept; spans: form A, ends inclusive), written atomically."""
    check_choice("--to", to, CONVERT_TO)
    check_output_path(dst, [str(src)])
    name, fmt, done = input_name(src), resolve_format(src, "ner", "auto", encoding), Converted()
    if fmt == "spans":
        done.source = "spans"
        found = [(text, ents) for _, text, ents in spans.read_span_lines(src, encoding=encoding)]
        sents = [] if to == "spans" else [s for text, ents in found
                                          if (s := spans.spans_to_sentence(text, ents, to)).tokens]
    else:
        sents = list(conll.read_conll(src, encoding=encoding))
        check_ner_tags(sents, name)
        try:
            done.source = detect_scheme(s.tags for s in sents)
        except ValueError as exc:
            raise InputError(name, str(exc)) from None
        done.repaired = sum(bool(validate(s.tags, done.source)) for s in sents)
        found = [spans.sentence_spans(s.tokens, s.tags) for s in sents] if to == "spans" else []
        sents = [conll.Sentence(s.tokens, convert(s.tags, to), s.columns) for s in sents] if to != "spans" else []
    if to == "spans":
        done.sentences, done.entities = len(found), sum(len(ents) for _, ents in found)
        with atomic_output(dst) as f:
            f.writelines(spans.format_span_line(text, ents) + "\n" for text, ents in found)
    else:
        done.sentences, done.entities = len(sents), sum(len(entities(s.tags)) for s in sents)
        conll.write_conll(sents, dst)
    return done


__all__ = ["DATA_FORMATS", "CONVERT_TO", "detect_format", "resolve_format", "read_examples", "Converted",
           "convert_file"]
