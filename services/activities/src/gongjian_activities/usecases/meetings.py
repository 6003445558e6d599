"""Joint meetings of party, union, league and women (联席会议): the record of a JOINT_MEETING
activity (who attended, from which family; the minutes) and its decisions, each owned by an
organisation with a due day, followed until done or dropped; open decisions past their day are
overdue, and the sweep says so once.

The record is kept by those who keep one of the meeting's organisers (UPKEEP); a decision is
moved by them or by those who keep the organisation that owns it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from gongjian_activities.domain import activities as activity_domain
from gongjian_activities.domain import commitments as domain
from gongjian_activities.domain.activities import ActivityCategory, ActivityStatus
from gongjian_activities.domain.commitments import DecisionStatus
from gongjian_activities.store import activities as activity_store
from gongjian_activities.store import commitments as store
from gongjian_activities.usecases.common import (
    EVENT,
    Problems,
    checked_reason,
    managed_activity,
    manages,
    refuse,
    status_refusal,
)
from gongjian_kit import clock, policy
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ErrorCode
from gongjian_kit.policy import Resource
from gongjian_kit.runtime import Runtime, UnitOfWork

RECORDABLE = frozenset({ActivityStatus.ONGOING, ActivityStatus.COMPLETED})


@dataclass(frozen=True)
class Attendance:
    organization_id: uuid.UUID
    attendee_count: int


@dataclass(frozen=True)
class DecisionDraft:
    content: str
    owner_organization_id: uuid.UUID
    due_on: date


@dataclass(frozen=True)
class Recorded:
    meeting: asyncpg.Record
    decisions: list[asyncpg.Record]  # the decisions added by this record


def decision_data(row: asyncpg.Record) -> dict[str, Any]:
    """What every decision event carries: ids, codes and dates; never the decision's text."""
    return {
        "decisionId": str(row["id"]),
        "activityId": str(row["activity_id"]),
        "areaCode": row["area_code"],
        "ownerOrganizationId": str(row["owner_organization_id"]),
        "dueOn": row["due_on"].isoformat(),
        "status": row["status"],
    }


async def _publish(uow: UnitOfWork, verb: str, row: asyncpg.Record, **extra: Any) -> None:
    await uow.publish(f"{EVENT}decision.{verb}.v1", str(row["id"]), {**decision_data(row), **extra})


def input_problems(
    attendees: list[Attendance], minutes: str | None, decisions: list[DecisionDraft]
) -> Problems:
    """Every problem of the record that needs no database."""
    problems = Problems()
    if not 1 <= len(attendees) <= domain.MAX_ATTENDEES:
        problems.bad(
            "attendees",
            f"须登记1至{domain.MAX_ATTENDEES}个参会组织",
            f"A meeting has 1 to {domain.MAX_ATTENDEES} attending organisations",
        )
    seen: set[uuid.UUID] = set()
    for i, a in enumerate(attendees):
        if a.organization_id in seen:
            problems.bad(
                f"attendees[{i}].organizationId",
                "参会组织重复",
                "That organisation is listed twice",
            )
        seen.add(a.organization_id)
        if not 1 <= a.attendee_count <= domain.MAX_ATTENDEE_COUNT:
            problems.bad(
                f"attendees[{i}].attendeeCount",
                f"参会人数须为1至{domain.MAX_ATTENDEE_COUNT}",
                f"attendeeCount must be 1 to {domain.MAX_ATTENDEE_COUNT}",
            )
    if minutes is not None and len(minutes) > domain.MAX_MINUTES:
        problems.bad(
            "minutes",
            f"会议纪要不超过{domain.MAX_MINUTES}字",
            f"The minutes are at most {domain.MAX_MINUTES} characters",
        )
    if len(decisions) > domain.MAX_DECISIONS:
        problems.bad(
            "decisions",
            f"一次最多登记{domain.MAX_DECISIONS}项决定",
            f"At most {domain.MAX_DECISIONS} decisions at a time",
        )
    for i, d in enumerate(decisions):
        if found := domain.text_problem(
            d.content, f"decisions[{i}].content", domain.MAX_CONTENT, "决定事项"
        ):
            problems.bad(*found)
    return problems


async def record_joint_meeting(
    runtime: Runtime,
    caller: Caller,
    activity_id: uuid.UUID,
    *,
    attendees: list[Attendance],
    minutes: str | None,
    decisions: list[DecisionDraft],
) -> Recorded:
    """Record (or record again) a joint meeting: the attendees and minutes are replaced, the
    decisions given are added (decisions already made are never deleted)."""
    problems = input_problems(attendees, minutes, decisions)
    problems.refuse()
    async with runtime.unit_of_work() as uow:
        conn = uow.conn
        locked = await activity_store.activity_for_update(conn, activity_id)
        activity = await managed_activity(conn, caller, locked, "activityId")
        if activity["category"] != ActivityCategory.JOINT_MEETING:
            label = activity_domain.CATEGORY_LABELS[ActivityCategory(activity["category"])]
            raise refuse(
                "activityId",
                ErrorCode.CONFLICT,
                f"该活动为“{label}”，只有联席会议可以记录会议与决定",
                "Only an activity of category JOINT_MEETING records a joint meeting",
            )
        status = ActivityStatus(activity["status"])
        if status not in RECORDABLE:
            raise status_refusal(status, "记录联席会议", "recorded as a joint meeting")
        day = activity["starts_at"].astimezone(clock.zone()).date()
        for i, d in enumerate(decisions):
            if found := domain.decision_due_problem(d.due_on, day, f"decisions[{i}]."):
                problems.bad(*found)
        refs = await store.organizations_with_family(
            conn,
            list(
                {a.organization_id for a in attendees}
                | {d.owner_organization_id for d in decisions}
            ),
        )
        for i, a in enumerate(attendees):
            ref = refs.get(a.organization_id)
            field = f"attendees[{i}].organizationId"
            if ref is None or not caller.can_see_area(ref["area_code"]):
                problems.add(
                    field,
                    ErrorCode.NOT_FOUND,
                    "参会组织不存在或不在您的范围内",
                    "The organisation does not exist or is outside your scope",
                )
            elif ref["dissolved_on"] is not None and ref["dissolved_on"] < day:
                problems.add(
                    field,
                    ErrorCode.CONFLICT,
                    "该组织在会议前已撤销",
                    "That organisation was dissolved before the meeting",
                )
        for i, d in enumerate(decisions):
            ref = refs.get(d.owner_organization_id)
            field = f"decisions[{i}].ownerOrganizationId"
            if ref is None or not caller.can_see_area(ref["area_code"]):
                problems.add(
                    field,
                    ErrorCode.NOT_FOUND,
                    "责任组织不存在或不在您的范围内",
                    "The owning organisation does not exist or is outside your scope",
                )
            elif ref["dissolved_on"] is not None:
                problems.add(
                    field,
                    ErrorCode.CONFLICT,
                    "责任组织已撤销，不能承担决定事项",
                    "The owning organisation has been dissolved",
                )
        problems.refuse()
        meeting = await store.upsert_meeting(
            conn,
            activity_id,
            activity["area_code"],
            (minutes or "").strip() or None,
            caller.subject,
        )
        await store.replace_attendees(
            conn,
            activity_id,
            [
                (a.organization_id, refs[a.organization_id]["family"], a.attendee_count)
                for a in attendees
            ],
        )
        added = await store.insert_decisions(
            conn,
            activity_id,
            activity["area_code"],
            day,
            [
                (uuid.uuid4(), d.content.strip(), d.owner_organization_id, d.due_on)
                for d in decisions
            ],
            caller.subject,
        )
        added = sorted(added, key=lambda r: r["seq"])
        for row in added:
            await _publish(uow, "made", row)
        return Recorded(meeting=meeting, decisions=added)


def sees_decision(caller: Caller, row: asyncpg.Record) -> bool:
    """In the caller's records: their area; for ORG_ADMIN, decisions their organisations own
    or of meetings they organised."""
    if not policy.allows(caller, Resource.RECORDS) or not caller.can_see_area(row["area_code"]):
        return False
    reach = policy.reach(caller, Resource.RECORDS)
    if reach.area:
        return True
    own = set(reach.own_orgs or ())
    return row["owner_organization_id"] in own or bool(own & set(row["organizer_ids"] or ()))


async def _kept_decision(uow: UnitOfWork, caller: Caller, decision_id: uuid.UUID) -> asyncpg.Record:
    row = await store.decision_for_update(uow.conn, decision_id)
    if row is None or not sees_decision(caller, row):
        raise refuse(
            "id",
            ErrorCode.NOT_FOUND,
            "决定事项不存在或不在您的范围内",
            "The decision does not exist or is outside your scope",
        )
    kept = [row["owner_organization_id"], *(row["organizer_ids"] or [])]
    if not await manages(uow.conn, caller, kept):
        raise refuse(
            "id",
            ErrorCode.FORBIDDEN,
            "只有责任组织或会议主办组织的管理者可以办理决定事项",
            "Only those who keep the owning organisation or an organiser may do this",
        )
    return row


def _check_move(row: asyncpg.Record, target: DecisionStatus) -> None:
    current = DecisionStatus(row["status"])
    if not domain.can_move_decision(current, target):
        raise refuse("status", ErrorCode.CONFLICT, *domain.decision_refusal(current, target))


async def complete_decision(
    runtime: Runtime, caller: Caller, decision_id: uuid.UUID, outcome: str
) -> asyncpg.Record:
    """落实: what was done; on time when done by the due day."""
    if found := domain.text_problem(outcome, "outcome", domain.MAX_EVIDENCE, "落实情况"):
        raise refuse(found[0], ErrorCode.BAD_USER_INPUT, found[1], found[2])
    async with runtime.unit_of_work() as uow:
        row = await _kept_decision(uow, caller, decision_id)
        _check_move(row, DecisionStatus.DONE)
        today = clock.today()
        on_time = domain.on_time(row["due_on"], today)
        updated = await store.update_decision(
            uow.conn,
            decision_id,
            {
                "status": DecisionStatus.DONE.value,
                "outcome": outcome.strip(),
                "done_on": today,
                "on_time": on_time,
            },
        )
        await _publish(uow, "done", updated, doneOn=today.isoformat(), onTime=on_time)
        return updated


async def drop_decision(
    runtime: Runtime, caller: Caller, decision_id: uuid.UUID, reason: str
) -> asyncpg.Record:
    """撤销 with a reason (kept here; events carry no text)."""
    reason = checked_reason(
        reason, "撤销原因不能为空且不超过500字", "The reason must be 1 to 500 characters"
    )
    async with runtime.unit_of_work() as uow:
        row = await _kept_decision(uow, caller, decision_id)
        _check_move(row, DecisionStatus.DROPPED)
        today = clock.today()
        updated = await store.update_decision(
            uow.conn,
            decision_id,
            {"status": DecisionStatus.DROPPED.value, "drop_reason": reason, "dropped_on": today},
        )
        await _publish(uow, "dropped", updated, droppedOn=today.isoformat())
        return updated


async def raise_overdue_decisions(runtime: Runtime, batch: int = 200) -> int:
    """Open decisions past their due day: decision.overdue once each (marked). One batch per
    transaction; replicas skip each other's rows. Returns how many."""
    async with runtime.unit_of_work() as uow:
        rows = await store.overdue_unraised(uow.conn, clock.today(), batch)
        if not rows:
            return 0
        for row in await store.mark_overdue(uow.conn, [r["id"] for r in rows]):
            await _publish(uow, "overdue", row)
        return len(rows)
