"""Legal knowledge base: schema, catalog loader and YAML packs."""
