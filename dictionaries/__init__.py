"""Bundled dictionaries (installed as zhnlp.dictionaries); see ``zhnlp dicts``."""
