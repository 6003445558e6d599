"""Holding a LISTEN connection for the life of a service: PostgreSQL NOTIFY as a wake-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping

from gongjian_kit.db import PooledConnection, connection_alive
from gongjian_kit.runtime import Runtime

log = logging.getLogger(__name__)

# asyncpg's listener callback: (connection, server pid, channel, payload).
Listener = Callable[[object, int, str, object], None]


async def hold_listeners(
    runtime: Runtime,
    stopping: asyncio.Event,
    listeners: Mapping[str, Listener],
    *,
    name: str,
    on_state: Callable[[bool], None] | None = None,
    check_every_s: float = 1.0,
) -> None:
    """Until ``stopping``: a pooled connection LISTENing on each channel of ``listeners``, taken
    again after any failure (a second later). ``on_state(True)`` once listening, and
    ``on_state(False)`` when the connection is lost or given back: notifications may have been
    missed in between, so a caller that keeps state by them drops it then."""
    while not stopping.is_set():
        conn: PooledConnection | None = None
        try:
            conn = await runtime.db.acquire()
            for channel, listener in listeners.items():
                await conn.add_listener(channel, listener)
            if on_state is not None:
                on_state(True)
            while not stopping.is_set() and connection_alive(conn):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=check_every_s)
        except Exception as exc:
            log.warning("%s: %s; listening again", name, exc)
            await asyncio.sleep(1)
        finally:
            if on_state is not None:
                on_state(False)
            if conn is not None:
                with contextlib.suppress(Exception):
                    for channel, listener in listeners.items():
                        await conn.remove_listener(channel, listener)
                    await runtime.db.release(conn)
