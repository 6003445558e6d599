"""The outbox relay against the real PostgreSQL and a real (Tansu) broker."""

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer

from gongjian_deploy.infra import LocalBroker, free_port
from gongjian_deploy.pytest_plugin import wait_until
from gongjian_kit.events import Event
from gongjian_kit.outbox import OutboxRelay, append_to_outbox

pytestmark = pytest.mark.integration


def event(n: int) -> Event:
    return Event(
        type="gongjian.test.thing.happened.v1",
        subject="thing-1",
        data={"n": n},
        source="/gongjian/test",
    )


async def read_topic(bootstrap: str, topic: str, count: int, timeout_s: float = 20) -> list[Event]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: list[Event] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(received) < count and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                received += [Event.from_json(r.value) for r in records]
    finally:
        await consumer.stop()
    return received


async def test_outbox_rows_are_written_only_inside_a_transaction(fresh_db):
    async with fresh_db.acquire() as conn:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            await append_to_outbox(conn, "t", "k", event(1))


async def test_a_rolled_back_write_publishes_nothing(fresh_db):
    async def write_then_fail() -> None:
        async with conn.transaction():
            await append_to_outbox(conn, "t", "k", event(1))
            raise ZeroDivisionError

    async with fresh_db.acquire() as conn:
        with pytest.raises(ZeroDivisionError):
            await write_then_fail()
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0


async def test_outbox_survives_a_broker_that_is_down_then_back(fresh_db, tmp_path):
    port = free_port()
    bootstrap = f"127.0.0.1:{port}"
    topic = f"outbox-test-{uuid.uuid4().hex[:8]}"
    relay = OutboxRelay(fresh_db, bootstrap, poll_interval_s=0.2, request_timeout_ms=1000)
    task = asyncio.create_task(relay.run())
    broker = LocalBroker(port=port, log_path=tmp_path / "broker.log")
    try:
        async with fresh_db.acquire() as conn, conn.transaction():
            for n in range(5):
                await append_to_outbox(conn, topic, "thing-1", event(n))

        # No broker: the relay keeps trying, and nothing is marked published.
        await asyncio.sleep(2.0)
        assert relay.failures >= 2
        assert (
            await fresh_db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 5
        )

        broker.start()

        async def all_published() -> bool:
            return (
                await fresh_db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                == 0
            )

        await wait_until(all_published, timeout_s=30)
        received = await read_topic(bootstrap, topic, 5)
        assert [e.data["n"] for e in received] == [0, 1, 2, 3, 4]  # one key, in order
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
        broker.stop()


async def test_relay_is_woken_by_notify_not_by_polling(fresh_db, infra):
    topic = f"outbox-test-{uuid.uuid4().hex[:8]}"
    relay = OutboxRelay(fresh_db, infra.bootstrap, poll_interval_s=30)  # polling would be too late
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(1.0)  # let it start and go to sleep
        async with fresh_db.acquire() as conn, conn.transaction():
            await append_to_outbox(conn, topic, "thing-1", event(7))

        async def published() -> bool:
            return (
                await fresh_db.fetchval(
                    "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"
                )
                == 1
            )

        await wait_until(published, timeout_s=5)
        assert [e.data["n"] for e in await read_topic(infra.bootstrap, topic, 1)] == [7]
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
