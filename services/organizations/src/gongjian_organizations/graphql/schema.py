"""Queries and mutations of the organizations subgraph."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from strawberry.types import Info

from gongjian_kit.areas import area_prefix, is_area_code
from gongjian_kit.auth import Role
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.gql import (
    Connection,
    UserError,
    build_schema,
    context_of,
    decode_cursor,
    make_connection,
    page_size,
    user_error,
    user_error_from,
)
from gongjian_kit.settings import ServiceSettings
from gongjian_organizations import usecases
from gongjian_organizations.domain import organizations as org_domain
from gongjian_organizations.domain import units as unit_domain
from gongjian_organizations.graphql import loaders
from gongjian_organizations.graphql.types import (
    Area,
    Establishment,
    Labels,
    Organization,
    OrganizationKind,
    Unit,
    UnitKind,
)
from gongjian_organizations.store import areas as area_store
from gongjian_organizations.store import organizations as org_store
from gongjian_organizations.store import units as unit_store


def _scope_like(info: Info, area_code: str | None) -> str:
    """The LIKE pattern for a requested area, which must lie within the caller's."""
    caller = context_of(info).caller
    if area_code is None:
        return caller.area_like
    if not is_area_code(area_code):
        raise ApiError(
            ErrorCode.BAD_USER_INPUT,
            "区划代码应为12位数字",
            "The area code must be 12 digits",
            "areaCode",
        )
    caller.require_area(area_code)
    return area_prefix(area_code) + "%"


def _parse_ids(raw: list[strawberry.ID], field: str) -> tuple[list[uuid.UUID], list[UserError]]:
    ids, errors = [], []
    for i, value in enumerate(raw):
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            errors.append(
                user_error(
                    f"{field}[{i}]", ErrorCode.BAD_USER_INPUT, "编号格式无效", "Malformed id"
                )
            )
    return ids, errors


def _parse_id(raw: strawberry.ID | None, field: str) -> tuple[uuid.UUID | None, list[UserError]]:
    if raw is None:
        return None, []
    ids, errors = _parse_ids([raw], field)
    return (ids[0] if ids else None), [
        user_error(field, ErrorCode.BAD_USER_INPUT, e.message_zh, e.message_en) for e in errors
    ]


@strawberry.type
class Query:
    @strawberry.field(
        description="下级区划；不给上级时为本人所辖区划 / Child areas, or your own area"
    )
    async def areas(self, info: Info, parent_code: str | None = None) -> list[Area]:
        caller = context_of(info).caller
        db = context_of(info).runtime.db
        if parent_code is None:
            row = await loaders.area_by_code(info).load(caller.area)
            return [Area.from_row(row)] if row else []
        scope = _scope_like(info, None)
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
        ctx.caller.require_records()
        like = _scope_like(info, area_code)
        limit, position = page_size(first), decode_cursor(after)
        only = (
            [uuid.UUID(o) for o in ctx.caller.orgs]
            if ctx.caller.roles == frozenset({Role.ORG_ADMIN})
            else None
        )
        rows = await org_store.organizations_page(ctx.runtime.db, like, position, limit + 1, only)
        return make_connection(
            [Organization.from_row(r) for r in rows],
            [r["seq"] for r in rows],
            limit,
            position is not None,
            lambda: org_store.count_organizations(ctx.runtime.db, like, only),
        )

    @strawberry.field(description="按编号查组织 / An organisation by id")
    async def organization(self, info: Info, id: strawberry.ID) -> Organization | None:
        return await Organization.resolve_reference(info, id)

    @strawberry.field(description="区划内的单位（含下级）/ Units in an area and beneath it")
    async def units(
        self,
        info: Info,
        area_code: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Unit]:
        ctx = context_of(info)
        ctx.caller.require_records()
        like = _scope_like(info, area_code)
        limit, position = page_size(first), decode_cursor(after)
        rows = await unit_store.units_page(ctx.runtime.db, like, position, limit + 1)
        return make_connection(
            [Unit.from_row(r) for r in rows],
            [r["seq"] for r in rows],
            limit,
            position is not None,
            lambda: unit_store.count_units(ctx.runtime.db, like),
        )

    @strawberry.field(description="各枚举的中文名 / Chinese labels of the enums")
    def labels(self) -> Labels:
        return Labels()


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
class Mutation:
    @strawberry.mutation(description="新建区划 / Create an area")
    async def create_area(self, info: Info, input: CreateAreaInput) -> CreateAreaPayload:
        ctx = context_of(info)
        out = await usecases.create_area(ctx.runtime, ctx.caller, input.code, input.name)
        return CreateAreaPayload(
            area=Area.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="登记单位 / Register a unit")
    async def register_unit(self, info: Info, input: RegisterUnitInput) -> RegisterUnitPayload:
        ctx = context_of(info)
        out = await usecases.register_unit(
            ctx.runtime,
            ctx.caller,
            {
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
        unit_ids, errors = _parse_ids(input.unit_ids, "unitIds")
        host_id, host_errors = _parse_id(input.host_organization_id, "hostOrganizationId")
        parent_id, parent_errors = _parse_id(input.parent_id, "parentId")
        errors += host_errors + parent_errors
        if errors:
            return EstablishOrganizationPayload(organization=None, errors=errors)
        out = await usecases.establish_organization(
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
        org_id, errors = _parse_id(input.id, "id")
        if errors or org_id is None:
            return DissolveOrganizationPayload(organization=None, errors=errors)
        out = await usecases.dissolve_organization(
            ctx.runtime, ctx.caller, org_id, input.dissolved_on
        )
        return DissolveOrganizationPayload(
            organization=Organization.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )


def make_schema(settings: ServiceSettings | None = None) -> strawberry.Schema:
    return build_schema(Query, mutation=Mutation, settings=settings)


schema = make_schema()
