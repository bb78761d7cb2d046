"""The real classification tables under ../shared/data read with zhnlp.tables.read_labeled:
row counts, label sets and category counts as documented in their SOURCE.md files
(skipped, with the reason, where ../shared/data is absent)."""
from __future__ import annotations

from collections import Counter

import pytest

from helpers import data_path
from zhnlp.formats.tables import read_labeled

SHOP = "online_shopping_10_cats"
SHOP_SIZES = {"train": 50_219, "dev": 6_277, "test": 6_277}
SHOP_LABELS = {"train": {"1": 25_383, "0": 24_836}, "dev": {"1": 3_172, "0": 3_105}, "test": {"1": 3_172, "0": 3_105}}
# SOURCE.md: the full file's categories (62,774 rows; the one empty review is a 热水器 row)
SHOP_CATS = {"平板": 10_000, "水果": 10_000, "洗发水": 10_000, "衣服": 10_000, "酒店": 10_000, "计算机": 3_992,
             "书籍": 3_851, "手机": 2_323, "蒙牛": 2_033, "热水器": 575}
SENTI = "chnsenticorp"
SENTI_LABELS = {"train": {"1": 4_258, "0": 1_955}, "dev": {"1": 532, "0": 244}, "test": {"1": 532, "0": 244}}


@pytest.mark.slow
def test_online_shopping_splits():
    cats: Counter = Counter()
    for split, n in SHOP_SIZES.items():
        path = data_path(SHOP, f"{split}.csv")
        d = read_labeled(path)  # columns cat,label,review: text = review, label = label
        assert len(d) == n and d.skipped == [], split  # the empty review was dropped from every split
        assert Counter(d.labels) == SHOP_LABELS[split], split
        assert all(t.strip() and "\ufeff" not in t for t in d.texts), split  # stray U+FEFF removed
        assert d.lines[0] == 2 and d.lines == sorted(d.lines) and len(set(d.lines)) == n
        by_cat = read_labeled(path, label_col="cat", strict=True)
        assert len(by_cat) == n and by_cat.texts == d.texts
        assert set(by_cat.labels) == set(SHOP_CATS), split
        cats.update(by_cat.labels)
    assert cats == {**SHOP_CATS, "热水器": SHOP_CATS["热水器"] - 1}


@pytest.mark.slow
def test_online_shopping_full_file_has_one_empty_review():
    raw = data_path(SHOP, f"{SHOP}.csv").read_bytes()
    assert "\ufeff".encode() in raw[3:]  # stray byte-order marks inside reviews
    d = read_labeled(data_path(SHOP, f"{SHOP}.csv"), label_col="cat")
    assert len(d) == 62_773 and len(d.skipped) == 1
    assert Counter(d.labels) == {**SHOP_CATS, "热水器": SHOP_CATS["热水器"] - 1}
    assert all("\ufeff" not in t for t in d.texts)
    line = raw.split(b"\n")[d.skipped[0] - 1].decode("utf-8").rstrip("\r")
    assert line.startswith("热水器,") and line.split(",")[2] == ""


@pytest.mark.slow
def test_chnsenticorp_splits():
    for split, labels in SENTI_LABELS.items():
        d = read_labeled(data_path(SENTI, f"{split}.csv"))  # columns label,review
        assert len(d) == sum(labels.values()) and d.skipped == [], split
        assert Counter(d.labels) == labels, split
        assert all(t.strip() for t in d.texts)
    assert [len(read_labeled(data_path(SENTI, f"{s}.csv"))) for s in ("train", "dev", "test")] == [6_213, 776, 776]
    full = read_labeled(data_path(SENTI, "ChnSentiCorp_htl_all.csv"))
    assert len(full) == 7_765 and len(full.skipped) == 1  # 7,766 rows, one with an empty review
    assert Counter(full.labels) == {"1": 5_322, "0": 2_443}
