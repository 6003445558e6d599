"""Figures of the case desk and joint work: cases, pairings and visits, pledges, decisions,
ventures.

The events are the activities service's (checked against its committed JSON Schemas),
published straight to the real broker, so each scenario says exactly what arrives and in which
order, repeats included; the evaluation service consumes them as in production.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import asyncpg
import pytest

from gongjian_deploy.activity_feed import ActivityFeed
from gongjian_deploy.pytest_plugin import District
from gongjian_kit.events import Event

pytestmark = pytest.mark.integration

AT = "2026-05-06T10:00:00+08:00"

CASE_FIGURES = [
    "casesOpened",
    "casesResolved",
    "casesResolvedOnTime",
    "onTimeRate",
    "casesClosed",
    "satisfactionCount",
    "satisfactionSum",
    "satisfactionAverage",
    "casesOverdueEscalated",
]
JOINT_FIGURES = [
    "pairingsActive",
    "visits",
    "pledgesMade",
    "pledgesFulfilled",
    "pledgesLapsed",
    "decisionsMade",
    "decisionsDone",
    "decisionsOverdue",
    "ventures",
    "ventureJobs",
    "venturePeopleLed",
]
STATS = f"query($c: String!) {{ areaStats(areaCode: $c) {{ {' '.join(CASE_FIGURES)} }} }}"
JOINT = f"query($c: String!) {{ areaStats(areaCode: $c) {{ {' '.join(JOINT_FIGURES)} }} }}"
CASE_SUMMARY = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization {
  caseSummary { casesOpened casesResolved casesResolvedOnTime onTimeRate satisfactionCount
    satisfactionSum satisfactionAverage }
} } }"""
THROUGH_GATEWAY = """query($c: String!) { area(code: $c) { stats { casesResolved
  casesResolvedOnTime onTimeRate satisfactionAverage } } }"""
# What each case step adds to the case's state (besides its status).
CASE_STEP = {
    "opened": {"receivedAt": AT},
    "accepted": {"acceptedAt": AT},
    "started": {"startedAt": AT},
    "resolved": {"resolvedAt": AT},
    "closed": {"closedAt": AT},
    "escalated": {"escalatedAt": AT, "overdueWorkingDays": 2},
}


def case_figures(**given: float | None) -> dict[str, float | None]:
    """Case figures: counts 0 and rates null unless given."""
    rates = ("onTimeRate", "satisfactionAverage")
    return {n: given.get(n, None if n in rates else 0) for n in CASE_FIGURES}


def joint_figures(**given: int) -> dict[str, int]:
    return {name: given.get(name, 0) for name in JOINT_FIGURES}


class Feed(ActivityFeed):
    """The activities feed, with what these tests read of evaluation's own outbox."""

    async def outbox(self, code: str) -> list[dict[str, Any]]:
        """The area-stats events the evaluation service has written for an area, oldest first."""
        conn = await asyncpg.connect(self.stack.database("evaluation"))
        try:
            # Area figures are published coalesced, within a second: until none is pending.
            deadline = time.monotonic() + 15
            while await conn.fetchval(
                "SELECT count(*) FROM stats_dirty WHERE area_code LIKE $1",
                self.district.code[:6] + "%",
            ):
                assert time.monotonic() < deadline, "the figures were never published"
                await asyncio.sleep(0.05)
            rows = await conn.fetch(
                "SELECT payload FROM outbox WHERE event_type LIKE '%area-stats%' AND key = $1 "
                "ORDER BY id",
                code,
            )
        finally:
            await conn.close()
        return [json.loads(r["payload"])["data"] for r in rows]

    def stats(self, code: str) -> dict[str, Any]:
        return dict(self.evaluation.data(STATS, {"c": code})["areaStats"])

    def joint(self, code: str) -> dict[str, Any]:
        return dict(self.evaluation.data(JOINT, {"c": code})["areaStats"])

    def case_summary(self, org: str) -> dict[str, Any] | None:
        representation = [{"__typename": "Organization", "id": org}]
        found = self.evaluation.data(CASE_SUMMARY, {"r": representation})["_entities"][0]
        return found["caseSummary"]

    # The activities service's events, in the shapes of its contracts.

    def case(self, verb: str, case_id: str, area: str, org: str, **state: Any) -> Event:
        """A case event: the case's whole countable state after the step."""
        data: dict[str, Any] = {
            "caseId": case_id,
            "areaCode": area,
            "organizationId": org,
            "channel": "HOTLINE",
            "category": "WAGES_OWED",
            "urgency": "NORMAL",
            "status": "OPEN",
            "requesterKind": "ANONYMOUS",
            "openedOn": "2026-05-06",
            "dueOn": "2026-05-20",
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
        }
        return self.event(f"case.{verb}", case_id, data | CASE_STEP.get(verb, {}) | state)

    def resolved(self, case_id: str, area: str, org: str, *, on_time: bool, **state: Any) -> Event:
        return self.case(
            "resolved",
            case_id,
            area,
            org,
            status="RESOLVED",
            resolvedOn="2026-05-12",
            workingDays=4 if on_time else 12,
            onTime=on_time,
            **state,
        )

    def closed(
        self, case_id: str, area: str, org: str, *, on_time: bool, score: int | None
    ) -> Event:
        return self.case(
            "closed",
            case_id,
            area,
            org,
            status="CLOSED",
            resolvedOn="2026-05-12",
            workingDays=4 if on_time else 12,
            onTime=on_time,
            satisfaction=score,
            requesterReached=score is not None,
        )


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def feed(district: District) -> Feed:
    return Feed(district)


def wait_for_organization(feed: Feed, org: str) -> None:
    """Until the evaluation service has heard of the organisation (its summary is not null)."""
    deadline = time.monotonic() + 15
    while feed.case_summary(org) is None:
        assert time.monotonic() < deadline, "the organisation never reached evaluation"
        time.sleep(0.05)


async def test_a_hotline_case_closed_with_a_score_counts_resolved_on_time_and_satisfaction(
    district: District, feed: Feed
):
    c1, c2 = district.communities[0], district.communities[1]
    union = district.organization(c1, [district.unit(c1)], kind="TRADE_UNION")
    wait_for_organization(feed, union)
    wages, late = new_id(), new_id()
    await feed.send(
        feed.case("opened", wages, c1, union),
        feed.case("accepted", wages, c1, union, status="ACCEPTED"),
        feed.case("started", wages, c1, union, status="IN_PROGRESS"),
        feed.resolved(wages, c1, union, on_time=True),
        feed.closed(wages, c1, union, on_time=True, score=5),
        feed.case("opened", late, c2, union),
        feed.closed(late, c2, union, on_time=False, score=2),
    )
    assert feed.stats(c1) == case_figures(
        casesOpened=1,
        casesResolved=1,
        casesResolvedOnTime=1,
        onTimeRate=1.0,
        casesClosed=1,
        satisfactionCount=1,
        satisfactionSum=5,
        satisfactionAverage=5.0,
    )
    both = case_figures(
        casesOpened=2,
        casesResolved=2,
        casesResolvedOnTime=1,
        onTimeRate=0.5,
        casesClosed=2,
        satisfactionCount=2,
        satisfactionSum=7,
        satisfactionAverage=3.5,
    )
    assert feed.stats(district.streets[0]) == feed.stats(district.code) == both
    assert feed.stats(district.streets[1]) == case_figures()
    assert feed.case_summary(union) == {
        "casesOpened": 2,
        "casesResolved": 2,
        "casesResolvedOnTime": 1,
        "onTimeRate": 0.5,
        "satisfactionCount": 2,
        "satisfactionSum": 7,
        "satisfactionAverage": 3.5,
    }

    # Reopened: back in progress, its resolution and score taken back until resolved again.
    await feed.send(
        feed.case(
            "reopened",
            wages,
            c1,
            union,
            status="IN_PROGRESS",
            reopenCount=1,
            **{
                "previousStatus": "CLOSED",
                "reopenedAt": AT,
            },
        )
    )
    assert feed.stats(c1) == case_figures(casesOpened=1)
    reopened = case_figures(
        casesOpened=2,
        casesResolved=1,
        onTimeRate=0.0,
        casesClosed=1,
        satisfactionCount=1,
        satisfactionSum=2,
        satisfactionAverage=2.0,
    )
    assert feed.stats(district.code) == reopened
    # The figures as a frontend reads them: through the gateway, beside the area.
    got = district.admin.data(THROUGH_GATEWAY, {"c": district.code})["area"]["stats"]
    assert got == {
        "casesResolved": 1,
        "casesResolvedOnTime": 0,
        "onTimeRate": 0.0,
        "satisfactionAverage": 2.0,
    }


async def test_repeated_case_events_move_nothing_and_publish_nothing(
    district: District, feed: Feed
):
    c3 = district.communities[2]
    org, case_id = new_id(), new_id()  # the handler is not known here: area figures count
    opened = feed.case("opened", case_id, c3, org)  # versions are given in order of making
    closed = feed.closed(case_id, c3, org, on_time=True, score=4)
    await feed.send(opened, closed)
    expected = case_figures(
        casesOpened=1,
        casesResolved=1,
        casesResolvedOnTime=1,
        onTimeRate=1.0,
        casesClosed=1,
        satisfactionCount=1,
        satisfactionSum=4,
        satisfactionAverage=4.0,
    )
    assert feed.stats(c3) == feed.stats(district.code) == expected
    published = len(await feed.outbox(district.code))

    def again(event: Event) -> Event:
        """The same fact under a new id and no version (a re-published outbox): the handler
        runs and finds the state already set."""
        return Event(type=event.type, subject=event.subject, data=event.data, source=event.source)

    await feed.send(closed, again(closed), again(closed))
    assert feed.stats(c3) == feed.stats(district.code) == expected
    assert len(await feed.outbox(district.code)) == published  # no figure moved: none sent


async def test_an_escalated_case_counts_overdue_until_resolved_and_follows_its_transfer(
    district: District, feed: Feed
):
    c4 = district.communities[3]
    first = district.organization(c4, [district.unit(c4)], kind="WOMENS_FEDERATION")
    second = district.organization(c4, [district.unit(c4)], kind="TRADE_UNION")
    wait_for_organization(feed, first)
    wait_for_organization(feed, second)
    case_id = new_id()
    await feed.send(
        feed.case("opened", case_id, c4, first),
        feed.case("accepted", case_id, c4, first, status="ACCEPTED"),
        feed.case("escalated", case_id, c4, first, status="ACCEPTED", escalated=True),
    )
    assert feed.stats(district.code)["casesOverdueEscalated"] == 1
    transferred = feed.case(
        "transferred",
        case_id,
        c4,
        second,
        status="ACCEPTED",
        escalated=True,
        fromOrganizationId=first,
        transferredAt=AT,
    )
    await feed.send(transferred)
    assert feed.stats(c4)["casesOverdueEscalated"] == 1  # the area stays; the handler moves
    assert feed.case_summary(first)["casesOpened"] == 0  # type: ignore[index]
    assert feed.case_summary(second)["casesOpened"] == 1  # type: ignore[index]

    await feed.send(feed.resolved(case_id, c4, second, on_time=False, escalated=True))
    assert feed.stats(district.code) == case_figures(casesOpened=1, casesResolved=1, onTimeRate=0.0)
    summary = feed.case_summary(second)
    assert summary is not None
    assert (summary["casesResolved"], summary["onTimeRate"]) == (1, 0.0)


async def test_pairings_visits_pledges_decisions_and_ventures_count_by_state(
    district: District, feed: Feed
):
    c1, c3 = district.communities[0], district.communities[2]
    orgs = [new_id(), new_id()]
    pairing, visit, other_visit = new_id(), new_id(), new_id()
    kept, lapsed = new_id(), new_id()
    decision, dropped = new_id(), new_id()
    venture = new_id()

    def pairing_event(verb: str, **extra: Any) -> Event:
        data = {
            "pairingId": pairing,
            "kind": "URBAN_RURAL",
            "areaCode": c1,
            "organizationIds": orgs,
        }
        return feed.event(f"pairing.{verb}", pairing, data | extra)

    def visit_event(visit_id: str, area: str) -> Event:
        data = {
            "visitId": visit_id,
            "pairingId": pairing,
            "kind": "URBAN_RURAL",
            "areaCode": area,
            "organizationIds": orgs,
            "visitedOn": "2026-05-08",
            "visitorCount": 3,
            "problemCount": 1,
            "caseIds": [],
        }
        return feed.event("visit.logged", visit_id, data)

    def pledge_event(pledge_id: str, verb: str, status: str, **extra: Any) -> Event:
        data = {
            "pledgeId": pledge_id,
            "areaCode": c1,
            "organizationId": orgs[0],
            "pledgerKind": "ORGANIZATION",
            "dueOn": "2026-06-01",
            "status": status,
        }
        if verb != "lapsed":
            data["madeOn"] = "2026-05-01"
        return feed.event(f"pledge.{verb}", pledge_id, data | extra)

    def decision_event(decision_id: str, verb: str, status: str, **extra: Any) -> Event:
        data = {
            "decisionId": decision_id,
            "activityId": new_id(),
            "areaCode": c3,
            "ownerOrganizationId": orgs[1],
            "dueOn": "2026-05-30",
            "status": status,
        }
        return feed.event(f"decision.{verb}", decision_id, data | extra)

    def venture_event(verb: str, employed: int, led: int, **extra: Any) -> Event:
        data = {
            "ventureId": venture,
            "areaCode": c3,
            "kind": "YOUTH_DEMONSTRATION",
            "peopleEmployed": employed,
            "peopleLed": led,
        }
        return feed.event(f"venture.{verb}", venture, data | extra)

    logged = visit_event(visit, c1)
    await feed.send(
        pairing_event("started", partyCount=2, startsOn="2026-05-01", endsOn=None, status="ACTIVE"),
        logged,
        visit_event(other_visit, c3),
        pledge_event(kept, "made", "MADE"),
        pledge_event(lapsed, "made", "MADE"),
        pledge_event(lapsed, "lapsed", "LAPSED"),
        decision_event(decision, "made", "OPEN"),
        decision_event(decision, "overdue", "OPEN"),
        decision_event(dropped, "made", "OPEN"),
        decision_event(dropped, "dropped", "DROPPED", droppedOn="2026-05-09"),
        venture_event("registered", 3, 8, unitId=None, startedOn="2026-03-01"),
    )
    assert feed.joint(c1) == joint_figures(
        pairingsActive=1, visits=1, pledgesMade=2, pledgesLapsed=1
    )
    assert feed.joint(c3) == joint_figures(
        visits=1, decisionsMade=2, decisionsOverdue=1, ventures=1, ventureJobs=3, venturePeopleLed=8
    )
    # The same visit logged again (a new id, no version) counts once.
    await feed.send(
        Event(type=logged.type, subject=logged.subject, data=logged.data, source=logged.source)
    )
    assert feed.joint(district.code)["visits"] == 2

    await feed.send(
        pairing_event("ended", endedOn="2026-06-30", visitCount=1, status="ENDED"),
        pledge_event(kept, "fulfilled", "FULFILLED", fulfilledOn="2026-05-20", onTime=True),
        decision_event(decision, "done", "DONE", doneOn="2026-06-02", onTime=False),
        venture_event("updated", 5, 20, asOf="2026-06-30"),
    )
    assert feed.joint(district.code) == joint_figures(
        visits=2,
        pledgesMade=2,
        pledgesFulfilled=1,
        pledgesLapsed=1,
        decisionsMade=2,
        decisionsDone=1,
        ventures=1,
        ventureJobs=5,
        venturePeopleLed=20,
    )

    # The district topic carries the new figures, beside the old ones.
    latest = (await feed.outbox(district.code))[-1]
    assert latest["ventureJobs"] == 5
    assert latest["pledgesFulfilled"] == 1
    assert latest["onTimeRate"] is None  # no case resolved here
    assert {"activityCount", "volunteerHours", "casesOpened"} <= latest.keys()
