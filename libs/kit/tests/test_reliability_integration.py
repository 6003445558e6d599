"""Nothing is lost: transient failures wait, poison is parked, old versions never win.

Against the real PostgreSQL and broker; the database outage uses a PostgreSQL of its own.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from gongjian_deploy.infra import LocalBroker, LocalPostgres, database_url, free_port
from gongjian_deploy.pytest_plugin import wait_until
from gongjian_kit.consumer import ConsumerSpec, EventConsumer, Outcome, dlq_topic
from gongjian_kit.db import Connection, create_pool
from gongjian_kit.events import Event
from gongjian_kit.kafka import ensure_topics
from gongjian_kit.migrations import (
    KIT_MIGRATIONS,
    MIGRATION_LOCK_KEY,
    MigrationLockTimeout,
    load_migrations,
    migrate,
)
from gongjian_kit.outbox import (
    OutboxRelay,
    append_to_outbox,
    outbox_health,
    parked_rows,
    retry_parked,
)
from gongjian_kit.retention import Retention, purge

pytestmark = pytest.mark.integration

TYPE = "gongjian.test.thing.changed.v1"


def thing(subject: str, state: str, version: int | None = None, **extra: object) -> Event:
    return Event(
        type=TYPE,
        subject=subject,
        data={"state": state, **extra},
        source="/gongjian/test",
        version=version,
    )


async def set_state(conn: Connection, event: Event) -> None:
    """A state-setting handler, as read models should be; fails on events marked poison."""
    if event.data.get("poison"):
        raise ValueError("this event can never be applied")
    await conn.execute(
        "INSERT INTO thing_state (subject, state, applied) VALUES ($1, $2, 1) "
        "ON CONFLICT (subject) DO UPDATE SET state = $2, applied = thing_state.applied + 1",
        event.subject,
        event.data["state"],
    )


async def prepare(pool: asyncpg.Pool[asyncpg.Record]) -> None:
    await pool.execute(
        "CREATE TABLE thing_state (subject text PRIMARY KEY, state text, applied int NOT NULL)"
    )


def names() -> tuple[str, str]:
    return f"rel-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"


async def produce(bootstrap: str, topic: str, events: list[Event | bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await producer.start()
    try:
        futures = [
            await producer.send(
                topic,
                value=e if isinstance(e, bytes) else e.to_json(),
                key=b"k" if isinstance(e, bytes) else e.subject.encode(),
                headers=[("ce_type", (TYPE if isinstance(e, bytes) else e.type).encode())],
            )
            for e in events
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str, settle_s: float = 2.0) -> list[ConsumerRecord]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    found: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + settle_s
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                found += records
    finally:
        await consumer.stop()
    return found


async def state_of(pool: asyncpg.Pool[asyncpg.Record]) -> dict[str, tuple[str, int]]:
    rows = await pool.fetch("SELECT subject, state, applied FROM thing_state")
    return {r["subject"]: (r["state"], r["applied"]) for r in rows}


async def running(consumer: EventConsumer) -> asyncio.Task[None]:
    task = asyncio.create_task(consumer.run())
    await asyncio.wait_for(consumer.ready.wait(), 30)
    return task


async def stop(consumer: EventConsumer, task: asyncio.Task[None]) -> None:
    consumer.stop()
    await asyncio.wait_for(task, 30)


@pytest.fixture
async def own_postgres(tmp_path) -> AsyncIterator[LocalPostgres]:
    """A PostgreSQL of this test's own, so that the test may stop and start it."""
    server = LocalPostgres(tmp_path / "pg", fast_unsafe=True)
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def test_a_database_outage_sends_nothing_to_the_dlq_and_loses_nothing(own_postgres, infra):
    dsn = database_url(own_postgres.url, "postgres")
    await migrate(dsn, "none", KIT_MIGRATIONS.parent / "no-such-dir")
    pool = await create_pool(dsn, min_size=1, max_size=4)
    await prepare(pool)
    topic, group = names()
    await ensure_topics(infra.bootstrap, [topic, dlq_topic(topic)])
    consumer = EventConsumer(
        ConsumerSpec(group, (topic,), {TYPE: set_state}), pool, infra.bootstrap, max_backoff_s=1
    )
    task = await running(consumer)
    try:
        await produce(infra.bootstrap, topic, [thing(f"s{n}", "a", 1) for n in range(20)])
        await wait_until(lambda: _count(pool, 20), timeout_s=60)

        await asyncio.to_thread(own_postgres.stop)
        await produce(infra.bootstrap, topic, [thing(f"s{n}", "b", 2) for n in range(20)])

        async def retrying() -> bool:
            return bool(consumer.state.retrying)

        await wait_until(retrying, timeout_s=30)
        await asyncio.sleep(3)  # several retries while the database is away
        assert consumer.state.retrying, "it keeps waiting while the database is away"

        await asyncio.to_thread(own_postgres.start)

        async def all_b() -> bool:
            with_b = [s for s, _ in (await state_of(pool)).values() if s == "b"]
            return len(with_b) == 20

        await wait_until(all_b, timeout_s=60)
        assert not consumer.state.retrying
        assert all(applied == 2 for _, applied in (await state_of(pool)).values())
        assert await read_all(infra.bootstrap, dlq_topic(topic)) == []
    finally:
        await stop(consumer, task)
        await pool.close()


def _count(pool: asyncpg.Pool[asyncpg.Record], expected: int):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return int(await pool.fetchval("SELECT count(*) FROM thing_state")) == expected

    return check()


async def test_one_bad_event_in_a_batch_leaves_the_others_applied(fresh_db, infra):
    await prepare(fresh_db)
    topic, group = names()
    await ensure_topics(infra.bootstrap, [topic, dlq_topic(topic)])
    bad = thing("bad", "x", 1, poison=True)
    await produce(
        infra.bootstrap,
        topic,
        [thing("a", "ok", 1), bad, b"{not json", thing("c", "ok", 1)],
    )
    consumer = EventConsumer(
        ConsumerSpec(group, (topic,), {TYPE: set_state}), fresh_db, infra.bootstrap
    )
    task = await running(consumer)
    try:
        await wait_until(lambda: _count(fresh_db, 2), timeout_s=60)
        assert await state_of(fresh_db) == {"a": ("ok", 1), "c": ("ok", 1)}
        dead = await read_all(infra.bootstrap, dlq_topic(topic))
        assert len(dead) == 2
        headers = [dict(r.headers) for r in dead]
        by_error = {h["dlq_error_type"]: h for h in headers}
        assert set(by_error) == {b"ValueError", b"InvalidEvent"}
        poisoned = by_error[b"ValueError"]
        assert poisoned["ce_type"] == TYPE.encode()  # the original headers are kept
        assert poisoned["dlq_consumer"] == group.encode()
        assert poisoned["dlq_source_topic"] == topic.encode()
        assert {
            "dlq_source_partition",
            "dlq_source_offset",
            "dlq_attempts",
            "dlq_timestamp",
        } <= set(poisoned)
        # The bad event left no inbox row, so a replay after a fix can apply it.
        assert (
            await fresh_db.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", bad.id) == 0
        )
    finally:
        await stop(consumer, task)

    fixed = EventConsumer(
        ConsumerSpec(group, (topic,), {TYPE: set_state_ignoring_poison}),
        fresh_db,
        infra.bootstrap,
    )
    poisoned_record = next(r for r in dead if dict(r.headers)["dlq_error_type"] == b"ValueError")
    assert (await fixed.replay(poisoned_record.value))[0] is Outcome.APPLIED
    assert (await fixed.replay(poisoned_record.value))[0] is Outcome.DUPLICATE
    assert (await state_of(fresh_db))["bad"] == ("x", 1)


async def set_state_ignoring_poison(conn: Connection, event: Event) -> None:
    await set_state(conn, Event(**{**event.__dict__, "data": {"state": event.data["state"]}}))


async def test_an_older_version_never_undoes_a_newer_one(fresh_db, infra):
    await prepare(fresh_db)
    topic, group = names()
    await ensure_topics(infra.bootstrap, [topic, dlq_topic(topic)])
    dissolved = thing("org-1", "dissolved", 2)
    # Out of order (a replay, a reset group): the newer state arrives first, then an old copy,
    # then the newer one again.
    await produce(infra.bootstrap, topic, [dissolved, thing("org-1", "active", 1), dissolved])
    consumer = EventConsumer(
        ConsumerSpec(group, (topic,), {TYPE: set_state}), fresh_db, infra.bootstrap
    )
    task = await running(consumer)
    try:
        await wait_until(lambda: _count(fresh_db, 1), timeout_s=60)
        await produce(infra.bootstrap, topic, [thing("org-1", "renamed", 3)])

        async def renamed() -> bool:
            return (await state_of(fresh_db)).get("org-1", ("", 0))[0] == "renamed"

        await wait_until(renamed, timeout_s=30)
        assert await state_of(fresh_db) == {"org-1": ("renamed", 2)}  # applied v2 and v3 only
    finally:
        await stop(consumer, task)


async def test_a_newer_major_version_is_dead_lettered_not_skipped(fresh_db, infra):
    await prepare(fresh_db)
    topic, group = names()
    await ensure_topics(infra.bootstrap, [topic, dlq_topic(topic)])
    newer = Event(
        type="gongjian.test.thing.changed.v2",
        subject="t",
        data={"state": "x"},
        source="/gongjian/test",
        version=1,
    )
    await produce(infra.bootstrap, topic, [newer, thing("u", "ok", 1)])
    consumer = EventConsumer(
        ConsumerSpec(group, (topic,), {TYPE: set_state}), fresh_db, infra.bootstrap
    )
    task = await running(consumer)
    try:
        await wait_until(lambda: _count(fresh_db, 1), timeout_s=60)
        dead = await read_all(infra.bootstrap, dlq_topic(topic))
        assert [dict(r.headers)["dlq_error_type"] for r in dead] == [b"UnsupportedEventVersion"]
    finally:
        await stop(consumer, task)


async def test_a_refused_row_is_parked_and_only_its_key_waits(fresh_db, infra):
    topic = f"rel-{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.bootstrap, [topic])
    async with fresh_db.acquire() as conn, conn.transaction():
        await append_to_outbox(conn, topic, "a", thing("a", "1"))
        huge = thing("a", "2" * 2_000_000)  # larger than the producer's 1 MB max_request_size
        await append_to_outbox(conn, topic, "a", huge)
        await append_to_outbox(conn, topic, "a", thing("a", "3"))
        await append_to_outbox(conn, topic, "b", thing("b", "4"))
    relay = OutboxRelay(fresh_db, infra.bootstrap, poll_interval_s=0.1, park_after=3)
    started = time.monotonic()
    for _ in range(5):
        await relay.publish_batch()
    assert time.monotonic() - started < 10  # no waiting on its own row locks
    rows = await fresh_db.fetch(
        "SELECT key, published_at, attempts, failed_at, last_error FROM outbox ORDER BY id"
    )
    published = [r["published_at"] is not None for r in rows]
    assert published == [True, False, False, True]  # "a"/3 waits behind the parked row
    assert rows[1]["failed_at"] is not None
    assert rows[1]["attempts"] == 3
    assert "MessageSizeTooLarge" in rows[1]["last_error"]
    assert rows[2]["failed_at"] is None
    assert rows[2]["attempts"] == 0
    health = await outbox_health(fresh_db)
    assert (health.parked, health.backlog) == (1, 1)
    assert [r["key"] for r in await parked_rows(fresh_db)] == ["a"]

    # An operator who cannot fix the row may retry it; it parks again, nothing else changes.
    assert (
        await retry_parked(
            fresh_db,
            [
                r["id"]
                for r in await fresh_db.fetch("SELECT id FROM outbox WHERE failed_at IS NOT NULL")
            ],
        )
        == 1
    )
    await relay.publish_batch()
    assert (await outbox_health(fresh_db)).parked == 0  # one attempt of three so far


async def test_a_failed_send_is_recorded_at_once(fresh_db, tmp_path):
    broker = LocalBroker(port=free_port(), log_path=tmp_path / "broker.log")
    broker.start()
    topic = f"rel-{uuid.uuid4().hex[:8]}"
    relay = OutboxRelay(fresh_db, broker.bootstrap, request_timeout_ms=1000)
    try:
        async with fresh_db.acquire() as conn, conn.transaction():
            await append_to_outbox(conn, topic, "k", thing("k", "1"))
        assert await relay.publish_batch() == 1
        broker.stop()
        async with fresh_db.acquire() as conn, conn.transaction():
            await append_to_outbox(conn, topic, "k", thing("k", "2"))
        started = time.monotonic()
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the client raises
            await relay.publish_batch()
        assert time.monotonic() - started < 8
        row = await fresh_db.fetchrow(
            "SELECT attempts, last_error, failed_at FROM outbox WHERE published_at IS NULL"
        )
        assert row is not None
        assert row["attempts"] == 1
        assert row["last_error"]
        assert row["failed_at"] is None  # the broker being away is not the row's fault
        assert (await outbox_health(fresh_db)).backlog == 1
    finally:
        await relay._drop_producer()
        broker.stop()


async def test_retention_deletes_old_published_and_handled_rows_only(fresh_db):
    async with fresh_db.acquire() as conn, conn.transaction():
        for n in range(7):
            await append_to_outbox(conn, "t", "k", thing("k", str(n)))
    ids = [r["id"] for r in await fresh_db.fetch("SELECT id FROM outbox ORDER BY id")]
    await fresh_db.execute(
        "UPDATE outbox SET published_at = now() - interval '8 days', "
        "created_at = now() - interval '9 days' WHERE id = ANY($1::bigint[])",
        ids[:5],
    )
    await fresh_db.execute(
        "UPDATE outbox SET created_at = now() - interval '9 days' WHERE id = $1", ids[5]
    )  # old, never published
    await fresh_db.execute("UPDATE outbox SET published_at = now() WHERE id = $1", ids[6])
    await fresh_db.executemany(
        "INSERT INTO inbox (consumer, event_id, event_type, handled_at) "
        "VALUES ('c', $1, 't', now() - make_interval(days => $2))",
        [(uuid.uuid4(), 40), (uuid.uuid4(), 31), (uuid.uuid4(), 2)],
    )
    deleted = await purge(
        fresh_db, Retention(outbox_days=7, inbox_days=30, batch_size=2, pause_s=0)
    )
    assert deleted == {"outbox": 5, "inbox": 2}
    assert [r["id"] for r in await fresh_db.fetch("SELECT id FROM outbox ORDER BY id")] == ids[5:]
    assert await fresh_db.fetchval("SELECT count(*) FROM inbox") == 1


async def test_migrations_say_who_holds_the_lock_and_give_up(fresh_db, infra):
    holder = await fresh_db.acquire()
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        dsn = database_url(infra.server_url, await fresh_db.fetchval("SELECT current_database()"))
        started = time.monotonic()
        with pytest.raises(MigrationLockTimeout, match="pid"):
            await migrate(dsn, "none", KIT_MIGRATIONS.parent / "no-such-dir", lock_wait_s=1)
        assert time.monotonic() - started < 5
    finally:
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        await fresh_db.release(holder)
    assert load_migrations("kit", KIT_MIGRATIONS)


async def set_states(conn: Connection, events: list[Event]) -> None:
    """The batch form of ``set_state``: one executemany per run of events."""
    if any(e.data.get("poison") for e in events):
        raise ValueError("this event can never be applied")
    await conn.executemany(
        "INSERT INTO thing_state (subject, state, applied) VALUES ($1, $2, 1) "
        "ON CONFLICT (subject) DO UPDATE SET state = $2, applied = thing_state.applied + 1",
        [(e.subject, e.data["state"]) for e in events],
    )


async def test_a_batch_handler_leaves_out_only_the_bad_event(fresh_db, infra):
    await prepare(fresh_db)
    topic, group = names()
    await ensure_topics(infra.bootstrap, [topic, dlq_topic(topic)])
    events = [thing(f"b{n}", "ok", 1) for n in range(10)]
    events.insert(5, thing("bad", "x", 1, poison=True))
    await produce(infra.bootstrap, topic, [*events, events[0]])  # and one redelivered copy
    consumer = EventConsumer(
        ConsumerSpec(group, (topic,), {}, batch_handlers={TYPE: set_states}),
        fresh_db,
        infra.bootstrap,
    )
    task = await running(consumer)
    try:
        await wait_until(lambda: _count(fresh_db, 10), timeout_s=60)
        await asyncio.sleep(1)
        assert await state_of(fresh_db) == {f"b{n}": ("ok", 1) for n in range(10)}
        dead = await read_all(infra.bootstrap, dlq_topic(topic))
        assert [dict(r.headers)["dlq_error_type"] for r in dead] == [b"ValueError"]
    finally:
        await stop(consumer, task)


async def test_the_relay_outlives_a_database_restart(own_postgres, infra):
    dsn = database_url(own_postgres.url, "postgres")
    await migrate(dsn, "none", KIT_MIGRATIONS.parent / "no-such-dir")
    pool = await create_pool(dsn, min_size=1, max_size=3)
    topic = f"rel-{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.bootstrap, [topic])
    relay = OutboxRelay(pool, infra.bootstrap, poll_interval_s=0.2)
    task = asyncio.create_task(relay.run())

    async def write(n: int) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await append_to_outbox(conn, topic, "k", thing("k", str(n)))

    async def all_published() -> bool:
        return (await outbox_health(pool)).backlog == 0

    try:
        await write(1)
        await wait_until(all_published, timeout_s=30)
        for restart in range(3):  # each restart once leaked the LISTEN connection's pool slot
            await asyncio.to_thread(own_postgres.stop)
            await asyncio.sleep(1.5)
            await asyncio.to_thread(own_postgres.start)
            await wait_until(lambda: _writable(pool), timeout_s=30)
            await write(2 + restart)
            await wait_until(all_published, timeout_s=30)
        assert relay.running
        assert not task.done()
        assert len(await read_all(infra.bootstrap, topic)) == 4
    finally:
        relay.stop()
        await asyncio.wait_for(task, 15)
        await pool.close()


async def _writable(pool: asyncpg.Pool[asyncpg.Record]) -> bool:
    try:
        return bool(await pool.fetchval("SELECT true"))
    except Exception:
        return False
