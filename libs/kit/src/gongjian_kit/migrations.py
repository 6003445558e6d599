"""Ordered SQL migrations, applied once each, recorded with a checksum, under an advisory lock."""

from __future__ import annotations

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


async def apply_migrations(conn: Connection, migrations: list[Migration]) -> list[str]:
    """Apply what is not yet applied; return the names applied now."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
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
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    return applied_now


async def migrate(
    dsn_or_pool: asyncpg.Pool[asyncpg.Record], service_namespace: str, directory: Path
) -> list[str]:
    """Apply the kit's own tables (outbox, inbox) and then the service's migrations."""
    migrations = load_migrations("kit", KIT_MIGRATIONS) + load_migrations(
        service_namespace, directory
    )
    async with dsn_or_pool.acquire() as conn:
        return await apply_migrations(conn, migrations)
