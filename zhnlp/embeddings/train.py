"""Training word2vec / fastText vectors with gensim on a corpus streamed from disk, segmented once."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from ..checks import check_choice, check_number
from ..errors import InputError, ZhnlpError
from ..io import MAX_LINE_CHARS, check_output_path
from ..text.features import LEVELS, tokenized_lines
from .vectors import save_vectors, vector_format_for

if TYPE_CHECKING:  # pragma: no cover
    from ..text.segment import Segmenter


ALGOS = ("word2vec", "fasttext")
MAX_SENTENCE_TOKENS = 10_000  # gensim ignores the words of a sentence beyond this many: longer lines are cut


def _default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@dataclass
class EmbeddingConfig:
    """Training options (gensim's, with fastText's defaults where they differ)."""

    algo: str = "word2vec"  # or fasttext: word vectors plus character n-gram vectors
    sg: bool = True  # skip-gram: better on small corpora and rare words; CBOW is faster
    hs: bool = False  # hierarchical softmax
    negative: int | None = None  # negative samples: 5, or 0 with hs
    sample: float = 1e-3  # down-sampling threshold of frequent words (0: off)
    window: int = 5  # context words on each side
    dim: int = 100
    min_count: int = 5  # drop words seen fewer times
    epochs: int = 5
    workers: int = field(default_factory=_default_workers)  # identical vectors for a seed need 1
    seed: int = 1
    alpha: float = 0.025  # learning rate, falling linearly to min_alpha
    min_alpha: float = 0.0001
    min_n: int = 3  # fastText character n-gram lengths
    max_n: int = 6
    bucket: int = 2_000_000  # fastText hash buckets for n-grams (memory: bucket * dim * 4 bytes)
    max_vocab_size: int | None = None  # prune rare words while counting, to bound memory

    def __post_init__(self) -> None:
        if self.negative is None:
            self.negative = 0 if self.hs else 5
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ZhnlpError` on an out-of-range option (named as on the command line)."""
        check_choice("--algo", self.algo, ALGOS)
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


class TokenStream:
    """Token lists of corpus files, read again on every pass (gensim's vocabulary count and epochs), long lines cut."""

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
    """Segment raw text once into a file of words joined by spaces (blank lines dropped); returns (lines, tokens)."""
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
    """Train a gensim Word2Vec or FastText model on corpus files (raw text segmented once into ``tmp_dir``)."""
    config = config or EmbeddingConfig()
    config.validate()
    names = [str(p) for p in inputs]
    if not names:
        raise ZhnlpError("no input files")
    check_choice("--level", level, LEVELS)
    check_number("--jobs", jobs, 1)
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
    """Train and save vectors (``zhnlp embed train``), the output checked first: a long run never fails on ``-o``."""
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


__all__ = ["EmbeddingConfig", "TokenStream", "TrainResult", "train_vectors", "train_to_file", "segment_to_file", "ALGOS", "MAX_SENTENCE_TOKENS"]
