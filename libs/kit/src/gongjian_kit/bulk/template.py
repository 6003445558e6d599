"""The template of an import file: the data sheet with its Chinese headers, drop-downs for the
labelled columns, text format for long codes, and a sheet of instructions."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from gongjian_kit.bulk.columns import SheetSpec

TEMPLATE_ROWS = 10_000  # rows the drop-downs cover
REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
INSTRUCTIONS = "填写说明"


def write_template(spec: SheetSpec, target: Path | IO[bytes]) -> None:
    """The empty workbook of ``spec``: its data sheet and the 填写说明 sheet."""
    book = Workbook()
    data = book.active
    data.title = spec.title
    data.freeze_panes = "A2"
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        cell = data.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True, color="C00000" if column.required else None)
        if column.required:
            cell.fill = REQUIRED_FILL
        data.column_dimensions[letter].width = max(12, 2.2 * len(column.header) + 2)
        if column.text:
            data.column_dimensions[letter].number_format = "@"
        if column.choices:
            check = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=True,
                showErrorMessage=False,
            )
            check.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            data.add_data_validation(check)
    notes = book.create_sheet(INSTRUCTIONS)
    notes.append(["列", "必填", "说明", "可选值", "示例"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in spec.columns:
        notes.append(
            [
                column.header,
                "是" if column.required else "",
                column.note,
                "、".join(column.choices),
                column.example,
            ]
        )
    notes.append([])
    notes.append(
        [
            "说明",
            "",
            "第一行为表头，请勿修改；数据从第二行起。可选值可填中文或英文值（如 PARTY_MEMBER）。"
            "导入：uv run gongjian import " + spec.kind + " 文件.xlsx（也可另存为 CSV）",
        ]
    )
    for letter, width in zip("ABCDE", (26, 6, 70, 50, 30), strict=True):
        notes.column_dimensions[letter].width = width
    book.save(target)
