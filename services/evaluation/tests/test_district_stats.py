"""District statistics (issue 11, item 3): coalesced publishing, totals agreeing at every
level, monthly snapshots.

The activities service's events (checked against its committed JSON Schemas) go straight to the
real broker; the evaluation service consumes them as in production, marks the areas whose
figures moved, and its publisher publishes each marked area at most once a second.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from gongjian_deploy.activity_feed import ActivityFeed
from gongjian_deploy.pytest_plugin import District
from gongjian_deploy.stack import Stack
from gongjian_kit import clock
from gongjian_kit.events import Event, EventCatalog

pytestmark = pytest.mark.integration

ADDITIVE = [
    "organizationCount",
    "activityCount",
    "completedActivityCount",
    "peopleServed",
    "checkedInCount",
    "volunteerCount",
    "volunteerHours",
    "casesOpened",
    "pledgesMade",
]
READ_NOW = ["activeOrganizationCount"]
LISTS = ["activitiesByLineOfWork", "assessmentGrades", "recommendationsByStage"]
STATS = (
    "query($c: String!) { areaStats(areaCode: $c) { "
    + " ".join(ADDITIVE + READ_NOW)
    + " "
    + " ".join(f"{name} {{ key count }}" for name in LISTS)
    + " } }"
)
HISTORY = """query($c: String!, $f: Date!, $t: Date!) {
  areaStatsHistory(areaCode: $c, fromMonth: $f, toMonth: $t) {
    month areaCode activityCount completedActivityCount peopleServed } }"""


def new_id() -> str:
    return str(uuid.uuid4())


class Feed(ActivityFeed):
    """The activities feed, with activities dated three days ago and sent as a burst."""

    def __init__(self, district: District) -> None:
        super().__init__(district)
        self.starts_at = (clock.now() - timedelta(days=3)).isoformat()

    def activity(
        self, kind: str, activity_id: str, area: str, organizers: list[str], **extra: object
    ) -> Event:
        data: dict[str, Any] = {"activityId": activity_id, "organizerIds": organizers}
        data["areaCode"] = area
        described = {"line": extra.pop("line", "SERVING_THE_PEOPLE"), "category": "SERVICE"}
        if kind == "created":
            data |= described | {"startsAt": self.starts_at, "endsAt": None, "status": "PLANNED"}
        elif kind == "completed":
            data |= described | {
                "serviceKind": "HEALTH",
                "startsAt": self.starts_at,
                "completedAt": self.starts_at,
                "peopleServed": 0,
                "participantCount": 0,
                "volunteerCount": 0,
            }
        return self.event(f"activity.{kind}", activity_id, data | extra)

    async def burst(self, events: list[Event], timeout_s: float = 60.0) -> float:
        """Send all at once; the seconds until evaluation has taken the last one."""
        started = time.monotonic()
        producer = AIOKafkaProducer(bootstrap_servers=self.stack.bootstrap, acks="all")
        await producer.start()
        try:
            sent = [
                await producer.send(self.topic, value=e.to_json(), key=e.subject.encode())
                for e in events
            ]
            await asyncio.gather(*sent)
        finally:
            await producer.stop()
        await self.taken(*events, timeout_s=timeout_s)
        return time.monotonic() - started

    async def published(self) -> list[asyncpg.Record]:
        """The district's area-stats messages in the outbox, once the publisher has published
        every marked area of the district (oldest first)."""
        conn = await asyncpg.connect(self.stack.database("evaluation"))
        prefix = self.district.code[:6] + "%"
        try:
            deadline = time.monotonic() + 15
            while await conn.fetchval(
                "SELECT count(*) FROM stats_dirty WHERE area_code LIKE $1", prefix
            ):
                assert time.monotonic() < deadline, "the publisher never published"
                await asyncio.sleep(0.1)
            return await conn.fetch(
                "SELECT key, payload, created_at FROM outbox "
                "WHERE event_type LIKE '%area-stats%' AND key LIKE $1 ORDER BY id",
                prefix,
            )
        finally:
            await conn.close()

    def stats(self, code: str) -> dict[str, Any]:
        return dict(self.evaluation.data(STATS, {"c": code})["areaStats"])


@pytest.fixture
def district(stack: Stack) -> District:
    return District(stack)


@pytest.fixture
def feed(district: District) -> Feed:
    return Feed(district)


async def test_a_burst_is_published_at_most_once_a_second_per_area_ending_with_the_last_state(
    district: District, feed: Feed
):
    community = district.communities[0]
    organizer = new_id()
    ids = [new_id() for _ in range(250)]
    burst = [feed.activity("created", a, community, [organizer]) for a in ids] + [
        feed.activity("completed", a, community, [organizer], peopleServed=2) for a in ids
    ]
    seconds = await feed.burst(burst)
    messages = await feed.published()

    per_area = Counter(m["key"] for m in messages)
    chain = [community, community[:9] + "000", district.code]
    assert set(per_area) == set(chain)
    allowed = int(seconds) + 2
    assert all(n <= allowed for n in per_area.values()), (per_area, seconds)
    for code in chain:
        last = json.loads([m for m in messages if m["key"] == code][-1]["payload"])["data"]
        now = feed.stats(code)
        assert last["activityCount"] == now["activityCount"] == 250
        assert last["completedActivityCount"] == now["completedActivityCount"] == 250
        assert last["peopleServed"] == now["peopleServed"] == 500


def _sum(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for row in rows:
        for name in ADDITIVE + READ_NOW:
            total[name] = total.get(name, 0) + row[name]
        for name in LISTS:
            counts: Counter[str] = Counter(total.get(name, {}))
            counts.update(row[name])
            total[name] = dict(counts)
    return total


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{n: row[n] for n in ADDITIVE + READ_NOW},
        **{n: {c["key"]: c["count"] for c in row[n]} for n in LISTS},
    }


async def test_every_area_is_the_sum_of_the_areas_beneath_it(district: District, feed: Feed):
    c1, c2, c3, c4 = district.communities
    orgs = [
        await asyncio.to_thread(
            district.organization, c, [await asyncio.to_thread(district.unit, c)]
        )
        for c in (c1, c3)
    ]
    deadline = time.monotonic() + 20  # until evaluation has heard of both organisations
    while feed.stats(district.code)["organizationCount"] < 2:
        assert time.monotonic() < deadline, "the organisations never reached evaluation"
        await asyncio.sleep(0.1)
    events: list[Event] = []
    for n, (community, org, line) in enumerate(
        [
            (c1, orgs[0], "SERVING_THE_PEOPLE"),
            (c1, orgs[0], "PAIRING"),
            (c2, orgs[0], "PAIRING"),
            (c3, orgs[1], "SERVING_THE_PEOPLE"),
            (c4, new_id(), "MECHANISMS"),
        ]
    ):
        activity = new_id()
        events.append(feed.activity("created", activity, community, [org], line=line))
        if n % 2 == 0:
            events.append(
                feed.activity(
                    "completed", activity, community, [org], line=line, peopleServed=n + 1
                )
            )
    await feed.burst(events)
    await feed.published()

    figures = {
        code: _shape(feed.stats(code))
        for code in [district.code, *district.streets, *district.communities]
    }
    assert figures[district.code]["activityCount"] == 5
    assert figures[district.code]["activeOrganizationCount"] == 2
    assert figures[district.code]["activitiesByLineOfWork"] == {
        "SERVING_THE_PEOPLE": 2,
        "PAIRING": 2,
        "MECHANISMS": 1,
    }
    for street in district.streets:
        beneath = [figures[c] for c in district.communities if c[:9] == street[:9]]
        assert _sum(beneath) == figures[street], street
    assert _sum([figures[s] for s in district.streets]) == figures[district.code]

    # The month's snapshot holds the last published state.
    today = clock.today()
    history = feed.evaluation.data(
        HISTORY, {"c": district.code, "f": today.replace(day=1).isoformat(), "t": today.isoformat()}
    )["areaStatsHistory"]
    assert [h["month"] for h in history] == [today.replace(day=1).isoformat()]
    assert history[0]["activityCount"] == 5
    assert history[0]["peopleServed"] == figures[district.code]["peopleServed"] == 1 + 3 + 5


ORGANIZATIONS = EventCatalog(
    Path(__file__).resolve().parents[2] / "organizations/src/gongjian_organizations/event_schemas",
    source="/gongjian/organizations",
)
COVERAGE = """query($c: String!) { areaStats(areaCode: $c) { coverage {
  family required covered rate } } }"""


async def test_coverage_per_family_is_counted_per_area_and_rolls_up(district: District, feed: Feed):
    c1, c2, c3, _ = district.communities
    units = [new_id() for _ in range(4)]

    seen: set[tuple[str, str]] = set()

    def changed(unit: str, area: str, family: str, covered: bool, required: bool = True) -> Event:
        """The organizations service's event (versions per unit, the subject)."""
        before = {"required": True, "covered": not covered, "mode": None}
        after = {"required": required, "covered": covered, "mode": "OWN" if covered else None}
        data = {
            "unitId": unit,
            "areaCode": area,
            "family": family,
            "before": before if (unit, family) in seen else None,
            "after": after,
        }
        seen.add((unit, family))
        feed.versions[unit] += 1
        return ORGANIZATIONS.new(
            "gongjian.organizations.coverage.changed.v1", unit, data, version=feed.versions[unit]
        )

    topic = f"{feed.stack.config.topic_namespace}gongjian.organizations.v1"
    feed.topic, activities = topic, feed.topic
    try:
        await feed.burst(
            [
                changed(units[0], c1, "PARTY", covered=False),
                changed(units[0], c1, "PARTY", covered=True),
                changed(units[1], c2, "PARTY", covered=False),
                changed(units[2], c3, "PARTY", covered=True),
                changed(units[2], c3, "TRADE_UNION", covered=False),
                changed(units[3], c3, "TRADE_UNION", covered=True, required=False),
            ]
        )
    finally:
        feed.topic = activities

    def coverage(code: str) -> dict[str, tuple[int, int, float | None]]:
        rows = feed.evaluation.data(COVERAGE, {"c": code})["areaStats"]["coverage"]
        return {r["family"]: (r["required"], r["covered"], r["rate"]) for r in rows}

    assert coverage(c1) == {"PARTY": (1, 1, 1.0)}
    assert coverage(c3)["TRADE_UNION"] == (1, 0, 0.0)
    street = district.streets[0]
    assert coverage(street) == {"PARTY": (2, 1, 0.5)}
    assert coverage(district.code) == {"PARTY": (3, 2, 2 / 3), "TRADE_UNION": (1, 0, 0.0)}
