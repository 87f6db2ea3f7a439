"""The metadata shared by every table module; one naming convention, stable constraint names.

Tables are SQLAlchemy Core ``sa.Table`` objects, not ORM classes: nothing at run time needs
the ORM, and importing ``sqlalchemy.orm`` costs every command start-up about 0.1 s.
"""

from __future__ import annotations

from sqlalchemy import MetaData

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

METADATA = MetaData(naming_convention=NAMING)
