"""Use cases of the organizations service: validate, write rows and events in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg

from gongjian_kit.areas import AREA_CODE_LENGTH, area_level, is_area_code, parent_area
from gongjian_kit.auth import ADMIN_ROLES, Caller, Role
from gongjian_kit.db import Connection
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.runtime import Runtime
from gongjian_organizations.domain.credit_code import credit_code_problem
from gongjian_organizations.domain.organizations import (
    Establishment,
    OrganizationKind,
    establishment_problems,
)
from gongjian_organizations.domain.units import HEADCOUNT_FIELDS, UnitKind, headcount_problems
from gongjian_organizations.store import areas as area_store
from gongjian_organizations.store import organizations as org_store
from gongjian_organizations.store import units as unit_store

EVENT = "gongjian.organizations."


@dataclass
class Outcome:
    """A use case's result: the row it wrote, or the typed problems that stopped it."""

    row: asyncpg.Record | None = None
    errors: list[ApiError] = field(default_factory=list)

    def add(self, field_: str | None, code: ErrorCode, zh: str, en: str) -> None:
        self.errors.append(ApiError(code, zh, en, field_))


def _require_admin_of(caller: Caller, area_code: str, field_: str, outcome: Outcome) -> bool:
    caller.require_role(*ADMIN_ROLES)
    if not caller.can_see_area(area_code):
        outcome.add(
            field_,
            ErrorCode.FORBIDDEN,
            "该区划不在您的管理范围内",
            "That area is outside your scope",
        )
        return False
    return True


async def create_area(runtime: Runtime, caller: Caller, code: str, name: str) -> Outcome:
    """Create an area; its level and parent follow from the code."""
    outcome = Outcome()
    code, name = code.strip(), name.strip()
    if not is_area_code(code):
        outcome.add(
            "code",
            ErrorCode.BAD_USER_INPUT,
            f"区划代码应为{AREA_CODE_LENGTH}位数字",
            "The area code must be 12 digits",
        )
    if not name or len(name) > 100:
        outcome.add(
            "name",
            ErrorCode.BAD_USER_INPUT,
            "名称不能为空且不超过100字",
            "The name must be 1 to 100 characters",
        )
    if outcome.errors:
        return outcome
    parent = parent_area(code)
    # A new district is a district admin's act; anything else is created inside one's own area.
    caller.require_role(Role.DISTRICT_ADMIN, Role.STREET_ADMIN)
    if not caller.can_see_area(parent or code):
        outcome.add(
            "code",
            ErrorCode.FORBIDDEN,
            "该区划不在您的管理范围内",
            "That area is outside your scope",
        )
        return outcome
    async with runtime.unit_of_work() as uow:
        if parent is not None and not await area_store.area_exists(uow.conn, parent):
            outcome.add(
                "code",
                ErrorCode.NOT_FOUND,
                f"上级区划 {parent} 不存在，请先创建",
                f"The parent area {parent} does not exist; create it first",
            )
            return outcome
        row = await area_store.insert_area(uow.conn, code, name, area_level(code).value, parent)
        if row is None:
            outcome.add(
                "code",
                ErrorCode.CONFLICT,
                f"区划代码 {code} 已存在",
                f"The area code {code} already exists",
            )
            return outcome
        await uow.publish(
            f"{EVENT}area.created.v1",
            code,
            {"code": code, "level": row["level"], "parentCode": parent},
        )
    outcome.row = row
    return outcome


async def register_unit(runtime: Runtime, caller: Caller, values: dict[str, Any]) -> Outcome:
    """Register a unit with a valid, unique credit code in the caller's area."""
    outcome = Outcome()
    name = values["name"].strip()
    if not name or len(name) > 200:
        outcome.add(
            "name",
            ErrorCode.BAD_USER_INPUT,
            "单位名称不能为空且不超过200字",
            "The unit name must be 1 to 200 characters",
        )
    credit = (values.get("credit_code") or "").strip().upper() or None
    if credit is not None and (problem := credit_code_problem(credit)):
        outcome.add("creditCode", ErrorCode.BAD_USER_INPUT, *problem)
    counts = {name_: values[name_] for name_ in HEADCOUNT_FIELDS}
    for field_, zh, en in headcount_problems(counts):
        outcome.add(field_, ErrorCode.BAD_USER_INPUT, zh, en)
    area_code = values["area_code"]
    if not is_area_code(area_code):
        outcome.add(
            "areaCode",
            ErrorCode.BAD_USER_INPUT,
            "区划代码应为12位数字",
            "The area code must be 12 digits",
        )
    if outcome.errors or not _require_admin_of(caller, area_code, "areaCode", outcome):
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


async def establish_organization(
    runtime: Runtime,
    caller: Caller,
    *,
    name: str,
    kind: OrganizationKind,
    establishment: Establishment,
    unit_ids: list[uuid.UUID],
    host_id: uuid.UUID | None,
    parent_id: uuid.UUID | None,
    area_code: str,
    founded_on: date | None,
) -> Outcome:
    """Establish an organisation standalone, affiliated (挂靠) or jointly (联合) over its units."""
    outcome = Outcome()
    name = name.strip()
    if not name or len(name) > 200:
        outcome.add(
            "name",
            ErrorCode.BAD_USER_INPUT,
            "组织名称不能为空且不超过200字",
            "The organisation name must be 1 to 200 characters",
        )
    unit_ids = list(dict.fromkeys(unit_ids))
    for field_, zh, en in establishment_problems(establishment, len(unit_ids), host_id is not None):
        outcome.add(field_, ErrorCode.BAD_USER_INPUT, zh, en)
    if founded_on is not None and founded_on > date.today():
        outcome.add(
            "foundedOn",
            ErrorCode.BAD_USER_INPUT,
            "成立日期不能晚于今天",
            "The founding date cannot be in the future",
        )
    if not is_area_code(area_code):
        outcome.add(
            "areaCode",
            ErrorCode.BAD_USER_INPUT,
            "区划代码应为12位数字",
            "The area code must be 12 digits",
        )
    if outcome.errors or not _require_admin_of(caller, area_code, "areaCode", outcome):
        return outcome
    scope = caller.area_like
    async with runtime.unit_of_work() as uow:
        if not await area_store.area_exists(uow.conn, area_code):
            outcome.add("areaCode", ErrorCode.NOT_FOUND, "区划不存在", "The area does not exist")
            return outcome
        found = {r["id"] for r in await unit_store.units_by_id(uow.conn, unit_ids, scope)}
        for i, unit_id in enumerate(unit_ids):
            if unit_id not in found:
                outcome.add(
                    f"unitIds[{i}]",
                    ErrorCode.NOT_FOUND,
                    "单位不存在或不在您的范围内",
                    "The unit does not exist or is outside your scope",
                )
        await _check_related_organizations(
            uow.conn, scope, kind, {"parentId": parent_id, "hostOrganizationId": host_id}, outcome
        )
        if outcome.errors:
            return outcome
        row = await org_store.insert_organization(
            uow.conn,
            name=name,
            kind=kind.value,
            family=kind.family.value,
            establishment=establishment.value,
            area_code=area_code,
            parent_id=parent_id,
            host_organization_id=host_id,
            founded_on=founded_on,
            unit_ids=unit_ids,
        )
        await uow.publish(
            f"{EVENT}organization.established.v1",
            str(row["id"]),
            {
                "organizationId": str(row["id"]),
                "kind": kind.value,
                "family": kind.family.value,
                "establishment": establishment.value,
                "unitIds": [str(u) for u in unit_ids],
                "areaCode": area_code,
                "parentId": str(parent_id) if parent_id else None,
                "hostOrganizationId": str(host_id) if host_id else None,
                "foundedOn": founded_on.isoformat() if founded_on else None,
            },
        )
    outcome.row = row
    return outcome


async def _check_related_organizations(
    conn: Connection,
    scope: str,
    kind: OrganizationKind,
    related: dict[str, uuid.UUID | None],
    outcome: Outcome,
) -> None:
    """The parent and host must exist in scope and be active; a parent is of the same family."""
    ids = [i for i in related.values() if i is not None]
    rows = await org_store.organizations_by_id(conn, ids, scope)
    found = {r["id"]: r for r in rows if r is not None}
    for field_, org_id in related.items():
        if org_id is None:
            continue
        other = found.get(org_id)
        if other is None:
            outcome.add(
                field_,
                ErrorCode.NOT_FOUND,
                "组织不存在或不在您的范围内",
                "The organisation does not exist or is outside your scope",
            )
        elif other["dissolved_on"] is not None:
            outcome.add(
                field_, ErrorCode.CONFLICT, "该组织已撤销", "That organisation has been dissolved"
            )
        elif field_ == "parentId" and other["family"] != kind.family.value:
            outcome.add(
                field_,
                ErrorCode.BAD_USER_INPUT,
                "上级组织须属于同一系统（党、工、团、妇）",
                "The parent must be of the same family (party, union, league, women)",
            )


async def dissolve_organization(
    runtime: Runtime, caller: Caller, org_id: uuid.UUID, dissolved_on: date
) -> Outcome:
    """Dissolve (撤销) an organisation; refused while it has active child organisations."""
    outcome = Outcome()
    caller.require_role(*ADMIN_ROLES)
    if dissolved_on > date.today():
        outcome.add(
            "dissolvedOn",
            ErrorCode.BAD_USER_INPUT,
            "撤销日期不能晚于今天",
            "The dissolution date cannot be in the future",
        )
        return outcome
    async with runtime.unit_of_work() as uow:
        current = await org_store.lock_organization(uow.conn, org_id, caller.area_like)
        if current is None:
            outcome.add(
                "id",
                ErrorCode.NOT_FOUND,
                "组织不存在或不在您的范围内",
                "The organisation does not exist or is outside your scope",
            )
            return outcome
        if current["dissolved_on"] is not None:
            outcome.add("id", ErrorCode.CONFLICT, "该组织已撤销", "Already dissolved")
            return outcome
        if current["founded_on"] is not None and dissolved_on < current["founded_on"]:
            outcome.add(
                "dissolvedOn",
                ErrorCode.BAD_USER_INPUT,
                "撤销日期不能早于成立日期",
                "The dissolution date cannot precede the founding date",
            )
            return outcome
        if await org_store.active_children_count(uow.conn, org_id):
            outcome.add(
                "id",
                ErrorCode.CONFLICT,
                "该组织下仍有未撤销的下级组织",
                "The organisation still has active child organisations",
            )
            return outcome
        row = await org_store.mark_dissolved(uow.conn, org_id, dissolved_on)
        await uow.publish(
            f"{EVENT}organization.dissolved.v1",
            str(org_id),
            {
                "organizationId": str(org_id),
                "areaCode": row["area_code"],
                "family": row["family"],
                "dissolvedOn": dissolved_on.isoformat(),
            },
        )
    outcome.row = row
    return outcome
