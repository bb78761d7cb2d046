"""Vocabularies (specials at fixed ids, then tokens by falling count; versioned JSON) and one-hot encodings."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping, Sequence

from ..checks import check_number
from ..errors import InputError, ZhnlpError
from ..io import atomic_output, check_output_path
from .features import tokenized_lines

if TYPE_CHECKING:  # pragma: no cover
    import torch

VOCAB_FORMAT = "zhnlp-vocab"
VOCAB_VERSION = 1
UNK, EOS, PAD, BOS = "<unk>", "<eos>", "<pad>", "<bos>"
DEFAULT_SPECIALS: tuple[str, ...] = (UNK, EOS, PAD, BOS)


class Vocab:
    """Token <-> id mapping with counts: ``specials`` first, ``unk`` for unknown tokens (None: KeyError)."""

    def __init__(self, tokens: Iterable[str] = (), counts: Mapping[str, int] | None = None, *,
                 specials: Sequence[str] = DEFAULT_SPECIALS, unk: str | None = UNK,
                 level: str = "word") -> None:
        if unk is not None and unk not in specials:
            raise ValueError(f"unk token {unk!r} must be one of the specials {list(specials)}")
        if len(set(specials)) != len(specials):
            raise ValueError(f"duplicate special tokens: {list(specials)}")
        self.specials = tuple(specials)
        self.unk = unk
        self.level = level
        self.itos: list[str] = list(self.specials)
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        for tok in tokens:
            if tok not in self.stoi:
                self.stoi[tok] = len(self.itos)
                self.itos.append(tok)
        self.counts: dict[str, int] = dict(counts or {})

    @classmethod
    def from_counts(cls, counts: Mapping[str, int], *, min_freq: int = 1, max_size: int | None = None,
                    specials: Sequence[str] = DEFAULT_SPECIALS, unk: str | None = UNK,
                    level: str = "word") -> "Vocab":
        """Tokens seen ``min_freq`` times, the ``max_size`` most frequent; ties by token, so builds are deterministic."""
        if min_freq < 1:
            raise ValueError("min_freq (--min-freq) must be at least 1")
        if max_size is not None and max_size < 0:
            raise ValueError("max_size must be at least 0")
        kept = sorted(((t, c) for t, c in counts.items() if c >= min_freq and t not in specials),
                      key=lambda tc: (-tc[1], tc[0]))
        if max_size is not None:
            kept = kept[:max_size]
        return cls((t for t, _ in kept), dict(kept), specials=specials, unk=unk, level=level)

    @classmethod
    def build(cls, token_lines: Iterable[Iterable[str]], *, min_freq: int = 1,
              max_size: int | None = None, specials: Sequence[str] = DEFAULT_SPECIALS,
              unk: str | None = UNK, level: str = "word") -> "Vocab":
        """Count a stream of token sequences (``level="char"``: the characters of strings or token lists)."""
        counts: Counter[str] = Counter()
        for item in token_lines:
            if level == "char":
                counts.update(c for c in (item if isinstance(item, str) else "".join(item))
                              if not c.isspace())
            else:
                counts.update(item)
        return cls.from_counts(counts, min_freq=min_freq, max_size=max_size, specials=specials,
                               unk=unk, level=level)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __iter__(self) -> Iterator[str]:
        return iter(self.itos)

    def __getitem__(self, token: str) -> int:
        """The id of ``token`` (the unk id for unknown tokens, KeyError without unk)."""
        i = self.stoi.get(token)
        if i is None:
            if self.unk is None:
                raise KeyError(f"token {token!r} is not in the vocabulary (and it has no unk)")
            return self.stoi[self.unk]
        return i

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Vocab) and self.itos == other.itos and self.counts == other.counts
                and self.unk == other.unk and self.level == other.level
                and self.specials == other.specials)

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, level={self.level!r}, specials={list(self.specials)})"

    @property
    def unk_id(self) -> int | None:
        return self.stoi[self.unk] if self.unk is not None else None

    @property
    def pad_id(self) -> int | None:
        return self.stoi.get(PAD)

    @property
    def eos_id(self) -> int | None:
        return self.stoi.get(EOS)

    @property
    def bos_id(self) -> int | None:
        return self.stoi.get(BOS)

    def freq(self, token: str) -> int:
        """Corpus count of ``token`` (0 for specials and unknown tokens)."""
        return self.counts.get(token, 0)

    def tokenize(self, text: str) -> list[str]:
        """Split raw text as this vocabulary was built: characters, or whitespace-separated words."""
        return [c for c in text if not c.isspace()] if self.level == "char" else text.split()

    def encode(self, tokens: Iterable[str], *, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """Ids of the tokens (unknown ones map to unk); optionally framed by BOS/EOS."""
        stoi, unk = self.stoi, self.unk_id
        ids = [self[t] for t in tokens] if unk is None else [stoi.get(t, unk) for t in tokens]
        if add_bos:
            ids.insert(0, self._special_id(BOS))
        if add_eos:
            ids.append(self._special_id(EOS))
        return ids

    def decode(self, ids: Iterable[int], *, strip_specials: bool = False) -> list[str]:
        """Tokens of the ids (or a 1-D tensor); ``strip_specials`` drops pad/bos and stops at the first EOS."""
        out: list[str] = []
        eos = self.eos_id
        skip = {self.stoi[s] for s in self.specials if s != self.unk}
        for i in (ids.tolist() if hasattr(ids, "tolist") else ids):
            if strip_specials:
                if i == eos:
                    break
                if i in skip:
                    continue
            out.append(self.itos[i])
        return out

    def _special_id(self, token: str) -> int:
        i = self.stoi.get(token)
        if i is None:
            raise ValueError(f"this vocabulary has no {token} token")
        return i

    def coverage(self, counts: Mapping[str, int]) -> tuple[float, float]:
        """Share of distinct tokens and of token occurrences in ``counts`` that this vocabulary holds."""
        total = sum(counts.values())
        if not counts or not total:
            return 0.0, 0.0
        known = [t for t in counts if t in self.stoi]
        return len(known) / len(counts), sum(counts[t] for t in known) / total

    def to_dict(self) -> dict:
        return {"format": VOCAB_FORMAT, "version": VOCAB_VERSION, "level": self.level,
                "specials": list(self.specials), "unk": self.unk,
                "tokens": self.itos[len(self.specials):],
                "counts": [self.counts.get(t, 0) for t in self.itos[len(self.specials):]]}

    @classmethod
    def from_dict(cls, data: dict, source: str = "<vocab>") -> "Vocab":
        if not isinstance(data, dict) or data.get("format") != VOCAB_FORMAT:
            raise InputError(source, f"not a zhnlp vocabulary (no \"format\": \"{VOCAB_FORMAT}\")")
        version = data.get("version")
        if version != VOCAB_VERSION:
            raise InputError(source, f"vocabulary format version {version!r} is not supported "
                                     f"(this zhnlp reads version {VOCAB_VERSION})")
        try:
            tokens, counts = list(data["tokens"]), list(data["counts"])
            specials = tuple(data["specials"])
            if len(tokens) != len(counts):
                raise ValueError("tokens and counts differ in length")
            vocab = cls(tokens, {t: int(c) for t, c in zip(tokens, counts) if c},
                        specials=specials, unk=data.get("unk"), level=data.get("level", "word"))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(source, f"malformed vocabulary: {exc}") from None
        if len(vocab) != len(specials) + len(tokens):
            raise InputError(source, "malformed vocabulary: duplicate tokens")
        return vocab

    def save(self, path: str | Path) -> Path:
        """Write JSON atomically (a failed write leaves any existing file untouched)."""
        target = check_output_path(path)
        with atomic_output(target) as f:
            json.dump(self.to_dict(), f, ensure_ascii=False)
            f.write("\n")
        return target

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        """Read a vocabulary saved by :meth:`save`; errors name the file."""
        name = str(path)
        try:
            with open(path, encoding="utf-8-sig") as f:
                data = json.load(f)
        except json.JSONDecodeError as exc:
            raise InputError(name, f"not valid JSON ({exc.msg})", exc.lineno) from None
        except UnicodeDecodeError:
            raise InputError(name, "not UTF-8 text") from None
        return cls.from_dict(data, name)


def build_vocab(inputs: Sequence[str | Path], *, level: str = "word", min_freq: int = 1,
                max_size: int | None = None, pre_segmented: bool = False, segmenter=None,
                encoding: str = "utf-8", jobs: int = 1,
                specials: Sequence[str] = DEFAULT_SPECIALS) -> Vocab:
    """Build a vocabulary from corpus files, streamed, segmenting raw text unless ``pre_segmented``."""
    if level not in ("word", "char"):  # a Vocab can tokenize raw text only at these levels
        raise ZhnlpError(f"--level must be word or char, not {level!r}")
    check_number("--min-freq", min_freq, 1)
    check_number("--jobs", jobs, 1)
    if max_size is not None:
        check_number("--max-size", max_size, 1)
    vocab = Vocab.build(tokenized_lines(inputs, segmenter, level=level, pre_segmented=pre_segmented,
                                        encoding=encoding, jobs=jobs, allow_empty=True),
                        min_freq=min_freq, max_size=max_size, specials=specials, level=level)
    if len(vocab) == len(vocab.specials) and not vocab.counts:
        raise ZhnlpError(f"no tokens in {', '.join(map(str, inputs))} (empty corpus)")
    return vocab


def one_hot(ids, size: int) -> "torch.Tensor":
    """Dense one-hot float tensor of shape ``(*ids.shape, size)`` (ids: list or LongTensor)."""
    import torch

    return torch.nn.functional.one_hot(_ids_tensor(ids, size), size).float()


def one_hot_sparse(ids, size: int) -> "torch.Tensor":
    """:func:`one_hot` as a sparse COO tensor, whose memory grows with ``len(ids)``, not the vocabulary size."""
    import torch

    t = _ids_tensor(ids, size)
    flat = t.reshape(-1)
    n = flat.numel()
    positions = torch.unravel_index(torch.arange(n), tuple(t.shape)) if t.dim() else ()
    indices = torch.stack([*positions, flat]) if n else torch.zeros((t.dim() + 1, 0), dtype=torch.long)
    return torch.sparse_coo_tensor(indices, torch.ones(n), (*t.shape, size), check_invariants=False).coalesce()


def _ids_tensor(ids, size: int) -> torch.Tensor:
    """``ids`` as a LongTensor, each checked to lie in ``[0, size)``."""
    import torch

    t = torch.as_tensor(ids, dtype=torch.long)
    if size < 1:
        raise ValueError("size must be at least 1")
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= size):
        raise ValueError(f"ids must lie in [0, {size}); got {int(t.min())}..{int(t.max())}")
    return t


__all__ = ["Vocab", "build_vocab", "one_hot", "one_hot_sparse", "DEFAULT_SPECIALS",
           "UNK", "EOS", "PAD", "BOS", "VOCAB_VERSION"]
