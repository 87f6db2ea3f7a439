"""RequestStore contract (SQLite and PostgreSQL): requests, history, custody, deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from puente.cases.custody import verify
from puente.drafting.model import RequestType
from puente.errors import Conflict, NotFound
from puente.store.cases import CaseStore
from puente.store.requests import RequestStore

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _create(store: RequestStore, case_id: int, kind: RequestType = RequestType.PRESERVATION):
    return store.create(
        case_id=case_id,
        kind=kind,
        requesting_country="AR",
        requested_country="BR",
        lang="pt",
        created_at=T0,
        preservation_days=90 if kind is RequestType.PRESERVATION else None,
        related="",
        facts={"summary": "x"},
        draft_text="# Pedido\n",
        draft_sha256="0" * 64,
        documents=["a.docx", "a.pdf"],
        warnings=["w"],
        operator="op",
    )


@pytest.fixture
def case_id(engine: Engine) -> int:
    return CaseStore(engine).create_case("Caso", "AR", "UFE", "AR-1", "op", at=T0).id


def test_create_get_list(engine: Engine, case_id: int) -> None:
    store = RequestStore(engine)
    created = _create(store, case_id)
    assert created.status == "draft" and created.documents == ("a.docx", "a.pdf")
    assert store.get(created.id) == created
    assert [r.id for r in store.list_requests(case_id)] == [created.id]
    assert store.draft_text(created.id) == "# Pedido\n"
    custody = CaseStore(engine).custody(case_id)
    assert custody[-1].action == "request_drafted"
    assert custody[-1].details["request_id"] == created.id
    assert verify(custody) == []


def test_status_changes_deadlines_and_custody(engine: Engine, case_id: int) -> None:
    store = RequestStore(engine)
    created = _create(store, case_id)
    sent = store.set_status(created.id, "sent", "op", T0 + timedelta(days=1))
    assert sent.deadlines.expires_at == T0 + timedelta(days=91)
    assert [h.status for h in sent.history] == ["draft", "sent"]
    assert store.due(T0, 30) == []
    assert [r.id for r in store.due(T0 + timedelta(days=70), 30)] == [created.id]
    with pytest.raises(Conflict):
        store.set_status(created.id, "draft", "op", T0)
    actions = [e.action for e in CaseStore(engine).custody(case_id)]
    assert actions[-2:] == ["request_drafted", "request_status"]
    assert verify(CaseStore(engine).custody(case_id)) == []


def test_refused_change_leaves_nothing(engine: Engine, case_id: int) -> None:
    store = RequestStore(engine)
    created = _create(store, case_id)
    before = len(CaseStore(engine).custody(case_id))
    with pytest.raises(Conflict):
        store.set_status(created.id, "executed", "op", T0)
    assert store.get(created.id).status == "draft"
    assert len(CaseStore(engine).custody(case_id)) == before


def test_unknown_case_and_request(engine: Engine) -> None:
    store = RequestStore(engine)
    with pytest.raises(NotFound, match="case 999"):
        _create(store, 999)
    with pytest.raises(NotFound, match="request 5"):
        store.get(5)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from requests")).scalar() == 0
