"""The command-line side of import, export and templates: a runtime on the service's database, the
caller from a token, messages in Chinese and English, exit codes.

Exit codes: 0 everything imported (or, with ``--skip-invalid``, the good rows); 1 rows were
rejected and nothing was imported; 2 the command could not run (file, token, database).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, TextIO

import asyncpg

from gongjian_kit import policy
from gongjian_kit.auth import Caller, TokenVerifier
from gongjian_kit.db import create_pool
from gongjian_kit.errors import ApiError
from gongjian_kit.policy import Resource
from gongjian_kit.runtime import Runtime
from gongjian_kit.settings import ServiceSettings
from gongjian_organizations.bulk.export import export_coverage
from gongjian_organizations.bulk.problems import BulkError
from gongjian_organizations.bulk.progress import Progress
from gongjian_organizations.bulk.report import default_report_path, write_report
from gongjian_organizations.bulk.runner import (
    ImportResult,
    importer_of,
    read_import,
    require_import_right,
    write_import,
)
from gongjian_organizations.bulk.template import write_template

OK, REJECTED, FAILED = 0, 1, 2
SHOWN_PROBLEMS = 10


@asynccontextmanager
async def service_runtime(settings: ServiceSettings) -> AsyncIterator[Runtime]:
    """The organizations service's runtime (catalog, topics) on its database, without serving."""
    from gongjian_organizations.app import definition  # noqa: PLC0415 - pulls in the schema

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
    return TokenVerifier(settings).verify(token.strip())


def _say(stream: TextIO, zh: str, en: str) -> None:
    print(f"{zh} / {en}", file=stream, flush=True)


async def import_command(
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
    """``gongjian import KIND FILE``: import, write the report of rejected rows, print a summary."""
    out, err = out or sys.stdout, err or sys.stderr

    def progress(label: str, total: int | None) -> Progress:
        return Progress(label, total, stream=err)

    try:
        caller = caller_of(settings, token)
        require_import_right(caller, kind)
        read = read_import(kind, path, progress)  # the file's faults before the database's
        async with service_runtime(settings) as runtime:
            result = await write_import(
                runtime, caller, read, skip_invalid=skip_invalid, progress=progress
            )
    except (BulkError, ApiError) as exc:
        _say(err, exc.zh, exc.en)
        return FAILED
    except (OSError, asyncpg.PostgresError) as exc:
        _say(err, f"数据库错误：{exc}", "Database error; check DATABASE_URL and the migrations")
        return FAILED
    return _summarize(result, path, report_path, out, err)


def _summarize(
    result: ImportResult, path: Path, report_path: Path | None, out: TextIO, err: TextIO
) -> int:
    label = importer_of(result.kind).label
    if result.ignored_columns:
        names = "、".join(result.ignored_columns)
        _say(err, f"已忽略无法识别的列：{names}", f"Ignored unknown columns: {names}")
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
        _say(
            out,
            f"未导入任何数据：{result.rejected_rows:,} 行有问题，详见 {report}",
            f"Nothing was imported: {result.rejected_rows:,} rows have problems, see {report}",
        )
        print(speed, file=out)
        return REJECTED
    _say(
        out,
        f"已导入{label} {result.imported:,} 行（共 {result.rows:,} 行）",
        f"Imported {result.imported:,} of {result.rows:,} rows",
    )
    if result.problems:
        _say(
            out,
            f"已跳过 {result.rejected_rows:,} 行有问题的行，详见 {report}",
            f"Skipped {result.rejected_rows:,} rejected rows, see {report}",
        )
    print(speed, file=out)
    return OK


async def export_command(
    settings: ServiceSettings,
    token: str,
    area_code: str,
    target: Path,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """``gongjian export coverage --area CODE``."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        caller = caller_of(settings, token)
        policy.require(caller, Resource.RECORDS)
        caller.checked_area(area_code)  # before connecting: a typo fails fast
        async with service_runtime(settings) as runtime:
            result = await export_coverage(runtime.db, caller, area_code, target)
    except (BulkError, ApiError) as exc:
        _say(err, exc.zh, exc.en)
        return FAILED
    except (OSError, asyncpg.PostgresError) as exc:
        _say(err, f"数据库错误：{exc}", "Database error; check DATABASE_URL and the migrations")
        return FAILED
    for f in result.figures:
        rate = "—" if f.rate is None else f"{f.rate:.1%}"
        print(
            f"  {f.family.value:<18} 应建 {f.required:>6}  已建 {f.covered:>6}  覆盖率 {rate:>6}",
            file=out,
        )
    _say(
        out,
        f"已导出{result.area_name}（{area_code}）的覆盖率和应建未建清单：{target}",
        f"Exported coverage and gap lists of {area_code} to {target}",
    )
    return OK


def template_command(kind: str, target: Path | IO[bytes], err: TextIO | None = None) -> int:
    """``gongjian template KIND``: the empty file with the headers an import expects."""
    try:
        write_template(importer_of(kind).spec, target)
    except BulkError as exc:
        _say(err or sys.stderr, exc.zh, exc.en)
        return FAILED
    return OK
