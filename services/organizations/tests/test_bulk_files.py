"""The organizations service's import files on disk, without a database: its templates, reading
them back, the CLI (the machinery: libs/kit tests)."""

from pathlib import Path

import pytest
from openpyxl import load_workbook

from gongjian_kit.bulk import RowProblem
from gongjian_kit.bulk.runner import read_rows
from gongjian_kit.bulk.template import INSTRUCTIONS, write_template
from gongjian_organizations.bulk import people, units


def test_required_cells_left_blank_are_reported(tmp_path: Path):
    path = tmp_path / "people.csv"
    path.write_text("姓名,公民身份号码,所在区划代码\n,110101199003070011,330106001001\n")
    mapped, _ = read_rows(people.KIND, path)
    assert mapped[0].problems == [
        RowProblem(2, "姓名", "必填项不能为空", "This column is required")
    ]


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
    mapped, ignored = read_rows(units.KIND, path)
    assert ignored == []
    assert len(mapped) == 1
    assert mapped[0].row == 2
    assert mapped[0].draft.kind == "NON_PUBLIC_ENTERPRISE"
    assert mapped[0].draft.counts["partyMembers"] == 3


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


def test_the_cli_finds_the_kinds_this_service_declares():
    from gongjian_deploy import cli  # noqa: PLC0415
    from gongjian_organizations.bulk import bulk_kinds  # noqa: PLC0415

    declared = bulk_kinds()
    assert [k.kind for k in declared.kinds] == ["units", "organizations", "people"]
    assert list(declared.exports) == ["coverage"]
    assert cli._service_of("people") is declared
    assert declared.definition().name == "organizations"
