"""Coverage by the legal thresholds, through the gateway, checked against a hand count."""

import pytest

from gongjian_deploy.pytest_plugin import District

pytestmark = pytest.mark.system

COVERAGE = """query($a: String!) { coverage(areaCode: $a) { families {
  family unitsRequired unitsCovered coveredNotRequired rate gaps } } }"""
GAPS = """query($a: String!, $f: OrganizationFamily!) { coverageGaps(areaCode: $a, family: $f,
  first: 10) { totalCount edges { node { name } } } }"""
DISSOLVE = (
    "mutation($i: DissolveOrganizationInput!) { dissolveOrganization(input: $i) "
    "{ errors { code } } }"
)
CLOSE = (
    "mutation($i: CloseUnitInput!) { closeUnit(input: $i) { unit { closedOn } "
    "errors { field code } } }"
)


def figures(district: District, area: str) -> dict[str, dict]:
    body = district.admin.data(COVERAGE, {"a": area})["coverage"]["families"]
    return {f["family"]: {k: v for k, v in f.items() if k != "family"} for f in body}


def gaps(district: District, area: str, family: str) -> list[str]:
    page = district.admin.data(GAPS, {"a": area, "f": family})["coverageGaps"]
    names = [e["node"]["name"] for e in page["edges"]]
    assert page["totalCount"] == len(names)
    return names


def test_coverage_rates_and_gaps_match_a_hand_count(district: District):
    c1, c2 = district.communities[0], district.communities[1]
    u1 = district.unit(
        c1, name="甲：四类都应建", partyMembers=5, employees=40, leagueMembers=4, women=30, youth=10
    )
    u2 = district.unit(
        c1, name="乙：都不必建", partyMembers=2, employees=24, leagueMembers=2, women=10
    )
    u3 = district.unit(
        c2, name="丙：恰好达线", partyMembers=3, employees=25, leagueMembers=3, women=25
    )
    u4 = district.unit(c2, name="丁：只需工会", employees=100, women=0)
    district.organization(c1, [u1])  # party, own
    district.organization(c1, [u2])  # party, not required
    district.organization(c2, [u3, u4], kind="TRADE_UNION", establishment="JOINT")
    host = district.organization(c1, [u1], kind="YOUTH_LEAGUE")
    district.organization(
        c2, [u3], kind="YOUTH_LEAGUE", establishment="AFFILIATED", hostOrganizationId=host
    )

    whole = figures(district, district.code)
    assert whole["PARTY"] == {
        "unitsRequired": 2,
        "unitsCovered": 1,
        "coveredNotRequired": 1,
        "rate": 0.5,
        "gaps": 1,
    }
    assert whole["TRADE_UNION"] == {
        "unitsRequired": 3,
        "unitsCovered": 2,
        "coveredNotRequired": 0,
        "rate": pytest.approx(2 / 3),
        "gaps": 1,
    }
    assert whole["YOUTH_LEAGUE"] == {
        "unitsRequired": 2,
        "unitsCovered": 2,
        "coveredNotRequired": 0,
        "rate": 1.0,
        "gaps": 0,
    }
    # The women's committee threshold is 50 women by default: nobody here needs one.
    assert whole["WOMENS_FEDERATION"]["unitsRequired"] == 0
    assert whole["WOMENS_FEDERATION"]["rate"] is None
    # The street and the community see their own part.
    assert figures(district, c1)["PARTY"]["unitsRequired"] == 1
    assert figures(district, c2)["TRADE_UNION"] == {
        "unitsRequired": 2,
        "unitsCovered": 2,
        "coveredNotRequired": 0,
        "rate": 1.0,
        "gaps": 0,
    }
    assert figures(district, district.streets[1])["PARTY"]["unitsRequired"] == 0

    assert gaps(district, district.code, "PARTY") == ["丙：恰好达线"]
    assert gaps(district, district.code, "TRADE_UNION") == ["甲：四类都应建"]

    unit_view = district.admin.data(
        "query($id: ID!) { unit(id: $id) { coverage { family required covered mode modeLabel } } }",
        {"id": u3},
    )["unit"]["coverage"]
    by_family = {c["family"]: c for c in unit_view}
    assert by_family["TRADE_UNION"]["mode"] == "JOINT"
    assert by_family["TRADE_UNION"]["modeLabel"] == "联合建"
    assert by_family["YOUTH_LEAGUE"]["mode"] == "ATTACHED"
    assert by_family["PARTY"] == {
        "family": "PARTY",
        "required": True,
        "covered": False,
        "mode": None,
        "modeLabel": None,
    }


def test_coverage_follows_dissolution_closing_and_headcount_changes(district: District):
    c1 = district.communities[2]
    big = district.unit(c1, name="大厂", partyMembers=9, employees=300)
    small = district.unit(c1, name="小厂", partyMembers=4, employees=30)
    branch = district.organization(c1, [big])
    assert gaps(district, c1, "PARTY") == ["小厂"]

    assert not district.admin.data(DISSOLVE, {"i": {"id": branch, "dissolvedOn": "2026-06-01"}})[
        "dissolveOrganization"
    ]["errors"]
    assert gaps(district, c1, "PARTY") == ["大厂", "小厂"]  # largest headcount first

    closed = district.admin.data(
        CLOSE, {"i": {"id": small, "closedOn": "2026-07-01", "reason": "企业迁出本区"}}
    )["closeUnit"]
    assert closed["errors"] == []
    assert gaps(district, c1, "PARTY") == ["大厂"]
    assert figures(district, c1)["TRADE_UNION"]["unitsRequired"] == 1

    update = (
        "mutation($i: UpdateUnitInput!) { updateUnit(input: $i) { unit { partyMembers } "
        "errors { field code } } }"
    )
    assert district.admin.data(update, {"i": {"id": big, "partyMembers": 2}})["updateUnit"][
        "unit"
    ] == {"partyMembers": 2}
    assert gaps(district, c1, "PARTY") == []
    again = district.admin.data(update, {"i": {"id": small, "employees": 5}})["updateUnit"]
    assert again["errors"] == [{"field": "id", "code": "CONFLICT"}]  # closed units stay closed


def test_units_filter_by_coverage_state_and_gap_pages(district: District):
    community = district.communities[3]
    for i in range(5):
        district.unit(community, name=f"缺口{i}", employees=30 + i)
    covered = district.unit(community, name="已建", employees=50)
    district.organization(community, [covered], kind="TRADE_UNION")
    query = """query($a: String!, $s: CoverageState!) { units(areaCode: $a,
      coverage: {family: TRADE_UNION, state: $s}) { totalCount edges { node { name } } } }"""
    assert district.admin.data(query, {"a": community, "s": "COVERED"})["units"]["totalCount"] == 1
    assert district.admin.data(query, {"a": community, "s": "GAP"})["units"]["totalCount"] == 5

    pages, after, seen = 0, None, []
    page_query = """query($a: String!, $after: String) { coverageGaps(areaCode: $a,
      family: TRADE_UNION, first: 2, after: $after) { pageInfo { hasNextPage endCursor }
      edges { node { name employees } } } }"""
    while True:
        page = district.admin.data(page_query, {"a": community, "after": after})["coverageGaps"]
        seen += [e["node"]["employees"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3
    assert seen == [34, 33, 32, 31, 30]


def test_a_data_subscriber_reads_coverage_but_not_the_gap_list(district: District):
    subscriber = district.client("DATA_SUBSCRIBER", district.code)
    assert subscriber.data(COVERAGE, {"a": district.code})["coverage"]["families"]
    body = subscriber.execute(GAPS, {"a": district.code, "f": "PARTY"})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
