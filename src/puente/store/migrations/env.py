"""Alembic environment: the engine comes from puente.store.db; SQLite uses batch mode."""

from __future__ import annotations

from alembic import context

from puente.store.tables import METADATA

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
