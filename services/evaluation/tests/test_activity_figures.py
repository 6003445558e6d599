"""Figures from what the activities service records: lifecycle, check-ins, verified hours.

The events are the activities service's own (checked against its committed JSON Schemas),
published straight to the real broker, so each scenario can say exactly what arrives and in
which order, redeliveries included; the evaluation service consumes them as in production.
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
from gongjian_deploy.stack import Stack
from gongjian_kit.events import Event

pytestmark = pytest.mark.integration

STARTS_AT = "2026-05-01T09:00:00+08:00"

STATS = """query($c: String!) { areaStats(areaCode: $c) { activityCount completedActivityCount
  peopleServed checkedInCount volunteerCount volunteerHours } }"""
SUMMARY = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization {
  activitySummary { activityCount completedCount peopleServed volunteerHours lastActivityAt }
} } }"""
THROUGH_GATEWAY = """query($c: String!) { area(code: $c) { stats { activityCount
  completedActivityCount peopleServed checkedInCount volunteerCount volunteerHours } } }"""


def figures(**given: float) -> dict[str, float]:
    """Area figures, 0 unless given."""
    names = [
        "activityCount",
        "completedActivityCount",
        "peopleServed",
        "checkedInCount",
        "volunteerCount",
        "volunteerHours",
    ]
    return {name: given.get(name, 0) for name in names}


class Feed(ActivityFeed):
    """The activities feed, with what these tests read of evaluation's own outbox."""

    async def published_figures(self) -> int:
        """How many area-stats events the evaluation service has written (its outbox)."""
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
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM outbox WHERE event_type LIKE '%area-stats%' "
                    "AND key LIKE $1",
                    self.district.code[:6] + "%",
                )
            )
        finally:
            await conn.close()

    def stats(self, code: str) -> dict[str, float]:
        return dict(self.evaluation.data(STATS, {"c": code})["areaStats"])

    def summary(self, org: str) -> dict[str, Any]:
        representation = [{"__typename": "Organization", "id": org}]
        found = self.evaluation.data(SUMMARY, {"r": representation})["_entities"][0]
        return dict(found["activitySummary"] or {})

    # The activities service's events, in the shapes of its contracts.

    def activity(
        self,
        kind: str,
        activity_id: str,
        area: str,
        organizers: list[str],
        **extra: object,
    ) -> Event:
        data: dict[str, Any] = {"activityId": activity_id, "organizerIds": organizers}
        data["areaCode"] = area
        described = {"line": "SERVING_THE_PEOPLE", "category": "SERVICE_DELIVERY"}
        if kind == "created":
            data |= described | {"startsAt": STARTS_AT, "endsAt": None, "status": "PLANNED"}
        elif kind == "completed":
            data |= described | {
                "serviceKind": "HEALTH",
                "startsAt": STARTS_AT,
                "completedAt": "2026-05-01T12:00:00+08:00",
                "peopleServed": 0,
                "participantCount": 0,
                "volunteerCount": 0,
            }
        elif kind == "published":
            data |= described | {
                "serviceKind": None,
                "startsAt": STARTS_AT,
                "endsAt": None,
                "capacity": None,
                "publishedAt": "2026-04-20T09:00:00+08:00",
            }
        elif kind == "started":
            data |= {"startedAt": STARTS_AT, "trigger": "MANUAL"}
        elif kind == "cancelled":
            data |= {"previousStatus": "COMPLETED", "cancelledAt": "2026-05-02T09:00:00+08:00"}
        return self.event(f"activity.{kind}", activity_id, data | extra)

    def participation(
        self,
        kind: str,
        participation_id: str,
        activity_id: str,
        person: str,
        area: str,
        organizers: list[str],
        **extra: object,
    ) -> Event:
        data: dict[str, Any] = {
            "participationId": participation_id,
            "activityId": activity_id,
            "personId": person,
            "role": "VOLUNTEER",
            "areaCode": area,
            "organizerIds": organizers,
        }
        if kind.startswith("hours."):
            data["servedOn"] = "2026-05-01"
            if kind == "hours.verified":
                data |= {"hours": 0, "previousHours": 0}
        else:
            data["at"] = STARTS_AT
            data |= {"checked-in": {"method": "CODE"}, "checked-out": {"claimedHours": 3}}.get(
                kind, {}
            )
            kind = f"participation.{kind}"
        return self.event(kind, participation_id, data | extra)

    def hours_added(self, person: str, area: str, hours: float, activity: str | None) -> Event:
        source = str(uuid.uuid4())
        return self.event(
            "hours.added",
            source,
            {
                "manualHoursId": source,
                "personId": person,
                "activityId": activity,
                "areaCode": area,
                "servedOn": "2026-05-01",
                "hours": hours,
            },
        )


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def district(stack: Stack) -> District:
    return District(stack)


@pytest.fixture
def feed(district: District) -> Feed:
    return Feed(district)


def wait_for_organization(feed: Feed, org: str) -> None:
    """Until the evaluation service has heard of the organisation (its summary is not null)."""
    deadline = time.monotonic() + 15
    while not feed.summary(org):
        assert time.monotonic() < deadline, "the organisation never reached evaluation"
        time.sleep(0.05)


async def test_an_activity_counts_until_cancelled_and_takes_its_people_served_with_it(
    district: District, feed: Feed
):
    c1, c2 = district.communities[0], district.communities[1]
    street, other_street = district.streets
    org = district.organization(c1, [district.unit(c1)])
    wait_for_organization(feed, org)
    served, other = new_id(), new_id()
    await feed.send(
        feed.activity("created", served, c1, [org]),
        feed.activity("published", served, c1, [org]),
        feed.activity("started", served, c1, [org]),
        feed.activity("completed", served, c1, [org], peopleServed=40),
        feed.activity("created", other, c2, [org]),
    )
    done = figures(activityCount=1, completedActivityCount=1, peopleServed=40)
    assert feed.stats(c1) == done
    assert feed.stats(c2) == figures(activityCount=1)
    assert (
        feed.stats(street)
        == feed.stats(district.code)
        == figures(activityCount=2, completedActivityCount=1, peopleServed=40)
    )
    assert feed.stats(other_street) == figures()
    summary = feed.summary(org)
    assert summary["lastActivityAt"] is not None
    assert {k: v for k, v in summary.items() if k != "lastActivityAt"} == {
        "activityCount": 2,
        "completedCount": 1,
        "peopleServed": 40,
        "volunteerHours": 0,
    }

    await feed.send(feed.activity("cancelled", served, c1, [org]))
    assert feed.stats(c1) == figures()
    assert feed.stats(street) == feed.stats(district.code) == figures(activityCount=1)
    summary = feed.summary(org)
    assert (summary["activityCount"], summary["completedCount"], summary["peopleServed"]) == (
        1,
        0,
        0,
    )
    # The figures as a frontend reads them: through the gateway, beside the area.
    got = district.admin.data(THROUGH_GATEWAY, {"c": street})["area"]["stats"]
    assert got == figures(activityCount=1)


async def test_an_activity_moved_to_another_area_leaves_the_old_one(district: District, feed: Feed):
    c1, c3 = district.communities[0], district.communities[2]
    org = new_id()  # not known to evaluation: area figures count all the same
    activity = new_id()
    await feed.send(
        feed.activity("created", activity, c1, [org]),
        feed.activity("completed", activity, c1, [org], peopleServed=7),
    )
    assert feed.stats(district.streets[0])["peopleServed"] == 7
    updated = feed.activity(
        "updated",
        activity,
        c3,
        [org],
        line="PAIRING",
        category="VISIT",
        serviceKind=None,
        startsAt=STARTS_AT,
        endsAt=None,
        capacity=None,
        status="COMPLETED",
    )
    await feed.send(updated)
    assert feed.stats(district.streets[0]) == figures()
    moved = figures(activityCount=1, completedActivityCount=1, peopleServed=7)
    assert feed.stats(c3) == feed.stats(district.streets[1]) == moved
    assert feed.stats(district.code) == moved


async def test_a_redelivered_event_changes_nothing(district: District, feed: Feed):
    c1 = district.communities[0]
    org = district.organization(c1, [district.unit(c1)])
    wait_for_organization(feed, org)
    activity, participation, person = new_id(), new_id(), new_id()
    created = feed.activity("created", activity, c1, [org])
    completed = feed.activity("completed", activity, c1, [org], peopleServed=25)
    signed_up, checked_in, checked_out = (
        feed.participation(kind, participation, activity, person, c1, [org])
        for kind in ("signed-up", "checked-in", "checked-out")
    )
    verified = feed.participation(
        "hours.verified", participation, activity, person, c1, [org], hours=3
    )
    await feed.send(created, completed, signed_up, checked_in, checked_out, verified)
    expected = figures(
        activityCount=1,
        completedActivityCount=1,
        peopleServed=25,
        checkedInCount=1,
        volunteerCount=1,
        volunteerHours=3,
    )
    assert feed.stats(c1) == feed.stats(district.code) == expected
    summary_before = feed.summary(org)
    published_before = await feed.published_figures()

    def copy(event: Event, *, version: int | None) -> Event:
        """The same fact under a new id: a re-published outbox, a replay of another source."""
        return Event(
            type=event.type,
            subject=event.subject,
            data=event.data,
            source=event.source,
            version=version,
        )

    await feed.send(
        completed,  # the very same event again: the inbox drops it
        verified,
        copy(completed, version=completed.version),  # the same version: stale, dropped
        copy(verified, version=None),  # no version: the handler runs, finds the state set
        copy(completed, version=None),
    )
    assert feed.stats(c1) == feed.stats(district.code) == expected
    assert feed.summary(org) == summary_before
    assert await feed.published_figures() == published_before  # no figure moved: none sent


async def test_hours_verified_again_lower_move_the_total_by_the_difference(
    district: District, feed: Feed
):
    c1 = district.communities[0]
    street = district.streets[0]
    org = district.organization(c1, [district.unit(c1)])
    wait_for_organization(feed, org)
    activity, participation, person = new_id(), new_id(), new_id()

    def verified(hours: float, previous: float) -> Event:
        return feed.participation(
            "hours.verified",
            participation,
            activity,
            person,
            c1,
            [org],
            hours=hours,
            previousHours=previous,
        )

    await feed.send(feed.activity("created", activity, c1, [org]), verified(3.5, 0))
    assert feed.stats(street) == figures(activityCount=1, volunteerCount=1, volunteerHours=3.5)
    await feed.send(verified(2.25, 3.5))
    assert (
        feed.stats(c1)
        == feed.stats(district.code)
        == figures(activityCount=1, volunteerCount=1, volunteerHours=2.25)
    )
    assert feed.summary(org)["volunteerHours"] == 2.25

    await feed.send(
        feed.participation(
            "hours.rejected", participation, activity, person, c1, [org], previousHours=2.25
        )
    )
    assert feed.stats(street) == figures(activityCount=1)  # no hours: no volunteer
    assert feed.summary(org)["volunteerHours"] == 0

    # Hours added by hand for the activity count too, for its organisers.
    await feed.send(feed.hours_added(person, c1, 1.5, activity))
    assert feed.stats(street) == figures(activityCount=1, volunteerCount=1, volunteerHours=1.5)
    assert feed.summary(org)["volunteerHours"] == 1.5


async def test_a_volunteer_counts_once_per_area_however_many_activities(
    district: District, feed: Feed
):
    c1, c2, c3 = district.communities[0], district.communities[1], district.communities[2]
    s1, s2 = district.streets
    org = new_id()
    a1, a2, a3 = new_id(), new_id(), new_id()
    volunteer, another = new_id(), new_id()
    p1, p2, p3, q1 = new_id(), new_id(), new_id(), new_id()

    def hours(participation: str, activity: str, person: str, area: str, value: float) -> Event:
        return feed.participation(
            "hours.verified", participation, activity, person, area, [org], hours=value
        )

    await feed.send(
        hours(p1, a1, volunteer, c1, 2),
        hours(p2, a2, volunteer, c1, 3),
        hours(p3, a3, volunteer, c2, 4),
        hours(q1, a1, another, c1, 1),
        feed.hours_added(volunteer, c3, 0.5, None),
    )
    assert feed.stats(c1) == figures(volunteerCount=2, volunteerHours=6)
    assert feed.stats(c2) == figures(volunteerCount=1, volunteerHours=4)
    assert feed.stats(s1) == figures(volunteerCount=2, volunteerHours=10)
    assert feed.stats(c3) == feed.stats(s2) == figures(volunteerCount=1, volunteerHours=0.5)
    assert feed.stats(district.code) == figures(volunteerCount=2, volunteerHours=10.5)

    def rejected(participation: str, activity: str, area: str, previous: float) -> Event:
        return feed.participation(
            "hours.rejected",
            participation,
            activity,
            volunteer,
            area,
            [org],
            previousHours=previous,
        )

    await feed.send(rejected(p1, a1, c1, 2))
    assert feed.stats(c1) == figures(volunteerCount=2, volunteerHours=4)  # a2 still counts
    await feed.send(rejected(p2, a2, c1, 3))
    assert feed.stats(c1) == figures(volunteerCount=1, volunteerHours=1)
    assert feed.stats(s1) == figures(volunteerCount=2, volunteerHours=5)  # a3, in c2
    assert feed.stats(district.code) == figures(volunteerCount=2, volunteerHours=5.5)


async def test_each_participant_checked_in_counts_once(district: District, feed: Feed):
    c4 = district.communities[3]
    org, activity = new_id(), new_id()
    people = [(new_id(), new_id()) for _ in range(3)]

    def step(kind: str, who: int) -> Event:
        participation, person = people[who]
        return feed.participation(kind, participation, activity, person, c4, [org])

    await feed.send(
        *(step("signed-up", who) for who in range(3)),
        step("withdrawn", 2),
        step("checked-in", 0),
        step("checked-in", 1),
        step("checked-out", 0),
    )
    assert feed.stats(c4)["checkedInCount"] == 2
    assert feed.stats(district.code)["checkedInCount"] == 2


async def test_the_district_topic_carries_the_new_figures(district: District, feed: Feed):
    c1 = district.communities[0]
    activity = new_id()
    await feed.send(
        feed.activity("created", activity, c1, [new_id()]),
        feed.activity("completed", activity, c1, [new_id()], peopleServed=3),
    )
    await feed.published_figures()  # until the publisher has published them
    conn = await asyncpg.connect(feed.stack.database("evaluation"))
    try:
        payload = await conn.fetchval(
            "SELECT payload FROM outbox WHERE event_type LIKE '%area-stats%' AND key = $1 "
            "ORDER BY id DESC LIMIT 1",
            district.code,
        )
    finally:
        await conn.close()
    data = json.loads(payload)["data"]
    assert data["completedActivityCount"] == 1
    assert data["peopleServed"] == 3
    assert {"checkedInCount", "volunteerCount", "volunteerHours"} <= data.keys()
