"""The publisher of area figures: coalesces the changes of a burst.

Consumers mark the areas whose figures moved (``stats_dirty``, in their transaction). Every
STATS_POLL_INTERVAL_S this task takes the marks of areas not published in the last
STATS_PUBLISH_INTERVAL_S (FOR UPDATE SKIP LOCKED: a mark still held by an uncommitted change
waits for the next pass), and in one unit of work publishes each area's current row to
``gongjian.district-stats.v1`` through the outbox, keeps it as the month's snapshot, NOTIFYs the
replicas' subscriptions and deletes the marks. So a lone change goes out within a poll, an area
gets at most one message per interval under a burst, and its last state is always delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from gongjian_evaluation.events import AREA_STATS_UPDATED, STATS_CHANGED_CHANNEL, area_stats_data
from gongjian_evaluation.store import stats as store
from gongjian_kit import clock
from gongjian_kit.listen import hold_listeners
from gongjian_kit.runtime import Runtime

log = logging.getLogger(__name__)

STATS_PUBLISH_INTERVAL_S = 1.0  # at most one message per area per interval
STATS_POLL_INTERVAL_S = 0.05  # how often the marks are looked at
# Areas published per unit of work (a district has a few hundred; more wait for the next one).
BATCH = 2000


async def publish_dirty_once(runtime: Runtime) -> int:
    """Publish the marked areas' current figures; how many areas were published."""
    published = 0
    while True:
        async with runtime.unit_of_work() as uow:
            rows = await store.take_dirty(uow.conn, BATCH, STATS_PUBLISH_INTERVAL_S)
            if not rows:
                return published
            extras = await store.published_extras(uow.conn, [r["area_code"] for r in rows])
            figures = [area_stats_data(r) | extras[r["area_code"]] for r in rows]
            await uow.publish_many([(AREA_STATS_UPDATED, f["areaCode"], f) for f in figures])
            await store.keep_months(uow.conn, clock.today().replace(day=1), figures)
            # Every replica LISTENs, so each one's subscribers hear it; delivered on commit.
            await uow.conn.execute(
                "SELECT pg_notify($1, $2)",
                STATS_CHANGED_CHANNEL,
                json.dumps([f["areaCode"] for f in figures]),
            )
        published += len(rows)
        if len(rows) < BATCH:
            return published


async def publish_area_stats_task(runtime: Runtime, stopping: asyncio.Event) -> None:
    """Whenever a consumer marks areas (woken by its NOTIFY on commit), and at least every
    STATS_POLL_INTERVAL_S for marks whose area was published too recently, until the service
    stops. A failed pass is retried; while the LISTEN connection is down the poll carries on."""
    woken = asyncio.Event()
    listening = asyncio.create_task(
        hold_listeners(
            runtime,
            stopping,
            {store.STATS_DIRTY_CHANNEL: lambda *_: woken.set()},
            name="area stats publisher",
        )
    )
    try:
        while not stopping.is_set():
            woken.clear()
            try:
                await publish_dirty_once(runtime)
            except Exception as exc:
                log.warning("area stats publisher: %s; retrying", exc)
            waiting = [asyncio.ensure_future(w.wait()) for w in (stopping, woken)]
            try:
                await asyncio.wait(
                    waiting, timeout=STATS_POLL_INTERVAL_S, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                for future in waiting:
                    future.cancel()
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
