"""Kinds of organisation, their four families, and how an organisation is set up (建立方式)."""

from __future__ import annotations

from enum import StrEnum


class OrganizationFamily(StrEnum):
    PARTY = "PARTY"
    TRADE_UNION = "TRADE_UNION"
    YOUTH_LEAGUE = "YOUTH_LEAGUE"
    WOMENS_FEDERATION = "WOMENS_FEDERATION"


class OrganizationKind(StrEnum):
    PARTY_COMMITTEE = "PARTY_COMMITTEE"
    PARTY_GENERAL_BRANCH = "PARTY_GENERAL_BRANCH"
    PARTY_BRANCH = "PARTY_BRANCH"
    TRADE_UNION = "TRADE_UNION"
    YOUTH_LEAGUE = "YOUTH_LEAGUE"
    WOMENS_FEDERATION = "WOMENS_FEDERATION"

    @property
    def family(self) -> OrganizationFamily:
        return KIND_FAMILY[self]


KIND_FAMILY = {
    OrganizationKind.PARTY_COMMITTEE: OrganizationFamily.PARTY,
    OrganizationKind.PARTY_GENERAL_BRANCH: OrganizationFamily.PARTY,
    OrganizationKind.PARTY_BRANCH: OrganizationFamily.PARTY,
    OrganizationKind.TRADE_UNION: OrganizationFamily.TRADE_UNION,
    OrganizationKind.YOUTH_LEAGUE: OrganizationFamily.YOUTH_LEAGUE,
    OrganizationKind.WOMENS_FEDERATION: OrganizationFamily.WOMENS_FEDERATION,
}

KIND_LABELS = {
    OrganizationKind.PARTY_COMMITTEE: "党委",
    OrganizationKind.PARTY_GENERAL_BRANCH: "党总支",
    OrganizationKind.PARTY_BRANCH: "党支部",
    OrganizationKind.TRADE_UNION: "工会",
    OrganizationKind.YOUTH_LEAGUE: "共青团",
    OrganizationKind.WOMENS_FEDERATION: "妇联",
}

FAMILY_LABELS = {
    OrganizationFamily.PARTY: "党组织",
    OrganizationFamily.TRADE_UNION: "工会",
    OrganizationFamily.YOUTH_LEAGUE: "共青团",
    OrganizationFamily.WOMENS_FEDERATION: "妇联",
}


class Establishment(StrEnum):
    STANDALONE = "STANDALONE"  # 单独建
    AFFILIATED = "AFFILIATED"  # 挂靠建: attached to a host organisation in another unit
    JOINT = "JOINT"  # 联合建: jointly with neighbouring units


ESTABLISHMENT_LABELS = {
    Establishment.STANDALONE: "单独建",
    Establishment.AFFILIATED: "挂靠建",
    Establishment.JOINT: "联合建",
}


def establishment_problems(
    establishment: Establishment, unit_count: int, has_host: bool
) -> list[tuple[str, str, str]]:
    """What is wrong with the units and host given for a mode: (field, zh, en) triples."""
    problems: list[tuple[str, str, str]] = []
    if establishment is Establishment.STANDALONE and unit_count != 1:
        problems.append(
            (
                "unitIds",
                "单独建的组织须覆盖且仅覆盖一个单位",
                "A standalone organisation covers exactly one unit",
            )
        )
    if establishment is Establishment.JOINT and unit_count < 2:
        problems.append(
            (
                "unitIds",
                "联合建的组织须覆盖两个或以上单位",
                "A joint organisation covers two or more units",
            )
        )
    if establishment is Establishment.AFFILIATED:
        if unit_count < 1:
            problems.append(
                (
                    "unitIds",
                    "挂靠建的组织须注明所覆盖的单位",
                    "An affiliated organisation names the unit it covers",
                )
            )
        if not has_host:
            problems.append(
                (
                    "hostOrganizationId",
                    "挂靠建的组织须注明挂靠的组织",
                    "An affiliated organisation names its host organisation",
                )
            )
    elif has_host:
        problems.append(
            (
                "hostOrganizationId",
                "只有挂靠建的组织才有挂靠组织",
                "Only an affiliated organisation has a host organisation",
            )
        )
    return problems
