"""Ventures that lead people (双带): a person who starts a venture and the people it employs and
leads (带领群众数), registered by an area's admins and updated over time (every update kept)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from gongjian_activities.domain import commitments as domain
from gongjian_activities.domain.commitments import VentureKind
from gongjian_activities.store import commitments as store
from gongjian_activities.usecases.common import EVENT, Problems
from gongjian_kit import clock
from gongjian_kit.areas import is_area_code
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ErrorCode
from gongjian_kit.runtime import Runtime

MAX_NOTE = 500


@dataclass(frozen=True)
class VentureDraft:
    leader_person_id: uuid.UUID
    kind: VentureKind
    name: str
    area_code: str
    started_on: date
    people_employed: int
    people_led: int
    unit_id: uuid.UUID | None = None


def _base(row: asyncpg.Record) -> dict[str, Any]:
    return {"ventureId": str(row["id"]), "areaCode": row["area_code"], "kind": row["kind"]}


async def register_venture(runtime: Runtime, caller: Caller, draft: VentureDraft) -> asyncpg.Record:
    """Register a venture with its first figures (the first line of its history)."""
    today = clock.today()
    problems = Problems()
    for field, zh, en in domain.venture_problems(
        draft.name, draft.started_on, draft.people_employed, draft.people_led, today
    ):
        problems.bad(field, zh, en)
    if not is_area_code(draft.area_code):
        problems.bad("areaCode", "区划代码应为12位数字", "The area code must be 12 digits")
    elif not caller.can_see_area(draft.area_code):
        problems.add(
            "areaCode",
            ErrorCode.FORBIDDEN,
            "该区划不在您的管理范围内",
            "That area is outside your scope",
        )
    async with runtime.unit_of_work() as uow:
        leader = await store.person_status(uow.conn, draft.leader_person_id)
        if leader is None or not caller.can_see_area(leader["area_code"]):
            problems.add(
                "leaderPersonId",
                ErrorCode.NOT_FOUND,
                "带头人不存在或不在您的范围内",
                "The leader does not exist or is outside your scope",
            )
        elif found := domain.venture_leader_problem(draft.kind, leader["political_status"]):
            problems.bad(*found)
        problems.refuse()
        row = await store.insert_venture(
            uow.conn,
            {
                "id": uuid.uuid4(),
                "leader_person_id": draft.leader_person_id,
                "kind": draft.kind.value,
                "name": draft.name.strip(),
                "unit_id": draft.unit_id,
                "area_code": draft.area_code,
                "started_on": draft.started_on,
                "people_employed": draft.people_employed,
                "people_led": draft.people_led,
                "as_of": today,
                "created_by": caller.subject,
            },
        )
        await store.add_venture_update(
            uow.conn,
            row["id"],
            today,
            draft.people_employed,
            draft.people_led,
            None,
            caller.subject,
        )
        await uow.publish(
            f"{EVENT}venture.registered.v1",
            str(row["id"]),
            {
                **_base(row),
                "unitId": str(row["unit_id"]) if row["unit_id"] else None,
                "startedOn": row["started_on"].isoformat(),
                "peopleEmployed": row["people_employed"],
                "peopleLed": row["people_led"],
            },
        )
        return row


async def update_venture(
    runtime: Runtime,
    caller: Caller,
    venture_id: uuid.UUID,
    *,
    people_employed: int,
    people_led: int,
    note: str | None = None,
    as_of: date | None = None,
) -> asyncpg.Record:
    """New figures as of a day (today by default; not before the latest, not in the future)."""
    today = clock.today()
    day = as_of or today
    problems = Problems()
    for field, zh, en in domain.count_problems(people_employed, people_led):
        problems.bad(field, zh, en)
    if note is not None and len(note) > MAX_NOTE:
        problems.bad("note", "说明不超过500字", "The note is at most 500 characters")
    if day > today:
        problems.bad("asOf", "统计日期不能晚于今天", "asOf cannot be in the future")
    async with runtime.unit_of_work() as uow:
        row = await store.venture_for_update(uow.conn, venture_id)
        if row is None or not caller.can_see_area(row["area_code"]):
            problems.add(
                "id",
                ErrorCode.NOT_FOUND,
                "创业项目不存在或不在您的范围内",
                "The venture does not exist or is outside your scope",
            )
            problems.refuse()
        assert row is not None
        if day < row["as_of"]:
            problems.bad(
                "asOf",
                f"统计日期不能早于最近一次（{row['as_of'].isoformat()}）",
                f"asOf cannot be before the latest figures ({row['as_of'].isoformat()})",
            )
        problems.refuse()
        updated = await store.set_venture_figures(
            uow.conn, venture_id, people_employed, people_led, day
        )
        await store.add_venture_update(
            uow.conn,
            venture_id,
            day,
            people_employed,
            people_led,
            (note or "").strip() or None,
            caller.subject,
        )
        await uow.publish(
            f"{EVENT}venture.updated.v1",
            str(venture_id),
            {
                **_base(updated),
                "peopleEmployed": people_employed,
                "peopleLed": people_led,
                "asOf": day.isoformat(),
            },
        )
        return updated
