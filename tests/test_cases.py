"""Issue 9's case desk end to end, through the gateway, as a community's union staff use it: a
hotline call about unpaid wages is taken, handled, resolved and closed with the caller's score;
a case received the day before National Day is due in working days; an overdue case reaches the
superior's list; every bad step is refused, typed, and writes nothing."""

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
CASE = """id number status statusLabel channelLabel category categoryLabel urgency dueOn
  limitWorkingDays overdue workingDaysLeft workingDays onTime satisfaction requesterReached
  escalatedAt escalatedTo { id } organization { id } reopenCount
  requester { kind name phone person { id } }
  timeline { kind kindLabel statusAfter note fromOrganizationId toOrganizationId }"""
OPEN = (
    f"""mutation($i: OpenCaseInput!) {{ openCase(input: $i) {{ case {{ {CASE} }} {ERRORS} }} }}"""
)
ACCEPT = f"mutation($id: ID!) {{ acceptCase(input: {{id: $id}}) {{ case {{ {CASE} }} {ERRORS} }} }}"
START = (
    'mutation($id: ID!) { startCase(input: {id: $id, note: "已联系用人单位"}) '
    f"{{ case {{ {CASE} }} {ERRORS} }} }}"
)
RESOLVE = (
    'mutation($id: ID!) { resolveCase(input: {id: $id, resolution: "用人单位已补发工资"}) '
    f"{{ case {{ {CASE} }} {ERRORS} }} }}"
)
CLOSE = (
    "mutation($id: ID!, $s: Int, $r: Boolean!) { closeCase(input: {id: $id, satisfaction: $s, "
    f"requesterReached: $r}}) {{ case {{ {CASE} }} {ERRORS} }} }}"
)
REOPEN = (
    'mutation($id: ID!) { reopenCase(input: {id: $id, reason: "群众反映工资仍未到账"}) '
    f"{{ case {{ {CASE} }} {ERRORS} }} }}"
)
TRANSFER = (
    "mutation($id: ID!, $to: ID!) { transferCase(input: {id: $id, toOrganizationId: $to, reason: "
    f'"属劳动争议，转工会法律援助"}}) {{ case {{ {CASE} }} {ERRORS} }} }}'
)
CASES = """query($a: String, $o: ID, $overdue: Boolean) { cases(areaCode: $a,
  organizationId: $o, overdue: $overdue, first: 20) { totalCount edges { node { id number
  overdue escalatedTo { id } } } } }"""
ONE = f"query($id: ID!) {{ case(id: $id) {{ {CASE} }} }}"
DISSOLVE = """mutation($i: DissolveOrganizationInput!) { dissolveOrganization(input: $i) {
  errors { code } } }"""
REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { field code message } } }"""
STATS = """query($a: String!) { area(code: $a) { stats { casesOpened casesResolved
  casesResolvedOnTime onTimeRate satisfactionAverage casesClosed } } }"""


def _payload(result: dict[str, Any]) -> dict[str, Any]:
    [value] = result.values()
    assert isinstance(value, dict)
    return value


def _until(ask: Any, ok: Any, timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = ask()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _open(client: GraphQLClient, case: dict[str, Any]) -> dict[str, Any]:
    """Open a case, asking again until the activities service has heard of the organisation."""
    return _until(
        lambda: _payload(client.data(OPEN, {"i": case})),
        lambda p: not p["errors"] or p["errors"][0]["code"] != "NOT_FOUND",
    )


def _hotline(community: str, org: str, **extra: Any) -> dict[str, Any]:
    return {
        "channel": "HOTLINE",
        "category": "UNPAID_WAGES",
        "urgency": "NORMAL",
        "areaCode": community,
        "organizationId": org,
        "title": "某餐饮店拖欠3名服务员两个月工资",
        "description": "来电人称自9月起未发工资",
        "requester": {"name": "赵来电", "phone": "13912345678"},
        **extra,
    }


@pytest.fixture
def desk(stack: Stack) -> dict[str, Any]:
    """A street federation of trade unions over a community union, and a league branch."""
    district = District(stack)
    street, community = district.streets[0], district.communities[0]
    unit = district.unit(community, name="和美餐饮有限公司")
    federation = district.organization(street, [district.unit(street)], kind="TRADE_UNION")
    union = district.organization(community, [unit], kind="TRADE_UNION", parentId=federation)
    league = district.organization(community, [unit], kind="YOUTH_LEAGUE")
    return {
        "district": district,
        "street": street,
        "community": community,
        "federation": federation,
        "union": union,
        "league": league,
        "union_admin": district.client("ORG_ADMIN", community, orgs=[union]),
        "federation_admin": district.client("ORG_ADMIN", street, orgs=[federation]),
    }


def test_a_hotline_case_about_unpaid_wages_from_open_to_closed(stack: Stack, desk: dict[str, Any]):
    staff: GraphQLClient = desk["union_admin"]
    opened = _open(staff, _hotline(desk["community"], desk["union"]))
    assert opened["errors"] == [], opened
    case = opened["case"]
    assert case["status"] == "OPEN"
    assert case["statusLabel"] == "待受理"
    assert case["channelLabel"] == "维权热线"
    assert case["categoryLabel"] == "欠薪"
    assert case["number"].startswith("SQ")
    assert case["limitWorkingDays"] == 5
    assert not case["overdue"]
    assert case["workingDaysLeft"] == 5
    # The union's staff handle the case: they see the caller's name and phone.
    assert case["requester"] == {
        "kind": "NAMED",
        "name": "赵来电",
        "phone": "13912345678",
        "person": None,
    }

    # Closing an open case is refused, naming the status; nothing changes.
    refused = _payload(staff.data(CLOSE, {"id": case["id"], "s": 5, "r": True}))
    assert refused["case"] is None
    assert refused["errors"][0]["code"] == "CONFLICT"
    assert "待受理" in refused["errors"][0]["messageZh"]
    assert "OPEN" in refused["errors"][0]["messageEn"]

    for step in (ACCEPT, START, RESOLVE):
        moved = _payload(staff.data(step, {"id": case["id"]}))
        assert moved["errors"] == [], moved
    resolved = moved["case"]
    assert resolved["status"] == "RESOLVED"
    assert resolved["onTime"] is True
    assert resolved["workingDays"] == 0

    # Satisfaction 7 does not exist; the case stays resolved.
    seven = _payload(staff.data(CLOSE, {"id": case["id"], "s": 7, "r": True}))
    assert seven["case"] is None
    assert seven["errors"][0]["field"] == "satisfaction"
    assert seven["errors"][0]["code"] == "BAD_USER_INPUT"
    closed = _payload(staff.data(CLOSE, {"id": case["id"], "s": 5, "r": True}))
    assert closed["errors"] == [], closed
    final = closed["case"]
    assert final["status"] == "CLOSED"
    assert final["satisfaction"] == 5
    assert [s["kind"] for s in final["timeline"]] == [
        "OPENED",
        "ACCEPTED",
        "STARTED",
        "RESOLVED",
        "CLOSED",
    ]
    assert final["timeline"][3]["note"] == "用人单位已补发工资"

    # Reopened within the window: back in progress, the resolution's figures taken back.
    reopened = _payload(staff.data(REOPEN, {"id": case["id"]}))["case"]
    assert reopened["status"] == "IN_PROGRESS"
    assert reopened["reopenCount"] == 1
    assert reopened["satisfaction"] is None
    assert reopened["onTime"] is None
    again = _payload(staff.data(RESOLVE, {"id": case["id"]}))["case"]
    final = _payload(staff.data(CLOSE, {"id": again["id"], "s": 4, "r": True}))["case"]
    assert final["satisfaction"] == 4

    # Evaluation counts it once, with its last score (the first closing was taken back).
    stats = _until(
        lambda: desk["district"].admin.data(STATS, {"a": desk["community"]})["area"]["stats"],
        lambda st: st["satisfactionAverage"] == 4,
    )
    assert stats == {
        "casesOpened": 1,
        "casesResolved": 1,
        "casesResolvedOnTime": 1,
        "onTimeRate": 1.0,
        "satisfactionAverage": 4.0,
        "casesClosed": 1,
    }

    # The league branch's admin does not see the union's case at all.
    league_admin = desk["district"].client("ORG_ADMIN", desk["community"], orgs=[desk["league"]])
    assert league_admin.data(ONE, {"id": case["id"]})["case"] is None
    listed = league_admin.data(CASES, {"a": desk["community"]})["cases"]
    assert listed["totalCount"] == 0


async def test_no_event_carries_the_requester(stack: Stack, desk: dict[str, Any]):
    staff: GraphQLClient = desk["union_admin"]
    case = _open(staff, _hotline(desk["community"], desk["union"]))["case"]
    conn = await asyncpg.connect(stack.settings("activities").database_url)
    try:
        payloads = await conn.fetch(
            "SELECT event_type, payload FROM outbox WHERE key = $1", case["id"]
        )
        stored = await conn.fetchrow(
            "SELECT requester_name_enc, requester_phone_enc FROM service_case WHERE id = $1::uuid",
            case["id"],
        )
    finally:
        await conn.close()
    assert [p["event_type"] for p in payloads] == ["gongjian.activities.case.opened.v1"]
    text = json.dumps([str(p["payload"]) for p in payloads], ensure_ascii=False)
    assert "赵来电" not in text
    assert "13912345678" not in text
    assert "5678" not in text
    # At rest, encrypted: neither the name nor the phone is in the row's bytes.
    assert b"13912345678" not in bytes(stored["requester_phone_enc"])
    assert "赵来电".encode() not in bytes(stored["requester_name_enc"])


def test_a_case_received_the_day_before_national_day_is_due_in_working_days_and_escalates(
    stack: Stack, desk: dict[str, Any]
):
    """30 Sep 2026, NORMAL (5 working days): 1–7 Oct are off, Sat 10 Oct is worked in exchange,
    so it is due on Tue 13 Oct, not 7 Oct. Past that and unresolved, it reaches the street
    federation's overdue list."""
    staff: GraphQLClient = desk["union_admin"]
    opened = _open(
        staff,
        _hotline(desk["community"], desk["union"], receivedAt="2026-09-30T16:30:00+08:00"),
    )
    assert opened["errors"] == [], opened
    case = opened["case"]
    assert case["dueOn"] == "2026-10-13"
    assert case["number"].startswith("SQ20260930")
    assert case["overdue"] is True
    assert case["workingDaysLeft"] < 0

    # The sweep escalates it to the community union's superior, the street federation.
    federation_admin: GraphQLClient = desk["federation_admin"]
    listed = _until(
        lambda: federation_admin.data(
            CASES, {"a": desk["street"], "o": desk["federation"], "overdue": True}
        )["cases"],
        lambda c: c["totalCount"] >= 1,
    )
    assert [e["node"]["id"] for e in listed["edges"]] == [case["id"]]
    assert listed["edges"][0]["node"]["escalatedTo"] == {"id": desk["federation"]}
    seen = federation_admin.data(ONE, {"id": case["id"]})["case"]
    assert seen["escalatedAt"] is not None
    assert [s["kind"] for s in seen["timeline"]] == ["OPENED", "ESCALATED"]
    assert seen["timeline"][1]["toOrganizationId"] == desk["federation"]
    # The street's admins see it among their area's overdue cases too; resolving it late
    # counts as not on time.
    street_admin = desk["district"].client("STREET_ADMIN", desk["street"])
    overdue = street_admin.data(CASES, {"a": desk["street"], "overdue": True})["cases"]
    assert case["id"] in [e["node"]["id"] for e in overdue["edges"]]
    _payload(staff.data(ACCEPT, {"id": case["id"]}))
    late = _payload(staff.data(RESOLVE, {"id": case["id"]}))["case"]
    assert late["onTime"] is False
    assert late["workingDays"] > 5
    assert not federation_admin.data(
        CASES, {"a": desk["street"], "o": desk["federation"], "overdue": True}
    )["cases"]["edges"]


async def _dissolution_heard(stack: Stack, org: str) -> None:
    """Wait until the activities service has the organisation's dissolution (an event)."""
    conn = await asyncpg.connect(stack.settings("activities").database_url)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if await conn.fetchval(
                "SELECT dissolved_on IS NOT NULL FROM organization_ref WHERE id = $1::uuid", org
            ):
                return
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise AssertionError("the activities service never heard of the dissolution")


async def test_bad_input_and_bad_steps_are_refused_typed_and_write_nothing(
    stack: Stack, desk: dict[str, Any]
):
    district: District = desk["district"]
    staff: GraphQLClient = desk["union_admin"]
    before = district.admin.data(CASES, {"a": district.code})["cases"]["totalCount"]
    bad = _payload(
        staff.data(
            OPEN,
            {
                "i": _hotline(
                    desk["community"],
                    desk["union"],
                    category="NO_SUCH_THING",
                    title=" ",
                    requester={"name": "赵来电", "phone": "12345"},
                )
            },
        )
    )
    assert bad["case"] is None
    fields = {e["field"] for e in bad["errors"]}
    assert {"title", "requester.phone", "category"} <= fields, bad["errors"]
    assert all(e["messageZh"] and e["messageEn"] for e in bad["errors"])
    both = _payload(
        staff.data(
            OPEN,
            {
                "i": _hotline(
                    desk["community"],
                    desk["union"],
                    requester={"anonymous": True, "name": "赵来电", "phone": "13912345678"},
                )
            },
        )
    )
    assert both["errors"][0]["field"] == "requester"
    unknown = _payload(
        staff.data(OPEN, {"i": _hotline(desk["community"], desk["union"], category="NOPE")})
    )
    assert unknown["errors"][0]["field"] == "category"
    assert district.admin.data(CASES, {"a": district.code})["cases"]["totalCount"] == before

    # Transferring to a dissolved organisation is refused; the case stays with the union.
    case = _open(staff, _hotline(desk["community"], desk["union"], requester={"anonymous": True}))[
        "case"
    ]
    gone = district.organization(desk["community"], [district.unit(desk["community"])])
    assert not district.admin.data(DISSOLVE, {"i": {"id": gone, "dissolvedOn": "2026-06-01"}})[
        "dissolveOrganization"
    ]["errors"]
    await _dissolution_heard(stack, gone)
    refused = _payload(district.admin.data(TRANSFER, {"id": case["id"], "to": gone}))
    assert refused["errors"][0]["field"] == "toOrganizationId"
    assert "撤销" in refused["errors"][0]["messageZh"]
    assert district.admin.data(ONE, {"id": case["id"]})["case"]["organization"] == {
        "id": desk["union"]
    }
    # An anonymous requester cannot be asked for a score.
    for step in (ACCEPT, RESOLVE):
        assert _payload(staff.data(step, {"id": case["id"]}))["errors"] == []
    anonymous = _payload(staff.data(CLOSE, {"id": case["id"], "s": 5, "r": True}))
    assert anonymous["errors"][0]["code"] == "CONFLICT"
    closed = _payload(staff.data(CLOSE, {"id": case["id"], "s": None, "r": False}))
    assert closed["errors"] == []
    assert closed["case"]["requesterReached"] is False

    # A transfer to the league branch moves the case: the union's staff no longer see it.
    other = _open(staff, _hotline(desk["community"], desk["union"]))["case"]
    moved = _payload(staff.data(TRANSFER, {"id": other["id"], "to": desk["league"]}))
    assert moved["errors"] == [], moved
    assert moved["case"]["organization"] == {"id": desk["league"]}
    assert staff.data(ONE, {"id": other["id"]})["case"] is None
    timeline = district.admin.data(ONE, {"id": other["id"]})["case"]["timeline"]
    assert timeline[-1]["kind"] == "TRANSFERRED"
    assert timeline[-1]["fromOrganizationId"] == desk["union"]
    assert timeline[-1]["toOrganizationId"] == desk["league"]


def test_a_member_opens_their_own_case_online_and_follows_it_only(
    stack: Stack, desk: dict[str, Any]
):
    district: District = desk["district"]
    first17 = f"33010619920315{int(time.time() * 1000) % 1000:03d}"
    person = _payload(
        district.admin.data(
            REGISTER,
            {
                "i": {
                    "name": "钱网上",
                    "idNumber": first17 + id_check_char(first17),
                    "areaCode": desk["community"],
                }
            },
        )
    )
    assert not person["errors"], person
    me = person["person"]["id"]
    client = GraphQLClient(
        stack.gateway_url,
        token_for(stack, "MEMBER", desk["community"], person=me, subject=f"m-{me}"),
    )
    online = {
        "channel": "ONLINE",
        "category": "YOUTH_EMPLOYMENT",
        "urgency": "NORMAL",
        "areaCode": desk["community"],
        "organizationId": desk["league"],
        "title": "咨询青年见习岗位",
        "requester": {"personId": me},
    }
    mine = _open(client, online)
    assert mine["errors"] == [], mine
    assert mine["case"]["requester"]["kind"] == "PERSON"
    assert mine["case"]["requester"]["person"] == {"id": me}
    # Not in someone else's name, not by hotline; and they cannot handle the case.
    other = _payload(client.data(OPEN, {"i": {**online, "requester": {"anonymous": True}}}))
    assert other["errors"][0]["code"] == "FORBIDDEN"
    hotline = _payload(client.data(OPEN, {"i": {**online, "channel": "HOTLINE"}}))
    assert hotline["errors"][0]["field"] == "channel"
    accept = _payload(client.data(ACCEPT, {"id": mine["case"]["id"]}))
    assert accept["errors"][0]["code"] == "FORBIDDEN"
    listed = client.data(CASES, {})["cases"]
    assert [e["node"]["id"] for e in listed["edges"]] == [mine["case"]["id"]]
