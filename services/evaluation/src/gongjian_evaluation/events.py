"""How evaluation keeps its figures current from the organizations and activities topics."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime

import asyncpg

from gongjian_evaluation.store import stats as store
from gongjian_kit.areas import area_and_ancestors, area_level
from gongjian_kit.consumer import ConsumerSpec
from gongjian_kit.db import Connection
from gongjian_kit.events import Event
from gongjian_kit.runtime import Runtime, UnitOfWork

ORGANIZATIONS_TOPIC = "gongjian.organizations.v1"
ACTIVITIES_TOPIC = "gongjian.activities.v1"
DISTRICT_STATS_TOPIC = "gongjian.district-stats.v1"
STATS_CHANGED_CHANNEL = "gongjian_area_stats"
AREA_STATS_UPDATED = "gongjian.evaluation.area-stats.updated.v1"


async def publish_area_stats(uow: UnitOfWork, rows: list[asyncpg.Record]) -> None:
    """Tell subscribers (district data teams over Kafka, live GraphQL subscriptions) the figures."""
    await uow.publish_many(
        [
            (
                AREA_STATS_UPDATED,
                row["area_code"],
                {
                    "areaCode": row["area_code"],
                    "level": area_level(row["area_code"]).value,
                    "organizationCount": row["organization_count"],
                    "activityCount": row["activity_count"],
                    "updatedAt": row["updated_at"].isoformat(),
                },
            )
            for row in rows
        ]
    )
    # Every replica LISTENs, so each one's subscribers hear it; delivered when this commits.
    await uow.conn.execute(
        "SELECT pg_notify($1, $2)",
        STATS_CHANGED_CHANNEL,
        json.dumps([r["area_code"] for r in rows]),
    )


def handlers(runtime: Runtime) -> dict[str, Callable[[Connection, Event], Awaitable[None]]]:
    async def organization_changed(conn: Connection, event: Event) -> None:
        data = event.data
        dissolved = data.get("dissolvedOn")
        was, now = await store.set_organization_state(
            conn,
            uuid.UUID(data["organizationId"]),
            data["areaCode"],
            data["family"],
            date.fromisoformat(dissolved) if dissolved else None,
        )
        if was == now:
            return  # no change of state: no figure moves
        rows = []
        if was is not None:
            rows += await store.add_to_area_stats(conn, area_and_ancestors(was), organizations=-1)
        if now is not None:
            rows += await store.add_to_area_stats(conn, area_and_ancestors(now), organizations=1)
        await publish_area_stats(UnitOfWork(conn, runtime), rows)

    async def activity_created(conn: Connection, event: Event) -> None:
        data = event.data
        await store.record_activity(
            conn,
            [uuid.UUID(o) for o in data["organizerIds"]],
            datetime.fromisoformat(data["startsAt"]),
        )
        rows = await store.add_to_area_stats(
            conn, area_and_ancestors(data["areaCode"]), activities=1
        )
        await publish_area_stats(UnitOfWork(conn, runtime), rows)

    return {
        "gongjian.organizations.organization.established.v1": organization_changed,
        "gongjian.organizations.organization.dissolved.v1": organization_changed,
        "gongjian.activities.activity.created.v1": activity_created,
    }


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    settings = runtime.settings
    return [
        ConsumerSpec(
            name=f"{settings.topic_namespace}evaluation.stats",
            topics=(settings.topic(ORGANIZATIONS_TOPIC), settings.topic(ACTIVITIES_TOPIC)),
            handlers=handlers(runtime),
        )
    ]
