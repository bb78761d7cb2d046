"""Word vectors: :class:`WordVectors`, saving and loading every common format (validated, atomic), queries."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..checks import check_choice, check_number
from ..errors import InputError, ZhnlpError
from ..io import atomic_path, check_output_path, open_binary, read_lines
from ..resources import bundled_vectors

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from gensim.models import KeyedVectors


# word2vec: a "count dimension" line, then "word v1 v2 ..." lines; fasttext: the same (.vec); glove: no header line;
# word2vec-bin: header line, then word, space, float32 data; fasttext-bin: Facebook's .bin, with subword vectors.
VECTOR_FORMATS = ("word2vec", "word2vec-bin", "glove", "fasttext", "fasttext-bin")
FASTTEXT_MAGIC = 793712314  # the first four bytes of a fastText .bin (int32 little-endian)
MAX_VECTOR_LINE_CHARS = 10_000_000  # a 1,000-dimensional line is about 12,000

class WordVectors:
    """Gensim ``KeyedVectors``, their source and fastText ``model``; ``in`` holds for words with vectors."""

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
        """Refuse, naming the source, a word that has no vector."""
        for w in words:
            if w not in self:
                raise ZhnlpError(f"word {w!r} is not in the vocabulary of {self.source}")

    def __repr__(self) -> str:
        sub = ", subwords" if self.subwords else ""
        return f"WordVectors({len(self)} words, dim {self.dim}{sub}, from {self.source})"


def as_vectors(obj: Any) -> WordVectors:
    """A :class:`WordVectors` from a path (loaded), a gensim model, KeyedVectors or WordVectors."""
    if isinstance(obj, WordVectors):
        return obj
    if isinstance(obj, (str, Path)):
        return load_vectors(obj)
    if hasattr(obj, "wv") and hasattr(obj.wv, "key_to_index"):  # Word2Vec / FastText model
        model = obj if _is_fasttext_model(obj) else None
        return WordVectors(obj.wv, f"<trained {type(obj).__name__} model>", model)
    if hasattr(obj, "key_to_index") and hasattr(obj, "vectors"):
        return WordVectors(obj, "<vectors>")
    raise TypeError(f"expected word vectors, a gensim model or a path, not {type(obj).__name__}")


def _is_fasttext_model(obj: Any) -> bool:
    try:
        from gensim.models import FastText
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, FastText)


def vector_format_for(path: str | Path, format: str | None = None, *, fasttext_model: bool = False) -> str:
    """``format``, else by extension: ``.bin`` binary (fastText's for its models), ``.glove`` glove, else text."""
    if format is not None:
        check_choice("--format", format, VECTOR_FORMATS)
        return format
    suffix = Path(path).suffix.lower()
    if suffix == ".bin":
        return "fasttext-bin" if fasttext_model else "word2vec-bin"
    if suffix == ".glove":
        return "glove"
    return "fasttext" if suffix == ".vec" and fasttext_model else "word2vec"


def save_vectors(vectors: Any, path: str | Path, format: str | None = None) -> Path:
    """Write vectors atomically in ``format`` or :func:`vector_format_for`'s; fasttext-bin needs a fastText model."""
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
    """Read ``source`` and write ``target`` (formats detected unless given); returns a line saying what was done."""
    fmt_in = from_format or sniff_vector_format(source)
    vec = load_vectors(source, fmt_in)
    fmt_out = vector_format_for(target, to_format, fasttext_model=vec.model is not None)
    out = save_vectors(vec, target, fmt_out)
    return f"converted {len(vec):,} vectors of dimension {vec.dim}: {source} ({fmt_in}) -> {out} ({fmt_out})"


def sniff_vector_format(path: str | Path) -> str:
    """A vector file's format by content: fastText's magic, a ``count dim`` header (binary or text), else glove."""
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
    # Text has a word and numbers next; the float32 bytes of binary almost never read as digits, signs and dots.
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
    """Read a vector file, or bundled vectors by name (``zh-char128``; format detected unless given; a fastText
    ``.bin`` keeps its subwords), errors by line."""
    path = bundled_vectors(path) or path
    name = str(path)
    fmt = format if format is not None else sniff_vector_format(path)
    check_choice("--from", fmt, VECTOR_FORMATS)
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


def _finish_kv(kv, index: dict[str, int], name: str, duplicates: int):
    """``kv`` with the words of ``index`` (word -> row), cut to their rows; repeated words are warned of."""
    n = len(index)
    kv.index_to_key = list(index)
    kv.key_to_index = index
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
    index: dict[str, int] = {}
    duplicates = lineno = 0
    kv = None
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
        n = len(index)
        if count is not None and n + duplicates >= count:
            raise InputError(name, f"more vectors than the {count:,} the header (line 1) announces", lineno)
        try:
            row = np.array(values, dtype=np.float32)
        except ValueError:
            bad = next(v for v in values if not _is_float(v))
            raise InputError(name, f"not a number: {bad!r}", lineno) from None
        if word in index:
            duplicates += 1
            continue
        if n >= kv.vectors.shape[0]:  # more lines than pre-counted (file grew): extend
            kv.vectors = np.concatenate([kv.vectors, np.zeros((max(n, 16), dim), np.float32)])
        kv.vectors[n] = row
        index[word] = n
    if dim is None or (count is None and header):
        raise InputError(name, "no vectors in this file")
    if count is not None and len(index) + duplicates < count:
        raise InputError(name, f"the header announces {count:,} vectors but the file has "
                               f"{len(index) + duplicates:,} (it ends at line {lineno})", 1)
    if not index:
        raise InputError(name, "no vectors in this file")
    return _finish_kv(kv, index, name, duplicates)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _count_nonblank_lines(name: str) -> int:
    with open(name, "rb") as f:
        return sum(1 for line in f if line.strip())


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
        index: dict[str, int] = {}
        duplicates = 0
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
            if word in index:
                duplicates += 1
                continue
            kv.vectors[len(index)] = row
            index[word] = len(index)
        rest = buf[pos:] + f.read(1 << 16)
        if rest.strip():
            raise InputError(name, f"data after the {count:,} vectors the header announces "
                                   "(a wrong count or dimension in the header?)")
    finally:
        f.close()
    return _finish_kv(kv, index, name, duplicates)


def most_similar(vectors: Any, word: str, topn: int = 10) -> list[tuple[str, float]]:
    """The ``topn`` vocabulary words closest to ``word`` by cosine (the word itself excluded)."""
    vec = as_vectors(vectors)
    check_number("--topn", topn, 1)
    vec.require(word)
    return [(w, float(s)) for w, s in vec.kv.most_similar(word, topn=topn)]


def analogy(vectors: Any, a: str, b: str, c: str, topn: int = 1) -> list[tuple[str, float]]:
    """a : b :: c : ? (3CosAdd): the words closest to ``b - a + c`` on unit vectors, the inputs excluded."""
    vec = as_vectors(vectors)
    check_number("--topn", topn, 1)
    vec.require(a, b, c)
    return [(w, float(s)) for w, s in vec.kv.most_similar(positive=[b, c], negative=[a], topn=topn)]


def similarity(vectors: Any, w1: str, w2: str) -> float:
    """Cosine similarity of two words."""
    vec = as_vectors(vectors)
    vec.require(w1, w2)
    return float(vec.kv.similarity(w1, w2))


__all__ = ["WordVectors", "save_vectors", "load_vectors", "as_vectors", "convert_vectors", "vector_format_for",
           "sniff_vector_format", "most_similar", "analogy", "similarity", "VECTOR_FORMATS"]
