"""Persistence edge: SQLAlchemy 2 tables, mappers to domain dataclasses, Alembic migrations."""
