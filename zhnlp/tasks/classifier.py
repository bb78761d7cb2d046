"""Text classifiers (GRU, TextCNN or Transformer) over characters or words: train on a labelled table, predict labels and
probabilities."""
from __future__ import annotations

import math
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..checks import check_choice, check_number
from ..errors import InputError, ZhnlpError
from ..formats.datacheck import DataSummary, check_classes, check_skipped, counted
from ..formats.tables import LabeledTexts, read_class_names, read_labeled, split_indices
from ..io import atomic_output, check_output_path
from ..nn.choices import CLASSIFIER_NETWORKS, POOLINGS
from ..text.features import bigrams
from ..text.segment import Segmenter
from ..text.vocab import Vocab
from ..training.batching import ClassificationCollate
from ..training.ensemble import assemble, net_section
from ..training.metrics import score_classes
from ..training.plots import confusion_png
from ..training.serialization import (
    CONFIG_FILE,
    check_model_output,
    check_state,
    drop_removed,
    load_model,
    read_config,
    read_model,
    require_vocabs,
    resolve_model,
)
from ..training.trainer import TrainConfig, Trainer, set_seed
from .base import (
    TaskModel,
    TrainedModel,
    bundle,
    finish_training,
    from_vectors,
    numeric,
    present,
    run_metrics,
    segmenter_for,
    split_data,
    start_encoder,
    started_from,
)
from .recommended import CLASSIFIER, recommended_training, vectors_named

MODEL_TYPE = "gru-classifier"               # config.json's type of every classifier network (the name it had)
ENSEMBLE_TYPE = "gru-classifier-ensemble"   # several classifiers averaging their probabilities
MODEL_TYPES = (MODEL_TYPE, ENSEMBLE_TYPE)    # what load_classifier reads
# Options that decide what a network reads: the members of an ensemble must agree on them.
INPUT_OPTIONS = ("level", "user_dicts", "main_dict", "hmm", "normalize", "min_freq", "max_len", "bigram",
                 "bigram_min_freq", "ngrams", "ngram_min_freq")
LEVELS = ("char", "word")
# what the other networks read of the GRU's options: their poolings, and what they are
NETWORK_POOLINGS = {"textcnn": (("max",), "takes the maximum over time of one layer of convolutions"),
                    "transformer": (("max", "mean"), "pools its --layers blocks' outputs by --pooling max or mean")}
REMOVED_OPTIONS = {"bag": False}  # options zhnlp no longer has (docs/experiments.md): loaded when off


@dataclass
class ClassifierConfig:
    """Text and network options of a classifier (saved in config.json)."""
    model: str = "gru"               # the network: gru | textcnn | transformer
    level: str = "char"              # char | word (words from zhnlp.Segmenter)
    user_dicts: list[str] = field(default_factory=list)   # segmenter options for level=word
    main_dict: str | None = None
    hmm: bool | None = None
    normalize: bool = True           # NFKC (full-width → half-width) and lower-case
    min_freq: int = 1                # rarer tokens share <unk>
    max_len: int = 400               # tokens kept per text: the first and last halves (0: all)
    bigram: bool = False             # character-bigram embeddings added to the token embeddings
    bigram_min_freq: int = 2
    bigram_embeddings: str | None = None  # pretrained vectors for them (zhnlp embed --level bigram; dim = emb_dim)
    ngrams: int = 0                  # wide part: a linear model over the text's 1..N-grams of tokens (0: off)
    ngram_min_freq: int = 2
    emb_dim: int = 128
    hidden: int = 128                # GRU units per direction; TextCNN filters per width; Transformer size
    layers: int = 1                  # GRU layers; Transformer blocks
    bidirectional: bool = True
    pooling: str = "max"             # last | max | mean | attention (TextCNN: max; Transformer: max | mean)
    dropout: float = 0.3
    embeddings: str | None = None    # pretrained vectors (zhnlp embed) for the token embeddings
    freeze_embeddings: bool = False
    encoder: str | None = None       # a trained classifier whose embeddings and GRU this one starts from
    class_weights: str | None = None  # None, or "auto": inverse class frequency (imbalanced data)
    class_names: list[str] | None = None  # label id i → name (from --class-names; test files may use ids)
    half_precision: bool = False     # store weights as float16

    def __post_init__(self) -> None:
        check_choice("--model", self.model, CLASSIFIER_NETWORKS)
        if self.level not in LEVELS:
            raise ZhnlpError(f"--level must be char or word, not {self.level!r}")
        check_choice("--pooling", self.pooling, POOLINGS)
        if self.model != "gru":
            pools, what = NETWORK_POOLINGS[self.model]
            gru_only = [flag for flag, on in (("--pooling", self.pooling not in pools),
                                              ("--layers", self.model == "textcnn" and self.layers != 1),
                                              ("--unidirectional", not self.bidirectional),
                                              ("--encoder", bool(self.encoder))) if on]
            if gru_only:
                raise ZhnlpError(f"{', '.join(gru_only)}: the GRU's option(s); --model {self.model} {what}")
        for name in ("emb_dim", "hidden", "min_freq", "bigram_min_freq", "ngram_min_freq"):
            if getattr(self, name) < 1:
                raise ZhnlpError(f"--{name.replace('_', '-')} must be at least 1")
        if not 1 <= self.layers <= 4:
            raise ZhnlpError("--layers must lie between 1 and 4")
        if not 0 <= self.ngrams <= 5:
            raise ZhnlpError("--ngrams must lie between 0 and 5")
        if self.max_len < 0:
            raise ZhnlpError("--max-len must be at least 0")
        if not 0 <= self.dropout < 1:
            raise ZhnlpError("--dropout must lie in [0, 1)")
        if self.class_weights not in (None, "none", "auto"):
            raise ZhnlpError(f"--class-weights must be auto or none, not {self.class_weights!r}")
        if self.class_weights == "none":
            self.class_weights = None

    @classmethod
    def recommended(cls, **changes: Any) -> ClassifierConfig:
        """What ``zhnlp train-classifier`` trains by default (:mod:`zhnlp.tasks.recommended`), with ``changes``;
        ``auto`` vectors resolved to the bundled ones of the level and size (characters only)."""
        s = {f.name: f.default for f in fields(cls) if f.name in ("emb_dim", "level")}
        s.update(CLASSIFIER, **changes)
        s["embeddings"] = vectors_named(s["embeddings"], "char", s["emb_dim"] if s["level"] == "char" else 0)
        return cls(**s)

    @classmethod
    def from_dict(cls, d: dict) -> "ClassifierConfig":
        """The config saved in config.json (``--bag``, removed, dropped when off)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in drop_removed(d, REMOVED_OPTIONS).items() if k in known})


class TextEncoder:
    """Tokens of a text (characters or words) and their ids; what train and predict share."""

    def __init__(self, config: ClassifierConfig, vocabs: dict[str, Vocab], root: Path | None = None) -> None:
        """``root``: the model directory that holds the dictionaries named in ``config``."""
        self.config, self.vocabs, self.root = config, vocabs, root

    @cached_property
    def segmenter(self) -> Segmenter:
        return segmenter_for(self.root, self.config.user_dicts, self.config.main_dict, self.config.hmm)

    def tokens(self, text: str) -> list[str]:
        """Characters (whitespace dropped) or words, normalised, cut to ``max_len``."""
        c = self.config
        if c.normalize:
            text = unicodedata.normalize("NFKC", text).lower()
        if c.level == "char":
            toks = [ch for ch in text if not ch.isspace()]
        else:
            toks = [w for w in self.segmenter.cut(text) if w.strip()]
        if c.max_len and len(toks) > c.max_len:
            head = (c.max_len + 1) // 2
            toks = toks[:head] + toks[len(toks) - (c.max_len - head):]
        return toks

    @classmethod
    def build(cls, config: ClassifierConfig, texts: Sequence[str], labels: Sequence[str]) -> "TextEncoder":
        """An encoder with vocabularies from training texts and labels."""
        enc = cls(config, {})
        return enc.fit([enc.tokens(t) for t in texts], labels)

    def fit(self, token_lists: Sequence[list[str]], labels: Sequence[str]) -> "TextEncoder":
        """Build the vocabularies from tokenized training texts (see :meth:`tokens`)."""
        config = self.config
        self.vocabs["tokens"] = Vocab.build(token_lists, min_freq=config.min_freq)
        self.vocabs["labels"] = Vocab.build([sorted(set(labels))], specials=(), unk=None)
        if config.bigram:
            self.vocabs["bigram"] = Vocab.build((bigrams(t) for t in token_lists), min_freq=config.bigram_min_freq,
                                               specials=("<pad>", "<unk>"), unk="<unk>")
        if config.ngrams:
            self.vocabs["ngrams"] = Vocab.build((set(_ngrams(t, config.ngrams)) for t in token_lists),
                                               min_freq=config.ngram_min_freq, specials=("<pad>", "<unk>"), unk="<unk>")
        return self

    @property
    def labels(self) -> list[str]:
        return list(self.vocabs["labels"].itos)

    def encode(self, text: str | list[str], label: str | None = None) -> dict:
        toks = self.tokens(text) if isinstance(text, str) else text
        item: dict[str, Any] = {"ids": self.vocabs["tokens"].encode(toks) or [self.vocabs["tokens"].unk_id]}
        feats = {}
        if self.config.bigram:
            feats["bigram"] = self.vocabs["bigram"].encode(bigrams(toks)) or [1]
        if self.config.ngrams:  # the set of known n-grams (unknown ones carry no weight)
            v = self.vocabs["ngrams"]
            feats["ngrams"] = sorted({i for i in v.encode(_ngrams(toks, self.config.ngrams)) if i > 1}) or [0]
        if feats:
            item["features"] = feats
        if label is not None:
            item["label"] = self.vocabs["labels"].stoi[label]
        return item


def _ngrams(toks: Sequence[str], n: int) -> list[str]:
    """Token 1..n-grams (joined with a space at word level would be ambiguous; \x1f cannot occur)."""
    return ["\x1f".join(toks[i:i + k]) for k in range(1, n + 1) for i in range(len(toks) - k + 1)]


def build_module(config: ClassifierConfig, encoder: TextEncoder,
                 class_weights: list[float] | None = None) -> "Classifier":
    """A fresh classifier (untrained network) for the encoder's vocabularies."""
    from ..nn.classifier import ClassifierNetConfig
    from ..nn.tagger import transformer_heads

    heads = 0
    if config.model == "transformer":
        try:
            heads = transformer_heads(config.hidden)
        except ValueError as exc:
            raise ZhnlpError(str(exc)) from None

    net_cfg = ClassifierNetConfig(n_tokens=len(encoder.vocabs["tokens"]), n_classes=len(encoder.labels),
                                  emb_dim=config.emb_dim, hidden=config.hidden, layers=config.layers,
                                  bidirectional=config.bidirectional, pooling=config.pooling,
                                  dropout=config.dropout, pad_id=encoder.vocabs["tokens"].pad_id,
                                  n_bigrams=len(encoder.vocabs["bigram"]) if config.bigram else 0,
                                  n_ngrams=len(encoder.vocabs["ngrams"]) if config.ngrams else 0,
                                  network=config.model, heads=heads, ff=2 * config.hidden if heads else 0)
    return Classifier(config, encoder, net_cfg, class_weights)


@dataclass
class TableOptions:
    """How to read the tables: columns (names or 0-based indices), format, encoding, class names."""
    text_col: str | None = None
    label_col: str | None = None
    fmt: str = "auto"
    encoding: str = "utf-8"
    class_names: str | None = None   # file with one class name per line (label id i → line i)
    strict: bool = False
    names: list[str] | None = None   # the class names themselves (a model's, when no file is given)

    def read(self, path: str | Path, need_labels: bool = True) -> LabeledTexts:
        names = read_class_names(self.class_names) if self.class_names else self.names
        return read_labeled(path, text_col=self.text_col, label_col=self.label_col, fmt=self.fmt,
                            encoding=self.encoding, strict=self.strict, need_labels=need_labels, class_names=names)


def check_labels(data: LabeledTexts, known: Sequence[str]) -> None:
    """Every label of ``data`` is one the model knows (else an error naming the line)."""
    seen = set(known)
    for lab, line in zip(data.labels or [], data.lines):
        if lab not in seen:
            shown = ", ".join(list(known)[:12]) + (" ..." if len(known) > 12 else "")
            raise InputError(data.path, f"label {lab!r} does not occur in the training data (labels: {shown})", line)


def summarize_table(data: LabeledTexts, split: str, token_lists: Sequence[list[str]]) -> DataSummary:
    """What a labelled table holds: rows, tokens (as the classifier reads them), classes with counts."""
    tokens = [t for toks in token_lists for t in toks]
    summary = DataSummary(data.path, split, data.format, "rows", len(data), len(tokens), len(set(tokens)), "classes",
                          counted(data.labels or []))
    if data.columns[0]:
        summary.notes.append(f"text column {data.columns[0]!r}, label column {data.columns[1]!r}")
    if data.skipped:
        summary.notes.append(f"{len(data.skipped)} row(s) skipped (empty text or label)")
    return summary


TrainClassifierResult = TrainedModel  # the name it had


def train_classifier(train: str | Path, dev: str | Path | None, output: str | Path, *,
                     config: ClassifierConfig | None = None, train_config: TrainConfig | None = None,
                     test: str | Path | None = None,
                     split: str | None = None, table: TableOptions | None = None,
                     resume: bool = False, force: bool = False,
                     report: Callable[[list[DataSummary]], None] | None = None) -> TrainedModel:
    """Train a classifier (``config.model``: gru, textcnn or transformer) on checked tables (``report`` gets the summaries) and write its model directory;
    ``split="0.8,0.1,0.1"`` cuts ``train`` into stratified train/dev/test parts (split.json). No ``config`` or
    ``train_config``: the recommended ones (:mod:`zhnlp.tasks.recommended`)."""
    config = config or ClassifierConfig.recommended()
    train_config = train_config or recommended_training("classifier")
    check_model_output(output, force=force)
    table = table or TableOptions()
    if table.class_names and not table.names:
        table.names = read_class_names(table.class_names, table.encoding)
        table.class_names = None
    config.class_names = table.names
    data = table.read(train)
    skipped = {"train": data.skipped} if data.skipped else {}
    train_d, dev_d, test_d, split_info = split_data(data, split, train, dev, test, train_config.seed,
                                                    lambda d, parts, seed: split_indices(d.labels, parts, seed),
                                                    table.read)
    for name, d in (("dev", dev_d), ("test", test_d)):
        if d is not None and d.skipped:
            skipped[name] = d.skipped
    set_seed(train_config.seed)
    encoder = TextEncoder(config, {})
    token_lists = [encoder.tokens(t) for t in train_d.texts]  # tokenized once: vocabularies and items
    check_skipped(data.path, len(data.skipped), len(data) + len(data.skipped), "rows skipped for an empty text or "
                  "label", "are the text and label columns right? (--text-col, --label-col)")
    summaries = [summarize_table(train_d, "train", token_lists)]
    check_classes(summaries[0], data.columns[1] or "")
    summaries += [summarize_table(d, name, [encoder.tokens(t) for t in d.texts])
                  for name, d in (("dev", dev_d), ("test", test_d)) if d is not None and len(d)]
    encoder.fit(token_lists, train_d.labels)
    labels = encoder.labels
    for d in (dev_d, test_d):
        if d is not None and len(d):
            check_labels(d, labels)
    counts = Counter(train_d.labels)
    weights = ([len(train_d) / (len(labels) * max(counts[lab], 1)) for lab in labels]
               if config.class_weights == "auto" else None)  # inverse class frequency
    module = build_module(config, encoder, weights)
    fold = config.normalize  # lower-cased tokens find the vectors of any case (zhnlp embed keeps the case)
    coverage = from_vectors(config, "embeddings", [module.net.embed], encoder.vocabs["tokens"],
                            freeze=config.freeze_embeddings, fold_case=fold)
    bigram_coverage = from_vectors(config, "bigram_embeddings", [module.net.bigram_embed],
                                   encoder.vocabs["bigram"], fold_case=fold) if config.bigram else None
    encoder_coverage = started_from(config, "encoder",
                                    lambda path: load_encoder(module.net, encoder.vocabs["tokens"], path, config))
    items = [encoder.encode(toks, lab) for toks, lab in zip(token_lists, train_d.labels)]
    dev_items = [encoder.encode(t, lab) for t, lab in zip(dev_d.texts, dev_d.labels)] if dev_d is not None else []
    collate = ClassificationCollate(pad=encoder.vocabs["tokens"].pad_id)
    trainer = Trainer(module, items, dev_items, collate=collate, lengths=[len(i["ids"]) for i in items],
                      config=train_config, output=output, resume=resume)
    if report is not None:  # nothing but training is left (paths, vectors, encoder checked)
        report(summaries)
    result = trainer.train()
    metrics = run_metrics(result, trainer, train_config, model=f"{config.model}-classifier", level=config.level, labels=labels,
                          train_examples=len(items), skipped_rows={k: len(v) for k, v in skipped.items()})
    metrics.update(present(embedding_coverage=coverage, encoder_coverage=encoder_coverage,
                           bigram_embedding_coverage=bigram_coverage))
    data_of = {"dev": dev_d, "test": test_d}

    def score(split: str) -> dict | None:
        d = data_of[split]
        if d is None or not len(d):
            return None
        s = module.score(d)
        return {k: s[k] for k in ("accuracy", "macro_f1", "macro_precision", "macro_recall", "examples", "per_class")}

    extra = bundle(config, user_dicts="user-dict", main_dict="main-dict")
    trained = finish_training(module, trainer, result, metrics, score, extra, split_info)
    trained.skipped = skipped
    return trained


class Classifier(TaskModel):
    """A trained text classifier (:func:`load_classifier`): ``predict``, ``predict_proba``, ``top_k``; also trained."""
    MODEL_TYPE, ENSEMBLE_TYPE, SECTION = MODEL_TYPE, ENSEMBLE_TYPE, "classifier"

    def __init__(self, config: ClassifierConfig, encoder: TextEncoder, net_cfg,
                 class_weights: list[float] | None = None) -> None:
        """``net_cfg``: a list of network configs makes an ensemble of trained members (prediction only)."""
        from ..nn.classifier import ClassifierEnsemble, make_classifier_net

        net = ClassifierEnsemble(net_cfg) if isinstance(net_cfg, list) else make_classifier_net(net_cfg)
        super().__init__(config, encoder.vocabs, net_cfg, net)
        self.encoder, self.class_weights = encoder, class_weights

    def __repr__(self) -> str:
        return f"Classifier(labels={self.labels!r}, level={self.config.level!r}, path={str(self.path)!r})"

    @property
    def labels(self) -> list[str]:
        """Class names, in the order of :meth:`predict_proba`'s columns."""
        return self.encoder.labels

    def logits(self, batch: dict):
        feats = batch.get("features") or {}
        return self.net.logits(batch["ids"], batch["lengths"], feats.get("bigram"), feats.get("ngrams"))

    def adversarial_parameters(self) -> list:
        """What --adversarial perturbs: the token (and bigram) embeddings, not the wide part."""
        return [e.weight for e in (self.net.embed, self.net.bigram_embed) if e is not None]

    def forward_loss(self, batch: dict):
        import torch

        logits, gold = self.logits(batch).float(), batch["labels"]
        weight = torch.tensor(self.class_weights, device=logits.device) if self.class_weights else None
        loss = torch.nn.functional.cross_entropy(logits, gold, weight=weight, reduction="sum")
        if weight is not None:  # weighted mean, scaled back to a per-item sum
            loss = loss / weight[gold].sum() * gold.shape[0]
        return loss, int(gold.shape[0])

    def dev_scores(self, batches: Iterable[dict]) -> dict[str, float]:
        gold, pred = [], []
        for batch in batches:
            pred.extend(self.logits(batch).argmax(-1).tolist())
            gold.extend(batch["labels"].tolist())
        s = score_classes([self.labels[i] for i in gold], [self.labels[i] for i in pred], self.labels)
        return {"accuracy": s["accuracy"], "macro_f1": s["macro_f1"]}

    def predict_proba(self, texts: Sequence[str], batch_size: int = 128):
        """Probabilities, a numpy array (texts × classes) with columns in :attr:`labels` order."""
        import numpy as np
        import torch

        if isinstance(texts, str):
            raise TypeError("predict_proba takes a list of texts, not one string")
        rows = self.in_sorted_batches([self.encoder.encode(t) for t in texts],
                                      ClassificationCollate(pad=self.encoder.vocabs["tokens"].pad_id),
                                      lambda b: torch.softmax(self.logits(b).float(), -1).cpu().numpy(),
                                      batch_size, length=lambda item: len(item["ids"]))
        return np.array(rows, dtype=np.float32).reshape(len(rows), len(self.labels))

    def predict(self, texts: Sequence[str], batch_size: int = 128) -> list[str]:
        """The most probable class name of each text."""
        probs = self.predict_proba(texts, batch_size)
        return [self.labels[i] for i in probs.argmax(1)] if len(probs) else []

    def top_k(self, texts: Sequence[str], k: int = 3, batch_size: int = 128) -> list[list[tuple[str, float]]]:
        """The ``k`` most probable (class, probability) pairs of each text, best first."""
        check_number("--top-k", k, 1)
        probs = self.predict_proba(texts, batch_size)
        k = min(k, len(self.labels))
        return [[(self.labels[j], float(row[j])) for j in row.argsort()[::-1][:k]] for row in probs]

    def score(self, data: LabeledTexts) -> dict:
        """Accuracy, macro P/R/F1, per-class P/R/F1 and the confusion matrix on labelled texts."""
        check_labels(data, self.labels)
        return score_classes(data.labels, self.predict(data.texts), self.labels)

    def evaluate(self, path: str | Path, table: TableOptions | None = None) -> dict:
        """:meth:`score` on a labelled table file; ``skipped`` lists rows without text or label."""
        table = table or TableOptions()
        if not table.class_names and not table.names:
            table.names = self.config.class_names  # test files may give label ids, as training did
        data = table.read(path)
        result = self.score(data)
        result["skipped_lines"] = data.skipped
        return result


def load_classifier(name_or_path: str | Path, device: str | None = None, gpu: bool = False) -> Classifier:
    """A trained classifier from a model directory or a bundled name (``shopping-sentiment``...)."""
    files, cfg, net_cfg = _read_classifier(name_or_path)
    return Classifier(cfg, TextEncoder(cfg, files.vocabs, files.path), net_cfg).place(files, device, gpu)


def load_encoder(net, vocab: Vocab, directory: str | Path, config: ClassifierConfig) -> float:
    """Start ``net``'s embeddings and GRU from a trained classifier's; returns the share of ``vocab`` covered."""
    files = load_model(directory, expect=(MODEL_TYPE,))
    source, where = files.config.get("classifier") or {}, files.path / CONFIG_FILE
    if source.get("model", "gru") != "gru":
        raise ZhnlpError(f"{where}: --encoder starts from a GRU classifier, not a {source['model']} one")
    defaults = ClassifierConfig()
    for name in ("level", "normalize", "emb_dim", "hidden", "layers", "bidirectional"):
        theirs, mine = source.get(name, getattr(defaults, name)), getattr(config, name)
        if theirs != mine:
            flag = f"--{name.replace('_', '-')} {theirs}" if name != "bidirectional" else \
                ("--bidirectional" if theirs else "--unidirectional")
            raise ZhnlpError(f"{where}: the encoder has {name} {theirs!r} but the classifier {mine!r}; pass {flag}")
    if "tokens" not in files.vocabs or "embed.weight" not in files.tensors:
        raise ZhnlpError(f"{where}: incomplete encoder (no token vocabulary or embeddings)")
    rnn = {k[len("rnn."):]: v.float() for k, v in files.tensors.items() if k.startswith("rnn.")}
    check_state(rnn, {k: tuple(v.shape) for k, v in net.rnn.state_dict().items()}, files.path)
    copied = start_encoder(net, vocab, files.tensors["embed.weight"].float(), files.vocabs["tokens"], rnn)
    return round(copied / max(len(vocab) - 1, 1), 4)


def _read_classifier(name_or_path: str | Path):
    """(files, ClassifierConfig, net config or a list of them) of a classifier or ensemble directory."""
    from ..nn.classifier import ClassifierNetConfig

    path = resolve_model(name_or_path)
    kind = ENSEMBLE_TYPE if read_config(path)["model_type"] == ENSEMBLE_TYPE else MODEL_TYPE
    section, make = net_section(kind == ENSEMBLE_TYPE, lambda **d: ClassifierNetConfig(
        **drop_removed(d, REMOVED_OPTIONS)))
    files, (cfg, net_cfg) = read_model(path, kind, {"classifier": ClassifierConfig.from_dict, section: make})
    optional = [name for name, used in (("bigram", cfg.bigram), ("ngrams", cfg.ngrams)) if used]
    require_vocabs(files, ("tokens", "labels", *optional))
    return files, cfg, net_cfg


def build_ensemble(members: Sequence[str | Path], output: str | Path, *, dev: str | Path | None = None,
                   test: str | Path | None = None, table: TableOptions | None = None,
                   half: bool | None = None, force: bool = False) -> TrainedModel:
    """One model of classifiers that read the same inputs and classes, predicting their mean probabilities."""
    cfg, module, base = assemble(
        members, output=output, force=force, read=_read_classifier, options=INPUT_OPTIONS,
        config_from_dict=ClassifierConfig.from_dict,
        make_module=lambda cfg, vocabs, nets, root: Classifier(cfg, TextEncoder(cfg, vocabs, root), nets),
        half=half)
    metrics: dict[str, Any] = {"model": ENSEMBLE_TYPE, "labels": module.encoder.labels, **base}
    for split, path in (("dev", dev), ("test", test)):
        if path:
            metrics[split] = numeric(module.evaluate(path, table))
    # the first member's copies (the names hash them)
    dictionaries = bundle(cfg, module.encoder.root, user_dicts="user-dict", main_dict="main-dict")
    return TrainedModel(Path(module.save(output, metrics=metrics, extra_files=dictionaries)), metrics)


def probability_text(p: float) -> str:
    """Probabilities as printed: 4 decimals."""
    return f"{p:.4f}" if not math.isnan(p) else "nan"


def write_confusion(result: dict, prefix: str | Path) -> list[Path]:
    """Write :meth:`Classifier.score`'s confusion matrix as ``PREFIX.csv`` (rows gold) and ``PREFIX.png``."""
    import csv

    prefix = str(prefix)
    base = prefix[:-4] if prefix.lower().endswith((".csv", ".png")) else prefix
    csv_path = check_output_path(base + ".csv")
    with atomic_output(csv_path) as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["gold\\predicted", *result["labels"]])
        w.writerows([lab, *row] for lab, row in zip(result["labels"], result["confusion"]))
    written = [csv_path]
    png = confusion_png(result["confusion"], result["labels"], f"accuracy {100 * result['accuracy']:.2f}")
    if png:
        png_path = check_output_path(base + ".png")
        with atomic_output(png_path, binary=True) as f:
            f.write(png)
        written.append(png_path)
    return written


__all__ = ["ClassifierConfig", "Classifier", "TextEncoder", "TableOptions", "train_classifier",
           "load_classifier", "load_encoder", "build_ensemble", "check_labels", "write_confusion", "MODEL_TYPE",
           "ENSEMBLE_TYPE", "MODEL_TYPES"]
