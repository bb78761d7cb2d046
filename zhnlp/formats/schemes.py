"""Tag schemes (BIO, BIOES, BMES): reading entities as conlleval does, converting, validating, repairing."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from ..errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from .conll import Sentence

SCHEMES: tuple[str, ...] = ("BIO", "BIOES", "BMES")
SCHEME_PREFIXES: dict[str, frozenset[str]] = {
    "BIO": frozenset("BI"), "BIOES": frozenset("BIES"), "BMES": frozenset("BMES")}
_INSIDE = {"BIO": "I", "BIOES": "I", "BMES": "M"}

Entity = tuple[str, int, int]  # (type, start, end exclusive); type "" for untyped tags


def check_scheme(scheme: str) -> str:
    """The canonical scheme name (case-insensitive; ``IOB2`` is BIO, ``IOBES`` is BIOES)."""
    s = scheme.upper()
    s = {"IOB2": "BIO", "IOBES": "BIOES", "BILOU": "BIOES"}.get(s, s)
    if s not in SCHEMES:
        raise ValueError(f"unknown tag scheme {scheme!r} (expected one of {', '.join(SCHEMES)})")
    return s


def parse_tag(tag: str) -> tuple[str, str] | None:
    """(prefix, type): ``B-PER`` → ``("B", "PER")``, ``S`` → ``("S", "")``; None for ``<pad>``, ``X-FOO``, ``B-``."""
    if tag == "O":
        return ("O", "")
    if len(tag) == 1:
        return (tag, "") if tag in "BIMES" else None
    if len(tag) > 2 and tag[1] == "-" and tag[0] in "BIMES":
        return tag[0], tag[2:]
    return None


def make_tag(prefix: str, etype: str) -> str:
    """The tag for a prefix and type (bare prefix when the type is empty)."""
    return prefix if prefix == "O" or not etype else f"{prefix}-{etype}"


def tag_in_scheme(tag: str, scheme: str) -> bool:
    """Whether ``tag`` is ``O`` or has a prefix the scheme uses."""
    return _in_scheme(tag, check_scheme(scheme)) is not None


def _in_scheme(tag: str, scheme: str) -> tuple[str, str] | None:
    """``parse_tag(tag)`` where it is ``O`` or a tag of the canonical ``scheme``, else None."""
    p = parse_tag(tag)
    return p if p is not None and (p[0] == "O" or p[0] in SCHEME_PREFIXES[scheme]) else None


def detect_scheme(tags: Iterable[str] | Iterable[Sequence[str]]) -> str:
    """The scheme of tags or tag sequences: BMES for an ``M`` prefix, else BIOES for ``E``/``S``, else BIO."""
    seen: set[str] = set()
    for item in tags:
        for tag in ([item] if isinstance(item, str) else item):
            p = parse_tag(tag)
            if p is not None:
                seen.add(p[0])
        if {"M", "I"} <= seen:
            raise ValueError("tags mix I- and M- prefixes (BIO/BIOES and BMES): not one scheme")
    if "M" in seen:
        return "BMES"
    if seen & {"E", "S"}:
        return "BIOES"
    return "BIO"


def _check_in_scheme(tags: Sequence[str], scheme: str) -> None:
    for i, tag in enumerate(tags):
        if parse_tag(tag) is not None and _in_scheme(tag, scheme) is None:
            raise ValueError(f"tag {tag!r} at position {i} is not a {scheme} tag")


def entities(tags: Sequence[str], scheme: str | None = None) -> list[Entity]:
    """Entities as conlleval reads them (M as I; B, S, O or another type close one; I/M/E open one where none is
    open); ``scheme`` makes a prefix it lacks a ValueError; unparsable tags are O."""
    if scheme is not None:
        _check_in_scheme(tags, check_scheme(scheme))
    out: list[Entity] = []
    start = -1
    etype = ""
    for i, tag in enumerate(tags):
        p = parse_tag(tag)
        prefix, ty = p if p is not None else ("O", "")
        if start >= 0 and (prefix in "BSO" or ty != etype):
            out.append((etype, start, i))
            start = -1
        if prefix in "BS" or (prefix in "IME" and start < 0):
            start, etype = i, ty
        if prefix in "ES":
            out.append((etype, start, i + 1))
            start = -1
    if start >= 0:
        out.append((etype, start, len(tags)))
    return out


def entities_to_tags(ents: Iterable[Entity], length: int, scheme: str) -> list[str]:
    """Tags in ``scheme`` for non-overlapping entities over ``length`` tokens (the rest ``O``)."""
    scheme = check_scheme(scheme)
    inside = _INSIDE[scheme]
    tags = ["O"] * length
    for ty, s, e in ents:
        if not 0 <= s < e <= length:
            raise ValueError(f"entity {(ty, s, e)} outside a sequence of {length} tokens")
        if scheme != "BIO" and e - s == 1:
            tags[s] = make_tag("S", ty)
            continue
        tags[s:e] = [make_tag("B", ty)] + [make_tag(inside, ty)] * (e - s - 1)
        if scheme != "BIO":
            tags[e - 1] = make_tag("E", ty)
    return tags


def convert(tags: Sequence[str], to_scheme: str, from_scheme: str | None = None) -> list[str]:
    """The entities of ``tags`` (read by :func:`entities`, so illegal input comes out repaired) in ``to_scheme``."""
    return entities_to_tags(entities(tags, from_scheme), len(tags), to_scheme)


def repair(tags: Sequence[str], scheme: str) -> list[str]:
    """A legal sequence in ``scheme`` with the entities conlleval reads from ``tags`` (legal ones unchanged)."""
    return convert(tags, scheme)


def _allowed(prev: tuple[str, str] | None, cur: tuple[str, str] | None, scheme: str) -> bool:
    """Whether ``cur`` may follow ``prev`` (None: the sentence start / end)."""
    if cur is None:  # end of sentence
        return prev is None or prev[0] == "O" or scheme == "BIO" or prev[0] in "ES"
    cp, ct = cur
    if cp == "O" or cp == "B" or cp == "S":
        return prev is None or prev[0] == "O" or scheme == "BIO" or prev[0] in "ES"
    # cp is the inside prefix (I or M) or E: only after B/inside of the same type
    return prev is not None and prev[0] in ("B", _INSIDE[scheme]) and prev[1] == ct


def validate(tags: Sequence[str], scheme: str) -> list[tuple[int, str | None, str | None]]:
    """Illegal transitions ``(index, previous tag, tag)``, None at the start or where the last tag may not end."""
    scheme = check_scheme(scheme)
    bad: list[tuple[int, str | None, str | None]] = []
    prev_tag: str | None = None
    prev: tuple[str, str] | None = None
    for i, tag in enumerate(tags):
        cur = _in_scheme(tag, scheme)
        if cur is None:
            bad.append((i, prev_tag, tag))
            prev_tag, prev = tag, ("O", "")  # read as O: what follows is judged after an O
            continue
        if not _allowed(prev, cur, scheme):
            bad.append((i, prev_tag, tag))
        prev_tag, prev = tag, cur
    if tags and not _allowed(prev, None, scheme):
        bad.append((len(tags), prev_tag, None))
    return bad


def allowed_transitions(tagset: Sequence[str], scheme: str
                        ) -> tuple[list[bool], list[list[bool]], list[bool]]:
    """``(start, trans, end)`` masks for constrained decoding; tags outside ``scheme`` are allowed everywhere."""
    scheme = check_scheme(scheme)
    parsed = [_in_scheme(tag, scheme) for tag in tagset]
    start = [p is None or _allowed(None, p, scheme) for p in parsed]
    end = [p is None or _allowed(p, None, scheme) for p in parsed]
    trans = [[a is None or b is None or _allowed(a, b, scheme) for b in parsed] for a in parsed]
    return start, trans, end


def iter_checked(sentences: Iterable["Sentence"], scheme: str, path: str | None = None, *,
                 repair: bool = False) -> Iterator["Sentence"]:
    """Stream sentences, refusing illegal tags with the token's line, or with ``repair`` repairing them in place."""
    scheme = check_scheme(scheme)
    for s in sentences:
        if s.tags is None:
            raise InputError(path, "sentence has no tags to check", s.line)
        problems = validate(s.tags, scheme)
        if problems:
            if not repair:
                i, prev, tag = problems[0]
                if tag is None:
                    msg = f"illegal {scheme} tag sequence: sentence ends with {prev!r}"
                    i = len(s.tags) - 1
                elif not tag_in_scheme(tag, scheme):
                    msg = f"tag {tag!r} is not a {scheme} tag"
                elif prev is None:
                    msg = f"illegal {scheme} tag sequence: sentence starts with {tag!r}"
                else:
                    msg = f"illegal {scheme} tag sequence: {tag!r} after {prev!r}"
                extra = f" ({len(problems)} problems in this sentence; --repair / repair=True fixes " \
                        "them as conlleval reads them)"
                raise InputError(path, msg + extra, s.line_of(i), s.tokens[i] if s.tokens else None)
            s.tags = convert(s.tags, scheme)
        yield s


def check_sentences(sentences: Iterable["Sentence"], scheme: str, path: str | None = None,
                    repair: bool = False) -> list["Sentence"]:
    """All sentences checked (or repaired in place) by :func:`iter_checked`, as a list."""
    return list(iter_checked(sentences, scheme, path, repair=repair))


__all__ = ["SCHEMES", "Entity", "check_scheme", "parse_tag", "make_tag", "tag_in_scheme",
           "detect_scheme", "entities", "entities_to_tags", "convert", "repair", "validate",
           "allowed_transitions", "iter_checked", "check_sentences"]
