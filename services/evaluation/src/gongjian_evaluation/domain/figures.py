"""What each subject counts for, and how the figures move when its state changes.

A handler never adds blindly: it keeps each subject's last state (an organisation, an activity,
a participation, a source of hours; a case, pairing, visit, pledge, decision or venture) and
moves the figures by what the old state counted and the new one counts. Applying a state a
second time moves nothing; a state that moves to another area or other organisers leaves the old
ones and joins the new ones in the same step.
"""

from __future__ import annotations

import operator
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from gongjian_kit.areas import area_and_ancestors

HOURS_STEP = Decimal("0.01")  # hours are kept to the hundredth, as the activities service does
ACTIVITY_STATUSES = frozenset({"PLANNED", "PUBLISHED", "ONGOING", "COMPLETED", "CANCELLED"})
# The status an activity's lifecycle event leaves it in; created and updated carry their own.
STATUS_AFTER = {
    "published": "PUBLISHED",
    "started": "ONGOING",
    "completed": "COMPLETED",
    "cancelled": "CANCELLED",
}
# Whether a participation counts as checked in after each of its events.
CHECKED_IN_AFTER = {
    "signed-up": False,
    "withdrawn": False,
    "checked-in": True,
    "checked-out": True,  # checking out needs a check-in first
}


@dataclass(slots=True)
class Figures:
    """Additive figures: what a subject counts for, or how much an area's figures move.

    Treated as immutable (every operation returns a new one) but not ``frozen``: a frozen
    dataclass's ``__init__`` costs four times as much, and a batch makes thousands of these.
    """

    organizations: int = 0
    activities: int = 0
    completed_activities: int = 0
    people_served: int = 0
    checked_in: int = 0
    volunteers: int = 0
    volunteer_hours: Decimal = Decimal(0)
    # The case desk (诉求) and joint work (结对、承诺、联席会议决定、双带创业): see ``joint_work``.
    cases_opened: int = 0
    cases_resolved: int = 0
    cases_resolved_on_time: int = 0
    cases_closed: int = 0
    satisfaction_count: int = 0
    satisfaction_sum: int = 0
    cases_overdue_escalated: int = 0
    pairings_active: int = 0
    visits: int = 0
    pledges_made: int = 0
    pledges_fulfilled: int = 0
    pledges_lapsed: int = 0
    decisions_made: int = 0
    decisions_done: int = 0
    decisions_overdue: int = 0
    ventures: int = 0
    venture_jobs: int = 0
    venture_people_led: int = 0

    # Hot: a batch of events adds these thousands of times (the values read in C at once).
    def __add__(self, other: Figures) -> Figures:
        return Figures(*map(operator.add, _values(self), _values(other)))

    def __neg__(self) -> Figures:
        return Figures(*map(operator.neg, _values(self)))

    def __bool__(self) -> bool:
        return any(_values(self))

    def __hash__(self) -> int:  # a value: equal figures hash alike (never changed in place)
        return hash(_values(self))


_values = operator.attrgetter(*(f.name for f in fields(Figures)))


@dataclass(frozen=True)
class Placed:
    """Figures counted in an area (and every area above it) and for organisers."""

    area_code: str
    figures: Figures
    organizer_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class Moves:
    """How much each area's and each organisation's figures move; sorted, without zeros.

    Sorted so that every handler locks rows in one order: ancestors first (a district's code
    sorts before its streets', a street's before its communities'), so two transactions of one
    district queue on the district's row instead of deadlocking beneath it.
    """

    areas: dict[str, Figures] = field(default_factory=dict)
    organizations: dict[uuid.UUID, Figures] = field(default_factory=dict)


def moves(before: Placed | None, after: Placed | None) -> Moves:
    """What leaves with the old state and arrives with the new one."""
    areas: dict[str, Figures] = {}
    organizations: dict[uuid.UUID, Figures] = {}
    for placed, sign in ((before, -1), (after, 1)):
        if placed is None or not placed.figures:
            continue
        change = placed.figures if sign > 0 else -placed.figures
        for code in area_and_ancestors(placed.area_code):
            areas[code] = areas.get(code, Figures()) + change
        for org in set(placed.organizer_ids):
            organizations[org] = organizations.get(org, Figures()) + change
    return Moves(
        {code: f for code, f in sorted(areas.items()) if f},
        {org: f for org, f in sorted(organizations.items()) if f},
    )


class Counts(Protocol):
    """A subject's state: what it counts for, and where."""

    def placed(self) -> Placed: ...


def change(before: Counts | None, after: Counts | None) -> Moves:
    """The moves from one state of a subject (None: not known before) to the next."""
    return moves(
        None if before is None else before.placed(), None if after is None else after.placed()
    )


def with_volunteers(found: Moves, volunteers: dict[str, int]) -> Moves:
    """``found`` with the change in distinct volunteers per area added."""
    areas = dict(found.areas)
    for code, change in volunteers.items():
        areas[code] = areas.get(code, Figures()) + Figures(volunteers=change)
    return Moves({c: f for c, f in sorted(areas.items()) if f}, found.organizations)


def ratio(part: int, whole: int) -> float | None:
    """``part / whole`` (an on-time rate, an average score); None when there is nothing to
    divide by (no case resolved, none scored)."""
    return part / whole if whole else None


def hours_of(value: object) -> Decimal:
    """Hours from an event (a JSON number) to the hundredth, exactly."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"hours must be a number: {value!r}")
    # Rounded as PostgreSQL rounds numeric(…, 2), where the activities service keeps them.
    hours = Decimal(str(value)).quantize(HOURS_STEP, rounding=ROUND_HALF_UP)
    if not hours.is_finite() or hours < 0:
        raise ValueError(f"hours must be a number of at least 0: {value!r}")
    return hours


@dataclass(frozen=True)
class OrganizationState:
    """An organisation counts in its area while it is active (not dissolved)."""

    area_code: str
    active: bool

    def placed(self) -> Placed:
        return Placed(self.area_code, Figures(organizations=1 if self.active else 0))


@dataclass(frozen=True)
class ActivityState:
    """An activity counts until it is cancelled; once completed, with the people it served."""

    area_code: str
    organizer_ids: tuple[uuid.UUID, ...]
    status: str
    people_served: int = 0
    starts_at: datetime | None = None
    line: str = ""  # its line of work (条线); '' until an event tells it

    def placed(self) -> Placed:
        completed = self.status == "COMPLETED"
        return Placed(
            self.area_code,
            Figures(
                activities=0 if self.status == "CANCELLED" else 1,
                completed_activities=1 if completed else 0,
                people_served=self.people_served if completed else 0,
            ),
            self.organizer_ids,
        )


@dataclass(frozen=True)
class LatestActivity:
    """How an activity's change moves its organisers' latest activity (最近活动时间): a later
    start simply raises it (``raised``); a start that leaves, moves earlier or is cancelled may
    have been the latest, so those organisers' latest is read again (``recount``)."""

    raised: dict[uuid.UUID, datetime] = field(default_factory=dict)
    recount: frozenset[uuid.UUID] = frozenset()


def latest_activity(before: ActivityState | None, after: ActivityState) -> LatestActivity:
    def starts(state: ActivityState | None) -> dict[uuid.UUID, datetime]:
        if state is None or state.status == "CANCELLED" or state.starts_at is None:
            return {}
        return dict.fromkeys(state.organizer_ids, state.starts_at)

    was, now = starts(before), starts(after)
    return LatestActivity(
        raised=now,
        recount=frozenset(org for org, at in was.items() if org not in now or now[org] < at),
    )


def activity_after(
    before: ActivityState | None, change: str, data: dict[str, Any]
) -> ActivityState:
    """An activity's state after one of its events (``change``: created, updated, published…).

    Every activity event names the activity's area and organisers as they are now; the people
    served come with completion and stay as they were otherwise.
    """
    status = data["status"] if change in ("created", "updated") else STATUS_AFTER[change]
    if status not in ACTIVITY_STATUSES:
        raise ValueError(f"unknown activity status {status!r}")
    people_served = before.people_served if before is not None else 0
    if change == "completed":
        people_served = int(data["peopleServed"])
        if people_served < 0:
            raise ValueError(f"people served cannot be negative: {people_served}")
    starts_at = before.starts_at if before is not None else None
    if data.get("startsAt"):
        starts_at = datetime.fromisoformat(data["startsAt"])
    line = before.line if before is not None else ""
    if data.get("line") is not None:
        line = str(data["line"])
    return ActivityState(
        area_code=data["areaCode"],
        organizer_ids=tuple(uuid.UUID(o) for o in data["organizerIds"]),
        status=status,
        people_served=people_served,
        starts_at=starts_at,
        line=line,
    )


def line_moves(before: ActivityState | None, after: ActivityState) -> dict[tuple[str, str], int]:
    """How the activities per (area, line of work) move: an activity counts in its area and every
    one above it, under its line, until it is cancelled."""
    found: dict[tuple[str, str], int] = {}
    for state, sign in ((before, -1), (after, 1)):
        if state is None or state.status == "CANCELLED":
            continue
        for code in area_and_ancestors(state.area_code):
            found[(code, state.line)] = found.get((code, state.line), 0) + sign
    return {key: n for key, n in found.items() if n}


@dataclass(frozen=True)
class ParticipationState:
    """A participation counts as one person checked in at the activity's area once checked in."""

    area_code: str
    checked_in: bool

    def placed(self) -> Placed:
        return Placed(self.area_code, Figures(checked_in=1 if self.checked_in else 0))


@dataclass(frozen=True)
class HoursState:
    """Counted hours of one source (a participation's verified hours, or hours added by hand)."""

    person_id: uuid.UUID
    area_code: str
    organizer_ids: tuple[uuid.UUID, ...]
    hours: Decimal

    @property
    def counted(self) -> bool:
        return self.hours > 0

    def placed(self) -> Placed:
        return Placed(self.area_code, Figures(volunteer_hours=self.hours), self.organizer_ids)


def volunteer_sources(
    before: HoursState | None, after: HoursState | None
) -> dict[tuple[uuid.UUID, str], int]:
    """How many counted sources of hours each (person, area) gains or loses: at every level.

    A person is a volunteer of an area while at least one source of their hours there counts;
    the store keeps those numbers and tells which areas gain or lose a volunteer.
    """
    sources: dict[tuple[uuid.UUID, str], int] = {}
    for state, sign in ((before, -1), (after, 1)):
        if state is None or not state.counted:
            continue
        for code in area_and_ancestors(state.area_code):
            key = (state.person_id, code)
            sources[key] = sources.get(key, 0) + sign
    return {key: n for key, n in sorted(sources.items()) if n}
