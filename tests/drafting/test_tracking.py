"""Statuses, allowed changes and deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from puente.drafting.model import RequestType
from puente.drafting.tracking import (
    Deadlines,
    TrackedRequest,
    is_due,
    lapsed,
    transition,
)
from puente.errors import Conflict, InputError

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _request(kind: RequestType = RequestType.PRESERVATION, status: str = "draft") -> TrackedRequest:
    return TrackedRequest(
        id=1,
        case_id=1,
        type=kind,
        requesting_country="AR",
        requested_country="BR",
        lang="pt",
        status=status,
        created_at=T0,
        sent_at=None,
        deadlines=Deadlines(),
        preservation_days=90 if kind is RequestType.PRESERVATION else None,
    )


def test_sending_a_preservation_sets_expiry_and_followup() -> None:
    sent = transition(_request(), "sent", T0, "op")
    assert sent.sent_at == T0
    assert sent.deadlines.expires_at == T0 + timedelta(days=90)
    assert sent.deadlines.followup_due == T0 + timedelta(days=90)
    assert [h.status for h in sent.history] == ["sent"]


def test_other_types_have_no_legal_deadline() -> None:
    sent = transition(_request(RequestType.MLA_GENERIC), "sent", T0, "op")
    assert sent.deadlines.next() is None


def test_lifecycle_and_refused_changes() -> None:
    r = transition(_request(), "sent", T0, "op")
    r = transition(r, "acknowledged", T0, "op")
    r = transition(r, "executed", T0, "op", "data received")
    with pytest.raises(Conflict, match="final status"):
        transition(r, "sent", T0, "op")
    with pytest.raises(Conflict, match="allowed: sent"):
        transition(_request(), "executed", T0, "op")
    with pytest.raises(InputError, match="unknown status"):
        transition(_request(), "lost", T0, "op")


def test_due_window_and_lapse() -> None:
    r = transition(_request(), "sent", T0, "op")
    assert not is_due(r, T0, 30)
    assert is_due(r, T0 + timedelta(days=61), 30)
    assert not lapsed(r, T0 + timedelta(days=89))
    assert lapsed(r, T0 + timedelta(days=90))
    assert not is_due(_request(), T0 + timedelta(days=200), 30)  # drafts have no deadline
