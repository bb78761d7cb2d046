"""Tiny synthetic tagging corpora written on the fly (names in templates), for fast tests."""
from __future__ import annotations

import random
from pathlib import Path

NAMES = ["张三", "李四", "王小明", "赵六", "陈静", "刘洋"]
PLACES = ["北京", "上海", "广州", "深圳", "南京", "杭州市"]
ORGS = ["清华大学", "北京大学", "华为公司", "人民银行"]
TEMPLATES = ["{P}在{L}工作。", "{P}毕业于{O}。", "{O}位于{L}。", "{P}和{Q}去了{L}。", "今天{P}来到{O}参观。"]


def _tags(text_parts):
    chars, tags = [], []
    for piece, typ in text_parts:
        for i, c in enumerate(piece):
            chars.append(c)
            tags.append("O" if typ is None else ("B-" if i == 0 else "I-") + typ)
    return chars, tags


def ner_sentences(n: int, seed: int = 0) -> list[tuple[list[str], list[str]]]:
    """``n`` BIO-tagged sentences (PER, LOC, ORG) from templates."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        t = rng.choice(TEMPLATES)
        fills = {"P": (rng.choice(NAMES), "PER"), "Q": (rng.choice(NAMES), "PER"),
                 "L": (rng.choice(PLACES), "LOC"), "O": (rng.choice(ORGS), "ORG")}
        parts, i = [], 0
        while i < len(t):
            if t[i] == "{":
                key = t[i + 1]
                parts.append(fills[key])
                i += 3
            else:
                parts.append((t[i], None))
                i += 1
        out.append(_tags(parts))
    return out


def write_ner(path: Path, n: int, seed: int = 0, sep: str = "\t") -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for chars, tags in ner_sentences(n, seed):
            f.writelines(f"{c}{sep}{t}\n" for c, t in zip(chars, tags))
            f.write("\n")
    return path


def write_segmented(path: Path, n: int, seed: int = 0) -> Path:
    """Segmented text (words separated by spaces) from the same templates."""
    rng = random.Random(seed)
    words = ["我们", "在", "北京", "工作", "今天", "天气", "很", "好", "上海", "大学", "学生", "的", "了"]
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(n):
            f.write(" ".join(rng.choice(words) for _ in range(rng.randrange(3, 9))) + "\n")
    return path


def write_conllu(path: Path, n: int, seed: int = 0) -> Path:
    """CoNLL-U with UPOS from a tiny word list."""
    rng = random.Random(seed)
    lex = [("我们", "PRON"), ("在", "ADP"), ("北京", "PROPN"), ("工作", "VERB"), ("今天", "NOUN"),
           ("很", "ADV"), ("好", "ADJ"), ("学生", "NOUN"), ("。", "PUNCT")]
    with open(path, "w", encoding="utf-8") as f:
        for k in range(n):
            f.write(f"# sent_id = {k}\n")
            for i in range(rng.randrange(2, 7)):
                w, t = rng.choice(lex)
                f.write(f"{i + 1}\t{w}\t_\t{t}\t_\t_\t0\tdep\t_\t_\n")
            f.write("\n")
    return path
