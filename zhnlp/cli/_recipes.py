"""``--preset NAME``, ``--config FILE.toml`` and ``--print-config`` of every ``zhnlp train-*`` command.

A preset, then a config file, fill in the options the command line leaves out (click's ``default_map``);
``--print-config`` prints the resolved settings as TOML instead of training, and a finished run records them in
its model directory (``recipe.toml``), which ``--config`` reads back.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import typer
from typer.core import TyperCommand

from .. import __version__
from ..errors import ZhnlpError
from ..training.recipes import Recipe, check_settings, load_preset, read_recipe, record_recipe

#: Options that say how or where a run goes, not what it trains: never in a recipe.
RUN_ONLY = {"output", "force", "resume", "quiet", "gpu", "device", "threads", "help", "preset", "config",
            "print-config"}
_PRINT, _RELAXED, _SOURCES = "zhnlp.print_config", "zhnlp.relaxed", "zhnlp.recipes"


def key_of(param: Any) -> str:
    """A parameter's key in recipes: an argument's name, an option's first long name without the dashes."""
    longs = [o for o in param.opts if o.startswith("--")]
    return longs[0][2:] if param.param_type_name == "option" and longs else param.name


def _settings_of(ctx: typer.Context) -> dict:
    """Recipe key -> the parameter of the command, for the keys a recipe may set."""
    return {key_of(p): p for p in ctx.command.params if p.expose_value and key_of(p) not in RUN_ONLY}


def _use(kind: str, read: Callable[[str, str], Recipe]):
    """The callback of --preset / --config: read the recipe, then fill the defaults from every recipe given."""
    def callback(ctx: typer.Context, value: str | None) -> None:
        if value is None:
            return
        ctx.meta.setdefault(_SOURCES, {})[kind] = read(value, ctx.command.name)
        params = _settings_of(ctx)
        defaults = {}
        for name in ("preset", "config"):  # the config file's settings win over the preset's
            recipe = ctx.meta[_SOURCES].get(name)
            if recipe is not None:
                check_settings(recipe, list(params))
                defaults.update({params[k].name: _cast(ctx, params[k], v, recipe.source, k)
                                 for k, v in recipe.settings.items()})
        ctx.default_map = defaults
    return callback


def _cast(ctx: typer.Context, param: Any, value, source: str, key: str):
    """``value`` as the option takes it, or an error naming the source and setting."""
    if param.multiple != isinstance(value, list):
        shape = "a list" if param.multiple else "a single value"
        raise ZhnlpError(f"{source}: setting {key!r} must be {shape}, not {value!r}")
    flag = bool(getattr(param, "is_flag", False))
    if flag != isinstance(value, bool):
        raise ZhnlpError(f"{source}: setting {key!r} must be {'true or false' if flag else 'a value'}, not {value!r}")
    try:
        return param.process_value(ctx, value)
    except typer.BadParameter as exc:
        raise ZhnlpError(f"{source}: setting {key!r}: {exc.format_message()}") from None


def _recipe_options(
    preset: str | None = typer.Option(
        None, "--preset", metavar="NAME", is_eager=True, callback=_use("preset", load_preset),
        help="Start from a named recipe (the shipped models' settings: resume-ner, msra-ner, ud-cws, ud-pos, "
             "shopping-category, ...); options given here win."),
    config: str | None = typer.Option(
        None, "--config", metavar="PATH", is_eager=True, callback=_use("config", read_recipe),
        help="Settings from a TOML file (option = value, as --print-config writes) or a model directory (its "
             "recipe.toml); they win over --preset, options given here over both."),
    print_config: bool = typer.Option(False, "--print-config",
                                      help="Print the resolved settings as TOML and exit without training."),
) -> None:
    """The options every train-* command gets (declared here once, grafted onto each)."""


def recipe_params() -> list:
    """Fresh parameters of :func:`_recipe_options`, built by typer and not passed to the command's function."""
    app = typer.Typer(add_completion=False)
    app.command()(_recipe_options)
    params = typer.main.get_command(app).params
    for param in params:
        param.expose_value = False
    return params


class RecipeCommand(TyperCommand):
    """A train-* command: presets and config files as defaults, --print-config, recipe.toml."""
    fail: Callable[[str], None]
    path_keys: frozenset = frozenset()  # settings that name files (recorded as absolute paths)

    def get_params(self, ctx: typer.Context) -> list:
        params = super().get_params(ctx)
        if ctx.meta.get(_PRINT):  # printing settings: data and output may be left out
            relaxed = ctx.meta.setdefault(_RELAXED, {})
            params = [relaxed.setdefault(id(p), _optional(p)) for p in params]
        return params

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if "--print-config" in args:
            ctx.meta[_PRINT] = True
        try:
            return super().parse_args(ctx, args)
        except ZhnlpError as exc:
            self.fail(str(exc))

    def invoke(self, ctx: typer.Context):
        recipe = Recipe(ctx.command.name, {k: ctx.params[p.name] for k, p in _settings_of(ctx).items()})
        sources = [r.source for r in ctx.meta.get(_SOURCES, {}).values()]
        if ctx.meta.get(_PRINT):
            typer.echo(recipe.to_toml(f"zhnlp {ctx.command.name} settings: "
                                      f"{' < '.join([*sources, 'command line'])}"), nl=False)
            return None
        result = super().invoke(ctx)
        # a recipe that works from anywhere: its files by absolute path
        recipe.settings = {k: _absolute(v) if k in self.path_keys else v for k, v in recipe.settings.items()}
        record_recipe(ctx.params["output"], recipe,
                      f"zhnlp {ctx.command.name} settings (zhnlp {__version__}); the same model again:\n"
                      f"  zhnlp {ctx.command.name} --config THIS_DIRECTORY -o NEW_DIRECTORY")
        return result


def _absolute(value):
    """``value`` with each string that names an existing file or folder made an absolute path."""
    if isinstance(value, (list, tuple)):
        return [_absolute(v) for v in value]
    if isinstance(value, str) and value and Path(value).exists():
        return str(Path(value).resolve())
    return value


def _optional(param: Any) -> Any:
    """A copy of ``param`` that may be left out."""
    param = copy.copy(param)
    param.required = False
    return param
