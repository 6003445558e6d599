"""Units (单位) files: columns, reading a row, writing through ``register_units``."""

from __future__ import annotations

from typing import Any

from gongjian_kit.bulk import (
    Applied,
    BulkKind,
    Column,
    ImportContext,
    Mapped,
    SheetSpec,
    Written,
    cells,
    in_file_duplicates,
    write_rows,
)
from gongjian_kit.policy import Resource
from gongjian_organizations.domain.units import HEADCOUNT_FIELDS, UNIT_KIND_LABELS
from gongjian_organizations.usecases.bulk import UnitInput, register_units, validate_unit

HEADCOUNT_HEADERS = {
    "employees": "职工人数",
    "partyMembers": "正式党员人数",
    "leagueMembers": "团员人数",
    "unionMembers": "工会会员人数",
    "women": "女职工人数",
    "youth": "青年人数",
}
HEADCOUNT_NOTES = {
    "partyMembers": "不含预备党员；≥3人应建立党组织",
    "employees": "≥25人应建立工会",
    "leagueMembers": "≥3人应建立团组织",
    "youth": "35周岁及以下",
}
SPEC = SheetSpec(
    kind="units",
    title="单位",
    columns=(
        Column("name", "单位名称", required=True, example="杭州某某科技有限公司"),
        Column(
            "kind",
            "单位类型",
            required=True,
            choices=tuple(UNIT_KIND_LABELS.values()),
            example="非公有制企业",
        ),
        Column(
            "creditCode",
            "统一社会信用代码",
            text=True,
            note="18位，含校验位；没有的单位（如村、社区）可不填",
            example="91330106MA2XXXXXXX",
        ),
        Column(
            "areaCode",
            "所在区划代码",
            required=True,
            text=True,
            note="12位统计用区划代码",
            example="330106001001",
        ),
        *(
            Column(key, header, note=HEADCOUNT_NOTES.get(key, "不填为0"), example="0")
            for key, header in HEADCOUNT_HEADERS.items()
        ),
    ),
)


def map_row(row: int, values: dict[str, Any]) -> Mapped[UnitInput]:
    header = SPEC.header
    kind, why_kind = cells.choice(values.get("kind"), UNIT_KIND_LABELS)
    credit, why_credit = cells.code(values.get("creditCode"))
    area, why_area = cells.code(values.get("areaCode"))
    counts: dict[str, int] = {}
    why_counts = []
    for key in HEADCOUNT_FIELDS:
        counts[key], why = cells.integer(values.get(key))
        why_counts.append((key, why))
    mapped = Mapped(
        row,
        UnitInput(
            name=cells.text(values.get("name")),
            kind=kind or "",
            area_code=area,
            credit_code=credit or None,
            counts=counts,
        ),
    )
    for key, why in (
        ("kind", why_kind),
        ("creditCode", why_credit),
        ("areaCode", why_area),
        *why_counts,
    ):
        mapped.flag(header(key), why)
    return mapped


async def _register(ctx: ImportContext, drafts: list[UnitInput]) -> Applied:
    result = await register_units(ctx.runtime, ctx.caller, drafts, skip_invalid=ctx.skip_invalid)
    return Applied(len(result.written), result.rejected)


async def write(ctx: ImportContext, rows: list[Mapped[UnitInput]]) -> Written:
    in_file_duplicates(
        rows,
        lambda d: (d.credit_code or "").strip().upper(),
        SPEC.header("creditCode"),
        "统一社会信用代码",
        "credit code",
    )
    return await write_rows(
        ctx, rows, SPEC, _register, lambda ctx, draft: validate_unit(draft, ctx.caller)[1]
    )


KIND = BulkKind(SPEC, "单位 units", map_row, write, writes=Resource.RECORDS)
