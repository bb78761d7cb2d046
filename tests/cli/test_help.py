"""Every command's --help groups its options into panels and names values PATH, NAME, INT, FLOAT or TEXT."""
from __future__ import annotations

import importlib.util
import re

from helpers import ROOT, invoke

from zhnlp.cli._app import PANELS

#: Options deliberately left in a command's "Other" panel (besides -h/--help, which closes every command's help).
OTHER: set[str] = set()


def _pages() -> dict[str, str]:
    """Command path -> --help text of every command and subcommand, as docs/reference.md walks them."""
    spec = importlib.util.spec_from_file_location("make_reference", ROOT / "cli" / "make_reference.py")
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    import typer

    from zhnlp.cli import app

    group = typer.main.get_command(app)
    return dict(maker._walk(group, maker._context(group, "zhnlp")))


def test_train_ner_help_shows_the_panels_in_order_with_real_metavars():
    text = invoke("train-ner", "--help").stdout
    titles = re.findall(r"^(\w+):$", text, re.MULTILINE)
    assert titles == ["Arguments", *PANELS, "Other"]
    assert titles == ["Arguments", "Data", "Model", "Features", "Training", "Hardware", "Output", "Other"]
    assert " train-ner [OPTIONS] TRAIN\n" in text.splitlines(keepends=True)[0]
    assert re.search(r"^  TRAIN PATH ", text, re.MULTILINE)
    assert re.search(r"^  --lr FLOAT ", text, re.MULTILINE)
    assert re.search(r"^  -o, --output PATH ", text, re.MULTILINE)
    assert re.search(r"^  --epochs INT ", text, re.MULTILINE)
    assert re.search(r"^  --model NAME ", text, re.MULTILINE)
    assert text.rstrip().endswith("-h, --help  Show this message and exit.")


def test_no_help_names_a_value_by_its_python_type():
    pages = _pages()
    assert len(pages) > 20
    for path, text in pages.items():
        assert not re.search(r"<(str|int|float|list\[\w+\])>", text), path
        assert not re.search(r"\{\w+\}", text.splitlines()[0]), path  # usage: TRAIN, not {train}


def test_every_option_sits_in_a_named_panel():
    for path, text in _pages().items():
        if "\nCommands:\n" in text:  # groups (zhnlp, embed, vocab) keep click's Options section
            continue
        other = [line for line in text.split("\nOther:\n")[1].splitlines() if line.startswith("  -")]
        assert other[-1].startswith("  -h, --help"), path
        named = {line.split()[0] for line in other[:-1]}
        assert named <= OTHER, (path, named)
