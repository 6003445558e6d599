"""Assessments of a 创先争优 cycle: the workflow DRAFT → SUBMITTED → REVIEWED → PUBLISHED, and how
an indicator's score and explanation come out of what was measured or scored."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class CycleStatus(StrEnum):
    OPEN = "OPEN"  # measured values are live (a preview)
    CLOSED = "CLOSED"  # measured values frozen as of closing


CYCLE_STATUS_LABELS = {CycleStatus.OPEN: "进行中", CycleStatus.CLOSED: "已截止"}


class AssessmentStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    REVIEWED = "REVIEWED"
    PUBLISHED = "PUBLISHED"


STATUS_LABELS = {
    AssessmentStatus.DRAFT: "自评中",
    AssessmentStatus.SUBMITTED: "已提交",
    AssessmentStatus.REVIEWED: "已审核",
    AssessmentStatus.PUBLISHED: "已公布",
}

MOVES: dict[AssessmentStatus, frozenset[AssessmentStatus]] = {
    AssessmentStatus.DRAFT: frozenset({AssessmentStatus.SUBMITTED}),
    # the reviewer either reviews it or returns it for revision
    AssessmentStatus.SUBMITTED: frozenset({AssessmentStatus.REVIEWED, AssessmentStatus.DRAFT}),
    AssessmentStatus.REVIEWED: frozenset({AssessmentStatus.PUBLISHED}),
    AssessmentStatus.PUBLISHED: frozenset(),
}

ACTION_LABELS = {
    AssessmentStatus.SUBMITTED: ("提交自评", "submitted"),
    AssessmentStatus.REVIEWED: ("审核", "reviewed"),
    AssessmentStatus.DRAFT: ("退回修改", "returned for revision"),
    AssessmentStatus.PUBLISHED: ("公布", "published"),
}


def can_move(current: AssessmentStatus, target: AssessmentStatus) -> bool:
    return target in MOVES[current]


def refusal(current: AssessmentStatus, target: AssessmentStatus) -> tuple[str, str]:
    zh, en = ACTION_LABELS[target]
    return (
        f"评议当前为“{STATUS_LABELS[current]}”，不能{zh}",
        f"An assessment that is {current.value} cannot be {en}",
    )


# 群众评议: the code of the SCORED indicator the members' ratings feed (schemes carry it under
# 群众反映好); a rating is 1 to 5 per dimension, a score is the mean rating × 20.
MEMBER_REVIEW = "member_review"
RATING_RANGE = range(1, 6)
TWO_PLACES = Decimal("0.01")


def rating_score(ratings: list[int]) -> Decimal | None:
    """The members' ratings (every dimension of every review) as a score 0..100."""
    if not ratings:
        return None
    mean = Decimal(sum(ratings)) / Decimal(len(ratings))
    return (mean * 20).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def ratio(numerator: Decimal, denominator: Decimal | None) -> Decimal | None:
    if denominator is None:
        return numerator
    if denominator == 0:
        return None
    return (numerator / denominator).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ScoredBy:
    """Whose score a SCORED indicator takes: the reviewer's once given, else the organisation's
    own (a preview), else none (0 in the total)."""

    self_score: Decimal | None
    reviewer_score: Decimal | None

    @property
    def score(self) -> Decimal | None:
        return self.reviewer_score if self.reviewer_score is not None else self.self_score
