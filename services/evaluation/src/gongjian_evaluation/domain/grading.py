"""Ranks and grades (优秀 / 良好 / 合格 / 不合格) of the subjects ranked together, with the cap on
the share of 优秀.

The rule, in the order it is applied:

1. Rank by total, highest first; equal totals share a rank, and the next rank skips as many
   (95, 93, 93, 90 → 1, 2, 2, 4).
2. Band by threshold: a total at or above ``excellent`` is 优秀, at or above ``good`` 良好, at
   or above ``passing`` 合格, else 不合格.
3. Cap 优秀 at floor(share × n) places, n being every subject ranked together; when that is 0
   but someone reached the 优秀 threshold (a small group), one place (a share above 0 only).
   Those within the band keep 优秀 by rank while their whole rank fits in the places left;
   a rank that does not fit whole — subjects tied at the cut — is demoted whole, with
   everyone below it, to 良好: equal totals never get different grades, and the cap always
   holds. Each demoted subject's note says why.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any

from gongjian_evaluation.settings import EvaluationSettings, evaluation_settings


class Grade(StrEnum):
    EXCELLENT = "EXCELLENT"
    GOOD = "GOOD"
    PASS = "PASS"  # noqa: S105 - a grade, not a password
    FAIL = "FAIL"


GRADE_LABELS = {
    Grade.EXCELLENT: "优秀",
    Grade.GOOD: "良好",
    Grade.PASS: "合格",
    Grade.FAIL: "不合格",
}


@dataclass(frozen=True)
class Bands:
    """The lowest total of each grade (0..100)."""

    excellent: Decimal
    good: Decimal
    passing: Decimal

    @classmethod
    def from_settings(cls, settings: EvaluationSettings | None = None) -> Bands:
        settings = settings or evaluation_settings()
        return cls(settings.grade_excellent, settings.grade_good, settings.grade_pass)

    def grade(self, total: Decimal) -> Grade:
        if total >= self.excellent:
            return Grade.EXCELLENT
        if total >= self.good:
            return Grade.GOOD
        if total >= self.passing:
            return Grade.PASS
        return Grade.FAIL

    def to_json(self) -> dict[str, str]:
        return {"excellent": str(self.excellent), "good": str(self.good), "pass": str(self.passing)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Bands:
        return cls(Decimal(data["excellent"]), Decimal(data["good"]), Decimal(data["pass"]))


@dataclass(frozen=True)
class Graded:
    subject_id: uuid.UUID
    total: Decimal
    rank: int
    grade: Grade
    note_zh: str | None = None  # why the grade is not the band's (the 优秀 cap)
    note_en: str | None = None


def excellent_places(n: int, share: Decimal, anyone_qualifies: bool) -> int:
    """How many may be 优秀 among ``n`` ranked together."""
    places = int((share * n).to_integral_value(rounding=ROUND_FLOOR))
    if places == 0 and n > 0 and share > 0 and anyone_qualifies:
        return 1
    return places


def grade_all(
    totals: list[tuple[uuid.UUID, Decimal]], bands: Bands, excellent_share: Decimal
) -> list[Graded]:
    """Rank, band and cap (see the module's docstring); the result in rank order, ties by id."""
    ordered = sorted(totals, key=lambda t: (-t[1], t[0]))
    ranks: list[int] = []
    for k, (_, total) in enumerate(ordered):
        ranks.append(ranks[-1] if k and total == ordered[k - 1][1] else k + 1)
    tied = {r: ranks.count(r) for r in set(ranks)}
    n = len(ordered)
    qualified = sum(1 for _, total in ordered if bands.grade(total) is Grade.EXCELLENT)
    places = excellent_places(n, excellent_share, qualified > 0)
    # The last place 优秀 reaches: the end of the last rank that fits whole.
    reach = 0
    for rank in sorted(set(ranks)):
        if rank > qualified or rank - 1 + tied[rank] > places:
            break
        reach = rank - 1 + tied[rank]
    share_zh = f"{n}个中的{_percent(excellent_share)}"
    share_en = f"{_percent(excellent_share)} of {n}"
    graded = []
    for k, ((subject, total), rank) in enumerate(zip(ordered, ranks, strict=True)):
        grade, note_zh, note_en = bands.grade(total), None, None
        if grade is Grade.EXCELLENT and k >= reach:
            grade = Grade.GOOD
            if tied[rank] > 1 and rank <= places:
                note_zh = (
                    f"并列第{rank}名（{tied[rank]}个同分），优秀名额{places}个（{share_zh}），"
                    "同分者均降为良好"
                )
                note_en = (
                    f"Tied {_ordinal(rank)} ({tied[rank]} with the same total), {places} "
                    f"EXCELLENT places ({share_en}): all tied are graded GOOD"
                )
            else:
                tie_zh = f"并列第{rank}名" if tied[rank] > 1 else f"第{rank}名"
                tie_en = f"tied {_ordinal(rank)}" if tied[rank] > 1 else _ordinal(rank)
                note_zh = f"{tie_zh}，超出优秀名额{places}个（{share_zh}），降为良好"
                note_en = (
                    f"Ranked {tie_en}, beyond the {places} EXCELLENT places ({share_en}): "
                    "graded GOOD"
                )
        graded.append(Graded(subject, total, rank, grade, note_zh, note_en))
    return graded


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
