"""A service's kind run by the kit, without a database: reading rows, the one transaction (all
or nothing, or skip-invalid), batches, refusals mapped to rows, the registry and the command."""

import io
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from gongjian_kit.auth import Caller, Role, issue_token
from gongjian_kit.bulk import (
    Applied,
    BulkError,
    BulkKind,
    BulkService,
    Column,
    ImportContext,
    Mapped,
    RowProblem,
    SheetSpec,
    Written,
    cells,
    commands,
    discover,
    headers_by_field,
    in_file_duplicates,
    quiet,
    runner,
    service_of_kind,
    use_case_problem,
    write_rows,
)
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.policy import Resource
from gongjian_kit.runtime import Runtime
from gongjian_kit.settings import ServiceSettings

SECRET = "s" * 32
ADMIN = Caller("test", frozenset({Role.STREET_ADMIN}), "330106001000")
MEMBER = Caller("member", frozenset({Role.MEMBER}), "330106001000")
SPEC = SheetSpec(
    kind="participations",
    title="参加记录",
    columns=(
        Column("name", "姓名", required=True),
        Column("hours", "服务时长"),
    ),
)


@dataclass
class Participation:
    name: str
    hours: int


def parse_row(row: int, values: dict[str, Any]) -> Mapped[Participation]:
    hours, why = cells.integer(values.get("hours"))
    mapped = Mapped(row, Participation(cells.text(values.get("name")), hours))
    mapped.flag(SPEC.header("hours"), why)
    return mapped


def rules(_: ImportContext, draft: Participation) -> list:
    """The use case's rules that need no database."""
    if draft.hours < 0:
        return [("hours", ErrorCode.BAD_USER_INPUT, "不能为负", "Cannot be negative")]
    if draft.hours > 8:
        return [("hours[0]", ErrorCode.BAD_USER_INPUT, "超过8小时", "More than 8 hours")]
    return []


STORED: list[str] = []


async def record(ctx: ImportContext, drafts: list[Participation]) -> Applied:
    """The use case: checks its rules, writes in its own unit of work (a savepoint)."""
    refused = [(i, p) for i, d in enumerate(drafts) for p in rules(ctx, d)]
    async with ctx.runtime.unit_of_work():
        kept = [d.name for i, d in enumerate(drafts) if i not in dict(refused)]
        STORED.extend(kept)
    return Applied(len(kept), refused)


async def apply(ctx: ImportContext, rows: list[Mapped[Participation]]) -> Written:
    return await write_rows(ctx, rows, SPEC, record, rules, batch_rows=2)


KIND = BulkKind(SPEC, "参加记录 participations", parse_row, apply, writes=Resource.RECORDS)


class Transaction:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def start(self) -> None:
        self.log.append("begin")

    async def commit(self) -> None:
        self.log.append("commit")

    async def rollback(self) -> None:
        self.log.append("rollback")

    async def __aenter__(self) -> None:
        self.log.append("savepoint")

    async def __aexit__(self, *_: object) -> None:
        self.log.append("release")


class Pool:
    def __init__(self) -> None:
        self.log: list[str] = []

    def transaction(self) -> Transaction:
        return Transaction(self.log)

    @asynccontextmanager
    async def acquire(self):
        yield self


@pytest.fixture
def pool() -> Pool:
    STORED.clear()
    return Pool()


def runtime_on(pool: Pool) -> Runtime:
    return Runtime(settings=ServiceSettings(service_name="toy"), catalog=None, topics={}, pool=pool)


def csv_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "participations.csv"
    path.write_text("\n".join(["姓名,服务时长", *lines]) + "\n", encoding="utf-8")
    return path


def test_rows_are_read_with_required_cells_and_unreadable_cells_flagged(tmp_path: Path):
    rows, ignored = runner.read_rows(KIND, csv_file(tmp_path, "甲,2", ",三"))
    assert ignored == []
    assert [(m.row, m.draft) for m in rows] == [
        (2, Participation("甲", 2)),
        (3, Participation("", 0)),
    ]
    assert rows[1].problems == [
        RowProblem(3, "姓名", "必填项不能为空", "This column is required"),
        RowProblem(3, "服务时长", "应填写整数", "Must be a whole number"),
    ]


async def test_a_file_with_a_bad_row_writes_nothing_and_reports_every_problem(
    tmp_path: Path, pool: Pool
):
    path = csv_file(tmp_path, "甲,2", "乙,9", "丙,-1", "丁,3")
    result = await runner.run_import(runtime_on(pool), ADMIN, KIND, path)
    assert not result.committed
    assert result.imported == 0
    assert (result.rows, result.rejected_rows) == (4, 2)
    assert [(p.row, p.column, p.en) for p in result.problems] == [
        (3, "服务时长", "More than 8 hours"),
        (4, "服务时长", "Cannot be negative"),
    ]
    assert pool.log[0] == "begin"
    assert pool.log[-1] == "rollback"


async def test_skip_invalid_commits_the_good_rows(tmp_path: Path, pool: Pool):
    path = csv_file(tmp_path, "甲,2", "乙,9", "丙,x", "丁,3", "戊,1")
    result = await runner.run_import(runtime_on(pool), ADMIN, KIND, path, skip_invalid=True)
    assert result.committed
    assert result.imported == 3
    assert [p.row for p in result.problems] == [3, 4]
    assert STORED == ["甲", "丁", "戊"]
    # two batches of the good rows, each a savepoint in the one transaction
    assert pool.log == ["begin", "savepoint", "release", "savepoint", "release", "commit"]


async def test_a_file_without_rows_opens_no_transaction(tmp_path: Path, pool: Pool):
    result = await runner.run_import(runtime_on(pool), ADMIN, KIND, csv_file(tmp_path))
    assert (result.rows, result.committed, pool.log) == (0, False, [])


async def test_a_caller_who_may_not_write_is_refused_before_the_file_is_read(pool: Pool):
    with pytest.raises(ApiError) as caught:
        await runner.run_import(runtime_on(pool), MEMBER, KIND, Path("/nowhere.csv"))
    assert caught.value.code == "FORBIDDEN"


async def test_write_rows_shows_its_progress_per_batch():
    seen: list[tuple[str, int | None]] = []

    def progress(label: str, total: int | None):
        seen.append((label, total))
        return quiet(label, total)

    @dataclass
    class NoRuntime:
        @asynccontextmanager
        async def unit_of_work(self):
            yield None

    ctx = ImportContext(NoRuntime(), ADMIN, False, progress)
    rows = [Mapped(n, Participation(str(n), 1)) for n in range(2, 7)]
    written = await write_rows(ctx, rows, SPEC, record, rules, batch_rows=None)
    assert (written.imported, written.problems) == (5, [])
    assert seen == [("校验并写入 validating, writing", 5)]


# the registry and the command line


SERVICE = BulkService("toy", (KIND,), definition=lambda: None)


def test_a_kind_is_found_by_name_and_an_unknown_one_names_the_others():
    assert SERVICE.kind("participations") is KIND
    assert service_of_kind([SERVICE], "participations") is SERVICE
    with pytest.raises(BulkError) as caught:
        service_of_kind([SERVICE], "activities")
    assert "participations" in caught.value.en


def test_services_declare_their_kinds_in_their_bulk_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    package = tmp_path / "gongjian_toyservice" / "bulk"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("")
    (package / "__init__.py").write_text(
        "from gongjian_kit.bulk import BulkService\n"
        "def bulk_kinds():\n"
        "    return BulkService('toyservice', (), definition=lambda: None)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = discover(["toyservice", "nosuchservice"])
    assert [s.name for s in found] == ["toyservice"]


@pytest.fixture
def command_env(pool: Pool, monkeypatch: pytest.MonkeyPatch) -> tuple[ServiceSettings, str]:
    @asynccontextmanager
    async def on_the_fake_pool(settings, definition):
        yield runtime_on(pool)

    monkeypatch.setattr(commands, "service_runtime", on_the_fake_pool)
    token = issue_token(SECRET, subject="t", roles=["STREET_ADMIN"], area="330106001000")
    return ServiceSettings(service_name="toy", jwt_secret=SECRET), token


async def test_the_command_reports_rejected_rows_and_exits_1(tmp_path: Path, command_env):
    settings, token = command_env
    out, err = io.StringIO(), io.StringIO()
    path = csv_file(tmp_path, "甲,2", "乙,9")
    code = await commands.import_command(
        SERVICE, settings, token, "participations", path, out=out, err=err
    )
    assert code == commands.REJECTED
    assert "Nothing was imported: 1 rows have problems" in out.getvalue()
    report = load_workbook(tmp_path / "participations.rejected.xlsx").worksheets[0]
    assert list(report.iter_rows(min_row=2, values_only=True)) == [
        (3, "服务时长", "超过8小时 / More than 8 hours")
    ]


async def test_the_command_with_skip_invalid_exits_0(tmp_path: Path, command_env):
    settings, token = command_env
    out, err = io.StringIO(), io.StringIO()
    path = csv_file(tmp_path, "甲,2", "乙,9")
    code = await commands.import_command(
        SERVICE, settings, token, "participations", path, skip_invalid=True, out=out, err=err
    )
    assert code == commands.OK
    assert "已导入参加记录 participations 1 行（共 2 行）" in out.getvalue()
    assert "Skipped 1 rejected rows" in out.getvalue()


async def test_the_command_fails_with_2_on_a_bad_file_or_token(tmp_path: Path, command_env):
    settings, token = command_env
    err = io.StringIO()
    missing = tmp_path / "missing.csv"
    assert (
        await commands.import_command(SERVICE, settings, token, "participations", missing, err=err)
        == commands.FAILED
    )
    assert "No such file" in err.getvalue()
    path = csv_file(tmp_path, "甲,2")
    assert (
        await commands.import_command(SERVICE, settings, "x.y.z", "participations", path, err=err)
        == commands.FAILED
    )


def test_the_template_command_writes_the_kinds_sheet():
    buffer = io.BytesIO()
    assert commands.template_command(SERVICE, "participations", buffer) == commands.OK
    assert load_workbook(buffer).sheetnames == ["参加记录", "填写说明"]
    err = io.StringIO()
    assert commands.template_command(SERVICE, "nothing", io.BytesIO(), err) == commands.FAILED
    assert "Unknown kind of import" in err.getvalue()


def test_problems_are_ordered_by_row_then_column_and_kept_once():
    found = [
        RowProblem(3, "服务时长", "a", "a"),
        RowProblem(2, "服务时长", "b", "b"),
        RowProblem(3, "姓名", "c", "c"),
        RowProblem(3, "姓名", "c", "c"),
        RowProblem(3, "备注", "d", "d"),
    ]
    assert [(p.row, p.column) for p in runner.ordered(found, SPEC)] == [
        (2, "服务时长"),
        (3, "姓名"),
        (3, "服务时长"),
        (3, "备注"),
    ]


def test_duplicates_in_a_file_name_the_first_row():
    rows = [Mapped(2, "A"), Mapped(3, "B"), Mapped(5, "A")]
    in_file_duplicates(rows, lambda d: d, "公民身份号码", "公民身份号码", "ID number")
    assert rows[0].problems == rows[1].problems == []
    assert rows[2].problems == [
        RowProblem(5, "公民身份号码", "与第2行的公民身份号码重复", "Same ID number as row 2")
    ]


def test_use_case_fields_become_the_file_headers():
    header = headers_by_field(SPEC, {"person": "姓名"})
    problem = ("hours[3]", ErrorCode.BAD_USER_INPUT, "超过8小时", "More than 8 hours")
    assert use_case_problem(9, problem, header) == RowProblem(
        9, "服务时长", "超过8小时", "More than 8 hours"
    )
    assert header("person") == "姓名"
    assert header("unknown") == "unknown"
