"""``zhnlp vocab build`` and ``zhnlp vocab info``: thin wrappers over :mod:`zhnlp.text.vocab`."""
from __future__ import annotations

import json

import typer

from ..text.segment import Segmenter
from ..text.vocab import Vocab, build_vocab
from ._app import _run, app

vocab_app = typer.Typer(no_args_is_help=True, help="Build and inspect vocabularies (token <-> id).")


@vocab_app.command("build")
def vocab_build_cli(
    corpus: list[str] = typer.Argument(..., help="Corpus files (raw text, or words separated by spaces)."),
    output: str = typer.Option(..., "-o", "--output", help="Vocabulary JSON to write."),
    level: str = typer.Option("word", "--level", help="word | char"),
    min_freq: int = typer.Option(1, "--min-freq", help="Keep tokens seen at least this often."),
    max_size: int | None = typer.Option(None, "--max-size", help="Keep at most this many tokens (specials excluded)."),
    segment: bool = typer.Option(True, "--segment/--pre-segmented",
                                 help="Segment raw text with zhnlp, or split pre-segmented lines on spaces."),
    user_dict: list[str] | None = typer.Option(None, "--user-dict", help="User lexicon for segmenting (repeatable)."),
    dict_name: list[str] | None = typer.Option(None, "--dict", help="Bundled lexicon by name (repeatable)."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Corpus encoding."),
    jobs: int = typer.Option(1, "-j", "--jobs", help="Segmentation processes."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No summary."),
) -> None:
    """Count tokens in corpora (streamed) and write a vocabulary: specials, then tokens by count."""
    def work():
        seg = Segmenter(user_dicts=user_dict or (), dicts=dict_name or ()) if segment and level == "word" else None
        vocab = build_vocab(corpus, level=level, min_freq=min_freq, max_size=max_size,
                            pre_segmented=not segment, segmenter=seg, encoding=encoding, jobs=jobs)
        vocab.save(output)
        return vocab

    vocab = _run(work)
    if not quiet:
        total = sum(vocab.counts.values())
        typer.echo(f"{len(vocab)} entries ({len(vocab.specials)} specials, {len(vocab) - len(vocab.specials)} "
                   f"{level}s covering {total} tokens) -> {output}", err=True)


@vocab_app.command("info")
def vocab_info_cli(
    vocab_file: str = typer.Argument(..., help="Vocabulary JSON."),
    top: int = typer.Option(10, "--top", help="Show this many most frequent tokens."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Size, level, special ids and the most frequent tokens of a vocabulary."""
    v = _run(Vocab.load, vocab_file)
    info = {"size": len(v), "level": v.level, "specials": {s: i for i, s in enumerate(v.specials)},
            "unk": v.unk, "tokens": sum(v.counts.values()),
            "top": [[t, v.freq(t)] for t in v.itos[len(v.specials):len(v.specials) + top]]}
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False))
        return
    typer.echo(f"size {info['size']}  level {info['level']}  tokens counted {info['tokens']}")
    typer.echo("specials " + "  ".join(f"{s}={i}" for s, i in info["specials"].items()) + f"  (unk: {v.unk})")
    for t, c in info["top"]:
        typer.echo(f"{t}\t{c}")


app.add_typer(vocab_app, name="vocab")
