"""Idempotent Kafka consumers: effects and inbox row commit together; poison goes to ``.dlq``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from prometheus_client import Counter

from gongjian_kit.db import Connection
from gongjian_kit.events import Event, InvalidEvent
from gongjian_kit.kafka import ensure_topics, make_producer

log = logging.getLogger(__name__)

Handler = Callable[[Connection, Event], Awaitable[None]]

handled_total = Counter("gongjian_consumer_handled_total", "Events applied", ["consumer"])
duplicates_total = Counter(
    "gongjian_consumer_duplicates_total", "Redelivered events ignored", ["consumer"]
)
dead_lettered_total = Counter(
    "gongjian_consumer_dead_lettered_total", "Events sent to a DLQ", ["consumer"]
)


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return f"{topic}.dlq"


@dataclass(frozen=True)
class ConsumerSpec:
    """What a service handles: a consumer name (its group id), topics and a handler per type."""

    name: str
    topics: tuple[str, ...]
    handlers: Mapping[str, Handler]


class EventConsumer:
    """A group consumer with manual commits.

    For each message: parse the envelope; in one transaction insert ``(consumer, event_id)`` into
    the inbox and apply the handler; commit the offset afterwards. A redelivered event finds its
    inbox row and changes nothing. A message that cannot be parsed, or whose handler fails
    ``max_attempts`` times, is sent to ``<topic>.dlq`` with the error in its headers.
    """

    def __init__(
        self,
        spec: ConsumerSpec,
        pool: asyncpg.Pool[asyncpg.Record],
        bootstrap: str,
        *,
        max_attempts: int = 3,
        fetch_wait_ms: int = 50,
        after_apply: Callable[[Event], Awaitable[None]] | None = None,
    ) -> None:
        self.spec = spec
        self.pool = pool
        self.bootstrap = bootstrap
        self.max_attempts = max_attempts
        self.fetch_wait_ms = fetch_wait_ms
        # Test seam: runs after an event's transaction committed, before its offset is committed.
        self.after_apply = after_apply
        self._stopping = asyncio.Event()
        self.ready = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Consume until ``stop()``; reconnects when the broker goes away."""
        while not self._stopping.is_set():
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "consumer %s: %s: %s; reconnecting", self.spec.name, type(exc).__name__, exc
                )
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=1.0)

    async def _consume(self) -> None:
        topics = list(self.spec.topics)
        await ensure_topics(self.bootstrap, topics + [dlq_topic(t) for t in topics])
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self.bootstrap,
            group_id=self.spec.name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.fetch_wait_ms,
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
            client_id=self.spec.name,
        )
        dlq = make_producer(self.bootstrap)
        await consumer.start()
        try:
            await dlq.start()
            self.ready.set()
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=200, max_records=200)
                for tp, records in batches.items():
                    for record in records:
                        await self._handle(record, dlq)
                    await consumer.commit({tp: records[-1].offset + 1})
        finally:
            # No offset is committed here: whatever was not committed above is redelivered.
            with contextlib.suppress(Exception):
                await consumer.stop()
            with contextlib.suppress(Exception):
                await dlq.stop()

    async def _handle(self, record: ConsumerRecord[bytes, bytes], dlq: object) -> None:
        try:
            event = Event.from_json(record.value)
        except InvalidEvent as exc:
            await self._dead_letter(record, dlq, exc, attempts=1)
            return
        handler = self.spec.handlers.get(event.type)
        if handler is None:
            return  # a type this consumer does not care about
        last_error: BaseException | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                applied = await self.apply(event, handler)
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as exc:
                last_error = exc
                log.warning(
                    "consumer %s: %s failed (attempt %d): %s",
                    self.spec.name,
                    event.type,
                    attempt,
                    exc,
                )
                await asyncio.sleep(0.05 * attempt)
                continue
            if applied:
                handled_total.labels(self.spec.name).inc()
            else:
                duplicates_total.labels(self.spec.name).inc()
            if self.after_apply is not None:
                await self.after_apply(event)
            return
        assert last_error is not None
        await self._dead_letter(record, dlq, last_error, attempts=self.max_attempts)

    async def apply(self, event: Event, handler: Handler) -> bool:
        """Apply ``event`` once: False when this consumer had already applied it."""
        async with self.pool.acquire() as conn, conn.transaction():
            inserted = await conn.fetchval(
                "INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING RETURNING true",
                self.spec.name,
                event.id,
                event.type,
            )
            if not inserted:
                return False
            await handler(conn, event)
            return True

    async def _dead_letter(
        self,
        record: ConsumerRecord[bytes, bytes],
        dlq: object,
        error: BaseException,
        *,
        attempts: int,
    ) -> None:
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        headers = [
            ("dlq_error", detail[:1000].encode()),
            ("dlq_consumer", self.spec.name.encode()),
            ("dlq_source_topic", record.topic.encode()),
            ("dlq_source_partition", str(record.partition).encode()),
            ("dlq_source_offset", str(record.offset).encode()),
            ("dlq_attempts", str(attempts).encode()),
        ]
        log.error(
            "consumer %s: dead-lettering %s@%d/%d: %s",
            self.spec.name,
            record.topic,
            record.partition,
            record.offset,
            detail,
        )
        await dlq.send_and_wait(  # type: ignore[attr-defined]
            dlq_topic(record.topic), value=record.value, key=record.key, headers=headers
        )
        dead_lettered_total.labels(self.spec.name).inc()


__all__ = ["ConsumerSpec", "EventConsumer", "Handler", "TopicPartition", "dlq_topic"]
