"""Service pledges (为民服务承诺制): an organisation's, or a party member's, public commitment
with a due date; its fulfilment with evidence; its lapse when the due day passes unfulfilled.

Who keeps a pledge is the policy's UPKEEP (write): the admins of its area, and ORG_ADMIN for its
own organisations' pledges and for those of the party members among its own members. Events
carry no text and no person: a member's pledge says MEMBER, not who.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from gongjian_activities.domain import commitments as domain
from gongjian_activities.domain.commitments import PledgerKind, PledgeStatus
from gongjian_activities.store import activities as activity_store
from gongjian_activities.store import commitments as store
from gongjian_activities.usecases.common import EVENT, Problems, refuse
from gongjian_kit import clock, policy
from gongjian_kit.areas import is_area_code
from gongjian_kit.auth import Caller
from gongjian_kit.db import Executor
from gongjian_kit.errors import ErrorCode
from gongjian_kit.policy import Action, Reach, Resource
from gongjian_kit.runtime import Runtime, UnitOfWork


def pledge_data(row: asyncpg.Record) -> dict[str, Any]:
    """What every pledge event carries: ids, codes and dates only."""
    return {
        "pledgeId": str(row["id"]),
        "areaCode": row["area_code"],
        "organizationId": str(row["organization_id"]) if row["organization_id"] else None,
        "pledgerKind": row["pledger_kind"],
        "dueOn": row["due_on"].isoformat(),
        "status": row["status"],
    }


async def _publish(uow: UnitOfWork, verb: str, row: asyncpg.Record, **extra: Any) -> None:
    await uow.publish(f"{EVENT}pledge.{verb}.v1", str(row["id"]), {**pledge_data(row), **extra})


def _keeper(caller: Caller) -> Reach:
    return policy.reach(caller, Resource.UPKEEP, Action.WRITE)


async def _organization_problems(
    conn: Executor, caller: Caller, org_id: uuid.UUID, area_code: str, problems: Problems
) -> None:
    ref = (await store.organizations_with_family(conn, [org_id])).get(org_id)
    if ref is None or not caller.can_see_area(ref["area_code"]):
        problems.add(
            "organizationId",
            ErrorCode.NOT_FOUND,
            "承诺组织不存在或不在您的范围内",
            "The organisation does not exist or is outside your scope",
        )
    elif ref["dissolved_on"] is not None:
        problems.add(
            "organizationId",
            ErrorCode.CONFLICT,
            "该组织已撤销，不能再作出承诺",
            "That organisation has been dissolved",
        )
    elif not _keeper(caller).admits_organization(org_id, ref["area_code"]):
        problems.add(
            "organizationId",
            ErrorCode.FORBIDDEN,
            "只能为本组织登记承诺",
            "You may record pledges of your own organisation only",
        )
    elif not ref["area_code"].startswith(area_code[:6]):
        problems.bad(
            "organizationId",
            "承诺组织须在承诺所在区县",
            "The organisation must be in the pledge's district",
        )


async def _member_problems(
    conn: Executor, caller: Caller, person_id: uuid.UUID, problems: Problems
) -> None:
    """A party member (full or on probation) the caller keeps: of their area, or (ORG_ADMIN) a
    current member of one of their organisations."""
    person = await store.person_status(conn, person_id)
    reach = _keeper(caller)
    kept = person is not None and (
        (reach.area and caller.can_see_area(person["area_code"]))
        or (
            bool(reach.own_orgs)
            and await store.is_current_member(conn, person_id, list(reach.own_orgs or ()))
        )
    )
    if person is None or not kept:
        problems.add(
            "personId",
            ErrorCode.NOT_FOUND,
            "承诺人不存在或不在您的范围内",
            "The person does not exist or is outside your scope",
        )
    elif person["political_status"] not in domain.PLEDGING_STATUSES:
        problems.bad(
            "personId",
            "只有党员（含预备党员）可以作出党员承诺",
            "Only party members (full or probationary) may make a member's pledge",
        )


async def make_pledge(
    runtime: Runtime,
    caller: Caller,
    *,
    area_code: str,
    content: str,
    due_on: date,
    organization_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    made_on: date | None = None,
) -> asyncpg.Record:
    """A pledge, made (today unless said otherwise): every problem of the input at once."""
    today = clock.today()
    made_on = made_on or today
    problems = Problems()
    for field, zh, en in domain.pledge_problems(content, made_on, due_on, today):
        problems.bad(field, zh, en)
    if (organization_id is None) == (person_id is None):
        problems.bad(
            "pledger",
            "承诺主体须为组织（organizationId）或党员（personId）之一",
            "The pledger is an organisation (organizationId) or a party member (personId)",
        )
    if not is_area_code(area_code):
        problems.bad("areaCode", "区划代码应为12位数字", "The area code must be 12 digits")
    elif not caller.can_see_area(area_code):
        problems.add(
            "areaCode",
            ErrorCode.FORBIDDEN,
            "该区划不在您的管理范围内",
            "That area is outside your scope",
        )
    problems.refuse()
    async with runtime.unit_of_work() as uow:
        if organization_id is not None:
            await _organization_problems(uow.conn, caller, organization_id, area_code, problems)
        elif person_id is not None:
            await _member_problems(uow.conn, caller, person_id, problems)
        problems.refuse()
        row = await store.insert_pledge(
            uow.conn,
            {
                "id": uuid.uuid4(),
                "area_code": area_code,
                "pledger_kind": (
                    PledgerKind.ORGANIZATION if organization_id else PledgerKind.MEMBER
                ).value,
                "organization_id": organization_id,
                "person_id": person_id,
                "content": content.strip(),
                "made_on": made_on,
                "due_on": due_on,
                "created_by": caller.subject,
            },
        )
        await _publish(uow, "made", row, madeOn=row["made_on"].isoformat())
        return row


async def keeps_pledge(conn: Executor, caller: Caller, row: asyncpg.Record) -> bool:
    """Whether the caller keeps this pledge (UPKEEP): its area's admins; ORG_ADMIN for its own
    organisations' pledges and their members'."""
    if not policy.allows(caller, Resource.UPKEEP, Action.WRITE):
        return False
    if not caller.can_see_area(row["area_code"]):
        return False
    reach = _keeper(caller)
    if reach.area:
        return True
    own = list(reach.own_orgs or ())
    if row["organization_id"] is not None:
        return row["organization_id"] in own
    return bool(own) and await store.is_current_member(conn, row["person_id"], own)


async def fulfil_pledge(
    runtime: Runtime,
    caller: Caller,
    pledge_id: uuid.UUID,
    *,
    evidence: str,
    evidence_activity_id: uuid.UUID | None = None,
    fulfilled_on: date | None = None,
) -> asyncpg.Record:
    """践诺: with evidence (and the activity that shows it, if any); on time when fulfilled by the
    due day. A lapsed pledge may still be fulfilled, late."""
    today = clock.today()
    day = fulfilled_on or today
    async with runtime.unit_of_work() as uow:
        row = await store.pledge_for_update(uow.conn, pledge_id)
        if row is None or not await keeps_pledge(uow.conn, caller, row):
            raise refuse(
                "id",
                ErrorCode.NOT_FOUND,
                "承诺不存在或不在您的范围内",
                "The pledge does not exist or is outside your scope",
            )
        problems = Problems()
        for field, zh, en in domain.fulfilment_problems(evidence, day, row["made_on"], today):
            problems.bad(field, zh, en)
        if evidence_activity_id is not None:
            reach = policy.reach(caller, Resource.RECORDS)
            [activity] = await activity_store.activities_by_id(
                uow.conn, [evidence_activity_id], reach.area_like, reach.organizations_only
            )
            if activity is None:
                problems.add(
                    "evidenceActivityId",
                    ErrorCode.NOT_FOUND,
                    "佐证活动不存在或不在您的范围内",
                    "The activity does not exist or is outside your scope",
                )
        problems.refuse()
        current = PledgeStatus(row["status"])
        if not domain.can_fulfil(current):
            raise refuse("status", ErrorCode.CONFLICT, *domain.pledge_refusal(current))
        updated = await store.fulfil_pledge(
            uow.conn,
            pledge_id,
            evidence.strip(),
            evidence_activity_id,
            day,
            domain.on_time(row["due_on"], day),
        )
        await _publish(
            uow,
            "fulfilled",
            updated,
            madeOn=updated["made_on"].isoformat(),
            fulfilledOn=day.isoformat(),
            onTime=updated["on_time"],
        )
        return updated


async def lapse_pledges(runtime: Runtime, batch: int = 200) -> int:
    """Pledges whose due day passed unfulfilled become LAPSED (pledge.lapsed, once each). One
    batch per transaction; replicas skip each other's rows. Returns how many."""
    async with runtime.unit_of_work() as uow:
        rows = await store.lapsing_pledges(uow.conn, clock.today(), batch)
        if not rows:
            return 0
        for row in await store.mark_lapsed(uow.conn, [r["id"] for r in rows]):
            await _publish(uow, "lapsed", row)
        return len(rows)
