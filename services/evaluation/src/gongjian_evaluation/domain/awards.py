"""Awards (表彰) of 创先争优: the titles, which subjects each fits, the public notice period (公示)
counted in working days, and the moves PROPOSED → CONFERRED | WITHDRAWN."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from gongjian_kit.workdays import WorkCalendar


class AwardTitle(StrEnum):
    ADVANCED_COLLECTIVE = "ADVANCED_COLLECTIVE"  # 先进集体 (五个好)
    MODEL_LEARNING = "MODEL_LEARNING"  # 五标兵 …
    MODEL_POLICY = "MODEL_POLICY"
    MODEL_SERVICE = "MODEL_SERVICE"
    MODEL_DEDICATION = "MODEL_DEDICATION"
    MODEL_DISCIPLINE = "MODEL_DISCIPLINE"


TITLE_LABELS = {
    AwardTitle.ADVANCED_COLLECTIVE: "先进集体",
    AwardTitle.MODEL_LEARNING: "自觉学习标兵",
    AwardTitle.MODEL_POLICY: "执行政策标兵",
    AwardTitle.MODEL_SERVICE: "服务职工/青年/妇女标兵",
    AwardTitle.MODEL_DEDICATION: "爱岗敬业标兵",
    AwardTitle.MODEL_DISCIPLINE: "遵纪守法标兵",
}


class AwardSubject(StrEnum):
    """Who an award goes to: an organisation (先进集体) or a person (标兵)."""

    ORGANIZATION = "ORGANIZATION"
    PERSON = "PERSON"


# Which subjects a title is for: 先进集体 for organisations, the 标兵 for people.
TITLES_FOR = {
    AwardSubject.ORGANIZATION: frozenset({AwardTitle.ADVANCED_COLLECTIVE}),
    AwardSubject.PERSON: frozenset(AwardTitle) - {AwardTitle.ADVANCED_COLLECTIVE},
}


class AwardStatus(StrEnum):
    PROPOSED = "PROPOSED"  # 拟表彰, under public notice
    CONFERRED = "CONFERRED"
    WITHDRAWN = "WITHDRAWN"


STATUS_LABELS = {
    AwardStatus.PROPOSED: "拟表彰（公示）",
    AwardStatus.CONFERRED: "已授予",
    AwardStatus.WITHDRAWN: "已撤回",
}

MOVES = {
    AwardStatus.PROPOSED: frozenset({AwardStatus.CONFERRED, AwardStatus.WITHDRAWN}),
    AwardStatus.CONFERRED: frozenset(),
    AwardStatus.WITHDRAWN: frozenset(),
}
ACTION_LABELS = {
    AwardStatus.CONFERRED: ("授予", "conferred"),
    AwardStatus.WITHDRAWN: ("撤回", "withdrawn"),
}


def title_fits(title: AwardTitle, subject_kind: str) -> bool:
    return title in TITLES_FOR.get(AwardSubject(subject_kind), frozenset())


def can_move(current: AwardStatus, target: AwardStatus) -> bool:
    return target in MOVES[current]


def refusal(current: AwardStatus, action_zh: str, action_en: str) -> tuple[str, str]:
    """Why an award in ``current`` cannot be moved (zh, en), naming its status."""
    return (
        f"该表彰当前为“{STATUS_LABELS[current]}”，不能{action_zh}",
        f"An award that is {current.value} cannot be {action_en}",
    )


@dataclass(frozen=True)
class Notice:
    """A public notice: posted on ``starts_on``, open to objections up to and including
    ``last_day``; the award may be conferred from the day after."""

    starts_on: date
    last_day: date

    def open_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.last_day

    def over_on(self, day: date) -> bool:
        return day > self.last_day

    @property
    def confer_from(self) -> date:
        return self.last_day + timedelta(days=1)


def notice_period(proposed_on: date, working_days: int, calendar: WorkCalendar) -> Notice:
    """The notice of an award proposed on ``proposed_on``: posted that day and lasting
    ``working_days`` full working days after it (the day of posting, often half gone, does not
    count; holidays and weekends do not, 调休 working weekends do)."""
    if working_days < 1:
        raise ValueError("a public notice lasts at least one working day")
    return Notice(proposed_on, calendar.add_working_days(proposed_on, working_days))
