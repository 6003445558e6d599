"""What every kind of import shares: a mapped row, the kind's declaration, problems per row, and
the loop that writes the good rows through a service's use cases in batches."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from gongjian_kit.auth import Caller
from gongjian_kit.bulk.cells import Why
from gongjian_kit.bulk.columns import SheetSpec
from gongjian_kit.bulk.problems import RowProblem
from gongjian_kit.bulk.progress import ProgressFactory
from gongjian_kit.bulk.session import TransactionRuntime
from gongjian_kit.errors import ErrorCode
from gongjian_kit.policy import Resource

D = TypeVar("D")
T = TypeVar("T")
BATCH_ROWS = 2000  # rows per use-case call: progress, and statements of bounded size
# What a use case says of one entry it refuses: field, code, Chinese, English.
Problem = tuple[str, ErrorCode, str, str]


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
    """What ``apply`` did with a file: rows written, problems of the rows that were not."""

    imported: int = 0
    problems: list[RowProblem] = field(default_factory=list)


@dataclass(frozen=True)
class ImportContext:
    """What an import's ``apply`` works with.

    ``runtime.unit_of_work()`` is a savepoint in the import's one transaction: the use cases are
    called as they are, and the runner commits once, or rolls everything back.
    """

    runtime: TransactionRuntime
    caller: Caller
    skip_invalid: bool
    progress: ProgressFactory


@dataclass(frozen=True)
class BulkKind(Generic[D]):
    """One importable kind of record: its sheet, how a row is read, how the rows are written.

    ``parse_row(row_number, values by column key)`` returns the draft and the cells it could not
    read; ``apply`` writes the rows of the whole file (usually through ``write_rows``).
    ``writes`` is what the import writes in the access policy's terms (checked before reading).
    """

    spec: SheetSpec
    label: str  # e.g. 人员 people
    parse_row: Callable[[int, dict[str, Any]], Mapped[D]]
    apply: Callable[[ImportContext, list[Mapped[D]]], Awaitable[Written]]
    writes: Resource

    @property
    def kind(self) -> str:
        return self.spec.kind


@dataclass(frozen=True)
class Applied:
    """What one use-case call did with a batch: entries written, entries refused (index, why)."""

    imported: int
    rejected: Sequence[tuple[int, Problem]] = ()


_INDEX = re.compile(r"\[\d+\]$")


def use_case_problem(
    row: int, problem: Problem, header_of_field: Callable[[str], str]
) -> RowProblem:
    """A use case's (field, code, zh, en) as a problem of a file row and column."""
    field_, _, zh, en = problem
    return RowProblem(row, header_of_field(_INDEX.sub("", field_)), zh, en)


def headers_by_field(
    spec: SheetSpec, extra: Mapping[str, str] | None = None
) -> Callable[[str], str]:
    """API field → the file's column header (unknown fields are shown as they are)."""
    known = {c.key: c.header for c in spec.columns} | dict(extra or {})
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
    """``items`` in slices of ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def merge_problems(mapped: Mapped[Any], more: list[RowProblem]) -> None:
    """Add rule problems of a row that could not be read, for columns not already flagged."""
    flagged = {p.column for p in mapped.problems}
    mapped.problems += [p for p in more if p.column not in flagged]


async def write_rows(
    ctx: ImportContext,
    rows: list[Mapped[D]],
    spec: SheetSpec,
    write_batch: Callable[[ImportContext, list[D]], Awaitable[Applied]],
    rule_problems: Callable[[ImportContext, D], list[Problem]],
    *,
    extra_headers: Callable[[D], Mapping[str, str]] | None = None,
    batch_rows: int | None = BATCH_ROWS,
) -> Written:
    """Write the rows without problems through ``write_batch``, report the others.

    A row already flagged is not written; it is also judged by ``rule_problems`` (the use case's
    rules that need no database) so its report names every fault at once. The good rows go to
    ``write_batch`` in batches of ``batch_rows`` (``None``: one batch, for use cases whose entries
    refer to each other by index); what it refuses is reported against the row and column.
    ``extra_headers`` names, per draft, the column a use-case field was read from when that is
    not the field's own column.
    """
    base = headers_by_field(spec)

    def header_of(draft: D) -> Callable[[str], str]:
        return base if extra_headers is None else headers_by_field(spec, extra_headers(draft))

    written = Written()
    good: list[Mapped[D]] = []
    for item in rows:
        if item.problems:
            header = header_of(item.draft)
            found = rule_problems(ctx, item.draft)
            merge_problems(item, [use_case_problem(item.row, p, header) for p in found])
            written.problems += item.problems
        else:
            good.append(item)
    bar = ctx.progress("校验并写入 validating, writing", len(good))
    for batch in batches(good, batch_rows or max(len(good), 1)):
        applied = await write_batch(ctx, [item.draft for item in batch])
        written.imported += applied.imported
        written.problems += [
            use_case_problem(batch[index].row, problem, header_of(batch[index].draft))
            for index, problem in applied.rejected
        ]
        bar.advance(len(batch))
    bar.close()
    return written
