"""A linear-chain CRF over token-window features (python-crfsuite: L-BFGS with L1 and L2): ``--model crf``.

Features of position i: the tokens at i-2..i+2 and the four bigrams among them (``--softword``: also jieba's BMES
position at i-1..i+1; POS: also a word's first and last character). crfsuite decodes without constraints, so a
path may break the scheme (I- after O); such tags are read as conlleval reads them, as the metrics do.
The model directory holds crfsuite's own binary model as a byte tensor in model.safetensors: nothing is unpickled.
"""
from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ZhnlpError
from ..text.features import norm as norm_token
from ..text.vocab import Vocab
from ..training.serialization import CONFIG_FILE, WEIGHTS_FILE, ModelFormatError, load_model, require_vocabs, save_model
from .tagger_features import Featurizer, TaggerConfig

MODEL_TYPE = "crf-tagger"
_PAD = ("\x02", "\x03")  # before the first and after the last token (control characters: never text)


@dataclass
class CRFConfig:
    """crfsuite's training settings (chosen on ResumeNER dev: docs/experiments.md)."""
    c1: float = 0.1              # L1 penalty (sparse weights)
    c2: float = 0.1              # L2 penalty
    max_iterations: int = 300    # L-BFGS iterations (fewer when the loss settles first): ResumeNER in < 60 s

    def __post_init__(self) -> None:
        for name in ("c1", "c2"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a number >= 0")
        if not (isinstance(self.max_iterations, int) and self.max_iterations >= 1):
            raise ValueError("max_iterations must be at least 1")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CRFConfig:
        """A config from config.json; unknown keys are a ValueError."""
        extra = sorted(set(data) - {f.name for f in fields(cls)})
        if extra:
            raise ValueError(f"unknown CRF config key {extra[0]!r}")
        return cls(**dict(data))


class CRFTagger:
    """A feature CRF: :meth:`fit`, :meth:`predict` (what a :class:`~zhnlp.tasks.tagger.Tagger` decodes with),
    :meth:`save` / :meth:`load`."""
    kind = "crf"

    def __init__(self, config: CRFConfig, task_config: TaggerConfig, root: Path | None = None) -> None:
        """``root``: the model directory holding the lexicons ``task_config.lexicons`` names (``--softword``)."""
        self.config, self.task_config = config, task_config
        self.featurizer = Featurizer(task_config, {}, root)  # its jieba segmenter gives the soft-word positions
        self.tagset: list[str] = []
        self.metrics: dict = {}
        self._model: bytes | None = None
        self._tagger = None

    def features(self, tokens: Sequence[str]) -> list[list[str]]:
        """Each position's feature names: tokens and bigrams within ±2 (and soft-word positions, affixes)."""
        c = self.task_config
        t = [norm_token(x) for x in tokens] if c.normalize else list(tokens)
        n = len(t)
        p = [_PAD[0]] * 2 + t + [_PAD[1]] * 2
        bi = [a + b for a, b in pairwise(p)]
        cols = [[f"u{k}{x}" for x in p[k:k + n]] for k in range(5)]
        cols += [[f"b{k}{x}" for x in bi[k:k + n]] for k in range(4)]
        if c.softword:
            s = ["-"] + ["?BMES"[i] for i in self.featurizer.softword(tokens)] + ["-"]
            cols += [[f"s{k}{x}" for x in s[k:k + n]] for k in range(3)]
        if c.affix:
            cols += [[f"p{x[0]}" for x in t], [f"q{x[-1]}" for x in t]]
        return [list(f) for f in zip(*cols)]

    def fit(self, sentences: Iterable[tuple[Sequence[str], Sequence[str]]]) -> CRFTagger:
        """Train on ``(tokens, tags)`` pairs with L-BFGS."""
        import pycrfsuite

        trainer = pycrfsuite.Trainer(algorithm="lbfgs", verbose=False)
        for tokens, tags in sentences:
            if len(tokens):
                trainer.append(self.features(tokens), list(tags))
        trainer.set_params(asdict(self.config))
        fd, tmp = tempfile.mkstemp(suffix=".crfsuite")
        os.close(fd)
        try:
            trainer.train(tmp)
            self._open(Path(tmp).read_bytes(), Path(tmp))
        finally:
            os.unlink(tmp)
        return self

    def _open(self, model: bytes, path: Path) -> None:
        """Decode with crfsuite's binary model ``model`` (read from ``path``)."""
        import pycrfsuite

        tagger = pycrfsuite.Tagger()
        try:
            tagger.open_inmemory(model)  # crfsuite reads the buffer in place: it is kept on self
        except ValueError as exc:
            raise ModelFormatError(str(path), f"not a crfsuite model ({exc})") from None
        self._model, self._tagger, self.tagset = model, tagger, sorted(tagger.labels())

    def predict(self, token_lists: Iterable[Sequence[str]], batch_size: int = 64) -> list[list[str]]:
        """Tags of each token list (``batch_size``: unused, sentences are decoded one by one)."""
        if self._tagger is None:
            raise RuntimeError("the CRF is not trained (call fit or CRFTagger.load)")
        tag, features = self._tagger.tag, self.features
        return [tag(features(t)) if len(t) else [] for t in token_lists]

    def save(self, path: str | Path, metrics: Mapping | None = None,
             extra_files: Mapping[str, bytes] | None = None) -> Path:
        """Write a model directory: the crfsuite model as bytes in model.safetensors, settings in config.json."""
        config = {**asdict(self.config), "task_config": asdict(self.task_config)}
        return save_model(path, model_type=MODEL_TYPE, config=config,
                          tensors={"crfsuite": np.frombuffer(self._model, dtype=np.uint8)},
                          vocabs={"tags": Vocab(self.tagset, specials=(), unk=None, level="tag")},
                          metrics=metrics, extra_files=extra_files)

    @classmethod
    def load(cls, path: str | Path) -> CRFTagger:
        """Read a directory written by :meth:`save` (nothing unpickled)."""
        files = load_model(path, framework="np", expect=(MODEL_TYPE,))
        cfg = dict(files.config)
        try:
            task = TaggerConfig.from_dict(cfg.pop("task_config", None) or {})
            model = cls(CRFConfig.from_dict(cfg), task, files.path)
        except (TypeError, ValueError, ZhnlpError) as exc:
            raise ModelFormatError(str(files.path / CONFIG_FILE), f"bad CRF config: {exc}") from None
        require_vocabs(files, ("tags",))
        data = files.tensors.get("crfsuite")
        if data is None or data.dtype != np.uint8 or data.ndim != 1:
            raise ModelFormatError(str(files.path / WEIGHTS_FILE), "no crfsuite model (a uint8 tensor 'crfsuite')")
        model._open(data.tobytes(), files.path / WEIGHTS_FILE)
        if model.tagset != sorted(files.vocabs["tags"].itos):
            raise ModelFormatError(str(files.path / WEIGHTS_FILE), "the crfsuite model's tags differ from vocab-tags")
        model.metrics = files.metrics
        return model


__all__ = ["MODEL_TYPE", "CRFConfig", "CRFTagger"]
