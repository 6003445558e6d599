"""Ordered SQL migrations, applied once each, recorded with a checksum, under an advisory lock."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from gongjian_kit.db import Connection

log = logging.getLogger(__name__)

# Two replicas starting together must not both apply the same file.
MIGRATION_LOCK_KEY = 0x6A_4D_16  # "gongjian migrations"

KIT_MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationError(RuntimeError):
    """A migration that was applied before has changed since, or a file is misnamed."""


@dataclass(frozen=True)
class Migration:
    namespace: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(namespace: str, directory: Path) -> list[Migration]:
    """Read ``NNNN_name.sql`` files from ``directory`` in version order."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        head, _, rest = path.stem.partition("_")
        if not head.isdigit():
            raise MigrationError(f"migration file {path.name} must start with a number")
        found.append(Migration(namespace, int(head), rest, path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise MigrationError(f"duplicate migration numbers in {directory}")
    return found


class MigrationLockTimeout(MigrationError):  # noqa: N818 - reads as what happened
    """Another replica held the migration lock for longer than we were willing to wait."""


async def _take_migration_lock(conn: Connection, wait_s: float) -> None:
    """Wait for the migration lock, saying who holds it, and give up after ``wait_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    next_note = loop.time() + 5
    while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK_KEY):
        now = loop.time()
        if now >= deadline or now >= next_note:
            holder = await conn.fetchrow(
                "SELECT a.pid, a.application_name, a.client_addr::text AS addr, "
                "  now() - a.xact_start AS busy_for, left(a.query, 200) AS query "
                "FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                "WHERE l.locktype = 'advisory' AND l.objid = $1 AND l.granted",
                MIGRATION_LOCK_KEY & 0xFFFFFFFF,
            )
            who = (
                f"pid {holder['pid']} ({holder['application_name'] or holder['addr']}, "
                f"busy for {holder['busy_for']}, running: {holder['query']})"
                if holder
                else "another session"
            )
            if now >= deadline:
                raise MigrationLockTimeout(
                    f"gave up after {wait_s:.0f}s waiting for the migration lock held by {who}; "
                    "another replica is migrating this database (or is stuck: see pg_stat_activity)"
                )
            log.warning("waiting for the migration lock held by %s", who)
            next_note = now + 15
        await asyncio.sleep(0.5)


async def apply_migrations(
    conn: Connection,
    migrations: list[Migration],
    *,
    lock_wait_s: float = 600,
    lock_timeout: str = "10s",
) -> list[str]:
    """Apply what is not yet applied; return the names applied now.

    Runs on a connection without a statement timeout (an index build may take long) but with a
    ``lock_timeout``: a migration never queues behind, and so never blocks, live traffic for long.
    """
    applied_now: list[str] = []
    await _take_migration_lock(conn, lock_wait_s)
    try:
        await conn.execute("SELECT set_config('lock_timeout', $1, false)", lock_timeout)
        await conn.execute("SET statement_timeout = 0")
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   namespace text NOT NULL,
                   version integer NOT NULL,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (namespace, version))"""
        )
        rows = await conn.fetch("SELECT namespace, version, checksum FROM schema_migrations")
        done = {(r["namespace"], r["version"]): r["checksum"] for r in rows}
        for migration in migrations:
            key = (migration.namespace, migration.version)
            if key in done:
                if done[key] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.namespace}/{migration.version}_{migration.name} "
                        "was changed after it was applied; add a new migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (namespace, version, name, checksum) "
                    "VALUES ($1, $2, $3, $4)",
                    migration.namespace,
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            applied_now.append(f"{migration.namespace}/{migration.version:04d}_{migration.name}")
            log.info("applied migration %s", applied_now[-1])
    finally:
        await conn.execute("RESET lock_timeout; RESET statement_timeout")
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    return applied_now


async def migrate(
    dsn_or_pool: str | asyncpg.Pool[asyncpg.Record],
    service_namespace: str,
    directory: Path,
    *,
    lock_wait_s: float = 600,
    lock_timeout: str = "10s",
) -> list[str]:
    """Apply the kit's own tables (outbox, inbox) and then the service's migrations.

    Given a DSN, it opens a connection of its own, free of the pool's ``command_timeout``.
    """
    migrations = load_migrations("kit", KIT_MIGRATIONS) + load_migrations(
        service_namespace, directory
    )
    if isinstance(dsn_or_pool, str):
        conn = await asyncpg.connect(
            dsn_or_pool, command_timeout=None, server_settings={"application_name": "migrate"}
        )
        try:
            return await apply_migrations(
                conn, migrations, lock_wait_s=lock_wait_s, lock_timeout=lock_timeout
            )
        finally:
            await conn.close()
    async with dsn_or_pool.acquire() as pooled:
        return await apply_migrations(
            pooled, migrations, lock_wait_s=lock_wait_s, lock_timeout=lock_timeout
        )
