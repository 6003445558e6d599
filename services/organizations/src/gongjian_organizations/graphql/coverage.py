"""Coverage in the graph: per unit, per area, and the gap list (the street office's to-do list)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from gongjian_kit import policy
from gongjian_kit.areas import area_prefix
from gongjian_kit.gql import Connection, context_of, decode_keyset, make_connection, page_size
from gongjian_kit.policy import Resource
from gongjian_organizations.domain import coverage as domain
from gongjian_organizations.domain.organizations import FAMILY_LABELS
from gongjian_organizations.domain.organizations import OrganizationFamily as Family
from gongjian_organizations.graphql.enums import CoverageMode, OrganizationFamily
from gongjian_organizations.store import coverage as store

if TYPE_CHECKING:
    from gongjian_organizations.graphql.types import Unit

UnitRef = Annotated["Unit", strawberry.lazy("gongjian_organizations.graphql.types")]


@strawberry.type(description="单位在某一系统的覆盖 / A unit's coverage in one family")
class UnitFamilyCoverage:
    family: OrganizationFamily  # type: ignore[valid-type]
    required: bool = strawberry.field(description="按规定应当建立 / Required by the rules")
    covered: bool
    mode: CoverageMode | None  # type: ignore[valid-type]

    @strawberry.field
    def family_label(self) -> str:
        return FAMILY_LABELS[Family(self.family)]

    @strawberry.field
    def mode_label(self) -> str | None:
        return domain.COVERAGE_MODE_LABELS[domain.CoverageMode(self.mode)] if self.mode else None


@strawberry.type(description="区域某一系统的覆盖率 / Coverage of one family over an area")
class FamilyCoverage:
    family: OrganizationFamily  # type: ignore[valid-type]
    units: int = strawberry.field(description="在册单位数 / Open units")
    units_required: int = strawberry.field(description="应建单位数 / Units that must be covered")
    units_covered: int = strawberry.field(description="应建已建 / Required units covered")
    covered_not_required: int = strawberry.field(
        description="未达要求但已建 / Covered, not required"
    )

    @strawberry.field(description="覆盖率 = 已建 ÷ 应建；无应建单位时为空 / covered ÷ required")
    def rate(self) -> float | None:
        return domain.coverage_rate(self.units_covered, self.units_required)

    @strawberry.field(description="应建未建 / Required but not covered")
    def gaps(self) -> int:
        return self.units_required - self.units_covered

    @strawberry.field
    def family_label(self) -> str:
        return FAMILY_LABELS[Family(self.family)]


@strawberry.type(description="区域覆盖情况（含下级）/ Coverage of an area and beneath it")
class AreaCoverage:
    area_code: str
    families: list[FamilyCoverage]


def checked_area(info: Info, area_code: str) -> str:
    return context_of(info).caller.checked_area(area_code)


async def area_coverage(info: Info, area_code: str) -> AreaCoverage:
    """The maintained figures of an area: a primary-key read (one for every area asked)."""
    from gongjian_organizations.graphql import loaders  # noqa: PLC0415

    code = checked_area(info, area_code)
    rows = {r["family"]: r for r in await loaders.area_coverage(info).load(code)}
    families = []
    for family in Family:
        row = rows.get(family.value)
        families.append(
            FamilyCoverage(
                family=family,
                units=row["units"] if row else 0,
                units_required=row["required"] if row else 0,
                units_covered=row["covered_required"] if row else 0,
                covered_not_required=row["covered_not_required"] if row else 0,
            )
        )
    return AreaCoverage(area_code=code, families=families)


@strawberry.type
class CoverageQueries:
    @strawberry.field(
        description="区域覆盖率（各系统）/ Coverage of an area, per family; "
        "aggregates only, so data subscribers may read it"
    )
    async def coverage(self, info: Info, area_code: str) -> AreaCoverage:
        return await area_coverage(info, area_code)

    @strawberry.field(
        description="应建未建单位清单，人数多的在前 / Units required but not "
        "covered, largest headcount first"
    )
    async def coverage_gaps(
        self,
        info: Info,
        area_code: str,
        family: OrganizationFamily,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[UnitRef]:
        from gongjian_organizations.graphql.types import Unit  # noqa: PLC0415

        ctx = context_of(info)
        only = policy.reach(ctx.caller, Resource.RECORDS).organizations_only
        code = checked_area(info, area_code)
        limit = page_size(first)
        position = decode_keyset(after, 2)
        family_value = Family(family).value
        like = area_prefix(code) + "%"
        rows = await store.gaps_page(
            ctx.runtime.db,
            family_value,
            like,
            (position[0], position[1]) if position else None,
            limit + 1,
            only,
        )
        return make_connection(
            [Unit.from_row(r) for r in rows],
            [(r["headcount"], r["seq"]) for r in rows],
            limit,
            position is not None,
            (lambda: store.count_gaps(ctx.runtime.db, family_value, code))
            if only is None
            else (lambda: store.count_gaps_covered_by(ctx.runtime.db, family_value, like, only)),
        )
