"""Bad input gets BAD_USER_INPUT (or NOT_FOUND / null), never INTERNAL: U+0000 in any string,
non-ASCII digits in area codes, malformed ids and entity representations, several operations
without a name. Through the gateway and straight to each subgraph."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gongjian_deploy.pytest_plugin import (
    CREATE_ACTIVITY,
    CREATE_AREA,
    ESTABLISH,
    District,
    token_for,
)

pytestmark = pytest.mark.system

SERVICES = ["organizations", "activities", "evaluation"]


def post(url: str, token: str, body: dict[str, Any], gateway_secret: str = "") -> dict[str, Any]:
    # ASCII JSON: a lone surrogate travels as an escape, as a hostile client would send it.
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    if gateway_secret:  # as the gateway calls a subgraph (may ask _entities)
        headers["x-gongjian-gateway"] = gateway_secret
    response = httpx.post(url, content=json.dumps(body), headers=headers, timeout=30)
    assert response.status_code < 500, response.text
    answer: dict[str, Any] = response.json()
    return answer


def codes(body: dict[str, Any]) -> set[str]:
    return {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}


@pytest.fixture
def admin_token(district: District) -> str:
    return token_for(district.stack, "DISTRICT_ADMIN", district.code)


@pytest.mark.parametrize("text", ["\x00", "测试\x00", "\ud800"])
def test_nul_in_any_string_argument_is_bad_user_input(district: District, text: str):
    community = district.communities[0]
    unit = district.unit(community)
    org = district.organization(community, [unit])
    url, token = district.url, token_for(district.stack, "DISTRICT_ADMIN", district.code)
    cases: list[tuple[str, dict[str, Any]]] = [
        ("query($t: String!) { searchAreas(text: $t) { code } }", {"t": text}),
        (CREATE_AREA, {"i": {"code": community[:9] + "009", "name": text}}),
        (
            ESTABLISH,
            {
                "i": {
                    "name": text,
                    "kind": "TRADE_UNION",
                    "establishment": "STANDALONE",
                    "areaCode": community,
                    "unitIds": [unit],
                }
            },
        ),
        (CREATE_ACTIVITY, {"i": district.activity_input([org], community, title=text)}),
        (CREATE_ACTIVITY, {"i": district.activity_input([org], community, place=text)}),
        ("query($a: String!) { areaStats(areaCode: $a) { areaCode } }", {"a": text}),
    ]
    for query, variables in cases:
        body = post(url, token, {"query": query, "variables": variables})
        assert codes(body) == {"BAD_USER_INPUT"}, (query, body)
        assert " / " in body["errors"][0]["message"]
    # A literal in the document too, and straight to the subgraph.
    literal = '{ searchAreas(text: "a\\u0000") { code } }'
    assert codes(post(url, token, {"query": literal})) == {"BAD_USER_INPUT"}
    direct = district.stack.service_url("organizations")
    assert codes(post(direct, token, {"query": literal})) == {"BAD_USER_INPUT"}


@pytest.mark.parametrize("code", ["３３０１０６００００００", "33010６000000", "²²²²²²²²²²²²"])
def test_area_codes_take_ascii_digits_only(district: District, admin_token: str, code: str):
    for query in (
        "query($a: String!) { organizations(areaCode: $a) { totalCount } }",
        "query($a: String!) { areaStats(areaCode: $a) { areaCode } }",
        "query($a: String!) { activities(areaCode: $a) { totalCount } }",
    ):
        body = post(district.url, admin_token, {"query": query, "variables": {"a": code}})
        assert codes(body) == {"BAD_USER_INPUT"}, body
    created = post(
        district.url,
        admin_token,
        {"query": CREATE_AREA, "variables": {"i": {"code": code, "name": "x"}}},
    )
    assert created["data"]["createArea"]["errors"][0]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("bad_id", ["nope", "", "１２３", "00000000-0000-0000-0000-00000000000g"])
def test_malformed_ids_find_nothing_or_are_named_as_bad(
    district: District, admin_token: str, bad_id: str
):
    for field in ("organization", "unit", "person", "activity"):
        body = post(
            district.url,
            admin_token,
            {
                "query": f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}",
                "variables": {"id": bad_id},
            },
        )
        assert not body.get("errors"), body
        assert body["data"] == {field: None}
    community = district.communities[0]
    activity = post(
        district.url,
        admin_token,
        {
            "query": CREATE_ACTIVITY,
            "variables": {"i": district.activity_input([bad_id], community)},
        },
    )["data"]["createActivity"]
    assert activity["errors"][0]["field"] == "organizerIds[0]"
    assert activity["errors"][0]["code"] == "BAD_USER_INPUT"


REPRESENTATIONS = [
    "x",
    {"id": "x"},
    {"__typename": "Nope", "id": "x"},
    {"__typename": "Organization"},
    {"__typename": "Organization", "id": 5},
    {"__typename": "Organization", "id": "x", "more": "y"},
    {"__typename": "Organization", "id": "not-a-uuid"},
    {"__typename": "Area", "code": None},
]


@pytest.mark.parametrize("service", SERVICES)
def test_malformed_entity_representations_never_get_internal(
    district: District, admin_token: str, service: str
):
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) { __typename "
        "... on Organization { id } } }"
    )
    url = district.stack.service_url(service)
    for representation in REPRESENTATIONS:
        body = post(
            url,
            admin_token,
            {"query": query, "variables": {"r": [representation]}},
            district.stack.config.gateway_secret,
        )
        assert "INTERNAL" not in codes(body), (representation, body)
        assert body.get("errors") or body["data"]["_entities"] == [None], (representation, body)
    # The fields that read the key later are safe too.
    deep = {
        "activities": "... on Organization { activities { totalCount } }",
        "evaluation": "... on Organization { activitySummary { activityCount } }",
        "organizations": "... on Organization { name }",
    }[service]
    body = post(
        url,
        admin_token,
        {
            "query": f"query($r: [_Any!]!) {{ _entities(representations: $r) {{ {deep} }} }}",
            "variables": {"r": [{"__typename": "Organization", "id": "x"}]},
        },
        district.stack.config.gateway_secret,
    )
    assert "INTERNAL" not in codes(body), body


@pytest.mark.parametrize("where", ["gateway", *SERVICES])
def test_several_operations_without_an_operation_name_are_an_error(
    district: District, admin_token: str, where: str
):
    url = district.url if where == "gateway" else district.stack.service_url(where)
    document = "query A { __typename } query B { __typename }"
    body = post(url, admin_token, {"query": document})
    assert body.get("errors"), body
    assert not body.get("data"), body
    named = post(url, admin_token, {"query": document, "operationName": "B"})
    assert named["data"] == {"__typename": "Query"}
