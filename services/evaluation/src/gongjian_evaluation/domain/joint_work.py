"""What the case desk (诉求) and joint work count for: cases, pairings (结对) and their visits,
pledges (为民服务承诺), joint meetings' decisions (联席会议决定) and ventures (双带创业).

Each subject's state is read from its event (``…_after(before, change, data)``, ``change``
being the event's verb: opened, started, fulfilled…); ``figures.change`` moves the figures by the
difference from the state kept before, so a repeated event moves nothing and a reopened case
takes its resolution back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from gongjian_evaluation.domain.figures import Figures, Placed

CASE_STATUSES = frozenset({"OPEN", "ACCEPTED", "IN_PROGRESS", "RESOLVED", "CLOSED"})
CASE_PENDING = frozenset({"OPEN", "ACCEPTED", "IN_PROGRESS"})
CASE_RESOLVED = frozenset({"RESOLVED", "CLOSED"})  # closing follows resolving: still resolved
PAIRING_ACTIVE_AFTER = {"started": True, "ended": False}
PLEDGE_STATUS_AFTER = {"made": "MADE", "fulfilled": "FULFILLED", "lapsed": "LAPSED"}
# decision.overdue leaves the decision OPEN, with its overdue flag raised.
DECISION_STATUS_AFTER = {"made": "OPEN", "overdue": "OPEN", "done": "DONE", "dropped": "DROPPED"}


@dataclass(frozen=True)
class CaseState:
    """A case counts in its area and for the organisation handling it now (a transfer moves it)."""

    area_code: str
    organization_id: uuid.UUID
    status: str
    escalated: bool = False
    on_time: bool | None = None
    satisfaction: int | None = None

    def placed(self) -> Placed:
        resolved = self.status in CASE_RESOLVED
        scored = self.status == "CLOSED" and self.satisfaction is not None
        return Placed(
            self.area_code,
            Figures(
                cases_opened=1,
                cases_resolved=int(resolved),
                cases_resolved_on_time=int(resolved and self.on_time is True),
                cases_closed=int(self.status == "CLOSED"),
                satisfaction_count=int(scored),
                satisfaction_sum=self.satisfaction if scored and self.satisfaction else 0,
                cases_overdue_escalated=int(self.escalated and self.status in CASE_PENDING),
            ),
            (self.organization_id,),
        )


def case_after(_before: CaseState | None, _change: str, data: dict[str, Any]) -> CaseState:
    """Every case event carries the case's whole countable state after its step."""
    status = data["status"]
    if status not in CASE_STATUSES:
        raise ValueError(f"unknown case status {status!r}")
    satisfaction = data.get("satisfaction")
    if satisfaction is not None and (
        isinstance(satisfaction, bool) or satisfaction not in range(1, 6)
    ):
        raise ValueError(f"satisfaction must be 1 to 5: {satisfaction!r}")
    on_time = data.get("onTime")
    return CaseState(
        area_code=data["areaCode"],
        organization_id=uuid.UUID(data["organizationId"]),
        status=status,
        escalated=bool(data.get("escalated")),
        on_time=None if on_time is None else bool(on_time),
        satisfaction=satisfaction,
    )


@dataclass(frozen=True)
class PairingState:
    """A pairing counts while it is active (started, not ended)."""

    area_code: str
    active: bool

    def placed(self) -> Placed:
        return Placed(self.area_code, Figures(pairings_active=int(self.active)))


def pairing_after(_before: PairingState | None, change: str, data: dict[str, Any]) -> PairingState:
    return PairingState(data["areaCode"], PAIRING_ACTIVE_AFTER[change])


@dataclass(frozen=True)
class VisitState:
    """A visit under a pairing counts once, where it was logged."""

    area_code: str

    def placed(self) -> Placed:
        return Placed(self.area_code, Figures(visits=1))


def visit_after(_before: VisitState | None, _change: str, data: dict[str, Any]) -> VisitState:
    return VisitState(data["areaCode"])


@dataclass(frozen=True)
class PledgeState:
    """A pledge counts as made; then as fulfilled, or as lapsed while it stays lapsed."""

    area_code: str
    status: str

    def placed(self) -> Placed:
        return Placed(
            self.area_code,
            Figures(
                pledges_made=1,
                pledges_fulfilled=int(self.status == "FULFILLED"),
                pledges_lapsed=int(self.status == "LAPSED"),
            ),
        )


def pledge_after(_before: PledgeState | None, change: str, data: dict[str, Any]) -> PledgeState:
    return PledgeState(data["areaCode"], PLEDGE_STATUS_AFTER[change])


@dataclass(frozen=True)
class DecisionState:
    """A joint meeting's decision counts as made; as done once done; as overdue while its date
    has passed (the flag raised by decision.overdue) and it is still OPEN."""

    area_code: str
    status: str
    overdue: bool = False

    def placed(self) -> Placed:
        return Placed(
            self.area_code,
            Figures(
                decisions_made=1,
                decisions_done=int(self.status == "DONE"),
                decisions_overdue=int(self.overdue and self.status == "OPEN"),
            ),
        )


def decision_after(
    before: DecisionState | None, change: str, data: dict[str, Any]
) -> DecisionState:
    """The flag stays raised once raised; a decision done or dropped is never OPEN again (a late
    copy of decision.overdue cannot bring it back)."""
    status = DECISION_STATUS_AFTER[change]
    if before is not None and before.status != "OPEN" and status == "OPEN":
        status = before.status
    overdue = change == "overdue" or (before is not None and before.overdue)
    return DecisionState(data["areaCode"], status, overdue)


@dataclass(frozen=True)
class VentureState:
    """A venture (双带创业) counts once, with the people it employs and leads as last reported."""

    area_code: str
    people_employed: int
    people_led: int
    as_of: date

    def placed(self) -> Placed:
        return Placed(
            self.area_code,
            Figures(
                ventures=1,
                venture_jobs=self.people_employed,
                venture_people_led=self.people_led,
            ),
        )


def venture_after(before: VentureState | None, change: str, data: dict[str, Any]) -> VentureState:
    """The figures of the latest report: an update dated before the one kept (entered late)
    changes nothing; registration reports as of the start."""
    as_of = date.fromisoformat(data["startedOn"] if change == "registered" else data["asOf"])
    employed, led = int(data["peopleEmployed"]), int(data["peopleLed"])
    if employed < 0 or led < 0:
        raise ValueError(f"people employed and led cannot be negative: {employed}, {led}")
    if before is not None and as_of < before.as_of:
        return before
    return VentureState(data["areaCode"], employed, led, as_of)
