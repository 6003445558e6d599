"""Import files on disk, without a database: CSV encodings, XLSX, the template, the report."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gongjian_organizations.bulk import people, units
from gongjian_organizations.bulk.problems import BulkError, RowProblem
from gongjian_organizations.bulk.reading import read_table
from gongjian_organizations.bulk.report import REPORT_HEADERS, default_report_path, write_report
from gongjian_organizations.bulk.runner import read_rows
from gongjian_organizations.bulk.template import INSTRUCTIONS, write_template

UNIT_CSV = "单位名称,单位类型,所在区划代码,职工人数\r\n甲公司,非公有制企业,330106001001,30\r\n"


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b"")]
)
def test_csv_in_utf8_with_or_without_bom_and_in_gb18030(tmp_path: Path, encoding, bom):
    path = tmp_path / "units.csv"
    path.write_bytes(bom + UNIT_CSV.encode(encoding))
    table = read_table(path)
    assert table.headers == ["单位名称", "单位类型", "所在区划代码", "职工人数"]
    assert list(table.rows) == [(2, ["甲公司", "非公有制企业", "330106001001", "30"])]


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_file(tmp_path: Path):
    path = tmp_path / "units.csv"
    path.write_text(
        "单位名称,单位类型,所在区划代码\n甲,社区,330106001001\n,,\n\n乙,村,330106001002\n",
        encoding="utf-8-sig",
    )
    mapped, _ = read_rows(units.IMPORTER, path)
    assert [(m.row, m.draft.name) for m in mapped] == [(2, "甲"), (5, "乙")]


def test_required_cells_left_blank_are_reported(tmp_path: Path):
    path = tmp_path / "people.csv"
    path.write_text("姓名,公民身份号码,所在区划代码\n,110101199003070011,330106001001\n")
    mapped, _ = read_rows(people.IMPORTER, path)
    assert mapped[0].problems == [
        RowProblem(2, "姓名", "必填项不能为空", "This column is required")
    ]


def test_other_files_are_refused_before_anything_is_read(tmp_path: Path):
    old = tmp_path / "units.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(BulkError, match=r"\.xlsx"):
        read_table(old)
    broken = tmp_path / "units.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(BulkError, match="XLSX"):
        read_table(broken)
    with pytest.raises(BulkError, match="找不到"):
        read_table(tmp_path / "missing.csv")


def test_the_template_has_the_headers_an_import_expects(tmp_path: Path):
    path = tmp_path / "people.xlsx"
    write_template(people.SPEC, path)
    book = load_workbook(path)
    sheet = book[people.SPEC.title]
    assert [c.value for c in sheet[1]] == [c.header for c in people.SPEC.columns]
    assert sheet.column_dimensions["B"].number_format == "@"  # the ID number stays text
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["E2"] == '"群众,共青团员,中共预备党员,中共党员"'
    notes = book[INSTRUCTIONS]
    assert [r[0] for r in notes.iter_rows(min_row=2, max_row=3, values_only=True)] == [
        "姓名",
        "公民身份号码",
    ]


def test_a_filled_template_reads_back(tmp_path: Path):
    path = tmp_path / "units.xlsx"
    write_template(units.SPEC, path)
    book = load_workbook(path)
    sheet = book[units.SPEC.title]
    sheet.append(["甲公司", "非公有制企业", None, "330106001001", 30, 3])
    book.save(path)
    mapped, ignored = read_rows(units.IMPORTER, path)
    assert ignored == []
    assert len(mapped) == 1
    assert mapped[0].row == 2
    assert mapped[0].draft.kind == "NON_PUBLIC_ENTERPRISE"
    assert mapped[0].draft.counts["partyMembers"] == 3


def test_the_report_has_one_line_per_problem():
    buffer = io.BytesIO()
    write_report(
        [
            RowProblem(3, "公民身份号码", "公民身份号码校验位错误", "The check digit is wrong"),
            RowProblem(3, "手机号码", "手机号码应为11位", "11 digits"),
            RowProblem(9, "政治面貌", "应为以下之一：群众", "Must be one of: 群众"),
        ],
        buffer,
    )
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    assert list(sheet.iter_rows(values_only=True)) == [
        REPORT_HEADERS,
        (3, "公民身份号码", "公民身份号码校验位错误 / The check digit is wrong"),
        (3, "手机号码", "手机号码应为11位 / 11 digits"),
        (9, "政治面貌", "应为以下之一：群众 / Must be one of: 群众"),
    ]
    assert REPORT_HEADERS == ("行号", "列", "原因")
    assert default_report_path(Path("/x/people.xlsx")) == Path("/x/people.rejected.xlsx")


def test_the_cli_writes_a_template(tmp_path: Path):
    from gongjian_deploy import cli  # noqa: PLC0415

    path = tmp_path / "organizations.xlsx"
    assert cli.main(["template", "organizations", "--out", str(path)]) == 0
    sheet = load_workbook(path)["组织"]
    assert [c.value for c in sheet[1]][:5] == [
        "组织名称",
        "组织类型",
        "建立方式",
        "所在区划代码",
        "覆盖单位统一社会信用代码",
    ]


def test_the_cli_finds_the_running_stack_in_its_state_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import argparse  # noqa: PLC0415

    from gongjian_deploy import cli  # noqa: PLC0415

    state = tmp_path / "state.json"
    monkeypatch.setattr(cli, "STATE_FILE", state)
    monkeypatch.setenv("DATABASE_URL", "postgresql://server-of-make-up/")
    cli._write_state(
        {
            "gateway": "http://127.0.0.1:4000/graphql",
            "jwt_secret": "secret",
            "organizations_database_url": "postgresql://127.0.0.1:5/gongjian_organizations",
            "personal_data_key": "a2V5",
            "personal_data_hmac_key": "aG1hYw==",
            "topic_namespace": "",
        }
    )
    assert state.stat().st_mode & 0o777 == 0o600
    settings = cli._service_settings(argparse.Namespace(database_url=None))
    assert settings.database_url == "postgresql://127.0.0.1:5/gongjian_organizations"
    assert (settings.jwt_secret, settings.personal_data_key) == ("secret", "a2V5")
    chosen = cli._service_settings(argparse.Namespace(database_url="postgresql://elsewhere/db"))
    assert chosen.database_url == "postgresql://elsewhere/db"
    state.unlink()
    assert cli._service_settings(argparse.Namespace(database_url=None)).database_url == (
        "postgresql://server-of-make-up/"
    )
