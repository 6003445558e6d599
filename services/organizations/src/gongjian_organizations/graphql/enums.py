"""Every enum of the organizations subgraph, each with a Chinese description."""

from __future__ import annotations

import strawberry

from gongjian_kit.areas import AreaLevel as DomainAreaLevel
from gongjian_organizations.domain import coverage as coverage_domain
from gongjian_organizations.domain import leaders as leader_domain
from gongjian_organizations.domain import organizations as org_domain
from gongjian_organizations.domain import people as people_domain
from gongjian_organizations.domain import units as unit_domain

AreaLevel = strawberry.enum(
    DomainAreaLevel, name="AreaLevel", description="区划层级 / Level of an administrative area"
)
UnitKind = strawberry.enum(
    unit_domain.UnitKind, name="UnitKind", description="单位类型 / Unit kind"
)
OrganizationKind = strawberry.enum(
    org_domain.OrganizationKind, name="OrganizationKind", description="组织类型 / Organisation kind"
)
OrganizationFamily = strawberry.enum(
    org_domain.OrganizationFamily,
    name="OrganizationFamily",
    description="组织系统（党、工、团、妇）/ Organisation family",
)
Establishment = strawberry.enum(
    org_domain.Establishment,
    name="Establishment",
    description="建立方式：单独建、挂靠建、联合建 / How it was set up",
)
CoverageMode = strawberry.enum(
    coverage_domain.CoverageMode,
    name="CoverageMode",
    description="覆盖方式：单独建、联合建、挂靠建 / How a unit is covered",
)
Gender = strawberry.enum(people_domain.Gender, name="Gender", description="性别 / Gender")
PoliticalStatus = strawberry.enum(
    people_domain.PoliticalStatus, name="PoliticalStatus", description="政治面貌 / Political status"
)
LeaderPost = strawberry.enum(leader_domain.LeaderPost, name="LeaderPost", description="职务 / Post")
GroupKind = strawberry.enum(
    leader_domain.GroupKind, name="GroupKind", description="小组类型 / Kind of functional group"
)
CoverageState = strawberry.enum(
    coverage_domain.CoverageState,
    name="CoverageState",
    description="覆盖状态：已建、应建未建、未达要求 / Coverage state",
)
