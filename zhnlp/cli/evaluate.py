"""``zhnlp evaluate MODEL TEST``: one command for every model type, the scorer its config.json names."""
from __future__ import annotations

import json

import typer

from ..checks import json_safe
from ..tasks.classifier import TableOptions, write_confusion
from ..tasks.loading import load, model_kind
from ..tasks.translator import PairOptions
from ..training.trainer import use_threads
from ._app import PRECISION, THREADS, _run, app
from .classify import CLASS_NAMES, LABEL_COL, MODEL_DATA_FORMAT, TEXT_COL
from .translate import ALPHA, BEAM, SRC_COL, TGT_COL


@app.command("evaluate")
def evaluate_cli(
    model: str = typer.Argument(..., help="Model directory or bundled name."),
    test: str = typer.Argument(..., help="Gold test file."),
    data_format: str = MODEL_DATA_FORMAT,
    text_col: str | None = TEXT_COL,
    label_col: str | None = LABEL_COL,
    class_names: str | None = CLASS_NAMES,
    confusion: str | None = typer.Option(None, "--confusion",
                                            help="Classifiers: write the confusion matrix as PREFIX.csv and PREFIX.png."),
    src_col: int = SRC_COL,
    tgt_col: int = TGT_COL,
    beam: int | None = BEAM,
    alpha: float | None = ALPHA,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    gpu: bool = typer.Option(False, "--gpu"),
    device: str | None = typer.Option(None, "--device"),
    precision: str = PRECISION,
    threads: int = THREADS,
    encoding: str = typer.Option("utf-8", "--encoding"),
) -> None:
    """Score a model on gold data: entity P/R/F1 per type (NER), word P/R/F1 (CWS), accuracy (POS);
    accuracy, macro-F1, per-class P/R/F1 and a confusion matrix (classifiers); sacreBLEU
    (beam and greedy), chrF and perplexity (seq2seq; all targets of a source are references)."""
    def work():
        use_threads(threads)
        kind, loaded = model_kind(model), load(model, device=device, gpu=gpu, precision=precision)
        if kind == "classifier":
            result = loaded.evaluate(test, TableOptions(text_col=text_col, label_col=label_col, fmt=data_format,
                                                        encoding=encoding, class_names=class_names))
            return "classifier", result, write_confusion(result, confusion) if confusion else []
        if kind == "translator":
            pairs = PairOptions(src_col=src_col, tgt_col=tgt_col, encoding=encoding)
            return "seq2seq", loaded.evaluate(test, pairs, beam=beam, alpha=alpha), []
        return loaded.task, loaded.evaluate(test, data_format, encoding), []

    task, result, written = _run(work)
    if as_json:
        typer.echo(json.dumps(json_safe(result), ensure_ascii=False, allow_nan=False))
    else:
        report = {"classifier": classifier_report, "seq2seq": translation_report}.get(task)
        typer.echo(report(result) if report else tagger_report(task, result))
    for path in written:
        typer.echo(f"wrote {path}", err=True)


def tagger_report(task: str, result: dict) -> str:
    """Scores ×100: accuracy (POS), or P/R/F1 overall and per entity type."""
    if task == "pos":
        return f"accuracy {100 * result['accuracy']:.2f} on {result.get('sentences', '?')} sentences"
    support = result.get("gold_entities", result.get("gold_words", ""))
    rows = [("overall", result["precision"], result["recall"], result["f1"], support)]
    rows += [(typ, r["precision"], r["recall"], r["f1"], r["support"])
             for typ, r in sorted((result.get("per_type") or {}).items())]
    return _prf_table(rows)


def classifier_report(result: dict) -> str:
    """Accuracy and macro-F1 ×100, per-class P/R/F1, and the confusion matrix (rows gold)."""
    rows = [(lab, r["precision"], r["recall"], r["f1"], r["support"]) for lab, r in result["per_class"].items()]
    rows.append(("macro avg", result["macro_precision"], result["macro_recall"], result["macro_f1"],
                 result["examples"]))
    head = f"accuracy {100 * result['accuracy']:.2f}  macro-F1 {100 * result['macro_f1']:.2f}  on {result['examples']} texts"
    if result.get("skipped_lines"):
        head += f" ({len(result['skipped_lines'])} rows without text or label skipped)"
    labels = result["labels"]
    width = max(6, *(len(str(x)) for x in labels)) + 1
    matrix = ["confusion (rows gold, columns predicted):",
              " " * width + "".join(f"{lab:>{width}}" for lab in labels)]
    matrix += [f"{lab:>{width}}" + "".join(f"{n:>{width}}" for n in row) for lab, row in zip(labels, result["confusion"])]
    return "\n".join([head, _prf_table(rows), *matrix])


def translation_report(result: dict) -> str:
    """BLEU (with its sacreBLEU signature), greedy BLEU, chrF and perplexity."""
    lines = [f"BLEU {result['bleu']:.2f} (beam {result['beam']}, alpha {result['alpha']})  "
             f"chrF {result['chrf']:.2f}  perplexity {result['perplexity']:.2f}  "
             f"on {result['sentences']} sources ({result['pairs']} pairs)"]
    if "greedy_bleu" in result:
        lines.append(f"greedy: BLEU {result['greedy_bleu']:.2f}  chrF {result['greedy_chrf']:.2f}")
    lines += [result["bleu_detail"], f"BLEU signature: {result['bleu_signature']}",
              f"chrF signature: {result['chrf_signature']}"]
    skipped = sum((result.get("skipped_lines") or {}).values())
    if skipped:
        lines.append(f"({skipped} line(s) with missing columns or an empty side skipped)")
    return "\n".join(lines)


def _prf_table(rows) -> str:
    width = max(10, *(len(str(r[0])) + 1 for r in rows))
    lines = [f"{'':{width}} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>8}"]
    lines += [f"{str(name):{width}} {100 * p:9.2f} {100 * r:9.2f} {100 * f:9.2f} {s:>8}" for name, p, r, f, s in rows]
    return "\n".join(lines)
