"""Word segmentation: :class:`Segmenter`, jieba's tokens (each its own tokenizer) with user dictionaries, modes, POS."""
from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, islice

from ..parallel import ignore_sigint_in_worker, ordered_map
from .dictionary import (
    NUMBER_RE,
    DictSpec,
    FreqPolicy,
    PrefixDict,
    ensure_cached,
    load_main_tags,
    load_prefix_dict,
    read_word_set,
    resolve_dict_path,
    resolve_freq,
)
from .fast_segment import FastCutter, ensure_fast_cached, load_fast_dict, resolve_engine

MODES = ("precise", "full", "search")


class Segmenter:
    """Chinese word segmenter (jieba) with user dictionaries, modes, POS and stop words.

    Args:
        user_dicts: lexicon files added to the main dictionary (any supported format).
        dicts: bundled lexicon names (``medical``, ``it``, ``places``...), see ``zhnlp dicts``.
        main_dict: a lexicon that replaces jieba's main dictionary (another segmentation standard).
        mode: ``precise`` (default), ``full`` (every dictionary word) or ``search``.
        hmm: let jieba's HMM join unknown words. Default: on, off with ``main_dict`` (the HMM learnt jieba's
            standard and splits another's words wrongly: PKU word F1 89.1 with it, 91.6 without).
        pos: tag each word (``cut_pos``); precise mode only.
        stopwords: a word-list path or bundled name (``zh``) whose words are dropped.
        dict_freq: how lexicon counts become jieba counts (see :func:`zhnlp.text.dictionary.resolve_freq`).
        skip_bad_lines: warn about malformed dictionary lines instead of failing.
        number_shapes: cut numbers by the shapes the main dictionary shows (``D年``); default: with ``main_dict``.
        use_cache: read and write the per-user dictionary cache.
        engine: ``fast`` (default): precise and search mode in compiled code (:mod:`zhnlp.text.fast_segment`),
            jieba's tokens exactly (without rjieba: ``jieba``, one warning); ``jieba``: jieba's Python code.
    The dictionaries load on first use.
    """

    def __init__(self, user_dicts: Sequence[str] = (), dicts: Sequence[str] = (),
                 main_dict: str | None = None, mode: str = "precise", hmm: bool | None = None,
                 pos: bool = False, stopwords: str | None = None, *,
                 dict_freq: FreqPolicy = "auto", skip_bad_lines: bool = False,
                 dict_encoding: str = "utf-8", number_shapes: bool | None = None,
                 use_cache: bool = True, engine: str = "fast") -> None:
        if mode not in MODES:
            raise ValueError(f"mode (--mode) must be one of {', '.join(MODES)}, not {mode!r}")
        if pos and mode != "precise":
            raise ValueError("POS tagging works in precise mode only")

        user = tuple(str(p) for p in user_dicts) + tuple(str(resolve_dict_path(d)) for d in dicts)
        self.spec = DictSpec(main_dict=str(main_dict) if main_dict else None, user_dicts=user,
                             freq_policy=resolve_freq(dict_freq), skip_bad_lines=skip_bad_lines,
                             encoding=dict_encoding)
        self.mode, self.pos = mode, pos
        self.hmm = (not main_dict) if hmm is None else bool(hmm)
        self.stopwords_source = stopwords
        self.number_shapes = bool(main_dict) if number_shapes is None else number_shapes
        self.use_cache = use_cache
        self.engine = resolve_engine(engine, used=mode != "full" and not pos)
        self._loaded = False
        self._fast = None
        self._tk = None
        self._pd: PrefixDict | None = None
        self._pos_tk = None
        self._user_tags: dict[str, str] = {}
        self._protect: re.Pattern | None = None
        self._protect_tags: dict[str, str] = {}
        self._stop: frozenset[str] = frozenset()

    # Segmenters travel to worker processes as their options; each worker loads once.
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.update(_loaded=False, _tk=None, _pd=None, _fast=None, _pos_tk=None, _protect=None, _protect_tags={},
                     _stop=frozenset(), _user_tags={})
        return state

    def __repr__(self) -> str:
        return (f"Segmenter(main_dict={self.spec.main_dict!r}, user_dicts={list(self.spec.user_dicts)!r}, "
                f"mode={self.mode!r}, hmm={self.hmm}, pos={self.pos}, engine={self.engine!r})")

    def load(self) -> Segmenter:
        """Load the dictionaries now (otherwise done on first use); returns self."""
        if self._loaded:
            return self
        if self.engine == "fast" and self.mode != "full" and not self.pos:
            fd = load_fast_dict(self.spec, use_cache=self.use_cache)  # jieba's tokenizer only when a line needs it
            self._fast = FastCutter(fd, self._cut_jieba)
            self._set_protect(fd.protected, fd.shapes)
        else:
            self._set_protect(self._jieba().protected, self._jieba().shapes)
        if self.pos:
            self._load_pos()
        if self.stopwords_source:
            self._stop = frozenset(read_word_set(self.stopwords_source))
        self._loaded = True
        return self

    def _jieba(self) -> PrefixDict:
        """Load this segmenter's own ``jieba.Tokenizer`` (``self._tk``); returns its prefix dictionary."""
        if self._tk is None:
            import jieba

            pd = load_prefix_dict(self.spec, use_cache=self.use_cache)
            tk = jieba.Tokenizer()
            tk.FREQ, tk.total, tk.initialized = pd.freq, pd.total, True
            tk.dictionary = self.spec.main_dict or tk.dictionary
            self._tk, self._pd, self._user_tags = tk, pd, pd.user_tags
        return self._pd

    def _set_protect(self, protected: dict[str, str], shapes: list[str]) -> None:
        patterns = [trie_regex(list(w) for w in protected)] if protected else []
        self._protect_tags = dict(protected)
        if self.number_shapes:
            patterns.append(trie_regex([list(shape) for shape in shapes] + [["D"]], {"D": f"(?:{NUMBER_RE})"}))
            patterns.append(LATIN_RE)
        self._protect = re.compile("|".join(patterns)) if patterns else None

    def _load_pos(self) -> None:
        """jieba's POS tokenizer over this segmenter's own tokenizer and tag table."""
        from jieba.posseg import POSTokenizer

        self._jieba()
        ptk = POSTokenizer.__new__(POSTokenizer)  # skip its slow re-read of dict.txt
        ptk.tokenizer = self._tk
        ptk.word_tag_tab = load_main_tags(self.spec, use_cache=self.use_cache)
        ptk.word_tag_tab.update(self._user_tags)
        self._pos_tk = ptk

    def check(self) -> Segmenter:
        """Validate the dictionaries and fill the cache without loading them here (a parent that only dispatches)."""
        if self._loaded or not self.use_cache:
            return self.load()
        ensure_cached(self.spec)
        if self.engine == "fast" and self.mode != "full" and not self.pos:
            ensure_fast_cached(self.spec)
        if self.stopwords_source:
            read_word_set(self.stopwords_source)
        return self

    @property
    def tokenizer(self):
        """This segmenter's own ``jieba.Tokenizer`` (loaded)."""
        self.load()._jieba()
        return self._tk

    def _cut_plain(self, text: str) -> list[str]:
        if self._fast is not None:
            return self._fast.cut(text, self.hmm, self.mode == "search")
        tk = self._tk
        if self.mode == "precise":
            return tk.lcut(text, False, self.hmm)
        if self.mode == "full":
            return tk.lcut(text, True, self.hmm)
        return tk.lcut_for_search(text, self.hmm)

    def _cut_jieba(self, text: str, search: bool, hmm: bool) -> list[str]:
        """jieba's own precise or search cut (the compiled engine's fallback)."""
        self._jieba()
        return self._tk.lcut_for_search(text, hmm) if search else self._tk.lcut(text, False, hmm)

    def _pieces(self, text: str) -> Iterator[tuple[str, bool]]:
        """Split text around protected entries/numbers: (piece, is_protected)."""
        pos = 0
        for m in self._protect.finditer(text):
            if m.start() > pos:
                yield text[pos:m.start()], False
            yield m.group(), True
            pos = m.end()
        if pos < len(text):
            yield text[pos:], False

    def cut(self, text: str) -> list[str]:
        """Words of ``text``; joined they give ``text`` back (unless stop words are dropped)."""
        if not self._loaded:
            self.load()
        if self._protect is None:
            words = self._cut_plain(text)
        else:
            words = []
            for piece, protected in self._pieces(text):
                if protected:
                    words.append(piece)
                else:
                    words.extend(self._cut_plain(piece))
        if self._stop:
            words = [w for w in words if w not in self._stop]
        return words

    def cut_pos(self, text: str) -> list[tuple[str, str]]:
        """(word, POS tag) pairs, jieba.posseg's tag set (``pos=True`` not required)."""
        if not self._loaded:
            self.load()
        if self._pos_tk is None:
            self._load_pos()
        ptk = self._pos_tk
        if self._protect is None:
            pairs = [(p.word, p.flag) for p in ptk.lcut(text, self.hmm)]
        else:
            pairs = []
            for piece, protected in self._pieces(text):
                if protected:
                    pairs.append((piece, self._protect_tags.get(piece, "m" if piece[:1].isdigit() else "x")))
                else:
                    pairs.extend((p.word, p.flag) for p in ptk.lcut(piece, self.hmm))
        if self._stop:
            pairs = [p for p in pairs if p[0] not in self._stop]
        return pairs

    def cut_lines(self, lines: Iterable[str], jobs: int = 1, chunk_size: int = 500) -> Iterator[list]:
        """``cut`` (``cut_pos`` with ``pos``) of many lines in order, line endings dropped; ``jobs`` worker processes."""
        text = (line.rstrip("\r\n") for line in lines)
        for chunk in self.map_chunks(chunk_lines(text, chunk_size), jobs):
            yield from chunk

    def map_chunks(self, chunks: Iterable[list[str]], jobs: int = 1,
                   formatter: Callable[[list], str] | None = None) -> Iterator:
        """Each chunk's results in order, or with ``formatter`` its formatted text (made in the workers)."""
        if jobs <= 1:
            self.load()
            for chunk in chunks:
                yield _run(self, formatter, chunk)
            return

        self.check()  # the parent only dispatches: it does not hold the dictionary
        yield from ordered_map(_run_in_worker, chunks, jobs, initializer=_init_worker,
                               initargs=(self, formatter))


LATIN_RE = "[A-Za-z\uFF21-\uFF3A\uFF41-\uFF5A]+"


def trie_regex(sequences: Iterable[Sequence[str]], special: dict[str, str] | None = None) -> str:
    """One regex for any of the token sequences, longest first, as a trie (fast with thousands); ``special``: token -> regex."""
    special = special or {}
    root: dict = {}
    for seq in sequences:
        node = root
        for tok in seq:
            node = node.setdefault(tok, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alts = [(special.get(tok) or re.escape(tok)) + emit(child)
                for tok, child in sorted(node.items(), key=lambda kv: (kv[0] in special, kv[0])) if tok]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            return f"(?:{body})?"
        return body

    return emit(root)


def chunk_lines(lines: Iterable[str], max_lines: int, max_chars: int | None = None) -> Iterator[list[str]]:
    """Group lines into lists of at most ``max_lines`` lines (and about ``max_chars`` characters)."""
    it, chunk = iter(lines), []
    while True:
        chunk += islice(it, max_lines - len(chunk))
        if not chunk:
            return
        cut = len(chunk) if max_chars is None else bisect_left(list(accumulate(map(len, chunk))), max_chars) + 1
        yield chunk[:cut]
        chunk = chunk[cut:]


@dataclass(frozen=True)
class JoinedWords:
    """A :meth:`Segmenter.map_chunks` formatter: a line's words but whitespace-only ones joined by ``sep``, then a
    newline; the compiled engine formats whole chunks so, as text."""

    sep: str = " "

    def __call__(self, words: list[str]) -> str:
        return self.sep.join([w for w in words if w.strip()]) + "\n"


def _run(seg: Segmenter, formatter: Callable[[list], str] | None, lines: list[str]):
    if seg._fast is not None and seg._protect is None:  # the whole chunk in one compiled call
        if isinstance(formatter, JoinedWords) and not seg._stop:
            text = seg._fast.cut_text(lines, formatter.sep, seg.hmm, seg.mode == "search")
            if text is not None:
                return text
        results = seg._fast.cut_many(lines, seg.hmm, seg.mode == "search")
        if seg._stop:
            results = [[w for w in words if w not in seg._stop] for words in results]
    else:
        results = map(seg.cut_pos if seg.pos else seg.cut, lines)
    if formatter is None:
        return list(results)
    return "".join(map(formatter, results))


_WORKER: dict = {}  # per worker process: the Segmenter it loaded once, and the formatter


def _init_worker(segmenter: Segmenter, formatter: Callable[[list], str] | None) -> None:
    ignore_sigint_in_worker()
    _WORKER["job"] = (segmenter.load(), formatter)


def _run_in_worker(lines: list[str]):
    seg, formatter = _WORKER["job"]
    return _run(seg, formatter, lines)
