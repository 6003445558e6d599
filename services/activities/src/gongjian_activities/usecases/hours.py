"""Volunteer hours: an organiser verifies (never more than the checked-in span, rounded down to
a setting's step) or rejects a claim; admins add hours by hand, kept apart with who and why."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

import asyncpg

from gongjian_activities.domain import participation as rules
from gongjian_activities.domain.activities import ActivityStatus
from gongjian_activities.domain.participation import HoursStatus, ParticipationStatus
from gongjian_activities.settings import activity_settings
from gongjian_activities.store import activities as store
from gongjian_activities.store import participations as participation_store
from gongjian_activities.store import people as people_store
from gongjian_activities.usecases.common import (
    EVENT,
    RefusedError,
    checked_reason,
    managed_activity,
    not_found_activity,
    refuse,
    sees_activity,
)
from gongjian_kit import clock, policy
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ErrorCode
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime, UnitOfWork


def _not_found() -> RefusedError:
    return refuse(
        "participationId",
        ErrorCode.NOT_FOUND,
        "参与记录不存在或不在您的范围内",
        "The participation does not exist or is outside your scope",
    )


async def _claim(
    uow: UnitOfWork, caller: Caller, participation_id: uuid.UUID
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """The activity (locked first, as check-in does) and the checked-out participation."""
    activity_id = await participation_store.participation_activity(uow.conn, participation_id)
    if activity_id is None:
        raise _not_found()
    activity = await store.activity_for_update(uow.conn, activity_id)
    if activity is None or not sees_activity(caller, activity):
        raise _not_found()
    activity = await managed_activity(uow.conn, caller, activity, "participationId")
    row = await participation_store.participation_by_id(uow.conn, participation_id)
    if row is None:
        raise _not_found()
    if row["status"] != ParticipationStatus.CHECKED_OUT:
        raise refuse(
            "participationId",
            ErrorCode.CONFLICT,
            "尚未签退，不能核实时长",
            "Hours are checked after check-out only",
        )
    return activity, row


def _counted(row: asyncpg.Record) -> Decimal:
    if row["hours_status"] == HoursStatus.VERIFIED and row["verified_hours"] is not None:
        return Decimal(row["verified_hours"])
    return Decimal(0)


def _event(activity: asyncpg.Record, row: asyncpg.Record) -> dict[str, object]:
    return {
        "participationId": str(row["id"]),
        "activityId": str(activity["id"]),
        "personId": str(row["person_id"]),
        "role": row["role"],
        "areaCode": activity["area_code"],
        "organizerIds": [str(o) for o in activity["organizer_ids"] or []],
        "servedOn": row["activity_date"].isoformat(),
    }


def parse_hours(raw: str | float | Decimal, field: str = "hours") -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise refuse(field, ErrorCode.BAD_USER_INPUT, "时长格式无效", "Invalid hours") from exc
    if not value.is_finite() or value <= 0:
        raise refuse(field, ErrorCode.BAD_USER_INPUT, "时长须大于0", "Hours must be more than 0")
    return value


async def verify_hours(
    runtime: Runtime, caller: Caller, participation_id: uuid.UUID, hours: Decimal
) -> asyncpg.Record:
    settings = activity_settings()
    hours = parse_hours(hours)
    async with runtime.unit_of_work() as uow:
        activity, row = await _claim(uow, caller, participation_id)
        claimed = Decimal(row["claimed_hours"] or 0)
        if hours > claimed:
            raise refuse(
                "hours",
                ErrorCode.BAD_USER_INPUT,
                f"核实时长不能超过签到至签退的{claimed}小时",
                f"Verified hours cannot exceed the {claimed} hours checked in",
            )
        verified = rules.rounded_hours(hours, settings.hours_step_minutes)
        return await _decide(
            uow, caller, activity, row, HoursStatus.VERIFIED, verified, None, "hours.verified.v1"
        )


async def reject_hours(
    runtime: Runtime, caller: Caller, participation_id: uuid.UUID, reason: str
) -> asyncpg.Record:
    reason = checked_reason(
        reason,
        "不予核实须说明原因（不超过500字）",
        "A rejection needs a reason (up to 500 characters)",
    )
    async with runtime.unit_of_work() as uow:
        activity, row = await _claim(uow, caller, participation_id)
        return await _decide(
            uow, caller, activity, row, HoursStatus.REJECTED, None, reason, "hours.rejected.v1"
        )


async def _decide(
    uow: UnitOfWork,
    caller: Caller,
    activity: asyncpg.Record,
    row: asyncpg.Record,
    status: HoursStatus,
    verified: Decimal | None,
    reason: str | None,
    event: str,
) -> asyncpg.Record:
    """Record an organiser's decision on a claim, recount the person's periods, tell others
    what counted before (so figures move by the difference)."""
    previous = _counted(row)
    updated = await participation_store.update_participation(
        uow.conn,
        row["id"],
        {
            "hours_status": status.value,
            "verified_hours": verified,
            "verified_by": caller.subject,
            "verified_at": clock.now(),
            "reject_reason": reason,
        },
    )
    await participation_store.refresh_periods(uow.conn, row["person_id"], [row["activity_date"]])
    data = {**_event(activity, updated), "previousHours": float(previous)}
    if verified is not None:
        data["hours"] = float(verified)
    await uow.publish(f"{EVENT}{event}", str(row["id"]), data)
    return updated


async def add_hours(
    runtime: Runtime,
    caller: Caller,
    *,
    person_id: uuid.UUID,
    activity_id: uuid.UUID | None,
    hours: Decimal,
    reason: str,
    served_on: date | None,
) -> asyncpg.Record:
    """Hours added by hand (e.g. from a paper register): admins of the area only."""
    policy.require(caller, Resource.RECORDS, Action.WRITE)
    hours = parse_hours(hours)
    if hours > 24:
        raise refuse(
            "hours", ErrorCode.BAD_USER_INPUT, "单次补录不超过24小时", "At most 24 hours at a time"
        )
    reason = checked_reason(
        reason,
        "补录须说明原因（不超过500字）",
        "Hours added by hand need a reason (up to 500 characters)",
    )
    today = clock.today()
    if served_on is not None and served_on > today:
        raise refuse(
            "servedOn",
            ErrorCode.BAD_USER_INPUT,
            "服务日期不能晚于今天",
            "servedOn cannot be in the future",
        )
    async with runtime.unit_of_work() as uow:
        person_area = await people_store.person_area(uow.conn, person_id)
        area = person_area
        if activity_id is not None:
            activity = await store.activity_secret(uow.conn, activity_id)
            if activity is None or not sees_activity(caller, activity):
                raise not_found_activity()
            if activity["status"] == ActivityStatus.CANCELLED:
                raise refuse(
                    "activityId",
                    ErrorCode.CONFLICT,
                    "活动已取消，不能补录时长",
                    "The activity was cancelled",
                )
            area = activity["area_code"]
            served_on = served_on or activity["starts_at"].astimezone(clock.zone()).date()
        if person_area is None or area is None or not caller.can_see_area(area):
            raise refuse(
                "personId",
                ErrorCode.NOT_FOUND,
                "人员不存在或不在您的范围内",
                "The person does not exist or is outside your scope",
            )
        served_on = served_on or today
        row = await participation_store.insert_manual_hours(
            uow.conn,
            {
                "person_id": person_id,
                "activity_id": activity_id,
                "area_code": area,
                "served_on": served_on,
                "hours": hours.quantize(rules.HOURS_QUANTUM),
                "reason": reason,
                "added_by": caller.subject,
            },
        )
        await participation_store.refresh_periods(uow.conn, person_id, [served_on])
        await uow.publish(
            f"{EVENT}hours.added.v1",
            str(row["id"]),
            {
                "manualHoursId": str(row["id"]),
                "personId": str(person_id),
                "activityId": str(activity_id) if activity_id else None,
                "areaCode": area,
                "servedOn": served_on.isoformat(),
                "hours": float(row["hours"]),
            },
        )
        return row
