"""Packaging: bundled resources after install, light imports, python -m zhnlp."""
from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("torch", "gensim", "pandas")


def _isolated(code: str, cwd) -> subprocess.CompletedProcess:
    # -I: ignore the current folder and PYTHONPATH, so the installed package is imported
    return subprocess.run([sys.executable, "-I", "-c", code], cwd=cwd, capture_output=True, text=True)


def test_installed_package_finds_bundled_resources(tmp_path):
    probe = _isolated("import zhnlp.resources as r; print(r.dictionaries_dir()); print(r.models_dir()); "
                      "print(r.vectors_dir()); from zhnlp.training.recipes import PRESETS_DIR; print(PRESETS_DIR)",
                      tmp_path)
    if "ModuleNotFoundError" in probe.stderr:
        pytest.skip("zhnlp is not installed in this interpreter (pip install .)")
    assert probe.returncode == 0, probe.stderr
    dicts, models, vectors, presets = (__import__("pathlib").Path(p) for p in probe.stdout.split())
    assert (vectors / "zh-char128.bin").is_file() and (vectors / "zh-bigram64.bin").is_file()
    assert (presets / "resume-ner.toml").is_file() and (presets / "sentiment-classes.txt").is_file()
    assert (dicts / "thuocl" / "THUOCL_medical.txt").is_file()
    assert (dicts / "thuocl" / "LICENSE").is_file() and (dicts / "stopwords" / "LICENSE").is_file()
    assert (dicts / "stopwords" / "zh.txt").is_file()
    assert models.is_dir()
    seg = _isolated("from zhnlp import Segmenter; print(' '.join(Segmenter(dicts=['medical'], "
                    "stopwords='zh').cut('患者的动脉粥样硬化加重')))", tmp_path)
    assert seg.returncode == 0, seg.stderr
    assert seg.stdout.split() == ["患者", "动脉粥样硬化", "加重"]


def test_import_and_help_stay_light():
    code = ("import sys, zhnlp, zhnlp.cli, zhnlp.segment, zhnlp.corpus\n"
            "from typer.testing import CliRunner\n"
            "r = CliRunner().invoke(zhnlp.cli.app, ['--help'])\n"
            "assert r.exit_code == 0, r.output\n"
            "r = CliRunner().invoke(zhnlp.cli.app, ['segment', '-q'], input='我爱北京天安门\\n')\n"
            "assert r.output == '我 爱 北京 天安门\\n', r.output\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_commands_load_when_looked_up_and_the_listing_matches_them():
    # zhnlp --help lists every command (_app.COMMANDS) importing no command module; looking each one up (a full
    # reference) imports them, and then click's own listing of the loaded commands reads the same
    code = ("import sys, typer, zhnlp.cli\n"
            "from typer.core import TyperGroup\n"
            "group = typer.main.get_command(zhnlp.cli.app)\n"
            "ctx = typer.Context(group, info_name='zhnlp')\n"
            "lazy, full = ctx.make_formatter(), ctx.make_formatter()\n"
            "group.format_commands(ctx, lazy)\n"
            "before = sorted(m for m in sys.modules if m.startswith('zhnlp.cli.'))\n"
            "assert all(group.get_command(ctx, name) for name in group.list_commands(ctx))\n"
            "TyperGroup.format_commands(group, ctx, full)\n"
            "print(before, list(group.commands) == group.list_commands(ctx), lazy.getvalue() == full.getvalue())")
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["['zhnlp.cli._app',", "'zhnlp.cli._recipes']", "True", "True"]  # no command module


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "zhnlp", "--version"], capture_output=True, text=True)
    import zhnlp

    assert out.returncode == 0 and out.stdout.strip() == zhnlp.__version__
