"""What a bulletin holds: pure data, kept as JSON (``bulletin.content``) so that the PDF and the
workbook drawn at download time show the numbers the mutation answered."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from gongjian_evaluation.export.results import FAMILY_LABELS

TITLE = "信息通报"
# The lines of work (五项工作) as activities name them; an activity without one: 未分条线.
LINE_LABELS = {
    "DUAL_CULTIVATION": "双育双带",
    "CONTRIBUTION_AT_WORK": "岗位建功",
    "SERVING_THE_PEOPLE": "服务群众",
    "PAIRING": "结对共建",
    "MECHANISMS": "健全机制",
}
NO_LINE = "NONE"
NO_LINE_LABEL = "未分条线"
# The headline figures, in the order they are shown: code, label.
FIGURE_LABELS: tuple[tuple[str, str], ...] = (
    ("completedActivities", "完成活动（场）"),
    ("peopleServed", "服务群众（人次）"),
    ("volunteerHours", "志愿服务时长（小时）"),
    ("casesOpened", "受理诉求（件）"),
    ("casesResolved", "办结诉求（件）"),
    ("casesResolvedOnTime", "按期办结（件）"),
    ("satisfactionAverage", "满意度均值（1-5）"),
    ("pledgesMade", "承诺事项（项）"),
    ("pledgesFulfilled", "兑现承诺（项）"),
    ("decisionsMade", "联席会议决定事项（项）"),
    ("decisionsDone", "落实决定事项（项）"),
)
OVERDUE_KINDS = {"CASE": "超期诉求", "DECISION": "超期决定事项"}
SHOWN_OVERDUE = 50  # the documents list this many overdue items (the counts are whole)


def previous_period(period_from: date, period_to: date) -> tuple[date, date]:
    """The period of the same length just before ``period_from``."""
    length = period_to - period_from
    previous_to = period_from - timedelta(days=1)
    return previous_to - length, previous_to


def line_label(line: str) -> str:
    return LINE_LABELS.get(line, NO_LINE_LABEL if line == NO_LINE else line)


def family_label(family: str) -> str:
    return FAMILY_LABELS.get(family, family)


def number_text(value: float | None) -> str:
    """A figure as the documents print it: whole numbers bare, others to two places."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def change_text(value: float | None, previous: float | None) -> str:
    if value is None or previous is None:
        return "—"
    change = round(value - previous, 2)
    return ("+" if change > 0 else "") + number_text(change)


@dataclass(frozen=True)
class Figure:
    code: str
    label_zh: str
    value: float | None  # None: nothing to average
    previous: float | None

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return round(self.value - self.previous, 2)


@dataclass(frozen=True)
class LineFigure:
    line: str
    label_zh: str
    completed: int
    previous: int
    people_served: int
    volunteer_hours: float


@dataclass(frozen=True)
class SubArea:
    rank: int
    area_code: str
    completed: int
    people_served: int


@dataclass(frozen=True)
class Gap:
    area_code: str
    family: str
    family_label_zh: str


@dataclass(frozen=True)
class Overdue:
    kind: str  # CASE or DECISION
    source_id: str
    area_code: str
    due_on: date


@dataclass(frozen=True)
class Month:
    month: str  # 2026-03
    completed: int


@dataclass(frozen=True)
class Bulletin:
    id: uuid.UUID
    area_code: str
    period_from: date
    period_to: date
    previous_from: date
    previous_to: date
    generated_at: datetime
    figures: list[Figure]
    lines: list[LineFigure]
    sub_areas: list[SubArea]
    gaps: list[Gap]
    overdue_cases: int
    overdue_decisions: int
    overdue: list[Overdue] = field(default_factory=list)
    months: list[Month] = field(default_factory=list)

    def figure(self, code: str) -> Figure:
        return next(f for f in self.figures if f.code == code)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["id"] = str(self.id)
        for key in ("period_from", "period_to", "previous_from", "previous_to"):
            data[key] = data[key].isoformat()
        data["generated_at"] = self.generated_at.isoformat()
        for item in data["overdue"]:
            item["due_on"] = item["due_on"].isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Bulletin:
        return cls(
            id=uuid.UUID(data["id"]),
            area_code=data["area_code"],
            period_from=date.fromisoformat(data["period_from"]),
            period_to=date.fromisoformat(data["period_to"]),
            previous_from=date.fromisoformat(data["previous_from"]),
            previous_to=date.fromisoformat(data["previous_to"]),
            generated_at=datetime.fromisoformat(data["generated_at"]),
            figures=[Figure(**f) for f in data["figures"]],
            lines=[LineFigure(**f) for f in data["lines"]],
            sub_areas=[SubArea(**f) for f in data["sub_areas"]],
            gaps=[Gap(**f) for f in data["gaps"]],
            overdue_cases=data["overdue_cases"],
            overdue_decisions=data["overdue_decisions"],
            overdue=[
                Overdue(**{**f, "due_on": date.fromisoformat(f["due_on"])}) for f in data["overdue"]
            ],
            months=[Month(**f) for f in data["months"]],
        )


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def period_text(period_from: date, period_to: date) -> str:
    return f"{chinese_date(period_from)}至{chinese_date(period_to)}"
