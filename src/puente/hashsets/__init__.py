"""Hash sets: model, categories, formats and provenance."""
