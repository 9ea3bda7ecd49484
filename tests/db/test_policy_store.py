"""The policy store on SQLite and PostgreSQL: CRUD, targets, one active policy per account."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from pm.db.engine import open_database
from pm.db.repository import SqlRepository
from pm.domain.errors import BadInput, NotFound
from pm.domain.policy import PolicySpec, Target

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
SPEC = PolicySpec(
    name="core",
    description="two names",
    cash_weight_pct=Decimal("84.5"),
    targets=(Target("AAPL", Decimal("7.5")), Target("MSFT", Decimal(8))),
)


def test_create_get_update_remove(repo: SqlRepository) -> None:
    store = repo.policies
    made = store.create("acct-1", SPEC, "me@host", T0)
    assert made.spec == SPEC
    assert (made.is_active, made.created_by, made.created_at) == (False, "me@host", T0)
    assert store.get("acct-1", "core") == made
    with pytest.raises(BadInput, match="already exists"):
        store.create("acct-1", SPEC, "me@host", T0)
    other = store.create("acct-2", SPEC, "me@host", T0)  # names are unique per account
    assert other.id != made.id

    changed = PolicySpec(
        name="core", targets=(Target("GOOGL", Decimal(5)),), cash_weight_pct=Decimal(95)
    )
    later = T0 + timedelta(hours=1)
    updated = store.update("acct-1", "core", changed, later)
    assert updated.spec.targets == (Target("GOOGL", Decimal(5)),)
    assert (updated.updated_at, updated.created_at) == (later, T0)
    assert [p.name for p in store.policies("acct-1")] == ["core"]

    removed = store.remove("acct-1", "core")
    assert removed.id == made.id
    with pytest.raises(NotFound):
        store.get("acct-1", "core")
    assert store.get("acct-2", "core").spec.targets == SPEC.targets


def test_policy_id_of_a_plan_names_the_policy_or_none(repo: SqlRepository) -> None:
    from pm.services.policy import policy_id

    made = repo.policies.create("acct-1", SPEC, "me@host", T0)
    assert policy_id(repo.policies, "acct-1", "core") == made.id
    assert policy_id(repo.policies, "acct-1", None) is None
    assert policy_id(repo.policies, "acct-2", "core") is None  # another account's: none


def test_activate_keeps_one_active_and_updates_updated_at(repo: SqlRepository) -> None:
    store = repo.policies
    for name in ("a", "b"):
        store.create("acct-1", PolicySpec(name=name), "me", T0)
    store.create("acct-2", PolicySpec(name="a"), "me", T0)
    later = T0 + timedelta(minutes=5)
    assert store.activate("acct-1", "a", later).updated_at == later
    assert store.activate("acct-2", "a", later).is_active  # another account's own active one
    store.activate("acct-1", "b", later)
    assert {p.name: p.is_active for p in store.policies("acct-1")} == {"a": False, "b": True}
    assert store.active("acct-1") is not None
    assert store.deactivate("acct-1", "b", later).is_active is False
    assert store.active("acct-1") is None
    with pytest.raises(NotFound):
        store.activate("acct-1", "zzz", later)


def test_concurrent_activates_leave_exactly_one_active(db_url: str) -> None:
    names = [f"p{i}" for i in range(6)]
    with open_database(db_url) as db:
        for name in names:
            db.repository().policies.create("acct-1", PolicySpec(name=name), "me", T0)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(names))

    def activate(name: str) -> None:
        try:
            with open_database(db_url) as db:
                store = db.repository().policies
                barrier.wait()
                for _ in range(3):
                    store.activate("acct-1", name, T0)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=activate, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with open_database(db_url) as db:
        active = [p.name for p in db.repository().policies.policies("acct-1") if p.is_active]
    assert len(active) == 1
