"""The compiled segmentation engine: jieba 0.42.1's tokens, with the DAG and route in compiled code.

rjieba (the Python binding of jieba-rs) builds jieba's word graph and best route in Rust.
Its output is made jieba's own, token for token, by construction rather than by hope:

- The compiled engine holds exactly the words jieba's DAG can use (count above 0, made of
  jieba's block characters ``[\\u4E00-\\u9FD5a-zA-Z0-9+#&._%-]``) with jieba's counts, plus one
  filler entry that no text can reach carrying the rest of jieba's total, so every route
  log-probability is jieba's. Without HMM the routes and the Latin/digit joining are then
  jieba's, once the blocks are (next point but one).
- jieba-rs's HMM differs from jieba's (Viterbi ties in runs of one repeated character,
  ``1.1kg``, ``t.cn``, ``3-4``), so with HMM the compiled engine cuts *without* HMM and
  jieba's own HMM (:mod:`jieba.finalseg`: its tables, its Viterbi with its tie rules, in a
  faster loop) is applied to each run of single characters jieba would give it, memoized. The runs are found by one regular expression over the
  line's tokens, so Python code runs once per run, never per character.
- Search mode adds jieba's 2- and 3-grams to the words of three or more characters here
  (jieba-rs's own search mode finds grams that are no words, ``cn`` in ``t.cn``).
- Text is cut apart at the CJK characters jieba-rs keeps in its blocks and jieba does not.
- A line whose tokens cannot tell a Latin/digit word of the dictionary from joined single
  letters, or that holds lone surrogates, goes to jieba's Python code whole.

Full mode and POS tagging stay on jieba (:class:`zhnlp.text.segment.Segmenter` routes them).
"""
from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path
from typing import Callable

logger = logging.getLogger(__name__)

ENGINES = ("fast", "jieba")

#: A word (one per line) with a character outside jieba's blocks (its re_han_default): never matched.
_NON_BLOCK_WORD = re.compile(r"^.*[^\u4E00-\u9FD5a-zA-Z0-9+#&._%\-\n].*$", re.M)
#: One part of a run of single characters as the compiled engine returns it without HMM:
#: a block character, or ASCII letters and digits (single ones it joined, as jieba does).
_PART = r"(?:[\u4E00-\u9FD5+#&._%\-]|[a-zA-Z0-9]+)"
#: Two or more such parts in a row, tokens separated by a newline: what jieba's HMM sees.
_RUN = re.compile(rf"(?<![^\n]){_PART}(?:\n{_PART})+(?![^\n])")
#: A token of three or more characters (search mode adds its 2- and 3-grams).
_LONG = re.compile(r"(?<![^\n])[^\n]{3,}")
#: A word (one per line) of two or more ASCII letters and digits.
_ALNUM_WORD = re.compile(r"^[a-zA-Z0-9]{2,}$", re.M)
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Characters jieba-rs keeps in its blocks and jieba does not (CJK outside U+4E00-9FD5; measured
#: over every code point, see tests/test_fast_segment.py). A block's extent changes the
#: floating-point sums of its route, so equal-probability routes (``一一一一一``) could flip:
#: the text is cut apart at these characters, each a token of its own as in jieba. Line
#: breaks too, as tokens are joined by newlines below.
_CUT_APART = re.compile("(\r\n|\n|[\u3400-\u4DBF\u9FD6-\u9FFF\uF900-\uFAFF\U00020000-\U0002A6DF"
                        "\U0002A700-\U0002EBEF\U0002F800-\U0002FA1F])")
#: A dictionary key no block can contain (whitespace): holds the count of the words the
#: compiled engine leaves out, so that its total is jieba's.
_FILLER = "\u3000\u3000"
_MEMO_LIMIT = 50_000
#: rjieba releases whose embedded dictionary is jieba 0.42.1's dict.txt (the SHA-256 below),
#: word for word and count for count (tests/test_fast_segment.py compares them), with
#: ``B超`` counted once in its total (60101964): loading it takes 0.08 s and 16 MB where
#: adding jieba's 349k words one by one takes 0.3 s and 75 MB.
EMBEDDED_DICT = {"0.2.2": ("7197c3211ddd98962b036cdf40324d1ea2bfaa12bd028e68faa70111a88e12a8", 60101964)}


def fast_available() -> bool:
    """True when the compiled engine (rjieba) is installed."""
    return importlib.util.find_spec("rjieba") is not None


def resolve_engine(engine: str, used: bool = True) -> str:
    """The engine to run for ``engine``: ``fast`` without rjieba becomes ``jieba``, with one
    warning where the compiled engine would be ``used`` (not for full mode or POS)."""
    if engine not in ENGINES:
        raise ValueError(f"engine (--engine) must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "fast" and not fast_available():
        if not used:
            return "jieba"
        logger.warning("warning: rjieba is not installed, segmenting with jieba's slower Python code "
                       "(pip install rjieba; --engine jieba silences this)")
        return "jieba"
    return engine


class FastCutter:
    """jieba's precise and search modes (HMM on or off) for one prefix dictionary, compiled.

    ``fallback(text, search, hmm)`` is jieba's own cut, for the rare lines routed to it.
    ``main_file``: the dictionary is exactly this jieba dict.txt (no user words); where it is
    the one embedded in rjieba, that copy is used.
    """

    def __init__(self, freq: dict[str, int], total: int,
                 fallback: Callable[[str, bool, bool], list[str]], main_file: Path | None = None) -> None:
        from jieba import finalseg

        self._freq = freq
        self._fallback = fallback
        self._hmm_cut = finalseg.cut if finalseg.Force_Split_Words else _JiebaHMM(finalseg).cut
        self._memo: dict[str, str] = {}
        self._rj = _embedded(main_file, total) if main_file else None
        self.embedded = self._rj is not None
        """True when rjieba's own copy of jieba's dictionary is used (fast start, small)."""
        if self.embedded:
            self._alnum_words: frozenset[str] = frozenset()  # jieba's dict.txt has no Latin words
            return
        import rjieba

        words = "\n".join(w for w, f in freq.items() if f)
        unusable = set(_NON_BLOCK_WORD.findall(words))  # never in a block: jieba's DAG never meets them
        rj = rjieba.Jieba.empty()
        add = rj.add_word
        for w, f in freq.items():
            if f and w not in unusable:
                add(w, f, None)
        kept = sum(freq.values()) - sum(freq[w] for w in unusable)
        if kept < total:
            add(_FILLER, total - kept, None)
        elif kept > total:
            raise ValueError(f"prefix dictionary total {total} is below the sum of its counts {kept}")
        self._rj = rj
        self._alnum_words = frozenset(_ALNUM_WORD.findall(words))

    def cut(self, text: str, hmm: bool = True, search: bool = False) -> list[str]:
        """jieba's ``lcut(text, HMM=hmm)`` (``lcut_for_search`` with ``search``)."""
        if _CUT_APART.search(text):
            out: list[str] = []
            for i, piece in enumerate(_CUT_APART.split(text)):
                if i % 2:
                    out.append(piece)
                elif piece:
                    out.extend(self._cut(piece, hmm, search))
            return out
        return self._cut(text, hmm, search)

    def _cut(self, text: str, hmm: bool, search: bool) -> list[str]:
        if _SURROGATE.search(text):
            return self._fallback(text, search, hmm)
        tokens = self._rj.cut(text, False)
        if not tokens or not (hmm or search):
            return tokens
        if hmm and self._alnum_words and not self._alnum_words.isdisjoint(tokens):
            return self._fallback(text, search, hmm)  # a dictionary word, or letters jieba-rs joined?
        joined = "\n".join(tokens)
        if hmm:
            joined = _RUN.sub(self._hmm_run, joined)
        if search:
            joined = _LONG.sub(self._grams, joined)
        return joined.split("\n")

    def _hmm_run(self, m: re.Match) -> str:
        """jieba's treatment of a run of single characters (its ``__cut_DAG`` buffer)."""
        run = m.group()
        out = self._memo.get(run)
        if out is None:
            buf = run.replace("\n", "")
            if self._freq.get(buf):
                out = "\n".join(buf)
            else:
                out = "\n".join(self._hmm_cut(buf))
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()  # bounded memory on any corpus
            self._memo[run] = out
        return out

    def _grams(self, m: re.Match) -> str:
        """jieba's search mode for one word: its dictionary 2- and 3-grams, then the word."""
        w = m.group()
        freq = self._freq
        parts = [w[i:i + 2] for i in range(len(w) - 1) if freq.get(w[i:i + 2])]
        if len(w) > 3:
            parts += [w[i:i + 3] for i in range(len(w) - 2) if freq.get(w[i:i + 3])]
        parts.append(w)
        return "\n".join(parts)


def _embedded(main_file: Path, total: int):
    """rjieba's embedded dictionary topped up to ``total``, where it is ``main_file``'s; else None."""
    import hashlib
    from importlib.metadata import version

    import rjieba

    known = EMBEDDED_DICT.get(version("rjieba"))
    if known is None or total < known[1] or hashlib.sha256(main_file.read_bytes()).hexdigest() != known[0]:
        return None
    rj = rjieba.Jieba()
    if total > known[1]:
        rj.add_word(_FILLER, total - known[1], None)
    return rj


class _JiebaHMM:
    """``jieba.finalseg.cut``, the same arithmetic in the same order and the same tie rules,
    about three times faster: back pointers instead of copied paths, the four states unrolled,
    one lookup per character for its four emission log-probabilities.

    jieba takes ``max`` over ``(probability, previous state)`` tuples, so an exact tie goes to
    the later letter of ``BEMS`` in each pair below, and the last state is ``S`` unless ``E``
    is strictly more probable.
    """

    def __init__(self, finalseg) -> None:
        self._re_han, self._re_skip = finalseg.re_han, finalseg.re_skip
        mn = finalseg.MIN_FLOAT
        emit = finalseg.emit_P
        chars = set().union(*(emit[y] for y in "BEMS"))
        self._emit = {c: tuple(emit[y].get(c, mn) for y in "BEMS") for c in chars}
        self._unknown = (mn, mn, mn, mn)
        self._start = tuple(finalseg.start_P[y] for y in "BEMS")
        t = finalseg.trans_P
        self._trans = tuple(t[a].get(b, mn) for a, b in ("EB", "SB", "MM", "BM", "SS", "ES", "BE", "ME"))

    def cut(self, sentence: str) -> list[str]:
        """Words of a run of single characters: Han parts by the HMM, the rest by jieba's re_skip."""
        out: list[str] = []
        for blk in self._re_han.split(sentence):
            if self._re_han.match(blk):
                out += self._viterbi_words(blk)
            else:
                out += [x for x in self._re_skip.split(blk) if x]
        return out

    def _viterbi_words(self, text: str) -> list[str]:
        emit, unknown = self._emit, self._unknown
        tEB, tSB, tMM, tBM, tSS, tES, tBE, tME = self._trans
        sB, sE, sM, sS = self._start
        eB, eE, eM, eS = emit.get(text[0], unknown)
        vB, vE, vM, vS = sB + eB, sE + eE, sM + eM, sS + eS
        back: list[tuple[str, str, str, str]] = []  # previous state of B, E, M, S at each step
        for c in text[1:]:
            eB, eE, eM, eS = emit.get(c, unknown)
            a, b = vE + tEB + eB, vS + tSB + eB
            if a > b:
                nB, pB = a, "E"
            else:
                nB, pB = b, "S"
            a, b = vM + tMM + eM, vB + tBM + eM
            if b > a:
                nM, pM = b, "B"
            else:
                nM, pM = a, "M"
            a, b = vS + tSS + eS, vE + tES + eS
            if b > a:
                nS, pS = b, "E"
            else:
                nS, pS = a, "S"
            a, b = vB + tBE + eE, vM + tME + eE
            if a > b:
                nE, pE = a, "B"
            else:
                nE, pE = b, "M"
            back.append((pB, pE, pM, pS))
            vB, vE, vM, vS = nB, nE, nM, nS
        state = "E" if vE > vS else "S"
        states = [state]
        slot = _SLOT
        for step in reversed(back):
            state = step[slot[state]]
            states.append(state)
        states.reverse()
        words: list[str] = []
        begin = nexti = 0
        for i, pos in enumerate(states):
            if pos == "B":
                begin = i
            elif pos == "E":
                words.append(text[begin:i + 1])
                nexti = i + 1
            elif pos == "S":
                words.append(text[i])
                nexti = i + 1
        if nexti < len(text):
            words.append(text[nexti:])
        return words


_SLOT = {"B": 0, "E": 1, "M": 2, "S": 3}
