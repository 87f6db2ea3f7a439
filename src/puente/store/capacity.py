"""Capacity assessments: tables and the CapacityStore.

One row per assessment (country, institution, date: unique) and one row per answer. An
assessment is written in one transaction with all its answers, or not at all; importing the
same (country, institution, date) again is a Conflict unless ``replace=True``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Boolean, Date, Engine, ForeignKey, Integer, String, Text, UniqueConstraint

from puente.capacity.model import Answer, Assessment
from puente.errors import Conflict, NotFound
from puente.store.base import METADATA

TZ = sa.DateTime(timezone=True)


ASSESSMENTS = sa.Table(
    "capacity_assessments",
    METADATA,
    sa.Column("id", Integer, primary_key=True),
    sa.Column("country", String(2), index=True, nullable=False),
    sa.Column("institution", String(20), nullable=False),
    sa.Column("assessed_on", Date, nullable=False),
    sa.Column("template_version", String(20), nullable=False),
    sa.Column("lang", String(2), nullable=False),
    sa.Column("institution_name", Text, nullable=False),
    sa.Column("respondent", Text, nullable=False),
    sa.Column("fictitious", Boolean, nullable=False),
    sa.Column("source", Text, nullable=False),
    sa.Column("imported_at", TZ, nullable=False),
    sa.Column("imported_by", String(200), nullable=False),
    UniqueConstraint("country", "institution", "assessed_on", name="uq_capacity_assessments_key"),
)


ANSWERS = sa.Table(
    "capacity_answers",
    METADATA,
    sa.Column("id", Integer, primary_key=True),
    sa.Column(
        "assessment_id",
        Integer,
        ForeignKey("capacity_assessments.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column("item_id", String(80), nullable=False),
    sa.Column("level", Integer, nullable=False),
    sa.Column("evidence", Text, nullable=False),
    sa.Column("needs", String(200), nullable=False),  # comma-separated need codes, in order
    sa.Column("priority", String(10)),
    UniqueConstraint("assessment_id", "item_id", name="uq_capacity_answers_item"),
)


@dataclass(frozen=True)
class StoredAssessment:
    id: int
    assessment: Assessment
    imported_at: datetime
    imported_by: str


class CapacityStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, a: Assessment, *, operator: str, replace: bool = False) -> StoredAssessment:
        """Store a validated assessment with all its answers, in one transaction."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            existing = conn.execute(
                sa.select(ASSESSMENTS.c.id).where(
                    ASSESSMENTS.c.country == a.country,
                    ASSESSMENTS.c.institution == a.institution,
                    ASSESSMENTS.c.assessed_on == a.assessed_on,
                )
            ).scalar()
            if existing is not None:
                if not replace:
                    raise Conflict(
                        f"an assessment of {a.institution} {a.country} dated "
                        f"{a.assessed_on.isoformat()} is already stored (id {existing})"
                    )
                self._delete(conn, existing)
            inserted = conn.execute(
                sa.insert(ASSESSMENTS).values(
                    country=a.country,
                    institution=a.institution,
                    assessed_on=a.assessed_on,
                    template_version=a.template_version,
                    lang=a.lang,
                    institution_name=a.institution_name,
                    respondent=a.respondent,
                    fictitious=a.fictitious,
                    source=a.source,
                    imported_at=now,
                    imported_by=operator,
                )
            ).inserted_primary_key
            assert inserted is not None  # an INSERT always has a primary key here
            new_id = inserted[0]
            conn.execute(
                sa.insert(ANSWERS),
                [
                    {
                        "assessment_id": new_id,
                        "item_id": ans.item_id,
                        "level": ans.level,
                        "evidence": ans.evidence,
                        "needs": ",".join(ans.needs),
                        "priority": ans.priority,
                    }
                    for ans in a.answers
                ],
            )
        return StoredAssessment(int(new_id), a, now, operator)

    @staticmethod
    def _delete(conn: sa.Connection, assessment_id: int) -> None:
        conn.execute(sa.delete(ANSWERS).where(ANSWERS.c.assessment_id == assessment_id))
        conn.execute(sa.delete(ASSESSMENTS).where(ASSESSMENTS.c.id == assessment_id))

    def stored(
        self, country: str | None = None, institution: str | None = None
    ) -> list[StoredAssessment]:
        """Assessments (oldest first per institution), with their answers."""
        query = sa.select(ASSESSMENTS)
        if country is not None:
            query = query.where(ASSESSMENTS.c.country == country)
        if institution is not None:
            query = query.where(ASSESSMENTS.c.institution == institution)
        query = query.order_by(
            ASSESSMENTS.c.country, ASSESSMENTS.c.institution, ASSESSMENTS.c.assessed_on
        )
        with self.engine.connect() as conn:
            heads = conn.execute(query).mappings().all()
            ids = [h["id"] for h in heads]
            answers: dict[int, list[Answer]] = {i: [] for i in ids}
            if ids:
                rows = conn.execute(
                    sa.select(ANSWERS)
                    .where(ANSWERS.c.assessment_id.in_(ids))
                    .order_by(ANSWERS.c.assessment_id, ANSWERS.c.id)
                ).mappings()
                for r in rows:
                    answers[r["assessment_id"]].append(
                        Answer(
                            r["item_id"],
                            r["level"],
                            r["evidence"],
                            tuple(n for n in r["needs"].split(",") if n),
                            r["priority"],
                        )
                    )
        return [
            StoredAssessment(
                h["id"],
                Assessment(
                    country=h["country"],
                    institution=h["institution"],
                    assessed_on=h["assessed_on"],
                    template_version=h["template_version"],
                    lang=h["lang"],
                    answers=tuple(answers[h["id"]]),
                    institution_name=h["institution_name"],
                    respondent=h["respondent"],
                    fictitious=bool(h["fictitious"]),
                    source=h["source"],
                ),
                h["imported_at"],
                h["imported_by"],
            )
            for h in heads
        ]

    def assessments(self, country: str | None = None) -> list[Assessment]:
        return [s.assessment for s in self.stored(country)]

    def get(self, assessment_id: int) -> StoredAssessment:
        for s in self.stored():
            if s.id == assessment_id:
                return s
        raise NotFound(f"no capacity assessment with id {assessment_id}")

    def delete_fictitious(self) -> int:
        """Remove every FICTITIOUS EXAMPLE assessment; returns how many."""
        with self.engine.begin() as conn:
            ids = (
                conn.execute(sa.select(ASSESSMENTS.c.id).where(ASSESSMENTS.c.fictitious.is_(True)))
                .scalars()
                .all()
            )
            for i in ids:
                self._delete(conn, i)
        return len(ids)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count(ASSESSMENTS.c.id))).scalar_one())
