"""docs/reference.md is every command's current --help (cli/make_reference.py writes it)."""
from __future__ import annotations

import importlib.util

from helpers import ROOT

from zhnlp.cli._app import COMMANDS


def _maker():
    spec = importlib.util.spec_from_file_location("make_reference", ROOT / "cli" / "make_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_is_current():
    maker = _maker()
    stored = maker.PAGE.read_text(encoding="utf-8") if maker.PAGE.is_file() else ""
    assert stored == maker.render(), f"docs/reference.md is stale: run {maker.COMMAND} and commit it"


def test_reference_holds_every_command_and_subcommand_whatever_the_terminal(monkeypatch):
    maker = _maker()
    wide = maker.render()
    monkeypatch.setenv("COLUMNS", "40")
    assert maker.render() == wide  # a fixed width: the page does not depend on who regenerates it
    for name in COMMANDS:
        assert f"\n## zhnlp {name}\n\n```text\nUsage: zhnlp {name} [OPTIONS]" in wide
    for sub in ("embed train", "embed convert", "vocab build", "vocab info"):
        assert f"\n## zhnlp {sub}\n" in wide
    assert "  -o, --output" in wide.split("## zhnlp train-ner\n")[1].split("\n## ")[0]
