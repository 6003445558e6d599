"""Issue 9's pairings (结对) and visits (走访) end to end, through the gateway, as a street office
and a community's branches use them: a street guidance group paired with a community, a party
branch paired with a union; a visit finds unpaid wages and opens a case in the same step, linked
both ways; a bad visit is refused, every problem named, and writes nothing; the pairing never
visited is listed for follow-up; ending twice is refused; an unrelated organisation sees neither."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.pytest_plugin import District
from gongjian_deploy.stack import Stack
from gongjian_organizations.domain.people import id_check_char

pytestmark = pytest.mark.integration

ERRORS = "errors { field code message messageZh messageEn }"
PAIRING = """id kind kindLabel title areaCode startsOn endsOn status statusLabel endedOn
  visitCount lastVisitOn daysSinceVisit
  parties { kind kindLabel id areaCode role organization { id } }"""
START = f"""mutation($i: StartPairingInput!) {{ startPairing(input: $i) {{
  pairing {{ {PAIRING} }} {ERRORS} }} }}"""
END = f"""mutation($id: ID!) {{ endPairing(input: {{id: $id, reason: "指导任务完成"}}) {{
  pairing {{ {PAIRING} }} {ERRORS} }} }}"""
VISIT = """id pairingId visitedOn notes problemCount visitors { id }
  problems { title description caseOpened case { id channel visitId } }
  cases { id number channel channelLabel category visitId pairingId status }"""
LOG = (
    f"""mutation($i: LogVisitInput!) {{ logVisit(input: $i) {{ visit {{ {VISIT} }} {ERRORS} }} }}"""
)
ONE = f"""query($id: ID!) {{ pairing(id: $id) {{ {PAIRING}
  visits(first: 5) {{ totalCount edges {{ node {{ id visitedOn }} }} }} }} }}"""
ONE_VISIT = f"query($id: ID!) {{ visit(id: $id) {{ {VISIT} pairing {{ id }} }} }}"
LIST = """query($a: String) { pairings(areaCode: $a, first: 20) { totalCount
  edges { node { id kind } } } }"""
QUIET = """query($a: String, $d: Int!) { pairingsWithoutVisit(areaCode: $a, days: $d, first: 20) {
  totalCount edges { node { id lastVisitOn daysSinceVisit } } } }"""
CASE = "query($id: ID!) { case(id: $id) { id channel visitId pairingId title } }"
CASES = "query($a: String) { cases(areaCode: $a) { totalCount } }"
REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { field code message } } }"""

_serials = iter(range(500, 999))


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _payload(result: dict[str, Any]) -> dict[str, Any]:
    [value] = result.values()
    assert isinstance(value, dict)
    return value


def _retry(client: GraphQLClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Ask until the activities service has heard of the people and organisations (events)."""
    deadline = time.monotonic() + 20
    while True:
        payload = _payload(client.data(query, variables))
        errors = payload["errors"]
        if not any(e["code"] == "NOT_FOUND" for e in errors) or time.monotonic() > deadline:
            return payload
        time.sleep(0.2)


def _person(district: District, area: str, name: str) -> str:
    first17 = f"{district.code[:6]}19800101{next(_serials):03d}"
    result = _payload(
        district.admin.data(
            REGISTER,
            {"i": {"name": name, "idNumber": first17 + id_check_char(first17), "areaCode": area}},
        )
    )
    assert not result["errors"], result
    return str(result["person"]["id"])


@pytest.fixture
def town(stack: Stack) -> dict[str, Any]:
    """A street's party committee, a community with a party branch and a union, an unrelated
    women's federation, and two residents who go visiting."""
    district = District(stack)
    street, community = district.streets[0], district.communities[0]
    office = district.unit(street, name="街道办事处")
    unit = district.unit(community, name="和美餐饮有限公司")
    return {
        "district": district,
        "street": street,
        "community": community,
        "street_org": district.organization(street, [office], kind="PARTY_COMMITTEE"),
        "branch": district.organization(community, [unit], kind="PARTY_BRANCH"),
        "union": district.organization(community, [unit], kind="TRADE_UNION"),
        "women": district.organization(community, [unit], kind="WOMENS_FEDERATION"),
        "visitors": [_person(district, community, n) for n in ("李走访", "王入户")],
    }


def _start(client: GraphQLClient, pairing: dict[str, Any]) -> dict[str, Any]:
    started = _retry(client, START, {"i": pairing})
    assert started["errors"] == [], started
    return dict(started["pairing"])


async def _rows(stack: Stack, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.settings("activities").database_url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def test_pairings_visits_and_the_cases_they_open(stack: Stack, town: dict[str, Any]):
    district: District = town["district"]
    admin, community = district.admin, town["community"]
    started_on = _today() - timedelta(days=60)

    # 街道指导组 → 社区: the street's committee guides the community.
    guidance = _start(
        admin,
        {
            "kind": "GUIDANCE_GROUP",
            "title": "街道指导组联系和美社区",
            "areaCode": community,
            "startsOn": started_on.isoformat(),
            "goals": "每月走访一次，指导社区党建",
            "parties": [
                {"kind": "ORGANIZATION", "id": town["street_org"], "role": "指导组"},
                {"kind": "AREA", "areaCode": community, "role": "被指导社区"},
            ],
        },
    )
    assert guidance["status"] == "ACTIVE"
    assert guidance["kindLabel"] == "街道指导组"
    assert guidance["parties"] == [
        {
            "kind": "ORGANIZATION",
            "kindLabel": "组织",
            "id": town["street_org"],
            "areaCode": None,
            "role": "指导组",
            "organization": {"id": town["street_org"]},
        },
        {
            "kind": "AREA",
            "kindLabel": "区划",
            "id": None,
            "areaCode": community,
            "role": "被指导社区",
            "organization": None,
        },
    ]
    # 党群组织联建: the branch and the union.
    joint = _start(
        admin,
        {
            "kind": "ORG_ORG",
            "title": "党支部与工会联建",
            "areaCode": community,
            "startsOn": started_on.isoformat(),
            "endsOn": (started_on + timedelta(days=730)).isoformat(),
            "parties": [
                {"kind": "ORGANIZATION", "id": town["branch"]},
                {"kind": "ORGANIZATION", "id": town["union"]},
            ],
        },
    )
    assert joint["kindLabel"] == "党群组织联建"
    assert joint["visitCount"] == 0
    assert joint["lastVisitOn"] is None

    # A visit finds unpaid wages: the problem opens a case (走访发现) in the same step.
    visited_on = _today() - timedelta(days=2)
    logged = _retry(
        admin,
        LOG,
        {
            "i": {
                "pairingId": joint["id"],
                "visitedOn": visited_on.isoformat(),
                "visitorIds": town["visitors"],
                "notes": "走访和美餐饮，座谈职工8人",
                "problems": [
                    {
                        "title": "餐饮店拖欠职工两个月工资",
                        "description": "职工反映自9月起未发工资",
                        "openCase": {"category": "UNPAID_WAGES", "organizationId": town["union"]},
                    },
                    {"title": "职工活动室照明不足"},
                ],
            }
        },
    )
    assert logged["errors"] == [], logged
    visit = logged["visit"]
    assert visit["problemCount"] == 2
    assert visit["visitedOn"] == visited_on.isoformat()
    assert [v["id"] for v in visit["visitors"]] == town["visitors"]
    [case] = visit["cases"]
    assert case["channel"] == "VISIT"
    assert case["channelLabel"] == "走访发现"
    assert case["category"] == "UNPAID_WAGES"
    assert case["visitId"] == visit["id"]
    assert case["pairingId"] == joint["id"]
    assert case["status"] == "OPEN"
    first, second = visit["problems"]
    assert first["caseOpened"]
    assert first["case"] == {"id": case["id"], "channel": "VISIT", "visitId": visit["id"]}
    assert second == {
        "title": "职工活动室照明不足",
        "description": None,
        "caseOpened": False,
        "case": None,
    }
    # Linked both ways: the case names the visit, the visit lists the case.
    assert admin.data(CASE, {"id": case["id"]})["case"] == {
        "id": case["id"],
        "channel": "VISIT",
        "visitId": visit["id"],
        "pairingId": joint["id"],
        "title": "餐饮店拖欠职工两个月工资",
    }
    again = admin.data(ONE_VISIT, {"id": visit["id"]})["visit"]
    assert [c["id"] for c in again["cases"]] == [case["id"]]
    assert again["pairing"] == {"id": joint["id"]}
    seen = admin.data(ONE, {"id": joint["id"]})["pairing"]
    assert seen["visitCount"] == 1
    assert seen["lastVisitOn"] == visited_on.isoformat()
    assert seen["daysSinceVisit"] == 2
    assert seen["visits"]["totalCount"] == 1
    assert [e["node"]["id"] for e in seen["visits"]["edges"]] == [visit["id"]]

    # A bad visit: in the future, an unknown visitor, a case of no category. Every problem is
    # named at once, and nothing is written: no visit, no case.
    cases_before = admin.data(CASES, {"a": community})["cases"]["totalCount"]
    bad = _payload(
        admin.data(
            LOG,
            {
                "i": {
                    "pairingId": joint["id"],
                    "visitedOn": (_today() + timedelta(days=1)).isoformat(),
                    "visitorIds": [town["visitors"][0], "6f0c2f43-9d3a-4b47-9d0e-0c3b2c9a1e55"],
                    "problems": [
                        {
                            "title": "道路积水",
                            "openCase": {
                                "category": "NO_SUCH_THING",
                                "organizationId": town["union"],
                            },
                        },
                        {
                            "title": "欠薪",
                            "openCase": {
                                "category": "UNPAID_WAGES",
                                "organizationId": town["union"],
                            },
                        },
                    ],
                }
            },
        )
    )
    assert bad["visit"] is None
    assert {(e["field"], e["code"]) for e in bad["errors"]} == {
        ("visitedOn", "BAD_USER_INPUT"),
        ("visitorIds[1]", "NOT_FOUND"),
        ("problems[0].openCase.category", "BAD_USER_INPUT"),
    }
    assert all(e["messageZh"] and e["messageEn"] for e in bad["errors"])
    assert admin.data(CASES, {"a": community})["cases"]["totalCount"] == cases_before
    assert admin.data(ONE, {"id": joint["id"]})["pairing"]["visitCount"] == 1
    stored = await _rows(stack, "SELECT id FROM visit WHERE pairing_id = $1::uuid", joint["id"])
    assert len(stored) == 1

    # Thirty days without a visit: the guidance group (never visited, started 60 days ago) is
    # listed, the visited pairing is not.
    quiet = admin.data(QUIET, {"a": community, "d": 30})["pairingsWithoutVisit"]
    assert [e["node"] for e in quiet["edges"]] == [
        {"id": guidance["id"], "lastVisitOn": None, "daysSinceVisit": 60}
    ]
    assert quiet["totalCount"] == 1
    listed = admin.data(LIST, {"a": community})["pairings"]
    assert [e["node"]["id"] for e in listed["edges"]] == [joint["id"], guidance["id"]]

    # An organisation that is party to neither sees neither pairing, nor the visit.
    stranger = district.client("ORG_ADMIN", community, orgs=[town["women"]])
    assert stranger.data(LIST, {"a": community})["pairings"]["totalCount"] == 0
    assert stranger.data(QUIET, {"a": community, "d": 30})["pairingsWithoutVisit"]["edges"] == []
    assert stranger.data(ONE, {"id": joint["id"]})["pairing"] is None
    assert stranger.data(ONE, {"id": guidance["id"]})["pairing"] is None
    assert stranger.data(ONE_VISIT, {"id": visit["id"]})["visit"] is None
    refused = _payload(
        stranger.data(
            LOG,
            {
                "i": {
                    "pairingId": joint["id"],
                    "visitedOn": _today().isoformat(),
                    "visitorIds": town["visitors"][:1],
                }
            },
        )
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("pairingId", "NOT_FOUND")]
    # The union's admin sees the pairing it is party to, and not the other.
    union_admin = district.client("ORG_ADMIN", community, orgs=[town["union"]])
    mine = union_admin.data(LIST, {"a": community})["pairings"]
    assert [e["node"]["id"] for e in mine["edges"]] == [joint["id"]]

    # Ending: once, then refused with the current status.
    ended = _payload(admin.data(END, {"id": guidance["id"]}))
    assert ended["errors"] == [], ended
    assert ended["pairing"]["status"] == "ENDED"
    assert ended["pairing"]["statusLabel"] == "已结束"
    assert ended["pairing"]["endedOn"] == _today().isoformat()
    twice = _payload(admin.data(END, {"id": guidance["id"]}))
    assert twice["pairing"] is None
    assert [(e["field"], e["code"]) for e in twice["errors"]] == [("status", "CONFLICT")]
    assert admin.data(QUIET, {"a": community, "d": 30})["pairingsWithoutVisit"]["totalCount"] == 0

    # The events: exactly the names and fields evaluation counts, no personal data.
    events = await _rows(
        stack,
        "SELECT event_type, payload FROM outbox WHERE key = ANY($1::text[]) ORDER BY id",
        [guidance["id"], joint["id"], visit["id"]],
    )
    found = [(e["event_type"], json.loads(e["payload"])["data"]) for e in events]
    assert [t for t, _ in found] == [
        "gongjian.activities.pairing.started.v1",
        "gongjian.activities.pairing.started.v1",
        "gongjian.activities.visit.logged.v1",
        "gongjian.activities.pairing.ended.v1",
    ]
    assert found[0][1] == {
        "pairingId": guidance["id"],
        "kind": "GUIDANCE_GROUP",
        "areaCode": community,
        "organizationIds": [town["street_org"]],
        "partyCount": 2,
        "startsOn": started_on.isoformat(),
        "endsOn": None,
        "status": "ACTIVE",
    }
    assert found[2][1] == {
        "visitId": visit["id"],
        "pairingId": joint["id"],
        "kind": "ORG_ORG",
        "areaCode": community,
        "organizationIds": [town["branch"], town["union"]],
        "visitedOn": visited_on.isoformat(),
        "visitorCount": 2,
        "problemCount": 2,
        "caseIds": [case["id"]],
    }
    assert found[3][1] == {
        "pairingId": guidance["id"],
        "kind": "GUIDANCE_GROUP",
        "areaCode": community,
        "organizationIds": [town["street_org"]],
        "endedOn": _today().isoformat(),
        "visitCount": 0,
        "status": "ENDED",
    }
    text = json.dumps(found, ensure_ascii=False)
    for personal in ("李走访", "座谈", "拖欠", town["visitors"][0]):
        assert personal not in text


def test_an_org_admin_pairs_only_its_own_organisation(town: dict[str, Any]):
    district: District = town["district"]
    community = town["community"]
    union_admin = district.client("ORG_ADMIN", community, orgs=[town["union"]])
    pairing = {
        "kind": "ORG_ORG",
        "title": "妇联与支部联建",
        "areaCode": community,
        "startsOn": _today().isoformat(),
        "parties": [
            {"kind": "ORGANIZATION", "id": town["branch"]},
            {"kind": "ORGANIZATION", "id": town["women"]},
        ],
    }
    refused = _retry(union_admin, START, {"i": pairing})
    assert refused["pairing"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("parties", "FORBIDDEN")]
    pairing["parties"][1] = {"kind": "ORGANIZATION", "id": town["union"]}
    started = _start(union_admin, pairing)
    assert started["status"] == "ACTIVE"
    # A visit the same ORG_ADMIN logs opens a case only for its own organisation.
    logged = _retry(
        union_admin,
        LOG,
        {
            "i": {
                "pairingId": started["id"],
                "visitedOn": _today().isoformat(),
                "visitorIds": town["visitors"][:1],
                "problems": [
                    {
                        "title": "职工反映加班费未结",
                        "openCase": {"category": "LABOUR_DISPUTE", "organizationId": town["women"]},
                    }
                ],
            }
        },
    )
    assert [(e["field"], e["code"]) for e in logged["errors"]] == [
        ("problems[0].openCase.organizationId", "FORBIDDEN")
    ]


PAGE = """query($a: String, $d: Int!, $after: String) { pairingsWithoutVisit(areaCode: $a, days: $d,
  first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor }
  edges { node { id kind daysSinceVisit lastVisitOn
    parties { kind id areaCode person { id } } } } } }"""


def test_the_longest_without_a_visit_comes_first_page_by_page(town: dict[str, Any]):
    district: District = town["district"]
    admin, community = district.admin, town["community"]
    cadre, household = town["visitors"]
    helping = _start(
        admin,
        {
            "kind": "CADRE_HOUSEHOLD",
            "title": "干部结对帮扶困难户",
            "areaCode": community,
            "startsOn": (_today() - timedelta(days=40)).isoformat(),
            "parties": [
                {"kind": "PERSON", "id": cadre, "role": "帮扶干部"},
                {"kind": "PERSON", "id": household, "role": "困难户"},
            ],
        },
    )
    rural = _start(
        admin,
        {
            "kind": "URBAN_RURAL",
            "title": "城乡手拉手",
            "areaCode": community,
            "startsOn": (_today() - timedelta(days=90)).isoformat(),
            "parties": [
                {"kind": "UNIT", "id": "0a6c3a5e-1111-4c1d-9e1f-5b2a3c4d5e6f"},
                {"kind": "AREA", "areaCode": district.communities[3]},
            ],
        },
    )
    # Visited 35 days ago: still quiet for a window of 30 days, listed after the 90-day one.
    visited = _retry(
        admin,
        LOG,
        {
            "i": {
                "pairingId": helping["id"],
                "visitedOn": (_today() - timedelta(days=35)).isoformat(),
                "visitorIds": [cadre],
            }
        },
    )
    assert visited["errors"] == [], visited
    first = admin.data(PAGE, {"a": community, "d": 30})["pairingsWithoutVisit"]
    assert first["totalCount"] == 2
    assert first["pageInfo"]["hasNextPage"]
    [top] = [e["node"] for e in first["edges"]]
    assert top["id"] == rural["id"]
    assert top["daysSinceVisit"] == 90
    assert top["parties"] == [
        {
            "kind": "UNIT",
            "id": "0a6c3a5e-1111-4c1d-9e1f-5b2a3c4d5e6f",
            "areaCode": None,
            "person": None,
        },
        {"kind": "AREA", "id": None, "areaCode": district.communities[3], "person": None},
    ]
    after = first["pageInfo"]["endCursor"]
    second = admin.data(PAGE, {"a": community, "d": 30, "after": after})["pairingsWithoutVisit"]
    assert not second["pageInfo"]["hasNextPage"]
    [next_one] = [e["node"] for e in second["edges"]]
    assert next_one["id"] == helping["id"]
    assert next_one["daysSinceVisit"] == 35
    assert next_one["lastVisitOn"] == (_today() - timedelta(days=35)).isoformat()
    assert [p["person"] for p in next_one["parties"]] == [{"id": cadre}, {"id": household}]
    # A visit before the pairing started is refused, naming the day.
    early = _payload(
        admin.data(
            LOG,
            {
                "i": {
                    "pairingId": helping["id"],
                    "visitedOn": (_today() - timedelta(days=41)).isoformat(),
                    "visitorIds": [cadre],
                }
            },
        )
    )
    assert [(e["field"], e["code"]) for e in early["errors"]] == [("visitedOn", "BAD_USER_INPUT")]
