"""The organizations service's import files, row by row, without I/O: mapping rows of units,
organisations and people, and the rules shared with the API (the machinery: libs/kit tests)."""

import uuid
from datetime import date

from gongjian_kit.auth import Caller, Role
from gongjian_kit.bulk import RowProblem, headers_by_field, use_case_problem
from gongjian_organizations.bulk import organizations, people, units
from gongjian_organizations.domain.credit_code import credit_code_check_char
from gongjian_organizations.domain.people import Gender, PoliticalStatus, id_check_char
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


def test_use_case_fields_become_the_file_headers():
    from gongjian_kit.errors import ErrorCode  # noqa: PLC0415

    header = headers_by_field(organizations.SPEC)
    problem = use_case_problem(9, ("unitIds[1]", ErrorCode.NOT_FOUND, "不存在", "missing"), header)
    assert problem == RowProblem(9, "覆盖单位统一社会信用代码", "不存在", "missing")


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
