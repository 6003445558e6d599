"""推优入党: the stages of a recommendation and the dates each may be reached on.

A mass organisation (工会, 共青团, 妇联) recommends one of its people to the Party (推优); the
person then becomes an activist (入党积极分子), a candidate (发展对象) after at least a year as an
activist, a probationary member (预备党员), and a full member (正式党员) after a year on
probation. Every stage is dated: not in the future, not before the stage before it. A year is
counted to the same date of the next year (a 29 February to the 28th, the last day of that
month).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from gongjian_kit.errors import ApiError, ErrorCode


class Stage(StrEnum):
    RECOMMENDED = "RECOMMENDED"
    ACTIVIST = "ACTIVIST"
    CANDIDATE = "CANDIDATE"
    PROBATIONARY = "PROBATIONARY"
    FULL_MEMBER = "FULL_MEMBER"


ORDER = tuple(Stage)
STAGE_LABELS = {
    Stage.RECOMMENDED: "已推优",
    Stage.ACTIVIST: "入党积极分子",
    Stage.CANDIDATE: "发展对象",
    Stage.PROBATIONARY: "预备党员",
    Stage.FULL_MEMBER: "正式党员",
}
# The organisations that recommend (推优): the mass organisations' families.
RECOMMENDING_FAMILIES = frozenset({"TRADE_UNION", "YOUTH_LEAGUE", "WOMENS_FEDERATION"})
# The stage whose date a stage is counted from; the stages that convert (推优质量).
CONVERTED = frozenset({Stage.PROBATIONARY, Stage.FULL_MEMBER})


@dataclass(frozen=True)
class Rules:
    """How long an activist waits before candidacy, how long probation lasts (in years), and
    the least age at application."""

    activist_years: int = 1
    probation_years: int = 1
    min_age: int = 18


def _years_zh(years: int) -> str:
    return "一年" if years == 1 else f"{years}年"


def add_years(day: date, years: int) -> date:
    """The same date ``years`` later; a 29 February without one: the 28th (the month's end)."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return date(year, day.month, min(day.day, last))


def age_on(birth: date, day: date) -> int:
    """Full years of age on ``day`` (a birthday counts from the day itself)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def next_stage(current: Stage) -> Stage | None:
    index = ORDER.index(current)
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


def earliest_on(target: Stage, dates: dict[Stage, date | None], rules: Rules) -> date | None:
    """The first day ``target`` may be dated: the day of the stage before it, or for a
    candidate a year after becoming an activist, for a full member a year on probation."""
    before = ORDER[ORDER.index(target) - 1]
    previous = dates.get(before)
    if previous is None:
        return None
    if target is Stage.CANDIDATE:
        return add_years(previous, rules.activist_years)
    if target is Stage.FULL_MEMBER:
        return add_years(previous, rules.probation_years)
    return previous


def date_problems(
    target: Stage, on: date, dates: dict[Stage, date | None], today: date, rules: Rules
) -> list[ApiError]:
    """Why ``target`` cannot be dated ``on`` (every reason; none: it can)."""
    problems: list[ApiError] = []
    if on > today:
        problems.append(
            ApiError(
                ErrorCode.BAD_USER_INPUT, "日期不能晚于今天", "The date is in the future", "on"
            )
        )
    before = ORDER[ORDER.index(target) - 1]
    previous = dates.get(before)
    earliest = earliest_on(target, dates, rules)
    if previous is not None and on < previous:
        problems.append(
            ApiError(
                ErrorCode.BAD_USER_INPUT,
                f"日期不能早于“{STAGE_LABELS[before]}”之日（{previous}）",
                f"The date cannot be before the {before.value} stage ({previous})",
                "on",
            )
        )
    elif earliest is not None and on < earliest:
        if target is Stage.CANDIDATE:
            zh = f"满{_years_zh(rules.activist_years)}后方可列为发展对象（最早{earliest}）"
            en = (
                f"An activist becomes a candidate after {rules.activist_years} year(s) as an "
                f"activist: on {earliest} at the earliest"
            )
        else:
            zh = f"预备期满{_years_zh(rules.probation_years)}后方可转为正式党员（最早{earliest}）"
            en = (
                f"A probationary member becomes a full member after {rules.probation_years} "
                f"year(s) on probation: on {earliest} at the earliest"
            )
        problems.append(ApiError(ErrorCode.BAD_USER_INPUT, zh, en, "on"))
    return problems


def age_problem(birth: date | None, on: date, rules: Rules) -> ApiError | None:
    """A person under the least age on the day of the recommendation (their application)."""
    if birth is None:
        return ApiError(
            ErrorCode.FORBIDDEN,
            "无法核实该人员的年龄（人员不存在或您无权查看其出生日期）",
            "The person's age cannot be checked (no such person, or you may not see their "
            "birth date)",
            "personId",
        )
    if age_on(birth, on) < rules.min_age:
        adult = add_years(birth, rules.min_age)
        return ApiError(
            ErrorCode.BAD_USER_INPUT,
            f"申请入党须年满{rules.min_age}周岁（{adult}起）",
            f"An applicant must be at least {rules.min_age} years old (from {adult})",
            "on",
        )
    return None


def stage_conflict(current: Stage, target: Stage, stopped: bool) -> ApiError | None:
    """A step that is not the next one, or on a stopped or completed recommendation."""
    label = STAGE_LABELS[current]
    if stopped:
        return ApiError(
            ErrorCode.CONFLICT,
            f"该推优已终止（停在“{label}”），不能继续",
            f"The recommendation was stopped at {current.value}",
            "stage",
        )
    expected = next_stage(current)
    if expected is None:
        return ApiError(
            ErrorCode.CONFLICT,
            f"已是“{label}”，推优已完成",
            f"The person is already a {current.value}: the recommendation is complete",
            "stage",
        )
    if target is not expected:
        return ApiError(
            ErrorCode.CONFLICT,
            f"当前为“{label}”，下一步只能是“{STAGE_LABELS[expected]}”",
            f"The recommendation is at {current.value}; the next stage is {expected.value}",
            "stage",
        )
    return None
