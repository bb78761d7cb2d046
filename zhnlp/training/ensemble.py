"""What tagger and classifier ensembles (``zhnlp ensemble``) share: reading, checking and loading the members."""
from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import InputError, ZhnlpError
from .serialization import check_model_output, load_weights, resolve_model, round_to_half

MEMBER_METRICS = ("seed", "best_epoch", "train_config", "dev")  # what metrics.json keeps of each member


def assemble(members: Sequence[str | Path], *, output: str | Path, force: bool, read: Callable,
             options: Sequence[str], config_from_dict: Callable, make_module: Callable,
             half: bool | None) -> tuple[Any, Any, dict]:
    """(config, module, metrics) of an ensemble of ``members`` agreeing on ``options`` and vocabularies; ``read(path)``
    gives a member's (files, config, net_config), ``make_module(config, vocabs, net_configs, root)`` the module."""
    check_model_output(output, force=force)
    if len(members) < 2:
        raise ZhnlpError("an ensemble needs at least two member models")
    t0 = time.perf_counter()
    paths, names, loaded, train_seconds = [], [], [], 0.0
    for i, p in enumerate(map(resolve_model, members)):
        if any(p.resolve() == q.resolve() for q in paths):
            raise ZhnlpError(f"{members[i]}: the same model is given twice; an ensemble needs different "
                             "members (say, one setting trained with different --seed)")
        entry = read(p)
        train_seconds += entry[0].metrics.get("train_seconds", 0)
        parts = flatten(entry)
        for i, entry in enumerate(parts):
            paths.append(p)
            names.append(p.name if len(parts) == 1 else entry[0].metrics.get("name", f"{p.name}[{i}]"))
            loaded.append(entry)
    _refuse_twins(names, loaded)
    files0, cfg0, _ = loaded[0]
    for p, (files, cfg, _) in zip(paths[1:], loaded[1:]):
        for name in options:
            a, b = getattr(cfg0, name), getattr(cfg, name)
            if a != b:
                raise InputError(str(p), f"{name} is {b!r} here but {a!r} in {paths[0]}: ensemble members must "
                                         "read the same inputs")
        for name in sorted(set(files0.vocabs) | set(files.vocabs)):
            if name not in files.vocabs or name not in files0.vocabs or \
                    files.vocabs[name].to_dict() != files0.vocabs[name].to_dict():
                raise InputError(str(p), f"vocabulary {name!r} differs from {paths[0]}'s: ensemble members must "
                                         "be trained on the same data with the same options")
    cfg = config_from_dict(asdict(cfg0))
    # float16 by default when every member stores it, so that scores are those of what ships
    cfg.half_precision = all(c.half_precision for _, c, _ in loaded) if half is None else half
    module = make_module(cfg, files0.vocabs, [n for _, _, n in loaded], paths[0])
    for member, (files, _, _) in zip(module.net.members, loaded):
        load_weights(member, files)
    if cfg.half_precision:
        round_to_half(module.net)
    module.net.eval()
    metrics = {"members": [{"name": name, **{k: f.metrics[k] for k in MEMBER_METRICS if k in f.metrics}}
                           for name, (f, _, _) in zip(names, loaded)],
               "train_seconds": round(train_seconds, 2),
               "device": "cpu", "build_seconds": round(time.perf_counter() - t0, 2)}
    return cfg, module, metrics


def _refuse_twins(names: Sequence[str], loaded: Sequence[tuple]) -> None:
    """A member whose weights equal another's adds nothing but weight to that one: an error."""
    seen: dict[str, str] = {}
    for name, (files, _, _) in zip(names, loaded):
        digest = hashlib.sha256()
        for key in sorted(files.tensors):
            digest.update(key.encode("utf-8"))
            digest.update(files.tensors[key].contiguous().numpy().tobytes())
        key = digest.hexdigest()
        if key in seen:
            raise ZhnlpError(f"ensemble members {seen[key]} and {name} have identical weights (the same model "
                             "twice); an ensemble needs different members (say, different --seed)")
        seen[key] = name


def flatten(entry: tuple) -> list[tuple]:
    """One ``(files, config, net_config)`` per network: an ensemble's entry split into its members and their metrics."""
    files, cfg, net_cfg = entry
    if not isinstance(net_cfg, list):
        return [entry]
    recorded = files.metrics.get("members", [])
    parts = []
    for i, net in enumerate(net_cfg):
        prefix = f"members.{i}."
        tensors = {k[len(prefix):]: v for k, v in files.tensors.items() if k.startswith(prefix)}
        metrics = dict(recorded[i]) if i < len(recorded) and isinstance(recorded[i], dict) else {}
        parts.append((replace(files, tensors=tensors, metrics=metrics), cfg, net))
    return parts


def net_section(ensemble: bool, make: Callable) -> tuple[str, Callable]:
    """The config.json section of the network(s) and its factory: ``net`` (built by ``make``), or ``nets``."""
    return ("nets", lambda ds: [make(**d) for d in ds]) if ensemble else ("net", lambda d: make(**d))


def saved_nets(net_cfg, single_type: str, ensemble_type: str) -> tuple[str, dict]:
    """(model type, config section) to save for one network config or a list of them."""
    if isinstance(net_cfg, list):
        return ensemble_type, {"nets": [asdict(c) for c in net_cfg]}
    return single_type, {"net": asdict(net_cfg)}


__all__ = ["assemble", "flatten", "net_section", "saved_nets", "MEMBER_METRICS"]
