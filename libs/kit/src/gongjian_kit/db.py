"""The asyncpg pool and bounded retries for transient database failures."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, TypeAlias, TypeVar

import asyncpg
from prometheus_client import Counter

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

log = logging.getLogger(__name__)
T = TypeVar("T")

# A connection as handed out by the pool or opened directly; an executor is either or the pool.
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
Executor: TypeAlias = "Connection | asyncpg.Pool[asyncpg.Record]"
PooledConnection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"

# Failures that a second try can cure: the connection went away, or PostgreSQL asked us to retry.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    ConnectionError,
    OSError,
)


RETRYABLE_AT_START: tuple[type[BaseException], ...] = (
    *TRANSIENT_ERRORS,
    asyncpg.exceptions.InvalidCatalogNameError,
)


def connection_alive(conn: PooledConnection | None) -> bool:
    """Whether a connection held from the pool still works.

    When its server connection is lost, asyncpg hands the connection back to the pool by itself,
    and ``is_closed()`` on what we hold then raises instead of answering True.
    """
    if conn is None:
        return False
    try:
        return not conn.is_closed()
    except asyncpg.exceptions.InterfaceError:
        return False


def required(row: asyncpg.Record | None) -> asyncpg.Record:
    """The row a statement that always returns one (INSERT … RETURNING) returned."""
    if row is None:
        raise RuntimeError("the statement returned no row")
    return row


sql_statements_total = Counter(
    "gongjian_sql_statements_total", "SQL statements sent to PostgreSQL by this process"
)


# A request sets a fresh [0] here; statements its tasks send are added to it.
request_statements: ContextVar[list[int] | None] = ContextVar("request_statements", default=None)


POOL_RESET_PREFIX = "SELECT pg_advisory_unlock_all()"


def _count_statement(record: object) -> None:
    # asyncpg calls loggers with call_soon from the querying task, so the context is the request's.
    # The pool's own reset on release is a round trip too, but not a statement the code asked for.
    if str(getattr(record, "query", "")).startswith(POOL_RESET_PREFIX):
        return
    sql_statements_total.inc()
    counter = request_statements.get()
    if counter is not None:
        counter[0] += 1


async def _init_connection(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    # Benchmarks and tests read this counter to see what a request cost in statements. Added
    # last: opening a connection (its codecs) is the pool's cost, not the request's.
    conn.add_query_logger(_count_statement)


async def _light_reset(_conn: object) -> None:
    """Return a connection to the pool without asyncpg's default reset round trip.

    asyncpg still rolls back an open transaction and drops listeners first. The default also
    sends ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` on every release: a
    second round trip per pooled query. This code keeps no session state on pooled connections
    (advisory locks are transaction-scoped or released in ``finally``, LISTEN connections
    UNLISTEN before release, no session ``SET``), so there is nothing to reset.
    """


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 10, wait_s: float = 30.0
) -> asyncpg.Pool[asyncpg.Record]:
    """Open a pool, waiting up to ``wait_s`` for the server to accept connections."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=min_size,
                max_size=max_size,
                init=_init_connection,
                reset=_light_reset,
                command_timeout=30,
            )
        except RETRYABLE_AT_START as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.info("database not ready yet (%s), retrying", type(exc).__name__)
            await asyncio.sleep(0.5)
        else:
            assert pool is not None
            return pool


async def with_retries(
    operation: Callable[[], Awaitable[T]], *, attempts: int = 3, base_delay_s: float = 0.05
) -> T:
    """Run ``operation``, retrying only transient failures, at most ``attempts`` times."""
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except TRANSIENT_ERRORS:
            if attempt == attempts:
                raise
            await asyncio.sleep(base_delay_s * 2 ** (attempt - 1))
    raise AssertionError("unreachable")
