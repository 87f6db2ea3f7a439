"""Evidence sources (folders, archives) read-only, as items and byte streams."""
