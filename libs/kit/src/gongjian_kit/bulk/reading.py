"""Reading a table from XLSX or CSV: the header row, then the data rows with their row numbers.

CSV may be UTF-8 (with or without the BOM spreadsheets write) or GB18030 (what Excel on a
Chinese Windows saves as "CSV"). Rows with no value at all are skipped; row numbers stay those of
the file, the header being row 1.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from gongjian_kit.bulk.problems import BulkError

Cells = list[Any]


@dataclass
class Table:
    """A file's header row and its data rows, read lazily."""

    headers: Cells
    rows: Iterator[tuple[int, Cells]]  # (row number in the file, cells)
    total: int | None  # data rows, when known before reading them (for the progress bar)


def read_table(path: Path, sheet_title: str | None = None) -> Table:
    """Open ``path`` by its suffix (.xlsx, .csv)."""
    if not path.is_file():
        raise BulkError(f"找不到文件：{path}", f"No such file: {path}")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path, sheet_title)
    if suffix in {".csv", ".txt"}:
        return _read_csv(path.read_bytes())
    raise BulkError(
        "只支持 .xlsx 和 .csv 文件（.xls 请先另存为 .xlsx）",
        "Only .xlsx and .csv files are read (save an .xls as .xlsx first)",
    )


def _is_blank(cells: Cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _numbered(rows: Iterator[Cells]) -> Iterator[tuple[int, Cells]]:
    for number, cells in enumerate(rows, start=2):
        if not _is_blank(cells):
            yield number, cells


def _read_xlsx(path: Path, sheet_title: str | None) -> Table:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise BulkError("无法读取该 XLSX 文件", f"The XLSX file cannot be read ({exc})") from exc
    sheet = book[sheet_title] if sheet_title in book.sheetnames else book.worksheets[0]
    rows = (list(r) for r in sheet.iter_rows(values_only=True))
    headers = next(rows, None)
    if headers is None:
        book.close()
        raise BulkError("文件是空的", "The file is empty")
    total = sheet.max_row - 1 if isinstance(sheet.max_row, int) and sheet.max_row > 1 else None

    def data() -> Iterator[tuple[int, Cells]]:
        try:
            yield from _numbered(rows)
        finally:
            book.close()

    return Table(headers, data(), total)


def decode_csv(raw: bytes) -> str:
    """UTF-8 (BOM or not), else GB18030."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise BulkError(
            "无法识别 CSV 文件的编码（请保存为 UTF-8）",
            "The CSV file's encoding is not recognised (save it as UTF-8)",
        ) from exc


def _read_csv(raw: bytes) -> Table:
    lines = list(csv.reader(io.StringIO(decode_csv(raw), newline="")))
    if not lines:
        raise BulkError("文件是空的", "The file is empty")
    body: list[Cells] = [list(line) for line in lines[1:]]
    return Table(list(lines[0]), _numbered(iter(body)), len(body))
