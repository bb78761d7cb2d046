"""What a tagger reads: its options (:class:`TaggerConfig`) and the :class:`Featurizer` of its embeddings' ids."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import Any

from ..checks import check_choice, check_number
from ..embeddings import embedding_matrix
from ..errors import ZhnlpError
from ..text.features import bigrams, known_form
from ..text.features import norm as norm_token
from ..text.segment import Segmenter
from ..text.vocab import Vocab
from ..training.serialization import drop_removed
from .base import segmenter_for
from .recommended import TAGGER_BY_LEVEL, tagger_level, vectors_named

TASKS = ("ner", "cws", "pos")
# Options that decide the features a network reads: the members of an ensemble must agree on them.
FEATURE_OPTIONS = ("task", "scheme", "min_freq", "bigram", "bigram_min_freq", "softword", "lexicons", "affix",
                   "normalize", "static_embeddings", "static_max_words", "use_crf")
SOFTWORD_TAGS = ("<pad>", "B", "M", "E", "S")
# Options that zhnlp no longer has (docs/experiments.md): config.json files that hold them
# switched off still load; one switched on is refused, naming it.
REMOVED_OPTIONS = {"lexmatch": False, "gazetteer": False, "softlexicon": None, "softlexicon_table": None}
REMOVED_SETTINGS = ("lexmatch_dim", "gazetteer_dim", "gazetteer_folds", "softlexicon_max_words", "softlexicon_slots",
                    "softlexicon_dim")
REMOVED_NET_SETTINGS = ("lexicon_words", "lexicon_dim", "lexicon_slots")  # SoftLexicon's table (0: none)


@dataclass
class TaggerConfig:
    """Task and feature options of a tagger (saved in config.json)."""
    task: str = "ner"
    scheme: str | None = None        # tag scheme; None: detected from the training tags
    emb_dim: int = 128
    hidden: int = 128                # LSTM units per direction; a Transformer-CRF's model size
    layers: int = 1
    dropout: float = 0.5
    min_freq: int = 1                # token vocabulary cut-off
    word_dropout: float = 0.0        # alpha: in training a token seen c times becomes <unk> w.p. alpha/(alpha+c)
    bigram: bool = False             # character-bigram embeddings (c[i] c[i+1])
    bigram_dim: int = 64
    bigram_min_freq: int = 2         # rare bigrams share <unk>: keeps the model small
    bigram_embeddings: str | None = None  # pretrained vectors (zhnlp embed --level bigram; dim = bigram_dim)
    softword: bool = False           # BMES position of each character in jieba's segmentation
    softword_dim: int = 20
    lexicons: list[str] = field(default_factory=list)  # user lexicons for --softword
    affix: bool | None = None        # POS: embeddings of a word's first and last character (default: on for pos)
    affix_dim: int = 32
    affix_embeddings: str | None = None  # pretrained character vectors for the affix embeddings (dim = affix_dim)
    normalize: bool = True           # full-width forms looked up as their half-width twins (NFKC), and
                                     # punctuation the vocabulary lacks as its other forms (PUNCT_FORMS)
    constrained: bool = True         # decoding never takes a transition the scheme forbids
    use_crf: bool = True
    embeddings: str | None = None    # pretrained vectors (zhnlp embed) for the token embeddings
    freeze_embeddings: bool = False
    # Word vectors as a second, fixed embedding: words unseen in training keep their own vector, not <unk>'s
    static_embeddings: str | None = None
    static_max_words: int = 40000    # the file's first words (gensim writes the most frequent first)
    static_dim: int = 0              # set from the vectors when training
    half_precision: bool = False     # store weights as float16 (half the size; loads as float32)
    encoder: str | None = None       # a trained BiLSTM-CRF tagger whose embeddings and LSTM this one starts from
    # POS: the CWS model (name or directory) that segments raw text in the standard trained on (ud-pos: ud-cws)
    segmenter: str | None = None

    def __post_init__(self) -> None:
        check_choice("task", self.task, TASKS)
        if self.affix is None:
            self.affix = self.task == "pos"
        for name in ("emb_dim", "hidden", "layers", "min_freq", "bigram_min_freq", "bigram_dim", "softword_dim",
                     "affix_dim", "static_max_words"):
            if getattr(self, name) < 1:
                raise ZhnlpError(f"--{name.replace('_', '-')} must be at least 1")
        if not 0 <= self.dropout < 1:
            raise ZhnlpError("--dropout must lie in [0, 1)")
        check_number("--word-dropout", self.word_dropout, 0)
        if self.segmenter and self.task != "pos":
            raise ZhnlpError("--segmenter names the CWS model that segments raw text for a POS model (train-pos)")

    @classmethod
    def recommended(cls, task: str = "ner", **changes: Any) -> TaggerConfig:
        """What ``zhnlp train-<task>`` trains by default (:mod:`zhnlp.tasks.recommended`), with ``changes``;
        ``auto`` vectors resolved to the bundled ones of their size."""
        s = {f.name: f.default for f in fields(cls) if f.name in ("emb_dim", "bigram_dim")}
        s.update(TAGGER_BY_LEVEL[tagger_level(task)], task=task, **changes)
        s["embeddings"] = vectors_named(s["embeddings"], "char", s["emb_dim"])
        s["bigram_embeddings"] = vectors_named(s["bigram_embeddings"], "bigram", s["bigram_dim"]) if s["bigram"] else None
        s["affix_embeddings"] = vectors_named(s["affix_embeddings"], "char", s["affix_dim"])
        return cls(**s)

    @classmethod
    def from_dict(cls, d: dict) -> TaggerConfig:
        """The config saved in config.json (removed options, when off, dropped: see ``REMOVED_OPTIONS``)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in drop_removed(d, REMOVED_OPTIONS, REMOVED_SETTINGS).items() if k in known})


class Featurizer:
    """Turns token lists into the id sequences a neural tagger (:mod:`zhnlp.nn.tagger`) reads."""

    def __init__(self, config: TaggerConfig, vocabs: dict[str, Vocab], root: Path | None = None) -> None:
        """``root``: the model directory that holds the lexicons named in ``config.lexicons``."""
        self.config, self.vocabs, self.root = config, vocabs, root

    @classmethod
    def build(cls, config: TaggerConfig, sentences: Sequence, static_vectors: Any = None) -> Featurizer:
        """Vocabularies of the training sentences (and the first words of ``static_vectors``, WordVectors)."""
        norm = norm_token if config.normalize else (lambda t: t)
        vocabs = {"tokens": Vocab.build(([norm(t) for t in s.tokens] for s in sentences),
                                        min_freq=config.min_freq),
                  "tags": Vocab.build((s.tags for s in sentences), specials=("<pad>",), unk=None)}
        if config.bigram:
            vocabs["bigram"] = Vocab.build((bigrams([norm(t) for t in s.tokens]) for s in sentences),
                                           min_freq=config.bigram_min_freq, specials=("<pad>", "<unk>"), unk="<unk>")
        if config.affix:
            vocabs["affix"] = Vocab.build(([norm(t)[0] for t in s.tokens] + [norm(t)[-1] for t in s.tokens]
                                           for s in sentences), specials=("<pad>", "<unk>"), unk="<unk>")
        if config.static_embeddings:
            if static_vectors is None:
                raise ZhnlpError("static embeddings need their vectors (zhnlp.embeddings.load_vectors)")
            words = (norm(w) for w in static_vectors.words)
            vocabs["static"] = Vocab(islice(dict.fromkeys(w for w in words if w), config.static_max_words),
                                     specials=("<pad>", "<unk>"), unk="<unk>")
            config.static_dim = static_vectors.dim
        return cls(config, vocabs)

    def feature_sizes(self) -> tuple[dict[str, int], dict[str, int]]:
        """(feature -> vocabulary size, feature -> embedding size) for the network config."""
        c = self.config
        sizes, dims = {}, {}
        if c.bigram:
            sizes["bigram"], dims["bigram"] = len(self.vocabs["bigram"]), c.bigram_dim
        if c.softword:
            sizes["softword"], dims["softword"] = len(SOFTWORD_TAGS), c.softword_dim
        if c.affix:
            for name in ("prefix", "suffix"):
                sizes[name], dims[name] = len(self.vocabs["affix"]), c.affix_dim
        if c.static_embeddings:
            sizes["static"], dims["static"] = len(self.vocabs["static"]), c.static_dim
        return sizes, dims

    @cached_property
    def segmenter(self) -> Segmenter:
        return segmenter_for(self.root, self.config.lexicons)

    def softword(self, chars: Sequence[str]) -> list[int]:
        """BMES position (ids 1-4) of each character in jieba's segmentation of the sentence."""
        ids: list[int] = []
        for w in self.segmenter.cut("".join(chars)):
            n = len(w)
            ids.extend([4] if n == 1 else [1] + [2] * (n - 2) + [3])
        if len(ids) != len(chars):  # multi-character tokens in the input: fall back to singles
            return [4] * len(chars)
        return ids

    def encode(self, tokens: Sequence[str], tags: Sequence[str] | None = None) -> dict:
        """One dataset item: ``ids``, ``features`` and (when given) ``tags``."""
        c, v = self.config, self.vocabs
        norm = [known_form(norm_token(t), v["tokens"]) for t in tokens] if c.normalize else list(tokens)
        item: dict[str, Any] = {"ids": v["tokens"].encode(norm), "features": {}}
        if c.bigram:
            item["features"]["bigram"] = v["bigram"].encode(bigrams(norm))
        if c.softword:
            item["features"]["softword"] = self.softword(tokens)
        if c.affix:
            item["features"]["prefix"] = v["affix"].encode([t[0] for t in norm])
            item["features"]["suffix"] = v["affix"].encode([t[-1] for t in norm])
        if c.static_embeddings:
            item["features"]["static"] = v["static"].encode(norm)
        if tags is not None:
            unknown = [t for t in tags if t not in v["tags"]]
            if unknown:
                raise ZhnlpError(f"tag {unknown[0]!r} was not seen in training")
            item["tags"] = v["tags"].encode(tags)
        return item


def _load_static(embedding, feats: Featurizer, vectors, train_s) -> dict:
    """Fill the fixed word-vector table and report how many training tokens it covers."""
    matrix, _ = embedding_matrix(feats.vocabs["static"], vectors)
    embedding.weight.data.copy_(matrix)
    embedding.weight.requires_grad = False
    vocab = feats.vocabs["static"]
    norm = norm_token if feats.config.normalize else (lambda t: t)
    tokens = [norm(t) for s in train_s for t in s.tokens]
    hits = sum(t in vocab.stoi for t in tokens)
    return {"words": len(vocab) - len(vocab.specials), "dim": int(matrix.shape[1]),
            "train_token_coverage": round(hits / max(1, len(tokens)), 4)}


__all__ = ["FEATURE_OPTIONS", "SOFTWORD_TAGS", "TASKS", "Featurizer", "TaggerConfig"]
