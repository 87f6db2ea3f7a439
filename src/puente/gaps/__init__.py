"""Baseline criteria and the gap-analysis engine."""
