"""Regenerate corpus.txt (pre-segmented) and raw.txt (the same sentences unsegmented).

Seeded templates over a few word classes, so the corpus is small, fixed and licence-free:
``python tests/data/embed/make_corpus.py``.
"""
import random
from pathlib import Path

CLASSES = {
    "city": ["北京", "上海", "广州", "深圳", "南京", "杭州", "成都", "武汉"],
    "fruit": ["苹果", "香蕉", "橘子", "葡萄", "西瓜", "草莓"],
    "person": ["老师", "学生", "医生", "工人", "朋友", "妈妈", "爸爸"],
    "verb": ["喜欢", "买", "吃", "看见", "想起", "带来"],
    "adj": ["好", "新鲜", "便宜", "漂亮", "贵", "干净"],
    "time": ["今天", "昨天", "明天", "周末", "早上", "晚上"],
    "thing": ["房间", "手机", "衣服", "电脑", "书", "早餐"],
}
TEMPLATES = [
    "{time} {person} 在 {city} {verb} {fruit} 。",
    "{person} 觉得 {city} 的 {fruit} 很 {adj} 。",
    "{city} 的 {thing} 比 {city} 的 {thing} {adj} 。",
    "我 的 {person} {time} {verb} 了 一 个 {thing} 。",
    "这个 {thing} 很 {adj} ， {person} 非常 {verb} 。",
    "{time} 我们 去 {city} 买 {fruit} 和 {thing} 。",
    "{person} 说 {fruit} 不 {adj} ， 但是 {thing} 很 {adj} 。",
]


def main() -> None:
    rng = random.Random(7)
    here = Path(__file__).resolve().parent
    lines = []
    for _ in range(400):
        t = rng.choice(TEMPLATES)
        words = []
        for tok in t.split():
            if tok.startswith("{"):
                words.append(rng.choice(CLASSES[tok[1:-1]]))
            else:
                words.append(tok)
        lines.append(" ".join(words))
    (here / "corpus.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (here / "raw.txt").write_text("\n".join(l.replace(" ", "") for l in lines[:60]) + "\n",
                                  encoding="utf-8")


if __name__ == "__main__":
    main()
