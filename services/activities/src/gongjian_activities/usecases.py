"""Use cases of the activities service."""

from __future__ import annotations

import uuid
from datetime import datetime

from gongjian_activities.domain.activities import ActivityCategory, LineOfWork, schedule_problems
from gongjian_activities.store import activities as store
from gongjian_kit import policy
from gongjian_kit.areas import is_area_code
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime

EVENT = "gongjian.activities."
MAX_ORGANIZERS = 20


async def create_activity(
    runtime: Runtime,
    caller: Caller,
    *,
    title: str,
    line: LineOfWork,
    category: ActivityCategory,
    organizer_ids: list[uuid.UUID],
    area_code: str,
    starts_at: datetime,
    ends_at: datetime | None,
    place: str | None,
) -> tuple[object | None, list[ApiError]]:
    """Log an activity for one or more organisers (joint activities have several): organisations
    the caller keeps (UPKEEP in the policy: in their area, and their own for ORG_ADMIN)."""
    reach = policy.reach(caller, Resource.UPKEEP, Action.WRITE)
    errors: list[ApiError] = []

    def problem(field: str, code: ErrorCode, zh: str, en: str) -> None:
        errors.append(ApiError(code, zh, en, field))

    title = title.strip()
    if not title or len(title) > 200:
        problem(
            "title",
            ErrorCode.BAD_USER_INPUT,
            "活动名称不能为空且不超过200字",
            "The title must be 1 to 200 characters",
        )
    organizer_ids = list(dict.fromkeys(organizer_ids))
    if not organizer_ids or len(organizer_ids) > MAX_ORGANIZERS:
        problem(
            "organizerIds",
            ErrorCode.BAD_USER_INPUT,
            "须有1至20个主办组织",
            "An activity has 1 to 20 organising organisations",
        )
    for field, zh, en in schedule_problems(starts_at, ends_at):
        problem(field, ErrorCode.BAD_USER_INPUT, zh, en)
    if not is_area_code(area_code):
        problem(
            "areaCode",
            ErrorCode.BAD_USER_INPUT,
            "区划代码应为12位数字",
            "The area code must be 12 digits",
        )
    elif not caller.can_see_area(area_code):
        problem(
            "areaCode",
            ErrorCode.FORBIDDEN,
            "该区划不在您的管理范围内",
            "That area is outside your scope",
        )
    if errors:
        return None, errors
    async with runtime.unit_of_work() as uow:
        known = await store.organization_refs(uow.conn, organizer_ids)
        for i, org_id in enumerate(organizer_ids):
            ref = known.get(org_id)
            field = f"organizerIds[{i}]"
            if ref is None or not caller.can_see_area(ref["area_code"]):
                problem(
                    field,
                    ErrorCode.NOT_FOUND,
                    "主办组织不存在或不在您的范围内",
                    "The organising organisation does not exist or is outside your scope",
                )
            elif ref["dissolved_on"] is not None:
                problem(
                    field,
                    ErrorCode.CONFLICT,
                    "主办组织已撤销，不能再组织活动",
                    "The organising organisation has been dissolved",
                )
            elif not reach.admits_organization(org_id, ref["area_code"]):
                problem(
                    field,
                    ErrorCode.FORBIDDEN,
                    "只能为本组织登记活动",
                    "You may log activities for your own organisation only",
                )
        if errors:
            return None, errors
        row = await store.insert_activity(
            uow.conn,
            {
                "title": title,
                "line": line.value,
                "category": category.value,
                "area_code": area_code,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "place": (place or "").strip() or None,
                "created_by": caller.subject,
            },
            organizer_ids,
        )
        await uow.publish(
            f"{EVENT}activity.created.v1",
            str(row["id"]),
            {
                "activityId": str(row["id"]),
                "organizerIds": [str(o) for o in organizer_ids],
                "areaCode": area_code,
                "line": line.value,
                "category": category.value,
                "startsAt": starts_at.isoformat(),
                "endsAt": ends_at.isoformat() if ends_at else None,
                "status": row["status"],
            },
        )
    return row, []
