"""The command-line side of imports and templates: a runtime on the service's database, the
caller from a token, a progress bar, messages in Chinese and English, the report, exit codes.

Exit codes: 0 everything imported (or, with ``--skip-invalid``, the good rows); 1 rows were
rejected and nothing was imported; 2 the command could not run (file, token, database).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, TextIO

import asyncpg

from gongjian_kit.auth import Caller, TokenVerifier
from gongjian_kit.bulk.problems import BulkError
from gongjian_kit.bulk.progress import Progress
from gongjian_kit.bulk.registry import BulkService
from gongjian_kit.bulk.report import default_report_path, write_report
from gongjian_kit.bulk.runner import (
    ImportResult,
    read_import,
    require_import_right,
    write_import,
)
from gongjian_kit.bulk.template import write_template
from gongjian_kit.db import create_pool
from gongjian_kit.errors import ApiError
from gongjian_kit.runtime import Runtime
from gongjian_kit.settings import ServiceSettings

if TYPE_CHECKING:
    from gongjian_kit.app import ServiceDefinition

OK, REJECTED, FAILED = 0, 1, 2
SHOWN_PROBLEMS = 10


@asynccontextmanager
async def service_runtime(
    settings: ServiceSettings, definition: ServiceDefinition
) -> AsyncIterator[Runtime]:
    """A service's runtime (catalog, topics) on its database, without serving."""
    pool = await create_pool(settings.database_url, min_size=1, max_size=2, wait_s=5)
    try:
        yield Runtime(
            settings=settings,
            catalog=definition.catalog,
            topics=definition.topics,
            pool=pool,
            verifier=TokenVerifier(settings),
        )
    finally:
        await pool.close()


def caller_of(settings: ServiceSettings, token: str) -> Caller:
    """The caller a token names, verified with the service's keys."""
    return TokenVerifier(settings).verify(token.strip())


def say(stream: TextIO, zh: str, en: str) -> None:
    """One message, in Chinese then English."""
    print(f"{zh} / {en}", file=stream, flush=True)


# What makes a command fail as a whole (exit code 2), told by ``failed``.
COMMAND_ERRORS = (BulkError, ApiError, OSError, asyncpg.PostgresError)


def failed(exc: Exception, err: TextIO) -> int:
    """Say why a command could not run; the exit code for it."""
    if isinstance(exc, BulkError | ApiError):
        say(err, exc.zh, exc.en)
    else:
        say(err, f"数据库错误：{exc}", "Database error; check DATABASE_URL and the migrations")
    return FAILED


async def import_command(
    service: BulkService,
    settings: ServiceSettings,
    token: str,
    kind: str,
    path: Path,
    *,
    skip_invalid: bool = False,
    report_path: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """``gongjian import KIND FILE``: import, write the report of rejected rows, print a summary.

    ``settings`` are those of ``service``, whose database the rows are written to.
    """
    out, err = out or sys.stdout, err or sys.stderr

    def progress(label: str, total: int | None) -> Progress:
        return Progress(label, total, stream=err)

    try:
        chosen = service.kind(kind)
        caller = caller_of(settings, token)
        require_import_right(caller, chosen)
        read = read_import(chosen, path, progress)  # the file's faults before the database's
        async with service_runtime(settings, service.definition()) as runtime:
            result = await write_import(
                runtime, caller, read, skip_invalid=skip_invalid, progress=progress
            )
    except COMMAND_ERRORS as exc:
        return failed(exc, err)
    return _summarize(result, chosen.label, path, report_path, out, err)


def _summarize(
    result: ImportResult,
    label: str,
    path: Path,
    report_path: Path | None,
    out: TextIO,
    err: TextIO,
) -> int:
    if result.ignored_columns:
        names = "、".join(result.ignored_columns)
        say(err, f"已忽略无法识别的列：{names}", f"Ignored unknown columns: {names}")
    report = None
    if result.problems:
        report = report_path or default_report_path(path)
        write_report(result.problems, report)
        for p in result.problems[:SHOWN_PROBLEMS]:
            print(f"  第{p.row}行 row {p.row} · {p.column}: {p.reason}", file=err)
        if len(result.problems) > SHOWN_PROBLEMS:
            print(f"  … {len(result.problems) - SHOWN_PROBLEMS} more", file=err)
    speed = (
        f"{result.rows:,} 行 rows, {result.seconds:.1f} s, "
        f"{result.rows_per_second:,.0f} 行/秒 rows/s"
    )
    if not result.committed and result.problems:
        say(
            out,
            f"未导入任何数据：{result.rejected_rows:,} 行有问题，详见 {report}",
            f"Nothing was imported: {result.rejected_rows:,} rows have problems, see {report}",
        )
        print(speed, file=out)
        return REJECTED
    say(
        out,
        f"已导入{label} {result.imported:,} 行（共 {result.rows:,} 行）",
        f"Imported {result.imported:,} of {result.rows:,} rows",
    )
    if result.problems:
        say(
            out,
            f"已跳过 {result.rejected_rows:,} 行有问题的行，详见 {report}",
            f"Skipped {result.rejected_rows:,} rejected rows, see {report}",
        )
    print(speed, file=out)
    return OK


def template_command(
    service: BulkService, kind: str, target: Path | IO[bytes], err: TextIO | None = None
) -> int:
    """``gongjian template KIND``: the empty file with the headers an import expects."""
    try:
        write_template(service.kind(kind).spec, target)
    except BulkError as exc:
        say(err or sys.stderr, exc.zh, exc.en)
        return FAILED
    return OK
