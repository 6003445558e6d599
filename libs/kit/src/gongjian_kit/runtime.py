"""What a running service holds: settings, pool, token verifier, event catalog; the unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from gongjian_kit.auth import TokenVerifier
from gongjian_kit.db import Connection
from gongjian_kit.events import Event, EventCatalog
from gongjian_kit.outbox import append_many_to_outbox, append_to_outbox, next_versions
from gongjian_kit.settings import ServiceSettings


@dataclass
class UnitOfWork:
    """One transaction: the rows a use case writes and the events it raises commit together."""

    conn: Connection
    runtime: Runtime
    events: list[Event] = field(default_factory=list)

    async def publish(self, type_: str, subject: str, data: dict[str, Any]) -> Event:
        """Raise an event of this service; it is written to the outbox in this transaction.

        The event carries ``subject``'s next version, so consumers can ignore stale copies.
        """
        [version] = await next_versions(self.conn, [subject])
        event = self.runtime.catalog.new(type_, subject, data, version=version)
        await append_to_outbox(self.conn, self.runtime.topic_for(type_), subject, event)
        self.events.append(event)
        return event

    async def publish_many(self, raised: list[tuple[str, str, dict[str, Any]]]) -> list[Event]:
        """Raise many events (type, subject, data) with one statement: for bulk imports."""
        versions = await next_versions(self.conn, [subject for _, subject, _ in raised])
        events = [
            self.runtime.catalog.new(t, subject, data, version=v)
            for (t, subject, data), v in zip(raised, versions, strict=True)
        ]
        await append_many_to_outbox(
            self.conn, [(self.runtime.topic_for(e.type), e.subject, e) for e in events]
        )
        self.events.extend(events)
        return events


@dataclass
class Runtime:
    settings: ServiceSettings
    catalog: EventCatalog
    topics: dict[str, str]  # event type prefix → logical topic name
    pool: asyncpg.Pool[asyncpg.Record] | None = None
    verifier: TokenVerifier | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def db(self) -> asyncpg.Pool[asyncpg.Record]:
        if self.pool is None:
            raise RuntimeError("the service has not started: no database pool yet")
        return self.pool

    def topic_for(self, event_type: str) -> str:
        for prefix, topic in self.topics.items():
            if event_type.startswith(prefix):
                return self.settings.topic(topic)
        raise LookupError(f"no topic for event type {event_type}")

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """Open a transaction; it commits when the block ends without an exception."""
        async with self.db.acquire() as conn, conn.transaction():
            yield UnitOfWork(conn, self)
