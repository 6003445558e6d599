"""Areas, units and organisations: queries and mutations."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from strawberry.types import Info

from gongjian_kit import guard
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.gql import (
    Connection,
    UserError,
    context_of,
    page_size,
    seq_page,
    user_error,
    user_error_from,
)
from gongjian_organizations.domain import organizations as org_domain
from gongjian_organizations.domain import units as unit_domain
from gongjian_organizations.domain.coverage import CoverageState as CoverageStateValue
from gongjian_organizations.domain.organizations import (
    OrganizationFamily as OrganizationFamilyValue,
)
from gongjian_organizations.graphql import loaders
from gongjian_organizations.graphql.enums import (
    CoverageState,
    Establishment,
    OrganizationFamily,
    OrganizationKind,
    UnitKind,
)
from gongjian_organizations.graphql.types import Area, Labels, Organization, Unit
from gongjian_organizations.store import areas as area_store
from gongjian_organizations.store import organizations as org_store
from gongjian_organizations.store import units as unit_store
from gongjian_organizations.usecases import areas as area_cases
from gongjian_organizations.usecases import organizations as org_cases
from gongjian_organizations.usecases import units as unit_cases


def scope_like(info: Info, area_code: str | None) -> str:
    """The LIKE pattern for a requested area, which must lie within the caller's."""
    return context_of(info).caller.scope_like(area_code)


def parse_ids(raw: list[strawberry.ID], field: str) -> tuple[list[uuid.UUID], list[UserError]]:
    ids, errors = [], []
    for i, value in enumerate(raw):
        try:
            ids.append(guard.parse_id(value, f"{field}[{i}]"))
        except ApiError as exc:
            errors.append(user_error_from(exc))
    return ids, errors


def parse_id(raw: strawberry.ID | None, field: str) -> tuple[uuid.UUID | None, list[UserError]]:
    if raw is None:
        return None, []
    ids, errors = parse_ids([raw], field)
    return (ids[0] if ids else None), [
        user_error(field, ErrorCode.BAD_USER_INPUT, e.message_zh, e.message_en) for e in errors
    ]


@strawberry.type
class CoreQueries:
    @strawberry.field(
        description="下级区划；不给上级时为本人所辖区划 / Child areas, or your own area"
    )
    async def areas(self, info: Info, parent_code: str | None = None) -> list[Area]:
        caller = context_of(info).caller
        db = context_of(info).runtime.db
        if parent_code is None:
            row = await loaders.area_by_code(info).load(caller.area)
            return [Area.from_row(row)] if row else []
        scope = scope_like(info, None)
        return [Area.from_row(r) for r in await area_store.child_areas(db, parent_code, scope)]

    @strawberry.field(description="按代码查区划 / An area by its code")
    async def area(self, info: Info, code: str) -> Area | None:
        row = await loaders.area_by_code(info).load(code)
        return Area.from_row(row) if row else None

    @strawberry.field(description="区划内的组织（含下级）/ Organisations in an area and beneath it")
    async def organizations(
        self,
        info: Info,
        area_code: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Organization]:
        ctx = context_of(info)
        only = loaders.record_reach(ctx).organizations_only
        like = scope_like(info, area_code)
        return await seq_page(
            first,
            after,
            lambda pos, lim: org_store.organizations_page(ctx.runtime.db, like, pos, lim, only),
            Organization.from_row,
            lambda: org_store.count_organizations(ctx.runtime.db, like, only),
        )

    @strawberry.field(description="按编号查组织 / An organisation by id")
    async def organization(self, info: Info, id: strawberry.ID) -> Organization | None:
        return await Organization.resolve_reference(info, id)

    @strawberry.field(
        description="区划内的单位（含下级），可按类型与覆盖状态筛选 / Units in an "
        "area and beneath it, by kind and coverage state"
    )
    async def units(
        self,
        info: Info,
        area_code: str | None = None,
        kind: UnitKind | None = None,  # type: ignore[valid-type]
        coverage: UnitCoverageFilter | None = None,
        include_closed: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Unit]:
        ctx = context_of(info)
        only = loaders.record_reach(ctx).organizations_only
        like = scope_like(info, area_code)
        kind_value = unit_domain.UnitKind(kind).value if kind else None
        family = OrganizationFamilyValue(coverage.family).value if coverage else None
        state = CoverageStateValue(coverage.state).value if coverage else None
        return await seq_page(
            first,
            after,
            lambda pos, lim: unit_store.units_filtered(
                ctx.runtime.db, like, kind_value, family, state, include_closed, pos, lim, only
            ),
            Unit.from_row,
            lambda: unit_store.count_units_filtered(
                ctx.runtime.db, like, kind_value, family, state, include_closed, only
            ),
        )

    @strawberry.field(description="按编号查单位 / A unit by id")
    async def unit(self, info: Info, id: strawberry.ID) -> Unit | None:
        key = guard.id_or_none(id)
        if key is None:
            return None
        row = await loaders.unit_by_id(info).load(key)
        return Unit.from_row(row) if row else None

    @strawberry.field(description="按名称查找区划 / Areas whose name contains the text")
    async def search_areas(self, info: Info, text: str, first: int = 20) -> list[Area]:
        caller = context_of(info).caller
        rows = await area_store.search_areas(
            context_of(info).runtime.db, text.strip(), caller.area_like, page_size(first)
        )
        return [Area.from_row(r) for r in rows]

    @strawberry.field(description="各枚举的中文名 / Chinese labels of the enums")
    def labels(self) -> Labels:
        return Labels()


@strawberry.input(description="按覆盖状态筛选 / Filter by coverage state in one family")
class UnitCoverageFilter:
    family: OrganizationFamily  # type: ignore[valid-type]
    state: CoverageState  # type: ignore[valid-type]


@strawberry.input
class CreateAreaInput:
    code: str = strawberry.field(description="12位区划代码，层级与上级由代码推出")
    name: str


@strawberry.input
class RegisterUnitInput:
    name: str
    kind: UnitKind  # type: ignore[valid-type]
    area_code: str
    credit_code: str | None = None
    employees: int = 0
    party_members: int = 0
    league_members: int = 0
    union_members: int = 0
    women: int = 0
    youth: int = 0


@strawberry.input
class EstablishOrganizationInput:
    name: str
    kind: OrganizationKind  # type: ignore[valid-type]
    establishment: Establishment  # type: ignore[valid-type]
    area_code: str
    unit_ids: list[strawberry.ID]
    host_organization_id: strawberry.ID | None = None
    parent_id: strawberry.ID | None = None
    founded_on: date | None = None


@strawberry.input
class DissolveOrganizationInput:
    id: strawberry.ID
    dissolved_on: date


@strawberry.type
class CreateAreaPayload:
    area: Area | None
    errors: list[UserError]


@strawberry.type
class RegisterUnitPayload:
    unit: Unit | None
    errors: list[UserError]


@strawberry.type
class EstablishOrganizationPayload:
    organization: Organization | None
    errors: list[UserError]


@strawberry.type
class DissolveOrganizationPayload:
    organization: Organization | None
    errors: list[UserError]


@strawberry.type
class CoreMutations:
    @strawberry.mutation(description="新建区划 / Create an area")
    async def create_area(self, info: Info, input: CreateAreaInput) -> CreateAreaPayload:
        ctx = context_of(info)
        out = await area_cases.create_area(ctx.runtime, ctx.caller, input.code, input.name)
        return CreateAreaPayload(
            area=Area.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="登记单位 / Register a unit")
    async def register_unit(self, info: Info, input: RegisterUnitInput) -> RegisterUnitPayload:
        ctx = context_of(info)
        out = await unit_cases.register_unit(
            ctx.runtime,
            ctx.caller,
            request_id=ctx.request_id,
            values={
                "name": input.name,
                "kind": unit_domain.UnitKind(input.kind),
                "credit_code": input.credit_code,
                "area_code": input.area_code,
                "employees": input.employees,
                "partyMembers": input.party_members,
                "leagueMembers": input.league_members,
                "unionMembers": input.union_members,
                "women": input.women,
                "youth": input.youth,
            },
        )
        return RegisterUnitPayload(
            unit=Unit.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(
        description="建立组织（单独建、挂靠建、联合建）/ Establish an organisation"
    )
    async def establish_organization(
        self,
        info: Info,
        input: EstablishOrganizationInput,
    ) -> EstablishOrganizationPayload:
        ctx = context_of(info)
        unit_ids, errors = parse_ids(input.unit_ids, "unitIds")
        host_id, host_errors = parse_id(input.host_organization_id, "hostOrganizationId")
        parent_id, parent_errors = parse_id(input.parent_id, "parentId")
        errors += host_errors + parent_errors
        if errors:
            return EstablishOrganizationPayload(organization=None, errors=errors)
        out = await org_cases.establish_organization(
            ctx.runtime,
            ctx.caller,
            name=input.name,
            kind=org_domain.OrganizationKind(input.kind),
            establishment=org_domain.Establishment(input.establishment),
            unit_ids=unit_ids,
            host_id=host_id,
            parent_id=parent_id,
            area_code=input.area_code,
            founded_on=input.founded_on,
        )
        return EstablishOrganizationPayload(
            organization=Organization.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="撤销组织 / Dissolve an organisation")
    async def dissolve_organization(
        self,
        info: Info,
        input: DissolveOrganizationInput,
    ) -> DissolveOrganizationPayload:
        ctx = context_of(info)
        org_id, errors = parse_id(input.id, "id")
        if errors or org_id is None:
            return DissolveOrganizationPayload(organization=None, errors=errors)
        out = await org_cases.dissolve_organization(
            ctx.runtime, ctx.caller, org_id, input.dissolved_on
        )
        return DissolveOrganizationPayload(
            organization=Organization.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )


@strawberry.input
class RenameAreaInput:
    code: str
    name: str


@strawberry.input(description="只改给出的字段 / Only the fields given change")
class UpdateUnitInput:
    id: strawberry.ID
    name: str | None = None
    kind: UnitKind | None = None  # type: ignore[valid-type]
    employees: int | None = None
    party_members: int | None = None
    league_members: int | None = None
    union_members: int | None = None
    women: int | None = None
    youth: int | None = None


@strawberry.input
class CloseUnitInput:
    id: strawberry.ID
    closed_on: date
    reason: str


@strawberry.input
class RenameOrganizationInput:
    id: strawberry.ID
    name: str


@strawberry.input
class ReestablishOrganizationInput:
    id: strawberry.ID
    founded_on: date


@strawberry.type
class AreaPayload:
    area: Area | None
    errors: list[UserError]


@strawberry.type
class UnitPayload:
    unit: Unit | None
    errors: list[UserError]


@strawberry.type
class OrganizationPayload:
    organization: Organization | None
    errors: list[UserError]


@strawberry.type
class MoreCoreMutations:
    @strawberry.mutation(description="区划更名 / Rename an area")
    async def rename_area(self, info: Info, input: RenameAreaInput) -> AreaPayload:
        ctx = context_of(info)
        out = await area_cases.rename_area(ctx.runtime, ctx.caller, input.code, input.name)
        return AreaPayload(
            area=Area.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="修改单位信息 / Update a unit")
    async def update_unit(self, info: Info, input: UpdateUnitInput) -> UnitPayload:
        ctx = context_of(info)
        unit_id, errors = parse_id(input.id, "id")
        if unit_id is None:
            return UnitPayload(unit=None, errors=errors)
        out = await unit_cases.update_unit(
            ctx.runtime,
            ctx.caller,
            unit_id,
            {
                "name": input.name,
                "kind": unit_domain.UnitKind(input.kind) if input.kind else None,
                "employees": input.employees,
                "partyMembers": input.party_members,
                "leagueMembers": input.league_members,
                "unionMembers": input.union_members,
                "women": input.women,
                "youth": input.youth,
            },
        )
        return UnitPayload(
            unit=Unit.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="注销单位 / Close a unit")
    async def close_unit(self, info: Info, input: CloseUnitInput) -> UnitPayload:
        ctx = context_of(info)
        unit_id, errors = parse_id(input.id, "id")
        if unit_id is None:
            return UnitPayload(unit=None, errors=errors)
        out = await unit_cases.close_unit(
            ctx.runtime, ctx.caller, unit_id, input.closed_on, input.reason
        )
        return UnitPayload(
            unit=Unit.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="组织更名 / Rename an organisation")
    async def rename_organization(
        self, info: Info, input: RenameOrganizationInput
    ) -> OrganizationPayload:
        ctx = context_of(info)
        org_id, errors = parse_id(input.id, "id")
        if org_id is None:
            return OrganizationPayload(organization=None, errors=errors)
        out = await org_cases.rename_organization(ctx.runtime, ctx.caller, org_id, input.name)
        return OrganizationPayload(
            organization=Organization.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="恢复已撤销的组织 / Re-establish a dissolved organisation")
    async def reestablish_organization(
        self,
        info: Info,
        input: ReestablishOrganizationInput,
    ) -> OrganizationPayload:
        ctx = context_of(info)
        org_id, errors = parse_id(input.id, "id")
        if org_id is None:
            return OrganizationPayload(organization=None, errors=errors)
        out = await org_cases.reestablish_organization(
            ctx.runtime, ctx.caller, org_id, input.founded_on
        )
        return OrganizationPayload(
            organization=Organization.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )
