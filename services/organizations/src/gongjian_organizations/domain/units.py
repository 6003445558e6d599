"""Units (单位): the places where people work or live."""

from __future__ import annotations

from enum import StrEnum


class UnitKind(StrEnum):
    NON_PUBLIC_ENTERPRISE = "NON_PUBLIC_ENTERPRISE"
    STATE_ENTERPRISE = "STATE_ENTERPRISE"
    SOCIAL_ORGANIZATION = "SOCIAL_ORGANIZATION"
    PUBLIC_INSTITUTION = "PUBLIC_INSTITUTION"
    GOVERNMENT_ORGAN = "GOVERNMENT_ORGAN"
    VILLAGE = "VILLAGE"
    COMMUNITY = "COMMUNITY"
    MIGRANT_WORKER_GROUP = "MIGRANT_WORKER_GROUP"
    BUILDING_OR_PARK = "BUILDING_OR_PARK"


UNIT_KIND_LABELS = {
    UnitKind.NON_PUBLIC_ENTERPRISE: "非公有制企业",
    UnitKind.STATE_ENTERPRISE: "国有企业",
    UnitKind.SOCIAL_ORGANIZATION: "社会组织",
    UnitKind.PUBLIC_INSTITUTION: "事业单位",
    UnitKind.GOVERNMENT_ORGAN: "机关",
    UnitKind.VILLAGE: "村",
    UnitKind.COMMUNITY: "社区",
    UnitKind.MIGRANT_WORKER_GROUP: "外来务工人员群体",
    UnitKind.BUILDING_OR_PARK: "楼宇、园区",
}

HEADCOUNT_FIELDS = ("employees", "partyMembers", "leagueMembers", "unionMembers", "women", "youth")
HEADCOUNT_LABELS = {
    "employees": "职工",
    "partyMembers": "正式党员",
    "leagueMembers": "团员",
    "unionMembers": "工会会员",
    "women": "女职工",
    "youth": "青年",
}


def headcount_problems(counts: dict[str, int]) -> list[tuple[str, str, str]]:
    """Negative counts, and subgroups larger than the workforce: (field, zh, en) triples."""
    problems = [
        (name, f"{HEADCOUNT_LABELS[name]}人数不能为负数", f"{name} cannot be negative")
        for name in HEADCOUNT_FIELDS
        if counts[name] < 0
    ]
    employees = counts["employees"]
    for name in ("unionMembers", "women", "youth"):
        if counts[name] > employees >= 0:
            problems.append(
                (
                    name,
                    f"{HEADCOUNT_LABELS[name]}人数不能超过职工总数",
                    f"{name} cannot exceed the number of employees",
                )
            )
    return problems
