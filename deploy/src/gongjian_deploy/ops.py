"""Operations on the event plumbing: `gongjian dlq …` and `gongjian outbox …`.

They find a service's database and the broker in the environment (``DATABASE_URL``,
``KAFKA_BOOTSTRAP``, ``TOPIC_NAMESPACE``, as a deployed service has them) when ``DATABASE_URL``
is set, else in the stack that `gongjian up` is running.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from gongjian_kit.app import ServiceDefinition
from gongjian_kit.consumer import ConsumerSpec, EventConsumer, Outcome, dlq_topic
from gongjian_kit.db import create_pool
from gongjian_kit.outbox import outbox_health, parked_rows, republish_since, retry_parked
from gongjian_kit.runtime import Runtime
from gongjian_kit.settings import ServiceSettings

SERVICES = ("organizations", "activities", "evaluation")


@dataclass(frozen=True)
class Target:
    """One service as the operator reaches it."""

    service: str
    settings: ServiceSettings

    @property
    def definition(self) -> ServiceDefinition:
        module = importlib.import_module(f"gongjian_{self.service}.app")
        found: ServiceDefinition = module.definition
        return found


def _state() -> dict[str, Any]:
    from gongjian_deploy.cli import _read_state  # noqa: PLC0415

    return _read_state()


def targets(service: str | None) -> list[Target]:
    """The services to act on, with their settings."""
    names = [service] if service else list(SERVICES)
    if os.environ.get("DATABASE_URL"):
        if service is None:
            own = os.environ.get("SERVICE_NAME")
            if own not in SERVICES:
                raise SystemExit("with DATABASE_URL set, name the service: --service NAME")
            names = [own]
        return [Target(n, ServiceSettings(service_name=n)) for n in names]
    state = _state()
    databases = state.get("databases", {})
    if not databases:
        raise SystemExit(
            "no running stack found (start it with `make up`), and DATABASE_URL is not set"
        )
    return [
        Target(
            n,
            ServiceSettings(
                service_name=n,
                database_url=databases[n],
                kafka_bootstrap=state["kafka_bootstrap"],
                topic_namespace=state.get("topic_namespace", ""),
                jwt_secret=state.get("jwt_secret", ""),
            ),
        )
        for n in names
    ]


def find_consumer(name: str, topic: str | None) -> tuple[Target, ConsumerSpec]:
    """The service and spec of the consumer called ``name`` (with or without the namespace)."""
    for target in targets(None):
        definition = target.definition
        runtime = _runtime(target, definition)
        for spec in definition.consumers(runtime):
            if spec.name in (name, target.settings.topic_namespace + name):
                if topic and target.settings.topic(topic) not in spec.topics:
                    raise SystemExit(f"consumer {spec.name} does not read {topic}")
                return target, spec
    raise SystemExit(f"no consumer called {name}")


def _runtime(target: Target, definition: ServiceDefinition) -> Runtime:
    return Runtime(settings=target.settings, catalog=definition.catalog, topics=definition.topics)


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC).astimezone()


async def read_dlq(
    bootstrap: str, spec: ConsumerSpec, topic: str | None, since: datetime | None
) -> list[ConsumerRecord[bytes, bytes]]:
    """The consumer's dead-lettered messages, oldest first (read to the end, no group)."""
    sources = [t for t in spec.topics if topic is None or t.endswith(topic)]
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await reader.start()
    found: list[ConsumerRecord[bytes, bytes]] = []
    try:
        partitions = [
            TopicPartition(dlq_topic(t), p)
            for t in sources
            for p in sorted(reader.partitions_for_topic(dlq_topic(t)) or ())
        ]
        if not partitions:
            return []
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batches = await reader.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                found += records
                if await reader.position(tp) >= ends[tp]:
                    remaining.discard(tp)
            if not batches:
                for tp in list(remaining):
                    if await reader.position(tp) >= ends[tp]:
                        remaining.discard(tp)
    finally:
        await reader.stop()
    cutoff = since.timestamp() * 1000 if since else None
    mine = [
        r
        for r in found
        if dict(r.headers).get("dlq_consumer", b"").decode() == spec.name
        and (cutoff is None or r.timestamp >= cutoff)
    ]
    return sorted(mine, key=lambda r: (r.timestamp, r.topic, r.partition, r.offset))


def _headers(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    headers = {k: v.decode(errors="replace") for k, v in record.headers}
    if "ce_type" not in headers:  # structured mode: the type is in the envelope
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            headers["ce_type"] = str(json.loads(record.value or b"{}").get("type", "?"))
    return headers


def _when(record: ConsumerRecord[bytes, bytes]) -> str:
    return (
        datetime.fromtimestamp(record.timestamp / 1000, UTC)
        .astimezone()
        .isoformat(timespec="seconds")
    )


async def _with_pool(
    target: Target, work: Callable[[asyncpg.Pool[asyncpg.Record]], Awaitable[int]]
) -> int:
    pool = await create_pool(target.settings.database_url, min_size=1, max_size=2, wait_s=5)
    try:
        return await work(pool)
    finally:
        await pool.close()


async def dlq_command(args: argparse.Namespace) -> int:
    target, spec = find_consumer(args.consumer, args.topic)
    records = await read_dlq(
        target.settings.kafka_bootstrap, spec, args.topic, _since(getattr(args, "since", None))
    )
    if getattr(args, "offset", None) is not None:
        records = [
            r
            for r in records
            if r.offset == args.offset and (args.partition is None or r.partition == args.partition)
        ]
    if args.action == "show":
        for record in records:
            print(f"{record.topic}/{record.partition}@{record.offset}  {_when(record)}")
            for key, value in _headers(record).items():
                print(f"  {key}: {value}")
            print((record.value or b"").decode(errors="replace"))
        if not records:
            print("no such dead-lettered message", file=sys.stderr)
            return 1
        return 0

    async def listing(pool: asyncpg.Pool[asyncpg.Record]) -> int:
        replays = {
            (r["topic"], r["part"], r["msg_offset"]): r
            for r in await pool.fetch(
                "SELECT topic, part, msg_offset, outcome, replayed_at FROM dlq_replay "
                "WHERE consumer = $1",
                spec.name,
            )
        }
        print(f"{len(records)} dead-lettered message(s) of {spec.name}")
        for record in records:
            h = _headers(record)
            replay = replays.get((record.topic, record.partition, record.offset))
            state = f"  [replayed: {replay['outcome']}]" if replay else ""
            print(
                f"{record.topic}/{record.partition}@{record.offset}  {_when(record)}  "
                f"{h.get('ce_type', '?')}  {h.get('dlq_error_type', '')}: "
                f"{h.get('dlq_error', '')[:120]}{state}"
            )
        return 0

    async def replaying(pool: asyncpg.Pool[asyncpg.Record]) -> int:
        runtime = _runtime(target, target.definition)
        runtime.pool = pool
        consumer = EventConsumer(spec, pool, target.settings.kafka_bootstrap)
        counts: dict[str, int] = {}
        for record in records:
            outcome, detail = await consumer.replay(record.value)
            counts[outcome.value] = counts.get(outcome.value, 0) + 1
            await pool.execute(
                "INSERT INTO dlq_replay (consumer, topic, part, msg_offset, event_id, outcome, "
                "detail) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                "ON CONFLICT (consumer, topic, part, msg_offset) DO UPDATE SET "
                "outcome = $6, detail = $7, replayed_at = now()",
                spec.name,
                record.topic,
                record.partition,
                record.offset,
                _event_id(record.value),
                outcome.value,
                detail[:1000],
            )
            print(f"{record.topic}/{record.partition}@{record.offset}  {outcome.value}  {detail}")
        print(f"replayed {len(records)}: " + json.dumps(counts, ensure_ascii=False))
        return 1 if counts.get(Outcome.DEAD_LETTERED.value) else 0

    return await _with_pool(target, replaying if args.action == "replay" else listing)


def _event_id(value: bytes | None) -> str | None:
    try:
        found = json.loads(value or b"").get("id")
    except (ValueError, AttributeError):
        return None
    return str(found) if found is not None else None


async def outbox_command(args: argparse.Namespace) -> int:
    code = 0
    for target in targets(args.service):

        async def act(pool: asyncpg.Pool[asyncpg.Record], name: str = target.service) -> int:
            if args.action == "status":
                health = await outbox_health(pool)
                print(
                    f"{name}: backlog {health.backlog}, oldest waiting "
                    f"{health.oldest_age_s:.1f}s, parked {health.parked}"
                )
                return 0
            if args.action == "failed":
                rows = await parked_rows(pool)
                print(f"{name}: {len(rows)} parked row(s)")
                for r in rows:
                    print(
                        f"  id {r['id']}  {r['event_type']}  key {r['key']}  {r['size']} bytes  "
                        f"attempts {r['attempts']}  parked {r['failed_at']:%Y-%m-%d %H:%M:%S}  "
                        f"{r['last_error']}"
                    )
                return 0
            if args.action == "retry":
                print(f"{name}: {await retry_parked(pool, args.id)} row(s) will be tried again")
                return 0
            since = _since(args.since)
            assert since is not None
            count = await republish_since(pool, since)
            print(f"{name}: {count} event(s) since {since.isoformat()} will be published again")
            return 0

        code = max(code, await _with_pool(target, act))
    return code


def register(commands: Any) -> None:
    """Add `dlq` and `outbox` to the `gongjian` command."""
    dlq = commands.add_parser("dlq", help="see and replay dead-lettered events")
    dlq_actions = dlq.add_subparsers(dest="action", required=True)
    for action, text in (
        ("list", "list a consumer's dead-lettered events"),
        ("show", "print one dead-lettered message with its headers"),
        ("replay", "apply dead-lettered events again (idempotent) and report each"),
    ):
        sub = dlq_actions.add_parser(action, help=text)
        sub.add_argument("--consumer", required=True, help="e.g. evaluation.stats")
        sub.add_argument("--topic", help="only this source topic, e.g. gongjian.activities.v1")
        sub.add_argument("--since", help="ISO date or time: only messages dead-lettered since")
        sub.add_argument("--offset", type=int, help="only the message at this DLQ offset")
        sub.add_argument("--partition", type=int, help="with --offset: its DLQ partition")
        sub.set_defaults(run=lambda a: asyncio.run(dlq_command(a)))
    outbox = commands.add_parser("outbox", help="the outbox: backlog, parked rows, republish")
    outbox_actions = outbox.add_subparsers(dest="action", required=True)
    status = outbox_actions.add_parser("status", help="backlog, oldest age and parked rows")
    failed = outbox_actions.add_parser("failed", help="rows parked after repeated refusals")
    retry = outbox_actions.add_parser("retry", help="let the relay try parked rows again")
    retry.add_argument("--id", type=int, action="append", required=True)
    republish = outbox_actions.add_parser(
        "republish", help="publish again every event written since a time (broker lost data)"
    )
    republish.add_argument("--since", required=True, help="ISO time, e.g. 2026-11-26T09:00")
    for sub in (status, failed, retry, republish):
        sub.add_argument("--service", choices=SERVICES, help="default: every service")
        sub.set_defaults(run=lambda a: asyncio.run(outbox_command(a)))
