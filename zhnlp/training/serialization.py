"""Model directories (config.json, vocab-NAME.json, model.safetensors, metrics.json): written whole or not at all,
loaded refusing pickles, newer versions and edited weights with errors naming the file; never through pickle."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from .. import __version__
from ..checks import json_safe
from ..errors import InputError, OutputError
from ..resources import models_dir
from ..text.vocab import Vocab

MODEL_FORMAT = "zhnlp-model"
MODEL_VERSION = 1
CONFIG_FILE, WEIGHTS_FILE, METRICS_FILE = "config.json", "model.safetensors", "metrics.json"
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy", ".npz")


class ModelFormatError(InputError):
    """A model directory that cannot be loaded (missing, edited or unsupported files)."""


@dataclass
class ModelFiles:
    """The parsed contents of a model directory; ``tensors`` are numpy arrays or torch tensors, on the CPU."""
    path: Path
    model_type: str
    config: dict
    vocabs: dict[str, Vocab]
    tensors: dict[str, Any]
    metrics: dict = field(default_factory=dict)


def resolve_model(name_or_path: str | Path) -> Path:
    """A model directory: the path itself, or a bundled model by name (``msra-ner``)."""
    p = Path(name_or_path)
    if p.is_dir():
        return p
    bundled = models_dir() / str(name_or_path)
    if "/" not in str(name_or_path) and bundled.is_dir():
        return bundled
    if p.exists():
        raise ModelFormatError(str(p), "not a model directory (a model is a folder with config.json)")
    names = ", ".join(bundled_models()) or "none installed"
    raise ModelFormatError(str(p), f"no such model directory or bundled model (bundled: {names})")


def bundled_models() -> list[str]:
    """Names of the models installed with zhnlp."""
    d = models_dir()
    return sorted(p.name for p in d.iterdir() if (p / CONFIG_FILE).is_file()) if d.is_dir() else []


def is_model_directory(path: str | Path) -> bool:
    """Whether ``path`` is a directory that zhnlp wrote as a model (its config.json says so)."""
    config = Path(path) / CONFIG_FILE
    try:
        head = json.loads(config.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return False
    return isinstance(head, dict) and head.get("format") == MODEL_FORMAT


def check_model_output(path: str | Path, *, force: bool = False) -> Path:
    """Fail before any work unless a model directory can go at ``path`` without loss: nothing, an empty folder, or
    (with ``force``) a zhnlp model directory; anything else is an :class:`OutputError` and is never touched."""
    target = Path(path)
    parent = target.parent
    if not parent.is_dir():
        raise OutputError(f"{target}: folder {parent} does not exist")
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise OutputError(f"{target}: exists and is not a directory; choose a new folder name for the model")
    if target.exists():
        if is_model_directory(target):
            if not force:
                raise OutputError(f"{target}: a zhnlp model directory is already there; pass --force to "
                                  "replace it (the old one is kept until the new one is complete)")
        elif any(target.iterdir()):
            raise OutputError(f"{target}: a folder that is not a zhnlp model directory and not empty; "
                              "refusing to replace it: choose a new or empty folder for the model")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{target}: permission denied")
    return target


@contextlib.contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """A temporary sibling to write into, which replaces ``path`` (if check_model_output allows) once the block ends."""
    target = check_model_output(path, force=True)
    parent = target.parent
    try:
        tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.", suffix=".part"))
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror}") from None
    try:
        yield tmp
        mask = os.umask(0)  # the umask is read by setting it
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)
        for f in tmp.iterdir():  # mkdtemp and some writers create owner-only files
            os.chmod(f, 0o666 & ~mask)
        check_model_output(target, force=True)  # the folder may have gained files meanwhile
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.", suffix=".old"))
            os.rmdir(old)
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_model_files(directory: Path, *, model_type: str, config: Mapping, tensors: Mapping[str, Any],
                      vocabs: Mapping[str, Vocab], metrics: Mapping | None = None) -> None:
    """Write a model's files into ``directory`` (which exists; see :func:`save_model`)."""
    vocab_files = {}
    for name, vocab in vocabs.items():
        fname = f"vocab-{name}.json"
        (directory / fname).write_text(json.dumps(vocab.to_dict(), ensure_ascii=False) + "\n", encoding="utf-8")
        vocab_files[name] = fname
    head = {"format": MODEL_FORMAT, "version": MODEL_VERSION, "model_type": model_type,
            "zhnlp_version": __version__, "config": dict(config), "vocabs": vocab_files}
    (directory / CONFIG_FILE).write_text(json.dumps(head, ensure_ascii=False, indent=1, allow_nan=False) + "\n",
                                         encoding="utf-8")
    _save_tensors(dict(tensors), directory / WEIGHTS_FILE, model_type)
    if metrics is not None:
        write_metrics(directory, metrics)


def write_metrics(directory: Path, metrics: Mapping) -> None:
    """(Re)write metrics.json: strict JSON (an undefined score, NaN, is written as null)."""
    text = json.dumps(json_safe(dict(metrics)), ensure_ascii=False, indent=1, allow_nan=False)
    (directory / METRICS_FILE).write_text(text + "\n", encoding="utf-8")


def save_model(path: str | Path, *, model_type: str, config: Mapping, tensors: Mapping[str, Any],
               vocabs: Mapping[str, Vocab], metrics: Mapping | None = None,
               extra_files: Mapping[str, str | bytes] | None = None, half: bool = False) -> Path:
    """Write a complete model directory atomically (``half``: float tensors as float16; ``extra_files`` by name)."""
    if half:
        tensors = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    with atomic_directory(path) as tmp:
        write_model_files(tmp, model_type=model_type, config=config, tensors=tensors, vocabs=vocabs,
                          metrics=metrics)
        for name, content in (extra_files or {}).items():
            (tmp / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return Path(path)


def bundle_files(paths: Sequence[str | Path], prefix: str,
                 root: Path | None = None) -> tuple[list[str], dict[str, bytes]]:
    """``(names, {name: bytes})`` of files to store in a model directory, named by content (``PREFIX-<sha256>.txt``)."""
    names, files = [], {}
    for p in paths:
        path = root / p if root else Path(p)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(str(path), f"cannot read it ({exc.strerror or exc})") from None
        name = f"{prefix}-{hashlib.sha256(data).hexdigest()[:16]}.txt"
        names.append(name)
        files[name] = data
    return names, files


def _save_tensors(tensors: dict, path: Path, model_type: str) -> None:
    """Numpy arrays or torch tensors (moved to the CPU, made contiguous) as safetensors."""
    meta = {"format": MODEL_FORMAT, "model_type": model_type}
    if tensors and all(type(t).__module__.startswith("numpy") for t in tensors.values()):
        import numpy as np
        from safetensors.numpy import save_file

        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(path), metadata=meta)
        return
    from safetensors.torch import save_file

    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(path), metadata=meta)


def read_json(path: Path) -> Any:
    """JSON from a model file, with errors naming the file and line."""
    if not path.is_file():
        raise ModelFormatError(str(path), "missing file (the model directory is incomplete)")
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ModelFormatError(str(path), f"not valid JSON ({exc.msg})", exc.lineno) from None
    except UnicodeDecodeError:
        raise ModelFormatError(str(path), "not UTF-8 text") from None


def read_config(directory: Path) -> dict:
    """config.json, checked: format, version no newer than this zhnlp reads, model type."""
    path = directory / CONFIG_FILE
    head = read_json(path)
    if not isinstance(head, dict) or head.get("format") != MODEL_FORMAT:
        raise ModelFormatError(str(path), f"not a zhnlp model config (no \"format\": \"{MODEL_FORMAT}\")")
    version = head.get("version")
    if not isinstance(version, int) or version > MODEL_VERSION or version < 1:
        raise ModelFormatError(str(path), f"model format version {version!r} is not supported by this zhnlp "
                                          f"(it reads versions up to {MODEL_VERSION}; upgrade zhnlp)")
    if not isinstance(head.get("config"), dict) or not isinstance(head.get("model_type"), str):
        raise ModelFormatError(str(path), "malformed config: needs \"model_type\" and \"config\"")
    return head


def load_model(name_or_path: str | Path, *, framework: str = "pt", expect: tuple[str, ...] = ()) -> ModelFiles:
    """Read a model directory or bundled model, refusing anything unsafe; ``expect``: accepted types (empty: any)."""
    directory = resolve_model(name_or_path)
    pickles = sorted(p.name for p in directory.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise ModelFormatError(str(directory / pickles[0]),
                               "refusing a model directory that contains a pickle-capable file "
                               "(zhnlp never unpickles; models hold safetensors and JSON only)")
    head = read_config(directory)
    if expect and head["model_type"] not in expect:
        raise ModelFormatError(str(directory / CONFIG_FILE),
                               f"model type {head['model_type']!r}, expected {' or '.join(expect)}")
    vocabs = {}
    for name, fname in dict(head.get("vocabs") or {}).items():
        if Path(fname).name != fname:
            raise ModelFormatError(str(directory / CONFIG_FILE), f"vocabulary file name {fname!r} is not a plain name")
        vocabs[name] = Vocab.from_dict(read_json(directory / fname), str(directory / fname))
    tensors = _load_tensors(directory / WEIGHTS_FILE, framework)
    metrics_path = directory / METRICS_FILE
    metrics = read_json(metrics_path) if metrics_path.exists() else {}
    return ModelFiles(directory, head["model_type"], head["config"], vocabs, tensors, metrics)


def _load_tensors(path: Path, framework: str) -> dict:
    if not path.is_file():
        raise ModelFormatError(str(path), "missing file (the model directory is incomplete)")
    try:
        if framework == "np":
            from safetensors.numpy import load_file
        else:
            from safetensors.torch import load_file
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own SafetensorError / OSError on bad files
        raise ModelFormatError(str(path), f"unreadable or tampered weights ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def check_state(tensors: Mapping[str, Any], expected: Mapping[str, tuple], path: Path) -> None:
    """Every expected tensor present with its shape (a clear error instead of torch's)."""
    for name, shape in expected.items():
        if name not in tensors:
            raise ModelFormatError(str(path / WEIGHTS_FILE), f"missing tensor {name!r}")
        got = tuple(tensors[name].shape)
        if got != tuple(shape):
            raise ModelFormatError(str(path / WEIGHTS_FILE), f"tensor {name!r} has shape {got}, "
                                                             f"config.json implies {tuple(shape)}")
    extra = sorted(set(tensors) - set(expected))
    if extra:
        raise ModelFormatError(str(path / WEIGHTS_FILE), f"unexpected tensor {extra[0]!r}")


def drop_removed(d: Mapping[str, Any], switches: Mapping[str, Any], extras: Sequence[str] = ()) -> dict:
    """``d`` without removed options (``switches``: each one's off value; ``extras``: settings that go with them), so
    that models saved with them off still load; one that is on is a :class:`ModelFormatError` naming it."""
    for key, off in switches.items():
        if key in d and d[key] != off:
            raise ModelFormatError(CONFIG_FILE, f"this model was trained with --{key.replace('_', '-')} "
                                                f"{d[key]!r}, an option zhnlp no longer has (see "
                                                "docs/experiments.md); retrain it without that option")
    return {k: v for k, v in d.items() if k not in switches and k not in extras}


def read_model(name_or_path: str | Path, model_type: str, sections: Mapping[str, Any],
               vocabs: tuple[str, ...] = (), framework: str = "pt") -> tuple[ModelFiles, list]:
    """A model directory of ``model_type`` and its config ``sections`` built by their factories (``{"net": NetConfig}``)
    with the ``vocabs`` named; clear errors naming config.json instead of a KeyError or TypeError."""
    files = load_model(name_or_path, framework=framework, expect=(model_type,))
    try:
        built = [make(files.config[key]) for key, make in sections.items()]
    except (KeyError, TypeError) as exc:
        raise ModelFormatError(str(files.path / CONFIG_FILE), f"malformed {model_type} config ({exc})") from None
    except ModelFormatError as exc:  # a removed option (drop_removed): name the directory's config.json
        raise ModelFormatError(str(files.path / CONFIG_FILE), exc.problem) from None
    require_vocabs(files, vocabs)
    return files, built


def require_vocabs(files: ModelFiles, names: tuple[str, ...]) -> None:
    """Every vocabulary named is in the model directory (else an error naming config.json)."""
    for name in names:
        if name not in files.vocabs:
            raise ModelFormatError(str(files.path / CONFIG_FILE), f"missing vocabulary {name!r}")


def load_weights(net, files: ModelFiles) -> None:
    """Check ``files``' weights against ``net``'s shapes and load them (float16 stored ones as float32)."""
    expected = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    check_state(files.tensors, expected, files.path)
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in files.tensors.items()})


def round_to_half(net) -> None:
    """Round a network's weights to float16 in place: scores are then those of what ``save_model(half=True)`` ships."""
    import torch

    with torch.no_grad():
        for p in net.parameters():
            p.copy_(p.half().float())


__all__ = ["ModelFiles", "ModelFormatError", "save_model", "check_model_output", "is_model_directory", "load_model",
           "resolve_model", "bundled_models", "atomic_directory", "write_model_files", "write_metrics", "read_config",
           "check_state", "read_model", "require_vocabs", "load_weights", "round_to_half", "drop_removed",
           "MODEL_VERSION"]
