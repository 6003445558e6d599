"""The transactional outbox and the relay that publishes it to Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg
from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge

from gongjian_kit.db import Connection, PooledConnection
from gongjian_kit.events import Event
from gongjian_kit.kafka import make_producer

log = logging.getLogger(__name__)

RELAY_LOCK_KEY = 0x6A_4D_17  # one relay batch at a time per database keeps each key's order
OUTBOX_CHANNEL = "gongjian_outbox"

published_total = Counter("gongjian_outbox_published_total", "Events the relay published")
relay_failures_total = Counter("gongjian_outbox_failures_total", "Relay batches that failed")
outbox_backlog = Gauge("gongjian_outbox_backlog", "Events waiting in the outbox at the last poll")


async def append_to_outbox(conn: Connection, topic: str, key: str, event: Event) -> None:
    """Write ``event`` to the outbox in the caller's transaction (the caller must hold one)."""
    if not conn.is_in_transaction():
        raise RuntimeError("events must be written inside the transaction that changed the rows")
    await conn.execute(
        "INSERT INTO outbox (event_id, event_type, topic, key, payload) "
        "VALUES ($1, $2, $3, $4, $5)",
        event.id,
        event.type,
        topic,
        key,
        event.to_json().decode(),
    )


async def append_many_to_outbox(conn: Connection, rows: list[tuple[str, str, Event]]) -> None:
    """Write many (topic, key, event) in one round trip, in the caller's transaction."""
    if not conn.is_in_transaction():
        raise RuntimeError("events must be written inside the transaction that changed the rows")
    await conn.executemany(
        "INSERT INTO outbox (event_id, event_type, topic, key, payload) "
        "VALUES ($1, $2, $3, $4, $5)",
        [(e.id, e.type, topic, key, e.to_json().decode()) for topic, key, e in rows],
    )


class OutboxRelay:
    """Publishes outbox rows in order, marking them only after the broker acknowledged them.

    Woken by LISTEN/NOTIFY when a transaction with events commits, polling as a fallback. While
    the broker is down it keeps retrying with a capped backoff; nothing is dropped.
    """

    def __init__(
        self,
        pool: asyncpg.Pool[asyncpg.Record],
        bootstrap: str,
        *,
        batch_size: int = 200,
        poll_interval_s: float = 1.0,
        idempotence: bool = False,
        request_timeout_ms: int = 5000,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
    ) -> None:
        self.pool = pool
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.request_timeout_ms = request_timeout_ms
        self._producer_factory = producer_factory or (
            lambda: make_producer(
                bootstrap, idempotence=idempotence, request_timeout_ms=request_timeout_ms
            )
        )
        self._producer: AIOKafkaProducer | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.broker_ok = False
        self.failures = 0  # consecutive failed attempts since the last success

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Relay until ``stop()``; survives database and broker outages."""
        listener: PooledConnection | None = None
        backoff = 0.1
        try:
            while not self._stopping.is_set():
                try:
                    if listener is None or listener.is_closed():
                        listener = await self.pool.acquire()
                        await listener.add_listener(OUTBOX_CHANNEL, self._on_notify)
                    sent = await self.publish_batch()
                    backoff, self.failures = 0.1, 0
                except Exception as exc:
                    relay_failures_total.inc()
                    self.failures += 1
                    self.broker_ok = False
                    log.warning(
                        "outbox relay: %s: %s; retrying in %.1fs", type(exc).__name__, exc, backoff
                    )
                    await self._drop_producer()
                    if listener is not None and listener.is_closed():
                        listener = None
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if sent < self.batch_size:
                    await self._sleep(self.poll_interval_s)
        finally:
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.remove_listener(OUTBOX_CHANNEL, self._on_notify)
                    await self.pool.release(listener)
            await self._drop_producer()

    async def publish_batch(self) -> int:
        """Publish one batch of unpublished rows; return how many were published."""
        producer = await self._ensure_producer()
        async with self.pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", RELAY_LOCK_KEY):
                return 0  # another replica is publishing this database's outbox right now
            rows = await conn.fetch(
                "SELECT id, topic, key, payload, event_type FROM outbox "
                "WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                self.batch_size,
            )
            outbox_backlog.set(len(rows))
            if not rows:
                return 0
            try:
                futures = [
                    await producer.send(
                        row["topic"],
                        value=row["payload"].encode(),
                        key=row["key"].encode(),
                        headers=[("ce_type", row["event_type"].encode())],
                    )
                    for row in rows
                ]
                await asyncio.wait_for(
                    asyncio.gather(*futures), timeout=self.request_timeout_ms / 1000 * 2
                )
            except BaseException as exc:
                # Count the attempt outside this (rolled back) transaction.
                await self._record_failure([r["id"] for r in rows], exc)
                raise
            await conn.execute(
                "UPDATE outbox SET published_at = now(), attempts = attempts + 1, "
                "last_error = NULL "
                "WHERE id = ANY($1::bigint[])",
                [r["id"] for r in rows],
            )
        self.broker_ok = True
        published_total.inc(len(rows))
        return len(rows)

    async def _record_failure(self, ids: list[int], exc: BaseException) -> None:
        with contextlib.suppress(Exception):
            await self.pool.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2 "
                "WHERE id = ANY($1::bigint[])",
                ids,
                f"{type(exc).__name__}: {exc}"[:500],
            )

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = self._producer_factory()
            try:
                await producer.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _drop_producer(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), timeout=5)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()
