#!/usr/bin/env bash
# The GPU figures of README's Figures in one call (taggers and classifiers); run on a machine with CUDA.
# Usage: bash bench/gpu.sh [DATA]   (DATA: the shared data folder, default ../shared/data)
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
DATA=${1:-$here/../shared/data}
PYTHON=${PYTHON:-python}
R=$DATA/resume_ner
cd "$here" || exit 1
$PYTHON bench/tagger.py --device cuda --amp --data "$DATA"
$PYTHON bench/tagger.py --device cuda --data "$DATA"
$PYTHON bench/tagger.py --device cuda --amp --data "$DATA" --repeats 1 --shipped models/resume-ner
$PYTHON bench/classifier.py --only train,infer --device cuda --amp --data "$DATA"
# the Transformer-CRF against a BiLSTM-CRF of similar size, decoding in batches of 64, on the GPU and its host's CPU
$PYTHON bench/transformer.py --device cuda --data "$DATA"
$PYTHON bench/transformer.py --data "$DATA"
$PYTHON -m zhnlp evaluate resume-ner "$R/test.char.bmes" --device cuda
# one resume-ner member's settings (README: without the pretrained initialisation), timed with --gpu --amp
out=$(mktemp -d)
$PYTHON -m zhnlp train-ner "$R/train.char.bmes" --dev "$R/dev.char.bmes" --bigram --softword --hidden 256 \
    --batch-size 32 --lr 2e-3 --epochs 40 --patience 8 --seed 1 -o "$out/member" --gpu --amp
rm -rf "$out"
