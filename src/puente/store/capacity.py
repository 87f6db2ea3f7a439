"""Capacity assessments: tables and the CapacityStore.

One row per assessment (country, institution, date: unique) and one row per answer. An
assessment is written in one transaction with all its answers, or not at all; importing the
same (country, institution, date) again is a Conflict unless ``replace=True``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy import Boolean, Date, Engine, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puente.capacity.model import Answer, Assessment
from puente.errors import Conflict, NotFound
from puente.store.base import Base

TZ = sa.DateTime(timezone=True)


class AssessmentRow(Base):
    __tablename__ = "capacity_assessments"
    __table_args__ = (
        UniqueConstraint(
            "country", "institution", "assessed_on", name="uq_capacity_assessments_key"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    institution: Mapped[str] = mapped_column(String(20))
    assessed_on: Mapped[date] = mapped_column(Date)
    template_version: Mapped[str] = mapped_column(String(20))
    lang: Mapped[str] = mapped_column(String(2))
    institution_name: Mapped[str] = mapped_column(Text)
    respondent: Mapped[str] = mapped_column(Text)
    fictitious: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(TZ)
    imported_by: Mapped[str] = mapped_column(String(200))


class AnswerRow(Base):
    __tablename__ = "capacity_answers"
    __table_args__ = (
        UniqueConstraint("assessment_id", "item_id", name="uq_capacity_answers_item"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("capacity_assessments.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(String(80))
    level: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text)
    needs: Mapped[str] = mapped_column(String(200))  # comma-separated need codes, in order
    priority: Mapped[str | None] = mapped_column(String(10))


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
                sa.select(AssessmentRow.id).where(
                    AssessmentRow.country == a.country,
                    AssessmentRow.institution == a.institution,
                    AssessmentRow.assessed_on == a.assessed_on,
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
                sa.insert(AssessmentRow).values(
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
                sa.insert(AnswerRow),
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
        conn.execute(sa.delete(AnswerRow).where(AnswerRow.assessment_id == assessment_id))
        conn.execute(sa.delete(AssessmentRow).where(AssessmentRow.id == assessment_id))

    def stored(
        self, country: str | None = None, institution: str | None = None
    ) -> list[StoredAssessment]:
        """Assessments (oldest first per institution), with their answers."""
        query = sa.select(AssessmentRow)
        if country is not None:
            query = query.where(AssessmentRow.country == country)
        if institution is not None:
            query = query.where(AssessmentRow.institution == institution)
        query = query.order_by(
            AssessmentRow.country, AssessmentRow.institution, AssessmentRow.assessed_on
        )
        with self.engine.connect() as conn:
            heads = conn.execute(query).mappings().all()
            ids = [h["id"] for h in heads]
            answers: dict[int, list[Answer]] = {i: [] for i in ids}
            if ids:
                rows = conn.execute(
                    sa.select(AnswerRow)
                    .where(AnswerRow.assessment_id.in_(ids))
                    .order_by(AnswerRow.assessment_id, AnswerRow.id)
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
                conn.execute(sa.select(AssessmentRow.id).where(AssessmentRow.fictitious.is_(True)))
                .scalars()
                .all()
            )
            for i in ids:
                self._delete(conn, i)
        return len(ids)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count(AssessmentRow.id))).scalar_one())
