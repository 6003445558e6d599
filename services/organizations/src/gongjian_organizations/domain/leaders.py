"""Leaders (带头人): posts and default term lengths."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic_settings import BaseSettings, SettingsConfigDict

from gongjian_organizations.domain.organizations import OrganizationFamily


class LeaderPost(StrEnum):
    SECRETARY = "SECRETARY"
    DEPUTY_SECRETARY = "DEPUTY_SECRETARY"
    CHAIR = "CHAIR"
    VICE_CHAIR = "VICE_CHAIR"
    COMMITTEE_MEMBER = "COMMITTEE_MEMBER"


LEADER_POST_LABELS = {
    LeaderPost.SECRETARY: "书记",
    LeaderPost.DEPUTY_SECRETARY: "副书记",
    LeaderPost.CHAIR: "主席",
    LeaderPost.VICE_CHAIR: "副主席",
    LeaderPost.COMMITTEE_MEMBER: "委员",
}


class TermLengths(BaseSettings):
    """Default terms in years (``TERM_YEARS_PARTY`` …): party branch 3, union 5, league 3,
    women's committee 5."""

    model_config = SettingsConfigDict(env_prefix="TERM_YEARS_", extra="ignore")

    party: int = 3
    trade_union: int = 5
    youth_league: int = 3
    womens_federation: int = 5

    def years(self, family: OrganizationFamily) -> int:
        return int(getattr(self, family.value.lower()))

    def term_end(self, family: OrganizationFamily, start: date) -> date:
        years = self.years(family)
        try:
            return start.replace(year=start.year + years)
        except ValueError:  # 29 February
            return start.replace(year=start.year + years, day=28)


class GroupKind(StrEnum):
    PARTY_GROUP = "PARTY_GROUP"  # 党小组
    LEAGUE_GROUP = "LEAGUE_GROUP"  # 团小组
    UNION_GROUP = "UNION_GROUP"  # 工会小组
    WOMEN_GROUP = "WOMEN_GROUP"  # 妇代小组


GROUP_KIND_LABELS = {
    GroupKind.PARTY_GROUP: "党小组",
    GroupKind.LEAGUE_GROUP: "团小组",
    GroupKind.UNION_GROUP: "工会小组",
    GroupKind.WOMEN_GROUP: "妇代小组",
}
GROUP_KIND_OF_FAMILY = {
    OrganizationFamily.PARTY: GroupKind.PARTY_GROUP,
    OrganizationFamily.YOUTH_LEAGUE: GroupKind.LEAGUE_GROUP,
    OrganizationFamily.TRADE_UNION: GroupKind.UNION_GROUP,
    OrganizationFamily.WOMENS_FEDERATION: GroupKind.WOMEN_GROUP,
}
