"""Word vectors: train word2vec / fastText with gensim, save and load them, query and evaluate
them, and turn them into an embedding matrix for a :class:`~zhnlp.text.vocab.Vocab`.

Training streams the corpus from disk (gensim reads it once for the vocabulary and once per
epoch), so memory grows with the vocabulary, never with the corpus. Raw text is segmented
*once* into a temporary pre-segmented file and training reads that file: segmenting on every
pass would cost ``epochs + 1`` segmentations (jieba runs at about 1 MB/s per core).

Formats (:data:`VECTOR_FORMATS`):

``word2vec``      text, a ``count dimension`` header line, then ``word v1 v2 ...`` lines
``fasttext``      fastText's ``.vec``: the same text format as ``word2vec``
``glove``         text without the header line
``word2vec-bin``  word2vec's binary format (header line, then ``word<space>`` + float32 data)
``fasttext-bin``  Facebook's fastText ``.bin``: keeps the subword (character n-gram) vectors,
                  so words never seen in training still get vectors

Text files are read by a validating streaming reader: a wrong header count, a line whose
number of values differs from the dimension or a value that is not a number raises
:class:`~zhnlp.errors.InputError` naming the file and line. Every output is written to a
temporary file beside the target and renamed into place when complete.

Importing this module is cheap: gensim, numpy, scipy and torch load inside the functions.
"""
from __future__ import annotations

import math
import os
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from ..checks import check_number
from ..errors import InputError, ZhnlpError
from ..io import MAX_LINE_CHARS, atomic_path, check_output_path, open_binary, read_lines
from ..text.features import LEVELS, tokenized_lines

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import torch
    from gensim.models import KeyedVectors

    from ..segment import Segmenter
    from ..text.vocab import Vocab

ALGOS = ("word2vec", "fasttext")
VECTOR_FORMATS = ("word2vec", "word2vec-bin", "glove", "fasttext", "fasttext-bin")
INITS = ("normal", "uniform", "zeros")
#: gensim ignores the words of a sentence beyond this many; longer lines are cut into pieces.
MAX_SENTENCE_TOKENS = 10_000
#: The first four bytes of a Facebook fastText ``.bin`` file (int32 little-endian).
FASTTEXT_MAGIC = 793712314
#: Longest accepted line of a text vector file (a 1,000-dimensional line is about 12,000).
MAX_VECTOR_LINE_CHARS = 10_000_000


def _default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@dataclass
class EmbeddingConfig:
    """Training options (gensim's, with fastText's defaults where they differ).

    Args:
        algo: ``word2vec`` or ``fasttext`` (word vectors plus character n-gram vectors).
        sg: skip-gram (default: better on small corpora and rare words) or CBOW (faster).
        hs: hierarchical softmax.
        negative: negative samples; default 5, or 0 with ``hs``.
        sample: down-sampling threshold of frequent words (0 disables it).
        window: context words on each side.
        dim: vector dimension.
        min_count: drop words seen fewer times.
        epochs: passes over the corpus.
        workers: training threads (identical vectors for a seed need ``workers=1``).
        seed: random seed (initial vectors, sampling).
        alpha, min_alpha: learning rate, falling linearly from ``alpha`` to ``min_alpha``.
        min_n, max_n: fastText character n-gram lengths.
        bucket: fastText hash buckets for n-grams (memory: ``bucket * dim * 4`` bytes).
        max_vocab_size: prune rare words while counting, to bound memory (None: no limit).
    """

    algo: str = "word2vec"
    sg: bool = True
    hs: bool = False
    negative: int | None = None
    sample: float = 1e-3
    window: int = 5
    dim: int = 100
    min_count: int = 5
    epochs: int = 5
    workers: int = field(default_factory=_default_workers)
    seed: int = 1
    alpha: float = 0.025
    min_alpha: float = 0.0001
    min_n: int = 3
    max_n: int = 6
    bucket: int = 2_000_000
    max_vocab_size: int | None = None

    def __post_init__(self) -> None:
        if self.negative is None:
            self.negative = 0 if self.hs else 5
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ZhnlpError` on an out-of-range option (named as on the command line)."""
        if self.algo not in ALGOS:
            raise ZhnlpError(f"--algo must be one of {', '.join(ALGOS)}, not {self.algo!r}")
        for name, low in (("dim", 1), ("window", 1), ("min_count", 1), ("epochs", 1),
                          ("workers", 1), ("min_n", 1), ("bucket", 1), ("negative", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ZhnlpError(f"--{name.replace('_', '-')} must be an integer of at least {low}, "
                                 f"not {value!r}")
        if self.negative == 0 and not self.hs:
            raise ZhnlpError("--negative 0 without --hs leaves nothing to train; "
                             "pass --hs or a positive --negative")
        check_number("--sample", self.sample, 0)
        check_number("--seed", self.seed, 0, 2**32 - 1)  # gensim's range
        if not self.alpha > 0 or not 0 <= self.min_alpha <= self.alpha:
            raise ZhnlpError(f"need alpha > 0 and 0 <= min_alpha <= alpha, not alpha={self.alpha!r}, "
                             f"min_alpha={self.min_alpha!r}")
        if self.max_n < self.min_n:
            raise ZhnlpError(f"--max-n ({self.max_n}) must be at least --min-n ({self.min_n})")
        if self.max_vocab_size is not None and self.max_vocab_size < 1:
            raise ZhnlpError(f"max_vocab_size must be at least 1, not {self.max_vocab_size!r}")

    def gensim_params(self) -> dict:
        """Keyword arguments for ``gensim.models.Word2Vec`` / ``FastText``."""
        params = dict(vector_size=self.dim, sg=int(self.sg), hs=int(self.hs), negative=self.negative,
                      sample=self.sample, window=self.window, min_count=self.min_count,
                      epochs=self.epochs, workers=self.workers, seed=self.seed, alpha=self.alpha,
                      min_alpha=self.min_alpha, max_vocab_size=self.max_vocab_size)
        if self.algo == "fasttext":
            params.update(min_n=self.min_n, max_n=self.max_n, bucket=self.bucket)
        return params

    def as_dict(self) -> dict:
        return asdict(self)


# -- training -------------------------------------------------------------------------------

class TokenStream:
    """Restartable iterable of token lists from corpus files, read from disk on every pass.

    gensim iterates it once to count the vocabulary and once per epoch. Lines longer than
    :data:`MAX_SENTENCE_TOKENS` tokens are cut into pieces (gensim would drop the rest).
    """

    def __init__(self, inputs: Sequence[str | Path], *, level: str = "word",
                 pre_segmented: bool = True, segmenter: "Segmenter | None" = None,
                 encoding: str = "utf-8", jobs: int = 1,
                 max_line_chars: int = MAX_LINE_CHARS) -> None:
        self.inputs = [str(p) for p in inputs]
        self.level, self.pre_segmented, self.segmenter = level, pre_segmented, segmenter
        self.encoding, self.jobs, self.max_line_chars = encoding, jobs, max_line_chars

    def __iter__(self) -> Iterator[list[str]]:
        for tokens in tokenized_lines(self.inputs, self.segmenter, level=self.level,
                                      pre_segmented=self.pre_segmented, encoding=self.encoding,
                                      jobs=self.jobs, max_line_chars=self.max_line_chars,
                                      allow_empty=True):
            if len(tokens) <= MAX_SENTENCE_TOKENS:
                yield tokens
            else:
                for i in range(0, len(tokens), MAX_SENTENCE_TOKENS):
                    yield tokens[i:i + MAX_SENTENCE_TOKENS]


def _log(enabled: bool) -> Callable[[str], None]:
    def log(message: str) -> None:
        if enabled:
            print(f"zhnlp: {message}", file=sys.stderr, flush=True)
    return log


def segment_to_file(inputs: Sequence[str | Path], target: str | Path, segmenter: "Segmenter | None" = None,
                    *, encoding: str = "utf-8", jobs: int = 1,
                    max_line_chars: int = MAX_LINE_CHARS) -> tuple[int, int]:
    """Segment raw text once into a pre-segmented file (words joined by spaces, blank lines
    dropped), streamed in ``jobs`` processes; returns (lines, tokens)."""

    lines = tokens = 0
    with open(target, "w", encoding="utf-8", newline="\n") as f:
        for words in tokenized_lines([str(p) for p in inputs], segmenter, level="word",
                                     encoding=encoding, jobs=jobs, max_line_chars=max_line_chars,
                                     allow_empty=True):
            if words:
                f.write(" ".join(words))
                f.write("\n")
                lines += 1
                tokens += len(words)
    return lines, tokens


def train_vectors(inputs: Sequence[str | Path], config: EmbeddingConfig | None = None, *,
                  pre_segmented: bool = False, segmenter: "Segmenter | None" = None,
                  level: str = "word", encoding: str = "utf-8", jobs: int = 1,
                  progress: bool = False, max_line_chars: int = MAX_LINE_CHARS,
                  tmp_dir: str | Path | None = None):
    """Train word vectors on corpus files; returns the gensim ``Word2Vec`` or ``FastText`` model.

    ``pre_segmented``: lines are words separated by whitespace. ``level="char"``: train on
    characters. Otherwise the raw text is segmented with ``segmenter`` (a default
    :class:`~zhnlp.Segmenter` if None) in ``jobs`` processes, once, into a temporary file in
    ``tmp_dir`` (the system's default if None; it needs about the corpus size), which
    training then reads every epoch; the file is removed afterwards.
    ``progress`` prints the stages and one line per epoch on stderr.
    Raises :class:`ZhnlpError` for an empty corpus or one where no word reaches ``min_count``.
    """

    config = config or EmbeddingConfig()
    config.validate()
    names = [str(p) for p in inputs]
    if not names:
        raise ZhnlpError("no input files")
    if level not in LEVELS:
        raise ZhnlpError(f"--level must be one of {', '.join(LEVELS)}, not {level!r}")
    if jobs < 1:
        raise ZhnlpError(f"--jobs must be at least 1, not {jobs}")
    for name in names:
        if name != "-" and not Path(name).exists():
            raise InputError(name, "no such file")
    if "-" in names:
        raise ZhnlpError("training reads its corpus several times: give files, not stdin ('-')")
    if all(Path(name).is_file() and Path(name).stat().st_size == 0 for name in names):
        raise InputError(names[0], "empty file (empty corpus)")  # before any progress line
    log = _log(progress)
    if level == "word" and not pre_segmented:
        with tempfile.TemporaryDirectory(prefix="zhnlp-embed-", dir=tmp_dir) as d:
            seg_file = Path(d) / "segmented.txt"
            t0 = time.perf_counter()
            log(f"segmenting {len(names)} file(s) once into {seg_file} (-j {jobs})")
            n_lines, n_tokens = segment_to_file(names, seg_file, segmenter, encoding=encoding,
                                                jobs=jobs, max_line_chars=max_line_chars)
            log(f"segmented {n_lines:,} lines, {n_tokens:,} words in {time.perf_counter() - t0:.1f} s")
            stream = TokenStream([seg_file], level="word", pre_segmented=True)
            return _train(stream, config, names, log, progress)
    stream = TokenStream(names, level=level, pre_segmented=pre_segmented, encoding=encoding,
                         max_line_chars=max_line_chars)
    return _train(stream, config, names, log, progress)


@dataclass
class TrainResult:
    """What :func:`train_to_file` did: the model, the file written and the figures of the run."""

    model: Any
    output: str
    format: str
    vocab_size: int
    dim: int
    tokens: int
    seconds: float

    def summary(self) -> str:
        return (f"{self.vocab_size:,} words x {self.dim} dims from {self.tokens:,} tokens in "
                f"{self.seconds:.1f} s -> {self.output} ({self.format})")


def train_to_file(inputs: Sequence[str | Path], output: str | Path, config: EmbeddingConfig | None = None,
                  *, format: str | None = None, **train_options: Any) -> TrainResult:
    """Train (:func:`train_vectors`, same keyword options) and save (:func:`save_vectors`):
    what ``zhnlp embed train`` runs. The output path and format are checked before training,
    so a long run does not fail at the end on a bad ``-o``."""
    config = config or EmbeddingConfig()
    config.validate()
    if "max_line_chars" in train_options:  # checked before the corpus is segmented
        check_number("--max-line-length", train_options["max_line_chars"], 1)
    fmt = vector_format_for(output, format, fasttext_model=config.algo == "fasttext")
    if fmt == "fasttext-bin" and config.algo != "fasttext":
        raise ZhnlpError("--format fasttext-bin needs --algo fasttext (word2vec has no subword "
                         "vectors); use word2vec-bin for a binary word2vec file")
    check_output_path(output, [str(p) for p in inputs])
    t0 = time.perf_counter()
    model = train_vectors(inputs, config, **train_options)
    target = save_vectors(model, output, fmt)
    return TrainResult(model, str(target), fmt, len(model.wv), model.wv.vector_size,
                       int(model.corpus_total_words), time.perf_counter() - t0)


def _epoch_logger(epochs: int, total_tokens: int, log: Callable[[str], None]):
    """A gensim callback printing one line per epoch (time, tokens/s, time left)."""
    from gensim.models.callbacks import CallbackAny2Vec

    class EpochLog(CallbackAny2Vec):
        def __init__(self) -> None:
            self.epoch = 0
            self.start = self.t0 = time.perf_counter()

        def on_epoch_begin(self, model) -> None:
            self.t0 = time.perf_counter()

        def on_epoch_end(self, model) -> None:
            self.epoch += 1
            now = time.perf_counter()
            dt = now - self.t0
            left = (now - self.start) / self.epoch * (epochs - self.epoch)
            log(f"epoch {self.epoch}/{epochs}: {dt:.1f} s, {total_tokens / max(dt, 1e-9):,.0f} tokens/s"
                + (f", about {left:.0f} s left" if self.epoch < epochs else ""))

    return EpochLog()


def _train(stream: TokenStream, config: EmbeddingConfig, names: list[str], log: Callable[[str], None],
           progress: bool):
    from gensim.models import FastText, Word2Vec

    cls = FastText if config.algo == "fasttext" else Word2Vec
    model = cls(**config.gensim_params())
    t0 = time.perf_counter()
    log("counting the vocabulary (first pass over the corpus)")
    model.build_vocab(corpus_iterable=stream, progress_per=10 ** 9)
    where = ", ".join(names)
    if not model.corpus_total_words:
        raise ZhnlpError(f"no tokens in {where} (empty corpus)")
    if not len(model.wv):
        raise ZhnlpError(f"no word occurs at least {config.min_count} times in {where} "
                         f"({model.corpus_total_words:,} tokens); lower --min-count")
    log(f"vocabulary: {len(model.wv):,} words (min count {config.min_count}) from "
        f"{model.corpus_total_words:,} tokens in {model.corpus_count:,} lines, "
        f"{time.perf_counter() - t0:.1f} s")
    callbacks = [_epoch_logger(config.epochs, model.corpus_total_words, log)] if progress else []
    model.train(corpus_iterable=stream, total_examples=model.corpus_count,
                total_words=model.corpus_total_words, epochs=config.epochs, callbacks=callbacks)
    model.callbacks = ()  # the logger is a local class: keep the model picklable
    return model


# -- the vectors object ---------------------------------------------------------------------

class WordVectors:
    """Loaded or trained word vectors: a gensim ``KeyedVectors`` plus where they came from.

    ``word in vectors`` is True when the word has a vector: a vocabulary word, or with
    fastText subwords (a fastText model or ``.bin`` file) any word with a character n-gram.
    ``model`` is the full gensim fastText model when there is one (needed to save ``.bin``).
    """

    def __init__(self, kv: "KeyedVectors", source: str = "<vectors>", model: Any = None) -> None:
        self.kv = kv
        self.source = source
        self.model = model

    @property
    def dim(self) -> int:
        return int(self.kv.vector_size)

    @property
    def words(self) -> list[str]:
        """The vocabulary, in file (for trained models: frequency) order."""
        return self.kv.index_to_key

    @property
    def subwords(self) -> bool:
        """True when unseen words get vectors from character n-grams (fastText)."""
        return getattr(self.kv, "bucket", 0) > 0 and hasattr(self.kv, "vectors_ngrams")

    def __len__(self) -> int:
        return len(self.kv.index_to_key)

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        if word in self.kv.key_to_index:
            return True
        return self.subwords and word in self.kv

    def in_vocab(self, word: str) -> bool:
        """True for vocabulary words only (not fastText subword guesses)."""
        return word in self.kv.key_to_index

    def vector(self, word: str) -> "np.ndarray":
        """The vector of ``word``; :class:`ZhnlpError` naming the source when it has none."""
        self.require(word)
        return self.kv[word]

    def require(self, *words: str) -> None:
        for w in words:
            if w not in self:
                raise ZhnlpError(f"word {w!r} is not in the vocabulary of {self.source}")

    def __repr__(self) -> str:
        sub = ", subwords" if self.subwords else ""
        return f"WordVectors({len(self)} words, dim {self.dim}{sub}, from {self.source})"


def as_vectors(obj: Any, source: str | None = None) -> WordVectors:
    """A :class:`WordVectors` from a path (loaded), a gensim model, KeyedVectors or WordVectors."""
    if isinstance(obj, WordVectors):
        return obj
    if isinstance(obj, (str, Path)):
        return load_vectors(obj)
    if hasattr(obj, "wv") and hasattr(obj.wv, "key_to_index"):  # Word2Vec / FastText model
        model = obj if _is_fasttext_model(obj) else None
        return WordVectors(obj.wv, source or f"<trained {type(obj).__name__} model>", model)
    if hasattr(obj, "key_to_index") and hasattr(obj, "vectors"):
        return WordVectors(obj, source or "<vectors>")
    raise TypeError(f"expected word vectors, a gensim model or a path, not {type(obj).__name__}")


def _is_fasttext_model(obj: Any) -> bool:
    try:
        from gensim.models import FastText
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, FastText)


# -- saving ---------------------------------------------------------------------------------

def vector_format_for(path: str | Path, format: str | None = None, *, fasttext_model: bool = False) -> str:
    """The format to write ``path`` in: ``format`` if given, else from the extension.

    ``.bin``: ``fasttext-bin`` for a fastText model, else ``word2vec-bin``; ``.glove``:
    ``glove``; anything else (``.txt``, ``.vec``...): word2vec text (named ``fasttext`` for a
    fastText model's ``.vec``: the same format).
    """
    if format is not None:
        if format not in VECTOR_FORMATS:
            raise ZhnlpError(f"--format must be one of {', '.join(VECTOR_FORMATS)}, not {format!r}")
        return format
    suffix = Path(path).suffix.lower()
    if suffix == ".bin":
        return "fasttext-bin" if fasttext_model else "word2vec-bin"
    if suffix == ".glove":
        return "glove"
    return "fasttext" if suffix == ".vec" and fasttext_model else "word2vec"


def save_vectors(vectors: Any, path: str | Path, format: str | None = None) -> Path:
    """Write vectors (a gensim model, KeyedVectors or :class:`WordVectors`) to ``path``.

    The format is ``format`` or chosen from the extension (:func:`vector_format_for`).
    ``fasttext-bin`` needs a fastText model (trained with ``algo="fasttext"`` or loaded from
    a ``.bin``); text and ``word2vec-bin`` files hold the vocabulary words only, in
    vocabulary order, and load in ``gensim.models.KeyedVectors.load_word2vec_format``.
    The file is written atomically; returns its path.
    """
    vec = as_vectors(vectors)
    fmt = vector_format_for(path, format, fasttext_model=vec.model is not None)
    target = check_output_path(path)
    if fmt == "fasttext-bin" and vec.model is None:
        raise ZhnlpError(f"{target}: the fasttext-bin format needs a fastText model with subword "
                         f"vectors (train with --algo fasttext, or load a fastText .bin); "
                         f"{vec.source} holds plain word vectors; use word2vec-bin or a text format")
    with atomic_path(target) as tmp:
        if fmt == "fasttext-bin":
            from gensim.models.fasttext import save_facebook_model

            save_facebook_model(vec.model, str(tmp))
        elif fmt == "word2vec-bin":
            _write_word2vec_bin(vec.kv, tmp)
        else:
            _write_text(vec.kv, tmp, header=fmt != "glove")
    return target


def _write_text(kv: "KeyedVectors", path: Path, header: bool) -> None:
    dim = kv.vector_size
    row_fmt = " ".join(["%.9g"] * dim)  # 9 significant digits: float32 values read back exactly
    vectors = kv.vectors
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        if header:
            f.write(f"{len(kv.index_to_key)} {dim}\n")
        for i, word in enumerate(kv.index_to_key):
            _check_word(word)
            f.write(f"{word} {row_fmt % tuple(vectors[i].tolist())}\n")


def _write_word2vec_bin(kv: "KeyedVectors", path: Path) -> None:
    import numpy as np

    vectors = np.ascontiguousarray(kv.vectors, dtype="<f4")
    with open(path, "wb") as f:
        f.write(f"{len(kv.index_to_key)} {kv.vector_size}\n".encode("ascii"))
        for i, word in enumerate(kv.index_to_key):
            _check_word(word)
            f.write(word.encode("utf-8") + b" " + vectors[i].tobytes() + b"\n")


def _check_word(word: str) -> None:
    if not isinstance(word, str) or not word or any(c in word for c in " \n\r"):
        raise ZhnlpError(f"cannot write the word {word!r}: words in vector files cannot be empty "
                         "or contain spaces or line breaks")


def convert_vectors(source: str | Path, target: str | Path, from_format: str | None = None,
                    to_format: str | None = None) -> str:
    """Read ``source`` (format detected unless ``from_format``) and write ``target`` (format
    from ``to_format`` or the extension); returns a one-line description of what was done."""
    fmt_in = from_format or sniff_vector_format(source)
    vec = load_vectors(source, fmt_in)
    fmt_out = vector_format_for(target, to_format, fasttext_model=vec.model is not None)
    out = save_vectors(vec, target, fmt_out)
    return f"converted {len(vec):,} vectors of dimension {vec.dim}: {source} ({fmt_in}) -> {out} ({fmt_out})"


# -- loading --------------------------------------------------------------------------------

def sniff_vector_format(path: str | Path) -> str:
    """Guess a vector file's format from its content: ``fasttext-bin`` (magic number),
    ``word2vec-bin`` or ``word2vec`` (a ``count dimension`` first line, then binary or text
    data), else ``glove`` (text without a header)."""
    f = open_binary(path)
    try:
        head = f.read(1 << 16)
    finally:
        f.close()
    if not head.strip():
        raise InputError(path, "empty file; not a vector file")
    if len(head) >= 4 and int.from_bytes(head[:4], "little") == FASTTEXT_MAGIC:
        return "fasttext-bin"
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    first, _, rest = head.partition(b"\n")
    dims = _parse_header(first)
    if dims is None:
        return "glove"
    # Text: the next line holds a word and numbers. Binary: raw float32 bytes follow the
    # word, which almost never read as a run of digits, signs, dots and spaces.
    word_end = rest.find(b" ")
    if word_end < 0:
        return "word2vec"
    line = rest[word_end + 1:].partition(b"\n")[0].rstrip(b"\r")
    textual = set(b"0123456789+-.eEnaifNAIF \t")
    if line.strip() and all(b in textual for b in line) and any(48 <= b <= 57 for b in line):
        return "word2vec"
    return "word2vec-bin"


def _parse_header(first: bytes) -> tuple[int, int] | None:
    parts = first.strip().split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return None


def load_vectors(path: str | Path, format: str | None = None, *, encoding: str = "utf-8") -> WordVectors:
    """Read a vector file; the format is detected from the content when ``format`` is None
    (:func:`sniff_vector_format`). A fastText ``.bin`` keeps its subword vectors, so unseen
    words get vectors. Malformed files raise :class:`InputError` with file and line."""
    name = str(path)
    fmt = format if format is not None else sniff_vector_format(path)
    if fmt not in VECTOR_FORMATS:
        raise ZhnlpError(f"--from must be one of {', '.join(VECTOR_FORMATS)}, not {fmt!r}")
    if fmt == "fasttext-bin":
        return _load_fasttext_bin(name)
    if fmt == "word2vec-bin":
        return WordVectors(_read_word2vec_bin(name, encoding), name)
    return WordVectors(_read_text_vectors(name, header=fmt != "glove", encoding=encoding), name)


def _load_fasttext_bin(name: str) -> WordVectors:
    import struct

    f = open_binary(name)  # a missing file or a folder is an InputError
    magic = f.read(4)
    f.close()
    if len(magic) < 4 or int.from_bytes(magic, "little") != FASTTEXT_MAGIC:
        raise InputError(name, "not a fastText .bin file (no fastText magic number at its start)")
    from gensim.models.fasttext import load_facebook_model

    try:
        model = load_facebook_model(name)
    except (ValueError, EOFError, struct.error, AssertionError, UnicodeDecodeError,
            NotImplementedError, IndexError, KeyError) as exc:
        raise InputError(name, f"not a valid fastText .bin file ({type(exc).__name__}: {exc}); "
                               "truncated or corrupted?") from None
    return WordVectors(model.wv, name, model)


def _new_kv(dim: int, count: int):
    from gensim.models import KeyedVectors

    return KeyedVectors(dim, count=count)


def _finish_kv(kv, words: list[str], n: int, name: str, duplicates: int):
    kv.index_to_key = words
    kv.key_to_index = {w: i for i, w in enumerate(words)}
    kv.next_index = n
    if kv.vectors.shape[0] != n:
        kv.vectors = kv.vectors[:n].copy()
    if duplicates:
        warnings.warn(f"{name}: {duplicates} repeated word(s); kept the first vector of each",
                      stacklevel=3)
    return kv


def _read_text_vectors(name: str, *, header: bool, encoding: str = "utf-8"):
    """Stream a word2vec/GloVe text file into KeyedVectors, validating every line."""
    import numpy as np

    size = Path(name).stat().st_size if Path(name).is_file() else None
    lines = read_lines(name, encoding, max_line_chars=MAX_VECTOR_LINE_CHARS, allow_empty=True)
    count = dim = None
    dim_from = ""
    words: list[str] = []
    seen: set[str] = set()
    duplicates = 0
    kv = None
    n = 0
    lineno = 0
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if header and count is None:
            dims = _parse_header(line.encode("utf-8", "replace"))
            if dims is None:
                raise InputError(name, "expected a 'count dimension' header line (is this a GloVe file "
                                       "without a header? then use --from glove)", lineno, line)
            count, dim = dims
            if dim < 1:
                raise InputError(name, "the header's dimension must be at least 1", lineno, line)
            if size is not None and count * dim > 1 << 22 and count * (2 + 2 * dim) > size:
                # guard a large allocation; small files get the exact line-level message below
                raise InputError(name, f"the header announces {count:,} vectors of dimension {dim}, "
                                       f"more than a {size:,}-byte file can hold", lineno, line)
            dim_from = f"the header's dimension {dim}"
            kv = _new_kv(dim, count)
            continue
        parts = line.rstrip().split(" ")
        word, values = parts[0], [p for p in parts[1:] if p]
        if not word:
            raise InputError(name, "line starts with a space (empty word)", lineno, line)
        if dim is None:  # GloVe: the first line sets the dimension
            dim = len(values)
            if not dim:
                raise InputError(name, "no values after the word", lineno, line)
            dim_from = f"dimension {dim} (the values on the first line)"
            kv = _new_kv(dim, _count_nonblank_lines(name))
        if len(values) != dim:
            raise InputError(name, f"{len(values)} values where the file has {dim_from}", lineno)
        if count is not None and n + duplicates >= count:
            raise InputError(name, f"more vectors than the {count:,} the header (line 1) announces", lineno)
        try:
            row = np.array(values, dtype=np.float32)
        except ValueError:
            bad = next(v for v in values if not _is_float(v))
            raise InputError(name, f"not a number: {bad!r}", lineno) from None
        if word in seen:
            duplicates += 1
            continue
        if n >= kv.vectors.shape[0]:  # more lines than pre-counted (file grew): extend
            kv.vectors = np.concatenate([kv.vectors, np.zeros((max(n, 16), dim), np.float32)])
        kv.vectors[n] = row
        words.append(word)
        seen.add(word)
        n += 1
    if dim is None or (count is None and header):
        raise InputError(name, "no vectors in this file")
    if count is not None and n + duplicates < count:
        raise InputError(name, f"the header announces {count:,} vectors but the file has "
                               f"{n + duplicates:,} (it ends at line {lineno})", 1)
    if not n:
        raise InputError(name, "no vectors in this file")
    return _finish_kv(kv, words, n, name, duplicates)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _count_nonblank_lines(name: str) -> int:
    n = 0
    with open(name, "rb") as f:
        for line in f:
            if line.strip():
                n += 1
    return n


def _read_word2vec_bin(name: str, encoding: str = "utf-8"):
    """Read word2vec's binary format (with or without a newline after each vector)."""
    import numpy as np

    f = open_binary(name)
    try:
        first = f.readline(1000)
        dims = _parse_header(first.lstrip(b"\xef\xbb\xbf"))
        if dims is None:
            raise InputError(name, "not a word2vec binary file: the first line should be "
                                   "'count dimension'", 1)
        count, dim = dims
        if dim < 1:
            raise InputError(name, "the header's dimension must be at least 1", 1)
        size = Path(name).stat().st_size
        if count * (4 * dim + 2) > size:
            raise InputError(name, f"the header announces {count:,} vectors of dimension {dim}, "
                                   f"more than a {size:,}-byte file can hold (not a word2vec "
                                   f"binary file, or truncated?)", 1)
        kv = _new_kv(dim, count)
        words: list[str] = []
        seen: set[str] = set()
        duplicates = n = 0
        nbytes = 4 * dim
        buf, pos = b"", 0
        for i in range(count):
            while True:
                sp = buf.find(b" ", pos)
                if sp >= 0 and len(buf) >= sp + 1 + nbytes:
                    break
                more = f.read(1 << 20)
                if not more:
                    raise InputError(name, f"file ends inside vector {i + 1} of the {count:,} the "
                                           "header announces (truncated?)")
                buf, pos = buf[pos:] + more, 0
            raw = buf[pos:sp].lstrip(b"\r\n")
            try:
                word = raw.decode(encoding)
            except UnicodeDecodeError:
                raise InputError(name, f"word of vector {i + 1} is not valid {encoding} "
                                       "(not a word2vec binary file, or a wrong dimension?)") from None
            if not word or len(raw) > 10_000:
                raise InputError(name, f"vector {i + 1} has no word (not a word2vec binary file, "
                                       "or a wrong dimension in the header?)")
            row = np.frombuffer(buf, dtype="<f4", count=dim, offset=sp + 1)
            pos = sp + 1 + nbytes
            if word in seen:
                duplicates += 1
                continue
            kv.vectors[n] = row
            words.append(word)
            seen.add(word)
            n += 1
        rest = buf[pos:] + f.read(1 << 16)
        if rest.strip():
            raise InputError(name, f"data after the {count:,} vectors the header announces "
                                   "(a wrong count or dimension in the header?)")
    finally:
        f.close()
    return _finish_kv(kv, words, n, name, duplicates)


# -- queries --------------------------------------------------------------------------------

def most_similar(vectors: Any, word: str, topn: int = 10) -> list[tuple[str, float]]:
    """The ``topn`` vocabulary words closest to ``word`` by cosine (the word itself excluded)."""
    vec = as_vectors(vectors)
    _check_topn(topn)
    vec.require(word)
    return [(w, float(s)) for w, s in vec.kv.most_similar(word, topn=topn)]


def analogy(vectors: Any, a: str, b: str, c: str, topn: int = 1) -> list[tuple[str, float]]:
    """a : b :: c : ? (3CosAdd): the words closest to ``b - a + c`` (unit vectors), the
    three inputs excluded, with their cosine to that point."""
    vec = as_vectors(vectors)
    _check_topn(topn)
    vec.require(a, b, c)
    return [(w, float(s)) for w, s in vec.kv.most_similar(positive=[b, c], negative=[a], topn=topn)]


def similarity(vectors: Any, w1: str, w2: str) -> float:
    """Cosine similarity of two words."""
    vec = as_vectors(vectors)
    vec.require(w1, w2)
    return float(vec.kv.similarity(w1, w2))


def _check_topn(topn: int) -> None:
    if topn < 1:
        raise ZhnlpError(f"--topn must be at least 1, not {topn}")


# -- evaluation -----------------------------------------------------------------------------

@dataclass
class SimilarityResult:
    """Word-similarity evaluation: Spearman correlation (-1..1; NaN under two pairs used)
    between gold scores and cosines over the pairs whose words both have vectors."""

    path: str
    spearman: float
    pairs: int
    used: int
    skipped_oov: int
    skipped_malformed: int = 0

    kind = "similarity"

    def as_dict(self) -> dict:
        return {"kind": self.kind, **asdict(self)}

    def summary(self) -> str:
        rho = "n/a" if math.isnan(self.spearman) else f"{self.spearman * 100:.1f}"
        bad = f", {self.skipped_malformed} malformed line(s) skipped" if self.skipped_malformed else ""
        return (f"{self.path}: Spearman x100 {rho} on {self.used}/{self.pairs} pairs "
                f"({self.skipped_oov} skipped: word without a vector{bad})")


@dataclass
class AnalogyResult:
    """Analogy evaluation (3CosAdd): accuracy over the questions whose four words are in the
    (restricted) vocabulary; ``per_section`` maps a section to its correct/total/skipped_oov."""

    path: str
    accuracy: float
    correct: int
    total: int
    skipped_oov: int
    per_section: dict = field(default_factory=dict)
    skipped_malformed: int = 0

    kind = "analogy"

    def as_dict(self) -> dict:
        return {"kind": self.kind, **asdict(self)}

    def summary(self) -> str:
        acc = "n/a" if math.isnan(self.accuracy) else f"{self.accuracy * 100:.1f}%"
        bad = f", {self.skipped_malformed} malformed line(s) skipped" if self.skipped_malformed else ""
        lines = [f"{self.path}: accuracy {acc} ({self.correct}/{self.total} questions; "
                 f"{self.skipped_oov} of {self.total + self.skipped_oov} skipped: word out of "
                 f"vocabulary{bad})"]
        for name, s in self.per_section.items():
            sec_acc = f"{s['correct'] / s['total'] * 100:.1f}%" if s["total"] else "n/a"
            lines.append(f"  {name}: {sec_acc} ({s['correct']}/{s['total']}, "
                         f"{s['skipped_oov']} skipped)")
        return "\n".join(lines)


def _content_lines(path: str | Path, encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, stripped text) of the non-blank, non-``#`` lines of an evaluation file."""
    for lineno, line in enumerate(read_lines(path, encoding), 1):
        text = line.strip().lstrip("\ufeff")
        if text and not text.startswith("#"):
            yield lineno, text


def read_similarity_pairs(path: str | Path, *, skip_bad_lines: bool = False,
                          encoding: str = "utf-8") -> tuple[list[tuple[str, str, float]], int]:
    """The (word1, word2, score) pairs of a word-similarity file and the number of malformed
    lines skipped. Fields are TAB- or whitespace-separated (spaces around a TAB are
    ignored); blank and ``#`` lines are skipped; a BOM and CRLF endings are fine. A
    malformed line raises :class:`InputError` with file:line, or with ``skip_bad_lines`` is
    skipped and counted."""
    pairs: list[tuple[str, str, float]] = []
    bad = 0
    for lineno, text in _content_lines(path, encoding):
        parts = [p.strip() for p in text.split("\t")]
        if len(parts) != 3 or not all(parts):
            parts = text.split()
        problem = None
        if len(parts) != 3:
            problem = f"expected 'word1<TAB>word2<TAB>score', found {len(parts)} field(s)"
        else:
            try:
                score = float(parts[2])
            except ValueError:
                problem = f"the score {parts[2]!r} is not a number"
            else:
                if not math.isfinite(score):
                    problem = f"the score {parts[2]!r} is not a finite number"
        if problem:
            if not skip_bad_lines:
                raise InputError(path, problem + " (pass --skip-bad-lines to skip such lines)",
                                 lineno, text)
            bad += 1
            continue
        pairs.append((parts[0], parts[1], score))
    return pairs, bad


def evaluate_similarity(vectors: Any, pairs_path: str | Path, *, skip_bad_lines: bool = False,
                        subwords: bool = True, encoding: str = "utf-8") -> SimilarityResult:
    """Spearman correlation between a word-similarity file's scores and the cosines.

    Pairs with a word that has no vector are skipped and counted (``skipped_oov``). With
    fastText subwords, unseen words get vectors and count as used unless ``subwords=False``.
    See :func:`read_similarity_pairs` for the file format and ``skip_bad_lines``.
    """
    from scipy.stats import spearmanr

    vec = as_vectors(vectors)
    pairs, bad = read_similarity_pairs(pairs_path, skip_bad_lines=skip_bad_lines, encoding=encoding)
    has = vec.__contains__ if subwords else vec.in_vocab
    gold, cos = [], []
    for w1, w2, score in pairs:
        if has(w1) and has(w2):
            gold.append(score)
            cos.append(float(vec.kv.similarity(w1, w2)))
    rho = float("nan")
    if len(gold) >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constant input: NaN, reported as n/a
            rho = float(spearmanr(gold, cos).statistic)
    return SimilarityResult(str(pairs_path), rho, len(pairs), len(gold), len(pairs) - len(gold), bad)


def read_analogies(path: str | Path, *, skip_bad_lines: bool = False,
                   encoding: str = "utf-8") -> tuple[list[tuple[str, tuple[str, str, str, str]]], int]:
    """The (section, (a, b, c, d)) questions of a word2vec-style analogy file (``: name``
    section lines, then ``a b c d``), and the number of malformed lines skipped."""
    questions = []
    section = "(no section)"
    bad = 0
    for lineno, text in _content_lines(path, encoding):
        if text.startswith(":"):
            section = text[1:].strip() or section
            continue
        parts = text.split()
        if len(parts) != 4:
            if not skip_bad_lines:
                raise InputError(path, f"expected four words 'a b c d', found {len(parts)} "
                                       "(pass --skip-bad-lines to skip such lines)", lineno, text)
            bad += 1
            continue
        questions.append((section, tuple(parts)))
    return questions, bad


def evaluate_analogy(vectors: Any, path: str | Path, restrict_vocab: int | None = 300_000, *,
                     skip_bad_lines: bool = False, encoding: str = "utf-8") -> AnalogyResult:
    """Analogy accuracy, 3CosAdd: for a b c d, the answer is the word (of the first
    ``restrict_vocab`` vocabulary words, None: all) closest to ``b - a + c`` on unit vectors,
    a, b and c excluded. Questions with a word outside those words are skipped and counted
    (``skipped_oov``), as gensim's ``evaluate_word_analogies`` does. Words are case-sensitive."""
    import numpy as np

    vec = as_vectors(vectors)
    questions, bad = read_analogies(path, skip_bad_lines=skip_bad_lines, encoding=encoding)
    limit = len(vec) if restrict_vocab is None else min(restrict_vocab, len(vec))
    if limit < 1:
        raise ZhnlpError("restrict_vocab must be at least 1")
    index = {w: i for i, w in enumerate(vec.kv.index_to_key[:limit])}
    sections: dict[str, dict] = {}
    rows, owners = [], []
    for section, words in questions:
        s = sections.setdefault(section, {"correct": 0, "total": 0, "skipped_oov": 0})
        ids = [index.get(w) for w in words]
        if None in ids:
            s["skipped_oov"] += 1
            continue
        s["total"] += 1
        rows.append(ids)
        owners.append(section)
    correct = 0
    if rows:
        unit = np.asarray(vec.kv.vectors[:limit], dtype=np.float32)
        norms = np.linalg.norm(unit, axis=1, keepdims=True)
        unit = unit / np.where(norms > 0, norms, 1.0)
        q = np.asarray(rows, dtype=np.int64)
        batch = max(1, 16_000_000 // limit)
        hits = np.zeros(len(q), dtype=bool)
        for start in range(0, len(q), batch):
            a, b, c, d = q[start:start + batch].T
            scores = (unit[b] - unit[a] + unit[c]) @ unit.T
            r = np.arange(len(a))
            scores[r, a] = scores[r, b] = scores[r, c] = -np.inf
            hits[start:start + batch] = scores.argmax(axis=1) == d
        for section, hit in zip(owners, hits.tolist()):
            if hit:
                sections[section]["correct"] += 1
                correct += 1
    total = len(rows)
    skipped = sum(s["skipped_oov"] for s in sections.values())
    acc = correct / total if total else float("nan")
    return AnalogyResult(str(path), acc, correct, total, skipped, sections, bad)


def is_analogy_file(path: str | Path, encoding: str = "utf-8") -> bool:
    """True when the first content line is a ``: section`` header or four words."""
    for _, text in _content_lines(path, encoding):
        return text.startswith(":") or len(text.split()) == 4
    raise InputError(path, "no pairs or questions in this file")


def evaluate(vectors: Any, path: str | Path, *, skip_bad_lines: bool = False,
             restrict_vocab: int | None = 300_000, subwords: bool = True,
             encoding: str = "utf-8") -> SimilarityResult | AnalogyResult:
    """Evaluate on a word-similarity or an analogy file, told apart by content
    (:func:`is_analogy_file`)."""
    if restrict_vocab is not None:
        check_number("--restrict-vocab", restrict_vocab, 1)
    if is_analogy_file(path, encoding):
        return evaluate_analogy(vectors, path, restrict_vocab, skip_bad_lines=skip_bad_lines,
                                encoding=encoding)
    return evaluate_similarity(vectors, path, skip_bad_lines=skip_bad_lines, subwords=subwords,
                               encoding=encoding)


# -- embedding matrix -----------------------------------------------------------------------

@dataclass
class Coverage:
    """How much of a vocabulary (specials excluded) has pretrained vectors: distinct tokens
    and token occurrences (by ``vocab.counts``). ``from_subwords``: covered only through
    fastText character n-grams."""

    tokens_covered: int
    tokens_total: int
    share_of_vocab: float
    occurrences_covered: int
    share_of_occurrences: float
    from_subwords: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        sub = f" ({self.from_subwords} through subwords)" if self.from_subwords else ""
        return (f"{self.tokens_covered}/{self.tokens_total} tokens covered{sub} "
                f"({self.share_of_vocab:.1%}), {self.share_of_occurrences:.1%} of occurrences")


def load_pretrained(embedding, vocab: "Vocab", path: str | Path, *, freeze: bool = False,
                    dim_option: str = "--emb-dim") -> dict:
    """Copy vectors from ``path`` (any format :func:`load_vectors` reads) into an ``nn.Embedding``
    over ``vocab``; ``freeze`` keeps them fixed in training. Returns the coverage report.
    ``dim_option`` names the option that sets the embedding's size, for the error message."""
    matrix, cov = embedding_matrix(vocab, load_vectors(path))
    dim = embedding.weight.shape[1]
    if matrix.shape[1] != dim:
        raise ZhnlpError(f"{path}: vectors have {matrix.shape[1]} dimensions, "
                         f"{dim_option} is {dim} (set {dim_option} {matrix.shape[1]})")
    embedding.weight.data.copy_(matrix)
    embedding.weight.requires_grad = not freeze
    return cov.as_dict()


def copy_rows(embedding, vocab: "Vocab", weights, source_vocab: "Vocab") -> int:
    """Copy into ``embedding`` (an ``nn.Embedding`` over ``vocab``) the rows of ``weights`` (a
    trained table over ``source_vocab``) of every entry both vocabularies hold, padding aside:
    how a model starts from another model's embeddings. Returns the rows copied."""
    import torch

    pairs = [(i, source_vocab.stoi[tok]) for i, tok in enumerate(vocab.itos)
             if tok in source_vocab.stoi and i != vocab.pad_id]
    if pairs:
        dst, src = (torch.tensor(x) for x in zip(*pairs))
        with torch.no_grad():
            embedding.weight[dst] = weights[src].to(embedding.weight.dtype)
    return len(pairs)


def embedding_matrix(vocab: "Vocab", vectors: Any, *, init: str = "normal", scale: float | None = None,
                     seed: int = 0, pad_zero: bool = True) -> tuple["torch.Tensor", Coverage]:
    """A ``[len(vocab), dim]`` float tensor for ``torch.nn.Embedding.from_pretrained(matrix,
    padding_idx=vocab.pad_id)`` and the vocabulary's :class:`Coverage`.

    Row i is the vector of ``vocab.itos[i]`` when it has one (fastText subwords: any word).
    Special tokens are not looked up. Other rows are drawn, seeded by ``seed``:
    ``normal`` (default): per dimension, the mean and standard deviation of the covered
    rows (``scale`` given: mean 0, standard deviation ``scale``); ``uniform``: U(-s, s)
    with s = ``scale`` or sqrt(3) x the covered rows' standard deviation (the same
    variance); ``zeros``. With no covered row the spread defaults to 1/sqrt(dim). The PAD
    row is zero when ``pad_zero``.
    """
    import numpy as np
    import torch

    if init not in INITS:
        raise ZhnlpError(f"init must be one of {', '.join(INITS)}, not {init!r}")
    if scale is not None and not scale >= 0:
        raise ZhnlpError(f"scale must be at least 0, not {scale!r}")
    vec = as_vectors(vectors)
    dim = vec.dim
    specials = set(vocab.specials)
    matrix = np.zeros((len(vocab), dim), dtype=np.float32)
    covered = np.zeros(len(vocab), dtype=bool)
    key_to_index = vec.kv.key_to_index
    in_vocab_rows, in_vocab_ids = [], []
    from_subwords = 0
    for i, tok in enumerate(vocab.itos):
        if tok in specials:
            continue
        j = key_to_index.get(tok)
        if j is not None:
            in_vocab_rows.append(i)
            in_vocab_ids.append(j)
        elif vec.subwords and tok in vec:
            matrix[i] = vec.kv.get_vector(tok)
            covered[i] = True
            from_subwords += 1
    if in_vocab_rows:
        matrix[in_vocab_rows] = vec.kv.vectors[in_vocab_ids]
        covered[in_vocab_rows] = True
    missing = ~covered
    for i, tok in enumerate(vocab.itos):  # specials are initialised like uncovered tokens
        if tok in specials:
            missing[i] = True
    if missing.any() and init != "zeros":
        rng = np.random.default_rng(seed)
        known = matrix[covered]
        spread_default = 1.0 / math.sqrt(dim)
        if init == "normal":
            if scale is not None:
                mean, std = np.zeros(dim), np.full(dim, scale)
            elif len(known):
                mean, std = known.mean(axis=0), known.std(axis=0)
            else:
                mean, std = np.zeros(dim), np.full(dim, spread_default)
            draws = rng.normal(mean, std, size=(int(missing.sum()), dim))
        else:
            s = scale if scale is not None else (
                math.sqrt(3) * float(known.std()) if len(known) else spread_default)
            draws = rng.uniform(-s, s, size=(int(missing.sum()), dim))
        matrix[missing] = draws.astype(np.float32)
    if pad_zero and vocab.pad_id is not None:
        matrix[vocab.pad_id] = 0.0
    n_total = len(vocab) - sum(1 for t in vocab.itos if t in specials)
    n_cov = int(covered.sum())
    occ_total = sum(c for t, c in vocab.counts.items() if t not in specials and t in vocab.stoi)
    occ_cov = sum(vocab.counts.get(t, 0) for i, t in enumerate(vocab.itos) if covered[i])
    coverage = Coverage(n_cov, n_total, n_cov / n_total if n_total else 0.0, occ_cov,
                        occ_cov / occ_total if occ_total else 0.0, from_subwords)
    return torch.from_numpy(matrix), coverage


__all__ = ["EmbeddingConfig", "TokenStream", "WordVectors", "TrainResult", "train_to_file", "SimilarityResult", "AnalogyResult",
           "Coverage", "train_vectors", "segment_to_file", "save_vectors", "load_vectors",
           "as_vectors", "convert_vectors", "vector_format_for", "sniff_vector_format", "most_similar", "analogy",
           "similarity", "read_similarity_pairs", "read_analogies", "evaluate_similarity",
           "evaluate_analogy", "evaluate", "is_analogy_file", "embedding_matrix", "load_pretrained", "copy_rows",
           "ALGOS", "VECTOR_FORMATS", "INITS"]
