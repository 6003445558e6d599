"""What the activities service learns from others: the organisations that may organise."""

from __future__ import annotations

import uuid
from datetime import date

from gongjian_activities.store import activities as store
from gongjian_kit.consumer import ConsumerSpec
from gongjian_kit.db import Connection
from gongjian_kit.events import Event
from gongjian_kit.runtime import Runtime

ORGANIZATIONS_TOPIC = "gongjian.organizations.v1"


async def organization_established(conn: Connection, event: Event) -> None:
    data = event.data
    await store.upsert_organization_ref(
        conn, uuid.UUID(data["organizationId"]), data["areaCode"], data["family"], data["kind"]
    )


async def organization_dissolved(conn: Connection, event: Event) -> None:
    await store.mark_organization_dissolved(
        conn, uuid.UUID(event.data["organizationId"]), date.fromisoformat(event.data["dissolvedOn"])
    )


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    settings = runtime.settings
    return [
        ConsumerSpec(
            name=f"{settings.topic_namespace}activities.organizations",
            topics=(settings.topic(ORGANIZATIONS_TOPIC),),
            handlers={
                "gongjian.organizations.organization.established.v1": organization_established,
                "gongjian.organizations.organization.dissolved.v1": organization_dissolved,
            },
        )
    ]
