"""Export of an area's coverage: the figures per family (sheet 覆盖率) and, per family, the gap
list — units that should have the organisation and do not, largest headcount first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from gongjian_kit import policy
from gongjian_kit.areas import area_prefix
from gongjian_kit.auth import Caller
from gongjian_kit.bulk.problems import BulkError
from gongjian_kit.bulk.sheets import header_cells, set_widths
from gongjian_kit.db import Executor
from gongjian_kit.policy import Resource
from gongjian_organizations.domain.coverage import coverage_rate
from gongjian_organizations.domain.organizations import FAMILY_LABELS, OrganizationFamily
from gongjian_organizations.domain.units import UNIT_KIND_LABELS
from gongjian_organizations.store import areas as area_store
from gongjian_organizations.store import coverage as coverage_store
from gongjian_organizations.usecases import RULES

SUMMARY_SHEET = "覆盖率"
SUMMARY_HEADERS = ("系统", "在册单位", "应建", "已建", "覆盖率", "应建未建", "未达要求但已建")
GAP_HEADERS = ("单位名称", "统一社会信用代码", "单位类型", "所在区划代码", "所在区划")
COUNT_HEADERS = {
    "party_members": "正式党员人数",
    "employees": "职工人数",
    "league_members": "团员人数",
    "women": "女职工人数",
}
PAGE = 1000
KIND_LABEL = {kind.value: label for kind, label in UNIT_KIND_LABELS.items()}


@dataclass
class FamilyFigures:
    family: OrganizationFamily
    units: int = 0
    required: int = 0
    covered: int = 0
    covered_not_required: int = 0

    @property
    def rate(self) -> float | None:
        return coverage_rate(self.covered, self.required)

    @property
    def gaps(self) -> int:
        return self.required - self.covered


@dataclass
class CoverageExport:
    area_code: str
    area_name: str
    figures: list[FamilyFigures] = field(default_factory=list)
    gap_rows: dict[OrganizationFamily, int] = field(default_factory=dict)


def gap_sheet_title(family: OrganizationFamily) -> str:
    return f"{FAMILY_LABELS[family]}应建未建"


async def export_coverage(
    db: Executor, caller: Caller, area_code: str, target: Path | IO[bytes]
) -> CoverageExport:
    """Write the workbook for ``area_code`` (and everything beneath it) to ``target``."""
    only = policy.reach(caller, Resource.RECORDS).organizations_only
    policy.require(caller, Resource.FIGURES)
    caller.checked_area(area_code)
    found = (await area_store.areas_by_code(db, [area_code], caller.area_like))[0]
    if found is None:
        raise BulkError(f"区划不存在：{area_code}", f"No such area: {area_code}")
    [figures] = await coverage_store.area_coverage(db, [area_code])
    rows = {r["family"]: r for r in figures}
    result = CoverageExport(area_code, found["name"])
    for family in OrganizationFamily:
        row = rows.get(family.value)
        result.figures.append(
            FamilyFigures(
                family,
                row["units"],
                row["required"],
                row["covered_required"],
                row["covered_not_required"],
            )
            if row
            else FamilyFigures(family)
        )
    book = Workbook(write_only=True)
    _summary_sheet(book, result)
    for family in OrganizationFamily:
        result.gap_rows[family] = await _gap_sheet(book, db, family, area_code, caller, only)
    _about_sheet(book, result, caller)
    book.save(target)
    return result


def _summary_sheet(book: Workbook, result: CoverageExport) -> None:
    sheet = book.create_sheet(SUMMARY_SHEET)
    set_widths(sheet, (12, 10, 10, 10, 10, 10, 16))
    sheet.append(header_cells(sheet, SUMMARY_HEADERS))
    for f in result.figures:
        rate = WriteOnlyCell(sheet, value=f.rate)
        rate.number_format = "0.0%"
        sheet.append(
            [
                FAMILY_LABELS[f.family],
                f.units,
                f.required,
                f.covered,
                rate,
                f.gaps,
                f.covered_not_required,
            ]
        )


async def _gap_sheet(
    book: Workbook,
    db: Executor,
    family: OrganizationFamily,
    area_code: str,
    caller: Caller,
    only: list[uuid.UUID] | None,
) -> int:
    """The gap list of one family (for an ORG_ADMIN: the units its organisations cover)."""
    column, minimum = RULES.threshold(family)
    sheet = book.create_sheet(gap_sheet_title(family))
    count_header = f"{COUNT_HEADERS[column]}（≥{minimum}应建）"
    headers = [*GAP_HEADERS, count_header]
    if column != "employees":
        headers.append(COUNT_HEADERS["employees"])
    headers.append("单位编号")
    set_widths(sheet, (36, 22, 16, 16, 20, 18, 10, 38))
    sheet.append(header_cells(sheet, headers))
    written = 0
    after: tuple[int, int] | None = None
    names: dict[str, str] = {}
    while True:
        page = await coverage_store.gaps_page(
            db, family.value, area_prefix(area_code) + "%", after, PAGE, only
        )
        if not page:
            return written
        missing = list({r["area_code"] for r in page} - set(names))
        if missing:
            for area in await area_store.areas_by_code(db, missing, caller.area_like):
                if area is not None:
                    names[area["code"]] = area["name"]
        for r in page:
            line = [
                r["name"],
                r["credit_code"],
                KIND_LABEL.get(r["kind"], r["kind"]),
                r["area_code"],
                names.get(r["area_code"], ""),
                r["headcount"],
            ]
            if column != "employees":
                line.append(r["employees"])
            line.append(str(r["id"]))
            sheet.append(line)
        written += len(page)
        after = (page[-1]["headcount"], page[-1]["seq"])


def _about_sheet(book: Workbook, result: CoverageExport, caller: Caller) -> None:
    sheet = book.create_sheet("导出信息")
    set_widths(sheet, (14, 40))
    for label, value in (
        ("区划代码", result.area_code),
        ("区划名称", result.area_name),
        ("范围", "本区划及下级区划"),
        ("导出时间", datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")),
        ("导出人", caller.subject),
    ):
        sheet.append([label, value])
