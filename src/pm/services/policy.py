"""`pm policy`: create, list, show, edit, activate, deactivate and remove allocation policies.

Input is validated in full before anything is written (`pm.domain.policy.build_spec`: every
problem at once, `PolicyInvalid`, exit 2).
"""

from __future__ import annotations

from dataclasses import replace

from pm.domain.errors import BadInput, NotFound
from pm.domain.models import Actor
from pm.domain.policy import Policy, PolicyInput, PolicySpec, build_spec
from pm.ports import Clock, PolicyStore


def policies(store: PolicyStore, account_id: str) -> list[Policy]:
    return store.policies(account_id)


def policy_id(store: PolicyStore, account_id: str, name: str | None) -> int | None:
    """The id of the policy named `name` (a plan read back names its policy), or None when
    the plan names none or the policy is gone (the run is then stored without one)."""
    if name is None:
        return None
    try:
        return store.get(account_id, name).id
    except NotFound:
        return None


def show(store: PolicyStore, account_id: str, name: str) -> Policy:
    return store.get(account_id, name)


def create(
    store: PolicyStore,
    clock: Clock,
    account_id: str,
    name: str,
    given: PolicyInput,
    *,
    actor: Actor,
) -> Policy:
    spec = build_spec(given, PolicySpec(name=name.strip()))  # the name is checked with the rest
    return store.create(account_id, spec, str(actor), clock.now())


def edit(
    store: PolicyStore, clock: Clock, account_id: str, name: str, given: PolicyInput
) -> Policy:
    current = store.get(account_id, name)
    if given.empty:
        raise BadInput("nothing to change: give a limit, `frequency`, targets or `cash_pct`")
    base = current.spec
    if given.targets is not None and given.cash_pct is None:
        base = replace(base, cash_weight_pct=None)  # new targets come with their own cash
    spec = build_spec(given, base)
    return store.update(account_id, name, spec, clock.now())


def activate(store: PolicyStore, clock: Clock, account_id: str, name: str) -> Policy:
    return store.activate(account_id, name, clock.now())


def deactivate(store: PolicyStore, clock: Clock, account_id: str, name: str) -> Policy:
    return store.deactivate(account_id, name, clock.now())


def remove(store: PolicyStore, account_id: str, name: str) -> Policy:
    return store.remove(account_id, name)
