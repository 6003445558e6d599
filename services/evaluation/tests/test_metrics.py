"""The evidence ledger and the metric catalogue, from real events.

The events are built against the organizations and activities services' committed JSON Schemas
(as they publish them: per-subject versions) and applied by the evaluation consumer's own
handlers, each in a transaction of its own, on a real database with the service's migrations.
Every metric's numerator, denominator and value is worked out by hand from the scenario below.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from gongjian_deploy.infra import database_url
from gongjian_evaluation.domain import evidence as ledger
from gongjian_evaluation.domain.metrics import METRICS, SubjectKind
from gongjian_evaluation.events import consumers, evidence_handlers
from gongjian_evaluation.store import metrics
from gongjian_kit import clock
from gongjian_kit.consumer import EventConsumer, Outcome
from gongjian_kit.db import create_pool
from gongjian_kit.events import Event, EventCatalog
from gongjian_kit.migrations import KIT_MIGRATIONS, apply_migrations, load_migrations
from gongjian_kit.runtime import Runtime
from gongjian_kit.settings import ServiceSettings

pytestmark = pytest.mark.integration

SERVICES = Path(__file__).resolve().parents[2]
EVALUATION = SERVICES / "evaluation/src/gongjian_evaluation"
ACTIVITIES = EventCatalog(
    SERVICES / "activities/src/gongjian_activities/event_schemas", source="/gongjian/activities"
)
ORGANIZATIONS = EventCatalog(
    SERVICES / "organizations/src/gongjian_organizations/event_schemas",
    source="/gongjian/organizations",
)
COMMUNITY = "330106001001"
FROM, TO = date(2026, 1, 1), date(2026, 6, 30)


def ids(*names: str) -> dict[str, uuid.UUID]:
    return {n: uuid.uuid4() for n in names}


ORG = ids("A", "B", "C")
P = ids("P1", "P2", "P3", "P4", "P5", "P6", "P7")
A, B = ORG["A"], ORG["B"]


class Feed:
    """Events as the services publish them (a version per subject), applied by the consumer's
    handlers one transaction each; every event kept, to be replayed."""

    def __init__(self, pool: asyncpg.Pool[asyncpg.Record], runtime: Runtime) -> None:
        self.pool = pool
        self.spec = consumers(runtime)[0]
        self.versions: Counter[str] = Counter()
        self.sent: list[Event] = []

    def event(self, catalog: EventCatalog, type_: str, subject: uuid.UUID, data: dict) -> Event:
        key = str(subject)
        self.versions[key] += 1
        return catalog.new(type_, key, data, version=self.versions[key])

    async def apply(self, *events: Event) -> None:
        for event in events:
            async with self.pool.acquire() as conn, conn.transaction(), self.spec.scope(conn):
                handler = self.spec.handlers.get(event.type)
                if handler is not None:
                    await handler(conn, event)
                else:
                    await self.spec.batch_handlers[event.type](conn, [event])
            self.sent.append(event)

    async def replay_to_ledger(self) -> None:
        """Every event again, to the ledger alone (the consumer's inbox would drop them before
        the figures: these test the ledger's own guard)."""
        keep = evidence_handlers()
        for event in self.sent:
            if event.type in keep:
                async with self.pool.acquire() as conn, conn.transaction():
                    await keep[event.type](conn, event)

    async def org(self, verb: str, subject: uuid.UUID, data: dict) -> Event:
        event = self.event(ORGANIZATIONS, f"gongjian.organizations.{verb}.v1", subject, data)
        await self.apply(event)
        return event

    async def act(self, verb: str, subject: uuid.UUID, data: dict) -> Event:
        event = self.event(ACTIVITIES, f"gongjian.activities.{verb}.v1", subject, data)
        await self.apply(event)
        return event


@pytest.fixture
async def db(fresh_db: asyncpg.Pool[asyncpg.Record]) -> asyncpg.Pool[asyncpg.Record]:
    """The evaluation service's tables, every migration (the handlers also mark the areas whose
    figures moved, in a table of a later migration)."""
    found = load_migrations("evaluation", EVALUATION / "migrations")
    async with fresh_db.acquire() as conn:
        await apply_migrations(conn, found)
    return fresh_db


@pytest.fixture
def feed(db: asyncpg.Pool[asyncpg.Record]) -> Feed:
    runtime = Runtime(
        settings=ServiceSettings(service_name="evaluation"),
        catalog=EventCatalog(EVALUATION / "event_schemas", source="/gongjian/evaluation"),
        topics={"gongjian.evaluation.": "gongjian.evaluation.v1"},
        pool=db,
    )
    return Feed(db, runtime)


# --- the scenario -------------------------------------------------------------------------


async def organisations(feed: Feed) -> None:
    for name, org in ORG.items():
        await feed.org(
            "organization.established",
            org,
            {
                "organizationId": str(org),
                "kind": "PARTY_BRANCH",
                "family": "PARTY" if name != "B" else "YOUTH_LEAGUE",
                "establishment": "STANDALONE",
                "unitIds": [str(uuid.uuid4())],
                "areaCode": COMMUNITY,
                "parentId": None,
                "hostOrganizationId": None,
                "foundedOn": "2020-01-01",
            },
        )
    await feed.org(
        "organization.renamed",
        A,
        {"organizationId": str(A), "areaCode": COMMUNITY, "name": "甲支部"},
    )


async def member(feed: Feed, org: uuid.UUID, person: str, since: str, until: str | None = None):
    membership = uuid.uuid4()
    await feed.org(
        "membership.started",
        membership,
        {
            "membershipId": str(membership),
            "personId": str(P[person]),
            "organizationId": str(org),
            "family": "PARTY",
            "areaCode": COMMUNITY,
            "since": since,
        },
    )
    if until:
        await feed.org(
            "membership.ended",
            membership,
            {
                "membershipId": str(membership),
                "personId": str(P[person]),
                "organizationId": str(org),
                "areaCode": COMMUNITY,
                "until": until,
            },
        )


async def members_and_leaders(feed: Feed) -> None:
    """A on 30 June: P1–P4 (P5 left in April, P6 joins in July); B: P1 and P7."""
    for person, since in (("P1", "2025-01-01"), ("P2", "2025-06-01"), ("P3", "2026-02-01")):
        await member(feed, A, person, since)
    await member(feed, A, "P4", "2026-03-01")
    await member(feed, A, "P5", "2025-01-01", until="2026-04-30")
    await member(feed, A, "P6", "2026-07-15")
    await member(feed, B, "P1", "2025-01-01")
    await member(feed, B, "P7", "2025-01-01")
    # Leaders of A: P1 serving; P2 serving past the term's end (re-election overdue); P3's
    # term ended in May.
    for person, post, start, end in (
        ("P1", "SECRETARY", "2024-01-01", "2027-01-01"),
        ("P2", "COMMITTEE_MEMBER", "2021-01-01", "2026-01-01"),
        ("P3", "COMMITTEE_MEMBER", "2024-01-01", "2027-01-01"),
    ):
        leader = uuid.uuid4()
        base = {
            "leaderId": str(leader),
            "organizationId": str(A),
            "personId": str(P[person]),
            "areaCode": COMMUNITY,
        }
        await feed.org(
            "leader.appointed", leader, {**base, "post": post, "termStart": start, "termEnd": end}
        )
        if person == "P3":
            await feed.org("leader.term-ended", leader, {**base, "endedOn": "2026-05-01"})


def activity_data(activity: uuid.UUID, orgs: list[uuid.UUID], category: str, starts: str):
    return {
        "activityId": str(activity),
        "organizerIds": [str(o) for o in orgs],
        "areaCode": COMMUNITY,
        "line": "SERVING_THE_PEOPLE",
        "category": category,
        "startsAt": starts,
    }


ACT = ids("act1", "act2", "act3", "act4", "act5")


async def activities(feed: Feed) -> None:
    """A organises act1 (training, March), act2 with B (April), act3 (training, before the
    period), act4 (cancelled), act5 (planned; starts on 2 June in Beijing)."""
    plans = {
        "act1": ([A], "TRAINING", "2026-03-10T09:00:00+08:00"),
        "act2": ([A, B], "VOLUNTEER_SERVICE", "2026-04-01T09:00:00+08:00"),
        "act3": ([A], "TRAINING", "2025-12-20T09:00:00+08:00"),
        "act4": ([A], "TRAINING", "2026-05-01T09:00:00+08:00"),
        "act5": ([A], "VOLUNTEER_SERVICE", "2026-06-01T23:30:00+00:00"),
    }
    for name, (orgs, category, starts) in plans.items():
        data = activity_data(ACT[name], orgs, category, starts)
        await feed.act("activity.created", ACT[name], {**data, "endsAt": None, "status": "PLANNED"})
        if name in ("act1", "act2", "act3"):
            at = {k: data[k] for k in ("activityId", "organizerIds", "areaCode")}
            await feed.act(
                "activity.started", ACT[name], {**at, "startedAt": starts, "trigger": "MANUAL"}
            )
            await feed.act(
                "activity.completed",
                ACT[name],
                {
                    **data,
                    "serviceKind": None,
                    "completedAt": starts,
                    "peopleServed": 10,
                    "participantCount": 3,
                    "volunteerCount": 1,
                },
            )
        if name == "act4":
            await feed.act(
                "activity.cancelled",
                ACT[name],
                {
                    "activityId": str(ACT[name]),
                    "organizerIds": [str(A)],
                    "areaCode": COMMUNITY,
                    "previousStatus": "PLANNED",
                    "cancelledAt": "2026-04-20T10:00:00+08:00",
                },
            )


PA = ids("pa1", "pa2", "pa3", "pa4", "pa5", "pa6")
# participation → (person, activity, organisers, check-in instant or None: signed up only)
PARTICIPATIONS = {
    "pa1": ("P1", "act1", [A], "2026-03-10T09:05:00+08:00"),
    "pa2": ("P2", "act2", [A, B], "2026-04-01T09:05:00+08:00"),
    "pa3": ("P3", "act1", [A], None),
    "pa4": ("P6", "act1", [A], "2026-03-10T09:06:00+08:00"),
    "pa5": ("P1", "act2", [A, B], "2026-04-01T09:07:00+08:00"),
    "pa6": ("P4", "act3", [A], "2025-12-20T09:05:00+08:00"),
}


def participation_data(name: str) -> dict[str, Any]:
    person, activity, orgs, _ = PARTICIPATIONS[name]
    return {
        "participationId": str(PA[name]),
        "activityId": str(ACT[activity]),
        "personId": str(P[person]),
        "role": "VOLUNTEER",
        "areaCode": COMMUNITY,
        "organizerIds": [str(o) for o in orgs],
    }


async def participations(feed: Feed) -> None:
    for name, (_, _, _, checked_in) in PARTICIPATIONS.items():
        data = participation_data(name)
        await feed.act(
            "participation.signed-up", PA[name], {**data, "at": "2026-02-20T10:00:00+08:00"}
        )
        if checked_in:
            await feed.act(
                "participation.checked-in", PA[name], {**data, "method": "CODE", "at": checked_in}
            )
    await feed.act(
        "participation.checked-out",
        PA["pa1"],
        {**participation_data("pa1"), "at": "2026-03-11T01:00:00+08:00", "claimedHours": 2},
    )


async def hours(feed: Feed) -> None:
    """P1: 2 (act1) + 1.25 (act2) + 4 added by hand = 7.25 in the period; P2's 3.5 rejected;
    P6: 2 (not a member of A on 30 June); P4: 6 added before the period."""

    async def verify(name: str, served: str, amount: float) -> None:
        data = participation_data(name)
        await feed.act(
            "hours.verified",
            PA[name],
            {**data, "servedOn": served, "hours": amount, "previousHours": 0},
        )

    await verify("pa1", "2026-03-10", 2)
    await verify("pa2", "2026-04-01", 3.5)
    await feed.act(
        "hours.rejected",
        PA["pa2"],
        {**participation_data("pa2"), "servedOn": "2026-04-01", "previousHours": 3.5},
    )
    await verify("pa5", "2026-04-01", 1.25)
    await verify("pa4", "2026-03-10", 2)
    for person, served, amount in (("P1", "2026-05-05", 4), ("P4", "2025-11-01", 6)):
        manual = uuid.uuid4()
        await feed.act(
            "hours.added",
            manual,
            {
                "manualHoursId": str(manual),
                "personId": str(P[person]),
                "activityId": None,
                "areaCode": COMMUNITY,
                "servedOn": served,
                "hours": amount,
            },
        )


CASE = ids("c1", "c2", "c3", "c4", "c5", "c6", "c7")


def case_data(name: str, status: str, org: uuid.UUID, opened: str, **given: Any) -> dict:
    return {
        "caseId": str(CASE[name]),
        "areaCode": COMMUNITY,
        "organizationId": str(org),
        "channel": "HOTLINE",
        "category": "ENVIRONMENT",
        "urgency": "NORMAL",
        "status": status,
        "requesterKind": "ANONYMOUS",
        "openedOn": opened,
        "dueOn": "2026-12-31",
        "limitWorkingDays": 10,
        "escalated": False,
        "escalatedTo": None,
        "resolvedOn": None,
        "workingDays": None,
        "onTime": None,
        "satisfaction": None,
        "requesterReached": None,
        "reopenCount": 0,
        "visitId": None,
        "pairingId": None,
        **given,
    }


async def open_case(feed: Feed, name: str, org: uuid.UUID, opened: str) -> dict:
    data = case_data(name, "OPEN", org, opened)
    await feed.act("case.opened", CASE[name], {**data, "receivedAt": f"{opened}T09:00:00+08:00"})
    return data


async def cases(feed: Feed) -> dict[str, Event]:
    """A handles c1 (on time, scored 5), c2 (late), c3 (open), c4 (on time, scored 3); c5 was
    opened before the period; c6 was transferred to B."""
    closed = {}
    for name, opened in (("c1", "2026-02-01"), ("c2", "2026-02-10"), ("c3", "2026-03-01")):
        await open_case(feed, name, A, opened)
    for name, opened, on_time, score in (
        ("c1", "2026-02-01", True, 5),
        ("c4", "2026-04-01", True, 3),
    ):
        if name == "c4":
            await open_case(feed, name, A, opened)
        done = {"resolvedOn": "2026-04-10", "onTime": on_time}
        await feed.act(
            "case.resolved",
            CASE[name],
            {
                **case_data(name, "RESOLVED", A, opened, **done),
                "resolvedAt": "2026-04-10T10:00:00+08:00",
            },
        )
        closed[name] = await feed.act(
            "case.closed",
            CASE[name],
            {
                **case_data(name, "CLOSED", A, opened, **done, satisfaction=score),
                "closedAt": "2026-04-12T10:00:00+08:00",
            },
        )
    late = {"resolvedOn": "2026-05-10", "onTime": False}
    await feed.act(
        "case.resolved",
        CASE["c2"],
        {
            **case_data("c2", "RESOLVED", A, "2026-02-10", **late),
            "resolvedAt": "2026-05-10T10:00:00+08:00",
        },
    )
    await open_case(feed, "c5", A, "2025-12-01")
    await open_case(feed, "c6", A, "2026-05-01")
    await feed.act(
        "case.transferred",
        CASE["c6"],
        {
            **case_data("c6", "OPEN", B, "2026-05-01"),
            "fromOrganizationId": str(A),
            "transferredAt": "2026-05-02T10:00:00+08:00",
        },
    )
    return closed


async def commitments_and_pairings(feed: Feed) -> None:
    """A's pledges: fulfilled (March), lapsed (April), open (June), due in September; a
    member's (names nobody). A's decisions: done, dropped, overdue. Pairings: A–B (from
    January, visits in February and July), A–C (ended in March, a visit in February)."""
    for due, ending in (
        ("2026-03-31", "fulfilled"),
        ("2026-04-30", "lapsed"),
        ("2026-06-15", None),
        ("2026-09-30", None),
    ):
        pledge = uuid.uuid4()
        base = {
            "pledgeId": str(pledge),
            "areaCode": COMMUNITY,
            "organizationId": str(A),
            "pledgerKind": "ORGANIZATION",
            "dueOn": due,
        }
        await feed.act("pledge.made", pledge, {**base, "madeOn": "2026-01-10", "status": "MADE"})
        if ending == "fulfilled":
            await feed.act(
                "pledge.fulfilled",
                pledge,
                {
                    **base,
                    "madeOn": "2026-01-10",
                    "fulfilledOn": "2026-03-20",
                    "onTime": True,
                    "status": "FULFILLED",
                },
            )
        if ending == "lapsed":
            await feed.act("pledge.lapsed", pledge, {**base, "status": "LAPSED"})
    members_pledge = uuid.uuid4()
    await feed.act(
        "pledge.made",
        members_pledge,
        {
            "pledgeId": str(members_pledge),
            "areaCode": COMMUNITY,
            "organizationId": None,
            "pledgerKind": "MEMBER",
            "dueOn": "2026-05-01",
            "madeOn": "2026-01-10",
            "status": "MADE",
        },
    )
    for due, ending in (
        ("2026-03-01", "done"),
        ("2026-04-01", "dropped"),
        ("2026-05-01", "overdue"),
    ):
        decision = uuid.uuid4()
        base = {
            "decisionId": str(decision),
            "activityId": str(ACT["act2"]),
            "areaCode": COMMUNITY,
            "ownerOrganizationId": str(A),
            "dueOn": due,
        }
        await feed.act("decision.made", decision, {**base, "status": "OPEN"})
        extra: dict[str, Any] = {
            "done": {"doneOn": "2026-02-27", "onTime": True, "status": "DONE"},
            "dropped": {"droppedOn": "2026-03-15", "status": "DROPPED"},
            "overdue": {"status": "OPEN"},
        }[ending]
        await feed.act(f"decision.{ending}", decision, {**base, **extra})
    venture = uuid.uuid4()
    await feed.act(
        "venture.registered",
        venture,
        {
            "ventureId": str(venture),
            "areaCode": COMMUNITY,
            "kind": "PARTY_MEMBER",
            "unitId": None,
            "startedOn": "2026-02-01",
            "peopleEmployed": 3,
            "peopleLed": 5,
        },
    )
    for parties, starts, ended, visits in (
        ([A, B], "2026-01-15", None, ("2026-02-01", "2026-07-10")),
        ([A, ORG["C"]], "2025-01-01", "2026-03-01", ("2026-02-15",)),
    ):
        pairing = uuid.uuid4()
        base = {
            "pairingId": str(pairing),
            "kind": "ORG_ORG",
            "areaCode": COMMUNITY,
            "organizationIds": [str(o) for o in parties],
        }
        await feed.act(
            "pairing.started",
            pairing,
            {**base, "partyCount": 2, "startsOn": starts, "endsOn": None, "status": "ACTIVE"},
        )
        for day in visits:
            visit = uuid.uuid4()
            await feed.act(
                "visit.logged",
                visit,
                {
                    **{k: base[k] for k in ("kind", "areaCode", "organizationIds")},
                    "visitId": str(visit),
                    "pairingId": str(pairing),
                    "visitedOn": day,
                    "visitorCount": 2,
                    "problemCount": 0,
                    "caseIds": [],
                },
            )
        if ended:
            await feed.act(
                "pairing.ended",
                pairing,
                {**base, "endedOn": ended, "visitCount": len(visits), "status": "ENDED"},
            )


async def scenario(feed: Feed) -> dict[str, Event]:
    await organisations(feed)
    await members_and_leaders(feed)
    await activities(feed)
    await participations(feed)
    await hours(feed)
    closed = await cases(feed)
    await commitments_and_pairings(feed)
    return closed


def d(value: str | int) -> Decimal:
    return Decimal(str(value))


# metric → subject → (numerator, denominator or None, value or None, evidence items)
EXPECTED: dict[str, dict[uuid.UUID, tuple[Any, Any, Any, int]]] = {
    "activities_completed": {A: (2, None, 2, 2), B: (1, None, 1, 1)},
    # act1, act2 over P1–P4 (A); act2 over P1, P7 (B)
    "activities_per_member": {A: (2, 4, "0.5", 6), B: (1, 2, "0.5", 3)},
    # P1's 7.25 hours over A's 4 members (items: 3 sources of P1's hours and 4 members)
    "volunteer_hours_per_member": {A: ("7.25", 4, "1.8125", 7), B: ("7.25", 2, "3.625", 5)},
    # P1 and P2 checked in to A's activities in the period (P4 before it, P6 not a member)
    "member_participation_rate": {A: (2, 4, "0.5", 4), B: (1, 2, "0.5", 2)},
    "training_count": {A: (1, None, 1, 1), B: (0, None, 0, 0)},
    "case_resolution_rate": {A: (3, 4, "0.75", 4), B: (0, 1, "0", 1)},
    "case_on_time_rate": {A: (2, 3, "0.6667", 3), B: (0, 0, None, 0)},
    "case_satisfaction_mean": {A: (8, 2, "4", 2), B: (0, 0, None, 0)},
    "pledges_fulfilled_rate": {A: (1, 3, "0.3333", 3), B: (0, 0, None, 0)},
    "decisions_done_rate": {A: (1, 2, "0.5", 2), B: (0, 0, None, 0)},
    "visits_count": {A: (2, None, 2, 2), B: (1, None, 1, 1)},
    "pairings_active": {A: (1, None, 1, 1), B: (1, None, 1, 1)},
    "leader_posts_filled": {A: (2, None, 2, 2), B: (0, None, 0, 0)},
    "leader_terms_overdue": {A: (1, None, 1, 1), B: (0, None, 0, 0)},
    "volunteer_hours": {
        P["P1"]: ("7.25", None, "7.25", 3),
        P["P2"]: (0, None, 0, 0),
        P["P6"]: (2, None, 2, 1),
        P["P4"]: (0, None, 0, 0),
    },
    "activities_attended": {P["P1"]: (2, None, 2, 2), P["P3"]: (0, None, 0, 0)},
    "trainings_attended": {P["P1"]: (1, None, 1, 1), P["P6"]: (1, None, 1, 1)},
}


async def test_every_metric_counts_what_the_events_tell(feed: Feed, db) -> None:
    await scenario(feed)
    assert set(EXPECTED) == set(METRICS)
    for code, subjects in EXPECTED.items():
        async with db.acquire() as conn:
            found = await metrics.measure(conn, code, list(subjects), FROM, TO)
        for subject, (numerator, denominator, value, items) in subjects.items():
            got = found[subject]
            assert got.numerator == d(numerator), (code, subject)
            assert got.denominator == (None if denominator is None else d(denominator)), code
            assert got.value == (None if value is None else d(value)), (code, got)
            assert got.evidence_count == items, (code, got)
            # The explanation adds up to the measure: amounts of the numerator's items, a count
            # of the denominator's.
            async with db.acquire() as conn:
                listed = await metrics.evidence_page(conn, code, subject, FROM, TO, None, None, 100)
            assert len(listed) == items, code
            in_numerator = [r for r in listed if r["counts_in"] in ("NUMERATOR", "BOTH")]
            in_denominator = [r for r in listed if r["counts_in"] in ("DENOMINATOR", "BOTH")]
            assert sum((r["amount"] for r in in_numerator), Decimal(0)) == got.numerator, code
            if got.denominator is not None:
                assert len(in_denominator) == got.denominator, code
            else:
                assert not in_denominator, code


FIGURE_TABLES = {
    "area_stats": "area_code",
    "organization_activity_summary": "organization_id",
    "organization_case_summary": "organization_id",
    "activity_state": "activity_id",
    "area_line_stats": "area_code, line",
    "evidence": "source_kind, source_id",
    "stats_dirty": "area_code",
}


async def figure_tables(db: asyncpg.Pool[asyncpg.Record]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the figures and the ledger keep (times of change left out)."""
    volatile = {"id", "updated_at", "since", "received_at"}  # id: the ledger's serial
    kept: dict[str, list[tuple[Any, ...]]] = {}
    async with db.acquire() as conn:
        for table, order in FIGURE_TABLES.items():
            rows = await conn.fetch(f"SELECT * FROM {table} ORDER BY {order}")
            kept[table] = [tuple(v for k, v in r.items() if k not in volatile) for r in rows]
    return kept


async def test_one_batch_moves_the_figures_as_its_events_one_by_one(feed: Feed, db, infra) -> None:
    """The consumer applies a fetched batch in one transaction: activity events a run at a time
    (``activities_changed``) and every move summed and written once at the end. The whole
    scenario as one batch, in a second database, leaves every figure, summary, state and ledger
    row as the same events applied one transaction each, redelivered copies included."""
    await scenario(feed)
    one_by_one = await figure_tables(db)
    assert one_by_one["area_stats"]
    assert one_by_one["activity_state"]
    name = f"gjtest_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(infra.server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    second = await create_pool(database_url(infra.server_url, name), min_size=1, max_size=2)
    try:
        async with second.acquire() as conn:
            await apply_migrations(conn, load_migrations("kit", KIT_MIGRATIONS))
            await apply_migrations(conn, load_migrations("evaluation", EVALUATION / "migrations"))
        consumer = EventConsumer(feed.spec, second, "127.0.0.1:1")
        outcomes = await consumer.apply_events(feed.sent + feed.sent[::7])  # and redeliveries
        assert outcomes.count(Outcome.APPLIED) == len(feed.sent)
        batched = await figure_tables(second)
    finally:
        await second.close()
    for table in FIGURE_TABLES:
        assert batched[table] == one_by_one[table], table


async def test_a_subject_of_every_kind_is_measured_once_in_one_call(feed: Feed, db) -> None:
    """Many subjects, repeated or without evidence: each measured, none dropped."""
    await scenario(feed)
    nobody = uuid.uuid4()
    for code, metric in METRICS.items():
        subjects = (
            [A, B, A, nobody] if metric.subject is SubjectKind.ORGANIZATION else [P["P1"], nobody]
        )
        async with db.acquire() as conn:
            found = await metrics.measure(conn, code, subjects, FROM, TO)
        assert set(found) == set(subjects)
        assert found[nobody].numerator == 0
        assert found[nobody].evidence_count == 0
    # Over 64 subjects the query hashes them instead of narrowing by index: same answers.
    many = [A, B, *(uuid.uuid4() for _ in range(100))]
    async with db.acquire() as conn:
        for code in (
            "case_resolution_rate",
            "member_participation_rate",
            "volunteer_hours_per_member",
        ):
            found = await metrics.measure(conn, code, many, FROM, TO)
            expected = EXPECTED[code][A]
            assert (found[A].numerator, found[A].evidence_count) == (d(expected[0]), expected[3])


async def test_the_explanation_names_each_event_and_pages_by_position(feed: Feed, db) -> None:
    closed = await scenario(feed)
    async with db.acquire() as conn:
        scored = await metrics.evidence_page(
            conn, "case_satisfaction_mean", A, FROM, TO, None, None, 10
        )
        assert [(r["source_id"], r["counts_in"], r["amount"]) for r in scored] == [
            (CASE["c1"], "BOTH", 5),
            (CASE["c4"], "BOTH", 3),
        ]
        assert [r["event_id"] for r in scored] == [uuid.UUID(closed[n].id) for n in ("c1", "c4")]
        assert {r["event_type"] for r in scored} == {"gongjian.activities.case.closed.v1"}
        assert [r["occurred_on"] for r in scored] == [date(2026, 2, 1), date(2026, 4, 1)]

        per_member = await metrics.evidence_page(
            conn, "activities_per_member", A, FROM, TO, None, None, 100
        )
        assert {(r["source_kind"], r["counts_in"]) for r in per_member} == {
            ("ACTIVITY", "NUMERATOR"),
            ("MEMBERSHIP", "DENOMINATOR"),
        }
        first = await metrics.evidence_page(
            conn, "activities_per_member", A, FROM, TO, None, None, 4
        )
        rest = await metrics.evidence_page(
            conn, "activities_per_member", A, FROM, TO, None, first[-1]["position"], 4
        )
        assert [*first, *rest] == per_member
        assert [r["position"] for r in per_member] == sorted(r["position"] for r in per_member)

        took_part = await metrics.evidence_page(
            conn, "member_participation_rate", A, FROM, TO, None, None, 100
        )
        assert Counter(r["counts_in"] for r in took_part) == {"BOTH": 2, "DENOMINATOR": 2}


async def test_a_repeated_or_older_event_changes_nothing(feed: Feed, db) -> None:
    await scenario(feed)
    ledger_rows = "SELECT * FROM evidence ORDER BY position"
    before = await db.fetch(ledger_rows)
    await feed.replay_to_ledger()  # every event a second time
    assert await db.fetch(ledger_rows) == before
    # An older state of pa1 (signed up; version 1) after it was checked in and out: ignored.
    stale = ACTIVITIES.new(
        "gongjian.activities.participation.signed-up.v1",
        str(PA["pa1"]),
        {**participation_data("pa1"), "at": "2026-02-20T10:00:00+08:00"},
        version=1,
    )
    await feed.apply(stale)
    row = await db.fetchrow(
        "SELECT status, checked_in, occurred_on FROM evidence WHERE source_id = $1 "
        "AND source_kind = 'PARTICIPATION'",
        PA["pa1"],
    )
    # Checked out on the 11th: the row keeps the check-in's day.
    assert tuple(row) == ("CHECKED_OUT", True, date(2026, 3, 10))
    # A newer event that changes nothing keeps the row's last change (its event, its arrival).
    again = feed.event(
        ACTIVITIES,
        "gongjian.activities.hours.verified.v1",
        PA["pa1"],
        {**participation_data("pa1"), "servedOn": "2026-03-10", "hours": 2, "previousHours": 2},
    )
    kept = (
        "SELECT last_event_id, received_at, last_version FROM evidence "
        "WHERE source_id = $1 AND source_kind = 'HOURS'"
    )
    was = await db.fetchrow(kept, PA["pa1"])
    await feed.apply(again)
    now = await db.fetchrow(kept, PA["pa1"])
    assert (now["last_event_id"], now["received_at"]) == (was["last_event_id"], was["received_at"])
    assert now["last_version"] == again.version
    # The figures still move as before: A's four cases in the period and c5 and c6 counted once.
    assert (
        await db.fetchval("SELECT cases_opened FROM area_stats WHERE area_code = $1", COMMUNITY)
        == 6
    )


async def test_received_by_leaves_out_later_arrivals_and_late_evidence_lists_them(
    feed: Feed, db
) -> None:
    await scenario(feed)
    await asyncio.sleep(0.01)
    closed_at = clock.now()
    await asyncio.sleep(0.01)
    # After closing: a case opened in June arrives, and P3 checks in to act1.
    await open_case(feed, "c7", A, "2026-06-20")
    await feed.act(
        "participation.checked-in",
        PA["pa3"],
        {**participation_data("pa3"), "method": "ORGANIZER", "at": "2026-03-10T09:30:00+08:00"},
    )
    async with db.acquire() as conn:
        live = await metrics.measure(conn, "case_resolution_rate", [A], FROM, TO)
        frozen = await metrics.measure(conn, "case_resolution_rate", [A], FROM, TO, closed_at)
        assert (live[A].numerator, live[A].denominator) == (3, 5)
        assert (frozen[A].numerator, frozen[A].denominator, frozen[A].value) == (3, 4, d("0.75"))
        live = await metrics.measure(conn, "member_participation_rate", [A], FROM, TO)
        frozen = await metrics.measure(conn, "member_participation_rate", [A], FROM, TO, closed_at)
        assert (live[A].numerator, frozen[A].numerator) == (3, 2)
        page = await metrics.evidence_page(
            conn, "case_resolution_rate", A, FROM, TO, closed_at, None, 100
        )
        assert CASE["c7"] not in {r["source_id"] for r in page}
        assert all(r["received_at"] <= closed_at for r in page)

        late = await metrics.late_evidence(conn, [A, P["P3"]], FROM, TO, closed_at)
        assert sorted((r["subject_id"], r["source_kind"], r["source_id"]) for r in late) == sorted(
            [
                (A, "CASE", CASE["c7"]),
                (A, "PARTICIPATION", PA["pa3"]),
                (P["P3"], "PARTICIPATION", PA["pa3"]),
            ]
        )
        assert all(r["received_at"] > closed_at for r in late)
        assert await metrics.late_evidence(conn, [B], FROM, TO, closed_at) == []


async def test_members_and_organisations_of_an_area(feed: Feed, db) -> None:
    await scenario(feed)
    async with db.acquire() as conn:
        assert await metrics.member_count(conn, [A, B, ORG["C"]], on=TO) == {
            A: 4,
            B: 2,
            ORG["C"]: 0,
        }
        # P5's last day: P1–P5
        assert await metrics.member_count(conn, [A], on=date(2026, 4, 30)) == {A: 5}
        assert await metrics.is_member(conn, A, P["P5"], on=date(2026, 4, 30))
        assert not await metrics.is_member(conn, A, P["P5"], on=date(2026, 5, 1))
        assert not await metrics.is_member(conn, A, P["P6"], on=TO)
        assert await metrics.organizations_of_member(conn, P["P1"], on=TO) == sorted([A, B])
        found = await metrics.organizations_in(conn, "330106001%", ["PARTY"])
        assert {r["id"] for r in found} == {A, ORG["C"]}
        named = {r["id"]: (r["kind"], r["name"]) for r in found}
        assert named[A] == ("PARTY_BRANCH", "甲支部")
        assert len(await metrics.organizations_in(conn, "330106%", None)) == 3
        assert await metrics.organizations_in(conn, "330107%", None) == []


def test_an_activity_is_placed_on_its_day_in_china() -> None:
    data = activity_data(uuid.uuid4(), [A], "TRAINING", "2026-06-01T23:30:00+00:00")
    row = ledger.activity("created", {**data, "endsAt": None, "status": "PLANNED"})
    assert row.occurred_on == date(2026, 6, 2)
    started = ledger.activity(
        "started",
        {k: data[k] for k in ("activityId", "organizerIds", "areaCode")}
        | {"startedAt": "2026-06-02T08:00:00+08:00", "trigger": "MANUAL"},
    )
    assert started.kept == {"occurred_on", "category"}
    assert started.status == "ONGOING"


async def test_an_unknown_metric_is_refused(db) -> None:
    async with db.acquire() as conn:
        with pytest.raises(ValueError, match="unknown metric"):
            await metrics.measure(conn, "no_such_metric", [A], FROM, TO)
