"""The README's examples hold: each Python block is cut out of README.md and run as a script's top
level (no ``if __name__ == "__main__":``) in a fresh interpreter with the default process start
method, as a user would paste it; every zhnlp command line names a real command and real options;
the README stays short and for users."""
from __future__ import annotations

import ast
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def code_blocks(language: str) -> list[str]:
    """The README's fenced blocks of ``language`` (python, bash), in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", README.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)


def python_block(marker: str) -> str:
    """The README's ```python block that contains ``marker``."""
    found = [b for b in code_blocks("python") if marker in b]
    assert len(found) == 1, f"{len(found)} README python blocks contain {marker!r}"
    return found[0]


def run_script(code: str, cwd: Path) -> subprocess.CompletedProcess:
    script = cwd / "example.py"
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "ZHNLP_START_METHOD"}
    r = subprocess.run([sys.executable, str(script)], check=False, cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    return r


def with_shown_results_checked(code: str) -> tuple[str, int]:
    """``code`` with every ``EXPRESSION  # VALUE`` line whose comment is a whole Python literal turned into an assert
    (the README shows what a call returns: it must return that), and how many lines were turned."""
    out, checked = [], 0
    for line in code.splitlines():
        m = re.fullmatch(r"(\S.*?)\s+# (.+)", line)
        try:  # an expression statement (not an assignment, loop or import) and a literal without "..."
            shown = m and isinstance(ast.parse(m[1]).body[0], ast.Expr) and "..." not in m[2] and ast.literal_eval(m[2])
        except (ValueError, SyntaxError):
            shown = False
        if shown:
            line, checked = f"assert ({m[1]}) == {m[2]}, repr({m[1]})", checked + 1
        out.append(line)
    return "\n".join(out) + "\n", checked


def test_segmenter_example_with_jobs_runs_at_a_script_top_level(tmp_path):
    block = python_block("seg = Segmenter(")
    assert "jobs=2" in block
    lines = ["患者出现动脉粥样硬化", "我爱北京天安门", "今天天气很好"] * 400  # several chunks per worker
    (tmp_path / "big.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "my_lexicon.txt").write_text("粥样硬化\n", encoding="utf-8")
    # as written, with the results it shows checked, then with the tokens printed, still at the top level
    run_script(block, tmp_path)
    code, checked = with_shown_results_checked(block)
    assert checked >= 2
    run_script(code, tmp_path)
    shown = ('\nprint("BODY")\nimport json\n'
             'print(json.dumps(list(seg.cut_lines(open("big.txt", encoding="utf-8"), jobs=2)), ensure_ascii=False))\n')
    r = run_script(block + shown, tmp_path)
    assert r.stdout.count("BODY") == 1  # the workers did not run the script again
    got = json.loads(r.stdout.splitlines()[-1])
    assert len(got) == len(lines)
    assert got[:3] == [["患者", "出现", "动脉粥样硬化"], ["我", "爱", "北京", "天安门"], ["今天天气", "很", "好"]]
    assert not any(w.isspace() for words in got for w in words)  # no "\n" token ending each line


@pytest.mark.slow
@pytest.mark.parametrize("marker", ["load_tagger(", "load_classifier(", "load_translator("])
def test_model_examples_run_and_return_what_they_show(marker, tmp_path):
    code, checked = with_shown_results_checked(python_block(marker))
    assert checked >= 1
    run_script(code, tmp_path)


def readme_command_lines() -> list[list[str]]:
    """The words after ``zhnlp`` of every command in the README's ```bash blocks (comments dropped)."""
    found = []
    for line in "\n".join(code_blocks("bash")).replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)  # quotes kept, '#' comments dropped
        lexer.whitespace_split = True
        command: list[str] = []
        for word in [*lexer, ";"]:  # pipes, chains and loops: each command alone
            if word in {"|", "&&", ";", "do"}:
                if "zhnlp" in command and command[0] != "pip":
                    found.append(command[command.index("zhnlp") + 1:])
                command = []
            else:
                command.append(word)
    return found


def test_readme_commands_name_real_commands_and_options():
    import typer

    from zhnlp.cli import app

    group = typer.main.get_command(app)
    ctx = typer.Context(group, info_name="zhnlp")
    lines = readme_command_lines()
    assert len(lines) > 40 and {"segment", "tag", "train-ner", "classify", "translate", "evaluate"} <= {
        words[0] for words in lines}
    for words in lines:
        command = group.get_command(ctx, words[0])
        assert command is not None, f"README: no command zhnlp {words[0]}"
        if hasattr(command, "list_commands"):  # embed, vocab: a subcommand follows
            command = command.get_command(ctx, words[1])
            assert command is not None, f"README: no command zhnlp {' '.join(words[:2])}"
        known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        for word in words:
            if word.startswith("-") and word != "-":
                assert word.split("=")[0] in known, f"README: zhnlp {words[0]} has no option {word}"


def test_readme_stays_short_and_for_users():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 350
    blocks = code_blocks("bash")
    assert blocks[0].startswith("python3 -m venv .venv && . .venv/bin/activate && pip install torch")
    assert blocks[1] == 'pip install ".[test]" && python -m pytest -q\n'  # what CI runs
    assert "../shared" not in text


def test_readme_links_reach_docs_pages_and_their_sections():
    def slug(heading: str) -> str:  # GitHub's anchor of a heading
        return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")

    links = re.findall(r"\]\((docs/[\w.-]+)(?:#([\w-]+))?\)", README.read_text(encoding="utf-8"))
    assert {"docs/guide.md", "docs/reference.md", "docs/formats.md", "docs/figures.md"} <= {page for page, _ in links}
    for page, anchor in links:
        path = README.parent / page
        assert path.is_file(), f"README links to {page}, which is missing"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
            assert anchor in {slug(h) for h in headings}, f"README links to {page}#{anchor}: no such section"
