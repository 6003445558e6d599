"""What the activities service learns from others: the organisations that may organise, and
people (ids, area, age band: never names) with their current memberships and posts."""

from __future__ import annotations

import uuid
from datetime import date

from gongjian_activities.store import activities as store
from gongjian_activities.store import people
from gongjian_kit.consumer import ConsumerSpec
from gongjian_kit.db import Connection
from gongjian_kit.events import Event
from gongjian_kit.runtime import Runtime

ORGANIZATIONS_TOPIC = "gongjian.organizations.v1"


async def organization_established(conn: Connection, event: Event) -> None:
    data = event.data
    parent = data.get("parentId")
    await store.upsert_organization_ref(
        conn,
        uuid.UUID(data["organizationId"]),
        data["areaCode"],
        data["family"],
        data["kind"],
        uuid.UUID(parent) if parent else None,
    )


async def organization_dissolved(conn: Connection, event: Event) -> None:
    await store.mark_organization_dissolved(
        conn, uuid.UUID(event.data["organizationId"]), date.fromisoformat(event.data["dissolvedOn"])
    )


async def organization_renamed(conn: Connection, event: Event) -> None:
    await store.rename_organization_ref(
        conn, uuid.UUID(event.data["organizationId"]), event.data["name"]
    )


async def person_registered(conn: Connection, event: Event) -> None:
    data = event.data
    await people.upsert_person(
        conn,
        uuid.UUID(data["personId"]),
        data["areaCode"],
        data.get("ageBand"),
        data.get("politicalStatus"),
    )


async def political_status_changed(conn: Connection, event: Event) -> None:
    await people.set_political_status(conn, uuid.UUID(event.data["personId"]), event.data["to"])


async def membership_started(conn: Connection, event: Event) -> None:
    data = event.data
    await people.start_membership(
        conn,
        uuid.UUID(data["membershipId"]),
        uuid.UUID(data["personId"]),
        uuid.UUID(data["organizationId"]),
    )


async def membership_ended(conn: Connection, event: Event) -> None:
    await people.end_membership(conn, uuid.UUID(event.data["membershipId"]))


async def leader_appointed(conn: Connection, event: Event) -> None:
    data = event.data
    await people.start_membership(
        conn,
        uuid.UUID(data["leaderId"]),
        uuid.UUID(data["personId"]),
        uuid.UUID(data["organizationId"]),
    )


async def leader_term_ended(conn: Connection, event: Event) -> None:
    await people.end_membership(conn, uuid.UUID(event.data["leaderId"]))


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    settings = runtime.settings
    return [
        ConsumerSpec(
            name=f"{settings.topic_namespace}activities.organizations",
            topics=(settings.topic(ORGANIZATIONS_TOPIC),),
            handlers={
                "gongjian.organizations.organization.established.v1": organization_established,
                "gongjian.organizations.organization.dissolved.v1": organization_dissolved,
                "gongjian.organizations.organization.renamed.v1": organization_renamed,
                "gongjian.organizations.person.registered.v1": person_registered,
                "gongjian.organizations.person.political-status-changed.v1": (
                    political_status_changed
                ),
                "gongjian.organizations.membership.started.v1": membership_started,
                "gongjian.organizations.membership.ended.v1": membership_ended,
                "gongjian.organizations.leader.appointed.v1": leader_appointed,
                "gongjian.organizations.leader.term-ended.v1": leader_term_ended,
            },
        )
    ]
