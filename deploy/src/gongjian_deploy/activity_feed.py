"""For tests of the evaluation service: the activities service's events, published as it would
(per-subject versions, key = subject), and a wait until evaluation has taken them."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from gongjian_deploy.pytest_plugin import District
from gongjian_deploy.stack import Stack
from gongjian_kit.events import Event, EventCatalog

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ROOT / "services/activities/src/gongjian_activities/event_schemas"
CONTRACTS = EventCatalog(SCHEMAS, source="/gongjian/activities")
TYPE = "gongjian.activities.{}.v1"


class ActivityFeed:
    """Publishes activities' events as that service would and waits until evaluation took them."""

    def __init__(self, district: District) -> None:
        self.district = district
        self.stack: Stack = district.stack
        self.versions: Counter[str] = Counter()
        ns = self.stack.config.topic_namespace
        self.topic = f"{ns}gongjian.activities.v1"
        self.consumer = f"{ns}evaluation.stats"
        self.evaluation = district.client(
            "DISTRICT_ADMIN", district.code, url=self.stack.service_url("evaluation")
        )

    def event(self, kind: str, subject: str, data: dict[str, Any]) -> Event:
        self.versions[subject] += 1
        return CONTRACTS.new(TYPE.format(kind), subject, data, version=self.versions[subject])

    async def send(self, *events: Event) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.stack.bootstrap, acks="all")
        await producer.start()
        try:
            for event in events:
                await producer.send_and_wait(
                    self.topic, value=event.to_json(), key=event.subject.encode()
                )
        finally:
            await producer.stop()
        await self.taken(*events)

    async def taken(self, *events: Event, timeout_s: float = 20.0) -> None:
        """Until every event has its inbox row (applied, or ignored as stale). A dead-lettered
        event gets no inbox row: the assertion says why, from the service's log."""
        ids = [uuid.UUID(e.id) for e in events]
        conn = await asyncpg.connect(self.stack.database("evaluation"))
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                found = await conn.fetchval(
                    "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = ANY($2)",
                    self.consumer,
                    ids,
                )
                if found == len(set(ids)):
                    return
                assert time.monotonic() < deadline, (
                    f"{len(ids) - found} events not taken; {self.dead_letters()}"
                )
                await asyncio.sleep(0.05)
        finally:
            await conn.close()

    def dead_letters(self) -> list[str]:
        """What the evaluation service dead-lettered, from its log: why an event was not taken."""
        log = self.stack.config.workdir / "logs" / "evaluation.log"
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [line for line in lines if "dead-lettering" in line][-5:]
