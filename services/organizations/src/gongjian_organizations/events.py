"""What the organizations service hears from the others: its first consumer.

推优入党 (evaluation's recommendations): a person who becomes a probationary Party member (预备党员)
or a full member (正式党员) there has their political status changed here, dated the stage's day,
through the same SQL as a change by hand (the status history row, then the
``person.political-status-changed`` event, in the consumer's transaction). The kit's inbox
drops a redelivered event; a person already of that status (or further along) is left alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date

from gongjian_kit.consumer import ConsumerSpec
from gongjian_kit.db import Connection
from gongjian_kit.events import Event
from gongjian_kit.runtime import Runtime, UnitOfWork
from gongjian_organizations.domain.people import PoliticalStatus
from gongjian_organizations.store import people as people_store
from gongjian_organizations.usecases import EVENT

EVALUATION_TOPIC = "gongjian.evaluation.v1"
RECOMMENDATION_ADVANCED = "gongjian.evaluation.recommendation.advanced.v1"
# The stage of a recommendation that makes a political status, and how far along each is.
STATUS_OF_STAGE = {
    "PROBATIONARY": PoliticalStatus.PROBATIONARY_PARTY_MEMBER,
    "FULL_MEMBER": PoliticalStatus.PARTY_MEMBER,
}
RANK = {
    PoliticalStatus.MASSES: 0,
    PoliticalStatus.LEAGUE_MEMBER: 0,
    PoliticalStatus.PROBATIONARY_PARTY_MEMBER: 1,
    PoliticalStatus.PARTY_MEMBER: 2,
}


def recommendation_advanced(runtime: Runtime) -> Callable[[Connection, Event], Awaitable[None]]:
    async def handle(conn: Connection, event: Event) -> None:
        status = STATUS_OF_STAGE.get(event.data["stage"])
        if status is None:
            return  # an activist or a candidate: no change of political status
        person_id = uuid.UUID(event.data["personId"])
        person = await people_store.lock_person(conn, person_id, "%")
        if person is None:
            return  # not a person of this register
        current = PoliticalStatus(person["political_status"])
        if RANK[current] >= RANK[status]:
            return  # already that status, or further along: nothing to do
        since = date.fromisoformat(event.data["on"])
        actor = f"evaluation:recommendation:{event.data['recommendationId']}"
        await people_store.change_status(conn, person_id, status.value, since, actor)
        await UnitOfWork(conn, runtime).publish(
            f"{EVENT}person.political-status-changed.v1",
            str(person_id),
            {
                "personId": str(person_id),
                "areaCode": person["area_code"],
                "from": current.value,
                "to": status.value,
                "since": since.isoformat(),
            },
        )

    return handle


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    settings = runtime.settings
    return [
        ConsumerSpec(
            name=f"{settings.topic_namespace}organizations.evaluation",
            topics=(settings.topic(EVALUATION_TOPIC),),
            handlers={RECOMMENDATION_ADVANCED: recommendation_advanced(runtime)},
        )
    ]
