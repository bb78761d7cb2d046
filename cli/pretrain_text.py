"""Unlabelled Chinese text for the classifiers' character vectors (cli/train-models.sh).

Training splits only: online-shopping and ChnSentiCorp reviews, MSRA NER sentences and the
Chinese side of Tatoeba. Any review that is also in ChnSentiCorp's dev or test split is
left out (the shopping corpus's hotel reviews overlap ChnSentiCorp's), so no test text
reaches the vectors.

    python cli/pretrain_text.py DATA_DIR OUT.txt
"""
import sys, pandas as pd
from pathlib import Path
data = Path(sys.argv[1]); out = open(sys.argv[2], 'w', encoding='utf-8')
clean = lambda s: str(s).replace('\ufeff', '').strip()
held = {clean(t) for f in ('dev.csv', 'test.csv') for t in pd.read_csv(data / 'chnsenticorp' / f).review}
n = 0
for t in list(pd.read_csv(data / 'online_shopping_10_cats/train.csv').review) + list(pd.read_csv(data / 'chnsenticorp/train.csv').review):
    t = clean(t)
    if t and t != 'nan' and t not in held:
        out.write(t + '\n'); n += 1
sent = []
for line in open(data / 'msra_ner/train.bio', encoding='utf-8'):
    p = line.split()
    if p: sent.append(p[0])
    elif sent: out.write(''.join(sent) + '\n'); sent = []; n += 1
for line in open(data / 'cmn_eng/train.tsv', encoding='utf-8'):
    cols = line.rstrip('\n').split('\t')
    if len(cols) > 1: out.write(cols[1] + '\n'); n += 1
print(n, 'lines', file=sys.stderr)
