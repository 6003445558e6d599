"""How evaluation keeps its figures current from the organizations and activities topics
(activities, participation and hours; the case desk, pairings and visits, pledges, joint
meetings' decisions and ventures).

Every handler sets a subject's state and moves the figures by the difference between what the
old state counted and what the new one counts (``domain.figures``), in the consumer's
transaction: a redelivered or repeated event finds the state already set and moves nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import asyncpg

from gongjian_evaluation.domain import evidence as ledger
from gongjian_evaluation.domain import figures as rules
from gongjian_evaluation.domain import joint_work
from gongjian_evaluation.domain.figures import Figures, Moves, ratio
from gongjian_evaluation.store import evidence as evidence_store
from gongjian_evaluation.store import joint_work as subjects
from gongjian_evaluation.store import states
from gongjian_evaluation.store import stats as store
from gongjian_kit import clock
from gongjian_kit.areas import area_level
from gongjian_kit.consumer import ConsumerSpec
from gongjian_kit.db import Connection
from gongjian_kit.events import Event, split_type
from gongjian_kit.runtime import Runtime

ORGANIZATIONS_TOPIC = "gongjian.organizations.v1"
ACTIVITIES_TOPIC = "gongjian.activities.v1"
DISTRICT_STATS_TOPIC = "gongjian.district-stats.v1"
STATS_CHANGED_CHANNEL = "gongjian_area_stats"
AREA_STATS_UPDATED = "gongjian.evaluation.area-stats.updated.v1"
ACTIVITIES = "gongjian.activities."
ACTIVITY_EVENTS = tuple(
    f"{ACTIVITIES}activity.{c}.v1"
    for c in ("created", "updated", "published", "started", "completed", "cancelled")
)
# Every case event carries the case's whole countable state: one handler takes them all.
CASE_EVENTS = (
    "opened",
    "accepted",
    "started",
    "transferred",
    "resolved",
    "closed",
    "reopened",
    "escalated",
)

Handler = Callable[[Connection, Event], Awaitable[None]]


def area_stats_data(row: asyncpg.Record) -> dict[str, Any]:
    """An area's figures as published (no personal data: counts and sums only)."""
    return {
        "areaCode": row["area_code"],
        "level": area_level(row["area_code"]).value,
        "organizationCount": row["organization_count"],
        "activityCount": row["activity_count"],
        "completedActivityCount": row["completed_activity_count"],
        "peopleServed": row["people_served"],
        "checkedInCount": row["checked_in_count"],
        "volunteerCount": row["volunteer_count"],
        "volunteerHours": float(row["volunteer_hours"]),
        "casesOpened": row["cases_opened"],
        "casesResolved": row["cases_resolved"],
        "casesResolvedOnTime": row["cases_resolved_on_time"],
        "onTimeRate": ratio(row["cases_resolved_on_time"], row["cases_resolved"]),
        "casesClosed": row["cases_closed"],
        "satisfactionCount": row["satisfaction_count"],
        "satisfactionSum": row["satisfaction_sum"],
        "satisfactionAverage": ratio(row["satisfaction_sum"], row["satisfaction_count"]),
        "casesOverdueEscalated": row["cases_overdue_escalated"],
        "pairingsActive": row["pairings_active"],
        "visits": row["visits"],
        "pledgesMade": row["pledges_made"],
        "pledgesFulfilled": row["pledges_fulfilled"],
        "pledgesLapsed": row["pledges_lapsed"],
        "decisionsMade": row["decisions_made"],
        "decisionsDone": row["decisions_done"],
        "decisionsOverdue": row["decisions_overdue"],
        "ventures": row["ventures"],
        "ventureJobs": row["venture_jobs"],
        "venturePeopleLed": row["venture_people_led"],
        "updatedAt": row["updated_at"].isoformat(),
    }


def change_of(event: Event) -> str:
    """``gongjian.activities.activity.completed.v1`` → ``completed``."""
    name, _major = split_type(event.type)
    return name.rsplit(".", 1)[1]


@dataclass
class PendingMoves:
    """The figures a transaction's events move, summed, written once when it ends (a fetched
    batch of a thousand events moves each area's row once, not a thousand times)."""

    areas: dict[str, Figures] = field(default_factory=dict)
    organizations: dict[uuid.UUID, Figures] = field(default_factory=dict)
    latest: dict[uuid.UUID, datetime] = field(default_factory=dict)  # latest activity raised
    recount: set[uuid.UUID] = field(default_factory=set)  # latest activity to read again
    cases: dict[uuid.UUID, Figures] = field(default_factory=dict)  # per handling organisation
    marked: set[str] = field(default_factory=set)  # areas whose other published figures moved
    lines: dict[tuple[str, str], int] = field(default_factory=dict)  # activities per line

    def add(
        self,
        found: Moves,
        *,
        latest: rules.LatestActivity | None = None,
        lines: dict[tuple[str, str], int] | None = None,
        cases: bool = False,
    ) -> None:
        for key, n in (lines or {}).items():
            self.lines[key] = self.lines.get(key, 0) + n
        for code, change in found.areas.items():
            self.areas[code] = self.areas.get(code, Figures()) + change
        kept = self.cases if cases else self.organizations
        for org, change in found.organizations.items():
            kept[org] = kept.get(org, Figures()) + change
        if latest is not None:
            for org, at in latest.raised.items():
                if org not in self.latest or self.latest[org] < at:
                    self.latest[org] = at
            self.recount |= latest.recount

    async def write(self, conn: Connection) -> None:
        """Move the figures (areas, then organisations: one order everywhere, ancestors first
        and ids sorted, so replicas never deadlock) and mark the areas for the publisher
        (``publisher.py``: coalesced, at most one message per area per interval)."""
        rows = await store.move_area_stats(
            conn, {code: f for code, f in sorted(self.areas.items()) if f}
        )
        await store.move_case_summaries(
            conn, {org: f for org, f in sorted(self.cases.items()) if f}
        )
        summaries = {org for org, f in self.organizations.items() if f}
        summaries |= set(self.latest) | self.recount
        await store.move_organization_summaries(
            conn,
            {org: self.organizations.get(org, Figures()) for org in sorted(summaries)},
            latest=self.latest,
            recount=self.recount,
        )
        await store.move_area_lines(conn, {k: n for k, n in sorted(self.lines.items()) if n})
        await store.mark_dirty(conn, sorted({r["area_code"] for r in rows} | self.marked))


# The moves of the transaction in progress on a connection (set by ``deferred_moves``).
_pending: ContextVar[tuple[Connection, PendingMoves] | None] = ContextVar(
    "evaluation_pending_moves", default=None
)


@asynccontextmanager
async def deferred_moves(conn: Connection) -> AsyncIterator[PendingMoves]:
    """Collect the moves of the handlers run inside; write them on a clean exit only (the
    consumer's ``batch_scope``: a failing handler's moves go with its rolled-back savepoint)."""
    pending = PendingMoves()
    token = _pending.set((conn, pending))
    try:
        yield pending
    finally:
        _pending.reset(token)
    await pending.write(conn)


async def mark_areas(conn: Connection, codes: list[str]) -> None:
    """Mark areas for the publisher whose published figures moved outside ``area_stats`` (their
    coverage): with the transaction's other marks when it collects them, else now."""
    current = _pending.get()
    if current is not None and current[0] is conn:
        current[1].marked.update(codes)
    else:
        await store.mark_dirty(conn, sorted(codes))


async def move_figures(
    conn: Connection,
    found: Moves,
    *,
    latest: rules.LatestActivity | None = None,
    lines: dict[tuple[str, str], int] | None = None,
    cases: bool = False,
) -> None:
    """Move the figures: with the transaction's other moves when it collects them, else now.

    ``latest``: how an activity's change moves its organisers' latest activity; ``cases``: the
    organisations' moves are a case's, kept per handling organisation.
    """
    current = _pending.get()
    if current is not None and current[0] is conn:
        current[1].add(found, latest=latest, lines=lines, cases=cases)
        return
    async with deferred_moves(conn) as pending:
        pending.add(found, latest=latest, lines=lines, cases=cases)


def handlers() -> dict[str, Handler]:
    move = move_figures

    async def organization_changed(conn: Connection, event: Event) -> None:
        data = event.data
        org_id = uuid.UUID(data["organizationId"])
        dissolved = data.get("dissolvedOn")
        after = rules.OrganizationState(data["areaCode"], active=not dissolved)
        before = await states.organization_state(conn, org_id)
        await states.save_organization(
            conn,
            org_id,
            data["areaCode"],
            data["family"],
            date.fromisoformat(dissolved) if dissolved else None,
        )
        if before == after:
            return  # no change of state: no figure moves
        await move(conn, rules.change(before, after))

    async def participation_changed(conn: Connection, event: Event) -> None:
        participation_id = uuid.UUID(event.data["participationId"])
        after = rules.ParticipationState(
            event.data["areaCode"], rules.CHECKED_IN_AFTER[change_of(event)]
        )
        before = await states.participation_state(conn, participation_id)
        if before == after:
            return
        await states.save_participation_state(conn, participation_id, after)
        await move(conn, rules.change(before, after))

    async def hours_changed(conn: Connection, event: Event) -> None:
        data = event.data
        change = change_of(event)
        if change == "added":
            source_id = uuid.UUID(data["manualHoursId"])
            activity_id = data.get("activityId")
            # Hours added by hand name no organisers: those of their activity, when known here.
            organizers = (
                await states.activity_organizers(conn, uuid.UUID(activity_id))
                if activity_id
                else ()
            )
        else:
            source_id = uuid.UUID(data["participationId"])
            organizers = tuple(uuid.UUID(o) for o in data["organizerIds"])
        after = rules.HoursState(
            person_id=uuid.UUID(data["personId"]),
            area_code=data["areaCode"],
            organizer_ids=organizers,
            # What stops counting on a rejection is what this state holds, not previousHours.
            hours=rules.hours_of(data["hours"]) if change != "rejected" else rules.hours_of(0),
        )
        before = await states.hours_state(conn, source_id)
        if before == after:
            return
        await states.save_hours_state(conn, source_id, after)
        volunteers = await states.count_volunteer_sources(
            conn, rules.volunteer_sources(before, after)
        )
        found = rules.change(before, after)
        await move(conn, rules.with_volunteers(found, volunteers))

    checked_in = rules.CHECKED_IN_AFTER  # signed-up, withdrawn, checked-in, checked-out
    return {
        "gongjian.organizations.organization.established.v1": organization_changed,
        "gongjian.organizations.organization.dissolved.v1": organization_changed,
        **{f"{ACTIVITIES}participation.{c}.v1": participation_changed for c in checked_in},
        **{f"{ACTIVITIES}hours.{c}.v1": hours_changed for c in ("verified", "rejected", "added")},
        **joint_work_handlers(move),
        **coverage_handlers(),
    }


def coverage_handlers() -> dict[str, Handler]:
    """Coverage per family (覆盖率): each unit's state per family, counted per area."""

    async def coverage_changed(conn: Connection, event: Event) -> None:
        data = event.data
        after = data["after"]
        moved = await store.keep_coverage(
            conn,
            uuid.UUID(data["unitId"]),
            data["family"],
            None
            if after is None
            else (data["areaCode"], bool(after["required"]), bool(after["covered"])),
        )
        await mark_areas(conn, moved)

    return {"gongjian.organizations.coverage.changed.v1": coverage_changed}


class Move(Protocol):
    async def __call__(self, conn: Connection, found: Moves, *, cases: bool = ...) -> None: ...


def joint_work_handlers(move: Move) -> dict[str, Handler]:
    """The case desk and joint work: one rule for every subject (its state after the event,
    kept; the figures moved by the difference from the state kept before)."""

    def keeping(
        kind: type[subjects.State],
        id_field: str,
        after: Callable[[subjects.State | None, str, dict[str, Any]], subjects.State],
        *,
        cases: bool = False,
    ) -> Handler:
        async def handle(conn: Connection, event: Event) -> None:
            subject_id = uuid.UUID(event.data[id_field])
            before = await subjects.state_of(conn, kind, subject_id)
            state = after(before, change_of(event), event.data)
            if before == state:
                return  # no change of state: no figure moves
            await subjects.save_state(conn, subject_id, state)
            await move(conn, rules.change(before, state), cases=cases)

        return handle

    case = keeping(joint_work.CaseState, "caseId", joint_work.case_after, cases=True)
    pairing = keeping(joint_work.PairingState, "pairingId", joint_work.pairing_after)
    visit = keeping(joint_work.VisitState, "visitId", joint_work.visit_after)
    pledge = keeping(joint_work.PledgeState, "pledgeId", joint_work.pledge_after)
    decision = keeping(joint_work.DecisionState, "decisionId", joint_work.decision_after)
    venture = keeping(joint_work.VentureState, "ventureId", joint_work.venture_after)
    return {
        **{f"{ACTIVITIES}case.{c}.v1": case for c in CASE_EVENTS},
        **{f"{ACTIVITIES}pairing.{c}.v1": pairing for c in joint_work.PAIRING_ACTIVE_AFTER},
        f"{ACTIVITIES}visit.logged.v1": visit,
        **{f"{ACTIVITIES}pledge.{c}.v1": pledge for c in joint_work.PLEDGE_STATUS_AFTER},
        **{f"{ACTIVITIES}decision.{c}.v1": decision for c in joint_work.DECISION_STATUS_AFTER},
        **{f"{ACTIVITIES}venture.{c}.v1": venture for c in ("registered", "updated")},
    }


def with_evidence(figure_handlers: dict[str, Handler]) -> dict[str, Handler]:
    """Every event of a source of evidence also keeps its row of the evidence ledger, in the
    same transaction as the figures it moves (the figures first, then the ledger)."""
    combined = dict(figure_handlers)
    for event_type, keep in evidence_handlers().items():
        figures = figure_handlers.get(event_type)
        combined[event_type] = keep if figures is None else _both(figures, keep)
    return combined


def _both(first: Handler, then: Handler) -> Handler:
    async def handle(conn: Connection, event: Event) -> None:
        await first(conn, event)
        await then(conn, event)

    return handle


def evidence_handlers() -> dict[str, Handler]:
    """The ledger's row of each event's source (``domain.evidence``); memberships and leaders'
    posts from the organizations topic, and the kind and name of organisations."""
    organizations = "gongjian.organizations."

    def keeping(row_of: Callable[[str, dict[str, Any]], ledger.Evidence]) -> Handler:
        async def handle(conn: Connection, event: Event) -> None:
            row = row_of(change_of(event), event.data)
            await evidence_store.record(conn, row, event, clock.now())

        return handle

    async def hours_kept(conn: Connection, event: Event) -> None:
        data = event.data
        organizers: tuple[uuid.UUID, ...] = ()
        if change_of(event) == "added" and data.get("activityId"):
            organizers = await states.activity_organizers(conn, uuid.UUID(data["activityId"]))
        row = ledger.hours(change_of(event), data, organizers)
        await evidence_store.record(conn, row, event, clock.now())

    async def organization_described(conn: Connection, event: Event) -> None:
        org_id = uuid.UUID(event.data["organizationId"])
        await evidence_store.describe_organization(
            conn, org_id, kind=event.data.get("kind"), name=event.data.get("name")
        )

    return {
        f"{organizations}organization.established.v1": organization_described,
        f"{organizations}organization.renamed.v1": organization_described,
        **dict.fromkeys(ACTIVITY_EVENTS, keeping(ledger.activity)),  # see activities_changed
        **{
            f"{organizations}membership.{c}.v1": keeping(ledger.membership)
            for c in ("started", "ended")
        },
        **{
            f"{organizations}leader.{c}.v1": keeping(ledger.leader_post)
            for c in ("appointed", "term-ended")
        },
        **{
            f"{ACTIVITIES}participation.{c}.v1": keeping(ledger.participation)
            for c in ledger.PARTICIPATION_STATUS_AFTER
        },
        **{f"{ACTIVITIES}hours.{c}.v1": hours_kept for c in ledger.HOURS_STATUS_AFTER},
        **{f"{ACTIVITIES}case.{c}.v1": keeping(ledger.case) for c in CASE_EVENTS},
        **{
            f"{ACTIVITIES}pledge.{c}.v1": keeping(ledger.pledge)
            for c in joint_work.PLEDGE_STATUS_AFTER
        },
        **{
            f"{ACTIVITIES}decision.{c}.v1": keeping(ledger.decision)
            for c in joint_work.DECISION_STATUS_AFTER
        },
        **{
            f"{ACTIVITIES}venture.{c}.v1": keeping(ledger.venture)
            for c in ("registered", "updated")
        },
        **{f"{ACTIVITIES}pairing.{c}.v1": keeping(ledger.pairing) for c in ("started", "ended")},
        f"{ACTIVITIES}visit.logged.v1": keeping(ledger.visit),
    }


async def activities_changed(conn: Connection, events: list[Event]) -> None:
    """A run of activity events at once (the busiest source: imports, a district's calendar):
    the states read and locked in one statement, each event applied in order in memory, the
    states and the evidence ledger's rows kept in one pipelined statement each, the figures
    moved with the transaction's other moves. The same effect as one event at a time."""
    ids = [uuid.UUID(e.data["activityId"]) for e in events]
    current = await states.activity_states(conn, ids)
    found: list[tuple[Moves, rules.LatestActivity, dict[tuple[str, str], int]]] = []
    changed: set[uuid.UUID] = set()
    for event, activity_id in zip(events, ids, strict=True):
        before = current.get(activity_id)
        after = rules.activity_after(before, change_of(event), event.data)
        if before == after:
            continue
        current[activity_id] = after
        changed.add(activity_id)
        found.append(
            (
                rules.change(before, after),
                rules.latest_activity(before, after),
                rules.line_moves(before, after),
            )
        )
    await states.save_activity_states(conn, {a: current[a] for a in changed})
    for moves, latest, lines in found:  # after the states: a recounted latest reads them
        await move_figures(conn, moves, latest=latest, lines=lines)
    ledger_rows = [(ledger.activity(change_of(e), e.data), e) for e in events]
    await evidence_store.record_many(conn, ledger_rows, clock.now())


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    settings = runtime.settings
    return [
        ConsumerSpec(
            name=f"{settings.topic_namespace}evaluation.stats",
            topics=(settings.topic(ORGANIZATIONS_TOPIC), settings.topic(ACTIVITIES_TOPIC)),
            handlers={  # activity events: applied a run at a time (``activities_changed``)
                t: h for t, h in with_evidence(handlers()).items() if t not in ACTIVITY_EVENTS
            },
            batch_handlers=dict.fromkeys(ACTIVITY_EVENTS, activities_changed),
            batch_scope=deferred_moves,
        )
    ]
