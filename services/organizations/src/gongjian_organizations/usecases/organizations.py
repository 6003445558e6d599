"""Organisations (组织): establish, rename, dissolve, re-establish."""

from __future__ import annotations

import uuid
from datetime import date

from gongjian_kit import clock, policy
from gongjian_kit.auth import Caller
from gongjian_kit.db import Connection
from gongjian_kit.errors import ErrorCode
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime
from gongjian_organizations.domain.organizations import (
    Establishment,
    OrganizationKind,
    establishment_problems,
)
from gongjian_organizations.store import areas as area_store
from gongjian_organizations.store import leaders as leader_store
from gongjian_organizations.store import organizations as org_store
from gongjian_organizations.store import units as unit_store
from gongjian_organizations.usecases import EVENT, Outcome, refresh_coverage, require_admin_of


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
    name = outcome.check_name("name", name, "组织名称", "organisation name", 200)
    unit_ids = list(dict.fromkeys(unit_ids))
    for field_, zh, en in establishment_problems(establishment, len(unit_ids), host_id is not None):
        outcome.add(field_, ErrorCode.BAD_USER_INPUT, zh, en)
    if founded_on is not None and founded_on > clock.today():
        outcome.add(
            "foundedOn",
            ErrorCode.BAD_USER_INPUT,
            "成立日期不能晚于今天",
            "The founding date cannot be in the future",
        )
    outcome.check_area_code("areaCode", area_code)
    if outcome.errors or not require_admin_of(caller, area_code, "areaCode", outcome):
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
        await refresh_coverage(uow, unit_ids)
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
    policy.require(caller, Resource.RECORDS, Action.WRITE)
    if not outcome.past_or_today("dissolvedOn", dissolved_on, "撤销日期", "dissolution date"):
        return outcome
    async with runtime.unit_of_work() as uow:
        current = await org_store.lock_organization(uow.conn, org_id, caller.area_like)
        if current is None:
            outcome.not_found("id", "组织", "organisation")
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
        if await leader_store.active_groups_count(uow.conn, org_id):
            outcome.add(
                "id",
                ErrorCode.CONFLICT,
                "该组织下仍有未撤销的小组",
                "The organisation still has active functional groups",
            )
            return outcome
        row = await org_store.mark_dissolved(uow.conn, org_id, dissolved_on)
        await refresh_coverage(uow, await org_store.unit_ids_of(uow.conn, org_id))
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


def _name_problem(name: str, outcome: Outcome) -> str:
    return outcome.check_name("name", name, "组织名称", "organisation name", 200)


async def rename_organization(
    runtime: Runtime, caller: Caller, org_id: uuid.UUID, name: str
) -> Outcome:
    outcome = Outcome()
    policy.require(caller, Resource.RECORDS, Action.WRITE)
    name = _name_problem(name, outcome)
    if outcome.errors:
        return outcome
    async with runtime.unit_of_work() as uow:
        row = await org_store.rename_organization(uow.conn, org_id, name, caller.area_like)
        if row is None:
            outcome.not_found("id", "组织", "organisation")
            return outcome
        await uow.publish(
            f"{EVENT}organization.renamed.v1",
            str(org_id),
            {"organizationId": str(org_id), "areaCode": row["area_code"], "name": name},
        )
    outcome.row = row
    return outcome


async def reestablish_organization(
    runtime: Runtime, caller: Caller, org_id: uuid.UUID, founded_on: date
) -> Outcome:
    """Re-establish (恢复) a dissolved organisation; it covers its units again."""
    outcome = Outcome()
    policy.require(caller, Resource.RECORDS, Action.WRITE)
    if not outcome.past_or_today("foundedOn", founded_on, "成立日期", "founding date"):
        return outcome
    async with runtime.unit_of_work() as uow:
        current = await org_store.lock_organization(uow.conn, org_id, caller.area_like)
        if current is None:
            outcome.not_found("id", "组织", "organisation")
            return outcome
        if current["dissolved_on"] is None:
            outcome.add("id", ErrorCode.CONFLICT, "该组织未撤销", "The organisation is active")
            return outcome
        if founded_on < current["dissolved_on"]:
            outcome.add(
                "foundedOn",
                ErrorCode.BAD_USER_INPUT,
                "恢复日期不能早于撤销日期",
                "It cannot be re-established before it was dissolved",
            )
            return outcome
        row = await org_store.reestablish(uow.conn, org_id, founded_on)
        unit_ids = await org_store.unit_ids_of(uow.conn, org_id)
        await refresh_coverage(uow, unit_ids)
        # The same fact as the first time: the organisation exists (again) from this date.
        await uow.publish(
            f"{EVENT}organization.established.v1",
            str(org_id),
            {
                "organizationId": str(org_id),
                "kind": row["kind"],
                "family": row["family"],
                "establishment": row["establishment"],
                "unitIds": [str(u) for u in unit_ids],
                "areaCode": row["area_code"],
                "parentId": str(row["parent_id"]) if row["parent_id"] else None,
                "hostOrganizationId": str(row["host_organization_id"])
                if row["host_organization_id"]
                else None,
                "foundedOn": founded_on.isoformat(),
            },
        )
    outcome.row = row
    return outcome
