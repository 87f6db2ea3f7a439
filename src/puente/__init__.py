"""Puente: hashes-only triage, hash-set library, legal knowledge base and cooperation tools."""

__version__ = "0.1.0"
