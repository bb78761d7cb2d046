"""Bundled trained models (installed as zhnlp.models); one folder per model."""
