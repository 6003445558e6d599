"""Pairings (结对) and their visits (走访): pure rules, no I/O.

A pairing ties two or more parties (organisations, people, units, areas) for a term, with goals;
it is ACTIVE until it is ended (ENDED, with a reason). Visits are logged under an active pairing:
the day, who went, what they saw, and the problems found (each may open a case of the desk in
the same step). A pairing that goes too long without a visit is listed for follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from gongjian_kit.areas import AreaLevel, area_level, is_area_code


class PairingKind(StrEnum):
    ORG_ORG = "ORG_ORG"  # 党群组织联建
    CADRE_HOUSEHOLD = "CADRE_HOUSEHOLD"  # 结对帮扶
    URBAN_RURAL = "URBAN_RURAL"  # 城乡手拉手
    LEADER_CONTACT_POINT = "LEADER_CONTACT_POINT"  # 领导干部联系点
    GUIDANCE_GROUP = "GUIDANCE_GROUP"  # 街道指导组 → 社区
    RESPONSIBILITY_UNIT = "RESPONSIBILITY_UNIT"  # 成员单位包抓社区


KIND_LABELS = {
    PairingKind.ORG_ORG: "党群组织联建",
    PairingKind.CADRE_HOUSEHOLD: "结对帮扶",
    PairingKind.URBAN_RURAL: "城乡手拉手",
    PairingKind.LEADER_CONTACT_POINT: "领导干部联系点",
    PairingKind.GUIDANCE_GROUP: "街道指导组",
    PairingKind.RESPONSIBILITY_UNIT: "成员单位包抓社区",
}


class PartyKind(StrEnum):
    ORGANIZATION = "ORGANIZATION"
    PERSON = "PERSON"
    UNIT = "UNIT"
    AREA = "AREA"


PARTY_LABELS = {
    PartyKind.ORGANIZATION: "组织",
    PartyKind.PERSON: "人员",
    PartyKind.UNIT: "单位",
    PartyKind.AREA: "区划",
}


class PairingStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"


STATUS_LABELS = {PairingStatus.ACTIVE: "结对中", PairingStatus.ENDED: "已结束"}

MIN_PARTIES, MAX_PARTIES = 2, 20
MAX_TITLE = 200
MAX_GOALS = 2000
MAX_ROLE = 50
MAX_NOTES = 5000
MAX_VISITORS = 20
MAX_PROBLEMS = 20
MAX_PROBLEM_TEXT = 5000
MAX_DAYS = 3660  # pairingsWithoutVisit: up to ten years
LEAD_DAYS = 366  # a pairing may be recorded up to a year before it starts

Problem = tuple[str, str, str]  # (field, zh, en)


@dataclass(frozen=True)
class Party:
    """One side of a pairing: an organisation, person or unit by id, or an area by its code."""

    kind: PartyKind
    ref: str | None  # the id (ORGANIZATION, PERSON, UNIT) or the area code (AREA)
    role: str | None = None  # 指导组、帮扶干部、困难户 …

    @property
    def key(self) -> tuple[PartyKind, str | None]:
        return (self.kind, self.ref)


def needs_community(kind: PairingKind) -> bool:
    """A street's guidance group and a member unit's responsibility are for a community."""
    return kind in {PairingKind.GUIDANCE_GROUP, PairingKind.RESPONSIBILITY_UNIT}


def party_problems(kind: PairingKind, parties: list[Party]) -> list[Problem]:
    """What is wrong with the parties as given (their existence is the use case's to check)."""
    found: list[Problem] = []
    if not MIN_PARTIES <= len(parties) <= MAX_PARTIES:
        found.append(
            ("parties", "结对须有2至20方", "A pairing has 2 to 20 parties"),
        )
    seen: set[tuple[PartyKind, str | None]] = set()
    for i, party in enumerate(parties):
        field = f"parties[{i}]"
        if party.kind is PartyKind.AREA and not is_area_code(party.ref):
            found.append(
                (f"{field}.areaCode", "区划代码应为12位数字", "The area code is 12 digits")
            )
        elif party.ref is None:
            found.append((f"{field}.id", "请填写结对方编号", "Give the party's id"))
        if party.role is not None and len(party.role.strip()) > MAX_ROLE:
            found.append(
                (f"{field}.role", "身份说明不超过50字", "The role is at most 50 characters")
            )
        if party.key in seen:
            found.append((field, "结对方重复", "The same party is given twice"))
        seen.add(party.key)
    found.extend(_kind_problems(kind, parties))
    return found


def _kind_problems(kind: PairingKind, parties: list[Party]) -> list[Problem]:
    kinds = [p.kind for p in parties]
    if kind is PairingKind.ORG_ORG and kinds.count(PartyKind.ORGANIZATION) < MIN_PARTIES:
        return [("parties", "组织联建须有至少两个组织", "ORG_ORG pairs two organisations or more")]
    if kind in {PairingKind.CADRE_HOUSEHOLD, PairingKind.LEADER_CONTACT_POINT} and (
        PartyKind.PERSON not in kinds
    ):
        return [
            (
                "parties",
                "结对帮扶、领导干部联系点须有一名干部（人员）",
                "This kind of pairing names a cadre or leader (a person party)",
            )
        ]
    if needs_community(kind) and not any(
        p.kind is PartyKind.AREA
        and is_area_code(p.ref)
        and area_level(p.ref or "") is AreaLevel.COMMUNITY
        for p in parties
    ):
        return [
            (
                "parties",
                "指导组、包抓社区的结对须有一个社区（区划）",
                "This kind of pairing is with a community (an area party at community level)",
            )
        ]
    return []


def term_problems(
    title: str, starts_on: date, ends_on: date | None, goals: str | None, today: date
) -> list[Problem]:
    found: list[Problem] = []
    if not 1 <= len(title.strip()) <= MAX_TITLE:
        found.append(("title", "结对名称为1至200字", "The title is 1 to 200 characters"))
    if starts_on > today + timedelta(days=LEAD_DAYS):
        found.append(
            ("startsOn", "开始日期不能晚于一年以后", "The term starts within a year from today")
        )
    if ends_on is not None and ends_on <= starts_on:
        found.append(("endsOn", "结束日期须晚于开始日期", "endsOn must be after startsOn"))
    if goals is not None and len(goals) > MAX_GOALS:
        found.append(("goals", "结对目标不超过2000字", "The goals are at most 2000 characters"))
    return found


def end_problems(starts_on: date, ended_on: date, today: date) -> list[Problem]:
    if ended_on > today:
        return [("endedOn", "结束日期不能晚于今天", "endedOn cannot be in the future")]
    if ended_on < starts_on:
        return [("endedOn", "结束日期不能早于结对开始", "endedOn cannot be before the start")]
    return []


@dataclass(frozen=True)
class FoundProblem:
    """A problem a visit found; ``opens_case``: it opens a case of the desk in the same step."""

    title: str
    description: str | None = None
    opens_case: bool = False


def visit_problems(
    visited_on: date,
    visitor_count: int,
    notes: str | None,
    found: list[FoundProblem],
    today: date,
) -> list[Problem]:
    """What is wrong with a visit as given (the pairing's own dates are checked once loaded)."""
    problems: list[Problem] = []
    if visited_on > today:
        problems.append(("visitedOn", "走访日期不能晚于今天", "visitedOn cannot be in the future"))
    if not 1 <= visitor_count <= MAX_VISITORS:
        problems.append(("visitorIds", "走访人员为1至20人", "A visit has 1 to 20 visitors"))
    if notes is not None and len(notes) > MAX_NOTES:
        problems.append(("notes", "走访记录不超过5000字", "The notes are at most 5000 characters"))
    if len(found) > MAX_PROBLEMS:
        problems.append(("problems", "一次走访最多记录20个问题", "At most 20 problems a visit"))
    for i, item in enumerate(found[:MAX_PROBLEMS]):
        if not 1 <= len(item.title.strip()) <= MAX_TITLE:
            problems.append(
                (f"problems[{i}].title", "问题摘要为1至200字", "The title is 1 to 200 characters")
            )
        if item.description is not None and len(item.description) > MAX_PROBLEM_TEXT:
            problems.append(
                (
                    f"problems[{i}].description",
                    "问题描述不超过5000字",
                    "The description is at most 5000 characters",
                )
            )
    return problems


def visit_date_problems(
    visited_on: date, starts_on: date, status: PairingStatus
) -> list[tuple[str, str, str, bool]]:
    """The visit against its pairing: (field, zh, en, conflict)."""
    if status is PairingStatus.ENDED:
        return [("pairingId", "结对已结束，不能再登记走访", "The pairing has ended", True)]
    if visited_on < starts_on:
        return [
            (
                "visitedOn",
                "走访日期不能早于结对开始日期",
                "visitedOn cannot be before the pairing started",
                False,
            )
        ]
    return []


def quiet_since(starts_on: date, last_visit_on: date | None) -> date:
    """The day a pairing's quiet spell began: its last visit, or its start when never visited."""
    return last_visit_on if last_visit_on is not None else starts_on


def days_since_visit(starts_on: date, last_visit_on: date | None, today: date) -> int:
    """Days since the last visit (since the start when never visited); 0 before the start."""
    return max(0, (today - quiet_since(starts_on, last_visit_on)).days)


def quiet_cutoff(today: date, days: int) -> date:
    """No visit in the last ``days`` days (today and the ``days - 1`` before it): the last visit,
    or the start of a pairing never visited, is on or before this day."""
    return today - timedelta(days=days)


def without_visit(starts_on: date, last_visit_on: date | None, today: date, days: int) -> bool:
    return quiet_since(starts_on, last_visit_on) <= quiet_cutoff(today, days)
