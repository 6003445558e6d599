"""Issue 11 item 1 end to end, through the gateway: a youth league member recommended to the
Party (推优) becomes an activist, is refused as a candidate a day before a full year (typed, with
the earliest date), becomes a candidate, a probationary and a full member; the organizations
service hears of it and the person's political status becomes PARTY_MEMBER."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import asyncpg
import pytest

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.pytest_plugin import District, token_for
from gongjian_deploy.stack import Stack
from gongjian_organizations.domain.people import id_check_char

pytestmark = pytest.mark.integration

ERRORS = "errors { field code message messageZh messageEn }"
REC = (
    "id personId byOrganizationId family areaCode stage stageLabel recommendedOn activistOn "
    "candidateOn probationaryOn fullMemberOn nextStage nextStageFrom active"
)
REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { field code message } } }"""
RECOMMEND = f"""mutation($p: ID!, $o: ID!, $on: Date!) {{ recommendForParty(input: {{personId: $p,
  byOrganizationId: $o, on: $on, reason: "工作积极，群众认可"}}) {{ recommendation {{ {REC} }}
  {ERRORS} }} }}"""
ADVANCE = f"""mutation($r: ID!, $s: RecommendationStage!, $on: Date!) {{ advanceRecommendation(
  input: {{id: $r, stage: $s, on: $on}}) {{ recommendation {{ {REC} }} {ERRORS} }} }}"""
STOP = f"""mutation($r: ID!) {{ stopRecommendation(input: {{id: $r, reason: "本人放弃"}})
  {{ recommendation {{ {REC} stoppedOn }} {ERRORS} }} }}"""
LIST = f"""query($a: String!) {{ recommendations(areaCode: $a) {{ totalCount
  edges {{ node {{ {REC} person {{ id name }} }} }} }} }}"""
ONE = f"query($r: ID!) {{ recommendation(id: $r) {{ {REC} }} }}"
CONVERSION = """query($a: String!) { recommendationConversion(areaCode: $a) {
  byOrganization { organizationId family recommended converted rate }
  byFamily { family recommended converted rate } } }"""
STATUS = """query($p: ID!) { person(id: $p) { id politicalStatus
  politicalStatusHistory { status since } } }"""


PERSON_PATH = """query($p: ID!) { person(id: $p) { id recommendations(first: 5) {
  totalCount edges { node { id stage } } } } }"""


PERSON_ENTITY = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Person {
  recommendations { totalCount } } } }"""


async def _last_stats_message(stack: Stack, area: str) -> dict[str, Any] | None:
    """The data of the last area-stats message evaluation wrote for ``area`` (its outbox)."""
    conn = await asyncpg.connect(stack.database("evaluation"))
    try:
        payload = await conn.fetchval(
            "SELECT payload FROM outbox WHERE event_type LIKE '%area-stats%' AND key = $1 "
            "ORDER BY id DESC LIMIT 1",
            area,
        )
    finally:
        await conn.close()
    return None if payload is None else dict(json.loads(payload)["data"])


def _id_number(born: str, serial: int) -> str:
    first17 = f"330106{born}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


def _payload(result: dict[str, Any]) -> dict[str, Any]:
    [value] = result.values()
    assert isinstance(value, dict)
    return value


def _register(district: District, community: str, name: str, born: str) -> str:
    serial = int(district.code[2:6]) + int(time.monotonic_ns() % 997)
    result = district.admin.data(
        REGISTER,
        {"i": {"name": name, "idNumber": _id_number(born, serial), "areaCode": community}},
    )["registerPerson"]
    assert not result["errors"], result
    return str(result["person"]["id"])


def _recommend(client: GraphQLClient, person: str, org: str, on: str) -> dict[str, Any]:
    """Ask until evaluation has heard of the organisation (its events)."""
    deadline = time.monotonic() + 30
    while True:
        payload = _payload(client.data(RECOMMEND, {"p": person, "o": org, "on": on}))
        errors = payload["errors"]
        if not errors or errors[0]["code"] != "NOT_FOUND" or time.monotonic() > deadline:
            return payload
        time.sleep(0.2)


def _advance(client: GraphQLClient, rec: str, stage: str, on: str) -> dict[str, Any]:
    return _payload(client.data(ADVANCE, {"r": rec, "s": stage, "on": on}))


def test_a_league_member_becomes_a_party_member(stack: Stack) -> None:
    district = District(stack)
    community = district.communities[0]
    unit = district.unit(community, name="推优测试服务中心")
    league = district.organization(community, [unit], kind="YOUTH_LEAGUE")
    branch = district.organization(community, [unit], kind="PARTY_BRANCH")
    person = _register(district, community, "团员小李", "19980301")
    admin = district.admin

    # A party branch does not recommend (推优 is the mass organisations').
    refused = _recommend(admin, person, branch, "2024-03-01")
    assert [e["code"] for e in refused["errors"]] == ["BAD_USER_INPUT"], refused
    assert refused["recommendation"] is None

    made = _recommend(admin, person, league, "2024-03-01")
    assert not made["errors"], made
    rec = made["recommendation"]
    assert rec["stage"] == "RECOMMENDED"
    assert rec["family"] == "YOUTH_LEAGUE"
    assert rec["nextStage"] == "ACTIVIST"
    assert rec["nextStageFrom"] == "2024-03-01"
    rid = rec["id"]

    # One live recommendation per person.
    again = _recommend(admin, person, league, "2024-03-02")
    assert again["errors"][0]["code"] == "CONFLICT"

    # A stage skipped: refused, naming the current stage.
    skipped = _advance(admin, rid, "CANDIDATE", "2025-03-01")
    assert skipped["errors"][0]["code"] == "CONFLICT", skipped
    assert "已推优" in skipped["errors"][0]["messageZh"]

    active = _advance(admin, rid, "ACTIVIST", "2024-03-01")
    assert not active["errors"], active
    assert active["recommendation"]["nextStageFrom"] == "2025-03-01"

    early = _advance(admin, rid, "CANDIDATE", "2025-02-28")
    assert [e["code"] for e in early["errors"]] == ["BAD_USER_INPUT"], early
    assert early["errors"][0]["field"] == "on"
    assert "满一年后方可列为发展对象（最早2025-03-01）" in early["errors"][0]["messageZh"]
    assert early["recommendation"] is None
    assert _payload(admin.data(ONE, {"r": rid}))["stage"] == "ACTIVIST"

    for stage, on in (
        ("CANDIDATE", "2025-03-01"),
        ("PROBATIONARY", "2025-06-01"),
        ("FULL_MEMBER", "2026-06-01"),
    ):
        moved = _advance(admin, rid, stage, on)
        assert not moved["errors"], (stage, moved)
        assert moved["recommendation"]["stage"] == stage
    done = moved["recommendation"]
    assert done["fullMemberOn"] == "2026-06-01"
    assert not done["active"]
    assert done["nextStage"] is None
    finished = _payload(admin.data(STOP, {"r": rid}))
    assert finished["errors"][0]["code"] == "CONFLICT"

    # The organizations service hears the advances: 预备党员 then 正式党员, dated.
    deadline = time.monotonic() + 30
    while True:
        person_now = admin.data(STATUS, {"p": person})["person"]
        if person_now["politicalStatus"] == "PARTY_MEMBER" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert person_now["politicalStatus"] == "PARTY_MEMBER", person_now
    history = [(h["status"], h["since"]) for h in person_now["politicalStatusHistory"]]
    # (The history is ordered by date: the registration's own row is dated today.)
    assert ("PROBATIONARY_PARTY_MEMBER", "2025-06-01") in history
    assert ("PARTY_MEMBER", "2026-06-01") in history

    listed = admin.data(LIST, {"a": community})["recommendations"]
    assert listed["totalCount"] == 1
    node = listed["edges"][0]["node"]
    assert node["person"]["name"] == "团员小李"
    assert node["stage"] == "FULL_MEMBER"

    # The district's published figures tell 推优 by stage (no one named): the last message of
    # the community, once the publisher has caught up, counts one FULL_MEMBER.
    deadline = time.monotonic() + 15
    while (told := asyncio.run(_last_stats_message(stack, community))) is None or told.get(
        "recommendationsByStage"
    ) != [{"key": "FULL_MEMBER", "count": 1}]:
        assert time.monotonic() < deadline, told
        time.sleep(0.2)

    conversion = admin.data(CONVERSION, {"a": district.code})["recommendationConversion"]
    assert conversion["byOrganization"] == [
        {
            "organizationId": league,
            "family": "YOUTH_LEAGUE",
            "recommended": 1,
            "converted": 1,
            "rate": 1.0,
        }
    ]
    assert conversion["byFamily"][0]["family"] == "YOUTH_LEAGUE"

    # Another organisation's ORG_ADMIN neither sees nor moves it; a member sees nothing of it.
    union = district.organization(community, [unit], kind="TRADE_UNION")
    stranger = GraphQLClient(
        stack.gateway_url, token_for(stack, "ORG_ADMIN", community, orgs=[union])
    )
    assert stranger.data(ONE, {"r": rid})["recommendation"] is None
    assert stranger.data(LIST, {"a": community})["recommendations"]["totalCount"] == 0

    # On the person, beside their record in organizations: themself and the area's admin see
    # the path; the stranger ORG_ADMIN an empty list; an assessor (no personal data) null.
    me = GraphQLClient(stack.gateway_url, token_for(stack, "MEMBER", community, person=person))
    for reader in (me, admin):
        path = reader.data(PERSON_PATH, {"p": person})["person"]["recommendations"]
        assert path["totalCount"] == 1
        assert [(e["node"]["id"], e["node"]["stage"]) for e in path["edges"]] == [
            (rid, "FULL_MEMBER")
        ]
    # The evaluation subgraph as the gateway calls it: the stranger ORG_ADMIN lists nothing of
    # another organisation's recommendation; an assessor (records, no personal data) gets null.
    evaluation = stack.service_url("evaluation")
    for role, orgs, expected in (("ORG_ADMIN", [union], 0), ("ASSESSOR", None, None)):
        direct = district.client(role, community, orgs, url=evaluation)
        entity = direct.data(PERSON_ENTITY, {"r": [{"__typename": "Person", "id": person}]})
        found = entity["_entities"][0]["recommendations"]
        assert (found if found is None else found["totalCount"]) == expected, (role, found)


def test_under_age_and_stopping(stack: Stack) -> None:
    district = District(stack)
    community = district.communities[1]
    unit = district.unit(community, name="推优测试工会")
    union = district.organization(community, [unit], kind="TRADE_UNION")
    young = _register(district, community, "青年小王", "20060302")
    admin = district.admin

    refused = _recommend(admin, young, union, "2024-03-01")
    assert [e["code"] for e in refused["errors"]] == ["BAD_USER_INPUT"], refused
    assert "年满18周岁（2024-03-02起）" in refused["errors"][0]["messageZh"]

    made = _recommend(admin, young, union, "2024-03-02")
    assert not made["errors"], made
    rid = made["recommendation"]["id"]
    stopped = _payload(admin.data(STOP, {"r": rid}))
    assert not stopped["errors"], stopped
    assert stopped["recommendation"]["stoppedOn"]
    assert not stopped["recommendation"]["active"]
    after = _advance(admin, rid, "ACTIVIST", "2024-03-02")
    assert after["errors"][0]["code"] == "CONFLICT"
    assert "已终止" in after["errors"][0]["messageZh"]
