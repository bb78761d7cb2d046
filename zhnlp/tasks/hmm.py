"""HMM taggers in numpy: smoothed maximum-likelihood λ = (A, B, π), first or second order (TnT), scheme constraints."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..formats.schemes import allowed_transitions, check_scheme, detect_scheme, parse_tag
from ..text.vocab import Vocab
from ..training.serialization import CONFIG_FILE, ModelFormatError, check_state, load_model, require_vocabs, save_model
from .viterbi import PairLattice, reference_viterbi, reference_viterbi2, viterbi_batch, viterbi_path  # re-exported

UNK_TOKEN = "<unk>"
MODEL_TYPE = "hmm"


@dataclass
class HMMConfig:
    """Training and decoding settings of an :class:`HMM` (defaults chosen on ResumeNER dev)."""
    order: int = 2                   # 1: bigram transitions (A); 2: trigram (A2) backed by A, decoded over tag pairs
    transition_alpha: float = 0.01   # add-alpha smoothing of start and bigram transition counts (0: ML)
    # (unigram, bigram, trigram) interpolation weights for order 2 (normalised); None: TnT's deleted interpolation
    trigram_weights: list[float] | None = field(default_factory=lambda: [0.0, 0.01, 0.99])
    emission_alpha: float = 0.05     # > 0, so that every token has some mass under every tag
    # <unk>'s emission count: "singletons" (tokens seen once under the tag × unk_weight: the best estimate of how
    # often a tag emits something new, so open-class tags win) or "uniform" (the classic tutorial HMM's)
    unk: str = "singletons"
    unk_weight: float = 3.0
    constrained: bool = True         # transitions and first/last tags the scheme forbids get probability 0
    # BIO, BIOES, BMES; None: detected when every training tag is a scheme tag (POS tags such as M, P are not)
    scheme: str | None = None
    min_freq: int = 1                # rarer tokens count as <unk>
    level: str = "char"              # char | word: recorded in the token vocabulary

    def __post_init__(self) -> None:
        if self.order not in (1, 2):
            raise ValueError(f"order must be 1 or 2, not {self.order!r}")
        if not (self.transition_alpha >= 0 and math.isfinite(self.transition_alpha)):
            raise ValueError("transition_alpha must be >= 0")
        if not (self.emission_alpha > 0 and math.isfinite(self.emission_alpha)):
            raise ValueError("emission_alpha must be > 0")
        if self.trigram_weights is not None:
            w = [float(x) for x in self.trigram_weights]
            if len(w) != 3 or min(w) < 0 or sum(w) <= 0:
                raise ValueError("trigram_weights must be 3 non-negative numbers, not all 0")
            self.trigram_weights = [x / sum(w) for x in w]
        if self.unk not in ("singletons", "uniform"):
            raise ValueError(f"unk must be 'singletons' or 'uniform', not {self.unk!r}")
        if not self.unk_weight >= 0:
            raise ValueError("unk_weight must be >= 0")
        if self.min_freq < 1:
            raise ValueError("min_freq must be at least 1")
        if self.scheme is not None:
            self.scheme = check_scheme(self.scheme)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "HMMConfig":
        """A config from a saved dict; unknown keys are a ValueError."""
        known = {f.name for f in fields(cls)}
        extra = sorted(set(data) - known)
        if extra:
            raise ValueError(f"unknown HMM config key {extra[0]!r}")
        return cls(**dict(data))


def _pairs(item: Any) -> tuple[Sequence[str], Sequence[str]]:
    """(tokens, tags) of a Sentence or a pair."""
    if hasattr(item, "tokens"):
        tokens, tags = item.tokens, item.tags
    else:
        tokens, tags = item
    if tags is None or len(tags) != len(tokens):
        raise ValueError("training sentences need one tag per token")
    return tokens, tags


def _log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(x)


class HMM:
    """HMM tagger: :meth:`fit`, :meth:`viterbi` / :meth:`predict`, :meth:`save` / :meth:`load` (safetensors + JSON)."""

    def __init__(self, config: HMMConfig | None = None) -> None:
        self.config = config or HMMConfig()
        self.tokens: Vocab | None = None
        self.tags: Vocab | None = None
        self.log_A: np.ndarray | None = None
        self.log_B: np.ndarray | None = None
        self.log_pi: np.ndarray | None = None
        self.log_A2: np.ndarray | None = None
        self.log_end: np.ndarray | None = None
        self.task_config: dict | None = None
        self.metrics: dict = {}  # metrics.json of a loaded model
        self._emit_T: np.ndarray | None = None
        self._lattice: PairLattice | None = None

    def fit(self, sentences: Iterable[Any]) -> "HMM":
        """Estimate λ from tagged sentences (``Sentence`` or ``(tokens, tags)``), streamed once."""
        cfg = self.config
        tok_counts: Counter[str] = Counter()
        tag_counts: Counter[str] = Counter()
        pair_counts: Counter[tuple[str, str]] = Counter()
        start_counts: Counter[str] = Counter()
        trans_counts: Counter[tuple[str, str]] = Counter()
        tri_counts: Counter[tuple[str | None, str, str]] = Counter()
        for item in sentences:
            tokens, tags = _pairs(item)
            if not tokens:
                continue
            start_counts[tags[0]] += 1
            tok_counts.update(tokens)
            tag_counts.update(tags)
            pair_counts.update(zip(tags, tokens))
            trans_counts.update(zip(tags, tags[1:]))
            if cfg.order == 2:
                tri_counts.update(zip([None, *tags], tags, tags[1:]))
        if not tag_counts:
            raise ValueError("no tagged tokens to train on")
        self.tags = Vocab.from_counts(tag_counts, specials=(), unk=None, level="tag")
        self.tokens = Vocab.from_counts(tok_counts, min_freq=cfg.min_freq, specials=(UNK_TOKEN,),
                                        unk=UNK_TOKEN, level=cfg.level)
        K, V = len(self.tags), len(self.tokens)
        tid, wid = self.tags.stoi, self.tokens.stoi
        start = np.zeros(K)
        for t, c in start_counts.items():
            start[tid[t]] = c
        trans = np.zeros((K, K))
        for (a, b), c in trans_counts.items():
            trans[tid[a], tid[b]] = c
        emit = np.zeros((K, V))
        singletons = cfg.unk == "singletons"
        for (t, w), c in pair_counts.items():
            j = wid.get(w, 0)
            if j:
                emit[tid[t], j] += c
            if singletons and (j == 0 or tok_counts[w] == 1):  # rare tokens: <unk> evidence
                emit[tid[t], 0] += c * cfg.unk_weight
        start_ok, trans_ok, end_ok = self._masks()
        self.log_pi = _normalize(start + cfg.transition_alpha, start_ok)
        self.log_A = _normalize(trans + cfg.transition_alpha, trans_ok)
        emit += cfg.emission_alpha
        if not singletons:
            emit[:, 0] = 0.0
        log_B = _log(emit / emit.sum(axis=1, keepdims=True))
        if not singletons:
            log_B[:, 0] = -math.log(K)  # the tutorial's log(1/N): no preference among tags
        self.log_B = log_B
        self.log_A2 = None
        if cfg.order == 2:
            tri = np.zeros((K + 1, K, K))
            for (h, a, b), c in tri_counts.items():
                tri[K if h is None else tid[h], tid[a], tid[b]] = c
            self.log_A2 = self._trigram(tri, tag_counts, trans, start_ok, trans_ok)
        self._prepare(end_ok)
        return self

    @classmethod
    def from_arrays(cls, tags: Sequence[str], tokens: Sequence[str], log_pi: np.ndarray,
                    log_A: np.ndarray, log_B: np.ndarray, log_A2: np.ndarray | None = None,
                    config: HMMConfig | None = None) -> "HMM":
        """A model of given parameters (textbook examples, tests); ``<unk>``, not in ``tokens``, is log_B's column 0."""
        model = cls(config or HMMConfig(order=2 if log_A2 is not None else 1, constrained=False))
        if (model.config.order == 2) != (log_A2 is not None):
            raise ValueError("log_A2 must be given exactly when config.order is 2")
        model.tags = Vocab(tags, specials=(), unk=None, level="tag")
        model.tokens = Vocab(tokens, specials=(UNK_TOKEN,), unk=UNK_TOKEN, level=model.config.level)
        K, V = len(model.tags), len(model.tokens)
        model.log_pi = np.asarray(log_pi, dtype=np.float64).reshape(K)
        model.log_A = np.asarray(log_A, dtype=np.float64).reshape(K, K)
        model.log_B = np.asarray(log_B, dtype=np.float64).reshape(K, V)
        model.log_A2 = None if log_A2 is None else np.asarray(log_A2, dtype=np.float64).reshape(K + 1, K, K)
        model._prepare()
        return model

    def _trigram(self, tri: np.ndarray, tag_counts: Mapping[str, int], trans: np.ndarray,
                 start_ok: np.ndarray, trans_ok: np.ndarray) -> np.ndarray:
        """log P(j | h, i), interpolated over the allowed transitions; an unseen context (h, i) uses the bigram's."""
        K = trans.shape[0]
        uni = np.array([tag_counts[t] for t in self.tags.itos], dtype=np.float64)
        p1 = uni / uni.sum()
        p2 = np.exp(self.log_A)
        ctx = tri.sum(axis=2, keepdims=True)
        p3 = np.where(ctx > 0, tri / np.maximum(ctx, 1), p2[None])
        w = self.config.trigram_weights or _deleted_interpolation(tri, trans, uni)
        p = w[0] * p1[None, None] + w[1] * p2[None] + w[2] * p3
        mask = np.broadcast_to(trans_ok[None], p.shape).copy()
        mask[:K] &= trans_ok[:, :, None]  # (h, i) itself must be a legal pair
        mask[K] &= start_ok[:, None]
        return _normalize(p, mask)

    def _masks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Allowed first tags, transitions and last tags (all True unless constrained)."""
        K = len(self.tags)
        if not self.config.constrained:
            return np.ones(K, bool), np.ones((K, K), bool), np.ones(K, bool)
        scheme = self.config.scheme
        if scheme is None:
            if any(parse_tag(t) is None for t in self.tags.itos):  # POS tags: nothing to forbid
                return np.ones(K, bool), np.ones((K, K), bool), np.ones(K, bool)
            scheme = detect_scheme(self.tags.itos)
        start, trans, end = allowed_transitions(self.tags.itos, scheme)
        return np.array(start, bool), np.array(trans, bool), np.array(end, bool)

    def _prepare(self, end_ok: np.ndarray | None = None) -> None:
        """Derived decoding tables (end mask, transposed emissions, pair lattice)."""
        if end_ok is None:
            end_ok = self._masks()[2]
        self.log_end = None if end_ok.all() else np.where(end_ok, 0.0, -np.inf)
        self._emit_T = np.ascontiguousarray(self.log_B.T)
        self._lattice = (PairLattice.build(self.log_pi, self.log_A2, self.log_end)
                         if self.log_A2 is not None else None)

    def _check_fitted(self) -> None:
        if self.log_A is None:
            raise RuntimeError("the HMM is not trained (call fit or HMM.load)")

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Token ids (unknown tokens: the ``<unk>`` id 0)."""
        self._check_fitted()
        stoi = self.tokens.stoi
        return [stoi.get(t, 0) for t in tokens]

    def emissions(self, tokens: Sequence[str]) -> np.ndarray:
        """Log emission scores of a sentence, positions × tags."""
        return self._emit_T[self.encode(tokens)]

    def viterbi(self, tokens: Sequence[str]) -> list[str]:
        """The most probable tag sequence of one sentence."""
        em = self.emissions(tokens)
        if self._lattice is not None:
            return [self.tags.itos[i] for i in self._lattice.decode_one(em)]
        return [self.tags.itos[i] for i in viterbi_path(self.log_pi, self.log_A, em, self.log_end)]

    def reference_viterbi(self, tokens: Sequence[str]) -> list[str]:
        """The same as :meth:`viterbi` by the pure-Python reference decoder (slow; for checks)."""
        em = self.emissions(tokens).tolist()
        end = None if self.log_end is None else self.log_end.tolist()
        if self.log_A2 is not None:
            path = reference_viterbi2(self.log_pi.tolist(), self.log_A2.tolist(), em, end)
        else:
            path = reference_viterbi(self.log_pi.tolist(), self.log_A.tolist(), em, end)
        return [self.tags.itos[i] for i in path]

    def log_joint(self, tokens: Sequence[str], tags: Sequence[str]) -> float:
        """log P(tokens, tags) (-inf for a path the constraints forbid): the quantity Viterbi maximizes."""
        self._check_fitted()
        if len(tokens) != len(tags):
            raise ValueError(f"{len(tokens)} tokens but {len(tags)} tags")
        if not tokens:
            return 0.0
        ids = [self.tags.stoi[t] for t in tags]
        em = self.emissions(tokens)
        K = len(self.tags)
        total = float(self.log_pi[ids[0]] + em[0, ids[0]])
        for t in range(1, len(ids)):
            if self.log_A2 is not None:
                h = K if t == 1 else ids[t - 2]
                total += float(self.log_A2[h, ids[t - 1], ids[t]])
            else:
                total += float(self.log_A[ids[t - 1], ids[t]])
            total += float(em[t, ids[t]])
        if self.log_end is not None:
            total += float(self.log_end[ids[-1]])
        return total

    def predict(self, token_lists: Iterable[Sequence[str]], batch_size: int = 64) -> list[list[str]]:
        """Tags of many sentences, in batches of similar length: the same paths as :meth:`viterbi` one by one."""
        self._check_fitted()
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        sents = [list(t) for t in token_lists]
        order = sorted(range(len(sents)), key=lambda i: len(sents[i]))
        out: list[list[str]] = [[] for _ in sents]
        itos = self.tags.itos
        K = len(itos)
        for lo in range(0, len(order), batch_size):
            idx = order[lo:lo + batch_size]
            lengths = np.array([len(sents[i]) for i in idx], dtype=np.intp)
            n = int(lengths.max())
            ids = np.zeros((len(idx), n), dtype=np.intp)
            for r, i in enumerate(idx):
                ids[r, :lengths[r]] = self.encode(sents[i])
            em = self._emit_T[ids] if n else np.zeros((len(idx), 0, K))
            if self._lattice is not None:
                paths = self._lattice.decode_batch(em, lengths)
            else:
                paths = viterbi_batch(self.log_pi, self.log_A, em, lengths, self.log_end)
            for i, path in zip(idx, paths):
                out[i] = [itos[k] for k in path]
        return out

    def tensors(self) -> dict[str, np.ndarray]:
        """The parameters by name: log_A, log_B, log_pi (and log_A2 for order 2)."""
        self._check_fitted()
        out = {"log_A": self.log_A, "log_B": self.log_B, "log_pi": self.log_pi}
        if self.log_A2 is not None:
            out["log_A2"] = self.log_A2
        return out

    def save(self, path: str | Path, metrics: Mapping | None = None,
             task_config: Mapping | None = None) -> Path:
        """Write a model directory: float64 parameters, ``tokens`` and ``tags``, the config (and ``task_config``)."""
        config: dict[str, Any] = asdict(self.config)
        task = task_config if task_config is not None else self.task_config
        if task is not None:
            config["task_config"] = dict(task)
        return save_model(path, model_type=MODEL_TYPE, config=config, tensors=self.tensors(),
                          vocabs={"tokens": self.tokens, "tags": self.tags}, metrics=metrics)

    @classmethod
    def load(cls, path: str | Path) -> "HMM":
        """Read a model directory written by :meth:`save` (shapes checked, nothing unpickled)."""
        files = load_model(path, framework="np", expect=(MODEL_TYPE,))
        cfg = dict(files.config)
        task = cfg.pop("task_config", None)
        try:
            config = HMMConfig.from_dict(cfg)
        except (TypeError, ValueError) as exc:
            raise ModelFormatError(str(files.path / CONFIG_FILE), f"bad HMM config: {exc}") from None
        require_vocabs(files, ("tokens", "tags"))
        model = cls(config)
        model.task_config, model.metrics = task, files.metrics
        model.tokens, model.tags = files.vocabs["tokens"], files.vocabs["tags"]
        K, V = len(model.tags), len(model.tokens)
        shapes = {"log_A": (K, K), "log_B": (K, V), "log_pi": (K,)}
        if config.order == 2:
            shapes["log_A2"] = (K + 1, K, K)
        check_state(files.tensors, shapes, files.path)
        for name in shapes:
            setattr(model, name, np.asarray(files.tensors[name], dtype=np.float64))
        model._prepare()
        return model


def _normalize(counts: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Log probabilities along the last axis of the allowed counts (else -inf); a row without mass: uniform."""
    c = np.where(mask, counts, 0.0)
    total = c.sum(axis=-1, keepdims=True)
    c = np.where(total > 0, c, np.where(mask, 1.0, 0.0))
    total = c.sum(axis=-1, keepdims=True)
    return _log(c / np.where(total > 0, total, 1.0))


def _deleted_interpolation(tri: np.ndarray, bi: np.ndarray, uni: np.ndarray) -> list[float]:
    """TnT's weights (Brants 2000): each trigram's count to the estimate that predicts it best, it held out."""
    lam = np.zeros(3)
    n = uni.sum()
    ctx = tri.sum(axis=2)
    for h, i, j in zip(*np.nonzero(tri)):
        c = tri[h, i, j]
        v3 = (c - 1) / (ctx[h, i] - 1) if ctx[h, i] > 1 else 0.0
        bi_ctx = bi[i].sum()
        v2 = (bi[i, j] - 1) / (bi_ctx - 1) if bi_ctx > 1 else 0.0
        v1 = (uni[j] - 1) / (n - 1) if n > 1 else 0.0
        lam[int(np.argmax([v1, v2, v3]))] += c
    total = lam.sum()
    return (lam / total).tolist() if total else [0.0, 0.0, 1.0]


__all__ = ["HMM", "HMMConfig", "PairLattice", "viterbi_path", "viterbi_batch", "reference_viterbi",
           "reference_viterbi2", "UNK_TOKEN"]
