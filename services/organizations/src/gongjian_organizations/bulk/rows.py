"""What every kind of import shares: a mapped row, the importer's parts, problems per row."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from gongjian_kit.auth import Caller
from gongjian_organizations.bulk.cells import Why
from gongjian_organizations.bulk.columns import SheetSpec
from gongjian_organizations.bulk.problems import RowProblem
from gongjian_organizations.bulk.progress import ProgressFactory
from gongjian_organizations.bulk.session import TransactionRuntime
from gongjian_organizations.usecases.people import Problem

D = TypeVar("D")
T = TypeVar("T")
BATCH_ROWS = 2000  # rows per use-case call: progress, and statements of bounded size


@dataclass
class Mapped(Generic[D]):
    """A row read into the use case's input (``draft``), with what could not be read."""

    row: int
    draft: D
    problems: list[RowProblem] = field(default_factory=list)

    def flag(self, column: str, why: Why | None) -> None:
        if why is not None:
            self.problems.append(RowProblem(self.row, column, *why))


@dataclass
class Written:
    imported: int = 0
    problems: list[RowProblem] = field(default_factory=list)


@dataclass(frozen=True)
class Importer(Generic[D]):
    """One kind of record: its columns, how a row is read, how the rows are written."""

    spec: SheetSpec
    label: str  # e.g. 人员 people
    map_row: Callable[[int, dict[str, Any]], Mapped[D]]
    write: Callable[
        [TransactionRuntime, Caller, list[Mapped[D]], bool, ProgressFactory], Awaitable[Written]
    ]


_INDEX = re.compile(r"\[\d+\]$")


def use_case_problem(
    row: int, problem: Problem, header_of_field: Callable[[str], str]
) -> RowProblem:
    """A use case's (field, code, zh, en) as a problem of a file row and column."""
    field_, _, zh, en = problem
    return RowProblem(row, header_of_field(_INDEX.sub("", field_)), zh, en)


def headers_by_field(spec: SheetSpec, extra: dict[str, str] | None = None) -> Callable[[str], str]:
    """API field → the file's column header (unknown fields are shown as they are)."""
    known = {c.key: c.header for c in spec.columns} | (extra or {})
    return lambda field_: known.get(field_, field_)


def in_file_duplicates(
    mapped: Sequence[Mapped[D]],
    key: Callable[[D], str | None],
    column: str,
    what_zh: str,
    what_en: str,
) -> None:
    """Flag a row whose ``key`` an earlier row already has (the earlier row is named)."""
    first: dict[str, int] = {}
    for item in mapped:
        value = key(item.draft)
        if not value:
            continue
        if value in first:
            item.problems.append(
                RowProblem(
                    item.row,
                    column,
                    f"与第{first[value]}行的{what_zh}重复",
                    f"Same {what_en} as row {first[value]}",
                )
            )
        else:
            first[value] = item.row


def batches(items: Sequence[T], size: int = BATCH_ROWS) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def merge_problems(mapped: Mapped[Any], more: list[RowProblem]) -> None:
    """Add rule problems of a row that could not be read, for columns not already flagged."""
    flagged = {p.column for p in mapped.problems}
    mapped.problems += [p for p in more if p.column not in flagged]
