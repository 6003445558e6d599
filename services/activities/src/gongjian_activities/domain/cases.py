"""The case desk (诉求): rights and help requests, their time limits and their lifecycle.

OPEN → ACCEPTED → IN_PROGRESS → RESOLVED → CLOSED. A case may be resolved straight from ACCEPTED
(answered on the phone), transferred to another organisation while it is not resolved (the clock
keeps running), and reopened within a window after it was resolved or closed (back to
IN_PROGRESS, the same deadline). A case past its deadline and not resolved is overdue; the first
time the service notices, it escalates it to the handling organisation's superior.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class Channel(StrEnum):
    HOTLINE = "HOTLINE"  # 维权热线 (12351 …)
    WORKSTATION = "WORKSTATION"  # 维权工作站
    CONTACT_CARD = "CONTACT_CARD"  # 帮扶联系卡、干群连心卡
    SUGGESTION_BOX = "SUGGESTION_BOX"  # 便民服务箱
    DELIBERATION_DAY = "DELIBERATION_DAY"  # 民主议政日
    ERRAND = "ERRAND"  # 为民办事全程代理
    VISIT = "VISIT"  # 走访发现
    ONLINE = "ONLINE"  # 网上提交


CHANNEL_LABELS = {
    Channel.HOTLINE: "维权热线",
    Channel.WORKSTATION: "维权工作站",
    Channel.CONTACT_CARD: "帮扶联系卡",
    Channel.SUGGESTION_BOX: "便民服务箱",
    Channel.DELIBERATION_DAY: "民主议政日",
    Channel.ERRAND: "全程代理",
    Channel.VISIT: "走访发现",
    Channel.ONLINE: "网上诉求",
}


class Urgency(StrEnum):
    URGENT = "URGENT"
    NORMAL = "NORMAL"
    COMPLEX = "COMPLEX"


URGENCY_LABELS = {Urgency.URGENT: "紧急", Urgency.NORMAL: "一般", Urgency.COMPLEX: "复杂"}


class CaseStatus(StrEnum):
    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


STATUS_LABELS = {
    CaseStatus.OPEN: "待受理",
    CaseStatus.ACCEPTED: "已受理",
    CaseStatus.IN_PROGRESS: "办理中",
    CaseStatus.RESOLVED: "已办结",
    CaseStatus.CLOSED: "已回访关闭",
}

# Not yet resolved: the clock runs, the case can be overdue, transferred, escalated.
PENDING = frozenset({CaseStatus.OPEN, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS})

MOVES: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.ACCEPTED}),
    CaseStatus.ACCEPTED: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED}),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.RESOLVED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.IN_PROGRESS}),
    CaseStatus.CLOSED: frozenset({CaseStatus.IN_PROGRESS}),
}

# What each step is called, for refusals ("a case that is 待受理 cannot be closed").
ACTION_LABELS = {
    CaseStatus.ACCEPTED: ("受理", "accepted"),
    CaseStatus.IN_PROGRESS: ("开始办理", "put in progress"),
    CaseStatus.RESOLVED: ("办结", "resolved"),
    CaseStatus.CLOSED: ("回访关闭", "closed"),
}


def can_move(current: CaseStatus, target: CaseStatus) -> bool:
    return target in MOVES[current]


def refusal(current: CaseStatus, action_zh: str, action_en: str) -> tuple[str, str]:
    return (
        f"诉求当前为“{STATUS_LABELS[current]}”，不能{action_zh}",
        f"A case that is {current.value} cannot be {action_en}",
    )


class RequesterKind(StrEnum):
    PERSON = "PERSON"  # a registered person
    NAMED = "NAMED"  # a name and a phone (encrypted), not a registered person
    ANONYMOUS = "ANONYMOUS"


REQUESTER_LABELS = {
    RequesterKind.PERSON: "登记人员",
    RequesterKind.NAMED: "来电/来访群众",
    RequesterKind.ANONYMOUS: "匿名",
}


class StepKind(StrEnum):
    """A line of a case's timeline."""

    OPENED = "OPENED"
    ACCEPTED = "ACCEPTED"
    STARTED = "STARTED"
    TRANSFERRED = "TRANSFERRED"
    ESCALATED = "ESCALATED"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REOPENED = "REOPENED"


STEP_LABELS = {
    StepKind.OPENED: "登记",
    StepKind.ACCEPTED: "受理",
    StepKind.STARTED: "办理",
    StepKind.TRANSFERRED: "转办",
    StepKind.ESCALATED: "超期上报",
    StepKind.RESOLVED: "办结",
    StepKind.CLOSED: "回访关闭",
    StepKind.REOPENED: "重新办理",
}

SATISFACTION_RANGE = range(1, 6)  # 1 (very dissatisfied) to 5 (very satisfied)


def is_overdue(status: CaseStatus, due_on: date, today: date) -> bool:
    """Past its deadline and not yet resolved (the deadline day itself is still in time)."""
    return status in PENDING and today > due_on


def on_time(due_on: date, resolved_on: date) -> bool:
    return resolved_on <= due_on
