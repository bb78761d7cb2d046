"""Write docs/reference.md, every zhnlp command's and subcommand's --help, from the CLI itself.

The help text is click's own (the command's formatter at a fixed width of 100 columns), so the page
reads the same on every machine and changes exactly when a command, option or help text does;
tests/test_reference.py fails while the page is stale.

    python cli/make_reference.py            # rewrite docs/reference.md
    python cli/make_reference.py --check    # exit 1 if it is stale
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "reference.md"
WIDTH = 100
COMMAND = "python cli/make_reference.py"

HEADER = f"""# Command reference

Every command's `--help`, generated from the command line itself by `{COMMAND}`
(a test fails when this page is stale). How the commands behave, with examples: [guide.md](guide.md).
"""


def _context(command, name: str, parent: typer.Context | None = None) -> typer.Context:
    """A help context for ``command`` as its --help makes one (its context settings), at the fixed width."""
    settings = {**command.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    return typer.Context(command, parent=parent, info_name=name, **settings)


def _walk(command, ctx: typer.Context) -> Iterator[tuple[str, str]]:
    """(full command name, help text) of ``command`` and of every subcommand below it, in listing order."""
    yield ctx.command_path, command.get_help(ctx).rstrip() + "\n"
    if hasattr(command, "list_commands"):  # a group (typer's click has no public Group class to test for)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, _context(sub, name, ctx))


def render() -> str:
    """The reference page: a section per command and subcommand holding its --help."""
    from zhnlp.cli import app

    group = typer.main.get_command(app)
    sections = [HEADER]
    pages = list(_walk(group, _context(group, "zhnlp")))
    sections.append("\n".join(f"- [`{path}`](#{path.replace(' ', '-')})" for path, _ in pages) + "\n")
    sections += [f"## {path}\n\n```text\n{text}```\n" for path, text in pages]
    return "\n".join(sections)


def main(argv: list[str]) -> int:
    """Rewrite docs/reference.md, or with --check say whether it is current."""
    text = render()
    if "--check" in argv:
        if not PAGE.is_file() or PAGE.read_text(encoding="utf-8") != text:
            print(f"docs/reference.md is stale: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
