"""What each event tells the evidence ledger: the row of its source (an activity, a
participation, hours, a case …) as the event leaves it.

One row per source, at the state of its last event: what a metric counts (status, hours, score,
on time, checked in …), the organisations and person it counts for, and the day that places it
in a period. Pure: the handler in ``events`` writes the row (``store.evidence``).

What the events do not carry (said here once, so a metric does not pretend otherwise):
- a participation's activity day: a participation is placed on the day of its check-in (``at``);
- a pledge made by a member names no person (``organizationId`` is null then): it counts for
  nobody;
- a venture names a unit, not an organisation or a person: it counts for nobody;
- hours added by hand name no organisers: those of their activity, when it is known here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from gongjian_evaluation.domain.figures import CHECKED_IN_AFTER, STATUS_AFTER, hours_of
from gongjian_evaluation.domain.joint_work import (
    DECISION_STATUS_AFTER,
    PAIRING_ACTIVE_AFTER,
    PLEDGE_STATUS_AFTER,
)
from gongjian_kit import clock


class SourceKind(StrEnum):
    ACTIVITY = "ACTIVITY"
    PARTICIPATION = "PARTICIPATION"
    HOURS = "HOURS"
    CASE = "CASE"
    PLEDGE = "PLEDGE"
    DECISION = "DECISION"
    VENTURE = "VENTURE"
    PAIRING = "PAIRING"
    VISIT = "VISIT"
    MEMBERSHIP = "MEMBERSHIP"
    LEADER_POST = "LEADER_POST"


# Sources that last (a membership, a post, a pairing): in a period while they overlap it.
SPANS = frozenset({SourceKind.MEMBERSHIP, SourceKind.LEADER_POST, SourceKind.PAIRING})
PARTICIPATION_STATUS_AFTER = {
    "signed-up": "SIGNED_UP",
    "withdrawn": "WITHDRAWN",
    "checked-in": "CHECKED_IN",
    "checked-out": "CHECKED_OUT",
}
HOURS_STATUS_AFTER = {"verified": "VERIFIED", "rejected": "REJECTED", "added": "ADDED"}
# The columns a row keeps when an event does not tell them (besides the ledger's own).
COLUMNS = (
    "organization_ids",
    "person_id",
    "parent_id",
    "area_code",
    "occurred_on",
    "until_on",
    "due_on",
    "status",
    "category",
    "hours",
    "satisfaction",
    "on_time",
    "checked_in",
)


@dataclass(frozen=True)
class Evidence:
    """A source's row as one event leaves it.

    ``kept``: columns the event does not tell (an activity's start and category on
    ``activity.started``, a membership's first day on ``membership.ended``): an existing row
    keeps its own; a new row takes the value given here, the best the event offers.
    ``attrs`` are merged into the row's (a key the event does not name stays as it was).
    """

    kind: SourceKind
    source_id: uuid.UUID
    area_code: str
    occurred_on: date
    organization_ids: tuple[uuid.UUID, ...] = ()
    person_id: uuid.UUID | None = None
    parent_id: uuid.UUID | None = None
    until_on: date | None = None
    due_on: date | None = None
    status: str | None = None
    category: str | None = None
    hours: Decimal | None = None
    satisfaction: int | None = None
    on_time: bool | None = None
    checked_in: bool | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    kept: frozenset[str] = frozenset()


def local_day(instant: str) -> date:
    """The programme's day (China's) of an instant an event gives."""
    return datetime.fromisoformat(instant).astimezone(clock.zone()).date()


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _id(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def _organizations(values: list[str | None]) -> tuple[uuid.UUID, ...]:
    return tuple(sorted({uuid.UUID(v) for v in values if v}))


def _given(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {n: data[n] for n in names if n in data}


def activity(change: str, data: dict[str, Any]) -> Evidence:
    """An activity counts by its status and category, placed on the day it starts."""
    status = data["status"] if change in ("created", "updated") else STATUS_AFTER[change]
    kept = set()
    if data.get("startsAt"):
        occurred_on = local_day(data["startsAt"])
    else:  # started and cancelled say when that happened, not when the activity starts
        occurred_on = local_day(data.get("startedAt") or data["cancelledAt"])
        kept.add("occurred_on")
    if "category" not in data:
        kept.add("category")
    attrs = _given(data, "line", "serviceKind")
    if change == "completed":
        attrs |= _given(data, "peopleServed", "participantCount", "volunteerCount")
    return Evidence(
        kind=SourceKind.ACTIVITY,
        source_id=uuid.UUID(data["activityId"]),
        area_code=data["areaCode"],
        occurred_on=occurred_on,
        organization_ids=_organizations(data["organizerIds"]),
        status=status,
        category=data.get("category"),
        attrs=attrs,
        kept=frozenset(kept),
    )


def participation(change: str, data: dict[str, Any]) -> Evidence:
    """A participation counts for its person and the activity's organisers once checked in,
    placed on the day of its check-in (the events carry no activity day; checking out keeps
    the check-in's day)."""
    return Evidence(
        kind=SourceKind.PARTICIPATION,
        source_id=uuid.UUID(data["participationId"]),
        area_code=data["areaCode"],
        occurred_on=local_day(data["at"]),
        organization_ids=_organizations(data["organizerIds"]),
        person_id=uuid.UUID(data["personId"]),
        parent_id=uuid.UUID(data["activityId"]),
        status=PARTICIPATION_STATUS_AFTER[change],
        checked_in=CHECKED_IN_AFTER[change],
        attrs=_given(data, "role", "method"),
        kept=frozenset({"occurred_on"}) if change == "checked-out" else frozenset(),
    )


def hours(change: str, data: dict[str, Any], organizers: tuple[uuid.UUID, ...] = ()) -> Evidence:
    """A source of hours: a participation's verified hours (0 once rejected) or hours added by
    hand (their organisers: ``organizers``, those of their activity when known)."""
    added = change == "added"
    return Evidence(
        kind=SourceKind.HOURS,
        source_id=uuid.UUID(data["manualHoursId"] if added else data["participationId"]),
        area_code=data["areaCode"],
        occurred_on=date.fromisoformat(data["servedOn"]),
        organization_ids=tuple(sorted(set(organizers)))
        if added
        else _organizations(data["organizerIds"]),
        person_id=uuid.UUID(data["personId"]),
        parent_id=_id(data.get("activityId")),
        status=HOURS_STATUS_AFTER[change],
        hours=hours_of(0) if change == "rejected" else hours_of(data["hours"]),
        attrs=_given(data, "role"),
    )


def case(_change: str, data: dict[str, Any]) -> Evidence:
    """Every case event carries the case's whole state; it counts for its handler now."""
    return Evidence(
        kind=SourceKind.CASE,
        source_id=uuid.UUID(data["caseId"]),
        area_code=data["areaCode"],
        occurred_on=date.fromisoformat(data["openedOn"]),
        organization_ids=_organizations([data["organizationId"]]),
        due_on=date.fromisoformat(data["dueOn"]),
        status=data["status"],
        category=data["category"],
        satisfaction=data.get("satisfaction"),
        on_time=data.get("onTime"),
        attrs={
            **_given(data, "channel", "urgency", "escalated", "reopenCount", "resolvedOn"),
            **_given(data, "workingDays", "visitId", "pairingId"),
        },
    )


def pledge(change: str, data: dict[str, Any]) -> Evidence:
    """A pledge counts for its organisation (a member's names nobody), placed on its due day."""
    due = date.fromisoformat(data["dueOn"])
    return Evidence(
        kind=SourceKind.PLEDGE,
        source_id=uuid.UUID(data["pledgeId"]),
        area_code=data["areaCode"],
        occurred_on=due,
        organization_ids=_organizations([data.get("organizationId")]),
        due_on=due,
        status=PLEDGE_STATUS_AFTER[change],
        on_time=data.get("onTime"),
        attrs=_given(data, "pledgerKind", "madeOn", "fulfilledOn"),
    )


def decision(change: str, data: dict[str, Any]) -> Evidence:
    """A joint meeting's decision counts for its owner, placed on its due day; once overdue it
    stays flagged (the flag is kept in ``attrs``, which a later event does not clear)."""
    due = date.fromisoformat(data["dueOn"])
    attrs = _given(data, "doneOn", "droppedOn")
    if change == "overdue":
        attrs["overdue"] = True
    return Evidence(
        kind=SourceKind.DECISION,
        source_id=uuid.UUID(data["decisionId"]),
        area_code=data["areaCode"],
        occurred_on=due,
        organization_ids=_organizations([data["ownerOrganizationId"]]),
        parent_id=uuid.UUID(data["activityId"]),
        due_on=due,
        status=DECISION_STATUS_AFTER[change],
        on_time=data.get("onTime"),
        attrs=attrs,
    )


def venture(change: str, data: dict[str, Any]) -> Evidence:
    """A venture (双带创业), placed on its start; it names a unit only, so counts for nobody."""
    registered = change == "registered"
    return Evidence(
        kind=SourceKind.VENTURE,
        source_id=uuid.UUID(data["ventureId"]),
        area_code=data["areaCode"],
        occurred_on=date.fromisoformat(data["startedOn"] if registered else data["asOf"]),
        status="REGISTERED",
        category=data["kind"],
        attrs=_given(data, "unitId", "peopleEmployed", "peopleLed", "asOf"),
        kept=frozenset() if registered else frozenset({"occurred_on"}),
    )


def pairing(change: str, data: dict[str, Any]) -> Evidence:
    """A pairing (结对) spans from its start to the day it ended, for all its parties."""
    started = change == "started"
    return Evidence(
        kind=SourceKind.PAIRING,
        source_id=uuid.UUID(data["pairingId"]),
        area_code=data["areaCode"],
        occurred_on=date.fromisoformat(data["startsOn"] if started else data["endedOn"]),
        organization_ids=_organizations(data["organizationIds"]),
        until_on=None if started else date.fromisoformat(data["endedOn"]),
        due_on=_day(data.get("endsOn")),
        status="ACTIVE" if PAIRING_ACTIVE_AFTER[change] else "ENDED",
        category=data["kind"],
        attrs=_given(data, "partyCount", "visitCount"),
        kept=frozenset() if started else frozenset({"occurred_on", "due_on"}),
    )


def visit(_change: str, data: dict[str, Any]) -> Evidence:
    """A visit (走访) under a pairing counts for the pairing's parties on the day it was made."""
    return Evidence(
        kind=SourceKind.VISIT,
        source_id=uuid.UUID(data["visitId"]),
        area_code=data["areaCode"],
        occurred_on=date.fromisoformat(data["visitedOn"]),
        organization_ids=_organizations(data["organizationIds"]),
        parent_id=uuid.UUID(data["pairingId"]),
        status="LOGGED",
        category=data["kind"],
        attrs={**_given(data, "visitorCount", "problemCount"), "caseCount": len(data["caseIds"])},
    )


def membership(change: str, data: dict[str, Any]) -> Evidence:
    """A membership spans from ``since`` to ``until`` (its last day)."""
    started = change == "started"
    return Evidence(
        kind=SourceKind.MEMBERSHIP,
        source_id=uuid.UUID(data["membershipId"]),
        area_code=data["areaCode"],
        occurred_on=date.fromisoformat(data["since"] if started else data["until"]),
        organization_ids=_organizations([data["organizationId"]]),
        person_id=uuid.UUID(data["personId"]),
        until_on=None if started else date.fromisoformat(data["until"]),
        status="ACTIVE" if started else "ENDED",
        category=data.get("family"),
        kept=frozenset() if started else frozenset({"occurred_on", "category"}),
    )


def leader_post(change: str, data: dict[str, Any]) -> Evidence:
    """A leader's post (班子成员) spans from the term's start to the day the term ended; its
    term end (``due_on``) tells when re-election is due."""
    appointed = change == "appointed"
    return Evidence(
        kind=SourceKind.LEADER_POST,
        source_id=uuid.UUID(data["leaderId"]),
        area_code=data["areaCode"],
        occurred_on=date.fromisoformat(data["termStart"] if appointed else data["endedOn"]),
        organization_ids=_organizations([data["organizationId"]]),
        person_id=uuid.UUID(data["personId"]),
        until_on=None if appointed else date.fromisoformat(data["endedOn"]),
        due_on=date.fromisoformat(data["termEnd"]) if appointed else None,
        status="SERVING" if appointed else "ENDED",
        category=data.get("post"),
        kept=frozenset() if appointed else frozenset({"occurred_on", "due_on", "category"}),
    )
