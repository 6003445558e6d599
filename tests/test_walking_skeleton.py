"""Through the gateway, as a frontend would: one question spanning the three services."""

import time

import httpx
import pytest

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.pytest_plugin import CREATE_ACTIVITY, ESTABLISH, District, token_for
from gongjian_kit.hardening import GATEWAY_HEADER

pytestmark = pytest.mark.system

ORGANIZATION_VIEW = """query($id: ID!) { organization(id: $id) {
  name kindLabel establishmentLabel units { name }
  activities(first: 5) { totalCount edges { node { title organizers { id name } } } }
  activitySummary { activityCount lastActivityAt } } }"""
AREA_STATS = """query($code: String!) { area(code: $code) { name level
  stats { organizationCount activityCount } } }"""


def wait_for(check, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def test_area_unit_organization_activity_flow_answers_across_services(district: District):
    community = district.communities[0]
    unit = district.unit(community, partyMembers=5, employees=40)
    org = district.organization(community, [unit])
    activity = district.activity([org], community)

    def summary_shows_it():
        body = district.admin.data(ORGANIZATION_VIEW, {"id": org})["organization"]
        summary = body["activitySummary"] or {}
        return body if summary.get("activityCount") == 1 else None

    view = wait_for(summary_shows_it)
    assert view, "activitySummary did not show the new activity"
    assert view["kindLabel"] == "党支部"
    assert view["establishmentLabel"] == "单独建"
    assert view["units"] == [{"name": "测试科技有限公司"}]
    assert view["activities"]["totalCount"] == 1
    edge = view["activities"]["edges"][0]["node"]
    assert edge["organizers"] == [{"id": org, "name": "测试PARTY_BRANCH"}]
    assert view["activitySummary"]["lastActivityAt"].startswith("2026-05-01T01:00:00")
    assert activity

    # The community, its street and the district all count it.
    for code in (community, community[:9] + "000", district.code):
        stats = district.admin.data(AREA_STATS, {"code": code})["area"]["stats"]
        assert stats == {"organizationCount": 1, "activityCount": 1}, code
    other_street = district.admin.data(AREA_STATS, {"code": district.streets[1]})["area"]
    assert other_street["stats"] == {"organizationCount": 0, "activityCount": 0}


def test_organizations_page_through_a_relay_connection(district: District):
    community = district.communities[1]
    units = [district.unit(community, name=f"测试企业{i}") for i in range(5)]
    for u in units:
        district.organization(community, [u], kind="TRADE_UNION")
    query = """query($area: String!, $after: String) { organizations(areaCode: $area, first: 2,
      after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }"""
    seen, after, pages = [], None, 0
    while True:
        page = district.admin.data(query, {"area": community, "after": after})["organizations"]
        assert page["totalCount"] == 5
        seen += [e["node"]["id"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3
    assert len(set(seen)) == 5


def test_a_community_admin_cannot_read_or_write_another_community(district: District):
    mine, theirs = district.communities[0], district.communities[2]
    their_unit = district.unit(theirs)
    their_org = district.organization(theirs, [their_unit])
    my_unit = district.unit(mine)
    my_org = district.organization(mine, [my_unit])
    me = district.client("COMMUNITY_ADMIN", mine)

    assert (
        me.data("query($id: ID!) { organization(id: $id) { id } }", {"id": their_org})[
            "organization"
        ]
        is None
    )
    assert me.data("query($id: ID!) { organization(id: $id) { id } }", {"id": my_org})[
        "organization"
    ] == {"id": my_org}
    listed = me.data("{ organizations(first: 100) { edges { node { id } } } }")
    assert [e["node"]["id"] for e in listed["organizations"]["edges"]] == [my_org]

    listing_theirs = me.execute(
        "query($a: String!) { organizations(areaCode: $a) { totalCount } }", {"a": theirs}
    )
    assert listing_theirs["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    write = me.data(
        ESTABLISH,
        {
            "i": {
                "name": "越权组织",
                "kind": "TRADE_UNION",
                "establishment": "STANDALONE",
                "areaCode": theirs,
                "unitIds": [their_unit],
            }
        },
    )["establishOrganization"]
    assert write["organization"] is None
    assert write["errors"][0]["field"] == "areaCode"
    assert write["errors"][0]["code"] == "FORBIDDEN"

    # Using their organisation as an organiser from my own community is refused too.
    activity = me.data(CREATE_ACTIVITY, {"i": district.activity_input([their_org], mine)})
    assert activity["createActivity"]["errors"][0]["field"] == "organizerIds[0]"
    count = district.admin.data(
        "query($id: ID!) { organization(id: $id) { activities { totalCount } } }", {"id": their_org}
    )
    assert count["organization"]["activities"]["totalCount"] == 0


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc"])
def test_without_a_valid_token_the_gateway_answers_unauthenticated(
    district: District, authorization
):
    headers = {"authorization": authorization} if authorization else {}
    response = httpx.post(
        district.url,
        headers=headers,
        json={"query": "{ organizations { totalCount } }"},
        timeout=10,
    )
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not body.get("data")


@pytest.mark.parametrize("service", ["organizations", "activities", "evaluation"])
def test_a_subgraph_reached_directly_is_no_back_door(district: District, service: str):
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) { __typename "
        "... on Organization { id } } }"
    )
    org = {"__typename": "Organization", "id": "00000000-0000-0000-0000-000000000000"}
    url = district.stack.service_url(service)
    token = token_for(district.stack, "DISTRICT_ADMIN", district.code)
    for headers in ({}, {"authorization": f"Bearer {token}"}, {GATEWAY_HEADER: "guessed"}):
        # _entities and _service answer the gateway only, whoever the caller is
        response = httpx.post(
            url, json={"query": query, "variables": {"r": [org]}}, headers=headers, timeout=10
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN", headers
        sdl = httpx.post(url, json={"query": "{ _service { sdl } }"}, headers=headers, timeout=10)
        assert sdl.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "type Query" not in sdl.text
    # The gateway's secret without a token: still no answer without a caller.
    response = httpx.post(
        url,
        json={"query": query, "variables": {"r": [org]}},
        headers={GATEWAY_HEADER: district.stack.config.gateway_secret},
        timeout=10,
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_data_subscriber_reads_figures_but_no_records(district: District):
    subscriber = district.client("DATA_SUBSCRIBER", district.code)
    figures = subscriber.data(
        "query($c: String!) { areaStats(areaCode: $c) { areaCode } }", {"c": district.code}
    )
    assert figures["areaStats"]["areaCode"] == district.code
    records = subscriber.execute("{ organizations { totalCount } }")
    assert records["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_bad_input_names_the_field_in_chinese_and_english(district: District):
    result = district.admin.data(
        CREATE_ACTIVITY,
        {
            "i": district.activity_input(
                ["00000000-0000-0000-0000-000000000001"],
                district.communities[0],
                endsAt="2026-05-01T08:00:00+08:00",
                title=" ",
            )
        },
    )["createActivity"]
    assert result["activity"] is None
    by_field = {e["field"]: e for e in result["errors"]}
    assert set(by_field) == {"title", "endsAt"}
    assert " / " in by_field["endsAt"]["message"]
    assert by_field["endsAt"]["code"] == "BAD_USER_INPUT"


def test_unexpected_input_shapes_are_graphql_errors_without_internals(district: District):
    body = district.admin.execute("{ organizations(first: 1000) { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = district.admin.execute('{ organizations(after: "bm9wZQ==") { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    for error in body["errors"]:
        assert "Traceback" not in str(error)
        assert "SELECT" not in str(error)


def test_graphql_client_helper_reports_errors(district: District):
    client = GraphQLClient(district.url, None)
    with pytest.raises(RuntimeError, match="UNAUTHENTICATED"):
        client.data("{ organizations { totalCount } }")
