"""Import files, row by row, without I/O: headers, cells, labels, mapping, the shared rules."""

import uuid
from datetime import date

import pytest

from gongjian_kit.auth import Caller, Role
from gongjian_organizations.bulk import cells, organizations, people, units
from gongjian_organizations.bulk.columns import map_headers, normalize_header
from gongjian_organizations.bulk.problems import BulkError, RowProblem
from gongjian_organizations.bulk.rows import Mapped, in_file_duplicates, use_case_problem
from gongjian_organizations.bulk.runner import ordered
from gongjian_organizations.domain.credit_code import credit_code_check_char
from gongjian_organizations.domain.people import Gender, PoliticalStatus, id_check_char
from gongjian_organizations.domain.units import UNIT_KIND_LABELS, UnitKind
from gongjian_organizations.usecases.bulk import (
    OrganizationInput,
    UnitInput,
    validate_organization,
    validate_unit,
)

ADMIN = Caller("test", frozenset({Role.STREET_ADMIN}), "330106001000")


def credit(n: int) -> str:
    body = f"91330106{n:08d}0"
    return body + credit_code_check_char(body)


def resident_id(body17: str) -> str:
    return body17 + id_check_char(body17)


# headers


@pytest.mark.parametrize(
    "raw",
    ["单位名称", " 单位名称 ", "*单位名称", "单位名称*", "单位名称（必填）", "单位 名称", "name"],
)
def test_headers_match_leniently(raw):
    positions, ignored = map_headers(units.SPEC, [raw, "单位类型", "所在区划代码"])
    assert positions["name"] == 0
    assert ignored == []


def test_unknown_headers_are_ignored_and_reported():
    positions, ignored = map_headers(units.SPEC, ["单位名称", "备注", "单位类型", "所在区划代码"])
    assert positions == {"name": 0, "kind": 2, "areaCode": 3}
    assert ignored == ["备注"]


def test_missing_required_columns_are_named():
    with pytest.raises(BulkError) as caught:
        map_headers(people.SPEC, ["姓名", "性别"])
    assert "公民身份号码" in caught.value.zh
    assert "template people" in caught.value.en


def test_a_column_twice_is_refused():
    with pytest.raises(BulkError, match="两次"):
        map_headers(units.SPEC, ["单位名称", "单位类型", "所在区划代码", "name"])


def test_normalize_header_drops_hints_and_marks():
    assert (
        normalize_header("覆盖单位统一社会信用代码（多个用；分隔）") == "覆盖单位统一社会信用代码"
    )
    assert normalize_header(None) == ""
    assert normalize_header("CreditCode") == "creditcode"


# cells


def test_labels_and_english_values_are_accepted():
    assert cells.choice("中共党员", people.POLITICAL_STATUS_LABELS) == ("PARTY_MEMBER", None)
    assert cells.choice("party_member", people.POLITICAL_STATUS_LABELS) == ("PARTY_MEMBER", None)
    assert cells.choice("非公有制企业", UNIT_KIND_LABELS) == (UnitKind.NON_PUBLIC_ENTERPRISE, None)
    assert cells.choice("", UNIT_KIND_LABELS) == (None, None)
    value, why = cells.choice("党员", people.POLITICAL_STATUS_LABELS)
    assert value is None
    assert why is not None
    assert "群众、共青团员、中共预备党员、中共党员" in why[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-01", date(2024, 5, 1)),
        ("2024/5/1", date(2024, 5, 1)),
        ("2024.05.01", date(2024, 5, 1)),
        ("20240501", date(2024, 5, 1)),
        ("2024年5月1日", date(2024, 5, 1)),
        (date(2024, 5, 1), date(2024, 5, 1)),
        (None, None),
        ("", None),
    ],
)
def test_dates_in_the_usual_forms(raw, expected):
    assert cells.day(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["2024-13-01", "五月一日", "2024-02-30"])
def test_bad_dates_say_the_format(raw):
    value, why = cells.day(raw)
    assert value is None
    assert why is not None
    assert "YYYY-MM-DD" in why[0]


def test_yes_no_and_integers():
    assert cells.yes_no("是") == (True, None)
    assert cells.yes_no("N") == (False, None)
    assert cells.yes_no(None) == (False, None)
    assert cells.yes_no("也许")[1] is not None
    assert cells.integer(12.0) == (12, None)
    assert cells.integer(" 1,200 ") == (1200, None)
    assert cells.integer("-3") == (-3, None)
    assert cells.integer("") == (0, None)
    assert cells.integer("三")[1] is not None


def test_a_long_code_stored_as_a_number_is_reported_not_guessed():
    assert cells.code(330106001001) == ("330106001001", None)
    assert cells.code("91330106mA2x") == ("91330106MA2X", None)
    value, why = cells.code(3.30106199001011e17)
    assert value == ""
    assert why is not None
    assert "文本格式" in why[0]


def test_several_items_split_on_either_semicolon():
    assert cells.several("A；B; C\nD") == ["A", "B", "C", "D"]
    assert cells.several(None) == []


# rows


def test_a_person_row_maps_labels_to_values():
    number = resident_id("33010619900101123")
    mapped = people.map_row(
        7,
        {
            "name": " 张三 ",
            "idNumber": number.lower(),
            "gender": "男",
            "birthDate": "1990-01-01",
            "politicalStatus": "中共预备党员",
            "phone": 13800000000,
            "employerCreditCode": credit(1).lower(),
            "areaCode": "330106001001",
            "migrantWorker": "是",
        },
    )
    person = mapped.draft.person
    assert mapped.problems == []
    assert person.name == "张三"
    assert person.id_number == number
    assert person.gender == Gender.MALE
    assert person.political_status == PoliticalStatus.PROBATIONARY_PARTY_MEMBER
    assert person.phone == "13800000000"
    assert person.migrant_worker is True
    assert mapped.draft.employer_credit_code == credit(1)
    assert mapped.draft.employer_column == "工作单位统一社会信用代码"


def test_a_person_row_flags_cells_it_cannot_read_by_column():
    mapped = people.map_row(
        3,
        {"name": "李四", "idNumber": "1", "birthDate": "昨天", "politicalStatus": "党员"},
    )
    assert [(p.row, p.column) for p in mapped.problems] == [(3, "出生日期"), (3, "政治面貌")]
    assert mapped.draft.person.political_status == PoliticalStatus.MASSES.value


def test_a_unit_row_reads_headcounts():
    mapped = units.map_row(
        2,
        {
            "name": "某公司",
            "kind": "NON_PUBLIC_ENTERPRISE",
            "areaCode": "330106001001",
            "employees": "30",
            "partyMembers": 3.0,
            "youth": "很多",
        },
    )
    assert mapped.draft.counts["employees"] == 30
    assert mapped.draft.counts["partyMembers"] == 3
    assert [p.column for p in mapped.problems] == ["青年人数"]


def test_an_organization_row_keeps_its_references_for_later():
    mapped = organizations.map_row(
        4,
        {
            "name": "某党支部",
            "kind": "党支部",
            "establishment": "联合建",
            "areaCode": "330106001001",
            "unitIds": f"{credit(1)}；{credit(2).lower()}",
            "parentId": "某党委",
        },
    )
    assert mapped.problems == []
    assert mapped.draft.org.kind == "PARTY_BRANCH"
    assert mapped.draft.org.establishment == "JOINT"
    assert mapped.draft.unit_refs == [credit(1), credit(2)]
    assert mapped.draft.parent_ref == "某党委"


def test_duplicates_in_a_file_name_the_first_row():
    rows = [Mapped(2, "A"), Mapped(3, "B"), Mapped(5, "A")]
    in_file_duplicates(rows, lambda d: d, "公民身份号码", "公民身份号码", "ID number")
    assert rows[0].problems == rows[1].problems == []
    assert rows[2].problems == [
        RowProblem(5, "公民身份号码", "与第2行的公民身份号码重复", "Same ID number as row 2")
    ]


def test_use_case_fields_become_the_file_headers():
    from gongjian_kit.errors import ErrorCode  # noqa: PLC0415
    from gongjian_organizations.bulk.rows import headers_by_field  # noqa: PLC0415

    header = headers_by_field(organizations.SPEC)
    problem = use_case_problem(9, ("unitIds[1]", ErrorCode.NOT_FOUND, "不存在", "missing"), header)
    assert problem == RowProblem(9, "覆盖单位统一社会信用代码", "不存在", "missing")


def test_problems_are_ordered_by_row_then_column_and_kept_once():
    found = [
        RowProblem(3, "所在区划代码", "a", "a"),
        RowProblem(2, "职工人数", "b", "b"),
        RowProblem(3, "单位名称", "c", "c"),
        RowProblem(3, "单位名称", "c", "c"),
    ]
    assert [(p.row, p.column) for p in ordered(found, units.SPEC)] == [
        (2, "职工人数"),
        (3, "单位名称"),
        (3, "所在区划代码"),
    ]


# the shared rules, without the database


def test_units_are_judged_by_the_rules_of_the_api():
    good, problems = validate_unit(
        UnitInput("某公司", "NON_PUBLIC_ENTERPRISE", "330106001001", credit(5).lower()), ADMIN
    )
    assert problems == []
    assert good is not None
    assert good.credit_code == credit(5)
    _, problems = validate_unit(
        UnitInput(
            "",
            "FACTORY",
            "330106002001",
            "91330106000000010X",
            {
                "employees": 2,
                "partyMembers": 0,
                "leagueMembers": 0,
                "unionMembers": 0,
                "women": 5,
                "youth": 0,
            },
        ),
        ADMIN,
    )
    assert {(f, code.value) for f, code, _, _ in problems} == {
        ("name", "BAD_USER_INPUT"),
        ("kind", "BAD_USER_INPUT"),
        ("creditCode", "BAD_USER_INPUT"),
        ("women", "BAD_USER_INPUT"),
        ("areaCode", "FORBIDDEN"),
    }


def test_organizations_are_judged_by_the_rules_of_the_api():
    today = date(2026, 1, 1)
    ok, problems = validate_organization(
        OrganizationInput(
            "支部", "PARTY_BRANCH", "STANDALONE", "330106001001", [uuid.uuid4()], parent=0
        ),
        ADMIN,
        today,
    )
    assert problems == []
    assert ok is not None
    _, problems = validate_organization(
        OrganizationInput(
            "联合支部",
            "PARTY_BRANCH",
            "JOINT",
            "330106001001",
            [uuid.uuid4()],
            host=uuid.uuid4(),
            founded_on=date(2026, 6, 1),
        ),
        ADMIN,
        today,
    )
    assert [f for f, *_ in problems] == ["unitIds", "hostOrganizationId", "foundedOn"]
