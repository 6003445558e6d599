"""People in activities: sign-up and withdrawal, check-in (by an organiser, or by the person
with the venue's rotating code) and check-out, each within the activity's rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Any

import asyncpg

from gongjian_activities.domain import activities as domain
from gongjian_activities.domain import participation as rules
from gongjian_activities.domain.activities import ActivityStatus
from gongjian_activities.domain.participation import ParticipationRole, ParticipationStatus
from gongjian_activities.settings import ActivitySettings, activity_settings
from gongjian_activities.store import activities as store
from gongjian_activities.store import participations as participation_store
from gongjian_activities.store import people as people_store
from gongjian_activities.usecases.activities import start
from gongjian_activities.usecases.common import (
    EVENT,
    RefusedError,
    managed_activity,
    manages,
    not_found_activity,
    refuse,
    sees_activity,
    status_refusal,
)
from gongjian_kit import clock
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ErrorCode
from gongjian_kit.ratelimit import SubjectLimiter
from gongjian_kit.runtime import Runtime, UnitOfWork


def _data(activity: asyncpg.Record, p: asyncpg.Record) -> dict[str, Any]:
    return {
        "participationId": str(p["id"]),
        "activityId": str(activity["id"]),
        "personId": str(p["person_id"]),
        "role": p["role"],
        "areaCode": activity["area_code"],
        "organizerIds": [str(o) for o in activity["organizer_ids"] or []],
    }


async def _visible(uow: UnitOfWork, caller: Caller, activity_id: uuid.UUID) -> asyncpg.Record:
    row = await store.activity_for_update(uow.conn, activity_id)
    if row is None or not sees_activity(caller, row):
        raise not_found_activity()
    return row


async def _acting_for(
    uow: UnitOfWork, caller: Caller, activity: asyncpg.Record, person_id: uuid.UUID
) -> bool:
    """Whether the caller acts as an organiser (True) or as the person themself (False);
    refused otherwise."""
    if await manages(uow.conn, caller, list(activity["organizer_ids"] or [])):
        return True
    if caller.person_uuid == person_id:
        return False
    raise refuse(
        "personId",
        ErrorCode.FORBIDDEN,
        "只能为本人办理，或由主办组织的管理者为他人办理",
        "You may do this for yourself, or for others if you keep one of the organisers",
    )


async def _known_person(uow: UnitOfWork, person_id: uuid.UUID) -> str:
    area = await people_store.person_area(uow.conn, person_id)
    if area is None:
        raise refuse(
            "personId",
            ErrorCode.NOT_FOUND,
            "人员不存在（或尚未同步到活动服务）",
            "No such person (or not yet known to the activities service)",
        )
    return area


def _open_for_people(activity: asyncpg.Record, action_zh: str, action_en: str) -> None:
    status = ActivityStatus(activity["status"])
    if status not in domain.OPEN_FOR_PEOPLE:
        raise status_refusal(status, action_zh, action_en)


def _window(activity: asyncpg.Record, settings: ActivitySettings) -> rules.Window:
    return rules.check_in_window(
        activity["starts_at"],
        activity["ends_at"],
        early_minutes=settings.checkin_early_minutes,
        late_minutes=settings.checkin_late_minutes,
        open_ended_hours=settings.open_ended_hours,
    )


def _full(activity: asyncpg.Record) -> RefusedError:
    return refuse(
        "activityId",
        ErrorCode.CONFLICT,
        f"名额已满（上限{activity['capacity']}人）",
        f"The activity is full (capacity {activity['capacity']})",
    )


async def _take_place(uow: UnitOfWork, activity: asyncpg.Record, role: ParticipationRole) -> None:
    if role not in rules.TAKES_A_PLACE:
        return
    capacity = activity["capacity"]
    if capacity is not None and activity["taken"] >= capacity:
        raise _full(activity)
    await store.update_activity(uow.conn, activity["id"], {"taken": activity["taken"] + 1})


async def sign_up(
    runtime: Runtime,
    caller: Caller,
    activity_id: uuid.UUID,
    person_id: uuid.UUID,
    role: ParticipationRole,
) -> asyncpg.Record:
    """Sign a person up: by themself (MEMBER) or by whoever keeps an organiser. Refused for an
    activity not published, finished or cancelled, past capacity, and twice."""
    settings = activity_settings()
    async with runtime.unit_of_work() as uow:
        activity = await _visible(uow, caller, activity_id)
        organiser = await _acting_for(uow, caller, activity, person_id)
        if role is ParticipationRole.ORGANIZER and not organiser:
            raise refuse(
                "role",
                ErrorCode.FORBIDDEN,
                "组织者须由主办组织的管理者登记",
                "Organisers are signed up by those who keep an organiser",
            )
        _open_for_people(activity, "报名", "signed up for")
        now = clock.now()
        span = rules.activity_span(
            activity["starts_at"], activity["ends_at"], settings.open_ended_hours
        )
        if now > span.closes:
            raise refuse(
                "activityId", ErrorCode.CONFLICT, "活动已结束，不能报名", "The activity is over"
            )
        person_area = await _known_person(uow, person_id)
        existing = await participation_store.participation_of(uow.conn, activity_id, person_id)
        if existing is not None and existing["status"] != ParticipationStatus.WITHDRAWN:
            raise refuse(
                "personId",
                ErrorCode.CONFLICT,
                "该人员已报名此活动",
                "This person has already signed up for the activity",
            )
        await _take_place(uow, activity, role)
        values = {
            "role": role.value,
            "status": ParticipationStatus.SIGNED_UP.value,
            "signed_up_at": now,
            "withdrawn_at": None,
        }
        if existing is None:
            row = await participation_store.insert_participation(
                uow.conn,
                {
                    **values,
                    "activity_id": activity_id,
                    "person_id": person_id,
                    "area_code": activity["area_code"],
                    "person_area_code": person_area,
                    "activity_date": activity["starts_at"].astimezone(clock.zone()).date(),
                },
            )
        else:
            row = await participation_store.update_participation(uow.conn, existing["id"], values)
        await uow.publish(
            f"{EVENT}participation.signed-up.v1",
            str(row["id"]),
            {**_data(activity, row), "at": now.isoformat()},
        )
        return row


async def withdraw(
    runtime: Runtime, caller: Caller, activity_id: uuid.UUID, person_id: uuid.UUID
) -> asyncpg.Record:
    """Give a place back before checking in."""
    async with runtime.unit_of_work() as uow:
        activity = await _visible(uow, caller, activity_id)
        await _acting_for(uow, caller, activity, person_id)
        existing = await participation_store.participation_of(uow.conn, activity_id, person_id)
        if existing is None or existing["status"] != ParticipationStatus.SIGNED_UP:
            current = (
                "未报名"
                if existing is None
                else rules.PARTICIPATION_STATUS_LABELS[ParticipationStatus(existing["status"])]
            )
            raise refuse(
                "personId",
                ErrorCode.CONFLICT,
                f"只有已报名未签到者可以退出（当前：{current}）",
                "Only a sign-up not yet checked in can be withdrawn "
                f"(now: {existing['status'] if existing else 'not signed up'})",
            )
        now = clock.now()
        row = await participation_store.update_participation(
            uow.conn,
            existing["id"],
            {"status": ParticipationStatus.WITHDRAWN.value, "withdrawn_at": now},
        )
        if ParticipationRole(row["role"]) in rules.TAKES_A_PLACE:
            await store.update_activity(uow.conn, activity_id, {"taken": activity["taken"] - 1})
        await uow.publish(
            f"{EVENT}participation.withdrawn.v1",
            str(row["id"]),
            {**_data(activity, row), "at": now.isoformat()},
        )
        return row


@cache
def _code_limiter(rate_per_minute: float) -> SubjectLimiter:
    """Wrong codes per subject (one limiter per process and rate)."""
    return SubjectLimiter(rate_per_minute, max(1, int(rate_per_minute)))


async def _attending(
    uow: UnitOfWork,
    caller: Caller,
    activity_id: uuid.UUID,
    person_id: uuid.UUID,
    code: str | None,
) -> tuple[asyncpg.Record, bool]:
    """The activity (locked) and whether the caller acts as its organiser; the person themself
    must give the venue's current code (an organiser who gives one has it checked too)."""
    activity = await _visible(uow, caller, activity_id)
    organiser = await _acting_for(uow, caller, activity, person_id)
    if not organiser or code is not None:
        _check_code(caller, activity, code, activity_settings())
    return activity, organiser


def _check_code(
    caller: Caller, activity: asyncpg.Record, code: str | None, settings: ActivitySettings
) -> None:
    if code is None:
        raise refuse(
            "code",
            ErrorCode.BAD_USER_INPUT,
            "请输入现场显示的签到码",
            "Enter the check-in code shown at the venue",
        )
    limiter = _code_limiter(settings.checkin_code_attempts_per_minute)
    if limiter.exhausted(caller.subject):
        raise refuse(
            "code",
            ErrorCode.RATE_LIMITED,
            "签到码错误次数过多，请稍后再试",
            "Too many wrong codes; try again in a minute",
        )
    if not rules.code_is_good(
        bytes(activity["checkin_secret"]), code, clock.now(), settings.checkin_code_period_s
    ):
        limiter.take(caller.subject)
        raise refuse(
            "code",
            ErrorCode.BAD_USER_INPUT,
            "签到码无效或已过期",
            "The check-in code is wrong or has expired",
        )


async def check_in(
    runtime: Runtime,
    caller: Caller,
    activity_id: uuid.UUID,
    person_id: uuid.UUID,
    code: str | None,
    at: datetime | None = None,
) -> asyncpg.Record:
    """Check a person in: an organiser for anyone, the person with the current code. Within
    the activity's window only; never in two overlapping activities at once. A walk-in (no
    sign-up) takes a place if one is left. The first check-in starts a published activity.
    An organiser may record an earlier time (from a paper list), never a future one."""
    settings = activity_settings()
    async with runtime.unit_of_work() as uow:
        activity, organiser = await _attending(uow, caller, activity_id, person_id, code)
        _open_for_people(activity, "签到", "checked in to")
        now = _recorded_time(organiser, at)
        window = _window(activity, settings)
        if not window.holds(now):
            raise _outside(window)
        await _known_person(uow, person_id)
        this_span = rules.activity_span(
            activity["starts_at"], activity["ends_at"], settings.open_ended_hours
        )
        for other in await participation_store.present_elsewhere(uow.conn, person_id, activity_id):
            other_span = rules.activity_span(
                other["starts_at"], other["ends_at"], settings.open_ended_hours
            )
            if other_span.overlaps(this_span):
                raise refuse(
                    "personId",
                    ErrorCode.CONFLICT,
                    f"该人员已在时间重叠的活动「{other['title']}」签到且未签退",
                    "This person is checked in to an overlapping activity and not checked out",
                )
        existing = await participation_store.participation_of(uow.conn, activity_id, person_id)
        method = "CODE" if code is not None else "ORGANIZER"
        values = {
            "status": ParticipationStatus.CHECKED_IN.value,
            "checked_in_at": now,
            "checked_in_by": caller.subject,
            "check_in_method": method,
        }
        if existing is not None and existing["status"] in (
            ParticipationStatus.CHECKED_IN,
            ParticipationStatus.CHECKED_OUT,
        ):
            raise refuse(
                "personId", ErrorCode.CONFLICT, "该人员已签到", "This person has already checked in"
            )
        if existing is not None and existing["status"] == ParticipationStatus.SIGNED_UP:
            row = await participation_store.update_participation(uow.conn, existing["id"], values)
        else:  # a walk-in, or back after withdrawing: takes a place again
            role = (
                ParticipationRole(existing["role"]) if existing else ParticipationRole.PARTICIPANT
            )
            await _take_place(uow, activity, role)
            if existing is None:
                row = await participation_store.insert_participation(
                    uow.conn,
                    {
                        **values,
                        "activity_id": activity_id,
                        "person_id": person_id,
                        "role": role.value,
                        "area_code": activity["area_code"],
                        "person_area_code": await people_store.person_area(uow.conn, person_id),
                        "activity_date": activity["starts_at"].astimezone(clock.zone()).date(),
                    },
                )
            else:
                row = await participation_store.update_participation(
                    uow.conn, existing["id"], {**values, "withdrawn_at": None}
                )
        if activity["status"] == ActivityStatus.PUBLISHED:
            activity = await start(uow, activity, "FIRST_CHECK_IN")
        await uow.publish(
            f"{EVENT}participation.checked-in.v1",
            str(row["id"]),
            {**_data(activity, row), "method": method, "at": now.isoformat()},
        )
        return row


def _recorded_time(organiser: bool, at: datetime | None) -> datetime:
    """Now, or the earlier time an organiser records."""
    now = clock.now()
    if at is None:
        return now
    if not organiser:
        raise refuse(
            "at",
            ErrorCode.FORBIDDEN,
            "只有组织者可以补登时间",
            "Only an organiser may record a time other than now",
        )
    if at.tzinfo is None:
        raise refuse("at", ErrorCode.BAD_USER_INPUT, "时间须带时区", "The time needs a time zone")
    if at > now:
        raise refuse(
            "at", ErrorCode.BAD_USER_INPUT, "不能登记将来的时间", "The time cannot be in the future"
        )
    return at


def _outside(window: rules.Window) -> RefusedError:
    zone = clock.zone()
    opens = window.opens.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    closes = window.closes.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return refuse(
        "activityId",
        ErrorCode.CONFLICT,
        f"不在签到时间内（{opens} 至 {closes}）",
        f"Check-in is open from {opens} to {closes} only",
    )


async def check_out(
    runtime: Runtime,
    caller: Caller,
    activity_id: uuid.UUID,
    person_id: uuid.UUID,
    code: str | None,
    at: datetime | None = None,
) -> asyncpg.Record:
    """Check a person out; the span in hours is their claim, pending an organiser's check.
    Later than the window's close counts as the close. An organiser may record an earlier
    time (someone who left without checking out), not before the check-in."""
    settings = activity_settings()
    async with runtime.unit_of_work() as uow:
        activity, organiser = await _attending(uow, caller, activity_id, person_id, code)
        existing = await participation_store.participation_of(uow.conn, activity_id, person_id)
        if existing is None or existing["status"] != ParticipationStatus.CHECKED_IN:
            raise refuse(
                "personId",
                ErrorCode.CONFLICT,
                "该人员未签到或已签退",
                "This person is not checked in (or already checked out)",
            )
        at = min(_recorded_time(organiser, at), _window(activity, settings).closes)
        if at < existing["checked_in_at"]:
            raise refuse(
                "at",
                ErrorCode.BAD_USER_INPUT,
                "签退时间不能早于签到时间",
                "The check-out cannot be before the check-in",
            )
        claimed = rules.span_hours(existing["checked_in_at"], at)
        row = await participation_store.update_participation(
            uow.conn,
            existing["id"],
            {
                "status": ParticipationStatus.CHECKED_OUT.value,
                "checked_out_at": at,
                "claimed_hours": claimed,
                "hours_status": "PENDING",
            },
        )
        await uow.publish(
            f"{EVENT}participation.checked-out.v1",
            str(row["id"]),
            {**_data(activity, row), "at": at.isoformat(), "claimedHours": float(claimed)},
        )
        return row


async def check_in_code(
    runtime: Runtime, caller: Caller, activity_id: uuid.UUID
) -> rules.ShownCode:
    """The code to show at the venue now (organisers only, while people may check in)."""
    settings = activity_settings()
    row = await store.activity_secret(runtime.db, activity_id)
    row = await managed_activity(runtime.db, caller, row)
    _open_for_people(row, "签到", "checked in to")
    return rules.current_code(
        bytes(row["checkin_secret"]), clock.now(), settings.checkin_code_period_s
    )
