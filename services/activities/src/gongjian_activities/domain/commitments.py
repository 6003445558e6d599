"""Commitments kept in public: service pledges (为民服务承诺), the decisions of joint meetings of
party, union, league and women (联席会议决定), and ventures that lead people (双带).

A pledge is MADE with a due date; it is FULFILLED with evidence (on time when fulfilled by the
due date), or it LAPSES when its due date passes unfulfilled (a lapsed pledge may still be
fulfilled late). A decision is OPEN until it is DONE or DROPPED (with a reason); an open decision
past its due date is overdue. A venture's figures (people employed, people led) are updated over
time and every update is kept.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

Problem = tuple[str, str, str]  # (field, zh, en)

MAX_CONTENT = 500
MAX_EVIDENCE = 2000
MAX_MINUTES = 20_000
MAX_REASON = 500
MAX_VENTURE_NAME = 200
MAX_COUNT = 100_000
MAX_ATTENDEES = 50
MAX_DECISIONS = 50
MAX_ATTENDEE_COUNT = 10_000


class PledgerKind(StrEnum):
    ORGANIZATION = "ORGANIZATION"  # 组织承诺
    MEMBER = "MEMBER"  # 党员承诺


PLEDGER_LABELS = {PledgerKind.ORGANIZATION: "组织承诺", PledgerKind.MEMBER: "党员承诺"}

# Who may pledge as a member: party members, full or on probation (预备党员).
PLEDGING_STATUSES = frozenset({"PARTY_MEMBER", "PROBATIONARY_PARTY_MEMBER"})


class PledgeStatus(StrEnum):
    MADE = "MADE"
    FULFILLED = "FULFILLED"
    LAPSED = "LAPSED"


PLEDGE_STATUS_LABELS = {
    PledgeStatus.MADE: "已承诺",
    PledgeStatus.FULFILLED: "已践诺",
    PledgeStatus.LAPSED: "逾期未践诺",
}


class DecisionStatus(StrEnum):
    OPEN = "OPEN"
    DONE = "DONE"
    DROPPED = "DROPPED"


DECISION_STATUS_LABELS = {
    DecisionStatus.OPEN: "落实中",
    DecisionStatus.DONE: "已落实",
    DecisionStatus.DROPPED: "已撤销",
}

DECISION_ACTIONS = {
    DecisionStatus.DONE: ("办结", "completed"),
    DecisionStatus.DROPPED: ("撤销", "dropped"),
}


class VentureKind(StrEnum):
    YOUTH_DEMONSTRATION = "YOUTH_DEMONSTRATION"
    WOMEN = "WOMEN"
    PARTY_MEMBER = "PARTY_MEMBER"
    LEAGUE_MEMBER = "LEAGUE_MEMBER"
    LEADING_MASSES = "LEADING_MASSES"


VENTURE_KIND_LABELS = {
    VentureKind.YOUTH_DEMONSTRATION: "青年创业示范户",
    VentureKind.WOMEN: "巾帼创业",
    VentureKind.PARTY_MEMBER: "党员创业",
    VentureKind.LEAGUE_MEMBER: "团员创业",
    VentureKind.LEADING_MASSES: "带领群众创业",
}

# The four families a joint meeting brings together (organization_ref.family).
FAMILIES = ("PARTY", "TRADE_UNION", "YOUTH_LEAGUE", "WOMENS_FEDERATION")
FAMILY_LABELS = {
    "PARTY": "党组织",
    "TRADE_UNION": "工会",
    "YOUTH_LEAGUE": "共青团",
    "WOMENS_FEDERATION": "妇联",
}


def text_problem(text: str | None, field: str, most: int, zh_name: str) -> Problem | None:
    """A required text of 1 to ``most`` characters (after trimming)."""
    value = (text or "").strip()
    if not value or len(value) > most:
        return (field, f"{zh_name}不能为空且不超过{most}字", f"{field} is 1 to {most} characters")
    return None


def pledge_problems(content: str, made_on: date, due_on: date, today: date) -> list[Problem]:
    """What is wrong with a pledge as stated: its content, and its dates."""
    problems = []
    if found := text_problem(content, "content", MAX_CONTENT, "承诺内容"):
        problems.append(found)
    if made_on > today:
        problems.append(("madeOn", "承诺日期不能晚于今天", "madeOn cannot be in the future"))
    if due_on <= made_on:
        problems.append(("dueOn", "践诺期限须晚于承诺日期", "dueOn must be after madeOn"))
    return problems


def fulfilment_problems(
    evidence: str, fulfilled_on: date, made_on: date, today: date
) -> list[Problem]:
    """What is wrong with a fulfilment: evidence 1–2000 characters, a day not in the future and
    not before the pledge was made."""
    problems = []
    if found := text_problem(evidence, "evidence", MAX_EVIDENCE, "践诺佐证"):
        problems.append(found)
    if fulfilled_on > today:
        problems.append(
            ("fulfilledOn", "践诺日期不能晚于今天", "fulfilledOn cannot be in the future")
        )
    elif fulfilled_on < made_on:
        problems.append(
            ("fulfilledOn", "践诺日期不能早于承诺日期", "fulfilledOn cannot be before madeOn")
        )
    return problems


def can_fulfil(status: PledgeStatus) -> bool:
    """A pledge made, or lapsed (fulfilled late), may be fulfilled; once only."""
    return status in (PledgeStatus.MADE, PledgeStatus.LAPSED)


def on_time(due_on: date, done_on: date) -> bool:
    """Kept by the end of the due day."""
    return done_on <= due_on


def lapses(status: PledgeStatus, due_on: date, today: date) -> bool:
    """A pledge still only made whose due day has passed."""
    return status is PledgeStatus.MADE and today > due_on


def pledge_refusal(current: PledgeStatus) -> tuple[str, str]:
    return (
        f"承诺当前为“{PLEDGE_STATUS_LABELS[current]}”，不能再次践诺",
        f"A pledge that is {current.value} cannot be fulfilled again",
    )


def can_move_decision(current: DecisionStatus, target: DecisionStatus) -> bool:
    """OPEN → DONE | DROPPED; nothing moves a decision once it is done or dropped."""
    return current is DecisionStatus.OPEN and target in DECISION_ACTIONS


def decision_refusal(current: DecisionStatus, target: DecisionStatus) -> tuple[str, str]:
    zh, en = DECISION_ACTIONS[target]
    return (
        f"决定事项当前为“{DECISION_STATUS_LABELS[current]}”，不能{zh}",
        f"A decision that is {current.value} cannot be {en}",
    )


def decision_overdue(status: DecisionStatus, due_on: date, today: date) -> bool:
    """Open and past its due day (the due day itself is still in time)."""
    return status is DecisionStatus.OPEN and today > due_on


def decision_due_problem(due_on: date, meeting_day: date, prefix: str) -> Problem | None:
    """A decision is due no earlier than the meeting that made it."""
    if due_on < meeting_day:
        return (
            f"{prefix}dueOn",
            "落实期限不能早于会议日期",
            "dueOn cannot be before the meeting's day",
        )
    return None


def missing_families(present: set[str]) -> list[str]:
    """The families of the four not represented at a joint meeting, in their usual order."""
    return [f for f in FAMILIES if f not in present]


def count_problems(people_employed: int, people_led: int) -> list[Problem]:
    problems = []
    for field, value, zh in (
        ("peopleEmployed", people_employed, "吸纳就业人数"),
        ("peopleLed", people_led, "带动群众人数"),
    ):
        if not 0 <= value <= MAX_COUNT:
            problems.append((field, f"{zh}须为0至{MAX_COUNT}", f"{field} must be 0 to {MAX_COUNT}"))
    return problems


def venture_problems(
    name: str, started_on: date, people_employed: int, people_led: int, today: date
) -> list[Problem]:
    problems = []
    if found := text_problem(name, "name", MAX_VENTURE_NAME, "创业项目名称"):
        problems.append(found)
    if started_on > today:
        problems.append(("startedOn", "创业日期不能晚于今天", "startedOn cannot be in the future"))
    problems.extend(count_problems(people_employed, people_led))
    return problems


def venture_leader_problem(kind: VentureKind, political_status: str | None) -> Problem | None:
    """党员创业 is led by a party member (full or on probation)."""
    if kind is VentureKind.PARTY_MEMBER and political_status not in PLEDGING_STATUSES:
        return (
            "leaderPersonId",
            "党员创业的带头人须为党员（含预备党员）",
            "A PARTY_MEMBER venture is led by a party member",
        )
    return None
