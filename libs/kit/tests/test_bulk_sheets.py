"""Import files without a database: headers, CSV encodings, XLSX, the template, the report."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gongjian_kit.bulk import Column, RowProblem, SheetSpec
from gongjian_kit.bulk.columns import map_headers, normalize_header
from gongjian_kit.bulk.problems import BulkError
from gongjian_kit.bulk.reading import read_table
from gongjian_kit.bulk.report import REPORT_HEADERS, default_report_path, write_report
from gongjian_kit.bulk.template import INSTRUCTIONS, write_template

SPEC = SheetSpec(
    kind="activities",
    title="活动",
    columns=(
        Column("title", "活动名称", required=True, example="主题党日"),
        Column("line", "工作条线", required=True, choices=("组织建设", "服务群众")),
        Column("organizationId", "组织编号", text=True, note="系统中组织的编号"),
        Column("attendance", "参加人数", aliases=("人数",)),
    ),
)
CSV = "活动名称,工作条线,参加人数\r\n主题党日,组织建设,30\r\n"


# headers


@pytest.mark.parametrize(
    "raw",
    ["活动名称", " 活动名称 ", "*活动名称", "活动名称*", "活动名称（必填）", "活动 名称", "title"],
)
def test_headers_match_leniently(raw):
    positions, ignored = map_headers(SPEC, [raw, "工作条线"])
    assert positions["title"] == 0
    assert ignored == []


def test_unknown_headers_are_ignored_and_reported_and_aliases_accepted():
    positions, ignored = map_headers(SPEC, ["活动名称", "备注", "工作条线", "人数"])
    assert positions == {"title": 0, "line": 2, "attendance": 3}
    assert ignored == ["备注"]


def test_missing_required_columns_are_named_with_the_template_to_use():
    with pytest.raises(BulkError) as caught:
        map_headers(SPEC, ["活动名称", "参加人数"])
    assert "工作条线" in caught.value.zh
    assert "template activities" in caught.value.en


def test_a_column_twice_is_refused():
    with pytest.raises(BulkError, match="两次"):
        map_headers(SPEC, ["活动名称", "工作条线", "title"])


def test_normalize_header_drops_hints_and_marks():
    assert (
        normalize_header("覆盖单位统一社会信用代码（多个用；分隔）") == "覆盖单位统一社会信用代码"
    )
    assert normalize_header(None) == ""
    assert normalize_header("CreditCode") == "creditcode"


# files


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b"")]
)
def test_csv_in_utf8_with_or_without_bom_and_in_gb18030(tmp_path: Path, encoding, bom):
    path = tmp_path / "activities.csv"
    path.write_bytes(bom + CSV.encode(encoding))
    table = read_table(path)
    assert table.headers == ["活动名称", "工作条线", "参加人数"]
    assert list(table.rows) == [(2, ["主题党日", "组织建设", "30"])]


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_file(tmp_path: Path):
    path = tmp_path / "activities.csv"
    path.write_text("活动名称,工作条线\n甲,组织建设\n,,\n\n乙,服务群众\n", encoding="utf-8-sig")
    table = read_table(path)
    assert [(n, cells[0]) for n, cells in table.rows] == [(2, "甲"), (5, "乙")]
    assert table.total == 4


def test_other_files_are_refused_before_anything_is_read(tmp_path: Path):
    old = tmp_path / "activities.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(BulkError, match=r"\.xlsx"):
        read_table(old)
    broken = tmp_path / "activities.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(BulkError, match="XLSX"):
        read_table(broken)
    with pytest.raises(BulkError, match="找不到"):
        read_table(tmp_path / "missing.csv")


def test_the_template_has_the_headers_an_import_expects(tmp_path: Path):
    path = tmp_path / "activities.xlsx"
    write_template(SPEC, path)
    book = load_workbook(path)
    sheet = book[SPEC.title]
    assert [c.value for c in sheet[1]] == ["活动名称", "工作条线", "组织编号", "参加人数"]
    assert sheet.column_dimensions["C"].number_format == "@"  # a code stays text
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists == {"B2": '"组织建设,服务群众"'}
    notes = list(book[INSTRUCTIONS].iter_rows(values_only=True))
    assert notes[1][:2] == ("活动名称", "是")
    assert "gongjian import activities" in str(notes[-1][2])


def test_a_filled_template_reads_back_from_its_data_sheet(tmp_path: Path):
    path = tmp_path / "activities.xlsx"
    write_template(SPEC, path)
    book = load_workbook(path)
    book.move_sheet(INSTRUCTIONS, offset=-1)  # the data sheet is found by its title
    book[SPEC.title].append(["主题党日", "组织建设", None, 30])
    book.save(path)
    table = read_table(path, SPEC.title)
    assert table.headers == ["活动名称", "工作条线", "组织编号", "参加人数"]
    assert list(table.rows) == [(2, ["主题党日", "组织建设", None, 30])]


def test_the_report_has_one_line_per_problem():
    buffer = io.BytesIO()
    write_report(
        [
            RowProblem(3, "活动名称", "必填项不能为空", "This column is required"),
            RowProblem(3, "参加人数", "应填写整数", "Must be a whole number"),
            RowProblem(9, "工作条线", "应为以下之一：组织建设", "Must be one of: 组织建设"),
        ],
        buffer,
    )
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    assert list(sheet.iter_rows(values_only=True)) == [
        REPORT_HEADERS,
        (3, "活动名称", "必填项不能为空 / This column is required"),
        (3, "参加人数", "应填写整数 / Must be a whole number"),
        (9, "工作条线", "应为以下之一：组织建设 / Must be one of: 组织建设"),
    ]
    assert REPORT_HEADERS == ("行号", "列", "原因")
    assert default_report_path(Path("/x/people.xlsx")) == Path("/x/people.rejected.xlsx")
