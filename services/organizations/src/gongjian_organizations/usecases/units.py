"""Units (单位): register, update, close."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from gongjian_kit.auth import ADMIN_ROLES, Caller
from gongjian_kit.errors import ErrorCode
from gongjian_kit.runtime import Runtime
from gongjian_organizations.domain.credit_code import credit_code_problem
from gongjian_organizations.domain.units import HEADCOUNT_FIELDS, UnitKind, headcount_problems
from gongjian_organizations.store import areas as area_store
from gongjian_organizations.store import units as unit_store
from gongjian_organizations.usecases import EVENT, Outcome, refresh_coverage, require_admin_of


async def register_unit(runtime: Runtime, caller: Caller, values: dict[str, Any]) -> Outcome:
    """Register a unit with a valid, unique credit code in the caller's area."""
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
        if credit is not None and (
            existing := await unit_store.unit_by_credit_code(uow.conn, credit)
        ):
            outcome.add(
                "creditCode",
                ErrorCode.CONFLICT,
                f"该统一社会信用代码已登记：{existing['name']}（{existing['id']}）",
                f"This credit code is already registered to {existing['id']}",
            )
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
    caller.require_role(*ADMIN_ROLES)
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
    caller.require_role(*ADMIN_ROLES)
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
