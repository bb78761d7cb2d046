"""GRU seq2seq translation: train on sentence pairs, translate (greedy or beam search), score with sacreBLEU."""
from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..checks import check_choice, check_number
from ..errors import ZhnlpError
from ..formats.datacheck import DataSummary, check_languages, check_pairs_vary, check_skipped
from ..formats.pairs import Pairs, describe_skipped, detokenize_en, read_pairs, split_pairs, tokenize_en
from ..nn.choices import ATTENTIONS
from ..text.segment import Segmenter
from ..text.vocab import Vocab
from ..training.batching import Seq2SeqCollate, to_device
from ..training.serialization import check_model_output, drop_removed, read_model
from ..training.trainer import TrainConfig, Trainer, set_seed
from .base import TaskModel, TrainedModel, finish_training, run_metrics, segmenter_for, split_data
from .recommended import recommended_training

MODEL_TYPE = "gru-seq2seq"
LANGS = ("zh", "en")
LEVELS = ("char", "word")
SPACE = "▁"   # whitespace inside a Chinese character-level sentence
# Scheduled sampling, removed (docs/experiments.md): config.json files that hold it switched
# off (plain teacher forcing) still load; one that used it is refused, naming the option.
REMOVED_OPTIONS = {"teacher_forcing": 1.0, "tf_schedule": "constant"}
REMOVED_SETTINGS = ("tf_min", "tf_k")


@dataclass
class Seq2SeqConfig:
    """Text, network, training and decoding options of a translation model (config.json)."""
    src_lang: str = "zh"             # zh | en: how each side is tokenized
    tgt_lang: str = "en"
    src_level: str = "char"          # Chinese sides: char | word (zhnlp.Segmenter)
    tgt_level: str = "char"
    user_dicts: list[str] = field(default_factory=list)  # segmenter options for level=word
    lower: bool = False              # lower-case English (outputs are then truecased: first letter, "I")
    src_min_freq: int = 1            # rarer tokens share <unk>
    tgt_min_freq: int = 2
    max_src_len: int = 60            # longer training sentences are truncated or skipped (long_sentences)
    max_tgt_len: int = 60
    long_sentences: str = "truncate"  # truncate | skip
    emb_dim: int = 384
    hidden: int = 192                # encoder units per direction (decoder: 2 × hidden)
    layers: int = 1
    attention: str = "dot"           # dot (Luong, multiplicative) | additive (Bahdanau)
    input_feed: bool = True
    dropout: float = 0.3
    src_token_dropout: float = 0.1   # training: source tokens read as <unk> with this probability (trains <unk>)
    tie_embeddings: bool = True      # the output layer reuses the target embeddings (needs emb_dim == 2 × hidden)
    init_range: float = 0.08         # uniform initialisation in [-r, r] (Sutskever et al.); 0: torch's default
    label_smoothing: float = 0.1
    select: str = "bleu"             # dev metric that picks the best epoch: bleu | perplexity
    bucket_by: str = "target"        # length-bucketed batches sorted by target (then source) length, or source
    beam: int = 5                    # default beam size of translate/evaluate (1: greedy)
    alpha: float = 0.75              # length normalisation: log P / L^alpha
    max_len_ratio: float = 2.0       # decode at most ratio × source length + 10 tokens ...
    max_decode_len: int = 150        # ... and never more than this
    trained_src_len: int = 0         # longest training source, in tokens (0, models from before: max_src_len)
    half_precision: bool = False     # store weights as float16

    def __post_init__(self) -> None:
        checks = [(self.src_lang in LANGS and self.tgt_lang in LANGS, "--src-lang/--tgt-lang must be zh or en"),
                  (self.src_level in LEVELS and self.tgt_level in LEVELS, "--src-level/--tgt-level must be char or word"),
                  (self.long_sentences in ("truncate", "skip"), "--long must be truncate or skip"),
                  (self.select in ("bleu", "perplexity"), "--select must be bleu or perplexity"),
                  (self.bucket_by in ("target", "source"), "--bucket-by must be target or source"),
                  (0.0 <= self.dropout < 1.0, "--dropout must lie in [0, 1)"),
                  (0.0 <= self.src_token_dropout < 1.0, "--src-token-dropout must lie in [0, 1)"),
                  (0.0 <= self.label_smoothing < 1.0, "--label-smoothing must lie in [0, 1)"),
                  (1 <= self.layers <= 4, "--layers must lie between 1 and 4"),
                  (not self.tie_embeddings or self.emb_dim == 2 * self.hidden,
                   f"--tie-embeddings needs --emb-dim = 2 x --hidden ({2 * self.hidden}), not {self.emb_dim}"),
                  (self.beam >= 1, f"--beam must be at least 1, not {self.beam}")]
        for ok, msg in checks:
            if not ok:
                raise ZhnlpError(msg)
        for name in ("emb_dim", "hidden", "src_min_freq", "tgt_min_freq", "max_src_len", "max_tgt_len"):
            check_number(f"--{name.replace('_', '-')}", getattr(self, name), 1)
        check_number("--init-range", self.init_range, 0)
        check_number("--alpha", self.alpha, 0)
        check_choice("--attention", self.attention, ATTENTIONS)

    @classmethod
    def from_dict(cls, d: dict) -> "Seq2SeqConfig":
        """The config saved in config.json (scheduled sampling, removed, dropped when off)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in drop_removed(d, REMOVED_OPTIONS, REMOVED_SETTINGS).items() if k in known})


class PairEncoder:
    """Tokens and ids of both sides; what training and translation share."""

    def __init__(self, config: Seq2SeqConfig, vocabs: dict[str, Vocab]) -> None:
        self.config, self.vocabs = config, vocabs

    @cached_property
    def segmenter(self) -> Segmenter:
        return segmenter_for(None, self.config.user_dicts)

    def _tokens(self, text: str, lang: str, level: str, source: bool) -> list[str]:
        if lang == "en":
            return tokenize_en(text, lower=self.config.lower)
        if source:
            text = unicodedata.normalize("NFKC", text)
        if level == "word":
            return [w for w in self.segmenter.cut(text) if w.strip()]
        return [SPACE if ch.isspace() else ch for ch in " ".join(text.split())]

    def src_tokens(self, text: str) -> list[str]:
        return self._tokens(text, self.config.src_lang, self.config.src_level, True)

    def tgt_tokens(self, text: str) -> list[str]:
        return self._tokens(text, self.config.tgt_lang, self.config.tgt_level, False)

    def detokenize(self, tokens: Sequence[str]) -> str:
        """Target tokens → text (English by the reversible rule; Chinese joined)."""
        if self.config.tgt_lang == "en":
            return detokenize_en(tokens, truecase=self.config.lower)
        return "".join(" " if t == SPACE else t for t in tokens).strip()

    def fit(self, src_lists: Sequence[list[str]], tgt_lists: Sequence[list[str]]) -> "PairEncoder":
        c = self.config
        self.vocabs["src"] = Vocab.build(src_lists, min_freq=c.src_min_freq)
        self.vocabs["tgt"] = Vocab.build(tgt_lists, min_freq=c.tgt_min_freq)
        return self

    def encode_src(self, tokens: Sequence[str]) -> list[int]:
        return self.vocabs["src"].encode(tokens)

    def source_ids(self, text: str) -> list[int]:
        return self.encode_src(self.src_tokens(text))

    def target_ids(self, text: str) -> list[int]:
        return self.vocabs["tgt"].encode(self.tgt_tokens(text))

    def decode_tgt(self, ids: Sequence[int]) -> list[str]:
        return self.vocabs["tgt"].decode(ids, strip_specials=True)

    def target_text(self, ids: Sequence[int]) -> str:
        """Detokenized text of target ids (what translations and BLEU read)."""
        return self.detokenize(self.decode_tgt(ids))

    def collate(self):
        """The batch maker of these vocabularies (source + EOS; BOS + target, target + EOS)."""
        src_v, tgt_v = self.vocabs["src"], self.vocabs["tgt"]
        return Seq2SeqCollate(src_pad=src_v.pad_id, tgt_pad=tgt_v.pad_id, bos=tgt_v.bos_id, eos=tgt_v.eos_id,
                              batch_first=True)


@dataclass
class EncodedPairs:
    """Items for the trainer plus what was done to over-long sentences."""
    items: list[dict]
    truncated: int = 0
    skipped: int = 0


def encode_pairs(encoder: PairEncoder, src_lists: Sequence[list[str]], tgt_lists: Sequence[list[str]]) -> EncodedPairs:
    """``{"src": ids, "tgt": ids}`` items, over-long sides truncated or the pair skipped."""
    c = encoder.config
    out = EncodedPairs([])
    for s, t in zip(src_lists, tgt_lists):
        if len(s) > c.max_src_len or len(t) > c.max_tgt_len:
            if c.long_sentences == "skip":
                out.skipped += 1
                continue
            out.truncated += 1
            s, t = s[:c.max_src_len], t[:c.max_tgt_len]
        out.items.append({"src": encoder.encode_src(s), "tgt": encoder.vocabs["tgt"].encode(t)})
    return out


def bleu_chrf(hypotheses: Sequence[str], references: Sequence[Sequence[str]], tgt_lang: str = "en") -> dict:
    """sacreBLEU corpus BLEU and chrF (0-100, with signatures) of ``hypotheses``; ``references[i]``: sentence i's."""
    from sacrebleu.metrics import BLEU, CHRF

    n = max((len(r) for r in references), default=1)
    streams = [[r[j] if j < len(r) else None for r in references] for j in range(n)]
    bleu, chrf = BLEU(tokenize="zh" if tgt_lang == "zh" else "13a"), CHRF()
    b, c = (metric.corpus_score(list(hypotheses), streams) for metric in (bleu, chrf))
    return {"bleu": b.score, "chrf": c.score, "bleu_detail": str(b), "bleu_signature": str(bleu.get_signature()),
            "chrf_signature": str(chrf.get_signature()), "sentences": len(hypotheses),
            "references": sum(len(r) for r in references)}


def build_module(config: Seq2SeqConfig, encoder: PairEncoder):
    """A fresh seq2seq module for the encoder's vocabularies."""
    from ..nn.seq2seq import Seq2SeqNetConfig

    src, tgt = encoder.vocabs["src"], encoder.vocabs["tgt"]
    net_cfg = Seq2SeqNetConfig(n_src=len(src), n_tgt=len(tgt), src_pad=src.pad_id, tgt_pad=tgt.pad_id,
                               bos=tgt.bos_id, eos=tgt.eos_id, emb_dim=config.emb_dim, hidden=config.hidden,
                               layers=config.layers, attention=config.attention, input_feed=config.input_feed,
                               dropout=config.dropout, tie_embeddings=config.tie_embeddings)
    module = Translator(config, encoder, net_cfg)
    if config.init_range:
        module.net.init_uniform(config.init_range)
    return module


def translate_ids(model: "Translator", src_ids: Sequence[list[int]], *, beam: int, alpha: float,
                  batch_size: int = 64, attention: bool = False) -> tuple[list[list[int]], list | None]:
    """Target ids (no EOS) of source id lists and, with ``attention``, a (target + 1, source + 1) matrix each."""
    import torch

    cfg = model.config

    def run(batch: dict) -> list:
        lengths = batch["src_lengths"]
        limit = torch.clamp((lengths.float() * cfg.max_len_ratio).long() + 10, max=cfg.max_decode_len)
        hyps, att = model.net.beam_search(batch["src"], lengths, limit, k=beam, alpha=alpha, attention=attention)
        return [(h, att[j] if attention else None) for j, h in enumerate(hyps)]

    out = model.in_sorted_batches([{"src": ids} for ids in src_ids], model.encoder.collate(), run, batch_size,
                                  length=lambda item: len(item["src"]))
    return [h for h, _ in out], ([a for _, a in out] if attention else None)


def bucket_keys(items: Sequence[dict], by: str = "target") -> list[int]:
    """Length buckets' keys: target then source length (the decoder and output layer cost most), or source length."""
    if by == "source":
        return [len(i["src"]) for i in items]
    return [len(i["tgt"]) * 1000 + min(len(i["src"]), 999) for i in items]


TrainSeq2SeqResult = TrainedModel  # the name it had


@dataclass
class PairOptions:
    """How pair files are read: columns (0-based), encoding, strictness."""
    src_col: int = 1
    tgt_col: int = 0
    encoding: str = "utf-8"
    strict: bool = False

    def read(self, path: str | Path) -> Pairs:
        return read_pairs(path, src_col=self.src_col, tgt_col=self.tgt_col, encoding=self.encoding,
                          strict=self.strict)


def summarize_pairs(data: Pairs, split: str, options: PairOptions, config: Seq2SeqConfig,
                    src_lists: Sequence[list[str]] | None = None,
                    tgt_lists: Sequence[list[str]] | None = None) -> DataSummary:
    """What a pair file holds: pairs, source and target tokens (as the model reads them, unless given), columns."""
    encoder = PairEncoder(config, {})
    if src_lists is None or tgt_lists is None:
        src_lists = [encoder.src_tokens(s) for s in data.src]
        tgt_lists = [encoder.tgt_tokens(t) for t in data.tgt]
    src = [t for toks in src_lists for t in toks]
    tgt = [t for toks in tgt_lists for t in toks]
    fmt = f"TSV, column {options.src_col} ({config.src_lang}) -> column {options.tgt_col} ({config.tgt_lang})"
    summary = DataSummary(data.path, split, fmt, "pairs", len(data), len(src), len(set(src)), "",
                          token_label="source tokens")
    summary.notes.append(f"{len(tgt):,} target tokens ({len(set(tgt)):,} distinct)")
    return summary


def train_seq2seq(train: str | Path, dev: str | Path | None, output: str | Path, *,
                  config: Seq2SeqConfig | None = None, train_config: TrainConfig | None = None,
                  test: str | Path | None = None, split: str | None = None,
                  pairs: PairOptions | None = None, resume: bool = False,
                  force: bool = False, report: Callable[[list[DataSummary]], None] | None = None
                  ) -> TrainedModel:
    """Train a GRU seq2seq model on checked pair files (``report`` gets the summaries) and write its model directory;
    ``split="0.8,0.1,0.1"`` cuts ``train`` into train/dev/test grouped by source sentence (split.json). No ``config``
    or ``train_config``: the defaults of ``zhnlp train-seq2seq`` (:mod:`zhnlp.tasks.recommended`)."""
    config = config or Seq2SeqConfig()
    train_config = train_config or recommended_training("seq2seq")
    check_model_output(output, force=force)
    pairs = pairs or PairOptions()
    data = pairs.read(train)
    check_skipped(data.path, sum(map(len, data.skipped.values())), len(data) + sum(map(len, data.skipped.values())),
                  "lines skipped (" + ", ".join(data.skipped) + ")",
                  f"is it a TAB-separated pair file with columns {pairs.src_col} and {pairs.tgt_col}? "
                  "(--src-col, --tgt-col)")
    check_pairs_vary(data.path, data.src, data.tgt)
    for side, texts, lang, col in (("source", data.src, config.src_lang, pairs.src_col),
                                   ("target", data.tgt, config.tgt_lang, pairs.tgt_col)):
        check_languages(data.path, texts, lang, side, col)
    notes = [f"{train}: skipped {d}" for d in describe_skipped(data.skipped)]
    train_d, dev_d, test_d, split_info = split_data(data, split, train, dev, test, train_config.seed, split_pairs,
                                                    pairs.read)
    for path, d in ((dev, dev_d), (test, test_d)):
        if d is not None:  # (the parts of a split have no skipped lines of their own)
            notes += [f"{path}: skipped {x}" for x in describe_skipped(d.skipped)]
    set_seed(train_config.seed)
    encoder = PairEncoder(config, {})
    src_lists = [encoder.src_tokens(s) for s in train_d.src]
    tgt_lists = [encoder.tgt_tokens(t) for t in train_d.tgt]
    summaries = [summarize_pairs(d, name, pairs, config, *lists) for name, d, lists in (
        ("train", train_d, (src_lists, tgt_lists)), ("dev", dev_d, (None, None)), ("test", test_d, (None, None)))
        if d is not None and len(d)] if report is not None else []
    encoder.fit([s[:config.max_src_len] for s in src_lists], [t[:config.max_tgt_len] for t in tgt_lists])
    enc_train = encode_pairs(encoder, src_lists, tgt_lists)
    config.trained_src_len = max((len(item["src"]) for item in enc_train.items), default=0)
    if enc_train.truncated or enc_train.skipped:
        what = "truncated" if enc_train.truncated else "skipped"
        notes.append(f"{train}: {what} {enc_train.truncated or enc_train.skipped} pair(s) longer than "
                     f"--max-src-len {config.max_src_len} / --max-tgt-len {config.max_tgt_len}")
    if not enc_train.items:
        raise ZhnlpError(f"{train}: no training pairs left (all longer than --max-src-len/--max-tgt-len)")
    module = build_module(config, encoder)
    dev_items: list[dict] = []
    if dev_d is not None and len(dev_d):
        dev_items = encode_pairs(encoder, [encoder.src_tokens(s) for s in dev_d.src],
                                 [encoder.tgt_tokens(t) for t in dev_d.tgt]).items
        sources, refs = dev_d.references()
        module.dev_references = ([encoder.source_ids(s) for s in sources], refs)
    items = enc_train.items
    trainer = Trainer(module, items, dev_items, collate=encoder.collate(), lengths=bucket_keys(items, config.bucket_by),
                      config=train_config, output=output, resume=resume)
    if report is not None:  # nothing but training is left (paths checked)
        report(summaries)
    result = trainer.train()
    module.dev_references = None
    metrics = run_metrics(result, trainer, train_config, model=MODEL_TYPE, src_lang=config.src_lang,
                          tgt_lang=config.tgt_lang, train_pairs=len(items), truncated_pairs=enc_train.truncated,
                          skipped_long_pairs=enc_train.skipped,
                          skipped_lines={k: len(v) for k, v in data.skipped.items()},
                          vocab={side: len(encoder.vocabs[side]) for side in ("src", "tgt")})
    data_of = {k: d for k, d in (("dev", dev_d), ("test", test_d)) if d is not None and len(d)}
    trained = finish_training(module, trainer, result, metrics,
                              lambda split: module.score(data_of[split]) if split in data_of else None,
                              split_info=split_info)
    trained.notes = notes
    return trained


_ENDS = {"zh": r"(?:[。！？!?｡．]+|…+|\.{3,})[”’\"'」』）)\]】》]*",   # after these a sentence ends
         "en": r"[.!?]+[\"')\]]*(?=\s)"}
_CLAUSE_END = r"[，,；;：:、]+[”’\"'」』）)\]】》]*"                     # where a long sentence may be cut


def split_sentences(text: str, lang: str = "zh") -> list[str]:
    """``text`` cut after each sentence end (。！？…; . ! ? and a space), closing quotes kept; joined: ``text``."""
    return _cut_after(text, _ENDS[lang])


def _cut_after(text: str, pattern: str) -> list[str]:
    pieces, start = [], 0
    for m in re.finditer(pattern, text):
        if m.end() > start and m.end() < len(text):
            pieces.append(text[start:m.end()])
            start = m.end()
    pieces.append(text[start:])
    return [p for p in pieces if p.strip()] or [text]


def fit_length(text: str, lang: str, limit: int, length: Callable[[str], int]) -> list[str]:
    """``text`` as sentences, any longer than ``limit`` (by ``length``) cut at clause marks into runs that fit."""
    out: list[str] = []
    for sentence in split_sentences(text, lang):
        if length(sentence) <= limit:
            out.append(sentence)
            continue
        run = ""
        for clause in _cut_after(sentence, _CLAUSE_END):
            if run and length(run + clause) > limit:
                out.append(run)
                run = ""
            run += clause
        out.append(run)
    return [p.strip() for p in out]


@dataclass
class Alignment:
    """One translation with its attention: how much output token i attended to source token j (EOS last in both)."""
    source: list[str]
    target: list[str]
    weights: Any  # numpy array (len(target) + 1, len(source) + 1)
    text: str


class Translator(TaskModel):
    """A translation model (:func:`load_translator`): :meth:`translate`, :meth:`align`, :meth:`score`; also trained.
    Counts ``unknown_tokens`` of ``source_tokens``, ``split_inputs`` and over-long ``long_sentences``."""
    MODEL_TYPE, SECTION = MODEL_TYPE, "seq2seq"

    def __init__(self, config: Seq2SeqConfig, encoder: PairEncoder, net_cfg) -> None:
        from ..nn.seq2seq import Seq2SeqNet

        super().__init__(config, encoder.vocabs, net_cfg, Seq2SeqNet(net_cfg))
        self.encoder, self.metric, self.higher_is_better = encoder, config.select, config.select == "bleu"
        self.dev_references: tuple[list[list[int]], list[list[str]]] | None = None  # for greedy dev BLEU
        self.source_tokens = self.unknown_tokens = self.split_inputs = self.long_sentences = 0  # counts (see above)

    def nll(self, batch: dict, label_smoothing: float = 0.0):
        """Summed cross-entropy of the gold targets (teacher-forced) and the number of target tokens."""
        import torch

        logits = self.net(batch["src"], batch["src_lengths"], batch["tgt_in"])
        gold, pad = batch["tgt_out"], self.net_cfg.tgt_pad
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), gold.reshape(-1),
                                                 ignore_index=pad, reduction="sum", label_smoothing=label_smoothing)
        return loss, int((gold != pad).sum())

    def forward_loss(self, batch: dict):
        import torch

        p = self.config.src_token_dropout
        if self.net.training and p > 0:  # word dropout: some real source tokens become <unk>
            src, v = batch["src"], self.encoder.vocabs["src"]
            drop = (torch.rand(src.shape, device=src.device) < p) & (src != v.pad_id) & (src != v.eos_id)
            batch = {**batch, "src": src.masked_fill(drop, v.unk_id)}
        return self.nll(batch, self.config.label_smoothing)

    def _perplexity(self, batches: Iterable[dict]) -> float:
        """Teacher-forced perplexity over the target tokens of ``batches``."""
        from ..nn.seq2seq import perplexity

        total, tokens = 0.0, 0
        for batch in batches:
            loss, n = self.nll(batch)
            total += float(loss)
            tokens += n
        return perplexity(total, tokens)

    def dev_scores(self, batches: Iterable[dict]) -> dict[str, float]:
        """Dev perplexity (teacher-forced) and, when dev references are set, greedy BLEU."""
        scores = {"perplexity": self._perplexity(batches)}
        if self.dev_references is not None:
            src_ids, refs = self.dev_references
            hyps = translate_ids(self, src_ids, beam=1, alpha=self.config.alpha)[0]
            scores["bleu"] = bleu_chrf([self.encoder.target_text(h) for h in hyps], refs, self.config.tgt_lang)["bleu"]
        return scores

    @property
    def max_source_len(self) -> int:
        """The longest source, in tokens, the model was trained on (else, in older models, ``max_src_len``)."""
        return self.config.trained_src_len or self.config.max_src_len

    def sentences_of(self, text: str) -> list[str]:
        """What :meth:`translate` decodes for ``text``: itself, or if longer than :attr:`max_source_len`, its pieces."""
        limit = self.max_source_len
        if len(self.encoder.src_tokens(text)) <= limit:
            return [text]
        return fit_length(text, self.config.src_lang, limit, lambda t: len(self.encoder.src_tokens(t)))

    def __repr__(self) -> str:
        c = self.config
        return f"Translator({c.src_lang}->{c.tgt_lang}, attention={c.attention!r}, path={str(self.path)!r})"

    def decoding_options(self, beam: int | None, alpha: float | None) -> tuple[int, float]:
        """``beam`` and ``alpha``, the model's defaults where None, checked (a clear error otherwise)."""
        beam = self.config.beam if beam is None else beam
        alpha = self.config.alpha if alpha is None else alpha
        if isinstance(beam, bool) or not isinstance(beam, int) or beam < 1:
            raise ZhnlpError(f"--beam must be a whole number of at least 1 (1: greedy), not {beam!r}")
        check_number("--alpha", alpha, 0)
        return beam, alpha

    def _counted(self, ids: list[int]) -> list[int]:
        """``ids``, with its tokens and unknown tokens added to the counts."""
        self.source_tokens += len(ids)
        self.unknown_tokens += ids.count(self.encoder.vocabs["src"].unk_id)
        return ids

    def translate(self, sentences: Sequence[str], beam: int | None = None, alpha: float | None = None,
                  batch_size: int = 64, *, split: bool = True, warn: bool = True) -> list[str]:
        """Detokenized translations, one per input (``beam=1``: greedy); an input longer than the model was trained on
        is split (:meth:`sentences_of`) unless not ``split``, and one still too long ``warn``s."""
        beam, alpha = self.decoding_options(beam, alpha)
        if isinstance(sentences, str):
            raise TypeError("translate takes a list of sentences, not one string")
        parts = [self.sentences_of(s) if split else [s] for s in sentences]
        ids = [self._counted(self.encoder.source_ids(p)) for ps in parts for p in ps]
        hyps = iter(translate_ids(self, [row for row in ids if row], beam=beam, alpha=alpha, batch_size=batch_size)[0])
        flat = iter([self.encoder.target_text(next(hyps)) if row else "" for row in ids])  # an empty input gives ""
        long = sum(len(row) > self.max_source_len for row in ids)
        self.split_inputs += sum(len(ps) > 1 for ps in parts)
        self.long_sentences += long
        if long and warn:
            warnings.warn(f"{long} sentence(s) longer than the {self.max_source_len} tokens this model was trained "
                          "on: their translation may be cut short or wrong", stacklevel=2)
        sep = " " if self.config.tgt_lang == "en" else ""
        return [sep.join(t for t in (next(flat) for _ in ps) if t) for ps in parts]

    def align(self, sentence: str, beam: int | None = None, alpha: float | None = None) -> Alignment:
        """Translate one sentence and return its attention weights (for a heat map)."""
        beam, alpha = self.decoding_options(beam, alpha)
        tokens = self.encoder.src_tokens(sentence)
        ids = self._counted(self.encoder.encode_src(tokens))
        if not ids:
            raise ZhnlpError("cannot align an empty sentence")
        hyps, atts = translate_ids(self, [ids], beam=beam, alpha=alpha, attention=True)
        target = self.encoder.decode_tgt(hyps[0])
        unk = self.encoder.vocabs["src"].unk_id
        shown = [f"{t}?" if i == unk else t for t, i in zip(tokens, ids)]  # unknown tokens marked
        return Alignment(shown, target, atts[0].float().numpy(), self.encoder.detokenize(target))

    def perplexity(self, pairs: Pairs, batch_size: int = 128) -> float:
        """Teacher-forced perplexity of the targets given the sources."""
        import torch

        collate = self.encoder.collate()
        items = [{"src": self.encoder.source_ids(s), "tgt": self.encoder.target_ids(t)}
                 for s, t in zip(pairs.src, pairs.tgt)]
        items.sort(key=lambda it: -len(it["src"]))
        self.net.eval()
        with torch.inference_mode():
            return self._perplexity(to_device(collate(items[k:k + batch_size]), self.device)
                                    for k in range(0, len(items), batch_size))

    def score(self, pairs: Pairs, beam: int | None = None, alpha: float | None = None,
              greedy: bool = True) -> dict:
        """BLEU and chrF with beam search and (``greedy``) greedy decoding, and perplexity, on ``pairs``."""
        beam, alpha = self.decoding_options(beam, alpha)
        sources, refs = pairs.references()
        result: dict[str, Any] = {"beam": beam, "alpha": alpha}
        hyps = self.translate(sources, beam=beam, alpha=alpha, split=False, warn=False)  # pairs: as they are
        result.update(bleu_chrf(hyps, refs, self.config.tgt_lang))
        if greedy and beam > 1:
            g = bleu_chrf(self.translate(sources, beam=1, split=False, warn=False), refs, self.config.tgt_lang)
            result.update(greedy_bleu=g["bleu"], greedy_chrf=g["chrf"])
        result["perplexity"] = self.perplexity(pairs)
        result["pairs"] = len(pairs)
        return result

    def evaluate(self, path: str | Path, pairs: PairOptions | None = None, beam: int | None = None,
                 alpha: float | None = None) -> dict:
        """:meth:`score` on a pair file (columns as the model was trained, unless given)."""
        data = (pairs or PairOptions()).read(path)
        result = self.score(data, beam, alpha)
        result["skipped_lines"] = {k: len(v) for k, v in data.skipped.items()}
        return result


def load_translator(name_or_path: str | Path, device: str | None = None, gpu: bool = False) -> Translator:
    """A trained translator from a model directory or a bundled name (``cmn-eng``)."""
    from ..nn.seq2seq import Seq2SeqNetConfig

    files, (cfg, net_cfg) = read_model(name_or_path, MODEL_TYPE, {"seq2seq": Seq2SeqConfig.from_dict,
                                                                  "net": lambda d: Seq2SeqNetConfig(**d)},
                                       vocabs=("src", "tgt"))
    return Translator(cfg, PairEncoder(cfg, files.vocabs), net_cfg).place(files, device, gpu)


__all__ = ["Seq2SeqConfig", "PairEncoder", "PairOptions", "Translator", "Alignment", "train_seq2seq",
           "load_translator", "bleu_chrf", "translate_ids", "split_sentences", "fit_length", "MODEL_TYPE"]
