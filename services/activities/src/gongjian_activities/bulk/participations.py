"""Attendance (参与记录) files, from the paper lists of an activity: each row checks a person in
as an organiser (at the time on the list), checks them out if a time is given and verifies their
hours if given, through ``check_in``, ``check_out`` and ``verify_hours``. A role other than
参与者 signs the person up in that role first (unless they already are signed up); walk-ins
take part as 参与者."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from gongjian_activities.bulk.activities import as_problems
from gongjian_activities.bulk.moments import moment
from gongjian_activities.domain.participation import (
    ROLE_LABELS,
    ParticipationRole,
    ParticipationStatus,
)
from gongjian_activities.store import participations as participation_store
from gongjian_activities.usecases.common import RefusedError
from gongjian_activities.usecases.hours import verify_hours
from gongjian_activities.usecases.participations import check_in, check_out, sign_up
from gongjian_kit.bulk import (
    Applied,
    BulkKind,
    Column,
    ImportContext,
    Mapped,
    Problem,
    SheetSpec,
    Written,
    cells,
    in_file_duplicates,
    write_rows,
)
from gongjian_kit.bulk.cells import Why
from gongjian_kit.policy import Resource

TIME_NOTE = "YYYY-MM-DD HH:MM；不带时区的按北京时间；须在活动签到时间内，不能晚于现在"
SPEC = SheetSpec(
    kind="participations",
    title="参与记录",
    columns=(
        Column("activityId", "活动编号", required=True, text=True, note="系统中活动的编号（id）"),
        Column("personId", "人员编号", required=True, text=True, note="系统中人员的编号（id）"),
        Column(
            "role",
            "角色",
            choices=tuple(ROLE_LABELS.values()),
            note="不填为参与者；志愿者、组织者须活动尚未结束时登记",
            example="参与者",
        ),
        Column(
            "checkedInAt", "签到时间", required=True, note=TIME_NOTE, example="2026-05-01 09:00"
        ),
        Column(
            "checkedOutAt",
            "签退时间",
            note="可不填；不能早于签到时间",
            example="2026-05-01 11:00",
        ),
        Column(
            "verifiedHours",
            "核实时长",
            note="小时，可不填；须已签退，不超过签到至签退的时长",
            example="2",
        ),
    ),
)


@dataclass
class AttendanceRow:
    activity_id: uuid.UUID | None
    person_id: uuid.UUID | None
    role: ParticipationRole | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    verified_hours: Decimal | None


def hours(value: object) -> tuple[Decimal | None, Why | None]:
    """Hours as a decimal; None when empty."""
    raw = cells.text(value) if not isinstance(value, float) else repr(value)
    if not raw:
        return None, None
    try:
        found = Decimal(raw)
    except InvalidOperation:
        found = None
    if found is None or not found.is_finite() or found <= 0:
        return None, ("应填写大于0的小时数", "Must be a number of hours more than 0")
    return found, None


def map_row(row: int, values: dict[str, Any]) -> Mapped[AttendanceRow]:
    header = SPEC.header
    activity, why_activity = cells.identifier(values.get("activityId"))
    person, why_person = cells.identifier(values.get("personId"))
    role, why_role = cells.choice(values.get("role"), ROLE_LABELS)
    checked_in, why_in = moment(values.get("checkedInAt"))
    checked_out, why_out = moment(values.get("checkedOutAt"))
    verified, why_hours = hours(values.get("verifiedHours"))
    if verified is not None and checked_out is None and why_out is None:
        why_hours = ("核实时长须同时填写签退时间", "Verified hours need a check-out time")
    mapped = Mapped(
        row,
        AttendanceRow(
            activity_id=activity,
            person_id=person,
            role=ParticipationRole(role) if role else None,
            checked_in_at=checked_in,
            checked_out_at=checked_out,
            verified_hours=verified,
        ),
    )
    for key, why in (
        ("activityId", why_activity),
        ("personId", why_person),
        ("role", why_role),
        ("checkedInAt", why_in),
        ("checkedOutAt", why_out),
        ("verifiedHours", why_hours),
    ):
        mapped.flag(header(key), why)
    return mapped


def _renamed(problems: list[Problem], names: dict[str, str]) -> list[Problem]:
    """A use case's field (``at``, ``hours``) as this file's column key."""
    return [(names.get(f, f), code, zh, en) for f, code, zh, en in problems]


async def _record(ctx: ImportContext, row: AttendanceRow) -> list[Problem]:
    """One person's attendance, all or nothing (a savepoint of its own); what was refused."""
    if row.activity_id is None or row.person_id is None:  # not reached: flagged when read
        return []
    stage: dict[str, str] = {}
    try:
        async with ctx.runtime.conn.transaction():
            if row.role is not None and row.role is not ParticipationRole.PARTICIPANT:
                existing = await participation_store.participation_of(
                    ctx.runtime.conn, row.activity_id, row.person_id
                )
                if existing is None or existing["status"] == ParticipationStatus.WITHDRAWN:
                    stage = {"activityId": "activityId"}
                    await sign_up(ctx.runtime, ctx.caller, row.activity_id, row.person_id, row.role)
            stage = {"at": "checkedInAt"}
            record = await check_in(
                ctx.runtime, ctx.caller, row.activity_id, row.person_id, None, at=row.checked_in_at
            )
            if row.checked_out_at is not None:
                stage = {"at": "checkedOutAt"}
                record = await check_out(
                    ctx.runtime,
                    ctx.caller,
                    row.activity_id,
                    row.person_id,
                    None,
                    at=row.checked_out_at,
                )
            if row.verified_hours is not None:
                stage = {"hours": "verifiedHours", "participationId": "personId"}
                await verify_hours(ctx.runtime, ctx.caller, record["id"], row.verified_hours)
    except RefusedError as refused:
        return _renamed(as_problems(refused.errors), stage)
    return []


async def _write(ctx: ImportContext, rows: list[AttendanceRow]) -> Applied:
    written = 0
    rejected: list[tuple[int, Problem]] = []
    for index, row in enumerate(rows):
        refused = await _record(ctx, row)
        if refused:
            rejected += [(index, p) for p in refused]
        else:
            written += 1
    return Applied(written, rejected)


async def write(ctx: ImportContext, rows: list[Mapped[AttendanceRow]]) -> Written:
    in_file_duplicates(
        rows,
        lambda d: f"{d.activity_id}/{d.person_id}" if d.activity_id and d.person_id else None,
        SPEC.header("personId"),
        "活动与人员",
        "activity and person",
    )
    return await write_rows(ctx, rows, SPEC, _write, lambda _ctx, _row: [])


KIND = BulkKind(SPEC, "参与记录 participations", map_row, write, writes=Resource.UPKEEP)
