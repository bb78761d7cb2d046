"""Language-model pretraining of a classifier's encoder (embeddings and BiGRU) on plain text.

A bidirectional GRU is trained as two language models at once: at every position the
forward direction, having read the text up to there, predicts the next token and the
backward direction predicts the previous one (neither has seen the token it predicts), so
one ``nn.GRU(bidirectional=True)`` learns both. Its embeddings and GRU weights then start
``zhnlp train-classifier --encoder DIR`` (semi-supervised sequence learning, Dai & Le 2015;
ULMFiT). The output layers are adaptive softmaxes (``nn.AdaptiveLogSoftmaxWithLoss``), so a
large vocabulary does not dominate the cost. Trained by the shared :class:`~zhnlp.train.Trainer`
(early stopping on dev perplexity); written as a model directory like every zhnlp model.
"""
from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .classifier import LEVELS
from .errors import ZhnlpError

if TYPE_CHECKING:  # pragma: no cover
    from .vocab import Vocab

MODEL_TYPE = "gru-lm-encoder"


@dataclass
class EncoderConfig:
    """Text and network options of a pretrained encoder (saved in config.json); a classifier
    that starts from it must use the same level, normalisation and shapes."""

    level: str = "char"              # char | word (words from zhnlp.Segmenter)
    user_dicts: list[str] = field(default_factory=list)
    main_dict: str | None = None
    hmm: bool | None = None
    normalize: bool = True           # NFKC and lower-case, as the classifier's
    min_freq: int = 2                # rarer tokens share <unk>
    max_len: int = 200               # tokens kept per line (first and last halves; 0: all)
    emb_dim: int = 128
    hidden: int = 128                # GRU units per direction
    layers: int = 1
    dropout: float = 0.1
    cutoffs: list[int] = field(default_factory=lambda: [500, 2000])  # adaptive-softmax frequency bands
    dev_fraction: float = 0.02       # lines held out for dev perplexity when no dev file is given

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ZhnlpError(f"--level must be char or word, not {self.level!r}")
        for name in ("emb_dim", "hidden", "min_freq"):
            if getattr(self, name) < 1:
                raise ZhnlpError(f"--{name.replace('_', '-')} must be at least 1")
        if not 1 <= self.layers <= 4:
            raise ZhnlpError("--layers must lie between 1 and 4")
        if not 0 <= self.dropout < 1:
            raise ZhnlpError("--dropout must lie in [0, 1)")
        if not 0 < self.dev_fraction < 1:
            raise ZhnlpError("--dev-fraction must lie in (0, 1)")

    @classmethod
    def from_dict(cls, d: dict) -> "EncoderConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def text_encoder(self):
        """The classifier's tokenizer with these text options (what tokens the LM reads)."""
        from .classifier import ClassifierConfig, TextEncoder

        return TextEncoder(ClassifierConfig(level=self.level, user_dicts=list(self.user_dicts),
                                            main_dict=self.main_dict, hmm=self.hmm, normalize=self.normalize,
                                            max_len=self.max_len), {})


def _torch_module():
    import torch
    from torch import nn

    from .batching import lengths_to_mask, run_rnn

    class EncoderLM(nn.Module):
        """Embeddings → BiGRU; the forward direction predicts the next token, the backward
        one the previous token. ``forward_loss`` sums both negative log-likelihoods."""

        metric = "perplexity"
        higher_is_better = False

        def __init__(self, config: EncoderConfig, vocab: "Vocab") -> None:
            super().__init__()
            self.config, self.vocab = config, vocab
            n = len(vocab)
            self.embed = nn.Embedding(n, config.emb_dim, padding_idx=vocab.pad_id)
            self.dropout = nn.Dropout(config.dropout)
            self.rnn = nn.GRU(config.emb_dim, config.hidden, num_layers=config.layers, bidirectional=True,
                              batch_first=True, dropout=config.dropout if config.layers > 1 else 0.0)
            cutoffs = [c for c in config.cutoffs if 0 < c < n - 1] or [max(1, n // 2)]  # a tiny vocabulary
            self.heads = nn.ModuleList(nn.AdaptiveLogSoftmaxWithLoss(config.hidden, n, cutoffs, div_value=4.0)
                                       for _ in range(2))

        def nll(self, batch: dict) -> tuple[torch.Tensor, int]:
            """Summed negative log-likelihood of every predicted token, and how many there are."""
            ids, lengths = batch["ids"], batch["lengths"]
            out, _ = run_rnn(self.rnn, self.dropout(self.embed(ids)), lengths, need_hidden=False)
            out = self.dropout(out)
            h = self.config.hidden
            valid = lengths_to_mask(lengths.to(ids.device), ids.shape[1])[:, 1:]  # pairs (t, t+1) inside
            fwd = self.heads[0](out[:, :-1, :h][valid].float(), ids[:, 1:][valid]).output
            bwd = self.heads[1](out[:, 1:, h:][valid].float(), ids[:, :-1][valid]).output
            return -(fwd.sum() + bwd.sum()), 2 * int(valid.sum())

        def forward_loss(self, batch: dict) -> tuple[torch.Tensor, int]:
            return self.nll(batch)

        def evaluate(self, batches: Iterable[dict]) -> dict[str, float]:
            total, count = 0.0, 0
            for batch in batches:
                loss, n = self.nll(batch)
                total, count = total + float(loss), count + n
            mean = total / max(count, 1)
            return {"perplexity": math.exp(min(mean, 50.0)), "loss": mean}

        def save(self, directory: str | Path, metrics: dict | None = None, extra_files=None) -> Path:
            from .serialization import save_model

            return save_model(directory, model_type=MODEL_TYPE, config={"encoder": asdict(self.config)},
                              tensors=self.state_dict(), vocabs={"tokens": self.vocab}, metrics=metrics,
                              extra_files=extra_files)

    return EncoderLM


@dataclass
class PretrainResult:
    """Where the encoder went and its scores (dev perplexity, lines, time)."""

    output: Path
    metrics: dict


def _token_lists(path: str | Path, config: EncoderConfig, encoding: str) -> list[list[str]]:
    from .io import read_lines

    enc = config.text_encoder()
    return [toks for toks in (enc.tokens(line) for line in read_lines(path, encoding, allow_empty=True))
            if len(toks) >= 2]


def pretrain_encoder(text: str | Path, output: str | Path, *, config: EncoderConfig, train_config,
                     dev: str | Path | None = None, encoding: str = "utf-8", resume: bool = False,
                     force: bool = False) -> PretrainResult:
    """Train a bidirectional GRU language model on the lines of ``text`` and write its directory.

    ``dev`` (a text file) gives the dev perplexity that picks the best epoch; without it a
    seeded ``config.dev_fraction`` of the lines is held out. Lines shorter than two tokens
    teach nothing and are left out. ``output``: new, an empty folder or (``force``) a model to replace.
    """
    from .batching import ClassificationCollate
    from .serialization import check_model_output

    check_model_output(output, force=force)
    from .train import Trainer, set_seed
    from .vocab import Vocab

    set_seed(train_config.seed)
    lines = _token_lists(text, config, encoding)
    if dev:
        dev_lines = _token_lists(dev, config, encoding)
    else:
        random.Random(train_config.seed).shuffle(lines)
        k = max(1, int(len(lines) * config.dev_fraction)) if len(lines) > 1 else 0
        dev_lines, lines = lines[:k], lines[k:]
    if not lines:
        raise ZhnlpError(f"{text}: no line with two or more tokens to learn from")
    vocab = Vocab.build(lines, min_freq=config.min_freq)
    module = _torch_module()(config, vocab)
    items = [{"ids": vocab.encode(t)} for t in lines]
    dev_items = [{"ids": vocab.encode(t)} for t in dev_lines]
    trainer = Trainer(module, items, dev_items, collate=ClassificationCollate(pad=vocab.pad_id),
                      lengths=[len(i["ids"]) for i in items], config=train_config, output=output, resume=resume)
    result = trainer.train()
    metrics = {"model": MODEL_TYPE, "level": config.level, "train_lines": len(items), "dev_lines": len(dev_items),
               "train_tokens": sum(len(i["ids"]) for i in items), "vocab_size": len(vocab),
               "best_epoch": result.best_epoch, "epochs_run": result.epochs_run,
               "train_seconds": round(result.seconds, 2), "device": str(trainer.device),
               "seed": train_config.seed, "train_config": asdict(train_config),
               "dev": {"perplexity": result.best_score} if result.best_score is not None else {},
               "history": result.history}
    path = trainer.finish(metrics)
    metrics.pop("history")
    return PretrainResult(path, metrics)


def load_encoder(net, vocab: "Vocab", directory: str | Path, config) -> float:
    """Start a classifier network (``net.embed``, ``net.rnn``) from a pretrained encoder, or
    from the embeddings and GRU of a trained classifier (``zhnlp train-classifier``: transfer
    from a task with more labelled data, say product-review sentiment to hotel reviews).

    ``config`` is the classifier's :class:`~zhnlp.classifier.ClassifierConfig`; its level,
    normalisation and shapes must match the encoder's (else an error naming the option).
    GRU weights are copied; embedding rows are copied token by token (tokens the encoder
    never saw keep their initialisation). Returns the share of ``vocab`` covered.
    """
    import torch

    from .classifier import MODEL_TYPE as CLASSIFIER_TYPE
    from .embeddings import copy_rows
    from .serialization import CONFIG_FILE, check_state, load_model

    files = load_model(directory, expect=(MODEL_TYPE, CLASSIFIER_TYPE))
    source = files.config.get("encoder") if files.model_type == MODEL_TYPE else files.config.get("classifier")
    enc = EncoderConfig.from_dict(source or {})
    where = files.path / CONFIG_FILE
    wanted = {"level": config.level, "normalize": config.normalize, "emb_dim": config.emb_dim,
              "hidden": config.hidden, "layers": config.layers}
    for name, value in wanted.items():
        if getattr(enc, name) != value:
            raise ZhnlpError(f"{where}: the encoder has {name} {getattr(enc, name)!r} but the classifier "
                             f"{value!r}; pass --{name.replace('_', '-')} {getattr(enc, name)} (or pretrain again)")
    if not config.bidirectional or not (source or {}).get("bidirectional", True):
        raise ZhnlpError(f"{where}: --encoder needs a bidirectional GRU on both sides")
    if "tokens" not in files.vocabs or "embed.weight" not in files.tensors:
        raise ZhnlpError(f"{where}: incomplete encoder (no token vocabulary or embeddings)")
    rnn = {k[len("rnn."):]: v.float() for k, v in files.tensors.items() if k.startswith("rnn.")}
    check_state(rnn, {k: tuple(v.shape) for k, v in net.rnn.state_dict().items()}, files.path)
    src_vocab, src = files.vocabs["tokens"], files.tensors["embed.weight"].float()
    if tuple(src.shape) != (len(src_vocab), config.emb_dim):
        raise ZhnlpError(f"{files.path}: the encoder's embeddings do not match its vocabulary")
    with torch.no_grad():
        net.rnn.load_state_dict(rnn)
    copied = copy_rows(net.embed, vocab, src, src_vocab)
    return round(copied / max(len(vocab) - 1, 1), 4)


__all__ = ["EncoderConfig", "PretrainResult", "pretrain_encoder", "load_encoder", "MODEL_TYPE"]
