"""A problem found in one row of a file: where (row, column) and why, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class RowProblem:
    """``row`` is the row number the user sees in the file (the header is row 1)."""

    row: int
    column: str
    zh: str
    en: str

    @property
    def reason(self) -> str:
        return f"{self.zh} / {self.en}"


class BulkError(Exception):
    """An import or export that cannot run at all (unreadable file, wrong columns, bad area)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en
