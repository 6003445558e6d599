"""Import and export against the real database: atomic by default, --skip-invalid, events in the
outbox, coverage after a units import, and the export's figures against the API's."""

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest
from openpyxl import Workbook, load_workbook

from gongjian_deploy import cli
from gongjian_deploy.pytest_plugin import REGISTER_UNIT, District, token_for
from gongjian_deploy.stack import Stack
from gongjian_kit.auth import TokenVerifier
from gongjian_kit.runtime import Runtime
from gongjian_organizations.bulk import people, units
from gongjian_organizations.bulk.commands import service_runtime
from gongjian_organizations.bulk.export import SUMMARY_HEADERS, SUMMARY_SHEET, gap_sheet_title
from gongjian_organizations.bulk.runner import run_import
from gongjian_organizations.domain.organizations import FAMILY_LABELS, OrganizationFamily
from gongjian_organizations.domain.people import id_check_char

pytestmark = pytest.mark.integration
PEOPLE = 2200
EVENT = "gongjian.organizations."


@pytest.fixture
def district(stack: Stack) -> District:
    return District(stack, url=stack.service_url("organizations"))


@pytest.fixture
async def runtime(stack: Stack) -> AsyncIterator[Runtime]:
    async with service_runtime(stack.settings("organizations")) as found:
        yield found


@pytest.fixture
def cli_env(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The environment the CLI reads besides --database-url; returns that option."""
    monkeypatch.setenv("JWT_SECRET", stack.config.jwt_secret)
    monkeypatch.setenv("PERSONAL_DATA_KEY", stack.config.personal_data_key)
    monkeypatch.setenv("PERSONAL_DATA_HMAC_KEY", stack.config.personal_data_hmac_key)
    monkeypatch.setenv("TOPIC_NAMESPACE", stack.config.topic_namespace)
    return ["--database-url", stack.database("organizations")]


async def fetchval(stack: Stack, sql: str, *args: object) -> int:
    conn = await asyncpg.connect(stack.database("organizations"))
    try:
        return int(await conn.fetchval(sql, *args))
    finally:
        await conn.close()


def resident_id(district: District, i: int) -> str:
    born = date(1970, 1, 1) + timedelta(days=i // 1000)
    body = f"{district.code[:6]}{born:%Y%m%d}{i % 1000:03d}"
    return body + id_check_char(body)


def write_xlsx(path: Path, headers: list[str], rows: list[list[object]]) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("人员")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)


def register_unit(district: District, area: str, **counts: int) -> str:
    credit = district.credit_code()
    data = district.admin.data(
        REGISTER_UNIT,
        {
            "i": {
                "name": f"单位{credit[-6:]}",
                "kind": "NON_PUBLIC_ENTERPRISE",
                "areaCode": area,
                "creditCode": credit,
                **counts,
            }
        },
    )
    assert not data["registerUnit"]["errors"], data
    return credit


def people_file(district: District, path: Path) -> dict[int, tuple[str, str]]:
    """2,200 people with seven bad rows; returns what the report must say: row → (column, text)."""
    employer = register_unit(district, district.communities[0], employees=50)
    statuses = ["群众", "共青团员", "中共党员", "PARTY_MEMBER", "中共预备党员"]
    rows: list[list[object]] = []
    for i in range(PEOPLE):
        rows.append(
            [
                f"人员{i}",
                resident_id(district, i),
                None,
                None,
                statuses[i % len(statuses)],
                f"138{i:08d}" if i % 3 else None,
                employer if i % 10 == 0 else None,
                None,
                None if i % 10 == 0 else district.communities[i % 4],
                "是" if i % 7 == 0 else "否",
            ]
        )
    bad = {}

    def spoil(i: int, column: int, value: object, header: str, text: str) -> None:
        rows[i][column] = value
        bad[i + 2] = (header, text)

    # Rows placed by area (i % 10 != 0) in street 0 (i % 4 < 2), so that a street admin of
    # street 0 finds exactly these problems on them.
    number = resident_id(district, 13)
    spoil(13, 1, number[:17] + ("0" if number[17] != "0" else "1"), "公民身份号码", "校验位")
    spoil(501, 5, "12345", "手机号码", "11位")
    spoil(901, 1, resident_id(district, 3), "公民身份号码", "与第5行的公民身份号码重复")
    spoil(1501, 4, "党员", "政治面貌", "应为以下之一")
    spoil(1801, 6, district.credit_code(), "工作单位统一社会信用代码", "不存在")
    spoil(2101, 8, district.code[:9] + "099", "所在区划代码", "区划不存在")
    spoil(2153, 3, "2000-01-01", "出生日期", "不一致")
    write_xlsx(path, [c.header for c in people.SPEC.columns], rows)
    return bad


def report_lines(path: Path) -> list[tuple[object, ...]]:
    return list(load_workbook(path).worksheets[0].iter_rows(values_only=True))


def assert_report(path: Path, bad: dict[int, tuple[str, str]]) -> None:
    header, *lines = report_lines(path)
    assert header == ("行号", "列", "原因")
    assert [(row, column) for row, column, _ in lines] == [(r, c) for r, (c, _) in bad.items()]
    for (_, _, reason), (_, text) in zip(lines, bad.values(), strict=True):
        assert text in str(reason)
        assert " / " in str(reason)  # Chinese / English


def test_an_import_with_bad_rows_writes_nothing_and_reports_exactly_them(
    district: District, stack: Stack, tmp_path: Path, cli_env: list[str], capsys
):
    path = tmp_path / "people.xlsx"
    bad = people_file(district, path)
    outbox_before = asyncio.run(fetchval(stack, "SELECT count(*) FROM outbox"))
    token = token_for(stack, "DISTRICT_ADMIN", district.code)
    report = tmp_path / "report.xlsx"
    code = cli.main(
        ["import", "people", str(path), "--token", token, "--report", str(report), *cli_env]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "未导入任何数据" in out
    assert "Nothing was imported: 7 rows" in out
    assert "rows/s" in out
    assert_report(report, bad)
    like = district.code[:6] + "%"
    assert (
        asyncio.run(fetchval(stack, "SELECT count(*) FROM person WHERE area_code LIKE $1", like))
        == 0
    )
    assert asyncio.run(fetchval(stack, "SELECT count(*) FROM outbox")) == outbox_before


def test_skip_invalid_imports_the_good_rows_with_their_events(
    district: District, stack: Stack, tmp_path: Path, cli_env: list[str], capsys
):
    path = tmp_path / "people.xlsx"
    bad = people_file(district, path)
    token = token_for(stack, "STREET_ADMIN", district.streets[0])  # the employer is in street 0
    code = cli.main(["import", "people", str(path), "--skip-invalid", "--token", token, *cli_env])
    out = capsys.readouterr().out
    # A street admin sees only street 0: rows placed in street 1 are refused too.
    street1 = {i + 2 for i in range(PEOPLE) if i % 10 and i % 4 >= 2}
    assert code == 0
    assert f"Skipped {len(street1 | set(bad)):,} rejected rows" in out
    _header, *lines = report_lines(tmp_path / "people.rejected.xlsx")
    assert {row for row, _, _ in lines} == street1 | set(bad)
    forbidden = [reason for row, _, reason in lines if row in street1 - set(bad)]
    assert all("不在您的管理范围内" in str(r) for r in forbidden)
    like = district.streets[0][:9] + "%"
    imported = PEOPLE - len(street1 | set(bad))
    assert (
        asyncio.run(fetchval(stack, "SELECT count(*) FROM person WHERE area_code LIKE $1", like))
        == imported
    )
    events = asyncio.run(
        fetchval(
            stack,
            "SELECT count(*) FROM outbox o JOIN person p ON o.key = p.id::text "
            "WHERE o.event_type = $1 AND p.area_code LIKE $2",
            f"{EVENT}person.registered.v1",
            like,
        )
    )
    assert events == imported
    assert (
        asyncio.run(
            fetchval(
                stack,
                "SELECT count(*) FROM person WHERE area_code LIKE $1 AND employer_unit_id IS NOT "
                "NULL AND migrant_worker",
                like,
            )
        )
        > 0
    )


COVERAGE = """query($a: String!) { coverage(areaCode: $a) { families {
  family units unitsRequired unitsCovered coveredNotRequired rate gaps } } }"""


def figures(district: District) -> dict[str, dict[str, object]]:
    data = district.admin.data(COVERAGE, {"a": district.code})
    return {f["family"]: f for f in data["coverage"]["families"]}


def fill_template(path: Path, spec, rows: list[list[object]]) -> None:
    from gongjian_kit.bulk.template import write_template  # noqa: PLC0415

    write_template(spec, path)
    book = load_workbook(path)
    for row in rows:
        book[spec.title].append(row)
    book.save(path)


async def test_units_then_organisations_import_and_coverage_follows(
    district: District, stack: Stack, runtime: Runtime, tmp_path: Path
):
    caller = TokenVerifier(runtime.settings).verify(
        token_for(stack, "DISTRICT_ADMIN", district.code)
    )
    c1, c2 = district.communities[0], district.communities[2]
    codes = [district.credit_code() for _ in range(4)]
    units_path = tmp_path / "units.xlsx"
    fill_template(
        units_path,
        units.SPEC,
        [
            ["甲公司", "非公有制企业", codes[0], c1, 30, 3, 3, 0, 0, 0],
            ["乙公司", "NON_PUBLIC_ENTERPRISE", codes[1], c1, 10, 5, 0, 0, 0, 0],
            ["丙公司", "国有企业", codes[2], c2, 100, 0, 0, 0, 60, 0],
            ["丁公司", "社会组织", codes[3], c2, 5, 0, 0, 0, 0, 0],
            ["某社区", "社区", None, c2, 0, 0, 0, 0, 0, 0],
        ],
    )
    outbox = await fetchval(stack, "SELECT count(*) FROM outbox")
    result = await run_import(runtime, caller, "units", units_path)
    assert result.problems == []
    assert (result.committed, result.imported) == (True, 5)
    assert await fetchval(stack, "SELECT count(*) FROM outbox WHERE id > 0") > outbox
    registered = await fetchval(
        stack,
        "SELECT count(*) FROM outbox o JOIN unit u ON o.key = u.id::text "
        "WHERE o.event_type = $1 AND u.area_code LIKE $2",
        f"{EVENT}unit.registered.v1",
        district.code[:6] + "%",
    )
    assert registered == 5
    found = figures(district)
    assert {f: (v["units"], v["unitsRequired"], v["unitsCovered"]) for f, v in found.items()} == {
        "PARTY": (5, 2, 0),
        "TRADE_UNION": (5, 2, 0),
        "YOUTH_LEAGUE": (5, 1, 0),
        "WOMENS_FEDERATION": (5, 1, 0),
    }

    orgs_path = tmp_path / "organizations.csv"
    orgs_path.write_text(
        "组织名称,组织类型,建立方式,所在区划代码,覆盖单位统一社会信用代码,挂靠组织名称或编号,"
        "上级组织名称或编号,成立日期\n"
        f"甲公司党委,党委,单独建,{c1},{codes[0]},,,2020-07-01\n"
        f"乙丁联合党支部,党支部,联合建,{c1},{codes[1]}；{codes[3]},,甲公司党委,2021/3/5\n"
        f"丙公司工会,工会,挂靠建,{c2},{codes[2]},甲公司党委,,\n",
        encoding="utf-8-sig",
    )
    result = await run_import(runtime, caller, "organizations", orgs_path)
    assert result.problems == []
    assert result.imported == 3
    parent = await fetchval(
        stack,
        "SELECT count(*) FROM organization c JOIN organization p ON c.parent_id = p.id "
        "WHERE c.name = '乙丁联合党支部' AND p.name = '甲公司党委' AND c.area_code = $1",
        c1,
    )
    assert parent == 1
    found = figures(district)
    assert (found["PARTY"]["unitsCovered"], found["PARTY"]["coveredNotRequired"]) == (2, 1)
    assert found["TRADE_UNION"]["unitsCovered"] == 1
    established = await fetchval(
        stack,
        "SELECT count(*) FROM outbox WHERE event_type = $1 AND payload LIKE '%' || $2 || '%'",
        f"{EVENT}organization.established.v1",
        district.code[:6],
    )
    assert established == 3


async def test_a_bad_unit_row_stops_the_whole_file(
    district: District, stack: Stack, runtime: Runtime, tmp_path: Path
):
    street_admin = TokenVerifier(runtime.settings).verify(
        token_for(stack, "STREET_ADMIN", district.streets[0])
    )
    taken = register_unit(district, district.communities[0])
    path = tmp_path / "units.csv"
    path.write_text(
        "单位名称,单位类型,统一社会信用代码,所在区划代码,职工人数,女职工人数\n"
        f"好公司,非公有制企业,{district.credit_code()},{district.communities[0]},10,2\n"
        f"重复公司,非公有制企业,{taken},{district.communities[1]},10,2\n"
        f"越权公司,非公有制企业,,{district.communities[2]},10,2\n"
        f"多女职工,工厂,,{district.communities[0]},1,2\n",
        encoding="utf-8",
    )
    before = await fetchval(stack, "SELECT count(*) FROM unit")
    result = await run_import(runtime, street_admin, "units", path)
    assert not result.committed
    assert result.imported == 0
    assert [(p.row, p.column) for p in result.problems] == [
        (3, "统一社会信用代码"),
        (4, "所在区划代码"),
        (5, "单位类型"),
        (5, "女职工人数"),
    ]
    assert "已登记" in result.problems[0].zh
    assert await fetchval(stack, "SELECT count(*) FROM unit") == before


GAPS = """query($a: String!, $f: OrganizationFamily!) { coverageGaps(areaCode: $a, family: $f,
  first: 100) { totalCount edges { node { name creditCode } } } }"""


def test_the_export_matches_the_coverage_query(
    district: District, stack: Stack, tmp_path: Path, cli_env: list[str], capsys
):
    communities = district.communities
    rows = [
        "单位名称,单位类型,统一社会信用代码,所在区划代码,职工人数,正式党员人数,团员人数,女职工人数"
    ]
    for i in range(12):
        rows.append(
            f"企业{i:02d},非公有制企业,{district.credit_code()},{communities[i % 4]},"
            f"{10 + i * 5},{i % 5},{i % 4},{i * 5}"
        )
    units_path = tmp_path / "units.csv"
    units_path.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    token = token_for(stack, "DISTRICT_ADMIN", district.code)
    assert cli.main(["import", "units", str(units_path), "--token", token, *cli_env]) == 0
    listed = district.admin.data(
        "query($a: String!) { units(areaCode: $a, first: 12) { edges { node { id name } } } }",
        {"a": district.code},
    )["units"]["edges"]
    required = next(e["node"]["id"] for e in listed if e["node"]["name"] == "企业03")
    district.organization(communities[3], [required])
    out = tmp_path / "coverage.xlsx"
    code = cli.main(
        [
            "export",
            "coverage",
            "--area",
            district.code,
            "--out",
            str(out),
            "--token",
            token,
            *cli_env,
        ]
    )
    assert code == 0
    assert "coverage.xlsx" in capsys.readouterr().out
    book = load_workbook(out)
    header, *lines = book[SUMMARY_SHEET].iter_rows(values_only=True)
    assert header == SUMMARY_HEADERS
    api = figures(district)

    for family, line in zip(OrganizationFamily, lines, strict=True):
        f = api[family.value]
        assert line[0] == FAMILY_LABELS[family]
        assert list(line[1:4]) == [f["units"], f["unitsRequired"], f["unitsCovered"]]
        if f["rate"] is None:
            assert line[4] is None
        else:
            assert line[4] == pytest.approx(f["rate"])
        assert list(line[5:]) == [f["gaps"], f["coveredNotRequired"]]
        gaps = district.admin.data(GAPS, {"a": district.code, "f": family.value})["coverageGaps"]
        sheet = book[gap_sheet_title(family)]
        _, *gap_rows = sheet.iter_rows(values_only=True)
        assert len(gap_rows) == gaps["totalCount"] == f["gaps"]
        assert [(r[0], r[1]) for r in gap_rows] == [
            (e["node"]["name"], e["node"]["creditCode"]) for e in gaps["edges"]
        ]
    assert api["PARTY"]["unitsCovered"] == 1
    assert api["PARTY"]["gaps"] > 0


def test_organisations_name_their_units_and_parents(
    district: District, stack: Stack, tmp_path: Path, cli_env: list[str]
):
    """References that cannot be resolved are reported on their column; nothing is written."""
    unit = register_unit(district, district.communities[0], partyMembers=5)
    path = tmp_path / "orgs.csv"
    path.write_text(
        "组织名称,组织类型,建立方式,所在区划代码,覆盖单位统一社会信用代码,上级组织名称或编号\n"
        f"甲支部,党支部,单独建,{district.communities[0]},{unit},乙党委\n"
        f"乙党委,党委,单独建,{district.communities[0]},{unit},\n"
        f"丙工会,工会,单独建,{district.communities[0]},{district.credit_code()},\n"
        f"丁团支部,共青团,单独建,{district.communities[0]},{unit},乙党委\n",
        encoding="utf-8",
    )
    token = token_for(stack, "DISTRICT_ADMIN", district.code)
    report = tmp_path / "r.xlsx"
    code = cli.main(
        ["import", "organizations", str(path), "--token", token, "--report", str(report), *cli_env]
    )
    assert code == 1
    _, *lines = report_lines(report)
    assert [(r, c) for r, c, _ in lines] == [
        (2, "上级组织名称或编号"),
        (4, "覆盖单位统一社会信用代码"),
        (5, "上级组织名称或编号"),
    ]
    assert "之前" in str(lines[0][2])
    assert "同一系统" in str(lines[2][2])
