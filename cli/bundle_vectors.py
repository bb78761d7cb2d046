"""Write vectors as the bundled word2vec binary file, keeping the most frequent words (cli/train-models.sh vectors).

    python cli/bundle_vectors.py SOURCE TARGET.bin [--max N]

SOURCE is what ``zhnlp embed train`` wrote (words in descending frequency), so the first N are the most frequent.
"""
import argparse

from gensim.models import KeyedVectors

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("source")
parser.add_argument("target")
parser.add_argument("--max", type=int, default=None, help="keep the first (most frequent) N words")
args = parser.parse_args()
kv = KeyedVectors.load_word2vec_format(args.source, limit=args.max)
kv.save_word2vec_format(args.target, binary=True)
print(f"{args.target}: {len(kv)} words, {kv.vector_size} dimensions")
