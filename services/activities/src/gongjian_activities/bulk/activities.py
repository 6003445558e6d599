"""Activities (活动) files: columns, reading a row, writing each through ``create_activity``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gongjian_activities.bulk.moments import moment
from gongjian_activities.domain.activities import (
    CATEGORY_LABELS,
    LINE_LABELS,
    SERVICE_KIND_LABELS,
    ActivityCategory,
    LineOfWork,
    ServiceKind,
)
from gongjian_activities.usecases.activities import ActivityDraft, create_activity, draft_problems
from gongjian_activities.usecases.common import Problems, RefusedError
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
    write_rows,
)
from gongjian_kit.errors import ApiError
from gongjian_kit.policy import Resource

TIME_NOTE = "YYYY-MM-DD HH:MM；不带时区的按北京时间"
SPEC = SheetSpec(
    kind="activities",
    title="活动",
    columns=(
        Column("title", "活动名称", required=True, example="主题党日：学习新思想"),
        Column(
            "line",
            "工作类别",
            required=True,
            choices=tuple(LINE_LABELS.values()),
            note="五项工作之一",
            example="双育双带",
            aliases=("五项工作",),
        ),
        Column(
            "category",
            "活动类别",
            required=True,
            choices=tuple(CATEGORY_LABELS.values()),
            example="学习培训",
        ),
        Column(
            "serviceKind",
            "服务类别",
            choices=tuple(SERVICE_KIND_LABELS.values()),
            note="仅送服务活动填写，且必填",
        ),
        Column(
            "organizerIds",
            "主办组织编号",
            required=True,
            text=True,
            note="系统中组织的编号（id）；联合举办的多个用“；”分隔",
        ),
        Column(
            "areaCode",
            "区划代码",
            required=True,
            text=True,
            note="活动所在的12位统计用区划代码",
            example="330106001001",
        ),
        Column("startsAt", "开始时间", required=True, note=TIME_NOTE, example="2026-05-01 09:00"),
        Column(
            "endsAt",
            "结束时间",
            note=TIME_NOTE + "；不填为不定结束时间",
            example="2026-05-01 11:00",
        ),
        Column("place", "地点", example="社区党群服务中心"),
        Column("capacity", "人数上限", note="不填为不限", example="30"),
        Column("description", "活动简介"),
    ),
)


@dataclass
class ActivityRow:
    """A row as read; ``line``, ``category`` and ``starts_at`` are None when unreadable."""

    title: str
    line: LineOfWork | None
    category: ActivityCategory | None
    service_kind: ServiceKind | None
    organizer_ids: list[uuid.UUID]
    area_code: str
    starts_at: datetime | None
    ends_at: datetime | None
    place: str | None
    capacity: int | None
    description: str | None
    unread: set[str] = field(default_factory=set)  # keys of cells that could not be read

    def draft(self) -> ActivityDraft | None:
        if self.line is None or self.category is None or self.starts_at is None:
            return None
        return ActivityDraft(
            title=self.title,
            line=self.line,
            category=self.category,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            place=self.place,
            description=self.description,
            capacity=self.capacity,
            service_kind=self.service_kind,
        )


def organizer_ids(value: object) -> tuple[list[uuid.UUID], tuple[str, str] | None]:
    """Organiser ids, several separated like any ``several`` cell."""
    found: list[uuid.UUID] = []
    bad: list[str] = []
    for item in cells.several(value):
        parsed, why = cells.identifier(item)
        if parsed is None or why is not None:
            bad.append(item)
        else:
            found.append(parsed)
    if bad:
        listed = "、".join(bad)
        return found, (f"组织编号格式无效：{listed}", f"Not a valid organisation id: {listed}")
    return found, None


def optional_integer(value: object) -> tuple[int | None, tuple[str, str] | None]:
    if not cells.text(value):
        return None, None
    return cells.integer(value)


def map_row(row: int, values: dict[str, Any]) -> Mapped[ActivityRow]:
    header = SPEC.header
    line, why_line = cells.choice(values.get("line"), LINE_LABELS)
    category, why_category = cells.choice(values.get("category"), CATEGORY_LABELS)
    kind, why_kind = cells.choice(values.get("serviceKind"), SERVICE_KIND_LABELS)
    organizers, why_organizers = organizer_ids(values.get("organizerIds"))
    area, why_area = cells.code(values.get("areaCode"))
    starts, why_starts = moment(values.get("startsAt"))
    ends, why_ends = moment(values.get("endsAt"))
    capacity, why_capacity = optional_integer(values.get("capacity"))
    flags = {
        "line": why_line,
        "category": why_category,
        "serviceKind": why_kind,
        "organizerIds": why_organizers,
        "areaCode": why_area,
        "startsAt": why_starts,
        "endsAt": why_ends,
        "capacity": why_capacity,
    }
    mapped = Mapped(
        row,
        ActivityRow(
            title=cells.text(values.get("title")),
            line=LineOfWork(line) if line else None,
            category=ActivityCategory(category) if category else None,
            service_kind=ServiceKind(kind) if kind else None,
            organizer_ids=organizers,
            area_code=area,
            starts_at=starts,
            ends_at=ends,
            place=cells.text(values.get("place")) or None,
            capacity=capacity,
            description=cells.text(values.get("description")) or None,
            unread={key for key, why in flags.items() if why is not None},
        ),
    )
    for key, why in flags.items():
        mapped.flag(header(key), why)
    return mapped


def as_problems(errors: list[ApiError]) -> list[Problem]:
    """A use case's refusal as the kit's (field, code, zh, en)."""
    return [(e.field or "", e.code, e.zh, e.en) for e in errors]


def _rule_problems(_: ImportContext, item: ActivityRow) -> list[Problem]:
    """``create_activity``'s rules that need no database, for a row that will not reach it."""
    draft = item.draft()
    if draft is None:
        return []
    problems = Problems()
    draft_problems(draft, problems)
    return [p for p in as_problems(problems.errors) if p[0] not in item.unread]


async def _create(ctx: ImportContext, rows: list[ActivityRow]) -> Applied:
    written = 0
    rejected: list[tuple[int, Problem]] = []
    for index, item in enumerate(rows):
        draft = item.draft()
        if draft is None:  # not reached: such a row is flagged when read
            continue
        try:
            await create_activity(
                ctx.runtime,
                ctx.caller,
                draft,
                organizer_ids=item.organizer_ids,
                area_code=item.area_code,
            )
        except RefusedError as refused:
            rejected += [(index, p) for p in as_problems(refused.errors)]
        else:
            written += 1
    return Applied(written, rejected)


async def write(ctx: ImportContext, rows: list[Mapped[ActivityRow]]) -> Written:
    return await write_rows(ctx, rows, SPEC, _create, _rule_problems)


KIND = BulkKind(SPEC, "活动 activities", map_row, write, writes=Resource.UPKEEP)
