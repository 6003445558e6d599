"""Units and organisations in bulk (imports): the single-record rules, one transaction.

Every entry is checked with the same domain rules as ``register_unit`` and
``establish_organization``; then the database checks run for all entries at once (a few
statements, not one per entry). All or nothing unless ``skip_invalid``: with it the good entries
are written and the others reported. Rows are inserted with ``executemany`` and the events are
written with one ``publish_many``; coverage is refreshed once for every unit touched.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gongjian_kit import clock, policy
from gongjian_kit.areas import is_area_code
from gongjian_kit.auth import Caller
from gongjian_kit.db import Connection
from gongjian_kit.errors import ErrorCode
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime
from gongjian_organizations.domain.credit_code import credit_code_problem
from gongjian_organizations.domain.names import name_problem
from gongjian_organizations.domain.organizations import (
    Establishment,
    OrganizationKind,
    establishment_problems,
)
from gongjian_organizations.domain.units import HEADCOUNT_FIELDS, UnitKind, headcount_problems
from gongjian_organizations.store import audit as audit_store
from gongjian_organizations.store import organizations as org_store
from gongjian_organizations.store import units as unit_store
from gongjian_organizations.usecases import (
    EVENT,
    Outcome,
    audit_trail,
    lookup_limiter,
    refresh_coverage,
    require_admin_of,
)
from gongjian_organizations.usecases.people import Problem
from gongjian_organizations.usecases.units import OUTSIDE_SCOPE, credit_code_conflict

BAD = ErrorCode.BAD_USER_INPUT
RATE_LIMITED_CREDIT_CODE: Problem = (
    "creditCode",
    ErrorCode.RATE_LIMITED,
    "查重过于频繁，本行未处理，请稍后再试",
    "Too many duplicate probes in a short time: this row was not processed; try again later",
)
# A reference to another organisation: an existing one by id, or an earlier entry of the batch.
OrgRef = uuid.UUID | int


@dataclass
class BulkResult:
    """What a bulk registration did: ids written (in entry order), entries refused."""

    written: list[uuid.UUID] = field(default_factory=list)
    rejected: list[tuple[int, Problem]] = field(default_factory=list)

    def refuse(self, index: int, problem: Problem) -> None:
        self.rejected.append((index, problem))


@dataclass
class UnitInput:
    """One unit as entered in a row of an import file."""

    name: str
    kind: str
    area_code: str
    credit_code: str | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HEADCOUNT_FIELDS, 0))


@dataclass
class OrganizationInput:
    """One organisation as entered in a row of an import file."""

    name: str
    kind: str
    establishment: str
    area_code: str
    unit_ids: list[uuid.UUID]
    host: OrgRef | None = None
    parent: OrgRef | None = None
    founded_on: date | None = None


def _scope_problems(caller: Caller, area_code: str) -> list[Problem]:
    if not is_area_code(area_code):
        return [("areaCode", BAD, "区划代码应为12位数字", "The area code must be 12 digits")]
    outcome = Outcome()
    require_admin_of(caller, area_code, "areaCode", outcome)
    return [(e.field or "areaCode", e.code, e.zh, e.en) for e in outcome.errors]


@dataclass
class _ValidUnit:
    id: uuid.UUID
    name: str
    kind: UnitKind
    credit_code: str | None
    area_code: str
    counts: dict[str, int]


def validate_unit(unit: UnitInput, caller: Caller) -> tuple[_ValidUnit | None, list[Problem]]:
    """The checks of ``register_unit`` that need no database: the unit to insert, or why not."""
    problems: list[Problem] = []
    name = unit.name.strip()
    if problem := name_problem(unit.name, "单位名称", "unit name", 200):
        problems.append(("name", BAD, *problem))
    kind: UnitKind | None = None
    try:
        kind = UnitKind(unit.kind)
    except ValueError:
        problems.append(("kind", BAD, "单位类型无效", "Unknown unit kind"))
    credit = (unit.credit_code or "").strip().upper() or None
    if credit is not None and (why := credit_code_problem(credit)):
        problems.append(("creditCode", BAD, *why))
    problems += [(f, BAD, zh, en) for f, zh, en in headcount_problems(unit.counts)]
    problems += _scope_problems(caller, unit.area_code)
    if problems or kind is None:
        return None, problems
    return _ValidUnit(uuid.uuid4(), name, kind, credit, unit.area_code, dict(unit.counts)), []


async def _existing_areas(conn: Connection, codes: set[str]) -> set[str]:
    rows = await conn.fetch("SELECT code FROM area WHERE code = ANY($1::text[])", list(codes))
    return {r["code"] for r in rows}


UNIT_INSERT = (
    "INSERT INTO unit (id, name, kind, credit_code, area_code, employees, party_members, "
    "league_members, union_members, women, youth) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
)


async def register_units(
    runtime: Runtime,
    caller: Caller,
    units: list[UnitInput],
    *,
    skip_invalid: bool = False,
    request_id: str | None = None,
) -> BulkResult:
    """Register units in one transaction: all or nothing unless ``skip_invalid``.

    Credit codes already registered are refused as ``register_unit`` refuses them (named only
    in the caller's scope, audited, outside it spending a look-up); once the caller has no
    look-up left, every later entry with a credit code is refused as RATE_LIMITED.
    """
    policy.require(caller, Resource.RECORDS, Action.WRITE)
    result = BulkResult()
    valid: list[tuple[int, _ValidUnit]] = []
    seen: set[str] = set()
    for index, entry in enumerate(units):
        checked, problems = validate_unit(entry, caller)
        result.rejected += [(index, p) for p in problems]
        if checked is None:
            continue
        if checked.credit_code in seen:
            result.refuse(
                index,
                (
                    "creditCode",
                    ErrorCode.CONFLICT,
                    "与同一批中另一单位的统一社会信用代码重复",
                    "Same credit code as another unit of this batch",
                ),
            )
            continue
        if checked.credit_code is not None:
            seen.add(checked.credit_code)
        valid.append((index, checked))
    async with runtime.unit_of_work() as uow:
        areas = await _existing_areas(uow.conn, {u.area_code for _, u in valid})
        taken = {
            r["credit_code"]: r
            for r in await uow.conn.fetch(
                "SELECT id, name, credit_code, area_code FROM unit "
                "WHERE credit_code = ANY($1::text[])",
                list(seen),
            )
        }
        limiter = lookup_limiter(runtime)
        limited = limiter.exhausted(caller.subject)
        audit: list[audit_store.Entry] = []
        accepted: list[_ValidUnit] = []
        for index, unit in valid:
            if limited and unit.credit_code is not None:
                result.refuse(index, RATE_LIMITED_CREDIT_CODE)
                audit.append(audit_store.Entry("creditCode", audit_store.Reason.RATE_LIMITED))
            elif unit.area_code not in areas:
                result.refuse(
                    index,
                    ("areaCode", ErrorCode.NOT_FOUND, "区划不存在", "The area does not exist"),
                )
            elif (existing := taken.get(unit.credit_code)) is not None:
                message, probe = credit_code_conflict(caller, existing)
                result.refuse(index, ("creditCode", ErrorCode.CONFLICT, *message))
                audit.append(probe)
                if probe.detail == OUTSIDE_SCOPE:
                    limiter.take(caller.subject)
                    limited = limiter.exhausted(caller.subject)  # from the next entry on
            else:
                accepted.append(unit)
        await audit_store.record(runtime.db, audit_trail(caller, request_id, runtime), audit)
        result.rejected.sort(key=lambda item: item[0])
        if result.rejected and not skip_invalid:
            return result  # nothing written
        await uow.conn.executemany(
            UNIT_INSERT,
            [
                (
                    u.id,
                    u.name,
                    u.kind.value,
                    u.credit_code,
                    u.area_code,
                    *(u.counts[f] for f in HEADCOUNT_FIELDS),
                )
                for u in accepted
            ],
        )
        await refresh_coverage(uow, [u.id for u in accepted])
        await uow.publish_many(
            [
                (
                    f"{EVENT}unit.registered.v1",
                    str(u.id),
                    {
                        "unitId": str(u.id),
                        "areaCode": u.area_code,
                        "kind": u.kind.value,
                        "headcounts": u.counts,
                    },
                )
                for u in accepted
            ]
        )
    result.written = [u.id for u in accepted]
    return result


@dataclass
class _ValidOrganization:
    id: uuid.UUID
    name: str
    kind: OrganizationKind
    establishment: Establishment
    area_code: str
    unit_ids: list[uuid.UUID]
    host: OrgRef | None
    parent: OrgRef | None
    founded_on: date | None


def validate_organization(
    org: OrganizationInput, caller: Caller, today: date
) -> tuple[_ValidOrganization | None, list[Problem]]:
    """The checks of ``establish_organization`` that need no database."""
    problems: list[Problem] = []
    name = org.name.strip()
    if problem := name_problem(org.name, "组织名称", "organisation name", 200):
        problems.append(("name", BAD, *problem))
    kind: OrganizationKind | None = None
    establishment: Establishment | None = None
    try:
        kind = OrganizationKind(org.kind)
    except ValueError:
        problems.append(("kind", BAD, "组织类型无效", "Unknown organisation kind"))
    try:
        establishment = Establishment(org.establishment)
    except ValueError:
        problems.append(("establishment", BAD, "建立方式无效", "Unknown establishment"))
    unit_ids = list(dict.fromkeys(org.unit_ids))
    if establishment is not None:
        problems += [
            (f, BAD, zh, en)
            for f, zh, en in establishment_problems(
                establishment, len(unit_ids), org.host is not None
            )
        ]
    if org.founded_on is not None and org.founded_on > today:
        problems.append(
            (
                "foundedOn",
                BAD,
                "成立日期不能晚于今天",
                "The founding date cannot be in the future",
            )
        )
    problems += _scope_problems(caller, org.area_code)
    if problems or kind is None or establishment is None:
        return None, problems
    return _ValidOrganization(
        uuid.uuid4(),
        name,
        kind,
        establishment,
        org.area_code,
        unit_ids,
        org.host,
        org.parent,
        org.founded_on,
    ), []


def _related_problem(
    field_: str, kind: OrganizationKind, other: dict[str, Any] | None
) -> Problem | None:
    """The rules of ``establish_organization`` for a parent or host organisation."""
    if other is None:
        return (
            field_,
            ErrorCode.NOT_FOUND,
            "组织不存在或不在您的范围内",
            "The organisation does not exist or is outside your scope",
        )
    if other["dissolved_on"] is not None:
        return (field_, ErrorCode.CONFLICT, "该组织已撤销", "That organisation has been dissolved")
    if field_ == "parentId" and other["family"] != kind.family.value:
        return (
            field_,
            BAD,
            "上级组织须属于同一系统（党、工、团、妇）",
            "The parent must be of the same family (party, union, league, women)",
        )
    return None


async def establish_organizations(
    runtime: Runtime,
    caller: Caller,
    orgs: list[OrganizationInput],
    *,
    skip_invalid: bool = False,
) -> BulkResult:
    """Establish organisations in one transaction: all or nothing unless ``skip_invalid``.

    A parent or host may be an earlier entry of the same batch (its index); an entry whose
    parent or host was refused is refused too.
    """
    policy.require(caller, Resource.RECORDS, Action.WRITE)
    result = BulkResult()
    today = clock.today()
    checked: dict[int, _ValidOrganization] = {}
    for index, entry in enumerate(orgs):
        valid, problems = validate_organization(entry, caller, today)
        result.rejected += [(index, p) for p in problems]
        if valid is not None:
            checked[index] = valid
    scope = caller.area_like
    async with runtime.unit_of_work() as uow:
        areas = await _existing_areas(uow.conn, {o.area_code for o in checked.values()})
        wanted_units = list({u for o in checked.values() for u in o.unit_ids})
        units = {r["id"] for r in await unit_store.units_by_id(uow.conn, wanted_units, scope)}
        wanted_orgs = list(
            {r for o in checked.values() for r in (o.host, o.parent) if isinstance(r, uuid.UUID)}
        )
        existing = {
            r["id"]: dict(r)
            for r in await org_store.organizations_by_id(uow.conn, wanted_orgs, scope)
            if r is not None
        }
        accepted: list[_ValidOrganization] = []
        for index, org in sorted(checked.items()):
            problems = _database_problems(org, index, areas, units, existing, checked)
            if problems:
                result.rejected += [(index, p) for p in problems]
                del checked[index]
            else:
                accepted.append(org)
        result.rejected.sort(key=lambda item: item[0])
        if result.rejected and not skip_invalid:
            return result  # nothing written
        await _insert_organizations(uow.conn, accepted, checked)
        touched = list({u for o in accepted for u in o.unit_ids})
        await refresh_coverage(uow, touched)
        await uow.publish_many([_established_event(o, checked) for o in accepted])
    result.written = [o.id for o in accepted]
    return result


def _database_problems(
    org: _ValidOrganization,
    index: int,
    areas: set[str],
    units: set[uuid.UUID],
    existing: dict[uuid.UUID, dict[str, Any]],
    batch: dict[int, _ValidOrganization],
) -> list[Problem]:
    problems: list[Problem] = []
    if org.area_code not in areas:
        problems.append(("areaCode", ErrorCode.NOT_FOUND, "区划不存在", "The area does not exist"))
    problems += [
        (
            f"unitIds[{i}]",
            ErrorCode.NOT_FOUND,
            "单位不存在或不在您的范围内",
            "The unit does not exist or is outside your scope",
        )
        for i, unit_id in enumerate(org.unit_ids)
        if unit_id not in units
    ]
    for field_, ref in (("parentId", org.parent), ("hostOrganizationId", org.host)):
        if ref is None:
            continue
        if isinstance(ref, uuid.UUID):
            problem = _related_problem(field_, org.kind, existing.get(ref))
        elif ref >= index:
            problem = (
                field_,
                BAD,
                "所引用的组织须在本行之前",
                "The organisation referred to must come before this one",
            )
        elif ref not in batch:
            problem = (
                field_,
                ErrorCode.NOT_FOUND,
                "所引用的组织未通过校验",
                "The organisation referred to was refused",
            )
        else:
            other = batch[ref]
            problem = _related_problem(
                field_, org.kind, {"dissolved_on": None, "family": other.kind.family.value}
            )
        if problem is not None:
            problems.append(problem)
    return problems


def _resolve(ref: OrgRef | None, batch: dict[int, _ValidOrganization]) -> uuid.UUID | None:
    if ref is None or isinstance(ref, uuid.UUID):
        return ref
    return batch[ref].id


ORG_INSERT = (
    "INSERT INTO organization (id, name, kind, family, establishment, area_code, parent_id, "
    "host_organization_id, founded_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)


async def _insert_organizations(
    conn: Connection, accepted: list[_ValidOrganization], batch: dict[int, _ValidOrganization]
) -> None:
    # In entry order: an entry's parent or host from the batch is always inserted before it.
    await conn.executemany(
        ORG_INSERT,
        [
            (
                o.id,
                o.name,
                o.kind.value,
                o.kind.family.value,
                o.establishment.value,
                o.area_code,
                _resolve(o.parent, batch),
                _resolve(o.host, batch),
                o.founded_on,
            )
            for o in accepted
        ],
    )
    await conn.executemany(
        "INSERT INTO organization_unit (organization_id, unit_id) VALUES ($1, $2)",
        [(o.id, u) for o in accepted for u in o.unit_ids],
    )


def _established_event(
    org: _ValidOrganization, batch: dict[int, _ValidOrganization]
) -> tuple[str, str, dict[str, Any]]:
    parent = _resolve(org.parent, batch)
    host = _resolve(org.host, batch)
    return (
        f"{EVENT}organization.established.v1",
        str(org.id),
        {
            "organizationId": str(org.id),
            "kind": org.kind.value,
            "family": org.kind.family.value,
            "establishment": org.establishment.value,
            "unitIds": [str(u) for u in org.unit_ids],
            "areaCode": org.area_code,
            "parentId": str(parent) if parent else None,
            "hostOrganizationId": str(host) if host else None,
            "foundedOn": org.founded_on.isoformat() if org.founded_on else None,
        },
    )
