"""The organizations service on the command line: its runtime, imports by kind name, and
``gongjian export coverage``. Messages, reports and exit codes are the kit's
(``gongjian_kit.bulk.commands``)."""

from __future__ import annotations

import sys
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TextIO

from gongjian_kit import policy
from gongjian_kit.bulk import commands
from gongjian_kit.bulk.commands import COMMAND_ERRORS, OK, caller_of, failed, say
from gongjian_kit.policy import Resource
from gongjian_kit.runtime import Runtime
from gongjian_kit.settings import ServiceSettings
from gongjian_organizations.bulk import _definition, bulk_kinds
from gongjian_organizations.bulk.export import export_coverage


def service_runtime(settings: ServiceSettings) -> AbstractAsyncContextManager[Runtime]:
    """The organizations service's runtime (catalog, topics) on its database, without serving."""
    return commands.service_runtime(settings, _definition())


def import_command(
    settings: ServiceSettings, token: str, kind: str, path: Path, **options: Any
) -> Coroutine[Any, Any, int]:
    """``gongjian import KIND FILE`` for units, organizations or people: the kit's command
    (``options``: ``skip_invalid``, ``report_path``, ``out``, ``err``)."""
    return commands.import_command(bulk_kinds(), settings, token, kind, path, **options)


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
    except COMMAND_ERRORS as exc:
        return failed(exc, err)
    for f in result.figures:
        rate = "—" if f.rate is None else f"{f.rate:.1%}"
        print(
            f"  {f.family.value:<18} 应建 {f.required:>6}  已建 {f.covered:>6}  覆盖率 {rate:>6}",
            file=out,
        )
    say(
        out,
        f"已导出{result.area_name}（{area_code}）的覆盖率和应建未建清单：{target}",
        f"Exported coverage and gap lists of {area_code} to {target}",
    )
    return OK
