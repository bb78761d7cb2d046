"""What a training file holds, and loose checks that refuse in seconds data that cannot be what the user meant."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ..errors import InputError
from .schemes import entities, parse_tag, tag_in_scheme

MAX_TAGS = 200  # UPOS has 17 tags, People's Daily and CTB 30-50, NER sets a few dozen: more is the wrong column
MAX_CLASSES = 200
MIN_ROWS_FOR_RATIO = 20  # from this many rows on, more distinct labels than half the rows is not classes
MAX_WORD_CHARS = 4.0  # segmented Chinese words average under 2 characters
MAX_SKIPPED_SHARE = 0.5  # a reader that skips more of its lines has the wrong format or columns
_SHOWN = 12  # labels listed in a summary line


@dataclass
class DataSummary:
    """What one file of a training run holds (printed before training)."""

    path: str
    split: str = "train"            # train | dev | test
    format: str = ""                # conll, segmented, csv, xlsx, tsv pairs...
    units: str = "sentences"        # sentences | rows | pairs
    count: int = 0
    tokens: int = 0
    distinct_tokens: int = 0
    label_kind: str = "tags"        # tags | entity types | classes ("" for none)
    labels: dict[str, int] = field(default_factory=dict)   # label -> count, most frequent first
    scheme: str | None = None
    notes: list[str] = field(default_factory=list)
    token_label: str = "tokens"     # what ``tokens`` counts (source tokens of a pair file)

    def describe(self) -> str:
        """``train a.bio (conll, BIO): 120 sentences, 2,345 tokens (456 distinct); 3 entity types: ...``."""
        how = ", ".join(x for x in (self.format, self.scheme) if x)
        text = (f"{self.split} {self.path}{f' ({how})' if how else ''}: {_plural(self.count, self.units)}, "
                f"{self.tokens:,} {self.token_label} ({self.distinct_tokens:,} distinct)")
        if self.label_kind:
            shown = ", ".join(f"{k or '(untyped)'} {v:,}" for k, v in list(self.labels.items())[:_SHOWN])
            more = f", ... {len(self.labels) - _SHOWN} more" if len(self.labels) > _SHOWN else ""
            text += f"; {_plural(len(self.labels), self.label_kind)}: {shown}{more}"
        return text + "".join(f"; {n}" for n in self.notes)


def _plural(n: int, words: str) -> str:
    """``3 classes``, ``1 class``: ``words`` is a plural (sentences, rows, pairs, tags, entity types, classes)."""
    return f"{n:,} {words if n != 1 else words[:-2] if words.endswith('sses') else words[:-1]}"


def counted(values: Iterable[str]) -> dict[str, int]:
    """Counts of ``values``, most frequent first (ties in first-seen order)."""
    return dict(Counter(values).most_common())


def _tag_example(tags: Sequence[str]) -> str:
    return ", ".join(repr(t) for t in list(dict.fromkeys(tags))[:3])


def check_ner_tags(sentences: Sequence, path: str) -> None:
    """Refuse a NER tag that is not ``O`` or ``PREFIX[-TYPE]``, with a hint when the columns look swapped."""
    for s in sentences:
        for i, tag in enumerate(s.tags):
            if parse_tag(tag) is None:
                tokens = [t for x in sentences[:200] for t in x.tokens]
                swapped = sum(parse_tag(t) is not None for t in tokens) > len(tokens) / 2
                hint = ("; the first column holds the tags: are the token and tag columns swapped? "
                        "(train-ner reads the token first, its tag last)") if swapped else \
                    " (train-ner's tags are O or B-/I-/E-/S-/M- and a type, e.g. B-PER, in the last column)"
                raise InputError(path, f"{tag!r} is not a NER tag{hint}", s.line_of(i), None)


def check_scheme_of(sentences: Sequence, path: str, scheme: str, split: str) -> None:
    """Refuse a dev/test tag outside the training data's ``scheme`` (repairing would rewrite its entities)."""
    for s in sentences:
        for i, tag in enumerate(s.tags):
            if not tag_in_scheme(tag, scheme):
                raise InputError(path, f"tag {tag!r} is not a {scheme} tag, the scheme of the training data: the "
                                       f"{split} and training files must use one scheme", s.line_of(i))


def summarize_tagging(sentences: Sequence, path: str, split: str, task: str, fmt: str,
                      scheme: str | None) -> DataSummary:
    """The summary of tagged ``sentences``: entity types (NER) or tags (CWS, POS) with counts."""
    tokens = [t for s in sentences for t in s.tokens]
    if task == "ner":
        labels = counted(e[0] for s in sentences for e in entities(s.tags))
        kind = "entity types"
    else:
        labels = counted(t for s in sentences for t in s.tags)
        kind = "tags"
    summary = DataSummary(path, split, fmt, "sentences", len(sentences), len(tokens), len(set(tokens)), kind,
                          labels, scheme)
    if task == "cws":
        words = sum(1 for s in sentences for t in s.tags if t[:1] in ("B", "S"))
        summary.notes.append(f"{words:,} words")
    return summary


def check_tagging(sentences: Sequence, summary: DataSummary, task: str) -> None:
    """Refuse tagged data of the wrong column, task or format; ``summary`` is :func:`summarize_tagging`'s."""
    path = summary.path
    tags = counted(t for s in sentences for t in s.tags)
    if len(tags) > MAX_TAGS:
        raise InputError(path, f"{len(tags):,} distinct tags (e.g. {_tag_example(list(tags))}); a tag set has at "
                               f"most a few dozen: is the tag column the last one, and is this {task.upper()} data?")
    if task == "ner":
        if not summary.labels:
            raise InputError(path, f"no entity in {summary.count:,} sentences (every tag is "
                                   f"{_tag_example(list(tags))}): a NER model would learn to tag everything O")
        if "O" not in tags and set(summary.labels) == {""} and set(tags) <= set("BIMES"):
            raise InputError(path, "every token is tagged B/M/E/S with no O and no entity type: this is word "
                                   "segmentation data (use train-cws)")
    elif task == "cws":
        bad = [t for t in tags if (parse_tag(t) or ("",))[0] not in ("B", "M", "E", "S")]
        if bad:
            what = " (NER tags: use train-ner)" if any(parse_tag(t) for t in bad) else ""
            raise InputError(path, f"tag {bad[0]!r} is not a word segmentation tag (B, M, E or S){what}",
                             _first_line(sentences, bad[0]))
        chars_per_word = summary.tokens / max(1, sum(1 for s in sentences for t in s.tags if t[:1] in ("B", "S")))
        if chars_per_word > MAX_WORD_CHARS:
            raise InputError(path, f"words average {chars_per_word:.1f} characters (segmented Chinese: under 2): "
                                   "is this unsegmented text? train-cws reads words separated by spaces")
    elif task == "pos" and all(parse_tag(t) is not None for t in tags) and any(t[:1] == "B" for t in tags):
        what = "NER (B-/I-/O) tags: use train-ner" if any(parse_tag(t)[1] or t == "O" for t in tags) else \
            "word segmentation (B/M/E/S) tags: use train-cws"
        raise InputError(path, f"the tags ({_tag_example(list(tags))}) are {what}, not parts of speech")
    if summary.split == "train" and summary.distinct_tokens < 2:
        token = sentences[0].tokens[0]
        raise InputError(path, f"one distinct token ({token!r}) in {summary.tokens:,}: is this a {task.upper()} "
                               "training file in the format it was read as?")


def _first_line(sentences: Sequence, tag: str) -> int | None:
    for s in sentences:
        if tag in s.tags:
            return s.line_of(s.tags.index(tag))
    return None


def check_skipped(path: str, skipped: int, total: int, what: str, hint: str) -> None:
    """Refuse a file whose reader skipped more than :data:`MAX_SKIPPED_SHARE` of its lines (``what``: why)."""
    if total and skipped > MAX_SKIPPED_SHARE * total:
        raise InputError(path, f"{skipped:,} of {total:,} {what}: {hint}")


def check_classes(summary: DataSummary, label_column: str) -> None:
    """Refuse a classifier's training labels that are one class, or too many to be classes."""
    n, rows = len(summary.labels), summary.count
    if n < 2:
        label = next(iter(summary.labels), "")
        raise InputError(summary.path, f"only one label ({label!r}) in the training data; a classifier needs two")
    if n > MAX_CLASSES or (rows >= MIN_ROWS_FOR_RATIO and n > rows / 2):
        raise InputError(summary.path, f"label column {label_column!r} has {n:,} distinct values in {rows:,} rows: "
                                       "classes repeat; is it a text or id column? (--label-col, --text-col)")
    if summary.distinct_tokens < 2:
        raise InputError(summary.path, f"every text is made of one token ({summary.distinct_tokens} distinct): "
                                       "is the text column right? (--text-col)")


def has_chinese(text: str) -> bool:
    """Whether ``text`` has a CJK unified ideograph."""
    return any("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in text)


def check_languages(path: str, texts: Sequence[str], lang: str, side: str, column: int) -> None:
    """Refuse a pair file's ``side`` whose text does not look like ``lang`` (zh: Chinese in half its lines or more)."""
    chinese = sum(has_chinese(t) for t in texts)
    if (lang == "zh") != (chinese >= len(texts) / 2):
        option = "--src-lang" if side == "source" else "--tgt-lang"
        raise InputError(path, f"{side} column {column} ({option} {lang}) has Chinese in {chinese:,} of "
                               f"{len(texts):,} lines: are --src-col/--tgt-col (or --src-lang/--tgt-lang) right?")


def check_pairs_vary(path: str, src: Sequence[str], tgt: Sequence[str]) -> None:
    """Refuse pairs whose source or target is the same text in every line."""
    for side, texts in (("source", src), ("target", tgt)):
        if len(texts) > 1 and len(set(texts)) == 1:
            raise InputError(path, f"every {side} is the same text ({texts[0][:30]!r}): is the {side} column right?")


__all__ = ["DataSummary", "MAX_TAGS", "MAX_CLASSES", "MAX_WORD_CHARS", "MAX_SKIPPED_SHARE", "counted",
           "check_ner_tags", "check_scheme_of", "summarize_tagging", "check_tagging", "check_skipped", "check_classes",
           "check_languages", "check_pairs_vary", "has_chinese"]
