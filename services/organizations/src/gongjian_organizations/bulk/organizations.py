"""Organisations (组织) files: columns, reading a row, naming units and organisations in words,
writing through ``establish_organizations``.

Units are named by credit code (or id). A parent or host organisation is named by id, or by
name: an earlier row of the same file, else an organisation already registered in scope.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from gongjian_kit import clock
from gongjian_kit.bulk import (
    Applied,
    BulkKind,
    Column,
    ImportContext,
    Mapped,
    RowProblem,
    SheetSpec,
    Written,
    cells,
    write_rows,
)
from gongjian_kit.policy import Resource
from gongjian_organizations.bulk.lookups import (
    FoundOrganization,
    organizations_by_name,
    units_by_credit_code,
)
from gongjian_organizations.domain.organizations import ESTABLISHMENT_LABELS, KIND_LABELS
from gongjian_organizations.usecases.bulk import (
    OrganizationInput,
    OrgRef,
    establish_organizations,
    validate_organization,
)

SPEC = SheetSpec(
    kind="organizations",
    title="组织",
    columns=(
        Column("name", "组织名称", required=True, example="中共杭州某某科技有限公司支部委员会"),
        Column(
            "kind", "组织类型", required=True, choices=tuple(KIND_LABELS.values()), example="党支部"
        ),
        Column(
            "establishment",
            "建立方式",
            required=True,
            choices=tuple(ESTABLISHMENT_LABELS.values()),
            note="单独建覆盖一个单位；联合建覆盖两个或以上单位；挂靠建须填写挂靠组织",
            example="单独建",
        ),
        Column(
            "areaCode",
            "所在区划代码",
            required=True,
            text=True,
            note="12位统计用区划代码",
            example="330106001001",
        ),
        Column(
            "unitIds",
            "覆盖单位统一社会信用代码",
            required=True,
            text=True,
            note="多个用“；”分隔；单位须已登记；没有信用代码的单位填单位编号",
            example="91330106MA2XXXXXXX",
        ),
        Column(
            "hostOrganizationId",
            "挂靠组织名称或编号",
            note="仅挂靠建：本文件中前面的行的组织名称，或系统中已有组织的名称或编号",
        ),
        Column(
            "parentId",
            "上级组织名称或编号",
            note="同一系统的上级组织：本文件中前面的行的组织名称，或系统中已有组织的名称或编号",
        ),
        Column("foundedOn", "成立日期", note="YYYY-MM-DD，不能晚于今天", example="2020-07-01"),
    ),
)


@dataclass
class OrganizationDraft:
    org: OrganizationInput
    unit_refs: list[str] = field(default_factory=list)
    host_ref: str = ""
    parent_ref: str = ""


def map_row(row: int, values: dict[str, Any]) -> Mapped[OrganizationDraft]:
    header = SPEC.header
    kind, why_kind = cells.choice(values.get("kind"), KIND_LABELS)
    establishment, why_est = cells.choice(values.get("establishment"), ESTABLISHMENT_LABELS)
    area, why_area = cells.code(values.get("areaCode"))
    founded, why_founded = cells.day(values.get("foundedOn"))
    mapped = Mapped(
        row,
        OrganizationDraft(
            OrganizationInput(
                name=cells.text(values.get("name")),
                kind=kind or "",
                establishment=establishment or "",
                area_code=area,
                unit_ids=[],
                founded_on=founded,
            ),
            unit_refs=[r.upper() for r in cells.several(values.get("unitIds"))],
            host_ref=cells.text(values.get("hostOrganizationId")),
            parent_ref=cells.text(values.get("parentId")),
        ),
    )
    for key, why in (
        ("kind", why_kind),
        ("establishment", why_est),
        ("areaCode", why_area),
        ("foundedOn", why_founded),
    ):
        mapped.flag(header(key), why)
    return mapped


def _as_id(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


async def _resolve_units(ctx: ImportContext, rows: list[Mapped[OrganizationDraft]]) -> None:
    codes = {r for item in rows for r in item.draft.unit_refs if _as_id(r) is None}
    found = await units_by_credit_code(ctx.runtime.conn, codes, ctx.caller.area_like)
    column = SPEC.header("unitIds")
    for item in rows:
        ids: list[uuid.UUID] = []
        for ref in item.draft.unit_refs:
            unit_id = _as_id(ref)
            unit = found.get(ref)
            if unit_id is None and unit is not None:
                unit_id = unit.id
            if unit_id is None:
                item.problems.append(
                    RowProblem(
                        item.row,
                        column,
                        f"统一社会信用代码为{ref}的单位不存在或不在您的范围内",
                        f"No unit with credit code {ref} in your scope",
                    )
                )
            else:
                ids.append(unit_id)
        item.draft.org.unit_ids = ids


@dataclass
class _Names:
    """Where a name points: rows of the file (row number → position in the batch) or records."""

    rows_by_name: dict[str, list[int]]
    records: dict[str, list[FoundOrganization]]
    position: dict[int, int] = field(default_factory=dict)  # row number → batch index


def _reference(ref: str, row: int, names: _Names) -> tuple[OrgRef | None, tuple[str, str] | None]:
    """An organisation named in ``row``: an id, or the batch index of an earlier row."""
    if not ref:
        return None, None
    if (as_id := _as_id(ref)) is not None:
        return as_id, None
    in_file = names.rows_by_name.get(ref, [])
    earlier = [r for r in in_file if r < row]
    if len(earlier) > 1:
        return None, (
            f"本文件中有多行名为“{ref}”的组织，请改填组织编号",
            f"Several rows of this file are named {ref}; give the id instead",
        )
    if earlier:
        if earlier[0] not in names.position:
            return None, (
                f"所引用的组织（第{earlier[0]}行）未通过校验",
                f"The organisation referred to (row {earlier[0]}) was refused",
            )
        return names.position[earlier[0]], None
    if in_file:
        return None, (
            f"名为“{ref}”的组织须在本行之前列出",
            f"The row of {ref} must come before this one",
        )
    records = names.records.get(ref, [])
    active = [o for o in records if o.dissolved_on is None]
    chosen = active if active else records
    if len(chosen) == 1:
        return chosen[0].id, None
    if chosen:
        return None, (
            f"有多个名为“{ref}”的组织，请改填组织编号",
            f"Several organisations are named {ref}; give the id instead",
        )
    return None, (
        f"找不到名为“{ref}”的组织（或不在您的范围内）",
        f"No organisation named {ref} in your scope",
    )


async def _establish(ctx: ImportContext, drafts: list[OrganizationDraft]) -> Applied:
    result = await establish_organizations(
        ctx.runtime, ctx.caller, [d.org for d in drafts], skip_invalid=ctx.skip_invalid
    )
    return Applied(len(result.written), result.rejected)


async def write(ctx: ImportContext, rows: list[Mapped[OrganizationDraft]]) -> Written:
    await _resolve_units(ctx, rows)
    rows_by_name: dict[str, list[int]] = {}
    for item in rows:
        rows_by_name.setdefault(item.draft.org.name.strip(), []).append(item.row)
    wanted = {
        ref
        for item in rows
        for ref in (item.draft.host_ref, item.draft.parent_ref)
        if ref and _as_id(ref) is None and ref not in rows_by_name
    }
    names = _Names(
        rows_by_name, await organizations_by_name(ctx.runtime.conn, wanted, ctx.caller.area_like)
    )
    for item in rows:
        org = item.draft.org
        org.host, why_host = _reference(item.draft.host_ref, item.row, names)
        org.parent, why_parent = _reference(item.draft.parent_ref, item.row, names)
        item.flag(SPEC.header("hostOrganizationId"), why_host)
        item.flag(SPEC.header("parentId"), why_parent)
        if not item.problems:  # its index among the rows written: later rows may name it
            names.position[item.row] = len(names.position)
    # One call for the whole file: an entry refers to an earlier one by its index in the call.
    return await write_rows(
        ctx,
        rows,
        SPEC,
        _establish,
        lambda ctx, draft: validate_organization(draft.org, ctx.caller, clock.today())[1],
        batch_rows=None,
    )


KIND = BulkKind(SPEC, "组织 organizations", map_row, write, writes=Resource.RECORDS)
