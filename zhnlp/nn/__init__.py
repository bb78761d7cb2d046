"""Torch modules, the networks only; named ``nn`` so as not to be confused with ``models/`` (trained models)."""
