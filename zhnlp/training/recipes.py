"""Named training recipes (presets) and TOML config files: the settings of a ``zhnlp train-*`` run, by option name.

A recipe maps option names as ``--help`` spells them, without the dashes (``bigram-min-freq = 5``, ``softword =
true``), to values; ``command`` names the command it is for. Presets ship in ``zhnlp/presets/NAME.toml``; every
model directory that ``zhnlp train-*`` writes records its resolved settings in ``recipe.toml``, which
``--config`` reads back (a model directory may be given for it), so that a recorded recipe retrains the model.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, ZhnlpError
from ..io import atomic_output

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PRESETS_DIR = Path(__file__).resolve().parent.parent / "presets"
RECIPE_FILE = "recipe.toml"   # the resolved settings, in a model directory


@dataclass
class Recipe:
    """Settings of one training command by option name (``source`` says where they came from, for messages)."""
    command: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def to_toml(self, comment: str = "") -> str:
        """The recipe as TOML (``command`` first, then the settings in order), readable by :func:`read_recipe`."""
        lines = [f"# {line}".rstrip() for line in comment.splitlines()]
        if self.command:
            lines.append(f"command = {_toml_value(self.command)}")
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in self.settings.items() if v is not None]
        return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    return key if key.replace("-", "").replace("_", "").isalnum() and key.isascii() else json.dumps(key)


def _toml_value(value: Any) -> str:
    """A TOML value of a string, bool, number or list of them (JSON's escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def preset_names(command: str | None = None) -> list[str]:
    """The shipped presets (for ``command`` only, when given), sorted."""
    names = sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))
    return [n for n in names if command is None or _parse(PRESETS_DIR / f"{n}.toml").command == command]


def load_preset(name: str, command: str) -> Recipe:
    """The shipped preset ``name`` for ``command``; an unknown one is an error listing those there are."""
    path = PRESETS_DIR / f"{name}.toml"
    recipe = _parse(path) if name and "/" not in name and path.is_file() else None
    if recipe is None or recipe.command != command:
        known = ", ".join(preset_names(command)) or "none"
        raise ZhnlpError(f"unknown preset {name!r} for {command} (presets: {known})")
    recipe.source = f"preset {name}"
    for key, value in recipe.settings.items():  # files shipped beside the presets (class names)
        if isinstance(value, str) and value.endswith(".txt") and (PRESETS_DIR / value).is_file():
            recipe.settings[key] = str(PRESETS_DIR / value)
    return recipe


def read_recipe(path: str | Path, command: str) -> Recipe:
    """A TOML config file (or a model directory's ``recipe.toml``) for ``command``; errors name the file and line."""
    p = Path(path)
    if p.is_dir():
        p = p / RECIPE_FILE
        if not p.is_file():
            raise InputError(path, f"a directory without {RECIPE_FILE} (not a model trained by zhnlp train-*)")
    recipe = _parse(p)
    if recipe.command and recipe.command != command:
        raise InputError(p, f"settings for {recipe.command}, not {command}")
    recipe.command = command
    return recipe


def _parse(path: Path) -> Recipe:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "a directory, not a TOML file") from None
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        problem, _, where = str(exc).partition(" (at line ")
        line = int(where.split(",")[0]) if where[:1].isdigit() else None
        raise InputError(path, f"not valid TOML ({problem.lower()})", line) from None
    command = data.pop("command", None)
    if command is not None and not isinstance(command, str):
        raise InputError(path, "'command' must be a string such as \"train-ner\"")
    for key, value in data.items():
        if isinstance(value, dict):
            raise InputError(path, f"{key!r}: tables are not settings (write key = value lines)")
    return Recipe(command, data, str(path))


def check_settings(recipe: Recipe, known: list[str]) -> None:
    """Every key of ``recipe`` is one of ``known`` (else an error naming the source and listing the valid keys)."""
    for key in recipe.settings:
        if key not in known:
            raise ZhnlpError(f"{recipe.source}: unknown setting {key!r} for {recipe.command or 'this command'} "
                             f"(settings: {', '.join(sorted(known))})")


def record_recipe(model_dir: str | Path, recipe: Recipe, comment: str = "") -> Path:
    """Write ``recipe`` into a model directory as ``recipe.toml`` (atomically), so that ``--config DIR`` retrains it."""
    path = Path(model_dir) / RECIPE_FILE
    with atomic_output(path) as f:
        f.write(recipe.to_toml(comment))
    return path


__all__ = ["Recipe", "PRESETS_DIR", "RECIPE_FILE", "preset_names", "load_preset", "read_recipe", "check_settings",
           "record_recipe"]
