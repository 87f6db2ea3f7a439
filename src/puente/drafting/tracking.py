"""Request tracking: statuses, allowed changes and deadlines (pure).

    draft -> sent -> acknowledged -> executed | refused | expired
                 \\-> executed | refused | expired

Deadlines come from the request itself: a preservation lasts its period (at most 90 days,
Budapest Art. 29(7)) from the day it is sent, and the mutual legal assistance request
that must follow it (Art. 29(2)(f)) is due before that day. Other types carry no legal
deadline of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from puente.drafting.model import RequestType
from puente.errors import Conflict, InputError

STATUSES = ("draft", "sent", "acknowledged", "executed", "refused", "expired")
TERMINAL = frozenset({"executed", "refused", "expired"})
OPEN = frozenset({"sent", "acknowledged"})
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"sent"}),
    "sent": frozenset({"acknowledged", "executed", "refused", "expired"}),
    "acknowledged": frozenset({"executed", "refused", "expired"}),
    "executed": frozenset(),
    "refused": frozenset(),
    "expired": frozenset(),
}


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    status: str
    operator: str
    note: str = ""


@dataclass(frozen=True)
class Deadlines:
    expires_at: datetime | None = None  # preservation expiry
    followup_due: datetime | None = None  # the follow-up MLA request is due

    def next(self) -> datetime | None:
        dates = [d for d in (self.followup_due, self.expires_at) if d is not None]
        return min(dates) if dates else None


@dataclass(frozen=True)
class TrackedRequest:
    id: int
    case_id: int
    type: RequestType
    requesting_country: str
    requested_country: str
    lang: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    deadlines: Deadlines
    preservation_days: int | None
    related: str = ""  # the request this one renews or follows
    draft_sha256: str = ""
    documents: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    history: tuple[StatusChange, ...] = ()


def check_status(value: str) -> str:
    if value not in STATUSES:
        raise InputError(f"unknown status {value!r}: use one of {', '.join(STATUSES)}")
    return value


def deadlines_for(kind: RequestType, sent_at: datetime, preservation_days: int | None) -> Deadlines:
    if kind is RequestType.PRESERVATION and preservation_days:
        expiry = sent_at + timedelta(days=preservation_days)
        return Deadlines(expires_at=expiry, followup_due=expiry)
    return Deadlines()


def transition(
    request: TrackedRequest, new: str, at: datetime, operator: str, note: str = ""
) -> TrackedRequest:
    """The request after a status change, or Conflict naming what is allowed."""
    check_status(new)
    allowed = TRANSITIONS[request.status]
    if new not in allowed:
        options = ", ".join(sorted(allowed)) or "none (final status)"
        raise Conflict(
            f"request {request.id} is {request.status}: cannot become {new} (allowed: {options})"
        )
    sent_at = request.sent_at
    deadlines = request.deadlines
    if new == "sent":
        sent_at = at
        deadlines = deadlines_for(request.type, at, request.preservation_days)
    return replace(
        request,
        status=new,
        sent_at=sent_at,
        deadlines=deadlines,
        history=(*request.history, StatusChange(at, new, operator, note)),
    )


def is_due(request: TrackedRequest, now: datetime, within_days: int) -> bool:
    """An open request whose next deadline falls within the window (or has passed)."""
    if request.status not in OPEN:
        return False
    nxt = request.deadlines.next()
    return nxt is not None and nxt <= now + timedelta(days=within_days)


def lapsed(request: TrackedRequest, now: datetime) -> bool:
    """Open, but its preservation period has run out: mark it expired or renew it."""
    expiry = request.deadlines.expires_at
    return request.status in OPEN and expiry is not None and expiry <= now
