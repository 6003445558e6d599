"""Import from files (XLSX, CSV) with Chinese headers, written once for every service (批量导入).

The kit does the machinery: the template (headers, drop-downs, text columns, 填写说明), reading
XLSX or CSV (UTF-8 with or without BOM, GB18030), matching headers leniently, reading cells
(``cells``), required cells, the access check, one transaction for the whole file (all or
nothing, or ``--skip-invalid``), batches, the progress bar, the report of rejected rows
(``<file>.rejected.xlsx``: 行号, 列, 原因) and the exit codes of ``gongjian import|template``.
A service declares its kinds and how a row reaches its use cases.

Adding an importable kind (e.g. ``activities`` in the activities service)
--------------------------------------------------------------------------

1. In ``gongjian_<service>/bulk/<kind>.py`` declare the sheet::

       SPEC = SheetSpec(
           kind="activities",            # gongjian import activities …
           title="活动",                  # the data sheet's name
           columns=(
               Column("title", "活动名称", required=True, example="主题党日"),
               Column("line", "工作条线", required=True, choices=tuple(LINE_LABELS.values())),
               Column("heldOn", "活动日期", note="YYYY-MM-DD"),
               ...                       # key = the API's field name, header = Chinese
           ),
       )

2. Read a row into the use case's input, flagging the cells that cannot be read (the domain
   rules judge the values later, in the use case)::

       def parse_row(row: int, values: dict[str, Any]) -> Mapped[ActivityInput]:
           line, why_line = cells.choice(values.get("line"), LINE_LABELS)
           held, why_held = cells.day(values.get("heldOn"))
           mapped = Mapped(row, ActivityInput(cells.text(values.get("title")), line or "", held))
           mapped.flag(SPEC.header("line"), why_line)
           mapped.flag(SPEC.header("heldOn"), why_held)
           return mapped

3. Write the rows through the use cases. ``ctx.runtime.unit_of_work()`` is a savepoint in the
   import's one transaction, so a use case is called as it is; ``write_rows`` reports the rows
   already flagged (with the use case's rules that need no database, ``rule_problems``), sends
   the good ones in batches to ``write_batch`` and maps what it refuses, ``(index, (field,
   code, zh, en))``, back to rows and columns. Look up what a file names in words (by name, by
   code) before, with one statement for the whole file, on ``ctx.runtime.conn``::

       async def _record(ctx: ImportContext, drafts: list[ActivityInput]) -> Applied:
           result = await record_activities(ctx.runtime, ctx.caller, drafts,
                                            skip_invalid=ctx.skip_invalid)
           return Applied(len(result.written), result.rejected)

       async def apply(ctx: ImportContext, rows: list[Mapped[ActivityInput]]) -> Written:
           return await write_rows(ctx, rows, SPEC, _record,
                                   lambda ctx, draft: validate_activity(draft, ctx.caller)[1])

       KIND = BulkKind(SPEC, "活动 activities", parse_row, apply, writes=Resource.RECORDS)

4. In ``gongjian_<service>/bulk/__init__.py`` expose the service's kinds; the command line
   finds them there (``registry.discover``) and runs the import on that service's database::

       @cache
       def bulk_kinds() -> BulkService:
           from gongjian_<service>.bulk import activities, participations
           return BulkService("activities", (activities.KIND, participations.KIND), _definition)

   where ``_definition()`` imports and returns the service's ``app.definition`` (lazily: it
   pulls in the schema). ``exports={"name": command}`` adds a ``gongjian export name``.

5. Tests: ``parse_row`` as unit tests (no I/O); a file through ``runner.run_import`` (or
   ``gongjian_deploy.cli.main(["import", kind, file, …])``) against the test stack.
"""

from gongjian_kit.bulk import cells
from gongjian_kit.bulk.columns import Column, SheetSpec
from gongjian_kit.bulk.problems import BulkError, RowProblem
from gongjian_kit.bulk.progress import Progress, ProgressFactory, quiet
from gongjian_kit.bulk.registry import BulkService, ExportCommand, discover, service_of_kind
from gongjian_kit.bulk.rows import (
    Applied,
    BulkKind,
    ImportContext,
    Mapped,
    Problem,
    Written,
    headers_by_field,
    in_file_duplicates,
    use_case_problem,
    write_rows,
)

__all__ = [
    "Applied",
    "BulkError",
    "BulkKind",
    "BulkService",
    "Column",
    "ExportCommand",
    "ImportContext",
    "Mapped",
    "Problem",
    "Progress",
    "ProgressFactory",
    "RowProblem",
    "SheetSpec",
    "Written",
    "cells",
    "discover",
    "headers_by_field",
    "in_file_duplicates",
    "quiet",
    "service_of_kind",
    "use_case_problem",
    "write_rows",
]
