"""Text: segmentation (jieba and the compiled engine), dictionaries, vocabularies, character features."""
