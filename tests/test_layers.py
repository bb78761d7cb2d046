"""The package's layers point down: each subpackage imports only from its own layer or below,
nn/ imports nothing of zhnlp but nn/ and the error types, and no import circle exists, counting
imports made inside functions (read with ``ast``, as ../shared/tools/importgraph.py does)."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "zhnlp"

#: bottom to top; a module may import from its own layer or any layer before it
LAYERS = [
    ("ground", ["zhnlp.errors", "zhnlp.io", "zhnlp.resources", "zhnlp.parallel", "zhnlp.checks", "zhnlp._moved",
                "zhnlp.presets"]),
    ("nn", ["zhnlp.nn"]),
    ("text", ["zhnlp.text", "zhnlp.text.segment", "zhnlp.text.fast_segment"]),
    ("formats", ["zhnlp.formats"]),
    ("embeddings", ["zhnlp.embeddings"]),
    ("training", ["zhnlp.training"]),
    ("tasks", ["zhnlp.tasks"]),
    ("corpus", ["zhnlp.corpus"]),
    ("cli", ["zhnlp.cli", "zhnlp.__main__"]),
]


def modules() -> dict[str, Path]:
    found = {}
    for p in PACKAGE.rglob("*.py"):
        parts = list(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = p
    return found


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the zhnlp modules it imports anywhere in its text (functions included)."""
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                if mod == "zhnlp" and [a.name for a in node.names] == ["__version__"]:
                    continue  # the version string: no code
                targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
            else:
                continue
            edges |= {t for t in targets if t in mods and t != name}
        graph[name] = edges
    return graph


def layer_of(module: str) -> int | None:
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None  # the package itself (zhnlp/__init__.py): the top, importing lazily by name


def test_every_module_has_a_layer():
    assert [m for m in modules() if m != "zhnlp" and layer_of(m) is None] == []


def test_imports_point_down():
    graph = imports(modules())
    upward = sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets
                    if layer_of(a) is not None and (layer_of(b) is None or layer_of(b) > layer_of(a)))
    assert upward == []


def test_nn_imports_only_nn_and_errors():
    graph = imports(modules())
    out = sorted(f"{a} -> {b}" for a, targets in graph.items() if a.startswith("zhnlp.nn")
                 for b in targets if not b.startswith("zhnlp.nn") and b != "zhnlp.errors")
    assert out == []


def test_no_import_circles():
    graph = imports(modules())
    circles, index, low, stack, on, counter = [], {}, {}, [], set(), [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert circles == []


def test_every_old_module_path_is_the_new_module():
    """Code written against the flat layout keeps working: ``import zhnlp.tagger`` is
    ``zhnlp.tasks.tagger`` itself (so a monkeypatch through either name patches both)."""
    import importlib

    from zhnlp._moved import MOVED

    for old, new in MOVED.items():
        assert importlib.import_module(old) is importlib.import_module(new), old
    from zhnlp.batching import pad_batch, run_rnn  # noqa: F401  (names users import today)
    from zhnlp.corpus import segment_files, tokenized_lines  # noqa: F401
    from zhnlp.embeddings import embedding_matrix, load_vectors, train_vectors  # noqa: F401
    from zhnlp.tagger import load_tagger  # noqa: F401
    assert importlib.import_module("zhnlp.tagger").__spec__.name == "zhnlp.tasks.tagger"
