"""The transactional outbox and the relay that publishes it to Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka import errors as kafka_errors
from prometheus_client import Counter, Gauge

from gongjian_kit.db import Connection, Executor, PooledConnection, connection_alive
from gongjian_kit.events import Event
from gongjian_kit.kafka import cloudevents_headers, make_producer

log = logging.getLogger(__name__)

RELAY_LOCK_KEY = 0x6A_4D_17  # one relay batch at a time per database keeps each key's order
OUTBOX_CHANNEL = "gongjian_outbox"

published_total = Counter("gongjian_outbox_published_total", "Events the relay published")
relay_failures_total = Counter("gongjian_outbox_failures_total", "Relay batches that failed")
parked_total = Counter(
    "gongjian_outbox_rows_parked_total", "Outbox rows parked after the broker refused them N times"
)
outbox_backlog = Gauge(
    "gongjian_outbox_backlog", "Events waiting in the outbox (counted in the database)"
)
outbox_oldest_age = Gauge(
    "gongjian_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest event not yet published (0 when none waits)",
)
outbox_parked = Gauge(
    "gongjian_outbox_parked", "Outbox rows parked after repeated refusals: alert when above 0"
)
relay_running = Gauge("gongjian_outbox_relay_running", "1 while the relay's loop is alive")

# Errors that concern one message, not the broker's health: retrying the same bytes cannot help.
REFUSALS: tuple[type[BaseException], ...] = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordListTooLargeError,
    kafka_errors.RecordTooLargeError,
    kafka_errors.InvalidTopicError,
    kafka_errors.CorruptRecordException,
    kafka_errors.TopicAuthorizationFailedError,
)

INSERT_SQL = (
    "INSERT INTO outbox (event_id, event_type, topic, key, payload) VALUES ($1, $2, $3, $4, $5)"
)


async def next_versions(conn: Connection, subjects: list[str]) -> list[int]:
    """Bump and return the version of each subject, in order (a subject may repeat).

    The row lock taken here is held until the caller's transaction ends, so two transactions
    changing one subject get their versions in commit order.
    """
    counts: dict[str, int] = {}
    for subject in subjects:
        counts[subject] = counts.get(subject, 0) + 1
    rows = await conn.fetch(
        "INSERT INTO aggregate_version AS v (subject, version) "
        "SELECT s, n FROM unnest($1::text[], $2::bigint[]) AS t(s, n) ORDER BY s "
        "ON CONFLICT (subject) DO UPDATE SET version = v.version + excluded.version "
        "RETURNING subject, version",
        list(counts),
        list(counts.values()),
    )
    last = {r["subject"]: int(r["version"]) for r in rows}
    first = {s: last[s] - counts[s] + 1 for s in counts}
    versions = []
    for subject in subjects:
        versions.append(first[subject])
        first[subject] += 1
    return versions


async def append_to_outbox(conn: Connection, topic: str, key: str, event: Event) -> None:
    """Write ``event`` to the outbox in the caller's transaction (the caller must hold one)."""
    if not conn.is_in_transaction():
        raise RuntimeError("events must be written inside the transaction that changed the rows")
    await conn.execute(INSERT_SQL, event.id, event.type, topic, key, event.to_json().decode())


async def append_many_to_outbox(conn: Connection, rows: list[tuple[str, str, Event]]) -> None:
    """Write many (topic, key, event) in one round trip, in the caller's transaction."""
    if not conn.is_in_transaction():
        raise RuntimeError("events must be written inside the transaction that changed the rows")
    await conn.executemany(
        INSERT_SQL, [(e.id, e.type, topic, key, e.to_json().decode()) for topic, key, e in rows]
    )


@dataclass(frozen=True)
class OutboxHealth:
    backlog: int
    oldest_age_s: float
    parked: int


async def outbox_health(db: Executor) -> OutboxHealth:
    """The true backlog, read from the database whatever the producer's state."""
    row = await db.fetchrow(
        "SELECT count(*) FILTER (WHERE failed_at IS NULL) AS backlog, "
        "  count(*) FILTER (WHERE failed_at IS NOT NULL) AS parked, "
        "  coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE failed_at IS NULL)),"
        "    0) AS age "
        "FROM outbox WHERE published_at IS NULL"
    )
    assert row is not None
    return OutboxHealth(int(row["backlog"]), float(row["age"]), int(row["parked"]))


async def republish_since(db: Executor, since: datetime) -> int:
    """Mark every row written since ``since`` unpublished again: for a broker that lost data."""
    return int(
        await db.fetchval(
            "WITH again AS (UPDATE outbox SET published_at = NULL, attempts = 0, "
            "  last_error = NULL, failed_at = NULL "
            "WHERE created_at >= $1 AND published_at IS NOT NULL RETURNING 1) "
            "SELECT count(*) FROM again",
            since,
        )
    )


async def parked_rows(db: Executor) -> list[asyncpg.Record]:
    """Rows the relay gave up on, oldest first."""
    return await db.fetch(
        "SELECT id, event_id, event_type, topic, key, length(payload) AS size, created_at, "
        "attempts, last_error, failed_at FROM outbox "
        "WHERE failed_at IS NOT NULL AND published_at IS NULL ORDER BY id"
    )


async def retry_parked(db: Executor, ids: list[int]) -> int:
    """Let the relay try parked rows again (after the cause was fixed)."""
    return int(
        await db.fetchval(
            "WITH again AS (UPDATE outbox SET failed_at = NULL, attempts = 0 "
            "WHERE id = ANY($1::bigint[]) AND failed_at IS NOT NULL RETURNING 1) "
            "SELECT count(*) FROM again",
            ids,
        )
    )


# The next batch: unpublished, not parked, and not behind a parked row of the same key.
NEXT_BATCH_SQL = (
    "SELECT o.id, o.topic, o.key, o.payload, o.event_type FROM outbox o "
    "WHERE o.published_at IS NULL AND o.failed_at IS NULL AND NOT EXISTS ("
    "  SELECT 1 FROM outbox p WHERE p.failed_at IS NOT NULL AND p.published_at IS NULL "
    "  AND p.topic = o.topic AND p.key = o.key AND p.id < o.id) "
    "ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED"
)


class OutboxRelay:
    """Publishes outbox rows in order, marking them only after the broker acknowledged them.

    Woken by LISTEN/NOTIFY when a transaction with events commits, polling as a fallback. While
    the broker is down it keeps retrying with a capped backoff; nothing is dropped. A row the
    broker refuses ``park_after`` times is parked; only later rows with its key wait behind it.
    Failures are recorded after the batch's transaction ended, so they never wait on its locks.
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
        park_after: int = 5,
        health_interval_s: float = 5.0,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
    ) -> None:
        self.pool = pool
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.request_timeout_ms = request_timeout_ms
        self.park_after = park_after
        self.health_interval_s = health_interval_s
        self._producer_factory = producer_factory or (
            lambda: make_producer(
                bootstrap, idempotence=idempotence, request_timeout_ms=request_timeout_ms
            )
        )
        self._producer: AIOKafkaProducer | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.running = False
        self.broker_ok = False
        self.failures = 0  # consecutive failed attempts since the last success

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Relay until ``stop()``; survives database and broker outages."""
        listener: PooledConnection | None = None
        backoff = 0.1
        health = asyncio.create_task(self._watch_health(), name="outbox-health")
        self.running = True
        relay_running.set(1)
        try:
            while not self._stopping.is_set():
                try:
                    if listener is not None and not connection_alive(listener):
                        with contextlib.suppress(Exception):
                            await self.pool.release(listener)
                        listener = None
                    if listener is None:
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
                    if listener is not None and not connection_alive(listener):
                        # Give its slot back (the database went away): else every outage
                        # would shrink the pool by one.
                        with contextlib.suppress(Exception):
                            await self.pool.release(listener)
                        listener = None
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if sent < self.batch_size:
                    await self._sleep(self.poll_interval_s)
        finally:
            self.running = False
            relay_running.set(0)
            health.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await health
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.remove_listener(OUTBOX_CHANNEL, self._on_notify)
                    await self.pool.release(listener)
            await self._drop_producer()

    async def publish_batch(self) -> int:
        """Publish one batch of unpublished rows; return how many were published."""
        producer = await self._ensure_producer()
        failed: dict[int, BaseException] = {}
        published: list[int] = []
        error: BaseException | None = None
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", RELAY_LOCK_KEY):
                    return 0  # another replica is publishing this database's outbox right now
                rows = await conn.fetch(NEXT_BATCH_SQL, self.batch_size)
                if not rows:
                    return 0
                published, failed = await self._send(producer, rows)
                if published:
                    await conn.execute(
                        "UPDATE outbox SET published_at = now(), attempts = attempts + 1, "
                        "last_error = NULL WHERE id = ANY($1::bigint[])",
                        published,
                    )
        except BaseException as exc:
            error = exc
            raise
        finally:
            # The batch's transaction has ended (committed or rolled back): its locks are gone.
            if failed:
                await self._record_failures(failed)
        if published:
            self.broker_ok = True
            published_total.inc(len(published))
        if failed and not published and error is None:
            # Nothing got through: let the loop back off instead of spinning on the broker.
            first = next(iter(failed.values()))
            if not isinstance(first, REFUSALS):
                raise first
        return len(published)

    async def _send(
        self, producer: AIOKafkaProducer, rows: list[asyncpg.Record]
    ) -> tuple[list[int], dict[int, BaseException]]:
        """Send ``rows``; return the ids acknowledged and the ids that failed with their error.

        Per key, only the acknowledged prefix counts as published: a row after a failed one
        of the same key is sent again later, after the failed one (order per key kept).
        """
        pending: list[tuple[asyncpg.Record, asyncio.Future[object]]] = []
        failed: dict[int, BaseException] = {}
        blocked: set[tuple[str, str]] = set()
        for row in rows:
            key = (row["topic"], row["key"])
            if key in blocked:
                continue
            try:
                future = await producer.send(
                    row["topic"],
                    value=row["payload"].encode(),
                    key=row["key"].encode(),
                    headers=cloudevents_headers(),
                )
            except Exception as exc:  # refused before it left (e.g. larger than the limit)
                failed[row["id"]] = exc
                blocked.add(key)
                continue
            pending.append((row, future))
        results: list[object] = []
        if pending:
            try:
                results = await asyncio.wait_for(
                    asyncio.gather(*(f for _, f in pending), return_exceptions=True),
                    timeout=self.request_timeout_ms / 1000 * 2,
                )
            except TimeoutError as exc:  # the broker went quiet: nothing of this batch counts
                results = [exc] * len(pending)
        published: list[int] = []
        for (row, _), result in zip(pending, results, strict=True):
            key = (row["topic"], row["key"])
            if key in blocked:
                continue
            if isinstance(result, BaseException):
                failed[row["id"]] = result
                blocked.add(key)
            else:
                published.append(row["id"])
        return published, failed

    async def _record_failures(self, failed: dict[int, BaseException]) -> None:
        """Count the attempt and keep the error; park rows the broker refused too often."""
        ids = list(failed)
        errors = [f"{type(e).__name__}: {e}"[:500] for e in failed.values()]
        refusals = [isinstance(e, REFUSALS) for e in failed.values()]
        try:
            parked = await self.pool.fetchval(
                "WITH f AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::bool[]) "
                "  AS t(id, error, refused)), "
                "u AS (UPDATE outbox o SET attempts = o.attempts + 1, last_error = f.error, "
                "  failed_at = CASE WHEN f.refused AND o.attempts + 1 >= $4 THEN now() END "
                "  FROM f WHERE o.id = f.id AND o.published_at IS NULL "
                "  RETURNING o.failed_at) "
                "SELECT count(*) FILTER (WHERE failed_at IS NOT NULL) FROM u",
                ids,
                errors,
                refusals,
                self.park_after,
            )
        except Exception as exc:  # the database may be what failed; the next batch tries again
            log.warning("outbox relay: could not record a failure: %s", exc)
            return
        if parked:
            parked_total.inc(parked)
            log.error(
                "outbox relay: parked %d row(s) the broker refused %d times: %s",
                parked,
                self.park_after,
                errors[0],
            )

    async def _watch_health(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                health = await asyncio.wait_for(outbox_health(self.pool), 5)
                outbox_backlog.set(health.backlog)
                outbox_oldest_age.set(health.oldest_age_s)
                outbox_parked.set(health.parked)
            await asyncio.sleep(self.health_interval_s)

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
