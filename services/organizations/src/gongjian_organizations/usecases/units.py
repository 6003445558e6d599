"""Units (单位): register, update, close."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from gongjian_kit import policy
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ErrorCode, rate_limited
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime
from gongjian_organizations.domain.credit_code import credit_code_problem
from gongjian_organizations.domain.units import HEADCOUNT_FIELDS, UnitKind, headcount_problems
from gongjian_organizations.store import areas as area_store
from gongjian_organizations.store import audit as audit_store
from gongjian_organizations.store import units as unit_store
from gongjian_organizations.usecases import (
    EVENT,
    Outcome,
    audit_trail,
    lookup_limiter,
    refresh_coverage,
    require_admin_of,
)


async def register_unit(
    runtime: Runtime, caller: Caller, values: dict[str, Any], request_id: str | None = None
) -> Outcome:
    """Register a unit with a valid, unique credit code in the caller's area.

    A credit code already registered is a CONFLICT naming the unit only when the caller may see
    it; outside their scope it is a plain CONFLICT, audited, and it spends one of the caller's
    look-ups: with none left, a registration with a credit code is refused as RATE_LIMITED.
    """
    outcome = Outcome()
    name = outcome.check_name("name", values["name"], "单位名称", "unit name", 200)
    credit = (values.get("credit_code") or "").strip().upper() or None
    if credit is not None and (problem := credit_code_problem(credit)):
        outcome.add("creditCode", ErrorCode.BAD_USER_INPUT, *problem)
    counts = {name_: values[name_] for name_ in HEADCOUNT_FIELDS}
    for field_, zh, en in headcount_problems(counts):
        outcome.add(field_, ErrorCode.BAD_USER_INPUT, zh, en)
    area_code = values["area_code"]
    outcome.check_area_code("areaCode", area_code)
    if outcome.errors or not require_admin_of(caller, area_code, "areaCode", outcome):
        return outcome
    async with runtime.unit_of_work() as uow:
        if not await area_store.area_exists(uow.conn, area_code):
            outcome.add("areaCode", ErrorCode.NOT_FOUND, "区划不存在", "The area does not exist")
            return outcome
        limiter = lookup_limiter(runtime)
        if credit is not None and limiter.exhausted(caller.subject):
            outcome.errors.append(rate_limited("creditCode"))
            entry = audit_store.Entry("creditCode", audit_store.Reason.RATE_LIMITED)
            await audit_store.record(runtime.db, audit_trail(caller, request_id, runtime), [entry])
            return outcome
        if credit is not None and (
            existing := await unit_store.unit_by_credit_code(uow.conn, credit)
        ):
            problem, entry = credit_code_conflict(caller, existing)
            outcome.add("creditCode", ErrorCode.CONFLICT, *problem)
            if entry.detail == OUTSIDE_SCOPE:
                limiter.take(caller.subject)
            await audit_store.record(runtime.db, audit_trail(caller, request_id, runtime), [entry])
            return outcome
        row = await unit_store.insert_unit(
            uow.conn,
            {
                "name": name,
                "kind": UnitKind(values["kind"]).value,
                "credit_code": credit,
                "area_code": area_code,
                "employees": counts["employees"],
                "party_members": counts["partyMembers"],
                "league_members": counts["leagueMembers"],
                "union_members": counts["unionMembers"],
                "women": counts["women"],
                "youth": counts["youth"],
            },
        )
        await refresh_coverage(uow, [row["id"]])
        await uow.publish(
            f"{EVENT}unit.registered.v1",
            str(row["id"]),
            {
                "unitId": str(row["id"]),
                "areaCode": area_code,
                "kind": row["kind"],
                "headcounts": counts,
            },
        )
    outcome.row = row
    return outcome


OUTSIDE_SCOPE = "outside the caller's scope"


def credit_code_conflict(
    caller: Caller, existing: Any
) -> tuple[tuple[str, str], audit_store.Entry]:
    """The message (Chinese, English) for a credit code already registered, and its audit
    entry: the unit is named only to a caller whose records reach it."""
    reason = audit_store.Reason.DUPLICATE_CREDIT_CODE
    reach = policy.reach(caller, Resource.RECORDS)
    if reach.area and caller.can_see_area(existing["area_code"]):
        return (
            f"该统一社会信用代码已登记：{existing['name']}（{existing['id']}）",
            f"This credit code is already registered to {existing['id']}",
        ), audit_store.Entry("creditCode", reason, unit_id=existing["id"], detail="in scope")
    return (
        "该统一社会信用代码已登记",
        "This credit code is already registered",
    ), audit_store.Entry("creditCode", reason, unit_id=existing["id"], detail=OUTSIDE_SCOPE)


def _unit_event(row: Any) -> dict[str, Any]:
    return {
        "unitId": str(row["id"]),
        "areaCode": row["area_code"],
        "kind": row["kind"],
        "headcounts": {
            "employees": row["employees"],
            "partyMembers": row["party_members"],
            "leagueMembers": row["league_members"],
            "unionMembers": row["union_members"],
            "women": row["women"],
            "youth": row["youth"],
        },
    }


async def update_unit(
    runtime: Runtime, caller: Caller, unit_id: uuid.UUID, changes: dict[str, Any]
) -> Outcome:
    """Change a unit's name, kind or headcounts (a unit does not move between areas)."""
    outcome = Outcome()
    policy.require(caller, Resource.RECORDS, Action.WRITE)
    async with runtime.unit_of_work() as uow:
        current = await unit_store.lock_unit(uow.conn, unit_id, caller.area_like)
        if current is None:
            outcome.not_found("id", "单位", "unit")
            return outcome
        if current["closed_on"] is not None:
            outcome.add("id", ErrorCode.CONFLICT, "单位已注销", "The unit is closed")
            return outcome
        merged = {
            "name": (changes.get("name") or current["name"]).strip(),
            "kind": UnitKind(changes.get("kind") or current["kind"]).value,
            **{
                column: current[column] if changes.get(name) is None else changes[name]
                for name, column in COLUMN_OF.items()
            },
        }
        outcome.check_name("name", merged["name"], "单位名称", "unit name", 200)
        counts = {name: merged[column] for name, column in COLUMN_OF.items()}
        for field_, zh, en in headcount_problems(counts):
            outcome.add(field_, ErrorCode.BAD_USER_INPUT, zh, en)
        if outcome.errors:
            return outcome
        row = await unit_store.update_unit(uow.conn, unit_id, merged)
        await refresh_coverage(uow, [unit_id])
        await uow.publish(f"{EVENT}unit.updated.v1", str(unit_id), _unit_event(row))
    outcome.row = row
    return outcome


async def close_unit(
    runtime: Runtime, caller: Caller, unit_id: uuid.UUID, closed_on: date, reason: str
) -> Outcome:
    """Close (注销) a unit: it no longer counts for coverage."""
    outcome = Outcome()
    policy.require(caller, Resource.RECORDS, Action.WRITE)
    reason = reason.strip()
    if not reason or len(reason) > 500:
        outcome.add(
            "reason",
            ErrorCode.BAD_USER_INPUT,
            "请填写注销原因（不超过500字）",
            "Give a reason (at most 500 characters)",
        )
    outcome.past_or_today("closedOn", closed_on, "注销日期", "closing date")
    if outcome.errors:
        return outcome
    async with runtime.unit_of_work() as uow:
        current = await unit_store.lock_unit(uow.conn, unit_id, caller.area_like)
        if current is None:
            outcome.not_found("id", "单位", "unit")
            return outcome
        if current["closed_on"] is not None:
            outcome.add("id", ErrorCode.CONFLICT, "单位已注销", "The unit is already closed")
            return outcome
        row = await unit_store.close_unit(uow.conn, unit_id, closed_on, reason)
        await refresh_coverage(uow, [unit_id])
        await uow.publish(
            f"{EVENT}unit.closed.v1",
            str(unit_id),
            {
                "unitId": str(unit_id),
                "areaCode": row["area_code"],
                "closedOn": closed_on.isoformat(),
            },
        )
    outcome.row = row
    return outcome


COLUMN_OF = {
    "employees": "employees",
    "partyMembers": "party_members",
    "leagueMembers": "league_members",
    "unionMembers": "union_members",
    "women": "women",
    "youth": "youth",
}
