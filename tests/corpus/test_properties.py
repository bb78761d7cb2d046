"""Property-based round trips (hypothesis) for the readers and writers and for segmentation:
jsonl tokens join back to the input line exactly; files written atomically read back line
for line (BOM and CRLF included); vocabularies survive JSON; labelled tables survive CSV
quoting; pair files survive their reader."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhnlp import io
from zhnlp.corpus.runner import OutputFormat, segment_stream
from zhnlp.errors import InputError
from zhnlp.io import atomic_output, read_lines
from zhnlp.text.segment import Segmenter
from zhnlp.text.vocab import Vocab

CJK = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 400))
ALPHABET = CJK + "abcXYZ019 ，。！？、“”《》,.!?;:'\"()-—…%￥$　\t"
LINE = st.text(alphabet=ALPHABET, max_size=60)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def seg():
    return Segmenter().load()


@SETTINGS
@given(st.lists(LINE, min_size=1, max_size=6))
def test_jsonl_tokens_join_back_to_each_line(seg, lines):
    out = "".join(segment_stream(lines, seg, OutputFormat("jsonl")))
    rows = [json.loads(x) for x in out.splitlines()]
    assert len(rows) == len(lines)
    assert ["".join(r["tokens"]) for r in rows] == lines


@SETTINGS
@given(st.lists(LINE, min_size=1, max_size=6), st.sampled_from([" ", "", "/", "\n"]))
def test_text_output_is_each_lines_words_but_whitespace_joined(seg, lines, sep):
    """The compiled engine formats whole chunks of text output at once: as line by line."""
    out = "".join(segment_stream(lines, seg, OutputFormat("text", sep)))
    assert out == "".join(sep.join(w for w in seg.cut(x) if w.strip()) + "\n" for x in lines)


@pytest.fixture(scope="module")
def pos_segs():
    return {hmm: Segmenter(pos=True, hmm=hmm).load() for hmm in (True, False)}


@SETTINGS
@given(st.lists(LINE, min_size=1, max_size=6), st.booleans())
def test_pos_jsonl_tokens_join_back_too(pos_segs, lines, hmm):
    seg = pos_segs[hmm]
    out = "".join(segment_stream(lines, seg, OutputFormat("jsonl", pos=True)))
    rows = [json.loads(x) for x in out.splitlines()]
    assert ["".join(r["tokens"]) for r in rows] == lines
    assert all(len(r["tokens"]) == len(r["tags"]) for r in rows)


@SETTINGS
@given(st.lists(LINE, min_size=1, max_size=8), st.booleans(), st.sampled_from(["\n", "\r\n"]))
def test_written_lines_read_back(tmp_path, lines, bom, newline):
    path = tmp_path / "f.txt"
    with atomic_output(path, binary=True) as f:
        f.write(("\ufeff" if bom else "").encode("utf-8") + "".join(x + newline for x in lines).encode("utf-8"))
    assert list(read_lines(path, allow_empty=True)) == lines


@SETTINGS
@given(st.lists(LINE, min_size=1, max_size=8), st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1),
       st.integers(1, 50), st.sampled_from(["utf-8", "gb18030"]), st.integers(-1, 7))
def test_lines_read_in_small_chunks(tmp_path, monkeypatch, lines, endings, chunk, encoding, bad):
    """Chunks decode whole where they can and line by line where not (CR, bad bytes): the same lines, errors."""
    monkeypatch.setattr(io, "_CHUNK", chunk)
    raw = [x.encode(encoding) + endings[i % len(endings)].encode() for i, x in enumerate(lines)]
    if 0 <= bad < len(raw):
        raw[bad] = b"\xff" + raw[bad]
    data = b"".join(raw)
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    try:
        expected = [x.decode(encoding) for x in data.splitlines()]
    except UnicodeDecodeError:
        with pytest.raises(InputError) as exc:
            list(read_lines(path, encoding, allow_empty=True))
        assert exc.value.line == len(b"".join(raw[:bad]).splitlines()) + 1
        return
    assert list(read_lines(path, encoding, allow_empty=True)) == expected


@SETTINGS
@given(st.lists(st.lists(st.text(alphabet=CJK + "ab", min_size=1, max_size=3), max_size=8), max_size=8),
       st.integers(1, 3))
def test_vocab_survives_json(docs, min_freq):
    v = Vocab.build(docs, min_freq=min_freq)
    again = Vocab.from_dict(json.loads(json.dumps(v.to_dict(), ensure_ascii=False)))
    assert again == v and again.itos == v.itos
    for doc in docs:
        ids = v.encode(doc)
        assert again.encode(doc) == ids
        assert v.decode(ids) == [t if t in v else v.itos[v.unk_id] for t in doc]


CELL = st.text(alphabet=CJK + "ab ,\"'\n;", min_size=1, max_size=20).filter(lambda s: s.strip())


@SETTINGS
@given(st.lists(st.tuples(CELL, st.sampled_from(["pos", "neg", "mid"])), min_size=1, max_size=10),
       st.sampled_from(["csv", "tsv", "jsonl"]))
def test_labelled_tables_survive_quoting(tmp_path, rows, fmt):
    import pandas as pd

    from zhnlp.formats.tables import read_labeled

    path = tmp_path / f"t.{fmt}"
    frame = pd.DataFrame(rows, columns=["text", "label"])
    if fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    elif fmt == "csv":
        frame.to_csv(path, index=False)
    else:  # TSV has no quoting: quotes are text as written, and a cell holds no line break
        rows = [(t.replace("\n", " "), lab) for t, lab in rows]
        path.write_text("text\tlabel\n" + "".join(f"{t}\t{lab}\n" for t, lab in rows), encoding="utf-8")
    data = read_labeled(path)
    assert data.texts == [t.strip() for t, _ in rows] and data.labels == [lab for _, lab in rows]


SIDE = st.text(alphabet=CJK + "abc ,.!?'\"", min_size=1, max_size=30).filter(lambda s: s.strip())


@SETTINGS
@given(st.lists(st.tuples(SIDE, SIDE), min_size=1, max_size=10))
def test_pair_files_read_back(tmp_path, pairs):
    from zhnlp.formats.pairs import read_pairs

    path = tmp_path / "p.tsv"
    path.write_text("".join(f"{en}\t{zh}\tattribution\n" for zh, en in pairs), encoding="utf-8")
    got = read_pairs(path)
    assert list(zip(got.src, got.tgt)) == [(zh.strip(), en.strip()) for zh, en in pairs]
    assert got.lines == list(range(1, len(pairs) + 1))
