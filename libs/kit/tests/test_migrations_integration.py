import asyncio
from pathlib import Path

import pytest

from gongjian_kit.migrations import MigrationError, apply_migrations, load_migrations

pytestmark = pytest.mark.integration


def write(directory: Path, name: str, sql: str) -> None:
    (directory / name).write_text(sql)


async def test_each_migration_applies_once(fresh_db, tmp_path):
    write(tmp_path, "0001_things.sql", "CREATE TABLE thing (id int PRIMARY KEY);")
    write(tmp_path, "0002_more.sql", "ALTER TABLE thing ADD COLUMN name text;")
    async with fresh_db.acquire() as conn:
        first = await apply_migrations(conn, load_migrations("svc", tmp_path))
        second = await apply_migrations(conn, load_migrations("svc", tmp_path))
    assert first == ["svc/0001_things", "svc/0002_more"]
    assert second == []


async def test_replicas_starting_together_apply_once(fresh_db, tmp_path):
    write(tmp_path, "0001_things.sql", "CREATE TABLE thing (id int PRIMARY KEY);")
    migrations = load_migrations("svc", tmp_path)

    async def replica() -> list[str]:
        async with fresh_db.acquire() as conn:
            return await apply_migrations(conn, migrations)

    results = await asyncio.gather(*(replica() for _ in range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]


async def test_an_edited_migration_is_refused(fresh_db, tmp_path):
    write(tmp_path, "0001_things.sql", "CREATE TABLE thing (id int PRIMARY KEY);")
    async with fresh_db.acquire() as conn:
        await apply_migrations(conn, load_migrations("svc", tmp_path))
        write(tmp_path, "0001_things.sql", "CREATE TABLE thing (id bigint PRIMARY KEY);")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await apply_migrations(conn, load_migrations("svc", tmp_path))


async def test_a_failing_migration_leaves_nothing_behind(fresh_db, tmp_path):
    write(tmp_path, "0001_bad.sql", "CREATE TABLE half (id int); SELECT no_such_function();")
    async with fresh_db.acquire() as conn:
        with pytest.raises(Exception, match="no_such_function"):
            await apply_migrations(conn, load_migrations("svc", tmp_path))
        assert await conn.fetchval("SELECT to_regclass('half')") is None
        assert (
            await conn.fetchval("SELECT count(*) FROM schema_migrations WHERE namespace = 'svc'")
            == 0
        )
