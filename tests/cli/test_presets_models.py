"""Each preset resolves to the settings its shipped model records: a changed default cannot silently change a recipe."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import invoke

from zhnlp.tasks.recommended import vectors_named
from zhnlp.resources import models_dir
from zhnlp.training.recipes import preset_names

#: Option names whose model-config key is not the option's name with ``_`` for ``-``.
CONFIG_KEYS = {"half": "half_precision", "lexicon": "lexicons", "user-dict": "user_dicts",
               "batch-size": "batch_size", "clip": "clip_norm", "warmup": "warmup_steps"}
#: Vectors options: the kind of vectors, the option giving their dimension (``auto`` resolves by both) and the
#: setting that turns their table on.
VECTORS = {"embeddings": ("char", "emb-dim", None), "bigram-embeddings": ("bigram", "bigram-dim", "bigram"),
           "affix-embeddings": ("char", "affix-dim", "affix")}
#: The file the shipped models were trained from → the bundled vectors made of it, vector for vector.
SAME_VECTORS = {"char128.txt": "zh-char128"}
#: Where the shipped model and its preset knowingly part (docs/experiments.md says why).
KNOWN = {("resume-ner", "bigram-embeddings"): "the shipped members started from all 265,678 bigram vectors, "
                                              "the bundled zh-bigram64 keeps the 50,000 most frequent",
         ("resume-ner", "half"): "an ensemble's members train in float32, the ensemble is stored in float16"}


def _printed(command: str, preset: str) -> dict:
    import tomllib

    return tomllib.loads(invoke(command, "--preset", preset, "--print-config").stdout)


def _recorded(name: str) -> tuple[dict, dict]:
    """The shipped model's settings (its config section) and training settings (first member's)."""
    folder = models_dir() / name
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))["config"]
    sections = [v for k, v in config.items() if k in ("tagger", "classifier", "seq2seq")]
    settings = sections[0] if sections else {k: v for k, v in config.items() if k != "task_config"}  # an HMM
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    train = metrics.get("train_config") or (metrics.get("members") or [{}])[0].get("train_config") or {}
    return settings, train


def _differences(name: str) -> list[str]:
    import tomllib

    from zhnlp.training.recipes import PRESETS_DIR

    command = tomllib.loads((PRESETS_DIR / f"{name}.toml").read_text(encoding="utf-8"))["command"]
    shown = _printed(command, name)
    settings, train = _recorded(name)
    out = []
    for option, value in shown.items():
        key = CONFIG_KEYS.get(option, option.replace("-", "_"))
        if option in VECTORS:
            kind, dim, switch = VECTORS[option]
            if dim.replace("-", "_") not in settings or settings.get(switch) is False:
                continue  # not a neural model's setting, or its table is off
            value = vectors_named(value, kind, shown.get(dim, 0))
            recorded = SAME_VECTORS.get(settings.get(key), settings.get(key))  # absent: the model predates it, off
        elif option == "class-names":  # a file of names, one a line
            value = Path(value).read_text(encoding="utf-8").split()
            recorded = settings.get(key)
        elif key in train:
            recorded = train[key]
        elif key in settings:
            recorded = settings[key]
        else:
            continue
        if value != recorded and (name, option) not in KNOWN:
            out.append(f"{option}: preset {value!r}, {name} {recorded!r}")
    return out


@pytest.mark.parametrize("name", [n for n in preset_names() if (models_dir() / n / "config.json").exists()])
def test_a_preset_resolves_to_what_its_shipped_model_was_trained_with(name):
    assert _differences(name) == []
