"""Renderers: HTML, PDF, DOCX, JSON and CASE JSON-LD."""
