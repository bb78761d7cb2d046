"""Tiny synthetic, learnable text-classification tables written on the fly, for fast tests.

Each text mixes neutral filler words with two or three words of its class (sports, food,
tech), so a small character GRU separates the classes within a few epochs.
"""
from __future__ import annotations

import csv
import json
import random
from pathlib import Path

CLASS_WORDS = {
    "sports": ["足球", "篮球", "比赛", "冠军", "球队", "跑步", "射门", "教练", "球迷", "进球"],
    "food": ["米饭", "面条", "饺子", "好吃", "餐厅", "牛肉", "甜点", "厨师", "火锅", "美味"],
    "tech": ["电脑", "手机", "软件", "芯片", "网络", "程序", "屏幕", "键盘", "系统", "数据"],
}
FILLER = ["今天", "我们", "觉得", "非常", "真的", "一个", "这个", "还是", "有点", "大家", "昨天", "就是"]
LABELS = sorted(CLASS_WORDS)


def make_text(label: str, rng: random.Random) -> str:
    words = [rng.choice(CLASS_WORDS[label]) for _ in range(rng.randint(2, 3))]
    words += [rng.choice(FILLER) for _ in range(rng.randint(1, 4))]
    rng.shuffle(words)
    return "".join(words)


def labeled_rows(n: int, seed: int = 0, labels=LABELS) -> list[tuple[str, str]]:
    """``n`` (text, label) pairs, classes in turn (balanced)."""
    rng = random.Random(seed)
    return [(make_text(labels[i % len(labels)], rng), labels[i % len(labels)]) for i in range(n)]


def write_csv(path: Path, rows, header=("text", "label"), sep: str = ",") -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=sep, lineterminator="\n")
        if header:
            w.writerow(header)
        w.writerows(rows)
    return path


def write_jsonl(path: Path, rows, keys=("text", "label")) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(dict(zip(keys, row)), ensure_ascii=False) + "\n")
    return path


def write_txt(path: Path, rows) -> Path:
    """``text<TAB>label`` lines, no header."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(f"{t}\t{lab}\n" for t, lab in rows)
    return path
