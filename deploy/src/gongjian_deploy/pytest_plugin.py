"""Pytest fixtures: the real PostgreSQL and broker once per run, the whole stack on demand.

Tests never share names with a `make up` beside them: databases and topics get a per-run prefix,
and every port is picked free.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.stack import Stack, StackConfig
from gongjian_kit.auth import issue_token


@pytest.fixture(scope="session")
def infra() -> Iterator[Stack]:
    """PostgreSQL and the broker (or DATABASE_URL / KAFKA_BOOTSTRAP), once per test run."""
    run_id = secrets.token_hex(3)
    workdir = Path(tempfile.mkdtemp(prefix="gongjian-test-"))
    stack = Stack(StackConfig(workdir=workdir, database_prefix=f"gjtest_{run_id}",
                              topic_namespace=f"t{run_id}.", fast_unsafe_postgres=True,
                              gateway_deduplicate=False))
    try:
        stack.start_infrastructure()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def stack(infra: Stack) -> Stack:
    """The three services and the gateway, started once, on top of ``infra``."""
    if not infra.parts:
        infra.start_services()
        infra.start_gateway()
    return infra


@pytest.fixture
async def fresh_db(infra: Stack) -> AsyncIterator[asyncpg.Pool]:
    """An empty database of its own for one test, with the kit's tables."""
    from gongjian_deploy.infra import database_url  # noqa: PLC0415
    from gongjian_kit.db import create_pool  # noqa: PLC0415
    from gongjian_kit.migrations import KIT_MIGRATIONS, apply_migrations, load_migrations  # noqa: PLC0415

    name = f"gjtest_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(infra.server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    pool = await create_pool(database_url(infra.server_url, name), min_size=1, max_size=8)
    async with pool.acquire() as conn:
        await apply_migrations(conn, load_migrations("kit", KIT_MIGRATIONS))
    try:
        yield pool
    finally:
        await pool.close()


def token_for(stack: Stack, role: str, area: str, orgs: list[str] | None = None,
              subject: str | None = None) -> str:
    return issue_token(stack.config.jwt_secret, subject=subject or f"test-{role.lower()}",
                       roles=[role], area=area, orgs=orgs)


@pytest.fixture(scope="session")
def gateway(stack: Stack) -> Iterator[GraphQLClient]:
    """A district admin of the whole test district, calling the gateway."""
    client = GraphQLClient(stack.gateway_url, token_for(stack, "DISTRICT_ADMIN", "330199000000"))
    yield client
    client.close()


async def wait_until(predicate: object, timeout_s: float = 10.0, interval_s: float = 0.05) -> None:
    """Poll an async predicate until it is true, or fail after ``timeout_s``."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await predicate()  # type: ignore[operator]
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(interval_s)
