"""Data formats: CoNLL and CoNLL-U, tag schemes, tables, sentence pairs, and what training data must look like."""
