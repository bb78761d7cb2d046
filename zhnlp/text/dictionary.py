"""User dictionaries and lexicons: messy real-world files (jieba, THUOCL, word lists), count policies, a per-user cache."""
from __future__ import annotations

import hashlib
import logging
import marshal
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DictionaryFormatError, InputError
from ..io import open_binary
from ..parallel import call_in_child
from ..resources import BUNDLED_DICTS, bundled_dict, cache_dir

logger = logging.getLogger(__name__)

FreqPolicy = str | int
"""``"auto"`` (default), ``"keep"``, ``"suggest"`` or a whole number; see :func:`resolve_freq`."""

#: Characters jieba keeps together in one block before looking words up (jieba's re_han_default).
JIEBA_BLOCK_RE = re.compile("[\u4E00-\u9FD5a-zA-Z0-9+#&._%\\-]+")
#: A number: digits (ASCII or full-width) with internal decimal/ratio separators.
NUMBER_RE = "[0-9\uFF10-\uFF19]+(?:[.\uFF0E\u00B7\u2236:\uFF1A/\uFF0F][0-9\uFF10-\uFF19]+)*"
_NUMBER = re.compile(NUMBER_RE)
#: POS tags that may end a line without a count (jieba's and ICTCLAS' sets).
_TAGS = (
    "a ad ag an b bg c d df dg e eng f g h i j k l m mg mq n ng nr nrfg nrt ns nt nz o p q r rg rr rz "
    "s t tg u ud ug uj ul uv uz v vd vg vi vn vq w x y yg z zg nrf nrj nsf vshi vyou vf vx vl al bl "
    "cc mq qv qt pba pbei ude1 ude2 ude3 udeng udh ule uguo uzhe uyy usuo ulian uls PER LOC ORG"
)
KNOWN_TAGS = frozenset(_TAGS.split())
_SPACE_LINE = re.compile(r"^(.*?)(?:\s+(\d+))?(?:\s+([A-Za-z][A-Za-z0-9]*))?$")
_SPACE_LINE_NO_TAG = re.compile(r"^(.*?)(?:\s+(\d+))?$")
_HASH_ENTRY = re.compile(r"^#\S+[ ]*\t[ ]*\d+")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
MAX_WORD_LENGTH = 200
CACHE_FORMAT = 3
_MAGIC = b"ZHNLPDC%d" % CACHE_FORMAT


@dataclass(frozen=True)
class Entry:
    """One lexicon entry. ``foreign`` marks a count on another scale than jieba's (TAB lexicons)."""

    word: str
    freq: int | None = None
    tag: str | None = None
    foreign: bool = False


def decode_text(data: bytes, path: str | Path, encoding: str = "utf-8") -> str:
    """Decode a whole file, dropping a BOM; a decoding error names the line it is on."""
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return data.decode(enc)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1 if b"\n" in data else data[: exc.start].count(b"\r") + 1
        raise InputError(path, f"not valid {encoding} (byte {data[exc.start]:#04x}); "
                               "pass --encoding (e.g. gb18030)", line) from None
    except LookupError:
        raise InputError(path, f"unknown encoding {encoding!r}") from None


def parse_lexicon_line(line: str) -> Entry | None:
    """One stripped line; None for blanks and ``#`` comments (not ``#include<TAB>33485``); ValueError names the problem."""
    if not line or (line.startswith("#") and not _HASH_ENTRY.match(line)):
        return None
    if _CONTROL.search(line):
        raise ValueError("control character in entry")
    if "\t" in line:
        fields = [f.strip() for f in line.split("\t")]
        word, rest = fields[0], [f for f in fields[1:]]
        if len(rest) > 2:
            raise ValueError(f"{len(fields)} TAB-separated fields (expected word, count, tag)")
        freq = tag = None
        if rest and rest[0]:
            if not rest[0].isdigit():
                raise ValueError(f"count {rest[0]!r} is not a whole number")
            freq = int(rest[0])
        if len(rest) == 2 and rest[1]:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", rest[1]):
                raise ValueError(f"tag {rest[1]!r} is not a POS tag")
            tag = rest[1]
        foreign = True
    else:
        m = _SPACE_LINE.match(line)
        word, freq_s, tag = m.group(1), m.group(2), m.group(3)
        if tag is not None and freq_s is None and tag not in KNOWN_TAGS:
            # "Hello world": a trailing word that is no known tag belongs to the entry.
            m = _SPACE_LINE_NO_TAG.match(line)
            word, freq_s, tag = m.group(1), m.group(2), None
        freq = int(freq_s) if freq_s is not None else None
        foreign = False
    word = word.strip()
    if not word:
        raise ValueError("empty word")
    if len(word) > MAX_WORD_LENGTH:
        raise ValueError(f"entry of {len(word)} characters (at most {MAX_WORD_LENGTH})")
    return Entry(word, freq, tag, foreign)


def read_lexicon(path: str | Path, *, skip_bad_lines: bool = False,
                 encoding: str = "utf-8") -> list[Entry]:
    """A lexicon in any supported format; a malformed line raises DictionaryFormatError (``skip_bad_lines``: a warning)."""
    path = Path(path)
    data = _read_bytes(path)
    text = decode_text(data, path, encoding)
    entries: list[Entry] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        try:
            entry = parse_lexicon_line(raw.rstrip().lstrip(" \u3000"))
        except ValueError as exc:
            err = DictionaryFormatError(path, str(exc), lineno, raw)
            if not skip_bad_lines:
                raise err from None
            logger.warning("skipping %s", err)
            continue
        if entry is not None:
            entries.append(entry)
    return entries


def _read_bytes(path: Path) -> bytes:
    with open_binary(path, "dictionary") as f:
        return f.read()


def resolve_dict_path(name_or_path: str | Path, kind: str = "lexicon") -> Path:
    """A path as given, or the file of a bundled dictionary name (``medical``, ``zh``...)."""
    p = Path(name_or_path)
    if p.exists() or os.sep in str(name_or_path) or p.suffix:
        return p
    bundled = bundled_dict(str(name_or_path))
    if bundled is None or bundled.kind != kind:
        names = ", ".join(n for n, d in BUNDLED_DICTS.items() if d.kind == kind)
        raise InputError(name_or_path, f"no such file, and no bundled {kind} of that name ({names})")
    return bundled.path


def jieba_dict_path() -> Path:
    """jieba's own main dictionary (dict.txt inside the jieba package), found without importing jieba."""
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.origin:
        raise InputError(None, "jieba is not installed")
    return Path(spec.origin).parent / "dict.txt"


def resolve_freq(policy: FreqPolicy) -> FreqPolicy:
    """Validate a count policy: ``auto`` keeps jieba-format counts and suggests the rest (TAB lexicons count on
    another scale); ``keep`` keeps every count; ``suggest`` suggests every count; N gives every word N.

    A suggested count is :data:`SUGGEST_MARGIN` times what makes the word beat its best split (jieba's
    ``suggest_freq``), never below the main dictionary's count for it.
    """
    if isinstance(policy, int):
        if policy < 1:
            raise ValueError("a fixed dictionary count must be at least 1")
        return policy
    text = str(policy).strip().lower()
    if text.isdigit():
        return resolve_freq(int(text))
    if text not in ("auto", "keep", "suggest"):
        raise ValueError(f"--dict-freq must be auto, keep, suggest or a whole number, not {policy!r}")
    return text


#: How far above the break-even count a suggested count lies, so that context rarely splits the word.
SUGGEST_MARGIN = 20


@dataclass
class PrefixDict:
    """What a jieba ``Tokenizer`` needs (``FREQ``, ``total``) plus zhnlp's extras."""

    freq: dict[str, int]
    total: int
    user_tags: dict[str, str] = field(default_factory=dict)
    protected: dict[str, str] = field(default_factory=dict)
    """Entries jieba's block splitting would break (spaces, punctuation): word -> tag."""
    shapes: list[str] = field(default_factory=list)
    """Number shapes learned from a custom main dictionary, e.g. ``D年`` or ``D.D%``."""


@dataclass(frozen=True)
class DictSpec:
    """Which files make up a segmenter's dictionary, and how to read them."""

    main_dict: str | None = None
    user_dicts: tuple[str, ...] = ()
    freq_policy: FreqPolicy = "auto"
    skip_bad_lines: bool = False
    encoding: str = "utf-8"
    main_count: int | None = None
    """Count for main-dictionary entries without one (default: median of given counts, else 100)."""

    def main_path(self) -> Path:
        return resolve_dict_path(self.main_dict) if self.main_dict else jieba_dict_path()

    def user_paths(self) -> list[Path]:
        return [resolve_dict_path(p) for p in self.user_dicts]

    def cache_key(self) -> str:
        """Digest of the content of every file plus every option that changes the result."""
        h = hashlib.sha256()
        h.update(f"{CACHE_FORMAT}|{self.freq_policy}|{self.skip_bad_lines}|"
                 f"{self.encoding}|{self.main_count}|{SUGGEST_MARGIN}|{self.main_dict is None}".encode())
        for path in [self.main_path(), *self.user_paths()]:
            h.update(b"|" + _file_digest(path))
        return h.hexdigest()


def _file_digest(path: Path, skip: int = 0) -> bytes:
    """SHA-256 of a file's content from byte ``skip`` on, read in chunks (flat memory)."""
    h = hashlib.sha256()
    with open_binary(path, "dictionary") as f:
        f.seek(skip)
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.digest()


def jieba_main(path: Path) -> tuple[dict[str, int], int, dict[str, str]]:
    """jieba's dict.txt: ``word freq tag`` per line."""
    freq: dict[str, int] = {}
    tags: dict[str, str] = {}
    for lineno, line in enumerate(decode_text(_read_bytes(path), path).splitlines(), 1):
        parts = line.split(" ")
        try:
            freq[parts[0]] = int(parts[1])
        except (IndexError, ValueError):
            if line.strip():
                raise DictionaryFormatError(path, "expected 'word freq [tag]'", lineno, line) from None
            continue
        if len(parts) > 2:
            tags[parts[0]] = parts[2]
    return freq, sum(freq.values()), tags


def _custom_main(spec: DictSpec, path: Path) -> tuple[dict[str, int], int, dict[str, str], list[Entry]]:
    entries = read_lexicon(path, skip_bad_lines=spec.skip_bad_lines, encoding=spec.encoding)
    if not entries:
        raise InputError(path, "main dictionary has no entries")
    counts = sorted(e.freq for e in entries if e.freq)
    default = spec.main_count or (counts[len(counts) // 2] if counts else 100)
    freq: dict[str, int] = {}
    tags: dict[str, str] = {}
    for e in entries:
        freq[e.word] = e.freq if e.freq else default
        if e.tag:
            tags[e.word] = e.tag
    return freq, sum(freq.values()), tags, entries


def learn_number_shapes(words: Iterable[str], min_count: int = 5, max_affix: int = 4) -> list[str]:
    """Frequent shapes of a lexicon's numeric words (``D年``, ``D%``): how its standard cuts numbers not in the list."""
    shapes: Counter[str] = Counter()
    for w in words:
        if _NUMBER.search(w):
            shape = _NUMBER.sub("D", w)
            if len(shape.replace("D", "")) <= max_affix and not re.search(r"\s", shape):
                shapes[shape] += 1
    return sorted((s for s, c in shapes.items() if c >= min_count), key=lambda s: (-len(s), s))


def add_prefixes(freq: dict[str, int], word: str) -> None:
    """Register every prefix of ``word`` (count 0 unless known), as jieba's DAG needs."""
    for i in range(1, len(word)):
        freq.setdefault(word[:i], 0)


def best_split_logprob(freq: dict[str, int], logtotal: float, word: str) -> float:
    """Log-probability of the best split of ``word`` under ``freq`` (jieba's route, no HMM)."""
    n = len(word)
    route = [0.0] * (n + 1)
    for i in range(n - 1, -1, -1):
        best = -math.inf
        j = i
        frag = word[i]
        while j < n and frag in freq:
            if freq[frag] and not (i == 0 and j == n - 1):
                best = max(best, math.log(freq[frag]) - logtotal + route[j + 1])
            j += 1
            frag = word[i:j + 1]
        if best == -math.inf:  # unknown character: jieba counts it once
            best = -logtotal + route[i + 1]
        route[i] = best
    return route[0]


def _suggest(freq: dict[str, int], total: int, logtotal: float, word: str) -> int:
    breakeven = int(math.exp(best_split_logprob(freq, logtotal, word)) * total) + 1
    return max(breakeven * SUGGEST_MARGIN, freq.get(word, 0))


def build_prefix_dict(spec: DictSpec) -> PrefixDict:
    """Merge the main dictionary and the user lexicons (no cache; see :func:`load_prefix_dict`)."""
    shapes: list[str] = []
    if spec.main_dict:
        freq, total, tags, main_entries = _custom_main(spec, spec.main_path())
        shapes = learn_number_shapes(e.word for e in main_entries)
        user_tags = dict(tags)
    else:
        freq, total, _tags = jieba_main(spec.main_path())
        user_tags = {}
    protected: dict[str, str] = {}
    for word in list(freq):
        add_prefixes(freq, word)
        if spec.main_dict and not JIEBA_BLOCK_RE.fullmatch(word):
            protected[word] = user_tags.get(word, "x")
    base_total = total
    logtotal = math.log(base_total)
    base = dict(freq)  # suggestions are computed against the main dictionary only: order-free
    policy = resolve_freq(spec.freq_policy)
    for path in spec.user_paths():
        for e in read_lexicon(path, skip_bad_lines=spec.skip_bad_lines, encoding=spec.encoding):
            if isinstance(policy, int):
                f = policy
            elif e.freq is not None and (policy == "keep" or (policy == "auto" and not e.foreign)):
                f = e.freq
            else:
                f = _suggest(base, base_total, logtotal, e.word)
            total += f - freq.get(e.word, 0)
            freq[e.word] = f
            add_prefixes(freq, e.word)
            if e.tag:
                user_tags[e.word] = e.tag
            if not JIEBA_BLOCK_RE.fullmatch(e.word):
                protected[e.word] = e.tag or user_tags.get(e.word, "x")
    return PrefixDict(freq, total, user_tags, protected, shapes)


def cache_path(kind: str, key: str) -> Path:
    return cache_dir() / f"{kind}-{key[:40]}.bin"


def read_cache(path: Path, key: str, verify_only: bool = False):
    """The cached object, or None when absent, stale or corrupt (``verify_only``: True for a valid file, not loaded)."""
    head = len(_MAGIC) + 64
    if verify_only:
        try:
            with open(path, "rb") as f:
                header = f.read(head)
            ok = (len(header) == head and header[: len(_MAGIC)] == _MAGIC
                  and header[len(_MAGIC): len(_MAGIC) + 32] == bytes.fromhex(key)[:32]
                  and _file_digest(path, skip=head) == header[len(_MAGIC) + 32:])
        except (OSError, InputError):
            return None
        return True if ok else None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if (len(data) < head or data[: len(_MAGIC)] != _MAGIC
            or data[len(_MAGIC): len(_MAGIC) + 32] != bytes.fromhex(key)[:32]
            or hashlib.sha256(memoryview(data)[head:]).digest() != data[len(_MAGIC) + 32: head]):
        logger.info("ignoring stale or corrupt cache %s", path)
        return None
    try:
        return marshal.loads(memoryview(data)[head:])  # a view: no copy of a cache of tens of MB
    except (ValueError, EOFError, TypeError):
        return None


def write_cache(path: Path, key: str, obj) -> None:
    """Write atomically (temporary file in the same folder, then rename); failures only log."""
    payload = marshal.dumps(obj)
    data = _MAGIC + bytes.fromhex(key)[:32] + hashlib.sha256(payload).digest() + payload
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        logger.warning("could not write dictionary cache %s: %s", path, exc)


def load_prefix_dict(spec: DictSpec, use_cache: bool = True) -> PrefixDict:
    """The merged prefix dictionary, from the per-user cache when a valid one exists."""
    key = spec.cache_key()
    path = cache_path("dict", key)
    if use_cache:
        cached = read_cache(path, key)
        if isinstance(cached, tuple) and len(cached) == 5:
            return PrefixDict(*cached)
    pd = build_prefix_dict(spec)
    if use_cache:
        write_cache(path, key, _cache_payload(pd))
    return pd


def _cache_payload(pd: PrefixDict) -> tuple:
    """What the cache stores; equal counts share one int object (marshal loads it once: 10 MB less per process)."""
    shared: dict[int, int] = {}
    freq = {w: shared.setdefault(f, f) for w, f in pd.freq.items()}
    return (freq, pd.total, pd.user_tags, pd.protected, pd.shapes)


def ensure_cached(spec: DictSpec, in_child: bool = True) -> None:
    """Check the dictionaries and fill the cache (built in a child process with ``in_child``), keeping nothing here."""
    key = spec.cache_key()
    path = cache_path("dict", key)
    if read_cache(path, key, verify_only=True):
        return
    if in_child:
        call_in_child(ensure_cached, spec, False)
        if read_cache(path, key, verify_only=True):
            return  # else the cache folder is not writable: build here
    write_cache(path, key, _cache_payload(build_prefix_dict(spec)))


def load_main_tags(spec: DictSpec, use_cache: bool = True) -> dict[str, str]:
    """POS tags of the main dictionary (for POS tagging), cached like the prefix dictionary."""
    path_main = spec.main_path()
    key = hashlib.sha256(f"tags|{CACHE_FORMAT}|".encode() + _file_digest(path_main)).hexdigest()
    path = cache_path("tags", key)
    if use_cache:
        cached = read_cache(path, key)
        if isinstance(cached, dict):
            return cached
    if spec.main_dict:
        tags = {e.word: e.tag for e in read_lexicon(path_main, skip_bad_lines=True, encoding=spec.encoding) if e.tag}
    else:
        tags = jieba_main(path_main)[2]
    if use_cache:
        write_cache(path, key, tags)
    return tags


def read_word_set(path: str | Path, encoding: str = "utf-8", kind: str = "stopwords") -> set[str]:
    """Words of a word list (stop words, training words): first field of each entry."""
    p = resolve_dict_path(path, kind=kind)
    return {e.word for e in read_lexicon(p, skip_bad_lines=True, encoding=encoding)}
