"""A tiny synthetic, learnable Chinese→English pair language written on the fly, for fast tests.

Sentences are subject + (negation) + verb + object with a fixed word-by-word English
rendering, so a small GRU seq2seq learns it within a few hundred updates.
"""
from __future__ import annotations

import itertools
import random
from pathlib import Path

SUBJECTS = {"我": "I", "你": "You", "我们": "We", "他们": "They"}
VERBS = {"喜欢": "like", "看见": "see", "需要": "need", "想要": "want"}
OBJECTS = {"猫": "cats", "狗": "dogs", "书": "books", "苹果": "apples", "咖啡": "coffee", "音乐": "music"}


def all_pairs() -> list[tuple[str, str]]:
    """Every (Chinese, English) sentence of the language."""
    out = []
    for (zs, es), (zv, ev), (zo, eo), neg in itertools.product(SUBJECTS.items(), VERBS.items(), OBJECTS.items(),
                                                              (False, True)):
        zh = zs + ("不" if neg else "") + zv + zo + "。"
        en = f"{es} {'do not ' if neg else ''}{ev} {eo}."
        out.append((zh, en))
    return out


def split_pairs(seed: int = 0, test_share: float = 0.15) -> tuple[list, list]:
    """(train, held-out) pairs, shuffled with ``seed``."""
    pairs = all_pairs()
    random.Random(seed).shuffle(pairs)
    k = int(len(pairs) * test_share)
    return pairs[k:], pairs[:k]


def write_pairs(path: Path, pairs, *, attribution: bool = True, bom: bool = False) -> Path:
    """Tatoeba layout: ``English<TAB>Chinese<TAB>attribution``."""
    text = "".join(f"{en}\t{zh}" + ("\tCC-BY 2.0 (France) test" if attribution else "") + "\n" for zh, en in pairs)
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path
