"""Idempotent Kafka consumers: effects and inbox rows commit together; poison goes to ``.dlq``.

A failure is either transient (the database or broker is away, a timeout, a serialization
failure or deadlock, or a handler's ``TransientError``) or permanent (everything else). A
transient failure pauses the partition and retries it without limit, with a capped backoff, no
offset committed; a permanent one sends that one event to ``<topic>.dlq`` and the consumer moves
on. A DLQ is for events that need a person (a bug fixed, an upgrade deployed), never for events
that only needed the database back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeAlias

import asyncpg
from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka import errors as kafka_errors
from prometheus_client import Counter, Gauge

from gongjian_kit.db import TRANSIENT_ERRORS, Connection
from gongjian_kit.events import Event, InvalidEvent, split_type
from gongjian_kit.kafka import ensure_topics, make_producer

log = logging.getLogger(__name__)

Handler = Callable[[Connection, Event], Awaitable[None]]
# Applies a run of consecutive events of one type at once (e.g. one executemany): for read
# models that take thousands of events a second. Must have the same effect as one by one.
BatchHandler = Callable[[Connection, list[Event]], Awaitable[None]]
# Wraps the application of a fetched batch (of each event alone, in its savepoint, when a batch
# is applied again event by event): handlers may defer additive writes (figures moved by many
# events) to its exit, which runs in the same transaction only when every handler succeeded.
BatchScope = Callable[[Connection], AbstractAsyncContextManager[object]]
Record: TypeAlias = "ConsumerRecord[bytes, bytes]"

handled_total = Counter("gongjian_consumer_handled_total", "Events applied", ["consumer"])
duplicates_total = Counter(
    "gongjian_consumer_duplicates_total", "Redelivered events ignored", ["consumer"]
)
stale_total = Counter(
    "gongjian_consumer_stale_total",
    "Events older than the version already applied, ignored",
    ["consumer"],
)
dead_lettered_total = Counter(
    "gongjian_consumer_dead_lettered_total", "Events sent to a DLQ", ["consumer"]
)
unsupported_version_total = Counter(
    "gongjian_consumer_unsupported_version_total",
    "Events of a known type with a newer major version than this consumer understands",
    ["consumer"],
)
transient_retries_total = Counter(
    "gongjian_consumer_transient_retries_total",
    "Batches paused and retried after a transient failure",
    ["consumer"],
)
consumer_retrying = Gauge(
    "gongjian_consumer_retrying", "Partitions paused on a transient failure", ["consumer"]
)
broker_data_lost_total = Counter(
    "gongjian_consumer_broker_data_lost_total",
    "Partitions found with a committed offset past their end (the broker lost data)",
    ["consumer"],
)
consumer_lag = Gauge(
    "gongjian_consumer_lag", "Messages behind the end of the assigned partitions", ["consumer"]
)


class TransientError(Exception):
    """Raised by a handler for a failure that waiting can cure (a dependency is away)."""


class PermanentError(Exception):
    """Raised by a handler for an event that can never be applied as it is."""


class UnsupportedEventVersion(PermanentError):  # noqa: N818 - reads as a fact about the event
    """A known event type in a newer major version: dead-lettered for replay after an upgrade."""


# What waiting cures: the database or broker away or overloaded, timeouts, and the failures
# PostgreSQL itself asks to retry (serialization, deadlock). Everything else is permanent.
TRANSIENT: tuple[type[BaseException], ...] = (
    *TRANSIENT_ERRORS,
    TransientError,
    TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,  # class 08
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutdown, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections, disk full
    asyncpg.exceptions.TransactionRollbackError,  # class 40: serialization, deadlock
    asyncpg.exceptions.LockNotAvailableError,
    kafka_errors.KafkaConnectionError,
    kafka_errors.KafkaTimeoutError,
    kafka_errors.RequestTimedOutError,
    kafka_errors.NotLeaderForPartitionError,
    kafka_errors.LeaderNotAvailableError,
    kafka_errors.NotEnoughReplicasError,
)


def is_transient(error: BaseException) -> bool:
    """True when retrying the same event later may succeed."""
    if isinstance(error, PermanentError):
        return False
    if isinstance(error, asyncpg.exceptions.InterfaceError):
        # "pool is closing", "connection was closed in the middle of operation"
        return "closed" in str(error) or "closing" in str(error)
    return isinstance(error, TRANSIENT) or bool(getattr(error, "retriable", False))


COMMIT_TIMEOUT_S = 5.0


class _LostDataCheck(ConsumerRebalanceListener):  # type: ignore[misc]
    """On each assignment: a committed offset beyond the partition's end means the broker lost
    data (a memory-only broker restarted, a topic recreated). Re-read such a partition from its
    start — the inbox and the version check drop what was applied — instead of silently
    skipping everything below the stale offset."""

    def __init__(
        self, consumer: AIOKafkaConsumer, name: str, bootstrap: str, *, reread: bool = False
    ) -> None:
        self.consumer = consumer
        self.bootstrap = bootstrap
        self.name = name
        # The broker is a new incarnation (see broker_epoch): every offset is meaningless.
        self.reread = reread

    async def on_partitions_revoked(self, revoked: object) -> None:
        return None

    async def _record_at(self, tp: TopicPartition, offset: int) -> bool:
        """Whether the record at ``offset`` is there: a broker may report a partition's end too
        low (Tansu, after a batch of several records: the batch's first offset + 1) while the
        records the committed offset counts are all present. Only then is nothing lost."""
        reader = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
        )
        await reader.start()
        try:
            reader.assign([tp])
            reader.seek(tp, offset)
            records = (await reader.getmany(tp, timeout_ms=2000)).get(tp, [])
            return any(r.offset == offset for r in records)
        finally:
            await reader.stop()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if not assigned:
            return
        if self.reread:
            log.warning(
                "consumer %s: the broker lost its data (new epoch): reading %d partition(s) "
                "again from the start",
                self.name,
                len(assigned),
            )
            broker_data_lost_total.labels(self.name).inc()
            await self.consumer.seek_to_beginning(*assigned)
            return
        try:
            ends = await self.consumer.end_offsets(list(assigned))
            for tp in assigned:
                committed = await self.consumer.committed(tp)
                if (
                    committed is not None
                    and committed > ends.get(tp, committed)
                    and not await self._record_at(tp, committed - 1)
                ):
                    log.warning(
                        "consumer %s: committed offset %d of %s/%d is past its end %d: the "
                        "broker lost data; reading the partition again from its start",
                        self.name,
                        committed,
                        tp.topic,
                        tp.partition,
                        ends[tp],
                    )
                    broker_data_lost_total.labels(self.name).inc()
                    await self.consumer.seek_to_beginning(tp)
        except Exception as exc:  # the assignment stands; the check runs again next time
            log.warning("consumer %s: could not check offsets: %s", self.name, exc)


async def broker_epoch(bootstrap: str, topic: str) -> str:
    """The broker's incarnation: the last id in ``topic``, written now if the topic is empty.

    A broker that keeps its data keeps this id for ever; one that lost its data (Tansu restarted)
    comes back without it and gets a new one. Two processes racing on a fresh broker may see
    different ids: the cost is one extra re-read, never a skip.
    """
    await ensure_topics(bootstrap, [topic], partitions=1)
    for _ in range(2):
        reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        await reader.start()
        try:
            tp = TopicPartition(topic, 0)
            reader.assign([tp])
            end = (await reader.end_offsets([tp]))[tp]
            if end > 0:
                reader.seek(tp, end - 1)
                records = (await reader.getmany(tp, timeout_ms=5000)).get(tp, [])
                if records and records[-1].value:
                    return str(records[-1].value.decode())
        finally:
            await reader.stop()
        producer = make_producer(bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(topic, value=uuid.uuid4().hex.encode(), partition=0)
        finally:
            await producer.stop()
    raise RuntimeError(f"could not read the broker epoch from {topic}")


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return f"{topic}.dlq"


@dataclass(frozen=True)
class ConsumerSpec:
    """What a service handles: a consumer name (its group id), topics and a handler per type.

    ``check_versions``: ignore an event whose subject's version is not newer than the one this
    consumer last applied (right for handlers that set state; the default).
    ``batch_scope``: entered around the handlers of each transaction (see ``BatchScope``).
    """

    name: str
    topics: tuple[str, ...]
    handlers: Mapping[str, Handler]
    check_versions: bool = True
    batch_handlers: Mapping[str, BatchHandler] = field(default_factory=dict)
    batch_scope: BatchScope | None = None

    def scope(self, conn: Connection) -> AbstractAsyncContextManager[object]:
        """The batch scope around handlers on ``conn`` (a no-op when none is set)."""
        if self.batch_scope is None:
            return contextlib.nullcontext()
        return self.batch_scope(conn)

    def handled_types(self) -> set[str]:
        return set(self.handlers) | set(self.batch_handlers)


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "already applied"
    STALE = "stale: an equal or newer version was applied"
    NOT_HANDLED = "not handled by this consumer"
    DEAD_LETTERED = "dead-lettered"


@dataclass
class _Work:
    record: Record | None
    event: Event
    handler: Handler | BatchHandler
    batch: bool = False
    outcome: Outcome | None = None
    error: BaseException | None = None

    async def apply(self, conn: Connection) -> None:
        if self.batch:
            await self.handler(conn, [self.event])  # type: ignore[arg-type]
        else:
            await self.handler(conn, self.event)  # type: ignore[arg-type]


@dataclass
class _Backoff:
    delay_s: float = 0.0
    until: float = 0.0
    attempts: int = 0


@dataclass
class ConsumerState:
    """What readiness and operators see."""

    running: bool = False
    retrying: dict[str, str] = field(default_factory=dict)  # partition → last transient error


class EventConsumer:
    """A group consumer with manual commits, applying each fetched batch in one transaction.

    Per poll (up to ``batch_size`` records of any of its partitions): parse the envelopes; in one
    transaction insert the inbox rows (``ON CONFLICT DO NOTHING`` tells which are new), lock the
    subjects' applied versions, apply each new, newer event's handler; commit; then commit the
    offsets. A transient failure pauses the poll's partitions and retries them. When a handler fails
    permanently, the batch is applied again with a savepoint per event, so only the bad event is
    left out (and dead-lettered). A redelivered or older event changes nothing.
    """

    def __init__(
        self,
        spec: ConsumerSpec,
        pool: asyncpg.Pool[asyncpg.Record],
        bootstrap: str,
        *,
        fetch_wait_ms: int = 50,
        batch_size: int = 500,
        max_backoff_s: float = 30.0,
        session_timeout_ms: int = 10_000,
        after_apply: Callable[[Event], Awaitable[None]] | None = None,
        epoch_topic: str = "gongjian.broker-epoch",
    ) -> None:
        self.spec = spec
        self.epoch_topic = epoch_topic
        self.pool = pool
        self.bootstrap = bootstrap
        self.fetch_wait_ms = fetch_wait_ms
        self.batch_size = batch_size
        self.max_backoff_s = max_backoff_s
        self.session_timeout_ms = session_timeout_ms
        # Test seam: runs after an event's transaction committed, before its offset is committed.
        self.after_apply = after_apply
        self._stopping = asyncio.Event()
        self.ready = asyncio.Event()
        self.state = ConsumerState()
        self._majors: dict[str, int] = {}
        for handled in spec.handled_types():
            name, major = split_type(handled)
            self._majors[name] = max(self._majors.get(name, 0), major)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Consume until ``stop()``; reconnects when the broker goes away."""
        try:
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
        finally:
            self.state.running = False

    async def _consume(self) -> None:
        topics = list(self.spec.topics)
        await ensure_topics(self.bootstrap, topics + [dlq_topic(t) for t in topics])
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.spec.name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.fetch_wait_ms,
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=1_000,
            client_id=self.spec.name,
        )
        dlq = make_producer(self.bootstrap)
        backoffs: dict[TopicPartition, _Backoff] = {}
        epoch = await broker_epoch(self.bootstrap, self.epoch_topic)
        stored = await self.pool.fetchval(
            "SELECT epoch FROM consumer_epoch WHERE consumer = $1", self.spec.name
        )
        check = _LostDataCheck(
            consumer, self.spec.name, self.bootstrap, reread=stored not in (None, epoch)
        )
        await consumer.start()
        consumer.subscribe(topics, listener=check)
        try:
            await dlq.start()
            self.ready.set()
            self.state.running = True
            next_lag = 0.0
            while not self._stopping.is_set():
                self._resume_due(consumer, backoffs)
                batches = await consumer.getmany(timeout_ms=200, max_records=self.batch_size)
                if not batches:
                    continue
                # Every partition's records of this poll in one transaction (each partition's in
                # its order; partitions are independent): one commit and one write of the summed
                # figures per poll, not one per partition.
                try:
                    await self._handle_batch([r for rs in batches.values() for r in rs], dlq)
                except Exception as exc:
                    if not is_transient(exc):
                        raise
                    for tp, records in batches.items():
                        self._pause(consumer, tp, records[0].offset, backoffs, exc)
                    continue
                done = {tp: records[-1].offset + 1 for tp, records in batches.items()}
                # The offsets after the transaction committed: a crash before this line only
                # redelivers what the inbox drops. Bounded: a broker that lost its topics (Tansu
                # restarted) refuses the commit for ever; reconnecting joins the group afresh
                # (see _LostDataCheck).
                await asyncio.wait_for(consumer.commit(done), timeout=COMMIT_TIMEOUT_S)
                if stored != epoch:  # offsets committed in this epoch: remember it
                    await self.pool.execute(
                        "INSERT INTO consumer_epoch (consumer, epoch) VALUES ($1, $2) "
                        "ON CONFLICT (consumer) DO UPDATE SET epoch = $2, seen_at = now()",
                        self.spec.name,
                        epoch,
                    )
                    stored, check.reread = epoch, False
                for tp in done:
                    if tp in backoffs:
                        del backoffs[tp]
                        self.state.retrying.pop(f"{tp.topic}/{tp.partition}", None)
                        consumer_retrying.labels(self.spec.name).set(len(backoffs))
                        log.info("consumer %s: %s/%d flows again", self.spec.name, *tp)
                if time.monotonic() >= next_lag:
                    next_lag = time.monotonic() + 2.0
                    await self._measure_lag(consumer)
        finally:
            self.state.running = False
            self.state.retrying.clear()
            consumer_retrying.labels(self.spec.name).set(0)
            # No offset is committed here: whatever was not committed above is redelivered.
            with contextlib.suppress(Exception):
                await consumer.stop()
            with contextlib.suppress(Exception):
                await dlq.stop()

    def _pause(
        self,
        consumer: AIOKafkaConsumer,
        tp: TopicPartition,
        offset: int,
        backoffs: dict[TopicPartition, _Backoff],
        error: BaseException,
    ) -> None:
        """Hold ``tp`` at ``offset`` and try it again after a capped exponential backoff."""
        backoff = backoffs.setdefault(tp, _Backoff())
        backoff.attempts += 1
        backoff.delay_s = min(max(backoff.delay_s * 2, 0.1), self.max_backoff_s)
        backoff.until = time.monotonic() + backoff.delay_s
        consumer.seek(tp, offset)
        consumer.pause(tp)
        transient_retries_total.labels(self.spec.name).inc()
        self.state.retrying[f"{tp.topic}/{tp.partition}"] = f"{type(error).__name__}: {error}"
        consumer_retrying.labels(self.spec.name).set(len(backoffs))
        log.warning(
            "consumer %s: transient %s on %s/%d (attempt %d); retrying in %.1fs: %s",
            self.spec.name,
            type(error).__name__,
            tp.topic,
            tp.partition,
            backoff.attempts,
            backoff.delay_s,
            error,
        )

    def _resume_due(
        self, consumer: AIOKafkaConsumer, backoffs: dict[TopicPartition, _Backoff]
    ) -> None:
        assigned = consumer.assignment()
        now = time.monotonic()
        for tp, backoff in list(backoffs.items()):
            if tp not in assigned:  # revoked: its new owner starts from the committed offset
                del backoffs[tp]
                self.state.retrying.pop(f"{tp.topic}/{tp.partition}", None)
            elif backoff.until <= now and tp in consumer.paused():
                consumer.resume(tp)

    async def _measure_lag(self, consumer: AIOKafkaConsumer) -> None:
        behind = 0
        for tp in consumer.assignment():
            end = consumer.highwater(tp)
            if end is None:
                continue
            with contextlib.suppress(Exception):
                behind += max(0, end - await consumer.position(tp))
        consumer_lag.labels(self.spec.name).set(behind)

    def _handler_for(self, event: Event) -> tuple[Handler | BatchHandler, bool] | None:
        handler = self.spec.handlers.get(event.type)
        if handler is not None:
            return handler, False
        batch = self.spec.batch_handlers.get(event.type)
        if batch is not None:
            return batch, True
        name, major = split_type(event.type)
        understood = self._majors.get(name)
        if understood is not None and major > understood:
            unsupported_version_total.labels(self.spec.name).inc()
            raise UnsupportedEventVersion(
                f"{event.type}: this consumer understands {name} up to v{understood}"
            )
        return None  # a type this consumer does not care about

    async def _handle_batch(self, records: Sequence[Record], dlq: AIOKafkaProducer) -> None:
        """Apply one partition's records; dead-letter the poison; raise on transient failure."""
        poison: list[tuple[Record, BaseException]] = []
        work: list[_Work] = []
        for record in records:
            try:
                event = Event.from_json(record.value)
                handler = self._handler_for(event)
            except (InvalidEvent, UnsupportedEventVersion) as exc:
                poison.append((record, exc))
                continue
            if handler is not None:
                work.append(_Work(record, event, *handler))
        if work:
            await self.apply_batch(work)
            poison += [(w.record, w.error) for w in work if w.error is not None and w.record]
        for record, error in poison:
            await self._dead_letter(record, dlq, error)
        if self.after_apply is not None:
            for item in work:
                if item.error is None:  # applied now or before
                    await self.after_apply(item.event)

    async def apply_batch(self, work: list[_Work]) -> None:
        """Apply ``work`` in one transaction; on a permanent failure, again event by event.

        Sets each item's outcome; an item whose handler failed permanently gets its error and
        no effect. Transient failures propagate (nothing committed).
        """
        try:
            await self._apply(work, isolate=False)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.info(
                "consumer %s: a batch of %d failed (%s); applying it event by event",
                self.spec.name,
                len(work),
                exc,
            )
            for item in work:
                item.outcome, item.error = None, None
            await self._apply(work, isolate=True)
        applied = sum(1 for w in work if w.outcome is Outcome.APPLIED)
        duplicates = sum(1 for w in work if w.outcome is Outcome.DUPLICATE)
        stale = sum(1 for w in work if w.outcome is Outcome.STALE)
        if applied:
            handled_total.labels(self.spec.name).inc(applied)
        if duplicates:
            duplicates_total.labels(self.spec.name).inc(duplicates)
        if stale:
            stale_total.labels(self.spec.name).inc(stale)

    async def _apply(self, work: list[_Work], *, isolate: bool) -> None:
        name = self.spec.name
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = {
                str(r["event_id"])
                for r in await conn.fetch(
                    "INSERT INTO inbox (consumer, event_id, event_type) "
                    "SELECT $1, i, t FROM unnest($2::uuid[], $3::text[]) AS x(i, t) "
                    "ON CONFLICT DO NOTHING RETURNING event_id",
                    name,
                    [w.event.id for w in work],
                    [w.event.type for w in work],
                )
            }
            known = await self._lock_versions(conn, work)
            changed: dict[str, int] = {}
            todo: list[_Work] = []
            for item in work:
                event = item.event
                if event.id not in fresh:
                    item.outcome = Outcome.DUPLICATE
                    continue
                fresh.discard(event.id)  # the same event twice in one batch applies once
                if event.version is not None and event.version <= known.get(event.subject, 0):
                    item.outcome = Outcome.STALE
                    continue
                todo.append(item)
                if event.version is not None and self.spec.check_versions:
                    known[event.subject] = changed[event.subject] = event.version
            if isolate:
                changed = await self._apply_isolated(conn, todo)
            else:
                async with self.spec.scope(conn):
                    await self._apply_in_runs(conn, todo)
            if changed:
                # An upsert (the rows exist: locked above) so that the primary key finds each
                # row; an UPDATE … FROM unnest joined on the "C"-collated subject scanned them all.
                await conn.execute(
                    "INSERT INTO consumer_version AS c (consumer, subject, version) "
                    "SELECT $1, s, v FROM unnest($2::text[], $3::bigint[]) AS x(s, v) ORDER BY s "
                    "ON CONFLICT (consumer, subject) DO UPDATE SET version = excluded.version",
                    name,
                    list(changed),
                    list(changed.values()),
                )

    async def _apply_isolated(self, conn: Connection, todo: list[_Work]) -> dict[str, int]:
        """Apply each in a savepoint; a permanent failure leaves only that event out.

        Returns the versions to record: those of the events actually applied.
        """
        changed: dict[str, int] = {}
        for item in todo:
            try:
                async with conn.transaction(), self.spec.scope(conn):  # a savepoint
                    await item.apply(conn)
            except Exception as exc:
                if is_transient(exc):
                    raise
                item.error, item.outcome = exc, Outcome.DEAD_LETTERED
                # Not applied: a later replay must find no inbox row.
                await conn.execute(
                    "DELETE FROM inbox WHERE consumer = $1 AND event_id = $2",
                    self.spec.name,
                    item.event.id,
                )
                continue
            item.outcome = Outcome.APPLIED
            version = item.event.version
            if version is not None and self.spec.check_versions:
                changed[item.event.subject] = version
        return changed

    @staticmethod
    async def _apply_in_runs(conn: Connection, todo: list[_Work]) -> None:
        """Apply in order; consecutive events of one batch handler go to it together."""
        position = 0
        while position < len(todo):
            item = todo[position]
            if not item.batch:
                await item.apply(conn)
                item.outcome = Outcome.APPLIED
                position += 1
                continue
            end = position
            while end < len(todo) and todo[end].batch and todo[end].handler is item.handler:
                end += 1
            run = todo[position:end]
            await item.handler(conn, [w.event for w in run])  # type: ignore[arg-type]
            for done in run:
                done.outcome = Outcome.APPLIED
            position = end

    async def _lock_versions(self, conn: Connection, work: list[_Work]) -> dict[str, int]:
        """The applied version of each subject in ``work``, locked until the batch commits."""
        if not self.spec.check_versions:
            return {}
        subjects = sorted({w.event.subject for w in work if w.event.version is not None})
        if not subjects:
            return {}
        # Upsert rather than SELECT … FOR UPDATE: it also locks subjects seen for the first time,
        # so two replicas in a rebalance cannot both apply one subject's events. Sorted: no
        # deadlock between two batches locking overlapping subjects.
        rows = await conn.fetch(
            "INSERT INTO consumer_version AS c (consumer, subject, version) "
            "SELECT $1, s, 0 FROM unnest($2::text[]) AS s ORDER BY s "
            "ON CONFLICT (consumer, subject) DO UPDATE SET version = c.version "
            "RETURNING subject, version",
            self.spec.name,
            subjects,
        )
        return {r["subject"]: int(r["version"]) for r in rows}

    async def apply_events(self, events: Sequence[Event]) -> list[Outcome]:
        """Apply ``events`` as one fetched batch (one transaction, runs to batch handlers, the
        batch scope): for replays and for tests that compare batches with single events. A
        type this consumer does not handle is NOT_HANDLED; poison is left out and reported."""
        work: list[_Work] = []
        outcomes: list[Outcome | _Work] = []
        for event in events:
            try:
                handler = self._handler_for(event)
            except UnsupportedEventVersion:
                outcomes.append(Outcome.DEAD_LETTERED)
                continue
            if handler is None:
                outcomes.append(Outcome.NOT_HANDLED)
                continue
            work.append(_Work(None, event, *handler))
            outcomes.append(work[-1])
        if work:
            await self.apply_batch(work)
        return [
            o if isinstance(o, Outcome) else (o.outcome or Outcome.DEAD_LETTERED) for o in outcomes
        ]

    async def replay(self, value: bytes | None) -> tuple[Outcome, str]:
        """Apply one dead-lettered message now (DLQ replay): what happened, and why."""
        try:
            event = Event.from_json(value)
            handler = self._handler_for(event)
        except (InvalidEvent, UnsupportedEventVersion) as exc:
            return Outcome.DEAD_LETTERED, f"{type(exc).__name__}: {exc}"
        if handler is None:
            return Outcome.NOT_HANDLED, event.type
        item = _Work(None, event, *handler)
        await self.apply_batch([item])
        assert item.outcome is not None
        detail = f"{type(item.error).__name__}: {item.error}" if item.error else event.type
        return item.outcome, detail

    async def _dead_letter(
        self, record: Record, dlq: AIOKafkaProducer, error: BaseException
    ) -> None:
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        headers = [
            *[(k, v) for k, v in (record.headers or ()) if not k.startswith("dlq_")],
            ("dlq_error", detail[:1000].encode()),
            ("dlq_error_type", type(error).__name__.encode()),
            ("dlq_consumer", self.spec.name.encode()),
            ("dlq_source_topic", record.topic.encode()),
            ("dlq_source_partition", str(record.partition).encode()),
            ("dlq_source_offset", str(record.offset).encode()),
            ("dlq_attempts", b"1"),
            ("dlq_timestamp", datetime.now(UTC).isoformat().encode()),
        ]
        log.error(
            "consumer %s: dead-lettering %s@%d/%d: %s",
            self.spec.name,
            record.topic,
            record.partition,
            record.offset,
            detail,
        )
        await dlq.send_and_wait(
            dlq_topic(record.topic), value=record.value, key=record.key, headers=headers
        )
        dead_lettered_total.labels(self.spec.name).inc()


def dlq_headers(headers: Sequence[tuple[str, bytes]]) -> dict[str, Any]:
    """A DLQ message's headers as text, for the CLI."""
    return {k: v.decode(errors="replace") for k, v in headers}


__all__ = [
    "BatchScope",
    "ConsumerSpec",
    "EventConsumer",
    "Handler",
    "Outcome",
    "PermanentError",
    "TopicPartition",
    "TransientError",
    "dlq_topic",
    "is_transient",
]
