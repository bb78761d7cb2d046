"""Sequence taggers (BiLSTM-CRF, Transformer-CRF, HMM, feature CRF) for NER and CWS over characters and POS over
words: one code path."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from functools import cached_property
from pathlib import Path
from typing import Any

from ..checks import check_choice
from ..embeddings import copy_rows, load_vectors
from ..errors import InputError, ZhnlpError
from ..formats.conll import bmes_to_words
from ..formats.datacheck import DataSummary, check_ner_tags, check_scheme_of, check_tagging, summarize_tagging
from ..formats.schemes import allowed_transitions, check_sentences, detect_scheme, entities, validate
from ..formats.tagged import detect_format, read_examples, resolve_format  # re-exported
from ..text.segment import Segmenter
from ..training import metrics
from ..training.batching import TaggingCollate
from ..training.ensemble import assemble, net_section
from ..training.serialization import CONFIG_FILE, check_model_output, read_config, read_model, resolve_model
from ..training.trainer import TrainConfig, Trainer, launched_world, set_seed, use_threads  # use_threads: re-exported
from .base import (
    TaskModel,
    TrainedModel,
    bundle,
    finish_training,
    from_vectors,
    numeric,
    present,
    run_metrics,
    start_encoder,
    started_from,
)
from .crf_tagger import MODEL_TYPE as CRF_TYPE
from .crf_tagger import CRFConfig, CRFTagger
from .hmm import HMM, HMMConfig
from .recommended import recommended_training
from .tagger_features import FEATURE_OPTIONS, REMOVED_NET_SETTINGS, TASKS, Featurizer, TaggerConfig, _load_static

MODEL_TYPES = {"bilstm-crf": "bilstm-crf-tagger", "hmm": "hmm", "crf": CRF_TYPE,
               "transformer-crf": "transformer-crf-tagger"}
ENSEMBLE_TYPE = "bilstm-crf-ensemble"   # several neural taggers decoding as one (build_ensemble); the name it had
NEURAL = {"bilstm-crf": "bilstm", "transformer-crf": "transformer"}  # --model -> TaggerNetConfig.encoder


def score(task: str, scheme: str | None, gold_tokens: Sequence[Sequence[str]],
          gold_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]]) -> dict:
    """Task metric: entity P/R/F1 (conlleval) for NER, word P/R/F1 for CWS, accuracy for POS."""
    if task == "ner":
        return metrics.score_entities(gold_tags, pred_tags, scheme).as_dict()
    if task == "cws":
        gold = [" ".join(bmes_to_words(t, g)) for t, g in zip(gold_tokens, gold_tags)]
        pred = [" ".join(bmes_to_words(t, p)) for t, p in zip(gold_tokens, pred_tags)]
        s = metrics.score_segmentation(gold, pred)
        return {"precision": s.precision, "recall": s.recall, "f1": s.f1, "gold_words": s.gold_words,
                "sentences": len(gold)}
    return {"accuracy": metrics.score_tags(gold_tags, pred_tags), "sentences": len(gold_tags)}


class NeuralTagger(TaskModel):
    """A BiLSTM-CRF or Transformer-CRF (or an ensemble of them) with its featurizer: what the trainer trains and a
    :class:`Tagger` uses."""
    MODEL_TYPE, ENSEMBLE_TYPE, SECTION = MODEL_TYPES["bilstm-crf"], ENSEMBLE_TYPE, "tagger"

    def __init__(self, config: TaggerConfig, featurizer: Featurizer, net_cfg) -> None:
        """``net_cfg``: a list of network configs makes an ensemble of trained members (decoding only)."""
        from ..nn.tagger import TaggerEnsemble, build_tagger_net

        tags = featurizer.vocabs["tags"]
        allowed = allowed_transitions(tags.itos, config.scheme) if config.constrained and config.scheme else None
        if config.constrained and tags.pad_id is not None:  # never decode the padding tag
            allowed = _forbid_tag(allowed, len(tags), tags.pad_id)
        net = TaggerEnsemble(net_cfg, allowed) if isinstance(net_cfg, list) else build_tagger_net(net_cfg, allowed)
        super().__init__(config, featurizer.vocabs, net_cfg, net)
        if not isinstance(net_cfg, list):  # config.json's model_type: what the one network is
            self.MODEL_TYPE = MODEL_TYPES[model_name(net_cfg)]
        self.featurizer, self.tagset = featurizer, tags.itos[1:]
        self.metric = "accuracy" if config.task == "pos" else "f1"
        # Word dropout (Kiperwasser & Goldberg 2016): rare tokens are sometimes read as <unk> in training,
        # so that <unk> learns what unseen tokens look like (their features still say what they are).
        vocab, a = featurizer.vocabs["tokens"], config.word_dropout
        self.unk_prob = [a / (a + vocab.freq(t)) if a and i != vocab.pad_id and vocab.freq(t) else 0.0
                         for i, t in enumerate(vocab.itos)] if a else None
        self._unk_table = None
        self._executor: tuple[int, Any] | None = None  # (pid, executor): a forked child makes its own

    def adversarial_parameters(self) -> list:
        """What --adversarial perturbs: the token embeddings."""
        return [self.net.embed.weight]

    def forward_loss(self, batch: dict):
        import torch

        unk = self.featurizer.vocabs["tokens"].unk_id
        if self.net.training and self.unk_prob and unk is not None:
            ids = batch["ids"]
            if self._unk_table is None or self._unk_table.device != ids.device:
                self._unk_table = torch.tensor(self.unk_prob, device=ids.device)
            hit = torch.rand(ids.shape, device=ids.device) < self._unk_table[ids]
            batch = {**batch, "ids": ids.masked_fill(hit, unk)}
        return self.net.loss(batch), int(batch["ids"].shape[0])

    def decode_batch(self, batch: dict, executor=None) -> list[list[str]]:
        """Tag names of each sentence; ``executor``: see :meth:`direction_executor`."""
        itos = self.featurizer.vocabs["tags"].itos
        return [[itos[i] for i in row] for row in self.net.decode(batch, self.config.constrained, executor)]

    def dev_scores(self, batches: Iterable[dict]) -> dict[str, float]:
        gold_tags, pred_tags, tokens = [], [], []
        itos, tok_itos = self.featurizer.vocabs["tags"].itos, self.featurizer.vocabs["tokens"].itos
        for batch in batches:
            pred_tags.extend(self.decode_batch(batch))
            for row, n, ids in zip(batch["tags"].tolist(), batch["lengths"].tolist(), batch["ids"].tolist()):
                gold_tags.append([itos[i] for i in row[:n]])
                tokens.append([tok_itos[i] for i in ids[:n]])
        return numeric(score(self.config.task, self.config.scheme, tokens, gold_tags, pred_tags))

    def direction_executor(self):
        """On a CPU with one torch thread (``zhnlp tag``), a thread for the LSTM's backward direction (two cores)."""
        import os

        import torch

        if torch.device(self.device).type != "cpu" or torch.get_num_threads() != 1 or not self.has_lstm:
            return None
        if self._executor is None or self._executor[0] != os.getpid():
            from concurrent.futures import ThreadPoolExecutor

            self._executor = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="zhnlp-lstm"))
        return self._executor[1]

    @property
    def has_lstm(self) -> bool:
        """Whether the network (or a member) is a BiLSTM-CRF."""
        return any(model_name(c) == "bilstm-crf" for c in self.net_configs)

    @property
    def net_configs(self) -> list:
        """The network config, or each member's."""
        return self.net_cfg if isinstance(self.net_cfg, list) else [self.net_cfg]

    def predict(self, token_lists: Sequence[Sequence[str]], batch_size: int = 64) -> list[list[str]]:
        executor = self.direction_executor()
        return self.in_sorted_batches([self.featurizer.encode(t) for t in token_lists],
                                      TaggingCollate(pad=self.featurizer.vocabs["tokens"].pad_id),
                                      lambda batch: self.decode_batch(batch, executor), batch_size,
                                      length=lambda item: len(item["ids"]))


def _forbid_tag(allowed, n: int, tag: int):
    """``(start, trans, end)`` masks (None: everything allowed) with tag id ``tag`` allowed nowhere."""
    start, trans, end = allowed if allowed is not None else ([True] * n, [[True] * n for _ in range(n)], [True] * n)
    return ([ok and i != tag for i, ok in enumerate(start)],
            [[ok and tag not in (i, j) for j, ok in enumerate(row)] for i, row in enumerate(trans)],
            [ok and i != tag for i, ok in enumerate(end)])


def model_name(net_cfg) -> str:
    """The ``--model`` of a network config (``bilstm-crf`` for configs saved before the Transformer)."""
    return next(name for name, encoder in NEURAL.items() if encoder == net_cfg.encoder)


def build_module(config: TaggerConfig, featurizer: Featurizer, model: str = "bilstm-crf") -> NeuralTagger:
    """A fresh neural tagger (untrained network) of ``model`` (a key of NEURAL) for the featurizer's vocabularies;
    a Transformer's heads come from its size (TENER's 64 per head), its feed-forward is twice as wide, its blocks
    are TENER's post-norm ones, and its dropout is TENER's around ``--dropout`` on the embeddings: half of it inside
    the blocks, 0.1 more on their outputs (0.15, 0.3, 0.4; chosen on ResumeNER dev: docs/experiments.md)."""
    from ..nn.tagger import TaggerNetConfig, transformer_heads

    sizes, dims = featurizer.feature_sizes()
    shape = {}
    if NEURAL[model] == "transformer":
        try:
            shape = {"heads": transformer_heads(config.hidden), "ff": 2 * config.hidden, "norm": "post",
                     "encoder_dropout": config.dropout / 2, "output_dropout": min(1.0, config.dropout + 0.1)}
        except ValueError as e:
            raise ZhnlpError(f"--model {model}: {e}") from None
    net_cfg = TaggerNetConfig(n_tokens=len(featurizer.vocabs["tokens"]), n_tags=len(featurizer.vocabs["tags"]),
                              emb_dim=config.emb_dim, hidden=config.hidden, layers=config.layers,
                              dropout=config.dropout, features=sizes, feature_dims=dims,
                              pad_id=featurizer.vocabs["tokens"].pad_id, use_crf=config.use_crf,
                              encoder=NEURAL[model], **shape)
    return NeuralTagger(config, featurizer, net_cfg)


TrainTaggerResult = TrainedModel  # the name it had


def train_tagger(train: str | Path, dev: str | Path | None, output: str | Path, *,
                 config: TaggerConfig | None = None, train_config: TrainConfig | None = None, task: str | None = None,
                 model: str = "bilstm-crf", test: str | Path | None = None,
                 data_format: str = "auto", encoding: str = "utf-8", resume: bool = False,
                 repair: bool = True, force: bool = False,
                 report: Callable[[list[DataSummary]], None] | None = None) -> TrainedModel:
    """Train a tagger (``bilstm-crf``, ``transformer-crf``, ``hmm`` or ``crf``) on checked data (``report`` gets the summaries) and write
    its model directory; NER tags that break the scheme are repaired as conlleval reads them (``repair=False``:
    an error). No ``config``: the recommended one of ``task`` (ner, cws, pos); no ``train_config``: the recommended
    training (:mod:`zhnlp.tasks.recommended`)."""
    if config is None:
        config = TaggerConfig.recommended(task or "ner")
    elif task is not None and task != config.task:
        raise ZhnlpError(f"task {task!r} differs from the config's task {config.task!r}")
    train_config = train_config or recommended_training("tagger")
    check_model_output(output, force=force)
    if config.segmenter:
        config.segmenter = check_segmenter(config.segmenter)

    check_choice("--model", model, MODEL_TYPES)
    if model != "bilstm-crf" and config.encoder:
        if model in NEURAL:
            raise ZhnlpError(f"--encoder starts a BiLSTM-CRF's embeddings and LSTM; --model {model} has no LSTM")
        raise ZhnlpError(f"--encoder starts a BiLSTM-CRF's network; --model {model} has none")
    if model not in NEURAL and launched_world()[0] > 1:
        raise ZhnlpError(f"--model {model} trains in one process; run it without torchrun")
    splits = [(name, str(path), resolve_format(path, config.task, data_format, encoding))
              for name, path in (("train", train), ("dev", dev), ("test", test)) if path]
    read: dict[str, list] = {}
    for name, path, fmt in splits:  # span JSON tagged in --scheme, else in the training data's (BIOES for spans)
        scheme = config.scheme or (detect_scheme(t for s in read["train"] for t in s.tags)
                                   if fmt == "spans" and read else None)
        read[name] = read_examples(path, config.task, fmt, encoding, scheme)
    train_s, dev_s, test_s = read["train"], read.get("dev", []), read.get("test", [])
    repaired: dict[str, int] = {}
    if config.task == "ner":
        for name, path, _ in splits:  # before any repair, which would read a non-tag as O
            check_ner_tags(read[name], path)
        config.scheme = config.scheme or detect_scheme(t for s in train_s for t in s.tags)
        for name, path, _ in splits[1:]:  # a dev/test file in another scheme would be "repaired" into this one
            check_scheme_of(read[name], path, config.scheme, name)
        for name, path, _ in splits:
            bad = [s for s in read[name] if validate(s.tags, config.scheme)]
            if bad:  # repaired in place, or an error naming the first bad line
                check_sentences(bad, config.scheme, path, repair=repair)
                repaired[name] = len(bad)
    elif config.task == "cws":
        config.scheme = "BMES"
    summaries = []
    for name, path, fmt in splits:
        summary = summarize_tagging(read[name], path, name, config.task, fmt, config.scheme)
        if repaired.get(name):
            summary.notes.append(f"{repaired[name]} sentence(s) with illegal tag sequences repaired")
        check_tagging(read[name], summary, config.task)
        summaries.append(summary)
    seen = {t for s in train_s for t in s.tags}
    for path, sents in ((dev, dev_s), (test, test_s)):
        _check_tags(sents, seen, path, "does not occur in the training data")
    # called once nothing but training is left (paths, vectors, encoder checked)
    announce = (lambda: report(summaries)) if report is not None else (lambda: None)
    t0 = time.perf_counter()
    if model not in NEURAL:
        return _train_counted(model, train_s, dev_s, test_s, output, config, t0, repaired, announce)
    return _train_neural(model, train_s, dev_s, test_s, output, config, train_config, resume, repaired, announce)


def _check_tags(sents: Sequence, known: set, path, problem: str) -> None:
    """Every tag of ``sents`` is in ``known`` (else an error naming the file and line)."""
    for s in sents:
        for i, t in enumerate(s.tags):
            if t not in known:
                raise InputError(str(path), f"tag {t!r} {problem}", s.line_of(i))


def _train_neural(model: str, train_s, dev_s, test_s, output, config: TaggerConfig, train_config, resume: bool,
                  repaired: dict, announce: Callable[[], None]) -> TrainedModel:
    import torch

    set_seed(train_config.seed)
    static = load_vectors(config.static_embeddings) if config.static_embeddings else None
    feats = Featurizer.build(config, train_s, static)
    module = build_module(config, feats, model)
    tables = module.net.feature_embed
    coverage = from_vectors(config, "embeddings", [module.net.embed], feats.vocabs["tokens"],
                            freeze=config.freeze_embeddings)
    affix_coverage = from_vectors(config, "affix_embeddings", [tables["prefix"], tables["suffix"]],
                                  feats.vocabs["affix"], dim_option="--affix-dim") if config.affix else None
    bigram_coverage = from_vectors(config, "bigram_embeddings", [tables["bigram"]], feats.vocabs["bigram"],
                                   dim_option="--bigram-dim") if config.bigram else None
    static_coverage = started_from(config, "static_embeddings",
                                   lambda _: _load_static(tables["static"], feats, static, train_s))
    encoder_coverage = started_from(config, "encoder", lambda path: load_encoder(module.net, feats, path))
    items = [feats.encode(s.tokens, s.tags) for s in train_s]
    dev_items = [feats.encode(s.tokens, s.tags) for s in dev_s]
    collate = TaggingCollate(pad=feats.vocabs["tokens"].pad_id, tag_pad=0, feature_pad=0)
    trainer = Trainer(module, items, dev_items, collate=collate, lengths=[len(i["ids"]) for i in items],
                      config=train_config, output=output, resume=resume)
    announce()
    result = trainer.train()
    metrics = run_metrics(result, trainer, train_config, task=config.task, model=model,
                          train_sentences=len(items), repaired_sentences=repaired)
    metrics.update(present(embedding_coverage=coverage, affix_embedding_coverage=affix_coverage,
                           static_embedding_coverage=static_coverage, bigram_embedding_coverage=bigram_coverage,
                           encoder_coverage=encoder_coverage))
    scored = {"dev": dev_items, "test": [feats.encode(s.tokens, s.tags) for s in test_s]}

    def score_split(split: str) -> dict | None:
        if not scored[split]:
            return None
        with torch.no_grad():
            return module.dev_scores(trainer.dev_batches(scored[split]))

    return finish_training(module, trainer, result, metrics, score_split, bundle(config, lexicons="lexicon"))


def _train_counted(model: str, train_s, dev_s, test_s, output, config: TaggerConfig, t0: float,
                   repaired: dict, announce: Callable[[], None]) -> TrainedModel:
    """An HMM or feature CRF: fitted in one call, scored on dev and test, saved."""
    if model == "hmm":
        tagger: Any = HMM(HMMConfig(scheme=config.scheme, constrained=config.constrained))
    else:
        tagger = CRFTagger(CRFConfig(), config)
    announce()
    tagger.fit((s.tokens, s.tags) for s in train_s)
    secs = time.perf_counter() - t0
    metrics: dict[str, Any] = {"task": config.task, "model": model, "train_seconds": round(secs, 3),
                               "device": "cpu", "train_sentences": len(train_s), "repaired_sentences": repaired}
    for name, sents in (("dev", dev_s), ("test", test_s)):
        if sents:
            pred = tagger.predict([s.tokens for s in sents])
            metrics[name] = numeric(score(config.task, config.scheme, [s.tokens for s in sents],
                                          [s.tags for s in sents], pred))
    if model == "hmm":
        return TrainedModel(Path(tagger.save(output, metrics=metrics, task_config=asdict(config))), metrics)
    lexicons = bundle(config, lexicons="lexicon")  # --softword's user lexicons, named in config.json by content
    return TrainedModel(Path(tagger.save(output, metrics=metrics, extra_files=lexicons)), metrics)


def build_ensemble(members: Sequence[str | Path], output: str | Path, *, dev: str | Path | None = None,
                   test: str | Path | None = None, half: bool | None = None, data_format: str = "auto",
                   encoding: str = "utf-8", force: bool = False) -> TrainedModel:
    """One model of neural taggers (BiLSTM-CRFs, Transformer-CRFs) that read the same features, decoding with their
    averaged scores."""
    cfg, module, base = assemble(
        members, output=output, force=force, read=_read_neural, options=FEATURE_OPTIONS,
        config_from_dict=TaggerConfig.from_dict,
        make_module=lambda cfg, vocabs, nets, root: NeuralTagger(cfg, Featurizer(cfg, vocabs, root), nets),
        half=half)
    metrics: dict[str, Any] = {"task": cfg.task, "model": ENSEMBLE_TYPE, **base}
    tagger = Tagger(cfg, module)
    for split, path in (("dev", dev), ("test", test)):
        if path:
            metrics[split] = numeric(tagger.evaluate(path, data_format, encoding))
    lexicons = bundle(cfg, module.featurizer.root, lexicons="lexicon")  # the first member's (the names hash them)
    return TrainedModel(Path(module.save(output, metrics=metrics, extra_files=lexicons)), metrics)


def entity_offsets(text: str, tags: Sequence[str], scheme: str | None) -> list[tuple[str, int, int, str]]:
    """Entities of ``tags`` (one per non-space character of ``text``): (type, start, end, span), end exclusive."""
    positions = [i for i, c in enumerate(text) if not c.isspace()]
    spans = [(typ, positions[s], positions[e - 1] + 1) for typ, s, e in entities(tags, scheme)]
    return [(typ, start, end, text[start:end]) for typ, start, end in spans]


class Tagger:
    """A trained tagger (:func:`load_tagger`): ``tag`` tokens or raw text, ``entities`` (NER), ``segment`` (CWS)."""

    def __init__(self, config: TaggerConfig, backend, path: Path | None = None, metrics: dict | None = None,
                 device: str = "cpu") -> None:
        self.config, self.backend, self.path, self.device = config, backend, path, device
        self.metrics = metrics or {}

    @property
    def task(self) -> str:
        return self.config.task

    def __repr__(self) -> str:
        net = getattr(self.backend, "net", None)
        kind = self.backend.kind if net is None else model_name(self.backend.net_configs[0])
        if hasattr(net, "members"):
            kind = f"bilstm-crf-ensemble of {len(net.members)}"
        return f"Tagger(task={self.task!r}, model={kind!r}, path={str(self.path)!r})"

    @cached_property
    def segmenter(self):
        """What splits raw text into words for a POS model: the CWS model it names (its standard), else jieba."""
        if not self.config.segmenter:
            return Segmenter().load()
        cws = load_tagger(self.config.segmenter, device=self.device)
        if cws.task != "cws":
            raise ZhnlpError(f"segmenter {self.config.segmenter}: a {cws.task} model cannot segment "
                             "(config.json names a CWS model)")
        return cws

    def tokens_of(self, text: str) -> list[str]:
        """Tokens of a raw line: characters (NER, CWS; whitespace dropped) or words (POS)."""
        return self.tokens_of_lines([text])[0]

    def tokens_of_lines(self, lines: Sequence[str], batch_size: int = 64) -> list[list[str]]:
        """:meth:`tokens_of` for many lines (a CWS segmenter segments them in batches)."""
        if self.task != "pos":
            return [[c for c in text if not c.isspace()] for text in lines]
        seg = self.segmenter
        if isinstance(seg, Tagger):
            return seg.segment_lines(lines, batch_size)
        return [[w for w in seg.cut(text) if w.strip()] for text in lines]

    def predict(self, token_lists: Sequence[Sequence[str]], batch_size: int = 64) -> list[list[str]]:
        """Tags for each token list (empty lists get empty tags)."""
        nonempty = [t for t in token_lists if len(t)]
        tagged = iter(self.backend.predict(nonempty, batch_size=batch_size) if nonempty else [])
        return [next(tagged) if len(t) else [] for t in token_lists]

    def tag(self, sentences: Iterable[str | Sequence[str]], batch_size: int = 64) -> list[list[tuple[str, str]]]:
        """(token, tag) pairs per sentence; a sentence is raw text or a list of tokens."""
        sentences = list(sentences)
        raw = iter(self.tokens_of_lines([s for s in sentences if isinstance(s, str)], batch_size))
        token_lists = [next(raw) if isinstance(s, str) else list(s) for s in sentences]
        return [list(zip(toks, tags)) for toks, tags in zip(token_lists, self.predict(token_lists, batch_size))]

    def entities(self, text: str) -> list[tuple[str, int, int, str]]:
        """Entities in raw text: (type, start, end, text), offsets into ``text`` (end exclusive)."""
        if self.task != "ner":
            raise ZhnlpError(f"entities() needs an NER model; this one does {self.task}")
        return entity_offsets(text, self.predict([self.tokens_of(text)])[0], self.config.scheme)

    def segment(self, text: str) -> list[str]:
        """Words of raw text (CWS models); whitespace separates words too."""
        if self.task != "cws":
            raise ZhnlpError(f"segment() needs a CWS model; this one does {self.task}")
        return self.segment_lines([text])[0]

    def segment_lines(self, lines: Sequence[str], batch_size: int = 64) -> list[list[str]]:
        """:meth:`segment` for many lines, batched."""
        pieces = [line.split() for line in lines]
        flat = [list(p) for ps in pieces for p in ps]
        words = (bmes_to_words(chars, tags) for chars, tags in zip(flat, self.predict(flat, batch_size)))
        return [[w for _ in ps for w in next(words)] for ps in pieces]

    def evaluate(self, path: str | Path, data_format: str = "auto", encoding: str = "utf-8") -> dict:
        """Score on a gold file: entity P/R/F1 (NER), word P/R/F1 (CWS), accuracy (POS)."""
        sents = read_examples(path, self.task, data_format, encoding, self.config.scheme)
        _check_tags(sents, set(self.backend.tagset), path, "is not one this model predicts")
        pred = self.predict([s.tokens for s in sents])
        return score(self.task, self.config.scheme, [s.tokens for s in sents], [s.tags for s in sents], pred)


class _HMMBackend:
    """An HMM as what a :class:`Tagger` predicts with."""
    kind = "hmm"

    def __init__(self, hmm) -> None:
        self.hmm, self.tagset = hmm, list(hmm.tags)

    def predict(self, token_lists, batch_size: int = 64) -> list[list[str]]:
        return self.hmm.predict([list(t) for t in token_lists])


def load_tagger(name_or_path: str | Path, device: str | None = None, gpu: bool = False,
                precision: str = "fp32") -> Tagger:
    """A trained tagger (a directory or a bundled name); ``bf16`` runs a BiLSTM-CRF's LSTM or a Transformer-CRF's
    encoder, and their output layer, in bfloat16."""
    check_precision(precision)
    path = resolve_model(name_or_path)
    kind = read_config(path)["model_type"]
    if kind == "hmm":
        hmm = HMM.load(path)
        return Tagger(TaggerConfig.from_dict(hmm.task_config or {}), _HMMBackend(hmm), path, hmm.metrics)
    if kind == CRF_TYPE:
        crf = CRFTagger.load(path)
        return Tagger(crf.task_config, crf, path, crf.metrics)

    files, cfg, net_cfg = _read_neural(path, _neural_type(kind))
    backend = NeuralTagger(cfg, Featurizer(cfg, files.vocabs, path), net_cfg).place(files, device, gpu)
    backend.net.set_precision(precision)
    return Tagger(cfg, backend, path, files.metrics, str(backend.device))


PRECISIONS = ("fp32", "bf16")


def check_precision(precision: str) -> None:
    """A one-line error for an unknown ``--precision`` (before any model or torch is loaded)."""
    check_choice("--precision", precision, PRECISIONS)


def tagger_config(name_or_path: str | Path) -> tuple[Path, TaggerConfig]:
    """A tagger's directory and config, checked as :func:`load_tagger` does but without torch (``zhnlp tag -j N``)."""
    path = resolve_model(name_or_path)
    kind = read_config(path)["model_type"]
    if kind in ("hmm", CRF_TYPE):
        return path, load_tagger(path).config  # numpy or crfsuite only
    _, (cfg,) = read_model(path, _neural_type(kind), {"tagger": TaggerConfig.from_dict},
                           vocabs=("tokens", "tags"), framework="np")
    return path, cfg


def check_segmenter(name_or_path: str) -> str:
    """A POS tagger's ``segmenter``, checked to be a CWS model: a bundled name, or a directory's absolute path."""
    path, cfg = tagger_config(name_or_path)
    if cfg.task != "cws":
        raise ZhnlpError(f"--segmenter {name_or_path}: a {cfg.task} model cannot segment (train one with train-cws)")
    return str(Path(path).resolve()) if Path(name_or_path).is_dir() else name_or_path


def _neural_type(model_type: str) -> str:
    """What a non-HMM tagger directory must be (so that a classifier's gets an error saying a tagger was expected)."""
    neural = (ENSEMBLE_TYPE, *(MODEL_TYPES[m] for m in NEURAL))
    return model_type if model_type in neural else MODEL_TYPES["bilstm-crf"]


def _read_neural(path: Path, kind: str | None = None):
    """(files, TaggerConfig, net config or a list of them) of a neural tagger or ensemble directory (``kind``)."""
    from ..nn.tagger import TaggerNetConfig

    kind = kind or _neural_type(read_config(path)["model_type"])
    section, make = net_section(kind == ENSEMBLE_TYPE, lambda **d: TaggerNetConfig(
        **{k: v for k, v in d.items() if k not in REMOVED_NET_SETTINGS}))
    files, (cfg, net_cfg) = read_model(path, kind, {"tagger": TaggerConfig.from_dict, section: make},
                                       vocabs=("tokens", "tags"))
    return files, cfg, net_cfg


# feature tables whose rows follow a vocabulary (copied entry by entry); the others are fixed
_FEATURE_VOCABS = {"bigram": "bigram", "prefix": "affix", "suffix": "affix", "static": "static"}


def load_encoder(net, feats: Featurizer, directory: str | Path) -> float:
    """Start ``net``'s embeddings and LSTM from a BiLSTM-CRF tagger's; returns the share of tokens the source knows."""
    import torch

    path = resolve_model(directory)
    kind = read_config(path)["model_type"]
    if kind == ENSEMBLE_TYPE:
        raise ZhnlpError(f"{path / CONFIG_FILE}: an ensemble cannot be an --encoder; pass one of its members")
    if kind in (MODEL_TYPES["hmm"], MODEL_TYPES["crf"], MODEL_TYPES["transformer-crf"]):
        what = {MODEL_TYPES["hmm"]: "an HMM", MODEL_TYPES["crf"]: "a feature CRF"}.get(kind, "a Transformer-CRF")
        part = "LSTM" if kind == MODEL_TYPES["transformer-crf"] else "network"
        raise ZhnlpError(f"{path / CONFIG_FILE}: {what} has no {part} to start from; --encoder takes a BiLSTM-CRF")
    trained = load_tagger(path).backend  # every file checked as for tagging
    source, src_net_cfg, src_vocabs = trained.net, trained.net.cfg, trained.featurizer.vocabs

    def shape(c) -> dict:
        return {"emb-dim": c.emb_dim, "hidden": c.hidden, "layers": c.layers,
                "features": sorted(c.feature_dims.items())}

    mine, theirs = shape(net.cfg), shape(src_net_cfg)
    for name in mine:
        if mine[name] != theirs[name]:
            raise ZhnlpError(f"{path / CONFIG_FILE}: the encoder has {name} {theirs[name]} but this tagger "
                             f"{mine[name]}; train with the encoder's --emb-dim, --hidden, --layers and feature options")

    start_encoder(net, feats.vocabs["tokens"], source.embed.weight, src_vocabs["tokens"], source.rnn.state_dict())
    with torch.no_grad():
        for name, table in net.feature_embed.items():
            weights, vocab_name = source.feature_embed[name].weight, _FEATURE_VOCABS.get(name)
            if vocab_name is not None:
                copy_rows(table, feats.vocabs[vocab_name], weights, src_vocabs[vocab_name])
            else:  # a fixed table (soft-word ids): same size, checked above
                table.weight.copy_(weights)
    vocab = feats.vocabs["tokens"]
    tokens = vocab.itos[len(vocab.specials):]
    return round(sum(t in src_vocabs["tokens"].stoi for t in tokens) / max(len(tokens), 1), 4)


__all__ = [
    "TASKS",
    "Featurizer",
    "Tagger",
    "TaggerConfig",
    "build_ensemble",
    "detect_format",
    "load_tagger",
    "read_examples",
    "score",
    "tagger_config",
    "train_tagger",
    "use_threads",
]
