"""Live figures: every replica LISTENs for changed areas and feeds its subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from gongjian_evaluation.events import STATS_CHANGED_CHANNEL
from gongjian_kit.listen import hold_listeners
from gongjian_kit.runtime import Runtime

log = logging.getLogger(__name__)


class StatsBroadcaster:
    """Fans changed area codes out to the subscriptions of this process."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[list[str]]] = set()

    def subscribe(self) -> asyncio.Queue[list[str]]:
        queue: asyncio.Queue[list[str]] = asyncio.Queue(maxsize=1000)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[list[str]]) -> None:
        self._queues.discard(queue)

    def publish(self, codes: list[str]) -> None:
        for queue in list(self._queues):
            with contextlib.suppress(asyncio.QueueFull):  # a stalled client misses, never blocks
                queue.put_nowait(codes)


def broadcaster_of(runtime: Runtime) -> StatsBroadcaster:
    found = runtime.extras.setdefault("stats_broadcaster", StatsBroadcaster())
    assert isinstance(found, StatsBroadcaster)
    return found


async def listen_for_stats(runtime: Runtime, stopping: asyncio.Event) -> None:
    """Hold a LISTEN connection (reconnecting after failures) until the service stops."""
    broadcaster = broadcaster_of(runtime)

    def on_notify(_conn: object, _pid: int, _channel: str, payload: object) -> None:
        with contextlib.suppress(ValueError):
            broadcaster.publish(json.loads(str(payload)))

    listeners = {STATS_CHANGED_CHANNEL: on_notify}
    await hold_listeners(runtime, stopping, listeners, name="stats listener", check_every_s=5)
