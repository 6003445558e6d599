"""Running an import: read every row, check and write them in one transaction, report.

All or nothing by default: when any row has a problem the transaction is rolled back and every
problem found is reported. With ``skip_invalid`` the good rows are committed and the others
reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gongjian_kit import policy
from gongjian_kit.auth import Caller
from gongjian_kit.bulk import cells
from gongjian_kit.bulk.columns import SheetSpec, map_headers
from gongjian_kit.bulk.problems import RowProblem
from gongjian_kit.bulk.progress import ProgressFactory, quiet
from gongjian_kit.bulk.reading import read_table
from gongjian_kit.bulk.rows import BulkKind, ImportContext, Mapped
from gongjian_kit.bulk.session import import_transaction
from gongjian_kit.policy import Action
from gongjian_kit.runtime import Runtime


@dataclass
class ImportResult:
    """What an import did: rows read and written, the problems, whether it committed."""

    kind: str
    rows: int = 0  # data rows in the file
    imported: int = 0  # rows written (0 when rolled back)
    problems: list[RowProblem] = field(default_factory=list)
    committed: bool = False
    seconds: float = 0.0
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.problems})

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def read_rows(
    kind: BulkKind[Any], path: Path, progress: ProgressFactory = quiet
) -> tuple[list[Mapped[Any]], list[str]]:
    """Every data row of ``path`` read into the kind's drafts, and the ignored columns."""
    spec = kind.spec
    table = read_table(path, spec.title)
    positions, ignored = map_headers(spec, table.headers)
    required = [c for c in spec.columns if c.required]
    mapped: list[Mapped[Any]] = []
    bar = progress("读取 reading", table.total)
    for number, row in table.rows:
        values = {key: row[pos] if pos < len(row) else None for key, pos in positions.items()}
        item = kind.parse_row(number, values)
        blank = [
            RowProblem(number, c.header, "必填项不能为空", "This column is required")
            for c in required
            if not cells.text(values.get(c.key))
        ]
        item.problems[:0] = blank
        mapped.append(item)
        bar.advance()
    bar.close()
    return mapped, ignored


def ordered(problems: list[RowProblem], spec: SheetSpec) -> list[RowProblem]:
    """By row, then in the file's column order; each problem once."""
    position = {c.header: i for i, c in enumerate(spec.columns)}
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.row, position.get(p.column, len(position))))


@dataclass
class ReadFile:
    """A file read and mapped, before any database work."""

    kind: BulkKind[Any]
    rows: list[Mapped[Any]]
    ignored_columns: list[str]
    started: float


def read_import(kind: BulkKind[Any], path: Path, progress: ProgressFactory = quiet) -> ReadFile:
    """Read ``path`` as ``kind``, before any database work; raises ``BulkError``."""
    started = time.monotonic()
    rows, ignored = read_rows(kind, path, progress)
    return ReadFile(kind, rows, ignored, started)


def require_import_right(caller: Caller, kind: BulkKind[Any]) -> None:
    """FORBIDDEN unless the caller may write what a ``kind`` import writes."""
    policy.require(caller, kind.writes, Action.WRITE)


async def write_import(
    runtime: Runtime,
    caller: Caller,
    read: ReadFile,
    *,
    skip_invalid: bool = False,
    progress: ProgressFactory = quiet,
) -> ImportResult:
    """Check and write the rows read, in one transaction, for ``caller``."""
    kind = read.kind
    require_import_right(caller, kind)
    result = ImportResult(kind.kind, len(read.rows), ignored_columns=read.ignored_columns)
    if read.rows:
        async with import_transaction(runtime) as tx:
            ctx = ImportContext(tx.runtime, caller, skip_invalid, progress)
            written = await kind.apply(ctx, read.rows)
            result.problems = ordered(written.problems, kind.spec)
            tx.commit = skip_invalid or not result.problems
        result.committed = tx.commit
        result.imported = written.imported if tx.commit else 0
    result.seconds = time.monotonic() - read.started
    return result


async def run_import(
    runtime: Runtime,
    caller: Caller,
    kind: BulkKind[Any],
    path: Path,
    *,
    skip_invalid: bool = False,
    progress: ProgressFactory = quiet,
) -> ImportResult:
    """Import ``path`` as ``kind`` for ``caller``: ``read_import`` then ``write_import``."""
    require_import_right(caller, kind)
    read = read_import(kind, path, progress)
    return await write_import(runtime, caller, read, skip_invalid=skip_invalid, progress=progress)
