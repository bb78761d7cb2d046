"""Span JSON lines: a sentence's text and its entities by character offsets, one JSON object a line.

Two forms are read; form A is written:

- form A, as CLUENER and several Chinese NER corpora are released, ends INCLUSIVE:
  ``{"text": "张三在北京", "label": {"PER": {"张三": [[0, 1]]}, "LOC": {"北京": [[3, 4]]}}}``
- form B, as doccano exports, ends EXCLUSIVE:
  ``{"text": "张三在北京", "entities": [[0, 2, "PER"], [3, 5, "LOC"]]}`` (or ``"label": [...]``; doccano's
  ``{"start_offset", "end_offset", "label"}`` objects too).

A sentence is its text's characters without whitespace (taggers drop whitespace from raw text too): whitespace
keeps its place in the offsets but gets no tag, and a span of whitespace only is an error.
"""
from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, pairwise
from pathlib import Path

from ..errors import InputError
from ..io import input_name, read_lines
from .conll import Sentence
from .schemes import Entity, entities, entities_to_tags

SPAN_HELP = ('span JSON lines need a "text" string and its spans: "label": {TYPE: {STRING: [[start, end], ...]}} '
             '(ends inclusive) or "entities"/"label": [[start, end, TYPE], ...] (ends exclusive)')


def _entity(text: str, ty, start, end, string=None, inclusive: bool = False) -> Entity:
    """(type, start, end exclusive) of one span, checked against ``text`` (ValueError naming the span)."""
    shown = json.dumps([start, end - inclusive if type(end) is int else end] if string is not None
                       else [start, end, ty], ensure_ascii=False)
    where = f"{ty} {string!r} {shown}" if string is not None else f"span {shown}"
    if not isinstance(ty, str) or not ty or any(c.isspace() for c in ty):
        raise ValueError(f"{where}: entity type {ty!r} is not a non-empty string without spaces")
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
        raise ValueError(f"{where}: offsets must be integers")
    if not 0 <= start < end <= len(text):
        raise ValueError(f"{where}: empty or outside the text of {len(text)} characters (ends "
                         f"{'inclusive' if inclusive else 'exclusive'})")
    if string is not None and text[start:end] != string:
        raise ValueError(f"{where}: the text there is {text[start:end]!r}")
    if text[start:end].isspace():
        raise ValueError(f"{where}: whitespace only")
    return ty, start, end


def _pairs(value, what: str) -> list:
    if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 for p in value):
        raise ValueError(f"{what}: expected a list of [start, end] pairs, found {json.dumps(value, ensure_ascii=False)}")
    return value


def parse_span_line(line: str) -> tuple[str, list[Entity]]:
    """The text and entities (type, start, end EXCLUSIVE; sorted) of one line in either form; ValueError on spans
    that do not match the text (outside it, empty, overlapping, another string than form A names, bad types)."""
    try:
        obj = json.loads(line)
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    text = obj.get("text") if isinstance(obj, dict) else None
    spans = obj.get("entities", obj.get("label")) if isinstance(obj, dict) else None
    if not isinstance(text, str) or not isinstance(spans, (dict, list)):
        raise ValueError(SPAN_HELP)
    if isinstance(spans, dict):  # form A: {TYPE: {STRING: [[start, end inclusive], ...]}}
        if not all(isinstance(found, dict) for found in spans.values()):
            raise ValueError(f'"label" of type {{STRING: [[start, end], ...]}} expected: {SPAN_HELP}')
        found = [_entity(text, ty, s, e + 1 if type(e) is int else e, string, True)
                 for ty, strings in spans.items() for string, pairs in strings.items()
                 for s, e in _pairs(pairs, f"{ty} {string!r}")]
    else:  # form B: [[start, end exclusive, TYPE], ...]
        items = [[x.get("start_offset"), x.get("end_offset"), x.get("label")] if isinstance(x, dict) else x
                 for x in spans]
        bad = next((x for x in items if not isinstance(x, list) or len(x) != 3), None)
        if bad is not None:
            raise ValueError(f"span {json.dumps(bad, ensure_ascii=False)}: expected [start, end, TYPE]")
        found = [_entity(text, ty, s, e) for s, e, ty in items]
    ents = sorted(set(found), key=lambda e: (e[1], e[2], e[0]))
    for a, b in pairwise(ents):
        if b[1] < a[2]:
            raise ValueError(f"spans overlap: {a[0]} {text[a[1]:a[2]]!r} at {a[1]}-{a[2]} and {b[0]} "
                             f"{text[b[1]:b[2]]!r} at {b[1]}-{b[2]} (ends exclusive); a tagger needs one entity "
                             "a character")
    return text, ents


def read_span_lines(path: str | Path, *, encoding: str = "utf-8",
                    allow_empty: bool = False) -> Iterator[tuple[int, str, list[Entity]]]:
    """(line number, text, entities) of each non-blank line of a span JSON file; bad lines name file:line."""
    name = input_name(path)
    for lineno, line in enumerate(read_lines(path, encoding, allow_empty=allow_empty), 1):
        if not line.strip():
            continue
        try:
            text, ents = parse_span_line(line)
        except ValueError as exc:
            raise InputError(name, str(exc), lineno) from None
        yield lineno, text, ents


def spans_to_sentence(text: str, ents: Iterable[Entity], scheme: str = "BIOES", line: int = 0) -> Sentence:
    """The text's non-whitespace characters tagged in ``scheme`` for entities given as character offsets."""
    keep = [i for i, c in enumerate(text) if not c.isspace()]
    tokens = [(ty, bisect_left(keep, s), bisect_left(keep, e)) for ty, s, e in ents]
    return Sentence([text[i] for i in keep], entities_to_tags(tokens, len(keep), scheme), [], line,
                    [line] * len(keep))


def read_spans(path: str | Path, scheme: str = "BIOES", *, encoding: str = "utf-8",
               allow_empty: bool = False) -> Iterator[Sentence]:
    """Sentences of a span JSON file (either form), characters tagged in ``scheme``; blank texts skipped."""
    for lineno, text, ents in read_span_lines(path, encoding=encoding, allow_empty=allow_empty):
        s = spans_to_sentence(text, ents, scheme, lineno)
        if s.tokens:
            yield s


def sentence_spans(tokens: Sequence[str], tags: Sequence[str],
                   scheme: str | None = None) -> tuple[str, list[Entity]]:
    """Text (the tokens joined) and the entities of ``tags`` as character offsets into it (end exclusive)."""
    starts = list(accumulate(map(len, tokens), initial=0))
    return "".join(tokens), [(ty, starts[s], starts[e]) for ty, s, e in entities(tags, scheme)]


def format_span_line(text: str, ents: Iterable[Entity]) -> str:
    """One form A line (no newline): ``{"text", "label": {TYPE: {STRING: [[start, end INCLUSIVE], ...]}}}``."""
    label: dict[str, dict[str, list[list[int]]]] = {}
    for ty, s, e in ents:
        label.setdefault(ty, {}).setdefault(text[s:e], []).append([s, e - 1])
    return json.dumps({"text": text, "label": label}, ensure_ascii=False)


def span_text(line: str) -> str:
    """What ``zhnlp tag`` tags for an input line: a span JSON object's ``"text"``, any other line as it is."""
    if line.lstrip()[:1] == "{":
        try:
            obj = json.loads(line)
        except ValueError:
            return line
        if isinstance(obj, dict) and isinstance(obj.get("text"), str):
            return obj["text"]
    return line


__all__ = ["SPAN_HELP", "parse_span_line", "read_span_lines", "spans_to_sentence", "read_spans",
           "sentence_spans", "format_span_line", "span_text"]
