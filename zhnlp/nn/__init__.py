"""Torch modules: the networks only (reading, encoding and batching live elsewhere).

Named ``nn`` so that it is not confused with the top-level ``models/`` of trained models.
"""
