"""Live district statistics: how long until a subscriber sees a change, under 1,000 events/s.

    uv run python bench/stats_latency.py [--rate 1000] [--seconds 20] [--probe-every 1.5]

Starts its own stack (PostgreSQL, Tansu, three services, gateway). Events in the activities
service's own contract (``activity.created``, checked against its JSON Schemas) are produced
straight to the activities topic at ``--rate`` per second (paced in 10 ms ticks; real mutations
through the gateway cannot reach 1,000/s on this machine) into 50 communities of one district,
each a new activity; evaluation consumes them as in production, marks the areas moved and its
publisher publishes each marked area at most once per STATS_PUBLISH_INTERVAL_S (1 s).
A stock Kafka client (kafka-python) reads the district-stats topic beside them. GraphQL
subscriptions over WebSocket through the gateway (graphql-transport-ws, a
DATA_SUBSCRIBER token) take ``areaStatsUpdated``:
  1. eight probe communities, apart from the load: each one activity every ``--probe-every`` s
     (slower than the coalescing interval, as a lone change), staggered — latency from producing
     the event to the subscriber seeing its count (p50/p95/p99; the target p99 <= 200 ms is for
     this);
  2. the district, which every event moves: coalesced to one message a second, so each event's
     latency (from producing it to the first message whose activityCount includes it) is
     bounded by the interval; printed with the messages per second it got.
Then the consumer's lag at the end (the last event produced → its figures published). Asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import websockets
from aiokafka import AIOKafkaProducer
from kafka import KafkaConsumer, TopicPartition

from gongjian_deploy.stack import Stack, StackConfig
from gongjian_kit.auth import issue_token
from gongjian_kit.events import Event, EventCatalog

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = EventCatalog(
    ROOT / "services/activities/src/gongjian_activities/event_schemas",
    source="/gongjian/activities",
)
DISTRICT = "330106000000"
# Probe communities of a street of their own, apart from the load: each gets a lone change every
# --probe-every seconds, staggered, so the p99 rests on a few hundred lone changes, not ten.
PROBES = [f"330106009{c:03d}" for c in range(1, 9)]
LOAD = [f"330106{s:03d}{c:03d}" for s in range(1, 6) for c in range(1, 11)]
SUBSCRIBE = """subscription($code: String!) { areaStatsUpdated(areaCode: $code) {
  areaCode activityCount } }"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def created(area: str) -> Event:
    activity = str(uuid.uuid4())
    data = {
        "activityId": activity,
        "organizerIds": [str(uuid.uuid4())],
        "areaCode": area,
        "line": "SERVING_THE_PEOPLE",
        "category": "SERVICE",
        "startsAt": "2026-05-01T09:00:00+08:00",
        "endsAt": None,
        "status": "PLANNED",
    }
    return CONTRACTS.new("gongjian.activities.activity.created.v1", activity, data, version=1)


class Subscriber:
    """One subscription: the time each message arrived and the activityCount it carried."""

    def __init__(self, stack: Stack, token: str, code: str) -> None:
        self.stack, self.token, self.code = stack, token, code
        self.seen: list[tuple[float, int]] = []
        self.ready = asyncio.Event()
        self.complete = asyncio.Event()  # a message counted ``wanted`` activities
        self.wanted: int | None = None

    async def run(self) -> None:
        url = self.stack.gateway_url.replace("http://", "ws://")
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:
            init = {"type": "connection_init", "payload": {"authorization": f"Bearer {self.token}"}}
            await socket.send(json.dumps(init))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            payload = {"query": SUBSCRIBE, "variables": {"code": self.code}}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            async for raw in socket:
                message = json.loads(raw)
                if message["type"] != "next":
                    raise RuntimeError(f"subscription {self.code}: {message}")
                count = message["payload"]["data"]["areaStatsUpdated"]["activityCount"]
                self.seen.append((time.perf_counter(), count))
                self.ready.set()  # the first message: the current figures
                if self.wanted is not None and count >= self.wanted:
                    self.complete.set()

    def first_at_least(self, count: int) -> float | None:
        return next((t for t, c in self.seen if c >= count), None)


# Each probe event: its community, its number there, when it was produced (wall clock), its id.
traced: list[tuple[str, int, float, uuid.UUID]] = []


def read_stats(bootstrap: str, topic: str, ready: Any, stopping: Any, found: Any) -> None:
    """In a process of its own (a stock client, kafka-python, not the services' aiokafka; not
    competing with the load generator for its GIL): the district-stats topic from its end; each
    probe community's message with its count and when it came (wall clock)."""
    client = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=100)
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(client.partitions_for_topic(topic) or ())
        ]
        client.assign(partitions)
        client.seek_to_end(*partitions)
        for tp in partitions:
            client.position(tp)
        ready.set()
        while not stopping.is_set():
            for records in client.poll(timeout_ms=100).values():
                for record in records:
                    key = record.key.decode() if record.key else ""
                    if key in PROBES:
                        count = json.loads(record.value)["data"]["activityCount"]
                        found.put((key, count, time.time()))
    finally:
        client.close()


class KafkaReader:
    """``read_stats`` in a spawned process; what it saw, on the bench's clock."""

    def __init__(self, stack: Stack) -> None:
        context = multiprocessing.get_context("spawn")
        self.ready, self.stopping, self.found = context.Event(), context.Event(), context.Queue()
        topic = f"{stack.config.topic_namespace}gongjian.district-stats.v1"
        self.process = context.Process(
            target=read_stats,
            args=(stack.bootstrap, topic, self.ready, self.stopping, self.found),
            daemon=True,
        )
        self.seen: dict[str, list[tuple[float, int]]] = {code: [] for code in PROBES}

    def stop(self) -> None:
        self.stopping.set()
        wall = time.time() - time.perf_counter()
        self.process.join(10)
        while not self.found.empty():
            key, count, at = self.found.get()
            self.seen[key].append((at - wall, count))

    def first_at_least(self, code: str, count: int) -> float | None:
        return next((t for t, c in self.seen[code] if c >= count), None)


async def stages(stack: Stack, probe: dict[str, Subscriber]) -> None:
    """Where a lone change's time goes, from the evaluation service's own rows: produced → applied
    by the consumer (its ledger row's ``received_at``) → taken by the publisher (the first
    outbox message of that community written after it) → seen by the subscriber."""
    wall = time.time() - time.perf_counter()
    conn = await asyncpg.connect(stack.database("evaluation"))
    try:
        applied = dict(
            await conn.fetch(
                "SELECT source_id, extract(epoch FROM received_at) FROM evidence "
                "WHERE source_id = ANY($1::uuid[])",
                [t[3] for t in traced],
            )
        )
        published = await conn.fetch(
            "SELECT key, extract(epoch FROM created_at) AS at FROM outbox "
            "WHERE key = ANY($1::text[]) ORDER BY created_at",
            PROBES,
        )
    finally:
        await conn.close()
    parts: list[tuple[float, float, float]] = []
    for code, n, produced, activity in traced:
        at = applied.get(activity)
        seen = probe[code].first_at_least(n)
        if at is None or seen is None:
            continue
        taken = next(
            (float(r["at"]) for r in published if r["key"] == code and r["at"] >= at), None
        )
        if taken is None:
            continue
        parts.append((float(at) - produced, taken - float(at), seen + wall - taken))
    if not parts:
        return
    for i, label in enumerate(("produced → applied", "applied → published", "published → seen")):
        values = [p[i] for p in parts]
        print(
            f"    {label:<22} p50 {pct(values, 0.5):6.0f} ms  p95 {pct(values, 0.95):6.0f} ms  "
            f"p99 {pct(values, 0.99):6.0f} ms"
        )


Prepared = tuple[list[tuple[bytes, bytes]], list[Event]]


def prepare(args: argparse.Namespace) -> Prepared:
    """Every event built and checked against its schema before the clock starts: the load
    generator shares the two cores with the system, so it only sends bytes while measuring."""
    count = max(1, round(args.rate / 100)) * 100 * (int(args.seconds) + 2)  # as produce sends
    load = [
        (e.to_json(), e.subject.encode()) for e in map(created, LOAD * (count // len(LOAD) + 1))
    ]
    probes = [created(PROBES[n % len(PROBES)]) for n in range(int(args.seconds * 20) + 20)]
    return load, probes


async def produce(
    stack: Stack, args: argparse.Namespace, started: float, prepared: Prepared
) -> tuple[list[float], dict[str, list[float]]]:
    """Produce at ``args.rate``/s for ``args.seconds``; when each event and each probe went."""
    load, probe_events = prepared
    topic = f"{stack.config.topic_namespace}gongjian.activities.v1"
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, linger_ms=2, acks="all")
    await producer.start()
    sent_at: list[float] = []  # every event, in the order produced (the district counts all)
    probes: dict[str, list[float]] = {code: [] for code in PROBES}  # each probe's events
    traced.clear()
    per_tick = max(1, round(args.rate / 100))
    spacing = args.probe_every / len(PROBES)
    next_probe = started + spacing
    tick = 0
    try:
        while (now := time.perf_counter()) - started < args.seconds:
            for _ in range(per_tick):
                value, key = load[len(sent_at) - len(traced)]
                await producer.send(topic, value=value, key=key)
                sent_at.append(time.perf_counter())
            if now >= next_probe:
                event = probe_events[len(traced)]
                code = event.data["areaCode"]
                await producer.send(topic, value=event.to_json(), key=event.subject.encode())
                probes[code].append(time.perf_counter())
                sent_at.append(probes[code][-1])
                traced.append((code, len(probes[code]), time.time(), uuid.UUID(event.subject)))
                next_probe += spacing
            tick += 1
            await asyncio.sleep(max(0.0, started + tick * 0.01 - time.perf_counter()))
        await producer.flush()
    finally:
        await producer.stop()
    return sent_at, probes


async def bench(stack: Stack, args: argparse.Namespace) -> None:
    token = issue_token(
        stack.config.jwt_secret,
        subject="bench-subscriber",
        roles=["DATA_SUBSCRIBER"],
        area=DISTRICT,
    )
    prepared = prepare(args)
    kafka = KafkaReader(stack)
    kafka.process.start()
    await asyncio.to_thread(kafka.ready.wait, 60)
    probe = {code: Subscriber(stack, token, code) for code in PROBES}
    district = Subscriber(stack, token, DISTRICT)
    everyone = [*probe.values(), district]
    tasks = [asyncio.create_task(s.run()) for s in everyone]
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in everyone)), 30)
    await asyncio.sleep(1.0)  # the gateway's upstream subscriptions are open

    started = time.perf_counter()
    sent_at, probes = await produce(stack, args, started, prepared)
    produced_s = time.perf_counter() - started
    last_sent = time.perf_counter()
    district.wanted = len(sent_at)
    if district.first_at_least(len(sent_at)) is not None:
        district.complete.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(district.complete.wait(), 120)
    await asyncio.sleep(2.0)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    kafka.stop()
    report(args, produced_s, last_sent, started, sent_at, probes, probe, district)
    on_kafka = [
        seen - at
        for code, sent in probes.items()
        for n, at in enumerate(sent, 1)
        if (seen := kafka.first_at_least(code, n)) is not None
    ]
    if on_kafka:
        print(
            f"  the same lone changes read from gongjian.district-stats.v1 with kafka-python: "
            f"seen {len(on_kafka)}/{sum(map(len, probes.values()))}  "
            f"p50 {pct(on_kafka, 0.5):.0f} ms  p95 {pct(on_kafka, 0.95):.0f} ms  "
            f"p99 {pct(on_kafka, 0.99):.0f} ms  max {max(on_kafka) * 1000:.0f} ms"
        )
    await stages(stack, probe)


def report(
    args: argparse.Namespace,
    produced_s: float,
    last_sent: float,
    started: float,
    sent_at: list[float],
    probes: dict[str, list[float]],
    probe: dict[str, Subscriber],
    district: Subscriber,
) -> None:
    print(
        f"stats latency: {len(sent_at):,} activity.created events produced in {produced_s:.1f} s "
        f"({len(sent_at) / produced_s:,.0f}/s) to the activities topic, 50 communities + "
        f"{len(PROBES)} probe communities; subscribers over WebSocket through the gateway"
    )
    lone = [
        seen - at
        for code, sent in probes.items()
        for n, at in enumerate(sent, 1)
        if (seen := probe[code].first_at_least(n)) is not None
    ]
    each = [
        seen - at
        for n, at in enumerate(sent_at, 1)
        if (seen := district.first_at_least(n)) is not None
    ]
    for label, values, total in (
        (
            f"{len(PROBES)} probe communities (each a lone change every {args.probe_every:g} s)",
            lone,
            sum(map(len, probes.values())),
        ),
        ("district (every event, coalesced to 1 message/s)", each, len(sent_at)),
    ):
        if not values:
            print(f"  {label}: nothing seen")
            continue
        print(
            f"  {label}: seen {len(values)}/{total}  p50 {pct(values, 0.5):.0f} ms  "
            f"p95 {pct(values, 0.95):.0f} ms  p99 {pct(values, 0.99):.0f} ms  "
            f"max {max(values) * 1000:.0f} ms"
        )
    window = [t for t, _ in district.seen[1:] if started <= t]
    if window:
        span = max(window[-1] - started, 1.0)
        per_second: dict[int, int] = {}
        for t in window:
            per_second[int(t - started)] = per_second.get(int(t - started), 0) + 1
        print(
            f"  district messages: {len(window)} in {span:.1f} s "
            f"(at most {max(per_second.values())} in any one second)"
        )
    final = district.first_at_least(len(sent_at))
    if final is not None:
        print(f"  last event produced → its figures seen: {(final - last_sent) * 1000:.0f} ms")
    if lone:
        verdict = "meets" if pct(lone, 0.99) <= 200 else "misses"
        print(f"  target p99 <= 200 ms (a lone change): {verdict} ({pct(lone, 0.99):.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=1000, help="events per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--probe-every", type=float, default=1.5, help="seconds")
    args = parser.parse_args()
    stack = Stack(
        StackConfig(
            workdir=Path(tempfile.mkdtemp(prefix="gongjian-bench-")),
            gateway_deduplicate=False,
            fast_unsafe_postgres=False,
        )
    )
    try:
        started = time.perf_counter()
        stack.start()
        print(f"stack started in {time.perf_counter() - started:.1f}s")
        asyncio.run(bench(stack, args))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
