"""Activities: logging, editing and the lifecycle PLANNED → PUBLISHED → ONGOING → COMPLETED |
CANCELLED, each step by its own mutation, each refusal naming the current status."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from gongjian_activities.domain import activities as domain
from gongjian_activities.domain.activities import (
    ActivityCategory,
    ActivityStatus,
    LineOfWork,
    ServiceKind,
)
from gongjian_activities.store import activities as store
from gongjian_activities.store import participations as participation_store
from gongjian_activities.usecases.common import (
    EVENT,
    Problems,
    activity_data,
    checked_reason,
    managed_activity,
    refuse,
    status_refusal,
)
from gongjian_kit import clock, policy
from gongjian_kit.areas import is_area_code
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ErrorCode
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime, UnitOfWork

MAX_ORGANIZERS = 20
MAX_TEXT = 5000


@dataclass(frozen=True)
class ActivityDraft:
    """What an organiser states about an activity (creating it, or all of it when editing)."""

    title: str
    line: LineOfWork
    category: ActivityCategory
    starts_at: datetime
    ends_at: datetime | None
    place: str | None
    description: str | None = None
    capacity: int | None = None
    service_kind: ServiceKind | None = None


def draft_problems(draft: ActivityDraft, problems: Problems) -> None:
    title = draft.title.strip()
    if not title or len(title) > 200:
        problems.bad(
            "title", "活动名称不能为空且不超过200字", "The title must be 1 to 200 characters"
        )
    for field, zh, en in domain.schedule_problems(draft.starts_at, draft.ends_at):
        problems.bad(field, zh, en)
    for field, zh, en in domain.service_kind_problems(draft.category, draft.service_kind):
        problems.bad(field, zh, en)
    if draft.capacity is not None and not 1 <= draft.capacity <= 100_000:
        problems.bad("capacity", "人数上限须在1至100000之间", "Capacity must be 1 to 100000")
    if draft.description is not None and len(draft.description) > MAX_TEXT:
        problems.bad(
            "description", "活动简介不超过5000字", "The description is at most 5000 characters"
        )
    if draft.place is not None and len(draft.place) > 200:
        problems.bad("place", "地点不超过200字", "The place is at most 200 characters")


def draft_columns(draft: ActivityDraft) -> dict[str, Any]:
    return {
        "title": draft.title.strip(),
        "line": draft.line.value,
        "category": draft.category.value,
        "starts_at": draft.starts_at,
        "ends_at": draft.ends_at,
        "place": (draft.place or "").strip() or None,
        "description": (draft.description or "").strip() or None,
        "capacity": draft.capacity,
        "service_kind": draft.service_kind.value if draft.service_kind else None,
    }


def full_data(row: asyncpg.Record) -> dict[str, Any]:
    return {
        **activity_data(row),
        "line": row["line"],
        "category": row["category"],
        "serviceKind": row["service_kind"],
        "startsAt": row["starts_at"].isoformat(),
        "endsAt": row["ends_at"].isoformat() if row["ends_at"] else None,
        "capacity": row["capacity"],
    }


async def create_activity(
    runtime: Runtime,
    caller: Caller,
    draft: ActivityDraft,
    *,
    organizer_ids: list[uuid.UUID],
    area_code: str,
) -> asyncpg.Record:
    """Log an activity for one or more organisers (joint activities have several): organisations
    the caller keeps (UPKEEP in the policy: in their area, and their own for ORG_ADMIN)."""
    reach = policy.reach(caller, Resource.UPKEEP, Action.WRITE)
    problems = Problems()
    draft_problems(draft, problems)
    organizer_ids = list(dict.fromkeys(organizer_ids))
    if not organizer_ids or len(organizer_ids) > MAX_ORGANIZERS:
        problems.bad(
            "organizerIds",
            "须有1至20个主办组织",
            "An activity has 1 to 20 organising organisations",
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
        known = await store.organization_refs(uow.conn, organizer_ids)
        for i, org_id in enumerate(organizer_ids):
            ref = known.get(org_id)
            field = f"organizerIds[{i}]"
            if ref is None or not caller.can_see_area(ref["area_code"]):
                problems.add(
                    field,
                    ErrorCode.NOT_FOUND,
                    "主办组织不存在或不在您的范围内",
                    "The organising organisation does not exist or is outside your scope",
                )
            elif ref["dissolved_on"] is not None:
                problems.add(
                    field,
                    ErrorCode.CONFLICT,
                    "主办组织已撤销，不能再组织活动",
                    "The organising organisation has been dissolved",
                )
            elif not reach.admits_organization(org_id, ref["area_code"]):
                problems.add(
                    field,
                    ErrorCode.FORBIDDEN,
                    "只能为本组织登记活动",
                    "You may log activities for your own organisation only",
                )
        problems.refuse()
        row = await store.insert_activity(
            uow.conn,
            {**draft_columns(draft), "area_code": area_code, "created_by": caller.subject},
            organizer_ids,
        )
        await uow.publish(
            f"{EVENT}activity.created.v1",
            str(row["id"]),
            {**full_data(row), "status": row["status"]},
        )
    return row


async def _locked(uow: UnitOfWork, caller: Caller, activity_id: uuid.UUID) -> asyncpg.Record:
    row = await store.activity_for_update(uow.conn, activity_id)
    return await managed_activity(uow.conn, caller, row, "id")


async def update_activity(
    runtime: Runtime, caller: Caller, activity_id: uuid.UUID, draft: ActivityDraft
) -> asyncpg.Record:
    """Change what an activity states while it is not completed or cancelled. Its capacity never
    drops below the places already taken."""
    problems = Problems()
    draft_problems(draft, problems)
    problems.refuse()
    async with runtime.unit_of_work() as uow:
        row = await _locked(uow, caller, activity_id)
        status = ActivityStatus(row["status"])
        if status not in domain.EDITABLE:
            raise status_refusal(status, "修改", "changed")
        if draft.capacity is not None and draft.capacity < row["taken"]:
            raise refuse(
                "capacity",
                ErrorCode.CONFLICT,
                f"已有{row['taken']}人报名，人数上限不能低于此数",
                f"{row['taken']} places are taken; the capacity cannot go below that",
            )
        updated = await store.update_activity(uow.conn, activity_id, draft_columns(draft))
        await uow.publish(
            f"{EVENT}activity.updated.v1",
            str(activity_id),
            {**full_data(updated), "status": updated["status"]},
        )
    return updated


async def move(
    uow: UnitOfWork,
    row: asyncpg.Record,
    target: ActivityStatus,
    changes: dict[str, Any],
    event: str,
    data: dict[str, Any],
) -> asyncpg.Record:
    """One step of the lifecycle, refused unless the current status allows it."""
    current = ActivityStatus(row["status"])
    if not domain.can_move(current, target):
        zh, en = domain.ACTION_LABELS[target]
        raise status_refusal(current, zh, en)
    updated = await store.update_activity(uow.conn, row["id"], {"status": target.value, **changes})
    await uow.publish(f"{EVENT}{event}", str(row["id"]), {**activity_data(updated), **data})
    return updated


async def publish_activity(
    runtime: Runtime, caller: Caller, activity_id: uuid.UUID
) -> asyncpg.Record:
    async with runtime.unit_of_work() as uow:
        row = await _locked(uow, caller, activity_id)
        at = clock.now()
        data = full_data(row)
        data.pop("activityId")
        return await move(
            uow,
            row,
            ActivityStatus.PUBLISHED,
            {"published_at": at},
            "activity.published.v1",
            {**data, "publishedAt": at.isoformat()},
        )


async def start(uow: UnitOfWork, row: asyncpg.Record, trigger: str) -> asyncpg.Record:
    at = clock.now()
    return await move(
        uow,
        row,
        ActivityStatus.ONGOING,
        {"started_at": at},
        "activity.started.v1",
        {"startedAt": at.isoformat(), "trigger": trigger},
    )


async def start_activity(
    runtime: Runtime, caller: Caller, activity_id: uuid.UUID
) -> asyncpg.Record:
    async with runtime.unit_of_work() as uow:
        return await start(uow, await _locked(uow, caller, activity_id), "MANUAL")


async def complete_activity(
    runtime: Runtime,
    caller: Caller,
    activity_id: uuid.UUID,
    people_served: int,
    summary: str | None,
) -> asyncpg.Record:
    """Close an ongoing activity with the number of people it served (服务群众 counts them)."""
    problems = Problems()
    if not 0 <= people_served <= 10_000_000:
        problems.bad(
            "peopleServed", "服务人数须为0至10000000", "peopleServed must be 0 to 10000000"
        )
    if summary is not None and len(summary) > MAX_TEXT:
        problems.bad("summary", "活动总结不超过5000字", "The summary is at most 5000 characters")
    problems.refuse()
    async with runtime.unit_of_work() as uow:
        row = await _locked(uow, caller, activity_id)
        counts = await participation_store.activity_headcounts(uow.conn, activity_id)
        at = clock.now()
        return await move(
            uow,
            row,
            ActivityStatus.COMPLETED,
            {
                "completed_at": at,
                "people_served": people_served,
                "summary": (summary or "").strip() or None,
            },
            "activity.completed.v1",
            {
                "line": row["line"],
                "category": row["category"],
                "serviceKind": row["service_kind"],
                "startsAt": row["starts_at"].isoformat(),
                "completedAt": at.isoformat(),
                "peopleServed": people_served,
                "participantCount": counts["came"],
                "volunteerCount": counts["volunteers"],
            },
        )


async def cancel_activity(
    runtime: Runtime, caller: Caller, activity_id: uuid.UUID, reason: str
) -> asyncpg.Record:
    """Call an activity off (the reason stays here: events carry no free text)."""
    reason = checked_reason(
        reason, "取消原因不能为空且不超过500字", "The reason must be 1 to 500 characters"
    )
    async with runtime.unit_of_work() as uow:
        row = await _locked(uow, caller, activity_id)
        at = clock.now()
        return await move(
            uow,
            row,
            ActivityStatus.CANCELLED,
            {"cancelled_at": at, "cancel_reason": reason},
            "activity.cancelled.v1",
            {"previousStatus": row["status"], "cancelledAt": at.isoformat()},
        )
