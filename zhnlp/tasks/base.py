"""What the trained tasks share: the training result, the end of a run, and TaskModel (trained, saved, applied)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..embeddings import copy_rows, load_pretrained
from ..errors import ZhnlpError
from ..formats.tables import parse_split
from ..text.segment import Segmenter
from ..training.batching import to_device
from ..training.ensemble import saved_nets
from ..training.serialization import ModelFiles, bundle_files, load_weights, round_to_half, save_model
from ..training.trainer import resolve_device


@dataclass
class TrainedModel:
    """What a training run or ensemble wrote: the model directory, its scores and notes on the data."""
    output: Path
    metrics: dict
    skipped: dict[str, list[int]] = field(default_factory=dict)  # rows skipped for an empty text or label
    notes: list[str] = field(default_factory=list)


def run_metrics(result, trainer, train_config, **task: Any) -> dict:
    """metrics.json's fields of any training run (``task``'s first): epochs, time, device, seed, settings."""
    return {**task, "best_epoch": result.best_epoch, "epochs_run": result.epochs_run,
            "stopped_early": result.stopped_early, "train_seconds": round(result.seconds, 2),
            "device": str(trainer.device), "seed": train_config.seed, "train_config": asdict(train_config)}


def present(**values: Any) -> dict:
    """The ``values`` that are not None (coverages of the vectors a run started from)."""
    return {k: v for k, v in values.items() if v is not None}


def numeric(scores: dict) -> dict:
    """The number-valued entries of ``scores`` (what metrics.json keeps of an evaluation)."""
    return {k: v for k, v in scores.items() if isinstance(v, (int, float))}


def bundle(config: Any, root: Path | None = None, **prefixes: str) -> dict[str, bytes]:
    """The files ``config``'s options name (relative to ``root`` if given) as model files, which they then name."""
    files: dict[str, bytes] = {}
    for option, prefix in prefixes.items():
        value = getattr(config, option)
        if value:
            one = isinstance(value, (str, Path))
            names, found = bundle_files([value] if one else value, prefix, root)
            setattr(config, option, names[0] if one else names)
            files.update(found)
    return files


def segmenter_for(root: Path | None, user_dicts: Sequence[str] = (), main_dict: str | None = None,
                  hmm: bool | None = None) -> Segmenter:
    """A loaded segmenter with a model's dictionaries (paths relative to its directory ``root`` when given)."""
    user = [root / p if root else p for p in user_dicts]
    return Segmenter(user_dicts=user, main_dict=root / main_dict if root and main_dict else main_dict, hmm=hmm).load()


def started_from(config: Any, option: str, start: Callable[[str], Any]) -> Any:
    """``start(path)`` for the file ``config.<option>`` names (if any), which then keeps only its name (provenance)."""
    path = getattr(config, option)
    if not path:
        return None
    result = start(path)
    setattr(config, option, Path(path).name)
    return result


def from_vectors(config: Any, option: str, tables: Sequence, vocab, **kwargs: Any) -> float | None:
    """Start ``tables`` from the vectors ``config.<option>`` names (if any); returns the vocabulary's coverage."""
    return started_from(config, option, lambda path: [load_pretrained(t, vocab, path, **kwargs) for t in tables][-1])


def split_data(data: Any, split: str | None, train: str | Path, dev: Any, test: Any, seed: int, cut: Callable,
               read: Callable) -> tuple:
    """Train, dev and test data and split.json's record: ``data`` cut by ``--split`` (``cut(data, fractions, seed)``
    gives each part's rows), else ``data`` and the ``dev`` and ``test`` files (``read``) with no record."""
    if not split:
        return data, read(dev) if dev else None, read(test) if test else None, None
    if dev or test:
        raise ZhnlpError("--split cuts TRAIN into train/dev/test; do not also give --dev or --test")
    fractions = parse_split(split)
    parts = cut(data, fractions, seed)
    info = {"source": Path(str(train)).name, "fractions": list(fractions), "seed": seed,
            **{k: [data.lines[i] for i in v] for k, v in parts.items()}}
    return (*(data.subset(parts[k]) for k in ("train", "dev", "test")), info)


def split_counts(info: dict) -> dict:
    """metrics.json's record of a split: split.json's, with the number of rows of each part."""
    return {k: len(v) if k in ("train", "dev", "test") else v for k, v in info.items()}


def start_encoder(net: Any, vocab, weights, source_vocab, rnn_state: dict) -> int:
    """``--encoder``: a trained model's recurrent layers into ``net``, and the embedding rows it knows (counted)."""
    import torch

    with torch.no_grad():
        net.rnn.load_state_dict(rnn_state)
    return copy_rows(net.embed, vocab, weights, source_vocab)


def finish_training(model: "TaskModel", trainer, result, metrics: dict, score: Callable[[str], dict | None],
                    extra_files: dict | None = None, split_info: dict | None = None) -> TrainedModel:
    """Round to float16 if that ships (scores are of what ships), score dev and test once, write the directory."""
    if split_info:
        metrics["split"] = split_counts(split_info)
        extra_files = {**(extra_files or {}), "split.json": json.dumps(split_info) + "\n"}
    if model.config.half_precision:
        round_to_half(model.net)
    model.net.eval()
    for split in ("dev", "test"):
        scores = score(split)
        if scores is not None:
            metrics[split] = scores
    metrics["history"] = result.history
    path = trainer.finish(metrics, extra_files=extra_files)
    metrics.pop("history")
    return TrainedModel(Path(path), metrics)


class TaskModel:
    """A task's torch network with its config and vocabularies: trained by the trainer, saved, loaded, applied."""
    MODEL_TYPE = ""                  # config.json's model_type of one network
    ENSEMBLE_TYPE: str | None = None  # of several, decoding as one
    SECTION = ""                     # config.json's section holding the task config
    metric = "accuracy"              # the dev metric that selects the best epoch
    higher_is_better = True

    def __init__(self, config: Any, vocabs: dict, net_cfg: Any, net: Any) -> None:
        self.config, self.vocabs, self.net_cfg, self.net = config, vocabs, net_cfg, net
        self.path: Path | None = None
        self.metrics: dict = {}

    @property
    def device(self):
        """Where the network is (the trainer or :meth:`place` put it there)."""
        return next(self.net.parameters()).device

    def place(self, files: ModelFiles | None = None, device: str | None = None, gpu: bool = False) -> "TaskModel":
        """Load the weights of ``files`` (when given) and move to the device, ready to predict."""
        if files is not None:
            load_weights(self.net, files)
            self.path, self.metrics = files.path, files.metrics
        self.net.to(resolve_device(device, gpu)).eval()
        return self

    def save(self, directory: str | Path, metrics: dict | None = None, extra_files: dict | None = None) -> Path:
        """Write the model directory (config, vocabularies, safetensors weights, metrics, ``extra_files``)."""
        model_type, nets = saved_nets(self.net_cfg, self.MODEL_TYPE, self.ENSEMBLE_TYPE or self.MODEL_TYPE)
        return save_model(directory, model_type=model_type, config={self.SECTION: asdict(self.config), **nets},
                          tensors=self.net.state_dict(), vocabs=self.vocabs, metrics=metrics,
                          extra_files=extra_files, half=self.config.half_precision)

    def in_sorted_batches(self, items: Sequence, collate: Callable, run: Callable, batch_size: int,
                          length: Callable = len) -> list:
        """``run(batch)`` on length-sorted batches of ``items`` (no gradients): one result per item, in input order."""
        import torch

        order = sorted(range(len(items)), key=lambda i: -length(items[i]))
        out: list = [None] * len(items)
        was_training = self.net.training
        self.net.eval()
        with torch.inference_mode():
            for k in range(0, len(order), batch_size):
                idx = order[k:k + batch_size]
                for i, result in zip(idx, run(to_device(collate([items[i] for i in idx]), self.device))):
                    out[i] = result
        self.net.train(was_training)
        return out


__all__ = ["TaskModel", "TrainedModel", "bundle", "finish_training", "from_vectors", "numeric", "present",
           "run_metrics", "segmenter_for", "split_counts", "split_data", "start_encoder", "started_from"]
