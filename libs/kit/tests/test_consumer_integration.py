"""Idempotent consumers against the real PostgreSQL and broker."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from gongjian_deploy.pytest_plugin import wait_until
from gongjian_kit.consumer import ConsumerSpec, EventConsumer, dlq_topic
from gongjian_kit.db import Connection
from gongjian_kit.events import Event
from gongjian_kit.kafka import ensure_topics

pytestmark = pytest.mark.integration

TYPE = "gongjian.test.thing.happened.v1"


class SimulatedCrashError(Exception):
    """Stands for the process dying between the database commit and the offset commit."""


async def effects_table(pool: asyncpg.Pool[asyncpg.Record]) -> None:
    await pool.execute("CREATE TABLE effect (event_id uuid, n int)")


async def record_effect(conn: Connection, event: Event) -> None:
    if event.data.get("poison"):
        raise ValueError("this event can never be applied")
    await conn.execute("INSERT INTO effect VALUES ($1, $2)", event.id, event.data["n"])


async def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value=value, key=b"thing-1")
    finally:
        await producer.stop()


def spec(topic: str, group: str) -> ConsumerSpec:
    return ConsumerSpec(name=group, topics=(topic,), handlers={TYPE: record_effect})


def thing(n: int, **extra: object) -> Event:
    return Event(type=TYPE, subject="thing-1", data={"n": n, **extra}, source="/gongjian/test")


async def test_redelivered_event_after_a_crash_is_applied_once(fresh_db, infra):
    await effects_table(fresh_db)
    topic, group = f"consumer-test-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.bootstrap, [topic])
    event = thing(1)
    await produce(infra.bootstrap, topic, [event.to_json()])

    async def crash(_: Event) -> None:
        raise SimulatedCrashError

    first = EventConsumer(spec(topic, group), fresh_db, infra.bootstrap, after_apply=crash)
    with pytest.raises(SimulatedCrashError):
        await asyncio.wait_for(first._consume(), 60)
    assert await fresh_db.fetchval("SELECT count(*) FROM effect") == 1

    seen: list[str] = []

    async def note(e: Event) -> None:
        seen.append(e.id)

    second = EventConsumer(spec(topic, group), fresh_db, infra.bootstrap, after_apply=note)
    task = asyncio.create_task(second.run())
    try:

        async def redelivered() -> bool:
            return event.id in seen

        await wait_until(redelivered, timeout_s=60)
        assert await fresh_db.fetchval("SELECT count(*) FROM effect") == 1
        assert await fresh_db.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", group) == 1
    finally:
        second.stop()
        await asyncio.wait_for(task, 30)


async def test_a_poison_message_goes_to_the_dlq_and_the_consumer_moves_on(fresh_db, infra):
    await effects_table(fresh_db)
    topic, group = f"consumer-test-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.bootstrap, [topic, dlq_topic(topic)])
    good = thing(3)
    await produce(
        infra.bootstrap,
        topic,
        [b"\x00 not an event", thing(2, poison=True).to_json(), good.to_json()],
    )
    consumer = EventConsumer(spec(topic, group), fresh_db, infra.bootstrap)
    task = asyncio.create_task(consumer.run())
    try:

        async def good_applied() -> bool:
            return await fresh_db.fetchval("SELECT count(*) FROM effect") == 1

        await wait_until(good_applied, timeout_s=60)
        assert await fresh_db.fetchval("SELECT n FROM effect") == 3

        dlq = AIOKafkaConsumer(
            dlq_topic(topic),
            bootstrap_servers=infra.bootstrap,
            auto_offset_reset="earliest",
            group_id=None,
        )
        await dlq.start()
        dead = []
        try:
            deadline = asyncio.get_running_loop().time() + 20
            while len(dead) < 2 and asyncio.get_running_loop().time() < deadline:
                for records in (await dlq.getmany(timeout_ms=200)).values():
                    dead += records
        finally:
            await dlq.stop()
        assert dead[0].value == b"\x00 not an event"
        headers = [dict(r.headers) for r in dead]
        assert b"not JSON" in headers[0]["dlq_error"]
        assert b"can never be applied" in headers[1]["dlq_error"]
        assert headers[1]["dlq_attempts"] == b"1"  # permanent: not retried
        assert headers[1]["dlq_error_type"] == b"ValueError"
        assert headers[1]["dlq_timestamp"].startswith(b"20")
        assert headers[1]["dlq_source_topic"] == topic.encode()
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)


async def test_a_batch_of_records_is_not_mistaken_for_lost_data_on_restart(fresh_db, infra):
    """Tansu reports the end of a partition written by one batch of three records as 1; the
    committed offset (3) is then past that end. A restarted consumer checks that the record
    before its committed offset is there and does not re-read the partition from its start."""
    await effects_table(fresh_db)
    topic, group = f"consumer-test-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.bootstrap, [topic], partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, linger_ms=200)
    await producer.start()
    try:
        sent = [await producer.send(topic, thing(n).to_json(), key=b"thing-1") for n in (1, 2, 3)]
        await producer.flush()
        assert {(await s).offset for s in sent} == {0, 1, 2}
    finally:
        await producer.stop()

    async def run_until_applied(seen: list[str], wanted: int) -> None:
        async def note(e: Event) -> None:
            seen.append(e.id)

        consumer = EventConsumer(spec(topic, group), fresh_db, infra.bootstrap, after_apply=note)
        task = asyncio.create_task(consumer.run())
        try:

            async def applied() -> bool:
                return len(seen) >= wanted

            await wait_until(applied, timeout_s=60)
            await asyncio.sleep(2)  # time to re-read, were it going to
        finally:
            consumer.stop()
            await asyncio.wait_for(task, 30)

    first: list[str] = []
    await run_until_applied(first, 3)
    assert len(first) == 3
    again: list[str] = []
    await run_until_applied(again, 0)
    assert again == []  # nothing delivered again: the offsets stood
    assert await fresh_db.fetchval("SELECT count(*) FROM effect") == 3
