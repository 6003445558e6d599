"""Operators replay the DLQ and re-publish the outbox with the `gongjian` command, safely."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from gongjian_deploy.pytest_plugin import District
from gongjian_deploy.stack import Stack
from gongjian_kit.events import Event

pytestmark = pytest.mark.system

FIGURES = """query($c: String!) { area(code: $c) { stats { organizationCount activityCount } } }"""


def gongjian(stack: Stack, service: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as an operator would inside the service's deployment (its environment)."""
    env = {
        **os.environ,
        "SERVICE_NAME": service,
        "DATABASE_URL": stack.database(service),
        "KAFKA_BOOTSTRAP": stack.bootstrap,
        "TOPIC_NAMESPACE": stack.config.topic_namespace,
    }
    return subprocess.run(
        [sys.executable, "-m", "gongjian_deploy.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def duplicates_seen(stack: Stack) -> float:
    """Redelivered events the evaluation service ignored, from its metrics."""
    port = stack.config.service_ports["evaluation"]
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("gongjian_consumer_duplicates_total{")
    )


def figures(district: District, code: str) -> dict[str, int]:
    return dict(district.admin.data(FIGURES, {"c": code})["area"]["stats"] or {})


def wait_for(check, timeout_s: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.2)


async def to_dlq(stack: Stack, event: Event, error: str) -> None:
    """A message as the consumer of an older release would have dead-lettered it."""
    ns = stack.config.topic_namespace
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            f"{ns}gongjian.organizations.v1.dlq",
            value=event.to_json(),
            key=event.subject.encode(),
            headers=[
                ("ce_type", event.type.encode()),
                ("dlq_error", error.encode()),
                ("dlq_error_type", b"KeyError"),
                ("dlq_consumer", f"{ns}evaluation.stats".encode()),
                ("dlq_source_topic", f"{ns}gongjian.organizations.v1".encode()),
            ],
        )
    finally:
        await producer.stop()


def test_a_dead_lettered_event_is_replayed_once_and_reported(district: District):
    stack = district.stack
    community = district.communities[0]
    organization_id = str(uuid.uuid4())
    event = Event(
        type="gongjian.organizations.organization.established.v1",
        subject=organization_id,
        source="/gongjian/organizations",
        version=1,
        data={
            "organizationId": organization_id,
            "kind": "PARTY_BRANCH",
            "family": "PARTY",
            "establishment": "STANDALONE",
            "unitIds": [],
            "areaCode": community,
            "parentId": None,
            "hostOrganizationId": None,
            "foundedOn": None,
        },
    )
    asyncio.run(to_dlq(stack, event, "KeyError: 'family' (a bug since fixed)"))
    before = figures(district, community).get("organizationCount", 0)

    listed = gongjian(stack, "evaluation", "dlq", "list", "--consumer", "evaluation.stats")
    assert listed.returncode == 0, listed.stderr
    assert "gongjian.organizations.organization.established.v1" in listed.stdout
    assert "a bug since fixed" in listed.stdout

    replayed = gongjian(
        stack, "evaluation", "dlq", "replay", "--consumer", "evaluation.stats",
        "--since", (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    )  # fmt: skip
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "applied" in replayed.stdout
    assert figures(district, community)["organizationCount"] == before + 1

    again = gongjian(stack, "evaluation", "dlq", "replay", "--consumer", "evaluation.stats")
    assert "already applied" in again.stdout
    assert figures(district, community)["organizationCount"] == before + 1
    listed = gongjian(stack, "evaluation", "dlq", "list", "--consumer", "evaluation.stats")
    assert "[replayed: already applied]" in listed.stdout


def test_republishing_the_outbox_changes_no_figure(district: District):
    stack = district.stack
    community = district.communities[1]
    started = datetime.now(UTC) - timedelta(seconds=1)
    unit = district.unit(community)
    organization = district.organization(community, [unit])
    district.activity([organization], community)
    wanted = {"organizationCount": 1, "activityCount": 1}
    wait_for(lambda: figures(district, community) == wanted)

    duplicates_before = duplicates_seen(stack)
    for service in ("organizations", "activities"):
        done = gongjian(stack, service, "outbox", "republish", "--since", started.isoformat())
        assert done.returncode == 0, done.stderr
        assert " will be published again" in done.stdout
    assert "event(s)" in done.stdout

    async def backlog(service: str) -> int:
        conn = await asyncpg.connect(stack.database(service))
        try:
            return int(
                await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            )
        finally:
            await conn.close()

    wait_for(lambda: asyncio.run(backlog("organizations")) == 0)
    wait_for(lambda: asyncio.run(backlog("activities")) == 0)
    wait_for(lambda: duplicates_seen(stack) >= duplicates_before + 2)
    time.sleep(1)  # the copies have all been seen
    assert figures(district, community) == wanted
    status = gongjian(stack, "organizations", "outbox", "status")
    assert "backlog 0" in status.stdout
