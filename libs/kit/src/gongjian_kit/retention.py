"""Retention: published outbox rows and inbox rows are deleted in small batches after a while.

Small batches (each its own short transaction, by primary key) keep locks brief, so writers and
the relay never wait long on a purge. ``consumer_version`` is never purged: it is what keeps a
replayed or reset-consumer event from undoing newer state once its inbox row is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from prometheus_client import Counter

from gongjian_kit.db import Executor

log = logging.getLogger(__name__)

purged_total = Counter("gongjian_retention_purged_total", "Rows deleted by retention", ["table"])

PURGE_OUTBOX = (
    "WITH doomed AS (SELECT id FROM outbox WHERE published_at < now() - make_interval(days => $1) "
    "  ORDER BY published_at LIMIT $2) "
    "DELETE FROM outbox o USING doomed WHERE o.id = doomed.id"
)
PURGE_INBOX = (
    "WITH doomed AS (SELECT consumer, event_id FROM inbox "
    "  WHERE handled_at < now() - make_interval(days => $1) ORDER BY handled_at LIMIT $2) "
    "DELETE FROM inbox i USING doomed "
    "WHERE i.consumer = doomed.consumer AND i.event_id = doomed.event_id"
)


@dataclass(frozen=True)
class Retention:
    outbox_days: float = 7
    inbox_days: float = 30
    batch_size: int = 5000
    pause_s: float = 0.05  # between batches: let other work through


async def purge(db: Executor, retention: Retention) -> dict[str, int]:
    """Delete what is past retention, batch by batch; return how many rows of each table."""
    deleted = {"outbox": 0, "inbox": 0}
    for table, sql, days in (
        ("outbox", PURGE_OUTBOX, retention.outbox_days),
        ("inbox", PURGE_INBOX, retention.inbox_days),
    ):
        while True:
            status = await db.execute(sql, float(days), retention.batch_size)
            count = int(status.rsplit(" ", 1)[-1])
            deleted[table] += count
            purged_total.labels(table).inc(count)
            if count < retention.batch_size:
                break
            await asyncio.sleep(retention.pause_s)
    return deleted


async def run_retention(
    db: Executor, retention: Retention, interval_s: float, stopping: asyncio.Event
) -> None:
    """Purge now and then every ``interval_s`` until ``stopping``; failures wait for the next."""
    while not stopping.is_set():
        try:
            deleted = await purge(db, retention)
            if any(deleted.values()):
                log.info("retention: deleted %s", deleted)
        except Exception as exc:
            log.warning("retention: %s: %s; trying again later", type(exc).__name__, exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=interval_s)
