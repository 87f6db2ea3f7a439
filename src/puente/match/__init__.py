"""Exact and near-duplicate indexes and the matcher (pure, no I/O)."""
