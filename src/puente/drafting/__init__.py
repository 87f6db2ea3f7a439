"""Cooperation requests and the harmonised procedure."""
