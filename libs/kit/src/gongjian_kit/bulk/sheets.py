"""Small helpers for writing sheets: bold header cells, column widths."""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

BOLD = Font(bold=True)


def header_cells(sheet: WriteOnlyWorksheet, headers: Iterable[str]) -> list[WriteOnlyCell]:
    """Bold header cells for a write-only sheet."""
    cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = BOLD
        cells.append(cell)
    return cells


def set_widths(sheet: WriteOnlyWorksheet, widths: Iterable[float]) -> None:
    """The widths of the first columns, in order."""
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
