"""The report of rejected rows: an XLSX with 行号 (the row in the file), 列 (its header), 原因."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO

from openpyxl import Workbook

from gongjian_kit.bulk.problems import RowProblem
from gongjian_kit.bulk.sheets import header_cells, set_widths

REPORT_HEADERS = ("行号", "列", "原因")
REPORT_SHEET = "未导入的行"


def write_report(problems: Iterable[RowProblem], target: Path | IO[bytes]) -> None:
    """One line per problem; a row with several problems has several lines."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(REPORT_SHEET)
    set_widths(sheet, (8, 28, 90))
    sheet.append(header_cells(sheet, REPORT_HEADERS))
    for problem in problems:
        sheet.append([problem.row, problem.column, problem.reason])
    book.save(target)


def default_report_path(source: Path) -> Path:
    """``people.xlsx`` → ``people.rejected.xlsx`` beside it."""
    return source.with_name(f"{source.stem}.rejected.xlsx")
