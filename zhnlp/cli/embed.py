"""``zhnlp embed train|similar|analogy|evaluate|convert``: thin wrappers over :mod:`zhnlp.embeddings`."""
from __future__ import annotations

import json

import typer

from ..checks import json_safe
from ..embeddings import EmbeddingConfig, analogy, convert_vectors, evaluate, load_vectors, most_similar, train_to_file
from ..text.segment import Segmenter
from ._app import _run, app

embed_app = typer.Typer(no_args_is_help=True,
                        help="Word vectors: train (word2vec, fastText), query, evaluate, convert.")

FORMAT_HELP = "word2vec | word2vec-bin | glove | fasttext | fasttext-bin"


@embed_app.command("train")
def embed_train_cli(
    corpus: list[str] = typer.Argument(..., help="Corpus files: raw text (segmented once with zhnlp) "
                                                 "or, with --pre-segmented, words separated by spaces."),
    output: str = typer.Option(..., "-o", "--output", help="Vector file to write."),
    algo: str = typer.Option("word2vec", "--algo", help="word2vec | fasttext"),
    sg: bool = typer.Option(True, "--sg/--cbow", help="Skip-gram or CBOW."),
    hs: bool = typer.Option(False, "--hs", help="Hierarchical softmax (negative sampling off unless --negative)."),
    negative: int | None = typer.Option(None, "--negative", help="Negative samples [default: 5, 0 with --hs]."),
    sample: float = typer.Option(1e-3, "--sample", help="Down-sampling threshold of frequent words."),
    dim: int = typer.Option(100, "--dim", help="Vector dimension."),
    window: int = typer.Option(5, "--window", help="Context words on each side."),
    min_count: int = typer.Option(5, "--min-count", help="Ignore words seen fewer times."),
    epochs: int = typer.Option(5, "--epochs", help="Passes over the corpus."),
    workers: int | None = typer.Option(None, "--workers", help="Training threads [default: min(4, CPUs)]."),
    seed: int = typer.Option(1, "--seed", help="Random seed (identical vectors need --workers 1)."),
    min_n: int = typer.Option(3, "--min-n", help="fastText: shortest character n-gram."),
    max_n: int = typer.Option(6, "--max-n", help="fastText: longest character n-gram."),
    bucket: int = typer.Option(2_000_000, "--bucket", help="fastText: n-gram hash buckets."),
    pre_segmented: bool = typer.Option(False, "--pre-segmented", help="Lines are words separated by spaces."),
    level: str = typer.Option("word", "--level", help="word | char | bigram (character bigrams, for a "
                                                      "tagger's --bigram-embeddings)"),
    fmt: str | None = typer.Option(None, "--format", help=f"{FORMAT_HELP} [default: from the extension]"),
    encoding: str = typer.Option("utf-8", "--encoding", help="Corpus encoding."),
    jobs: int = typer.Option(1, "-j", "--jobs", help="Segmentation processes (raw text)."),
    user_dict: list[str] | None = typer.Option(None, "--user-dict", help="User lexicon for segmenting (repeatable)."),
    dict_name: list[str] | None = typer.Option(None, "--dict", help="Bundled lexicon by name (repeatable; see 'zhnlp dicts')."),
    main_dict: str | None = typer.Option(None, "--main-dict", help="Lexicon replacing jieba's main dictionary."),
    max_line_length: int = typer.Option(100_000, "--max-line-length", help="Longest accepted line, in characters."),
    tmp_dir: str | None = typer.Option(None, "--tmp-dir", help="Folder for the segmented copy of raw text."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress lines or summary."),
) -> None:
    """Train word vectors on corpus files (streamed from disk) and save them."""
    def work():
        options = dict(algo=algo, sg=sg, hs=hs, negative=negative, sample=sample, dim=dim, window=window,
                       min_count=min_count, epochs=epochs, seed=seed, min_n=min_n, max_n=max_n,
                       bucket=bucket)
        if workers is not None:
            options["workers"] = workers
        config = EmbeddingConfig(**options)
        seg = None
        if level == "word" and not pre_segmented:
            seg = Segmenter(user_dicts=user_dict or (), dicts=dict_name or (), main_dict=main_dict)
        return train_to_file(corpus, output, config, format=fmt, pre_segmented=pre_segmented,
                             segmenter=seg, level=level, encoding=encoding, jobs=jobs,
                             progress=not quiet, max_line_chars=max_line_length, tmp_dir=tmp_dir)

    result = _run(work)
    if not quiet:
        typer.echo(f"trained {algo} {'skip-gram' if sg else 'CBOW'}: {result.summary()}", err=True)


@embed_app.command("similar")
def embed_similar_cli(
    vectors: str = typer.Argument(..., help="Vector file."),
    word: str = typer.Argument(..., help="Query word."),
    topn: int = typer.Option(10, "--topn", help="Number of neighbours."),
    source_fmt: str | None = typer.Option(None, "--from", help=f"{FORMAT_HELP} [default: detected]"),
) -> None:
    """The nearest words by cosine: word<TAB>cosine lines."""
    pairs = _run(lambda: most_similar(load_vectors(vectors, source_fmt), word, topn))
    for w, score in pairs:
        typer.echo(f"{w}\t{score:.4f}")


@embed_app.command("analogy")
def embed_analogy_cli(
    vectors: str = typer.Argument(..., help="Vector file."),
    a: str = typer.Argument(..., help="a in a : b :: c : ?"),
    b: str = typer.Argument(..., help="b"),
    c: str = typer.Argument(..., help="c"),
    topn: int = typer.Option(1, "--topn", help="Number of answers."),
    source_fmt: str | None = typer.Option(None, "--from", help=f"{FORMAT_HELP} [default: detected]"),
) -> None:
    """a : b :: c : ? by 3CosAdd (closest to b - a + c): word<TAB>cosine lines."""
    pairs = _run(lambda: analogy(load_vectors(vectors, source_fmt), a, b, c, topn))
    for w, score in pairs:
        typer.echo(f"{w}\t{score:.4f}")


@embed_app.command("evaluate")
def embed_evaluate_cli(
    vectors: str = typer.Argument(..., help="Vector file."),
    files: list[str] = typer.Argument(..., help="Word-similarity files (w1 w2 score) or analogy files (': section', a b c d)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    skip_bad_lines: bool = typer.Option(False, "--skip-bad-lines", help="Skip and count malformed lines instead of failing."),
    restrict_vocab: int = typer.Option(300_000, "--restrict-vocab", help="Analogy answers among the first N words (0: all)."),
    subwords: bool = typer.Option(True, "--subwords/--no-subwords",
                                  help="fastText .bin: give unseen words subword vectors (else skip them as OOV)."),
    source_fmt: str | None = typer.Option(None, "--from", help=f"{FORMAT_HELP} [default: detected]"),
) -> None:
    """Spearman x100 on word-similarity files, accuracy on analogy files (3CosAdd)."""
    def work():
        vec = load_vectors(vectors, source_fmt)
        return [evaluate(vec, f, skip_bad_lines=skip_bad_lines, restrict_vocab=restrict_vocab or None,
                         subwords=subwords) for f in files]

    results = _run(work)
    if as_json:
        typer.echo(json.dumps(json_safe({"vectors": vectors, "results": [r.as_dict() for r in results]}),
                              ensure_ascii=False, allow_nan=False))
    else:
        for r in results:
            typer.echo(r.summary())


@embed_app.command("convert")
def embed_convert_cli(
    source: str = typer.Argument(..., help="Vector file to read."),
    target: str = typer.Argument(..., help="Vector file to write."),
    source_fmt: str | None = typer.Option(None, "--from", help=f"{FORMAT_HELP} [default: detected]"),
    target_fmt: str | None = typer.Option(None, "--to", help=f"{FORMAT_HELP} [default: from the extension]"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No summary."),
) -> None:
    """Convert a vector file between formats (fasttext-bin output needs a fastText .bin input)."""
    result = _run(convert_vectors, source, target, source_fmt, target_fmt)
    if not quiet:
        typer.echo(result, err=True)


app.add_typer(embed_app, name="embed", help="Word vectors: train (word2vec, fastText), query, evaluate, convert.")
