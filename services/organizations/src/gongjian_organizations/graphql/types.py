"""GraphQL types of the organizations subgraph."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg
import strawberry
from strawberry.types import Info

from gongjian_kit import guard
from gongjian_kit.areas import AREA_LEVEL_LABELS, area_and_ancestors
from gongjian_kit.areas import AreaLevel as DomainAreaLevel
from gongjian_kit.gql import (
    Connection,
    context_of,
    seq_page,
)
from gongjian_organizations.domain import coverage as coverage_domain
from gongjian_organizations.domain import leaders as leader_domain
from gongjian_organizations.domain import organizations as org_domain
from gongjian_organizations.domain import people as people_domain
from gongjian_organizations.domain import units as unit_domain
from gongjian_organizations.domain.organizations import (
    OrganizationFamily as OrganizationFamilyValue,
)
from gongjian_organizations.graphql import loaders
from gongjian_organizations.graphql.coverage import (
    AreaCoverage,
    UnitFamilyCoverage,
    area_coverage,
)
from gongjian_organizations.graphql.enums import (
    AreaLevel,
    Establishment,
    OrganizationFamily,
    OrganizationKind,
    UnitKind,
)
from gongjian_organizations.graphql.people import FunctionalGroup, Leader, Membership


@strawberry.type(description="枚举值及其中文名 / An enum value with its Chinese label")
class EnumLabel:
    value: str
    label: str


def _labels(mapping: dict[Any, str]) -> list[EnumLabel]:
    return [EnumLabel(value=k.value, label=v) for k, v in mapping.items()]


@strawberry.type(description="各枚举的中文名 / Chinese labels of every enum")
class Labels:
    @strawberry.field
    def area_levels(self) -> list[EnumLabel]:
        return _labels(AREA_LEVEL_LABELS)

    @strawberry.field
    def unit_kinds(self) -> list[EnumLabel]:
        return _labels(unit_domain.UNIT_KIND_LABELS)

    @strawberry.field
    def organization_kinds(self) -> list[EnumLabel]:
        return _labels(org_domain.KIND_LABELS)

    @strawberry.field
    def organization_families(self) -> list[EnumLabel]:
        return _labels(org_domain.FAMILY_LABELS)

    @strawberry.field
    def establishments(self) -> list[EnumLabel]:
        return _labels(org_domain.ESTABLISHMENT_LABELS)

    @strawberry.field
    def coverage_modes(self) -> list[EnumLabel]:
        return _labels(coverage_domain.COVERAGE_MODE_LABELS)

    @strawberry.field
    def political_statuses(self) -> list[EnumLabel]:
        return _labels(people_domain.POLITICAL_STATUS_LABELS)

    @strawberry.field
    def genders(self) -> list[EnumLabel]:
        return _labels(people_domain.GENDER_LABELS)

    @strawberry.field
    def leader_posts(self) -> list[EnumLabel]:
        return _labels(leader_domain.LEADER_POST_LABELS)

    @strawberry.field
    def group_kinds(self) -> list[EnumLabel]:
        return _labels(leader_domain.GROUP_KIND_LABELS)


@strawberry.federation.type(keys=["code"], description="行政区划 / Administrative area")
class Area:
    code: str = strawberry.field(description="12位统计用区划代码 / 12-digit division code")
    name: str
    level: AreaLevel  # type: ignore[valid-type]
    parent_code: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Area:
        return cls(
            code=row["code"],
            name=row["name"],
            level=DomainAreaLevel(row["level"]),
            parent_code=row["parent_code"],
        )

    @strawberry.field(description="层级中文名 / Level label")
    def level_label(self) -> str:
        return AREA_LEVEL_LABELS[DomainAreaLevel(self.level)]

    @strawberry.field(description="上级区划 / Parent area")
    async def parent(self, info: Info) -> Area | None:
        if self.parent_code is None:
            return None
        row = await loaders.area_by_code(info).load(self.parent_code)
        return Area.from_row(row) if row else None

    @strawberry.field(description="下级区划 / Child areas")
    async def children(self, info: Info) -> list[Area]:
        rows = await loaders.area_children(info).load(self.code)
        return [Area.from_row(r) for r in rows]

    @strawberry.field(description="从区（县）到本区划的路径 / Path from the district down to here")
    async def path(self, info: Info) -> list[Area]:
        codes = list(reversed(area_and_ancestors(self.code)))
        rows = await loaders.area_by_code(info).load_many(codes)
        return [Area.from_row(r) for r in rows if r is not None]

    @strawberry.field(description="覆盖情况（含下级）/ Coverage of this area and beneath it")
    async def coverage(self, info: Info) -> AreaCoverage:
        return await area_coverage(info, self.code)

    @classmethod
    async def resolve_reference(cls, info: Info, code: str) -> Area | None:
        row = await loaders.area_by_code(info).load(code)
        return cls.from_row(row) if row else None


@strawberry.type(description="单位 / Unit: a place where people work or live")
class Unit:
    id: strawberry.ID
    name: str
    kind: UnitKind  # type: ignore[valid-type]
    credit_code: str | None = strawberry.field(description="统一社会信用代码 / Unified credit code")
    area_code: str
    employees: int
    party_members: int = strawberry.field(description="正式党员 / Full party members")
    league_members: int
    union_members: int
    women: int
    youth: int = strawberry.field(description="35岁及以下青年 / Youth aged 35 or under")
    closed_on: date | None = strawberry.field(description="注销日期 / Date closed")

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Unit:
        return cls(
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            kind=unit_domain.UnitKind(row["kind"]),
            credit_code=row["credit_code"],
            area_code=row["area_code"],
            employees=row["employees"],
            party_members=row["party_members"],
            league_members=row["league_members"],
            union_members=row["union_members"],
            women=row["women"],
            youth=row["youth"],
            closed_on=row["closed_on"],
        )

    @strawberry.field
    def kind_label(self) -> str:
        return unit_domain.UNIT_KIND_LABELS[unit_domain.UnitKind(self.kind)]

    @strawberry.field
    async def area(self, info: Info) -> Area | None:
        row = await loaders.area_by_code(info).load(self.area_code)
        return Area.from_row(row) if row else None

    @strawberry.field(description="四个系统的覆盖情况 / Coverage in each of the four families")
    async def coverage(self, info: Info) -> list[UnitFamilyCoverage]:
        rows = await loaders.coverage_of_unit(info).load(uuid.UUID(self.id))
        return [
            UnitFamilyCoverage(
                family=OrganizationFamilyValue(r["family"]),
                required=r["required"] and r["counted"],
                covered=r["mode"] is not None,
                mode=coverage_domain.CoverageMode(r["mode"]) if r["mode"] else None,
            )
            for r in rows
        ]


@strawberry.federation.type(keys=["id"], description="组织 / Party or mass organisation")
class Organization:
    id: strawberry.ID
    name: str
    kind: OrganizationKind  # type: ignore[valid-type]
    family: OrganizationFamily  # type: ignore[valid-type]
    establishment: Establishment  # type: ignore[valid-type]
    area_code: str
    founded_on: date | None
    dissolved_on: date | None
    parent_id: strawberry.Private[uuid.UUID | None]
    host_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Organization:
        return cls(
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            kind=org_domain.OrganizationKind(row["kind"]),
            family=org_domain.OrganizationFamily(row["family"]),
            establishment=org_domain.Establishment(row["establishment"]),
            area_code=row["area_code"],
            founded_on=row["founded_on"],
            dissolved_on=row["dissolved_on"],
            parent_id=row["parent_id"],
            host_id=row["host_organization_id"],
        )

    @strawberry.field
    def kind_label(self) -> str:
        return org_domain.KIND_LABELS[org_domain.OrganizationKind(self.kind)]

    @strawberry.field
    def establishment_label(self) -> str:
        return org_domain.ESTABLISHMENT_LABELS[org_domain.Establishment(self.establishment)]

    @strawberry.field(description="是否在册（未撤销）/ Not dissolved")
    def active(self) -> bool:
        return self.dissolved_on is None

    @strawberry.field(description="覆盖的单位 / Units it covers")
    async def units(self, info: Info) -> list[Unit]:
        rows = await loaders.units_of_organization(info).load(uuid.UUID(self.id))
        scope = context_of(info).caller
        return [Unit.from_row(r) for r in rows if scope.can_see_area(r["area_code"])]

    @strawberry.field
    async def area(self, info: Info) -> Area | None:
        row = await loaders.area_by_code(info).load(self.area_code)
        return Area.from_row(row) if row else None

    @strawberry.field(description="上级组织 / Parent organisation")
    async def parent(self, info: Info) -> Organization | None:
        return await _organization(info, self.parent_id)

    @strawberry.field(description="挂靠的组织（挂靠建）/ Host organisation (affiliated)")
    async def host_organization(self, info: Info) -> Organization | None:
        return await _organization(info, self.host_id)

    @strawberry.field(description="带头人 / Leaders (current only unless asked)")
    async def leaders(self, info: Info, current_only: bool = True) -> list[Leader]:
        rows = await loaders.leaders_of_organization(info).load(uuid.UUID(self.id))
        return [Leader.from_row(r) for r in rows if not current_only or r["ended_on"] is None]

    @strawberry.field(description="功能小组 / Functional groups")
    async def groups(self, info: Info) -> list[FunctionalGroup]:
        rows = await loaders.groups_of_organization(info).load(uuid.UUID(self.id))
        return [FunctionalGroup.from_row(r) for r in rows]

    @strawberry.field(
        description="现有成员（仅含您可见其姓名者）/ Current members (those whose names you "
        "may see)"
    )
    async def members(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Membership]:
        org_id = uuid.UUID(self.id)
        pages, counts = loaders.members_pages(info), loaders.members_count(info)
        return await seq_page(
            first,
            after,
            lambda pos, lim: pages.load((org_id, pos, lim)),
            Membership.from_row,
            lambda: counts.load(org_id),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Organization | None:
        return await _organization(info, guard.id_or_none(id))


async def _organization(info: Info, org_id: uuid.UUID | None) -> Organization | None:
    if org_id is None:
        return None
    row = await loaders.organization_by_id(info).load(org_id)
    return Organization.from_row(row) if row else None
