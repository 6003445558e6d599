"""The organizations subgraph on its own: real database, real broker, a token, no gateway."""

import asyncpg
import pytest

from gongjian_deploy.pytest_plugin import (
    CREATE_AREA,
    ESTABLISH,
    REGISTER_UNIT,
    District,
    token_for,
)
from gongjian_deploy.stack import Stack

pytestmark = pytest.mark.integration


@pytest.fixture
def district(stack: Stack) -> District:
    return District(stack, url=stack.service_url("organizations"))


async def outbox_count(stack: Stack) -> int:
    conn = await asyncpg.connect(stack.database("organizations"))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox"))
    finally:
        await conn.close()


async def test_an_invalid_credit_code_is_refused_and_changes_nothing(district: District):
    before = await outbox_count(district.stack)
    result = district.admin.data(
        REGISTER_UNIT,
        {
            "i": {
                "name": "杭州某某科技有限公司",
                "kind": "NON_PUBLIC_ENTERPRISE",
                "areaCode": district.communities[0],
                "creditCode": "9144030071526726XH",
                "employees": -1,
            }
        },
    )["registerUnit"]
    assert result["unit"] is None
    fields = {e["field"]: e for e in result["errors"]}
    assert set(fields) == {"creditCode", "employees"}
    assert "校验位" in fields["creditCode"]["message"]
    assert "check character" in fields["creditCode"]["message"]
    assert await outbox_count(district.stack) == before
    units = district.admin.data(
        "query($a: String!) { units(areaCode: $a) { totalCount } }", {"a": district.communities[0]}
    )
    assert units["units"]["totalCount"] == 0


def test_a_second_unit_with_the_same_credit_code_is_a_conflict(district: District):
    code = district.credit_code()
    first = district.admin.data(
        REGISTER_UNIT,
        {
            "i": {
                "name": "甲公司",
                "kind": "NON_PUBLIC_ENTERPRISE",
                "areaCode": district.communities[0],
                "creditCode": code,
            }
        },
    )["registerUnit"]
    second = district.admin.data(
        REGISTER_UNIT,
        {
            "i": {
                "name": "乙公司",
                "kind": "NON_PUBLIC_ENTERPRISE",
                "areaCode": district.communities[1],
                "creditCode": code.lower(),
            }
        },
    )["registerUnit"]
    assert second["unit"] is None
    assert second["errors"][0]["code"] == "CONFLICT"
    assert first["unit"]["id"] in second["errors"][0]["message"]


def test_area_level_and_parent_come_from_the_code(district: District):
    area = district.admin.data(
        "query($c: String!) { area(code: $c) { level parent { code } children { code } } }",
        {"c": district.streets[0]},
    )["area"]
    assert area["level"] == "STREET"
    assert area["parent"] == {"code": district.code}
    assert [c["code"] for c in area["children"]] == district.communities[:2]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("12345", "BAD_USER_INPUT"),
        ("330198777000", "FORBIDDEN"),
    ],
)
def test_bad_area_codes_are_refused(district: District, code, expected):
    result = district.admin.data(CREATE_AREA, {"i": {"code": code, "name": "某街道"}})
    assert result["createArea"]["errors"][0]["code"] == expected
    assert result["createArea"]["errors"][0]["field"] == "code"


def test_an_area_needs_its_parent_and_a_code_is_used_once(district: District):
    orphan = district.code[:6] + "009001"
    missing = district.admin.data(CREATE_AREA, {"i": {"code": orphan, "name": "孤儿社区"}})
    assert missing["createArea"]["errors"][0]["code"] == "NOT_FOUND"
    again = district.admin.data(CREATE_AREA, {"i": {"code": district.streets[0], "name": "重复"}})
    assert again["createArea"]["errors"][0]["code"] == "CONFLICT"


def test_a_street_admin_cannot_create_areas_in_another_street(district: District):
    street_admin = district.client("STREET_ADMIN", district.streets[0])
    result = street_admin.data(
        CREATE_AREA, {"i": {"code": district.streets[1][:9] + "009", "name": "越权社区"}}
    )
    assert result["createArea"]["errors"][0]["code"] == "FORBIDDEN"
    assert not street_admin.data(
        CREATE_AREA, {"i": {"code": district.streets[0][:9] + "009", "name": "新社区"}}
    )["createArea"]["errors"]


def test_establishment_modes_are_checked(district: District):
    community = district.communities[0]
    a, b = district.unit(community, name="甲"), district.unit(community, name="乙")
    host = district.organization(community, [a], kind="PARTY_COMMITTEE")

    def establish(**fields):
        payload = {"name": "某组织", "kind": "PARTY_BRANCH", "areaCode": community, **fields}
        return district.admin.data(ESTABLISH, {"i": payload})["establishOrganization"]

    joint_of_one = establish(establishment="JOINT", unitIds=[a])
    assert [e["field"] for e in joint_of_one["errors"]] == ["unitIds"]
    standalone_of_two = establish(establishment="STANDALONE", unitIds=[a, b])
    assert [e["field"] for e in standalone_of_two["errors"]] == ["unitIds"]
    affiliated_without_host = establish(establishment="AFFILIATED", unitIds=[b])
    assert [e["field"] for e in affiliated_without_host["errors"]] == ["hostOrganizationId"]

    affiliated = establish(
        establishment="AFFILIATED", unitIds=[b], hostOrganizationId=host, parentId=host
    )
    assert affiliated["errors"] == []
    joint = establish(establishment="JOINT", unitIds=[a, b], parentId=host)
    assert joint["errors"] == []

    union_under_party = establish(
        establishment="STANDALONE", unitIds=[b], kind="TRADE_UNION", parentId=host
    )
    assert union_under_party["errors"][0]["field"] == "parentId"
    unknown_unit = establish(
        establishment="STANDALONE", unitIds=["00000000-0000-0000-0000-000000000000"]
    )
    assert unknown_unit["errors"][0]["field"] == "unitIds[0]"
    malformed = establish(establishment="STANDALONE", unitIds=["nope"])
    assert malformed["errors"][0]["field"] == "unitIds[0]"


def test_dissolving_is_refused_while_children_are_active(district: District):
    community = district.communities[1]
    unit = district.unit(community)
    committee = district.organization(community, [unit], kind="PARTY_COMMITTEE")
    branch = district.organization(community, [unit], parentId=committee)
    dissolve = (
        "mutation($i: DissolveOrganizationInput!) { dissolveOrganization(input: $i) "
        "{ organization { active dissolvedOn } errors { field code } } }"
    )
    refused = district.admin.data(dissolve, {"i": {"id": committee, "dissolvedOn": "2026-06-01"}})
    assert refused["dissolveOrganization"]["errors"] == [{"field": "id", "code": "CONFLICT"}]
    assert district.admin.data(dissolve, {"i": {"id": branch, "dissolvedOn": "2026-06-01"}})[
        "dissolveOrganization"
    ]["organization"] == {"active": False, "dissolvedOn": "2026-06-01"}
    assert (
        district.admin.data(dissolve, {"i": {"id": committee, "dissolvedOn": "2026-06-02"}})[
            "dissolveOrganization"
        ]["errors"]
        == []
    )


def test_roles_without_write_rights_are_forbidden(district: District):
    member = district.client("MEMBER", district.code)
    body = member.execute(
        REGISTER_UNIT, {"i": {"name": "x", "kind": "VILLAGE", "areaCode": district.communities[0]}}
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_an_org_admin_lists_only_their_own_organizations(district: District):
    community = district.communities[0]
    unit = district.unit(community)
    mine = district.organization(community, [unit], kind="YOUTH_LEAGUE")
    district.organization(community, [unit], kind="WOMENS_FEDERATION")
    admin = district.client("ORG_ADMIN", community, orgs=[mine])
    listed = admin.data("{ organizations { edges { node { id } } } }")["organizations"]["edges"]
    assert [e["node"]["id"] for e in listed] == [mine]


def test_a_token_for_another_service_secret_is_refused(district: District):
    forged = token_for(district.stack, "DISTRICT_ADMIN", district.code) + "x"
    client = district.client("DISTRICT_ADMIN", district.code)
    client.http.headers["authorization"] = f"Bearer {forged}"
    body = client.execute("{ organizations { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
