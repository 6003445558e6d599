"""Fault injection for the event pipeline: a writer, faults, and a checker against the source.

A *writer* sends a steady stream of mutations to the services' own GraphQL endpoints (an admin
token, no gateway, so a fault in one service never hides behind another): it establishes
organisations, dissolves and re-establishes some, and creates activities with one to three
organisers. Meanwhile a *fault* hits the pipeline. Then the *checker* waits for quiescence (no
outbox row left to publish in any service database, read models no longer changing, or equal to
the source) and compares every read model with the source of truth:

- evaluation ``organization_ref`` (active or dissolved, and the date) and activities
  ``organization_ref`` against the organizations database;
- evaluation ``area_stats`` (``organization_count`` = active organisations, ``activity_count`` =
  activities, in the area and everything beneath it, for every area and each ancestor) against
  the organizations and activities databases;
- evaluation ``organization_activity_summary.activity_count`` against the activities' organisers.

It also checks, per consuming service, that every published event of a type it handles has an
inbox row (a *lost event* otherwise), that events of one key were applied in outbox order (the
inbox's ``handled_at`` against the outbox ``id``), and which events ended in a ``.dlq``.

Scenarios: ``kills`` (kill -9 of a consumer-hosting service at random moments, then restart),
``broker`` (the broker stopped during writes, then started and every outbox re-published since a
time before the outage), ``postgres`` (PostgreSQL restarted mid-stream), ``poison`` (garbage and a
well-formed envelope whose handler must fail, straight to the topics; an outbox row larger than the
producer's 1 MB limit), ``replicas`` (a second process of every service: two relays and two of each
consumer). ``python -m gongjian_deploy.chaos`` runs the short suite, ``--long`` the long one
(``make chaos``); ``tests/chaos/test_chaos_short.py`` runs the short one under pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from gongjian_deploy.infra import free_port
from gongjian_deploy.stack import SERVICES, Part, Stack, StackConfig
from gongjian_kit import clock
from gongjian_kit.areas import area_and_ancestors
from gongjian_kit.auth import issue_token

ORGANIZATIONS_TOPIC = "gongjian.organizations.v1"
ACTIVITIES_TOPIC = "gongjian.activities.v1"
# The producer's max_request_size (aiokafka's default, which the kit keeps): 1 MB.
PRODUCER_MAX_REQUEST_BYTES = 1_048_576

# Event types whose effects the read models hold, by the service that consumes them.
ORG_EVENT = re.compile(
    r"^gongjian\.organizations\.organization\.(established|dissolved|reestablished)\."
)
ACTIVITY_EVENT = re.compile(r"^gongjian\.activities\.activity\.created\.")
CONSUMES: dict[str, tuple[str, ...]] = {
    "activities": ("organizations",),
    "evaluation": ("organizations", "activities"),
}

ESTABLISH = """mutation($i: EstablishOrganizationInput!) { establishOrganization(input: $i) {
  organization { id } errors { field code message } } }"""
DISSOLVE = """mutation($i: DissolveOrganizationInput!) { dissolveOrganization(input: $i) {
  organization { id } errors { field code message } } }"""
REESTABLISH = """mutation($i: ReestablishOrganizationInput!) { reestablishOrganization(input: $i) {
  organization { id } errors { field code message } } }"""
CREATE_ACTIVITY = """mutation($i: CreateActivityInput!) { createActivity(input: $i) {
  activity { id } errors { field code message } } }"""
CREATE_AREA = """mutation($i: CreateAreaInput!) { createArea(input: $i) {
  area { code } errors { field code message } } }"""
REGISTER_UNIT = """mutation($i: RegisterUnitInput!) { registerUnit(input: $i) {
  unit { id } errors { field code message } } }"""

KINDS = ("PARTY_BRANCH", "TRADE_UNION", "YOUTH_LEAGUE", "WOMENS_FEDERATION")
LINES = ("DUAL_CULTIVATION", "CONTRIBUTION_AT_WORK", "SERVING_THE_PEOPLE", "PAIRING")

TANSU_OUTAGE_NOTE = (
    "Tansu (the local broker) keeps topics, messages, consumer groups and committed offsets in "
    "memory only: its restart loses every event it held, including events no consumer had read "
    "yet, and the consumer groups start again from the recreated, empty topics. So after the "
    "broker is back the suite re-publishes every service's outbox rows written since {since} "
    "(the start of this scenario, a moment when the checker had seen every consumer caught up): "
    "each consumer then receives every event of the window again; those it had applied are "
    "duplicates its inbox must drop, those the broker lost are applied now. Expected: 0 lost, "
    "0 applied twice."
)


# ---------------------------------------------------------------------------------------------
# The writer


@dataclass
class OrgState:
    id: str
    area: str
    active: bool
    changed_at: float  # monotonic time of the last change the writer made
    busy: bool = False


@dataclass
class Writer:
    """Mutations through the services' GraphQL, spread over every running replica."""

    stack: Stack
    token: str
    communities: list[str]
    units: dict[str, list[str]]
    rng: random.Random
    rate_per_s: float = 25.0
    concurrency: int = 3
    orgs: dict[str, OrgState] = field(default_factory=dict)
    stats: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)  # first message of each failure kind
    _turn: int = 0

    def __post_init__(self) -> None:
        self.http = httpx.AsyncClient(
            headers={"authorization": f"Bearer {self.token}"}, timeout=httpx.Timeout(10.0)
        )
        self.day = clock.today() - timedelta(days=1)  # a date every rule accepts, in China's day

    async def close(self) -> None:
        await self.http.aclose()

    def urls(self, service: str) -> list[str]:
        found = [p.url for p in self.stack.parts if p.name.split("#", maxsplit=1)[0] == service]
        self._turn += 1
        if found:
            shift = self._turn % len(found)
            found = found[shift:] + found[:shift]
        return found

    async def call(
        self, service: str, query: str, variables: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The mutation's data, or None when no replica answered or it failed unexpectedly."""
        for url in self.urls(service):
            try:
                response = await self.http.post(url, json={"query": query, "variables": variables})
                body: dict[str, Any] = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                self._fail("unavailable", f"{service}: {type(exc).__name__}: {exc}")
                continue
            if body.get("errors") or not body.get("data"):
                self._fail("graphql error", f"{service}: {str(body.get('errors'))[:300]}")
                return None
            data: dict[str, Any] = body["data"]
            return data
        await asyncio.sleep(0.2)
        return None

    def _fail(self, kind: str, message: str) -> None:
        self.stats[kind] += 1
        self.samples.setdefault(kind, message)

    async def setup(self, district: str) -> None:
        """The district, its streets and communities, and two units per community."""
        streets = sorted({c[:9] + "000" for c in self.communities})
        for code, name in [(district, "混沌测试区")] + [(s, f"混沌街道{s[6:9]}") for s in streets]:
            await self._must(CREATE_AREA, {"i": {"code": code, "name": name}}, "createArea")
        for code in self.communities:
            await self._must(
                CREATE_AREA, {"i": {"code": code, "name": f"混沌社区{code[6:]}"}}, "createArea"
            )
            for i in range(2):
                data = await self._must(
                    REGISTER_UNIT,
                    {
                        "i": {
                            "name": f"混沌单位{code[6:]}-{i}",
                            "kind": "NON_PUBLIC_ENTERPRISE",
                            "areaCode": code,
                            "partyMembers": 5,
                            "employees": 40,
                        }
                    },
                    "registerUnit",
                )
                self.units.setdefault(code, []).append(str(data["unit"]["id"]))

    async def _must(self, query: str, variables: dict[str, Any], name: str) -> dict[str, Any]:
        for _ in range(50):
            data = await self.call("organizations", query, variables)
            if data is not None:
                payload: dict[str, Any] = data[name]
                if payload["errors"]:
                    raise RuntimeError(f"{name} refused: {payload['errors']}")
                return payload
            await asyncio.sleep(0.2)
        raise RuntimeError(f"{name}: the organizations service did not answer")

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(self._worker(stop) for _ in range(self.concurrency)))

    async def _worker(self, stop: asyncio.Event) -> None:
        pause = self.concurrency / self.rate_per_s
        while not stop.is_set():
            started = time.monotonic()
            try:
                await self.step()
            except Exception as exc:  # the writer never dies: note it and go on
                self._fail("writer exception", f"{type(exc).__name__}: {exc}")
            left = pause - (time.monotonic() - started)
            if left > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), left)

    def _pick(self, *, active: bool, settled_s: float = 0.0) -> OrgState | None:
        now = time.monotonic()
        choices = [
            o
            for o in self.orgs.values()
            if o.active == active and not o.busy and now - o.changed_at >= settled_s
        ]
        return self.rng.choice(choices) if choices else None

    async def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.30 or len(self.orgs) < 6:
            await self.establish()
        elif roll < 0.42:
            await self.dissolve()
        elif roll < 0.50:
            await self.reestablish()
        elif roll < 0.55:
            await self.flip()
        else:
            await self.activity()

    async def establish(self) -> None:
        area = self.rng.choice(self.communities)
        kind = self.rng.choice(KINDS)
        n = self.stats["establish"] + self.stats["unanswered establish"] + 1
        data = await self.call(
            "organizations",
            ESTABLISH,
            {
                "i": {
                    "name": f"混沌组织{n}",
                    "kind": kind,
                    "establishment": "STANDALONE",
                    "areaCode": area,
                    "unitIds": [self.rng.choice(self.units[area])],
                }
            },
        )
        payload = self._payload(data, "establishOrganization", "establish")
        if payload is not None:
            org_id = str(payload["organization"]["id"])
            self.orgs[org_id] = OrgState(org_id, area, True, time.monotonic())

    def _payload(self, data: dict[str, Any] | None, name: str, op: str) -> dict[str, Any] | None:
        if data is None:
            self.stats[f"unanswered {op}"] += 1
            return None
        payload: dict[str, Any] = data[name]
        if payload["errors"]:
            code = payload["errors"][0]["code"]
            self._fail(f"refused {op} ({code})", str(payload["errors"][0]["message"]))
            return None
        self.stats[op] += 1
        return payload

    async def _set_active(self, org: OrgState, active: bool) -> bool:
        org.busy = True
        try:
            if active:
                query, name, op, key = (
                    REESTABLISH,
                    "reestablishOrganization",
                    "reestablish",
                    "foundedOn",
                )
            else:
                query, name, op, key = DISSOLVE, "dissolveOrganization", "dissolve", "dissolvedOn"
            data = await self.call(
                "organizations", query, {"i": {"id": org.id, key: self.day.isoformat()}}
            )
            if self._payload(data, name, op) is None:
                return False
            org.active, org.changed_at = active, time.monotonic()
            return True
        finally:
            org.busy = False

    async def dissolve(self) -> None:
        if (org := self._pick(active=True)) is not None:
            await self._set_active(org, False)

    async def reestablish(self) -> None:
        if (org := self._pick(active=False)) is not None:
            await self._set_active(org, True)

    async def flip(self) -> None:
        """Dissolve and at once re-establish one organisation: two events of one key in a row."""
        if (org := self._pick(active=True)) is not None and await self._set_active(org, False):
            await self._set_active(org, True)

    async def activity(self) -> None:
        # Organisers the activities service has probably heard of by now.
        now = time.monotonic()
        ready = [o for o in self.orgs.values() if o.active and now - o.changed_at >= 1.5]
        if not ready:
            return
        organizers = self.rng.sample(ready, k=min(len(ready), self.rng.choice((1, 1, 2, 3))))
        starts = datetime(2026, 1, 1, 1) + timedelta(hours=self.rng.randrange(24 * 300))
        data = await self.call(
            "activities",
            CREATE_ACTIVITY,
            {
                "i": {
                    "title": "混沌活动",
                    "line": self.rng.choice(LINES),
                    "category": "TRAINING",
                    "organizerIds": [o.id for o in organizers],
                    "areaCode": organizers[0].area,
                    "startsAt": starts.isoformat() + "+08:00",
                    "endsAt": (starts + timedelta(hours=2)).isoformat() + "+08:00",
                }
            },
        )
        self._payload(data, "createActivity", "activity")


# ---------------------------------------------------------------------------------------------
# The checker


@dataclass(frozen=True)
class Difference:
    model: str  # e.g. "evaluation.area_stats"
    key: str
    field: str
    read_model: object
    source: object
    kind: str  # "lost" (an effect is missing), "twice" (a count above the source), "mismatch"

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.model, self.key, self.field)

    def __str__(self) -> str:
        return (
            f"{self.kind:8} {self.model} {self.key} {self.field}: read model {self.read_model!r}, "
            f"source {self.source!r}"
        )


@dataclass
class OutboxEvent:
    service: str
    event_id: str
    event_type: str
    key: str
    row_id: int
    created_at: datetime
    published: bool
    parked: bool


@dataclass
class Snapshot:
    orgs: dict[str, tuple[str, str, str, date | None]] = field(default_factory=dict)
    activities: dict[str, str] = field(default_factory=dict)
    organizers: list[tuple[str, str]] = field(default_factory=list)
    activity_refs: dict[str, tuple[str, str, str, date | None]] = field(default_factory=dict)
    evaluation_refs: dict[str, tuple[str, str, date | None]] = field(default_factory=dict)
    area_stats: dict[str, tuple[int, int]] = field(default_factory=dict)
    summaries: dict[str, int] = field(default_factory=dict)
    events: dict[str, OutboxEvent] = field(default_factory=dict)  # handled types, by event id
    inbox: dict[str, dict[str, datetime | None]] = field(default_factory=dict)
    backlog: dict[str, int] = field(default_factory=dict)
    parked: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Known:
    """What was already wrong before a scenario: it is reported there, not again here."""

    differences: frozenset[tuple[str, str, str]] = frozenset()
    events: frozenset[str] = frozenset()
    inversions: frozenset[str] = frozenset()

    @classmethod
    def of(cls, c: Comparison) -> Known:
        events = {e.event_id for v in c.lost_events.values() for e in v}
        events |= {e.event_id for e in c.unpublished}
        return cls(
            frozenset(d.identity for d in c.differences),
            frozenset(events),
            frozenset(i for v in c.inversions.values() for i in v),
        )


@dataclass
class Comparison:
    differences: list[Difference] = field(default_factory=list)
    compared_aggregates: int = 0
    compared_refs: int = 0
    lost_events: dict[str, list[OutboxEvent]] = field(default_factory=dict)  # consumer → events
    unpublished: list[OutboxEvent] = field(default_factory=list)
    inversions: dict[str, list[str]] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.differences and not any(self.lost_events.values()) and not self.unpublished

    def without(self, known: Known) -> Comparison:
        """Only what is wrong beyond ``known``."""
        return Comparison(
            [d for d in self.differences if d.identity not in known.differences],
            self.compared_aggregates,
            self.compared_refs,
            {
                k: [e for e in v if e.event_id not in known.events]
                for k, v in self.lost_events.items()
            },
            [e for e in self.unpublished if e.event_id not in known.events],
            {k: [i for i in v if i not in known.inversions] for k, v in self.inversions.items()},
        )

    def carried(self, known: Known) -> int:
        """How many of the things in ``known`` are still wrong."""
        now = Known.of(self)
        return (
            len(now.differences & known.differences)
            + len(now.events & known.events)
            + len(now.inversions & known.inversions)
        )

    def count(self, kind: str) -> int:
        return sum(1 for d in self.differences if d.kind == kind)

    def amount(self, kind: str) -> int:
        """The sum of the count differences of one kind."""
        total = 0
        for d in self.differences:
            if d.kind == kind and isinstance(d.read_model, int) and isinstance(d.source, int):
                total += abs(d.read_model - d.source)
        return total

    @property
    def mismatched_aggregates(self) -> int:
        aggregate = {"evaluation.area_stats", "evaluation.organization_activity_summary"}
        return len({(d.model, d.key) for d in self.differences if d.model in aggregate})


def compare(snap: Snapshot) -> Comparison:
    """Every read model against the source of truth."""
    result = Comparison()
    _compare_refs(snap, result)
    _compare_area_stats(snap, result)
    _compare_summaries(snap, result)
    _compare_events(snap, result)
    return result


def _compare_refs(snap: Snapshot, result: Comparison) -> None:
    """Organisation refs in both consuming services: present, active or dissolved, same date."""
    refs: dict[str, dict[str, tuple[str, date | None]]] = {
        "activities.organization_ref": {k: (v[0], v[3]) for k, v in snap.activity_refs.items()},
        "evaluation.organization_ref": {k: (v[0], v[2]) for k, v in snap.evaluation_refs.items()},
    }
    diffs = result.differences
    for model, known in refs.items():
        for org_id, (area, _family, _kind, dissolved_on) in snap.orgs.items():
            result.compared_refs += 1
            seen = known.get(org_id)
            if seen is None:
                diffs.append(Difference(model, org_id, "row", None, "exists", "lost"))
                continue
            if seen[0] != area:
                diffs.append(Difference(model, org_id, "area_code", seen[0], area, "mismatch"))
            if (seen[1] is None) != (dissolved_on is None):
                want = "active" if dissolved_on is None else "dissolved"
                have = "active" if seen[1] is None else "dissolved"
                diffs.append(Difference(model, org_id, "state", have, want, "lost"))
            elif seen[1] != dissolved_on:
                diffs.append(
                    Difference(model, org_id, "dissolved_on", seen[1], dissolved_on, "mismatch")
                )
        for org_id in known.keys() - snap.orgs.keys():
            diffs.append(Difference(model, org_id, "row", "exists", None, "mismatch"))


def _compare_area_stats(snap: Snapshot, result: Comparison) -> None:
    """Active organisations and activities in each area and everything beneath it."""
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for area, _family, _kind, dissolved_on in snap.orgs.values():
        if dissolved_on is None:
            for code in area_and_ancestors(area):
                expected[code][0] += 1
    for area in snap.activities.values():
        for code in area_and_ancestors(area):
            expected[code][1] += 1
    # What evaluation's own organisation refs say is active: a count above the source but equal
    # to this is a dissolution not applied yet (lost); above both, an establishment applied twice.
    by_refs: Counter[str] = Counter()
    for area, _family, dissolved_on in snap.evaluation_refs.values():
        if dissolved_on is None:
            by_refs.update(area_and_ancestors(area))
    for code in sorted(expected.keys() | snap.area_stats.keys()):
        result.compared_aggregates += 1
        want = expected.get(code, [0, 0])
        have = snap.area_stats.get(code, (0, 0))
        for i, name in enumerate(("organization_count", "activity_count")):
            if have[i] != want[i]:
                ceiling = max(want[i], by_refs[code]) if i == 0 else want[i]
                kind = "twice" if have[i] > ceiling else "lost"
                result.differences.append(
                    Difference("evaluation.area_stats", code, name, have[i], want[i], kind)
                )


def _compare_summaries(snap: Snapshot, result: Comparison) -> None:
    """The activity count of each organisation: its rows in activity_organizer."""
    per_org: Counter[str] = Counter(org for _activity, org in snap.organizers)
    for org_id in sorted(per_org.keys() | snap.summaries.keys()):
        result.compared_aggregates += 1
        want, have = per_org.get(org_id, 0), snap.summaries.get(org_id, 0)
        if want != have:
            result.differences.append(
                Difference(
                    "evaluation.organization_activity_summary",
                    org_id,
                    "activity_count",
                    have,
                    want,
                    "lost" if have < want else "twice",
                )
            )


def _compare_events(snap: Snapshot, result: Comparison) -> None:
    """Every published event of a handled type has an inbox row where it is consumed, and the
    events of one key were applied in outbox order (inbox handled_at never goes backwards)."""
    for consumer, sources in CONSUMES.items():
        inbox = snap.inbox.get(consumer)
        if inbox is None:
            continue
        mine = [e for e in snap.events.values() if e.service in sources]
        missing = [e for e in mine if e.event_id not in inbox and e.published]
        result.lost_events[consumer] = sorted(missing, key=lambda e: (e.service, e.row_id))
        by_key: dict[tuple[str, str], list[tuple[int, datetime]]] = defaultdict(list)
        for e in mine:
            handled = inbox.get(e.event_id)
            if handled is not None:
                by_key[(e.service, e.key)].append((e.row_id, handled))
        inverted = []
        for (service, key), seq in by_key.items():
            seq.sort()
            for (row_a, at_a), (row_b, at_b) in itertools.pairwise(seq):
                if at_b < at_a:
                    inverted.append(f"{service} key {key}: outbox #{row_b} applied before #{row_a}")
        result.inversions[consumer] = inverted
    result.unpublished = sorted(
        (e for e in snap.events.values() if not e.published),
        key=lambda e: (e.service, e.row_id),
    )


@dataclass
class Checker:
    stack: Stack
    excluded_outbox_ids: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    async def _connect(self, service: str) -> asyncpg.Connection[asyncpg.Record]:
        return await asyncpg.connect(self.stack.database(service), timeout=5)

    async def _columns(self, conn: asyncpg.Connection[asyncpg.Record], table: str) -> set[str]:
        rows = await conn.fetch(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = $1 AND table_schema = current_schema()",
            table,
        )
        return {r["column_name"] for r in rows}

    async def _parked_sql(self, conn: asyncpg.Connection[asyncpg.Record], alias: str = "") -> str:
        """The SQL condition of a row the relay gave up on (parked), in this kit's version."""
        columns = await self._columns(conn, "outbox")
        for name in ("failed_at", "parked_at"):
            if name in columns:
                return f"{alias}{name} IS NOT NULL"
        return f"{alias}parked" if "parked" in columns else "false"

    async def stuck(self) -> str:
        """Where the backlog is, and how much of it waits behind a parked row of its key."""
        out = []
        for service in SERVICES:
            conn = await self._connect(service)
            try:
                backlog = await self.backlog(conn, service)
                if not backlog:
                    continue
                parked_o = await self._parked_sql(conn, "o.")
                parked_p = await self._parked_sql(conn, "p.")
                behind = await conn.fetchval(
                    f"SELECT count(*) FROM outbox o WHERE o.published_at IS NULL "
                    f"AND NOT ({parked_o}) AND EXISTS (SELECT 1 FROM outbox p "
                    f"WHERE {parked_p} AND p.published_at IS NULL AND p.topic = o.topic "
                    "AND p.key = o.key AND p.id < o.id)"
                )
                oldest = await conn.fetchrow(
                    f"SELECT id, event_type, attempts, left(last_error, 100) AS error "
                    f"FROM outbox o WHERE o.published_at IS NULL AND NOT ({parked_o}) "
                    "ORDER BY id LIMIT 1"
                )
                out.append(
                    f"{service} {backlog} ({behind} behind a parked row of their key; oldest "
                    f"{dict(oldest) if oldest else None})"
                )
            finally:
                await conn.close()
        return "; ".join(out)

    async def backlog(self, conn: asyncpg.Connection[asyncpg.Record], service: str) -> int:
        parked = await self._parked_sql(conn)
        return int(
            await conn.fetchval(
                f"SELECT count(*) FROM outbox WHERE published_at IS NULL AND NOT ({parked}) "
                "AND NOT (id = ANY($1::bigint[]))",
                list(self.excluded_outbox_ids[service]),
            )
        )

    async def fingerprint(self) -> tuple[tuple[object, ...], int]:
        """Something that changes whenever a read model or an inbox changes; the total backlog."""
        parts: list[object] = []
        backlog = 0
        for service in SERVICES:
            conn = await self._connect(service)
            try:
                backlog += await self.backlog(conn, service)
                if service == "organizations":
                    parts.append(await conn.fetchval("SELECT count(*) FROM outbox"))
                    continue
                parts.append(await conn.fetchval("SELECT count(*) FROM inbox"))
                parts.append(
                    await conn.fetchval(
                        "SELECT md5(coalesce(string_agg(id::text || coalesce(dissolved_on::text, "
                        "'-'), ',' ORDER BY id), '')) FROM organization_ref"
                    )
                )
                if service == "evaluation":
                    parts.append(
                        await conn.fetchval(
                            "SELECT md5(coalesce(string_agg(area_code || ':' || "
                            "organization_count || ':' || activity_count, ',' "
                            "ORDER BY area_code), '')) FROM area_stats"
                        )
                    )
                    parts.append(
                        await conn.fetchval(
                            "SELECT coalesce(sum(activity_count), 0) "
                            "FROM organization_activity_summary"
                        )
                    )
            finally:
                await conn.close()
        return tuple(parts), backlog

    async def snapshot(self) -> Snapshot:
        snap = Snapshot()
        for service in SERVICES:
            conn = await self._connect(service)
            try:
                await self._read(conn, service, snap)
            finally:
                await conn.close()
        return snap

    async def _read(
        self, conn: asyncpg.Connection[asyncpg.Record], service: str, snap: Snapshot
    ) -> None:
        parked_sql = await self._parked_sql(conn)
        snap.backlog[service] = await self.backlog(conn, service)
        snap.parked[service] = [
            dict(r)
            for r in await conn.fetch(
                "SELECT id, event_type, key, length(payload) AS bytes, attempts, "
                f"left(last_error, 160) AS last_error FROM outbox WHERE published_at IS NULL "
                f"AND ({parked_sql}) ORDER BY id"
            )
        ]
        pattern = {"organizations": ORG_EVENT, "activities": ACTIVITY_EVENT}.get(service)
        if pattern is not None:
            for r in await conn.fetch(
                "SELECT id, event_id::text AS event_id, event_type, key, created_at, "
                f"published_at IS NOT NULL AS published, ({parked_sql}) AS parked "
                "FROM outbox WHERE event_type ~ $1",
                pattern.pattern,
            ):
                snap.events[r["event_id"]] = OutboxEvent(
                    service,
                    r["event_id"],
                    r["event_type"],
                    r["key"],
                    r["id"],
                    r["created_at"],
                    r["published"],
                    r["parked"],
                )
        if service == "organizations":
            for r in await conn.fetch(
                "SELECT id::text AS id, area_code, family, kind, dissolved_on FROM organization"
            ):
                snap.orgs[r["id"]] = (r["area_code"], r["family"], r["kind"], r["dissolved_on"])
            return
        inbox_columns = await self._columns(conn, "inbox")
        handled = "handled_at" if "handled_at" in inbox_columns else "NULL::timestamptz"
        snap.inbox[service] = {
            r["event_id"]: r["handled_at"]
            for r in await conn.fetch(
                f"SELECT event_id::text AS event_id, {handled} AS handled_at FROM inbox"
            )
        }
        if service == "activities":
            for r in await conn.fetch("SELECT id::text AS id, area_code FROM activity"):
                snap.activities[r["id"]] = r["area_code"]
            snap.organizers = [
                (r["a"], r["o"])
                for r in await conn.fetch(
                    "SELECT activity_id::text AS a, organization_id::text AS o "
                    "FROM activity_organizer"
                )
            ]
            for r in await conn.fetch(
                "SELECT id::text AS id, area_code, family, kind, dissolved_on FROM organization_ref"
            ):
                snap.activity_refs[r["id"]] = (
                    r["area_code"],
                    r["family"],
                    r["kind"],
                    r["dissolved_on"],
                )
            return
        for r in await conn.fetch(
            "SELECT id::text AS id, area_code, family, dissolved_on FROM organization_ref"
        ):
            snap.evaluation_refs[r["id"]] = (r["area_code"], r["family"], r["dissolved_on"])
        for r in await conn.fetch(
            "SELECT area_code, organization_count, activity_count FROM area_stats"
        ):
            snap.area_stats[r["area_code"]] = (r["organization_count"], r["activity_count"])
        for r in await conn.fetch(
            "SELECT organization_id::text AS id, activity_count FROM organization_activity_summary"
        ):
            snap.summaries[r["id"]] = r["activity_count"]

    async def wait_for_quiescence(
        self, timeout_s: float, stable_s: float, known: Known | None = None
    ) -> tuple[bool, float, Snapshot, Comparison, str]:
        """Poll until the read models equal the source with nothing left to publish (converged;
        what ``known`` lists may stay wrong), or nothing changed for ``stable_s``, or
        ``timeout_s``. Returns the full comparison, ``known`` included."""
        started = time.monotonic()
        last: tuple[object, ...] | None = None
        last_compared: tuple[object, ...] | None = None
        changed_at = started
        why = ""
        while True:
            now = time.monotonic()
            try:
                fp, backlog = await self.fingerprint()
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                why = f"database not reachable: {type(exc).__name__}"
                fp, backlog = (why,), -1
            if (fp, backlog) != last:
                last, changed_at = (fp, backlog), now
            if backlog == 0 and fp != last_compared:
                last_compared = fp
                snap = await self.snapshot()
                result = compare(snap)
                if result.without(known or Known()).clean:
                    return True, time.monotonic() - started, snap, result, "converged"
            if now - changed_at >= stable_s:
                why = f"nothing changed for {stable_s:.0f}s and nothing left to publish"
                if backlog:
                    why = f"outbox backlog stuck for {stable_s:.0f}s: {await self.stuck()}"
                break
            if now - started >= timeout_s:
                why = f"timed out after {timeout_s:.0f}s (outbox backlog {backlog})"
                break
            await asyncio.sleep(0.5)
        snap = await self.snapshot()
        return False, time.monotonic() - started, snap, compare(snap), why


# ---------------------------------------------------------------------------------------------
# Figures


@dataclass(repr=False)
class Figures:
    scenario: str
    description: str
    skipped: str = ""
    faults: int = 0
    seconds_writing: float = 0.0
    events_written: int = 0
    events_by_type: Counter[str] = field(default_factory=Counter)
    writer: Counter[str] = field(default_factory=Counter)
    writer_samples: dict[str, str] = field(default_factory=dict)
    converged: bool = False
    converge_s: float = 0.0
    why: str = ""
    comparison: Comparison | None = None  # what went wrong in this scenario (not before)
    carried_over: int = 0  # what was wrong before this scenario and still is
    dead_lettered_events: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # scenario-specific expectations not met
    notes: list[str] = field(default_factory=list)
    recovery: str = ""  # after a failure: did restarting the services and re-publishing help
    after_recovery: Comparison | None = None

    @property
    def lost(self) -> int:
        c = self.comparison
        if c is None:
            return 0
        return sum(len(v) for v in c.lost_events.values()) + len(c.unpublished) + c.count("lost")

    @property
    def applied_twice(self) -> int:
        return self.comparison.count("twice") if self.comparison else 0

    @property
    def mismatched(self) -> int:
        return self.comparison.mismatched_aggregates if self.comparison else 0

    @property
    def inversions(self) -> int:
        c = self.comparison
        return sum(len(v) for v in c.inversions.values()) if c else 0

    @property
    def ok(self) -> bool:
        if self.skipped:
            return True
        return (
            self.comparison is not None
            and self.converged
            and self.lost == 0
            and self.applied_twice == 0
            and self.mismatched == 0
            and self.inversions == 0
            and not self.dead_lettered_events
            and not self.problems
        )

    def __repr__(self) -> str:
        return f"<Figures {self.summary()}>"

    def summary(self) -> str:
        if self.skipped:
            return f"{self.scenario:9} skipped: {self.skipped}"
        return (
            f"{self.scenario:9} {'OK  ' if self.ok else 'FAIL'} faults {self.faults:3}  "
            f"events {self.events_written:5}  lost {self.lost:4}  twice {self.applied_twice:4}  "
            f"mismatched {self.mismatched:4}  inversions {self.inversions:3}  "
            f"converged {'in ' + format(self.converge_s, '.1f') + 's' if self.converged else 'NO'}"
        )

    def render(self, limit: int = 12) -> str:
        lines = [f"== {self.scenario}: {self.description}"]
        if self.skipped:
            lines.append(f"   skipped: {self.skipped}")
            lines += [f"   note: {n}" for n in self.notes]
            return "\n".join(lines)
        c = self.comparison or Comparison()
        by_type = ", ".join(f"{t} {n}" for t, n in sorted(self.events_by_type.items()))
        writer = ", ".join(f"{k} {v}" for k, v in sorted(self.writer.items()))
        lost_events = ", ".join(f"→{k} {len(v)}" for k, v in c.lost_events.items())
        lines += [
            f"   faults injected:   {self.faults} (writing for {self.seconds_writing:.0f}s)",
            f"   events written:    {self.events_written} ({by_type})",
            f"   writer:            {writer}",
            f"   convergence:       {'converged' if self.converged else 'NOT converged'} "
            f"after {self.converge_s:.1f}s ({self.why})",
            f"   lost:              {self.lost}: published but never applied {lost_events}; "
            f"still unpublished {len(c.unpublished)}; read-model rows short of the source "
            f"{c.count('lost')} (sum {c.amount('lost')})",
            f"   applied twice:     {self.applied_twice} read-model counts above the source "
            f"(sum {c.amount('twice')})",
            f"   mismatched:        {self.mismatched} of {c.compared_aggregates} aggregates "
            f"(area_stats rows and activity summaries); other differences "
            f"{c.count('mismatch')}; {c.compared_refs} organisation refs compared",
            f"   per-key order:     {self.inversions} inversions",
            f"   dead-lettered:     {len(self.dead_lettered_events)} legitimate events in a .dlq",
            f"   carried over:      {self.carried_over} things wrong before this scenario, still "
            "wrong (not counted above)",
        ]
        if self.recovery:
            lines.append(f"   after the failure: {self.recovery}")
        lines += [f"   PROBLEM: {p}" for p in self.problems]
        lines += [f"   note: {n}" for n in self.notes]
        for kind, sample in sorted(self.writer_samples.items()):
            lines.append(f"   writer {kind}: {sample[:200]}")
        if c.differences:
            lines.append(f"   read-model differences ({len(c.differences)}):")
        lines += _details(c, c.differences, limit)
        lines += [f"     dead-lettered: {d}" for d in self.dead_lettered_events[:limit]]
        if self.after_recovery is not None and not self.after_recovery.clean:
            lines.append("   still wrong after the recovery:")
            lines += _details(self.after_recovery, self.after_recovery.differences, limit)
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The run: the stack, the writer, the faults


@dataclass
class Profile:
    name: str
    kills: int
    kill_gap_s: tuple[float, float]
    broker_outage_s: float
    postgres_down_s: float
    write_s: float  # writing before and after each fault
    replica_kills: int
    wait_ready_share: float  # of the kills, how many wait until the restarted process is ready
    rate_per_s: float
    concurrency: int
    converge_timeout_s: float
    stable_s: float


SHORT = Profile(
    name="short",
    kills=3,
    kill_gap_s=(0.3, 2.0),
    broker_outage_s=5,
    postgres_down_s=1,
    write_s=3,
    replica_kills=0,
    wait_ready_share=0.5,
    rate_per_s=20,
    concurrency=3,
    converge_timeout_s=90,
    # A restarted Tansu makes every consumer rejoin its group (two ~5 s joins) after its stale
    # commit times out (5 s): quiet for 20 s is not yet stuck.
    stable_s=40,
)
LONG = Profile(
    name="long",
    kills=50,
    kill_gap_s=(0.2, 4.0),
    broker_outage_s=30,
    postgres_down_s=5,
    write_s=8,
    replica_kills=6,
    wait_ready_share=0.5,
    rate_per_s=30,
    concurrency=4,
    converge_timeout_s=240,
    stable_s=30,
)

# The broker restart last: a restarted Tansu 0.6 stays inconsistent (produce answers
# AlreadyExists for offsets past the end it reports), which damaged every scenario after it.
SCENARIOS = ("kills", "postgres", "poison", "replicas", "broker")


@dataclass(repr=False)
class ChaosRun:
    """One private stack (own PostgreSQL and broker unless DATABASE_URL / KAFKA_BOOTSTRAP)."""

    profile: Profile
    workdir: Path
    seed: int = field(default_factory=lambda: secrets.randbelow(1_000_000))
    log: Callable[[str], None] = print
    stack: Stack = field(init=False)
    district: str = "330199000000"
    results: list[Figures] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"<ChaosRun {self.profile.name} seed {self.seed} in {self.workdir}>"

    def __post_init__(self) -> None:
        run_id = secrets.token_hex(3)
        self.rng = random.Random(self.seed)
        self.stack = Stack(
            StackConfig(
                workdir=self.workdir,
                database_prefix=f"gjchaos_{run_id}",
                topic_namespace=f"chaos{run_id}.",
                fast_unsafe_postgres=True,
                gateway_deduplicate=False,
            )
        )
        self.checker = Checker(self.stack)
        streets = [f"{self.district[:6]}00{s}000" for s in (1, 2, 3)]
        self.communities = [f"{s[:9]}00{c}" for s in streets for c in (1, 2, 3)]
        self.known = Known()  # wrong before the scenario that runs now
        self.reported: set[object] = set()  # parked rows and dead-lettered events already told

    # -- lifecycle

    async def start(self) -> None:
        started = time.monotonic()
        await asyncio.to_thread(self.stack.start_infrastructure)
        # The service ports were picked (not held) before the broker and PostgreSQL picked
        # theirs, so the kernel may have handed one out twice: pick again where it did.
        held = {i.port for i in (self.stack.broker, self.stack.postgres) if i is not None}
        ports = self.stack.config.service_ports
        for name in ports:
            while ports[name] in held:
                ports[name] = free_port()
            held.add(ports[name])
        await asyncio.to_thread(self.stack.start_services)
        token = issue_token(
            self.stack.config.jwt_secret,
            subject="chaos-writer",
            roles=["DISTRICT_ADMIN"],
            area=self.district,
            ttl_s=12 * 3600,
        )
        self.writer = Writer(
            self.stack,
            token,
            self.communities,
            {},
            self.rng,
            rate_per_s=self.profile.rate_per_s,
            concurrency=self.profile.concurrency,
        )
        await self.writer.setup(self.district)
        self.log(
            f"chaos ({self.profile.name}, seed {self.seed}): stack up and district set up in "
            f"{time.monotonic() - started:.1f}s; logs in {self.workdir / 'logs'}; "
            f"PostgreSQL {'own' if self.stack.postgres else 'external (DATABASE_URL)'}, "
            f"broker {'own Tansu' if self.stack.broker else 'external (KAFKA_BOOTSTRAP)'}"
        )
        baseline = await self.scenario("baseline", "writing only, no fault", self._no_fault)
        if not baseline.ok:
            self.log(baseline.render())
            raise RuntimeError("the pipeline does not converge even without faults")

    async def stop(self) -> None:
        with contextlib.suppress(AttributeError):
            await self.writer.close()
        await asyncio.to_thread(self.stack.stop)
        if self.stack.postgres is None and self.stack.server_url:
            # An external server (DATABASE_URL) keeps what we made: drop this run's databases.
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                conn = await asyncpg.connect(self.stack.server_url, timeout=5)
                try:
                    for service in SERVICES:
                        name = f"{self.stack.config.database_prefix}_{service}"
                        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                finally:
                    await conn.close()

    # -- helpers

    async def db_now(self) -> datetime:
        conn = await asyncpg.connect(self.stack.database("organizations"), timeout=5)
        try:
            now: datetime = await conn.fetchval("SELECT now()")
            return now
        finally:
            await conn.close()

    @contextlib.asynccontextmanager
    async def writing(self, figures: Figures) -> AsyncIterator[None]:
        """The writer runs for the block (plus ``write_s`` before and after it)."""
        stop = asyncio.Event()
        before = Counter(self.writer.stats)
        self.writer.samples.clear()
        task = asyncio.create_task(self.writer.run(stop))
        started = time.monotonic()
        try:
            await asyncio.sleep(self.profile.write_s)
            yield
            await asyncio.sleep(self.profile.write_s)
        finally:
            stop.set()
            await asyncio.wait_for(task, 60)
            figures.seconds_writing = time.monotonic() - started
            figures.writer = self.writer.stats - before
            figures.writer_samples = dict(self.writer.samples)

    async def scenario(
        self,
        name: str,
        description: str,
        action: Callable[[Figures], Any],
    ) -> Figures:
        figures = Figures(name, description)
        since = await self.db_now()
        self.log(f"-- {name}: {description}")
        await action(figures)
        if figures.skipped:
            self.results.append(figures)
            self.log(figures.render())
            return figures
        known = self.known
        converged, seconds, snap, comparison, why = await self.checker.wait_for_quiescence(
            self.profile.converge_timeout_s, self.profile.stable_s, known
        )
        figures.converged, figures.converge_s, figures.why = converged, seconds, why
        figures.comparison = comparison.without(known)
        figures.carried_over = comparison.carried(known)
        self.known = Known.of(comparison)
        # Events written during the scenario, all types, from both event-writing services.
        for service in ("organizations", "activities"):
            conn = await asyncpg.connect(self.stack.database(service), timeout=5)
            try:
                for r in await conn.fetch(
                    "SELECT event_type, count(*) AS n FROM outbox WHERE created_at >= $1 "
                    "GROUP BY event_type",
                    since,
                ):
                    short = ".".join(r["event_type"].split(".")[2:4])
                    figures.events_by_type[short] += r["n"]
            finally:
                await conn.close()
        figures.events_written = sum(figures.events_by_type.values())
        unexpected = [
            {"service": service, **row}
            for service, rows in snap.parked.items()
            for row in rows
            if row["id"] not in self.checker.excluded_outbox_ids[service]
            and (service, row["id"]) not in self.reported
        ]
        self.reported |= {(p["service"], p["id"]) for p in unexpected}
        if unexpected:
            figures.problems.append(
                f"{len(unexpected)} outbox rows parked that were not oversized: {unexpected[:5]}"
            )
        dlq = [
            m
            for m in await self.read_dlq()
            if m.get("id") in snap.events and (m["id"], m["consumer"]) not in self.reported
        ]
        self.reported |= {(m["id"], m["consumer"]) for m in dlq}
        figures.dead_lettered_events = [
            f"{m['topic']} {m['consumer']}: {m['event_type']} {m['id']} ({m['error'][:120]})"
            for m in dlq
        ]
        if not figures.ok:
            await self.recover(figures, since, known)
        self.results.append(figures)
        self.log(figures.render())
        return figures

    async def recover(self, figures: Figures, since: datetime, known: Known) -> None:
        """After a failed scenario, what an operator would do: restart every service process
        (their relays and consumers start afresh, topics are created again), re-publish every
        outbox since the scenario began and retry rows parked without cause; then check again.
        The next scenario starts from there, and reports what is still wrong as carried over."""
        started = time.monotonic()
        for name in [p.name for p in self.stack.parts]:
            dead = await asyncio.to_thread(self.stack.stop_part, name)
            await self._restart(dead, figures)
        notes = [await asyncio.to_thread(self.republish, s, since) for s in SERVICES]
        snap = await self.checker.snapshot()
        for service, rows in snap.parked.items():
            wrong = [
                int(r["id"])
                for r in rows
                if r["id"] not in self.checker.excluded_outbox_ids[service]
            ]
            if wrong:
                notes.append(await asyncio.to_thread(self.retry_parked, service, wrong))
        converged, _, _, comparison, why = await self.checker.wait_for_quiescence(
            self.profile.converge_timeout_s, self.profile.stable_s, known
        )
        self.known = Known.of(comparison)
        comparison = comparison.without(known)
        figures.after_recovery = comparison
        took = time.monotonic() - started
        if converged:
            figures.recovery = f"recovered in {took:.0f}s (every service restarted, re-published)"
        else:
            figures.recovery = (
                f"NOT recovered after {took:.0f}s ({why}): {len(comparison.differences)} "
                f"differences, {sum(len(v) for v in comparison.lost_events.values())} events "
                f"never applied, {len(comparison.unpublished)} unpublished"
            )
        figures.notes += [f"recovery: {n}" for n in notes]

    async def run(self, names: tuple[str, ...] = SCENARIOS) -> list[Figures]:
        actions: dict[str, tuple[str, Callable[[Figures], Any]]] = {
            "kills": (
                f"kill -9 of a consumer-hosting service at random moments, restarted, "
                f"{self.profile.kills} times",
                self.kills,
            ),
            "broker": (
                f"the broker stopped for {self.profile.broker_outage_s:.0f}s during writes, "
                "then started and every outbox re-published",
                self.broker_outage,
            ),
            "postgres": (
                f"PostgreSQL restarted mid-stream (down {self.profile.postgres_down_s:.0f}s)",
                self.postgres_restart,
            ),
            "poison": (
                "garbage and a failing envelope straight to the topics; an outbox row over 1 MB",
                self.poison,
            ),
            "replicas": (
                "two processes of every service (two relays, two of each consumer)"
                + (
                    f", {self.profile.replica_kills} kills among them"
                    if self.profile.replica_kills
                    else ""
                ),
                self.replicas,
            ),
        }
        out = []
        for name in names:
            description, action = actions[name]
            out.append(await self.scenario(name, description, action))
        return out

    # -- faults

    async def _no_fault(self, figures: Figures) -> None:
        async with self.writing(figures):
            pass

    async def _kill_and_restart(self, name: str, figures: Figures) -> None:
        """kill -9, down for up to a second, start again. The next kill comes either once the
        restarted process is ready (its consumers joined their groups and run: the kill then
        lands mid-stream) or while it is still joining, at random."""
        dead = await asyncio.to_thread(self.stack.kill_part, name)
        figures.faults += 1
        await asyncio.sleep(self.rng.uniform(0.0, 1.0))
        wait = self.rng.random() < self.profile.wait_ready_share
        if not await self._restart(dead, figures):
            return
        if wait:
            await self._ready(dead.url.removesuffix("/graphql") + "/readyz", 60)

    async def _restart(self, dead: Part, figures: Figures) -> bool:
        """Start a stopped part again; a part that will not start is a problem, not a crash."""
        try:
            await asyncio.to_thread(self.stack.restart_part, dead, wait_ready=False)
        except (RuntimeError, TimeoutError) as exc:
            figures.problems.append(f"{dead.name} did not start again: {exc}")
            return False
        return True

    async def _ready(self, url: str, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2) as http:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(url)).status_code == 200:
                        return True
                await asyncio.sleep(0.2)
        return False

    def _consumer_parts(self) -> list[str]:
        return [
            p.name
            for p in self.stack.parts
            if p.name.split("#", maxsplit=1)[0] in ("activities", "evaluation")
        ]

    async def kills(self, figures: Figures) -> None:
        async with self.writing(figures):
            for _ in range(self.profile.kills):
                await asyncio.sleep(self.rng.uniform(*self.profile.kill_gap_s))
                if not (running := self._consumer_parts()):
                    break
                await self._kill_and_restart(self.rng.choice(running), figures)

    async def broker_outage(self, figures: Figures) -> None:
        if self.stack.broker is None:
            figures.skipped = (
                "KAFKA_BOOTSTRAP points at an external broker, which this suite cannot stop and "
                "start; run it without KAFKA_BOOTSTRAP (its own Tansu) for this scenario"
            )
            return
        since = await self.db_now()
        figures.notes.append(TANSU_OUTAGE_NOTE.format(since=since.isoformat()))
        self.log("   " + figures.notes[-1])
        async with self.writing(figures):
            await asyncio.to_thread(self.stack.stop_broker)
            figures.faults += 1
            await asyncio.sleep(self.profile.broker_outage_s)
            await asyncio.to_thread(self.stack.start_broker)
            for service in SERVICES:
                figures.notes.append(await asyncio.to_thread(self.republish, service, since))
                self.log("   " + figures.notes[-1])

    def gongjian(self, service: str, *args: str) -> tuple[int, str]:
        """Run the `gongjian` CLI against one service's database (its DATABASE_URL, and never
        the state of a `make up` beside us); return its exit code and output on one line."""
        exe = shutil.which("gongjian") or str(Path(sys.executable).parent / "gongjian")
        state = self.workdir / "no-cli-state"
        state.mkdir(exist_ok=True)
        env = {**self.stack.service_env(service), "GONGJIAN_STATE_DIR": str(state)}
        done = subprocess.run(
            [exe, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        return done.returncode, (done.stdout + done.stderr).strip().replace("\n", " | ")[-300:]

    def republish(self, service: str, since: datetime) -> str:
        """``gongjian outbox republish --since`` against one service's database; while that
        command does not exist, the same in SQL (said so in the output)."""
        code, usage = self.gongjian(service, "outbox", "republish", "--help")
        if code == 0:
            args = ["outbox", "republish", "--since", since.isoformat()]
            if "--service" in usage:
                args += ["--service", service]
            code, output = self.gongjian(service, *args)
            return f"{service}: $ gongjian {' '.join(args)} → exit {code}: {output}"
        return f"{service}: {asyncio.run(self._republish_sql(service, since))}"

    def retry_parked(self, service: str, ids: list[int]) -> str:
        """``gongjian outbox retry`` for rows the relay parked that should not have been."""
        out = []
        for row_id in ids:
            code, output = self.gongjian(
                service, "outbox", "retry", "--id", str(row_id), "--service", service
            )
            out.append(f"#{row_id} → exit {code}: {output}")
        return f"{service}: $ gongjian outbox retry {'; '.join(out)}"

    async def _republish_sql(self, service: str, since: datetime) -> str:
        conn = await asyncpg.connect(self.stack.database(service), timeout=5)
        try:
            count = await conn.fetchval(
                "WITH again AS (UPDATE outbox SET published_at = NULL "
                "WHERE created_at >= $1 AND published_at IS NOT NULL RETURNING 1) "
                "SELECT count(*) FROM again",
                since,
            )
            await conn.execute("SELECT pg_notify('gongjian_outbox', '')")
        finally:
            await conn.close()
        return (
            f"`gongjian outbox republish` not available yet: the harness ran its equivalent, "
            f"UPDATE outbox SET published_at = NULL WHERE created_at >= since → {count} rows"
        )

    async def postgres_restart(self, figures: Figures) -> None:
        if self.stack.postgres is None:
            figures.skipped = (
                "DATABASE_URL points at an external PostgreSQL, which this suite does not restart"
            )
            return
        async with self.writing(figures):
            await asyncio.to_thread(self.stack.restart_postgres, self.profile.postgres_down_s)
            figures.faults += 1

    async def poison(self, figures: Figures) -> None:
        async with self.writing(figures):
            sent = await self.produce_poison()
            figures.faults += len(sent)
            oversized = await self.insert_oversized()
            figures.faults += 1
        # Each poison message must reach its topic's .dlq once per consumer of that topic.
        deadline = time.monotonic() + 30
        while True:
            dlq = await self.read_dlq()
            missing = []
            for key, (topic, consumers, what) in sent.items():
                copies = [m for m in dlq if m["key"] == key]
                if len(copies) < consumers:
                    missing.append(f"{what} on {topic}: {len(copies)} of {consumers} in .dlq")
            if not missing or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        for key, (topic, consumers, what) in sent.items():
            copies = [m for m in dlq if m["key"] == key]
            who = ", ".join(sorted(str(m.get("consumer", "?")) for m in copies))
            figures.notes.append(
                f"poison {what} → {topic}.dlq: {len(copies)} copies (expected {consumers}): {who}"
            )
        figures.problems += [f"poison not dead-lettered: {m}" for m in missing]
        row = await self.outbox_row("organizations", oversized)
        figures.notes.append(f"oversized outbox row #{oversized}: {row}")
        if row.get("published"):
            figures.problems.append("the oversized row was marked published")

    async def produce_poison(self) -> dict[bytes, tuple[str, int, str]]:
        """Raw garbage and a well-formed envelope whose handler fails (an id that is not a
        UUID) on both topics; return key → (topic, how many consumers must dead-letter it)."""
        from aiokafka import AIOKafkaProducer  # noqa: PLC0415

        ns = self.stack.config.topic_namespace
        tag = secrets.token_hex(4)
        orgs, acts = f"{ns}{ORGANIZATIONS_TOPIC}", f"{ns}{ACTIVITIES_TOPIC}"

        def envelope(type_: str, subject: str, data: dict[str, Any]) -> bytes:
            return json.dumps(
                {
                    "specversion": "1.0",
                    "id": str(uuid.uuid4()),
                    "source": "/gongjian/chaos",
                    "type": type_,
                    "time": datetime.now().astimezone().isoformat(),
                    "subject": subject,
                    "datacontenttype": "application/json",
                    "data": data,
                }
            ).encode()

        bad_org = envelope(
            "gongjian.organizations.organization.established.v1",
            f"chaos-{tag}",
            {
                "organizationId": f"not-a-uuid-{tag}",
                "kind": "PARTY_BRANCH",
                "family": "PARTY",
                "establishment": "STANDALONE",
                "unitIds": [str(uuid.uuid4())],
                "areaCode": self.communities[0],
                "parentId": None,
                "hostOrganizationId": None,
                "foundedOn": None,
            },
        )
        bad_activity = envelope(
            "gongjian.activities.activity.created.v1",
            f"chaos-{tag}",
            {
                "activityId": f"not-a-uuid-{tag}",
                "organizerIds": [f"not-a-uuid-{tag}"],
                "areaCode": self.communities[0],
                "line": "PAIRING",
                "category": "TRAINING",
                "startsAt": "2026-05-01T09:00:00+08:00",
                "endsAt": None,
                "status": "PLANNED",
            },
        )
        garbage = b"\x00\xff\xfe chaos poison: not JSON at all {" + tag.encode()
        messages = [
            (orgs, f"chaos-poison-{tag}-1".encode(), garbage, 2, "raw garbage"),
            (orgs, f"chaos-poison-{tag}-2".encode(), bad_org, 2, "failing envelope"),
            (acts, f"chaos-poison-{tag}-3".encode(), garbage, 1, "raw garbage"),
            (acts, f"chaos-poison-{tag}-4".encode(), bad_activity, 1, "failing envelope"),
        ]
        producer = AIOKafkaProducer(bootstrap_servers=self.stack.bootstrap, acks="all")
        await producer.start()
        try:
            for topic, key, value, _, _ in messages:
                await producer.send_and_wait(topic, value=value, key=key)
        finally:
            await producer.stop()
        return {key: (topic, n, what) for topic, key, _, n, what in messages}

    async def insert_oversized(self) -> int:
        """An outbox row (a valid envelope of a type no consumer handles) over the producer's
        max_request_size, through the kit's own append_to_outbox; return its id."""
        from gongjian_kit.events import Event  # noqa: PLC0415
        from gongjian_kit.outbox import append_to_outbox  # noqa: PLC0415

        name = "超" * (PRODUCER_MAX_REQUEST_BYTES // 3 + 50_000)  # ≈ 1.2 MB in UTF-8
        # A key of its own: the kit holds later rows of a parked row's key back (per-key order),
        # and this scenario is about every other event still flowing.
        key = f"chaos-oversized-{secrets.token_hex(4)}"
        event = Event(
            type="gongjian.organizations.area.renamed.v1",
            subject=key,
            data={"code": self.district, "name": name},
            source="/gongjian/organizations",
        )
        topic = f"{self.stack.config.topic_namespace}{ORGANIZATIONS_TOPIC}"
        conn = await asyncpg.connect(self.stack.database("organizations"), timeout=5)
        try:
            async with conn.transaction():
                await append_to_outbox(conn, topic, key, event)
            row_id = int(
                await conn.fetchval(
                    "SELECT id FROM outbox WHERE event_id = $1", uuid.UUID(event.id)
                )
            )
        finally:
            await conn.close()
        self.checker.excluded_outbox_ids["organizations"].add(row_id)
        return row_id

    async def outbox_row(self, service: str, row_id: int) -> dict[str, Any]:
        conn = await asyncpg.connect(self.stack.database(service), timeout=5)
        try:
            row = await conn.fetchrow("SELECT * FROM outbox WHERE id = $1", row_id)
        finally:
            await conn.close()
        if row is None:
            return {"gone": True}
        shown = {k: v for k, v in dict(row).items() if k not in ("payload", "event_id")}
        shown["published"] = row["published_at"] is not None
        shown["bytes"] = len(row["payload"].encode())
        if shown.get("last_error"):
            shown["last_error"] = str(shown["last_error"])[:160]
        return shown

    async def read_dlq(self) -> list[dict[str, Any]]:
        """Every message in this run's ``*.dlq`` topics, decoded where possible."""
        from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: PLC0415

        ns = self.stack.config.topic_namespace
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.stack.bootstrap, enable_auto_commit=False, group_id=None
        )
        found: list[dict[str, Any]] = []
        try:
            await asyncio.wait_for(consumer.start(), 15)
            topics = [t for t in await consumer.topics() if t.startswith(ns) and t.endswith(".dlq")]
            tps = [
                TopicPartition(t, p)
                for t in topics
                for p in sorted(consumer.partitions_for_topic(t) or [])
            ]
            if not tps:
                return found
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            end = await consumer.end_offsets(tps)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                behind = [tp for tp in tps if await consumer.position(tp) < end[tp]]
                if not behind:
                    break
                batches = await consumer.getmany(timeout_ms=500, max_records=1000)
                for tp, records in batches.items():
                    for r in records:
                        found.append(self._dlq_message(tp.topic, r))
        except Exception as exc:  # a broker that is just coming back: report, do not crash
            found.append({"topic": "?", "key": b"", "error": f"could not read: {exc}"})
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
        return found

    @staticmethod
    def _dlq_message(topic: str, record: Any) -> dict[str, Any]:
        headers = {k: v.decode(errors="replace") for k, v in (record.headers or [])}
        message: dict[str, Any] = {
            "topic": topic,
            "key": record.key or b"",
            "consumer": headers.get("dlq_consumer", "?"),
            "error": headers.get("dlq_error", ""),
            "event_type": "?",
        }
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            body = json.loads(record.value)
            message["id"] = body.get("id")
            message["event_type"] = body.get("type", "?")
        return message

    async def replicas(self, figures: Figures) -> None:
        async with self.writing(figures):
            started = await asyncio.gather(
                *(
                    asyncio.to_thread(self.stack.start_replica, service, wait_ready=False)
                    for service in SERVICES
                    if self.stack.part(f"{service}#2") is None
                ),
                return_exceptions=True,
            )
            for failed in (r for r in started if isinstance(r, BaseException)):
                figures.problems.append(f"a replica did not start: {failed}")
            await asyncio.sleep(self.profile.write_s)
            for _ in range(self.profile.replica_kills):
                await asyncio.sleep(self.rng.uniform(*self.profile.kill_gap_s))
                if not (running := self._consumer_parts()):
                    break
                await self._kill_and_restart(self.rng.choice(running), figures)
        running = sorted(p.name for p in self.stack.parts)
        figures.notes.append(f"running: {', '.join(running)}")


def _details(c: Comparison, differences: list[Difference], limit: int) -> list[str]:
    lines = [f"     {d}" for d in differences[:limit]]
    for consumer, events in c.lost_events.items():
        for e in events[:limit]:
            lines.append(
                f"     never applied by {consumer}: {e.service} outbox #{e.row_id} "
                f"{e.event_type} key {e.key} written {e.created_at:%H:%M:%S.%f}"
            )
    for e in c.unpublished[:limit]:
        lines.append(
            f"     unpublished: {e.service} outbox #{e.row_id} {e.event_type} "
            f"{'(parked) ' if e.parked else ''}written {e.created_at:%H:%M:%S.%f}"
        )
    for consumer, inverted in c.inversions.items():
        lines += [f"     order ({consumer}): {i}" for i in inverted[:limit]]
    return lines


def render_table(results: list[Figures]) -> str:
    lines = ["", "scenario  result faults events lost twice mismatched inversions convergence"]
    lines += [f.summary() for f in results]
    return "\n".join(lines)


async def run_suite(
    profile: Profile, names: tuple[str, ...], *, keep: bool, seed: int | None = None
) -> int:
    workdir = Path(tempfile.mkdtemp(prefix=f"gongjian-chaos-{profile.name}-"))
    run = ChaosRun(profile, workdir)
    if seed is not None:
        run.seed, run.rng = seed, random.Random(seed)
    started = time.monotonic()
    try:
        await run.start()
        await run.run(names)
    finally:
        await run.stop()
        print(render_table(run.results))
        print(
            f"\n{len(run.results)} scenarios in {time.monotonic() - started:.0f}s; seed {run.seed}"
        )
        if keep:
            print(f"logs kept in {workdir / 'logs'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(f.ok for f in run.results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gongjian_deploy.chaos",
        description="Fault injection against the real PostgreSQL and broker; prints figures.",
    )
    parser.add_argument(
        "--long", action="store_true", help="the long run (≥ 50 kills, 30 s outage)"
    )
    parser.add_argument(
        "--scenario", action="append", choices=SCENARIOS, help="only these (repeatable)"
    )
    parser.add_argument("--kills", type=int, help="override the number of kills")
    parser.add_argument("--seed", type=int, help="random seed (printed by every run)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the services' logs")
    args = parser.parse_args(argv)
    profile = LONG if args.long else SHORT
    if args.kills is not None:
        profile = Profile(**{**profile.__dict__, "kills": args.kills})
    names = tuple(args.scenario) if args.scenario else SCENARIOS
    return asyncio.run(run_suite(profile, names, keep=args.keep_logs, seed=args.seed))


if __name__ == "__main__":
    sys.exit(main())
