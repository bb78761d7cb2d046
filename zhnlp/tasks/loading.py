"""``zhnlp.load``: any trained model directory (or bundled name) as the object that applies it, by its model type."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence, Union

from ..training.serialization import CONFIG_FILE, ModelFormatError, read_config, resolve_model
from . import classifier, tagger, translator
from .base import TrainedModel

Model = Union[tagger.Tagger, classifier.Classifier, translator.Translator]

#: model type in config.json -> the task that loads it
KINDS = {**{t: "tagger" for t in (*tagger.MODEL_TYPES.values(), tagger.ENSEMBLE_TYPE)},
         **{t: "classifier" for t in classifier.MODEL_TYPES}, translator.MODEL_TYPE: "translator"}


def model_kind(name_or_path: str | Path) -> str:
    """``tagger``, ``classifier`` or ``translator``: what the model directory holds (else a ModelFormatError)."""
    path = resolve_model(name_or_path)
    model_type = read_config(path)["model_type"]
    if model_type not in KINDS:
        raise ModelFormatError(str(path / CONFIG_FILE), f"model type {model_type!r} is not one zhnlp applies "
                                                        f"({', '.join(sorted(KINDS))})")
    return KINDS[model_type]


def load(name_or_path: str | Path, device: str | None = None, gpu: bool = False, precision: str = "fp32") -> Model:
    """A trained model ready to apply: a Tagger, Classifier or Translator; ``precision`` is a BiLSTM-CRF tagger's."""
    kind = model_kind(name_or_path)
    if kind == "tagger":
        return tagger.load_tagger(name_or_path, device=device, gpu=gpu, precision=precision)
    if kind == "classifier":
        return classifier.load_classifier(name_or_path, device=device, gpu=gpu)
    return translator.load_translator(name_or_path, device=device, gpu=gpu)


def build_ensemble(members: Sequence[str | Path], output: str | Path, *, dev: str | Path | None = None,
                   test: str | Path | None = None, half: bool | None = None, force: bool = False,
                   data_format: str = "auto", encoding: str = "utf-8",
                   table: classifier.TableOptions | None = None) -> TrainedModel:
    """One model directory of trained taggers or classifiers (as the first member is) decoding as one."""
    if members and model_kind(members[0]) == "classifier":
        table = table or classifier.TableOptions(fmt=data_format, encoding=encoding)
        return classifier.build_ensemble(members, output, dev=dev, test=test, table=table, half=half, force=force)
    return tagger.build_ensemble(members, output, dev=dev, test=test, half=half, data_format=data_format,
                                 encoding=encoding, force=force)


__all__ = ["load", "model_kind", "build_ensemble", "Model", "KINDS"]
