"""Consumer throughput: events/s through one kit consumer, batched vs one transaction per event.

    uv run python bench/consumer_throughput.py [--events 50000] [--duplicates 0.2]

Starts its own PostgreSQL and Tansu broker. Produces ``--events`` versioned events (distinct
subjects, 4 partitions) plus a share of redelivered copies (same event ids) mixed in, then runs,
side by side in the same run, on the same topic with fresh consumer groups and databases:
  - batched: the kit's consumer as shipped (a fetched batch in one transaction, inbox rows and
    subject versions in one statement each, a savepoint per event only when one fails);
  - per-event baseline: the same consumer applying each event in its own transaction (inbox
    row + handler), as the kit did before.
The handler is a typical read-model write (one upsert per event), also run as a batch handler
(the same upsert through one executemany per run of events, ``ConsumerSpec.batch_handlers``).
Prints events/s over the sustained part (first to last applied) and the SQL statements per
event. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer

from gongjian_deploy.infra import create_databases, database_url
from gongjian_deploy.stack import Stack, StackConfig
from gongjian_kit.consumer import ConsumerSpec, EventConsumer, Outcome, _Work
from gongjian_kit.db import Connection, create_pool, sql_statements_total
from gongjian_kit.events import Event
from gongjian_kit.kafka import ensure_topics
from gongjian_kit.migrations import KIT_MIGRATIONS, migrate

TYPE = "gongjian.bench.thing.changed.v1"


async def upsert_state(conn: Connection, event: Event) -> None:
    await conn.execute(
        "INSERT INTO thing_state (subject, state) VALUES ($1, $2) "
        "ON CONFLICT (subject) DO UPDATE SET state = $2",
        event.subject,
        event.data["state"],
    )


async def upsert_states(conn: Connection, events: list[Event]) -> None:
    await conn.executemany(
        "INSERT INTO thing_state (subject, state) VALUES ($1, $2) "
        "ON CONFLICT (subject) DO UPDATE SET state = $2",
        [(e.subject, e.data["state"]) for e in events],
    )


class PerEventConsumer(EventConsumer):
    """The baseline: one transaction per event, as before batching."""

    async def apply_batch(self, work: list[_Work]) -> None:
        for item in work:
            async with self.pool.acquire() as conn, conn.transaction():
                fresh = await conn.fetchval(
                    "INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3) "
                    "ON CONFLICT DO NOTHING RETURNING true",
                    self.spec.name,
                    item.event.id,
                    item.event.type,
                )
                if fresh:
                    await item.handler(conn, item.event)
                    item.outcome = Outcome.APPLIED
                else:
                    item.outcome = Outcome.DUPLICATE


async def produce(bootstrap: str, topic: str, count: int, duplicate_share: float) -> int:
    events = [
        Event(type=TYPE, subject=f"s-{n}", data={"state": n}, source="/bench", version=1)
        for n in range(count)
    ]
    rng = random.Random(7)
    stream: list[Event] = []
    for n, event in enumerate(events):
        stream.append(event)
        if rng.random() < duplicate_share:  # a redelivered copy of an earlier event
            stream.append(events[rng.randrange(0, n + 1)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks="all")
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value=e.to_json(), key=e.subject.encode()) for e in stream
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return len(stream)


async def run_one(
    kind: type[EventConsumer],
    server_url: str,
    bootstrap: str,
    topic: str,
    count: int,
    *,
    batch_handler: bool = False,
) -> dict[str, float]:
    name = f"bench_{kind.__name__.lower()}_{uuid.uuid4().hex[:6]}"
    await asyncio.to_thread(create_databases, server_url, [name])
    dsn = database_url(server_url, name)
    await migrate(dsn, "bench", KIT_MIGRATIONS.parent / "none")
    pool = await create_pool(dsn, min_size=2, max_size=4)
    await pool.execute("CREATE TABLE thing_state (subject text PRIMARY KEY, state int)")
    spec = (
        ConsumerSpec(name, (topic,), {}, batch_handlers={TYPE: upsert_states})
        if batch_handler
        else ConsumerSpec(name, (topic,), {TYPE: upsert_state})
    )
    consumer = kind(spec, pool, bootstrap)
    statements_before = sql_statements_total._value.get()
    task = asyncio.create_task(consumer.run())
    first: float | None = None
    started = time.monotonic()
    try:
        while True:
            applied = int(await pool.fetchval("SELECT count(*) FROM thing_state"))
            now = time.monotonic()
            if applied and first is None:
                first = now
            if applied >= count:
                break
            if now - started > 600:
                raise TimeoutError(f"{kind.__name__}: {applied}/{count} after 600 s")
            await asyncio.sleep(0.05)
        done = time.monotonic()
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
        statements = sql_statements_total._value.get() - statements_before
        await pool.close()
    assert first is not None
    return {
        "events_per_s": count / (done - first),
        "seconds": done - first,
        "statements_per_event": statements / count,
    }


async def main_async(args: argparse.Namespace) -> None:
    stack = Stack(
        StackConfig(
            workdir=Path(tempfile.mkdtemp(prefix="gongjian-bench-")), fast_unsafe_postgres=False
        )
    )
    await asyncio.to_thread(stack.start_infrastructure)
    try:
        topic = f"bench-consumer-{uuid.uuid4().hex[:6]}"
        await ensure_topics(stack.bootstrap, [topic])
        sent = await produce(stack.bootstrap, topic, args.events, args.duplicates)
        print(
            f"consumer throughput: {args.events} events + {sent - args.events} redelivered "
            f"copies, one consumer, PostgreSQL with fsync on, 2 cores"
        )
        print(f"{'mode':<30}{'events/s':>10}{'seconds':>10}{'SQL/event':>11}")
        for label, kind, batch_handler in (
            ("per-event (old baseline)", PerEventConsumer, False),
            ("batched, handler per event", EventConsumer, False),
            ("batched, batch handler", EventConsumer, True),
        ):
            figures = await run_one(
                kind,
                stack.server_url,
                stack.bootstrap,
                topic,
                args.events,
                batch_handler=batch_handler,
            )
            print(
                f"{label:<30}{figures['events_per_s']:>10.0f}{figures['seconds']:>10.1f}"
                f"{figures['statements_per_event']:>11.2f}",
                flush=True,
            )
    finally:
        await asyncio.to_thread(stack.stop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--duplicates", type=float, default=0.2)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
