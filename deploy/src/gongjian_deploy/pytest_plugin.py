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
from gongjian_kit.hardening import GATEWAY_HEADER


@pytest.fixture(scope="session")
def infra() -> Iterator[Stack]:
    """PostgreSQL and the broker (or DATABASE_URL / KAFKA_BOOTSTRAP), once per test run."""
    run_id = secrets.token_hex(3)
    workdir = Path(tempfile.mkdtemp(prefix="gongjian-test-"))
    stack = Stack(
        StackConfig(
            workdir=workdir,
            database_prefix=f"gjtest_{run_id}",
            topic_namespace=f"t{run_id}.",
            fast_unsafe_postgres=True,
            gateway_deduplicate=False,
            # Dates that pass (overdue cases, lapsed pledges) are noticed within a second.
            # Cases of fixed dates (the day before National Day 2026) may be logged in any year.
            extra_env={
                "DEADLINE_SWEEP_INTERVAL_S": "1",
                "CASE_BACKDATE_DAYS": "36500",
                "TARGET_CHECK_INTERVAL_S": "1",
            },
        )
    )
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
async def fresh_db(infra: Stack) -> AsyncIterator[asyncpg.Pool[asyncpg.Record]]:
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


def token_for(
    stack: Stack,
    role: str,
    area: str,
    orgs: list[str] | None = None,
    subject: str | None = None,
    *,
    person: str | None = None,
    more_roles: tuple[str, ...] = (),
) -> str:
    """A token of ``role`` (and ``more_roles``) over ``area``; ``orgs`` for ORG_ADMIN,
    ``person`` for the caller's own record (MEMBER)."""
    return issue_token(
        stack.config.jwt_secret,
        subject=subject or f"test-{role.lower()}",
        roles=[role, *more_roles],
        area=area,
        orgs=orgs,
        person=person,
    )


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


# 3301nn, then 3302nn …: counties 10–99 of each city (a county code below 10 is no district).
_district_numbers = iter(n for n in range(110, 1000) if n % 100 >= 10)

CREATE_AREA = """mutation($i: CreateAreaInput!) { createArea(input: $i) {
  area { code level parent { code } } errors { field code message messageZh messageEn } } }"""
REGISTER_UNIT = """mutation($i: RegisterUnitInput!) { registerUnit(input: $i) {
  unit { id name creditCode } errors { field code message } } }"""
ESTABLISH = """mutation($i: EstablishOrganizationInput!) { establishOrganization(input: $i) {
  organization { id name kind establishment } errors { field code message } } }"""
CREATE_ACTIVITY = """mutation($i: CreateActivityInput!) { createActivity(input: $i) {
  activity { id title } errors { field code message } } }"""


class District:
    """A fresh district for one test: its code, streets, communities and an admin's client."""

    def __init__(self, stack: Stack, url: str | None = None) -> None:
        number = next(_district_numbers)
        self.stack = stack
        county = f"33{number // 100:02d}{number % 100:02d}"
        self.code = f"{county}000000"
        self.streets = [f"{county}00{s}000" for s in (1, 2)]
        self.communities = [f"{street[:9]}00{c}" for street in self.streets for c in (1, 2)]
        self.url = url or stack.gateway_url
        self.admin = self.client("DISTRICT_ADMIN", self.code)
        self._credit = iter(range(10_000_000, 99_999_999))
        assert not self.admin.data(CREATE_AREA, {"i": {"code": self.code, "name": "测试区"}})[
            "createArea"
        ]["errors"]
        for i, street in enumerate(self.streets):
            self.admin.data(CREATE_AREA, {"i": {"code": street, "name": f"测试街道{i}"}})
        for i, community in enumerate(self.communities):
            self.admin.data(CREATE_AREA, {"i": {"code": community, "name": f"测试社区{i}"}})

    def client(
        self, role: str, area: str, orgs: list[str] | None = None, url: str | None = None
    ) -> GraphQLClient:
        """A client of the gateway, or of a subgraph as the gateway calls it (with its secret)."""
        headers = {GATEWAY_HEADER: self.stack.config.gateway_secret} if url else {}
        return GraphQLClient(
            url or self.url, token_for(self.stack, role, area, orgs), headers=headers
        )

    def credit_code(self) -> str:
        from gongjian_organizations.domain.credit_code import credit_code_check_char  # noqa: PLC0415

        body = f"91{self.code[:6]}{next(self._credit):08d}0"
        return body + credit_code_check_char(body)

    def unit(self, area: str, name: str = "测试科技有限公司", **counts: int) -> str:
        data = self.admin.data(
            REGISTER_UNIT,
            {
                "i": {
                    "name": name,
                    "kind": "NON_PUBLIC_ENTERPRISE",
                    "areaCode": area,
                    "creditCode": self.credit_code(),
                    **counts,
                }
            },
        )
        assert not data["registerUnit"]["errors"], data
        return str(data["registerUnit"]["unit"]["id"])

    def organization(
        self,
        area: str,
        units: list[str],
        kind: str = "PARTY_BRANCH",
        establishment: str = "STANDALONE",
        **extra: object,
    ) -> str:
        data = self.admin.data(
            ESTABLISH,
            {
                "i": {
                    "name": f"测试{kind}",
                    "kind": kind,
                    "establishment": establishment,
                    "areaCode": area,
                    "unitIds": units,
                    **extra,
                }
            },
        )
        assert not data["establishOrganization"]["errors"], data
        return str(data["establishOrganization"]["organization"]["id"])

    def activity_input(
        self, organizers: list[str], area: str, **extra: object
    ) -> dict[str, object]:
        return {
            "title": "学习培训",
            "line": "DUAL_CULTIVATION",
            "category": "TRAINING",
            "organizerIds": organizers,
            "areaCode": area,
            "startsAt": "2026-05-01T09:00:00+08:00",
            "endsAt": "2026-05-01T11:00:00+08:00",
            **extra,
        }

    def activity(self, organizers: list[str], area: str, timeout_s: float = 15.0) -> str:
        """Create an activity, waiting until the activities service has heard of the organisers."""
        import time  # noqa: PLC0415

        deadline = time.monotonic() + timeout_s
        while True:
            data = self.admin.data(CREATE_ACTIVITY, {"i": self.activity_input(organizers, area)})
            errors = data["createActivity"]["errors"]
            if not errors:
                return str(data["createActivity"]["activity"]["id"])
            if errors[0]["code"] != "NOT_FOUND" or time.monotonic() > deadline:
                raise AssertionError(errors)
            time.sleep(0.05)


@pytest.fixture
def district(stack: Stack) -> District:
    """A new district with two streets of two communities, through the gateway."""
    return District(stack)
