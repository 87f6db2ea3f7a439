"""Cooperation requests and their status history; every change also goes to the custody log.

A request row, its history row and the custody entry are written in one transaction, so a
failure leaves nothing behind half-done.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine, ForeignKey, Integer, String, Text

from puente.cases.model import check_text, utc
from puente.drafting.model import RequestType
from puente.drafting.tracking import (
    Deadlines,
    StatusChange,
    TrackedRequest,
    is_due,
    transition,
)
from puente.errors import Conflict, NotFound
from puente.store.base import METADATA
from puente.store.cases import CaseStore

TZ = sa.DateTime(timezone=True)


REQUESTS = sa.Table(
    "requests",
    METADATA,
    sa.Column("id", Integer, primary_key=True),
    sa.Column("case_id", Integer, ForeignKey("cases.id"), index=True, nullable=False),
    sa.Column("type", String(32), nullable=False),
    sa.Column("requesting_country", String(2), nullable=False),
    sa.Column("requested_country", String(2), nullable=False),
    sa.Column("lang", String(2), nullable=False),
    sa.Column("status", String(16), nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("sent_at", TZ),
    sa.Column("expires_at", TZ),
    sa.Column("followup_due", TZ),
    sa.Column("preservation_days", Integer),
    sa.Column("related", String(200), nullable=False),
    sa.Column("facts", Text, nullable=False),
    sa.Column("draft_text", Text, nullable=False),
    sa.Column("draft_sha256", String(64), nullable=False),
    sa.Column("documents", Text, nullable=False),
    sa.Column("warnings", Text, nullable=False),
)


HISTORY = sa.Table(
    "request_status_history",
    METADATA,
    sa.Column("id", Integer, primary_key=True),
    sa.Column("request_id", Integer, ForeignKey("requests.id"), index=True, nullable=False),
    sa.Column("at", TZ, nullable=False),
    sa.Column("status", String(16), nullable=False),
    sa.Column("operator", String(200), nullable=False),
    sa.Column("note", Text, nullable=False),
)


def _opt(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None


def _request(row: Any, history: list[Any]) -> TrackedRequest:
    return TrackedRequest(
        id=int(row.id),
        case_id=int(row.case_id),
        type=RequestType(row.type),
        requesting_country=row.requesting_country,
        requested_country=row.requested_country,
        lang=row.lang,
        status=row.status,
        created_at=utc(row.created_at),
        sent_at=_opt(row.sent_at),
        deadlines=Deadlines(expires_at=_opt(row.expires_at), followup_due=_opt(row.followup_due)),
        preservation_days=row.preservation_days,
        related=row.related,
        draft_sha256=row.draft_sha256,
        documents=tuple(json.loads(row.documents)),
        warnings=tuple(json.loads(row.warnings)),
        history=tuple(StatusChange(utc(h.at), h.status, h.operator, h.note) for h in history),
    )


class RequestStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.cases = CaseStore(engine)

    def create(
        self,
        *,
        case_id: int,
        kind: RequestType,
        requesting_country: str,
        requested_country: str,
        lang: str,
        created_at: datetime,
        preservation_days: int | None,
        related: str,
        facts: dict[str, Any],
        draft_text: str,
        draft_sha256: str,
        documents: list[str],
        warnings: list[str],
        operator: str,
    ) -> TrackedRequest:
        """Store a new draft, its first history row and the custody entry, all or nothing."""
        self.cases.get_case(case_id)
        operator = check_text("operator", operator, max_length=200)
        at = utc(created_at)
        with self.engine.begin() as conn:
            request_id = conn.execute(
                sa.insert(REQUESTS).values(
                    case_id=case_id,
                    type=kind.value,
                    requesting_country=requesting_country,
                    requested_country=requested_country,
                    lang=lang,
                    status="draft",
                    created_at=at,
                    preservation_days=preservation_days,
                    related=related,
                    facts=json.dumps(facts, sort_keys=True, ensure_ascii=False, default=str),
                    draft_text=draft_text,
                    draft_sha256=draft_sha256,
                    documents=json.dumps(documents, ensure_ascii=False),
                    warnings=json.dumps(warnings, ensure_ascii=False),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            conn.execute(
                sa.insert(HISTORY).values(
                    request_id=request_id, at=at, status="draft", operator=operator, note=""
                )
            )
            details = {
                "request_id": int(request_id),
                "type": kind.value,
                "from": requesting_country,
                "to": requested_country,
                "lang": lang,
                "status": "draft",
                "draft_sha256": draft_sha256,
                "documents": documents,
            }
            # Same transaction as the request: the custody log and the table never disagree.
            self.cases.append_custody_in(conn, case_id, "request_drafted", details, operator, at)
        return self.get(int(request_id))

    def get(self, request_id: int) -> TrackedRequest:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(REQUESTS).where(REQUESTS.c.id == request_id)).first()
            if row is None:
                raise NotFound(f"request {request_id} does not exist (see 'puente request list')")
            history = conn.execute(
                sa.select(HISTORY).where(HISTORY.c.request_id == request_id).order_by(HISTORY.c.id)
            ).all()
        return _request(row, list(history))

    def draft_text(self, request_id: int) -> str:
        with self.engine.connect() as conn:
            text = conn.execute(
                sa.select(REQUESTS.c.draft_text).where(REQUESTS.c.id == request_id)
            ).scalar()
        if text is None:
            raise NotFound(f"request {request_id} does not exist")
        return str(text)

    def list_requests(self, case_id: int | None = None) -> list[TrackedRequest]:
        query = sa.select(REQUESTS).order_by(REQUESTS.c.id)
        if case_id is not None:
            self.cases.get_case(case_id)
            query = query.where(REQUESTS.c.case_id == case_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            ids = [r.id for r in rows]
            history: dict[int, list[Any]] = {i: [] for i in ids}
            if ids:
                for h in conn.execute(
                    sa.select(HISTORY).where(HISTORY.c.request_id.in_(ids)).order_by(HISTORY.c.id)
                ):
                    history[h.request_id].append(h)
        return [_request(r, history[r.id]) for r in rows]

    def due(self, now: datetime, within_days: int) -> list[TrackedRequest]:
        return [r for r in self.list_requests() if is_due(r, now, within_days)]

    def set_status(
        self, request_id: int, new: str, operator: str, at: datetime, note: str = ""
    ) -> TrackedRequest:
        """Change the status (allowed changes only); history and custody in one transaction."""
        operator = check_text("operator", operator, max_length=200)
        current = self.get(request_id)
        changed = transition(current, new, utc(at), operator, note)
        with self.engine.begin() as conn:
            # Guard on the old status: a concurrent change makes this update match nothing.
            result = conn.execute(
                sa.update(REQUESTS)
                .where(REQUESTS.c.id == request_id, REQUESTS.c.status == current.status)
                .values(
                    status=changed.status,
                    sent_at=changed.sent_at,
                    expires_at=changed.deadlines.expires_at,
                    followup_due=changed.deadlines.followup_due,
                )
            )
            if result.rowcount != 1:
                raise Conflict(f"request {request_id} changed meanwhile; try again")
            conn.execute(
                sa.insert(HISTORY).values(
                    request_id=request_id, at=utc(at), status=new, operator=operator, note=note
                )
            )
            details: dict[str, Any] = {
                "request_id": request_id,
                "from_status": current.status,
                "status": new,
            }
            if note:
                details["note"] = note
            if changed.deadlines.expires_at:
                details["expires_at"] = changed.deadlines.expires_at.isoformat()
            self.cases.append_custody_in(
                conn, current.case_id, "request_status", details, operator, utc(at)
            )
        return self.get(request_id)
