"""Issue 9's pledges, joint meetings and ventures end to end, through the gateway, as a
community's staff use them: a union's pledge lapses when its day passes unfulfilled while another
is kept on time; only party members pledge as members; a joint meeting of the four families
records decisions that are followed up (one falls overdue, one is dropped); a venture's figures
are kept over time; bad input is refused, typed, and writes nothing."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.pytest_plugin import District, token_for
from gongjian_deploy.stack import Stack
from gongjian_organizations.domain.people import id_check_char

pytestmark = pytest.mark.integration

ERRORS = "errors { field code message messageZh messageEn }"
PLEDGE = """id areaCode pledgerKind pledgerKindLabel content madeOn dueOn status statusLabel
  evidence fulfilledOn onTime lapsedAt organization { id } person { id }"""
MAKE = f"""mutation($i: MakePledgeInput!) {{ makePledge(input: $i) {{ pledge {{ {PLEDGE} }}
  {ERRORS} }} }}"""
FULFIL = f"""mutation($i: FulfillPledgeInput!) {{ fulfillPledge(input: $i) {{
  pledge {{ {PLEDGE} }} {ERRORS} }} }}"""
PLEDGES = f"""query($a: String, $s: PledgeStatus, $o: ID) {{ pledges(areaCode: $a, status: $s,
  organizationId: $o, first: 50) {{ totalCount edges {{ node {{ {PLEDGE} }} }} }} }}"""
DECISION = """id activityId areaCode content decidedOn dueOn status statusLabel overdue outcome
  doneOn onTime dropReason droppedOn ownerOrganization { id } activity { id title }"""
MEETING = f"""activityId areaCode minutes recordCount missingFamilies
  attendees {{ family familyLabel attendeeCount organization {{ id }} }}
  decisions {{ {DECISION} }}"""
RECORD = f"""mutation($i: RecordJointMeetingInput!) {{ recordJointMeeting(input: $i) {{
  jointMeeting {{ {MEETING} }} {ERRORS} }} }}"""
ONE_MEETING = f"query($a: ID!) {{ jointMeeting(activityId: $a) {{ {MEETING} }} }}"
DECISIONS = f"""query($a: String, $overdue: Boolean, $s: MeetingDecisionStatus, $o: ID) {{
  jointMeetingDecisions(areaCode: $a, overdue: $overdue, status: $s, ownerOrganizationId: $o,
  first: 50) {{ totalCount edges {{ node {{ {DECISION} }} }} }} }}"""
COMPLETE = f"""mutation($id: ID!, $o: String!) {{ completeDecision(input: {{id: $id, outcome: $o}})
  {{ decision {{ {DECISION} }} {ERRORS} }} }}"""
DROP = f"""mutation($id: ID!, $r: String!) {{ dropDecision(input: {{id: $id, reason: $r}})
  {{ decision {{ {DECISION} }} {ERRORS} }} }}"""
VENTURE = """id kind kindLabel name unitId areaCode startedOn peopleEmployed peopleLed asOf
  leader { id } updates { asOf peopleEmployed peopleLed note }"""
REGISTER_VENTURE = f"""mutation($i: RegisterVentureInput!) {{ registerVenture(input: $i) {{
  venture {{ {VENTURE} }} {ERRORS} }} }}"""
UPDATE_VENTURE = f"""mutation($i: UpdateVentureInput!) {{ updateVenture(input: $i) {{
  venture {{ {VENTURE} }} {ERRORS} }} }}"""
ONE_VENTURE = f"query($id: ID!) {{ venture(id: $id) {{ {VENTURE} }} }}"
VENTURES = """query($a: String, $k: VentureKind) { ventures(areaCode: $a, kind: $k, first: 50) {
  totalCount edges { node { id name kindLabel peopleLed } } } }"""
REGISTER_PERSON = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { field code message } } }"""
CREATE = """mutation($i: CreateActivityInput!) { createActivity(input: $i) {
  activity { id status } errors { field code message } } }"""
PUBLISH = "mutation($id: ID!) { publishActivity(input: {id: $id}) { activity { status } } }"
START = "mutation($id: ID!) { startActivity(input: {id: $id}) { activity { status } } }"

_serials = itertools.count(1)


def _today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()


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


def _heard(client: GraphQLClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Ask until the activities service has heard of the organisations and people (events)."""
    return _until(
        lambda: _payload(client.data(query, variables)),
        lambda p: not p["errors"] or p["errors"][0]["code"] != "NOT_FOUND",
    )


async def _sql(stack: Stack, statement: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.settings("activities").database_url)
    try:
        return await conn.fetch(statement, *args)
    finally:
        await conn.close()


def _events(stack: Stack, key: str) -> list[tuple[str, dict[str, Any]]]:
    rows = asyncio.run(
        _sql(stack, "SELECT event_type, payload FROM outbox WHERE key = $1 ORDER BY id", key)
    )
    found = []
    for row in rows:
        payload = row["payload"]
        body = json.loads(payload) if isinstance(payload, str | bytes) else payload
        found.append((row["event_type"], body.get("data", body)))
    return found


def _person(district: District, community: str, name: str, status: str) -> str:
    first17 = f"33010619870707{next(_serials):03d}"
    result = district.admin.data(
        REGISTER_PERSON,
        {
            "i": {
                "name": name,
                "idNumber": first17 + id_check_char(first17),
                "areaCode": community,
                "politicalStatus": status,
            }
        },
    )["registerPerson"]
    assert not result["errors"], result
    return str(result["person"]["id"])


@pytest.fixture
def place(stack: Stack) -> dict[str, Any]:
    """A community with a party branch, a union, a league branch and a women's committee over
    one enterprise, a party member and a resident who is not one."""
    district = District(stack)
    community = district.communities[0]
    unit = district.unit(community, name="同心制衣有限公司")
    orgs = {
        kind: district.organization(community, [unit], kind=kind)
        for kind in ("PARTY_BRANCH", "TRADE_UNION", "YOUTH_LEAGUE", "WOMENS_FEDERATION")
    }
    return {
        "district": district,
        "community": community,
        "orgs": orgs,
        "member": _person(district, community, "王党员", "PARTY_MEMBER"),
        "resident": _person(district, community, "李群众", "MASSES"),
        "union_admin": district.client("ORG_ADMIN", community, orgs=[orgs["TRADE_UNION"]]),
    }


def _pledge(place: dict[str, Any], **extra: Any) -> dict[str, Any]:
    today = _today()
    return {
        "areaCode": place["community"],
        "content": "每月走访困难职工家庭不少于2户",
        "dueOn": (today + timedelta(days=30)).isoformat(),
        **extra,
    }


def test_a_unions_pledge_lapses_unfulfilled_and_another_is_kept_on_time(
    stack: Stack, place: dict[str, Any]
):
    staff: GraphQLClient = place["union_admin"]
    union, community = place["orgs"]["TRADE_UNION"], place["community"]
    today = _today()

    made = _heard(staff, MAKE, {"i": _pledge(place, organizationId=union)})
    assert made["errors"] == [], made
    pledge = made["pledge"]
    assert pledge["status"] == "MADE"
    assert pledge["statusLabel"] == "已承诺"
    assert pledge["pledgerKind"] == "ORGANIZATION"
    assert pledge["madeOn"] == today.isoformat()
    assert pledge["organization"] == {"id": union}
    assert pledge["person"] is None
    kept = _payload(
        staff.data(MAKE, {"i": _pledge(place, organizationId=union, content="设立职工法律咨询点")})
    )["pledge"]

    # The union's admin pledges for the union only.
    other = _payload(
        staff.data(MAKE, {"i": _pledge(place, organizationId=place["orgs"]["YOUTH_LEAGUE"])})
    )
    assert other["pledge"] is None
    assert other["errors"][0]["code"] == "FORBIDDEN"
    assert other["errors"][0]["field"] == "organizationId"

    # One is kept on time, with evidence.
    fulfilled = _payload(
        staff.data(FULFIL, {"i": {"id": kept["id"], "evidence": "咨询点已于社区服务中心挂牌"}})
    )
    assert fulfilled["errors"] == [], fulfilled
    assert fulfilled["pledge"]["status"] == "FULFILLED"
    assert fulfilled["pledge"]["onTime"] is True
    assert fulfilled["pledge"]["fulfilledOn"] == today.isoformat()
    twice = _payload(staff.data(FULFIL, {"i": {"id": kept["id"], "evidence": "再次"}}))
    assert twice["errors"][0]["code"] == "CONFLICT"
    assert "已践诺" in twice["errors"][0]["messageZh"]

    # Time passes: the first pledge's due day is yesterday and it was not kept. The sweep
    # notices, once.
    asyncio.run(
        _sql(
            stack,
            "UPDATE pledge SET made_on = $2::date - 40, due_on = $2::date - 1 WHERE id = $1::uuid",
            pledge["id"],
            today,
        )
    )
    resident = GraphQLClient(
        stack.gateway_url,
        token_for(stack, "MEMBER", community, person=place["resident"], subject="m-resident"),
    )
    lapsed = _until(
        lambda: resident.data(PLEDGES, {"a": community, "s": "LAPSED"})["pledges"],
        lambda c: c["totalCount"] >= 1,
    )
    # The public list, read by a resident: the lapsed pledge, and both with their state.
    assert [e["node"]["id"] for e in lapsed["edges"]] == [pledge["id"]]
    assert lapsed["edges"][0]["node"]["statusLabel"] == "逾期未践诺"
    assert lapsed["edges"][0]["node"]["lapsedAt"] is not None
    listed = resident.data(PLEDGES, {"a": community})["pledges"]
    assert {e["node"]["id"]: e["node"]["status"] for e in listed["edges"]} == {
        pledge["id"]: "LAPSED",
        kept["id"]: "FULFILLED",
    }
    time.sleep(2)  # more sweeps run; the lapse is raised once
    events = _events(stack, pledge["id"])
    assert [t for t, _ in events] == [
        "gongjian.activities.pledge.made.v1",
        "gongjian.activities.pledge.lapsed.v1",
    ]
    assert events[1][1] == {
        "pledgeId": pledge["id"],
        "areaCode": community,
        "organizationId": union,
        "pledgerKind": "ORGANIZATION",
        "dueOn": (today - timedelta(days=1)).isoformat(),
        "status": "LAPSED",
    }
    assert "走访" not in json.dumps(events, ensure_ascii=False)

    # A lapsed pledge may still be kept, late.
    late = _payload(staff.data(FULFIL, {"i": {"id": pledge["id"], "evidence": "已补走访4户"}}))
    assert late["pledge"]["status"] == "FULFILLED", late
    assert late["pledge"]["onTime"] is False
    done = _events(stack, pledge["id"])[-1]
    assert done[0] == "gongjian.activities.pledge.fulfilled.v1"
    assert done[1]["onTime"] is False


def test_only_a_party_member_pledges_as_a_member(stack: Stack, place: dict[str, Any]):
    admin: GraphQLClient = place["district"].admin
    community = place["community"]
    refused = _heard(admin, MAKE, {"i": _pledge(place, personId=place["resident"])})
    assert refused["pledge"] is None
    assert refused["errors"][0]["code"] == "BAD_USER_INPUT", refused
    assert refused["errors"][0]["field"] == "personId"
    assert "党员" in refused["errors"][0]["messageZh"]
    assert admin.data(PLEDGES, {"a": community})["pledges"]["totalCount"] == 0

    made = _heard(admin, MAKE, {"i": _pledge(place, personId=place["member"])})
    assert made["errors"] == [], made
    assert made["pledge"]["pledgerKind"] == "MEMBER"
    assert made["pledge"]["pledgerKindLabel"] == "党员承诺"
    assert made["pledge"]["person"] == {"id": place["member"]}
    assert made["pledge"]["organization"] is None
    [(kind, data)] = _events(stack, made["pledge"]["id"])
    assert kind == "gongjian.activities.pledge.made.v1"
    assert data["pledgerKind"] == "MEMBER"
    assert data["organizationId"] is None
    assert place["member"] not in json.dumps(data)

    # Neither both pledgers nor none.
    both = _payload(
        admin.data(
            MAKE,
            {
                "i": _pledge(
                    place, personId=place["member"], organizationId=place["orgs"]["PARTY_BRANCH"]
                )
            },
        )
    )
    assert both["errors"][0]["field"] == "pledger"


def _joint_meeting(place: dict[str, Any], category: str = "JOINT_MEETING") -> str:
    admin: GraphQLClient = place["district"].admin
    now = datetime.now(UTC)
    created = _heard(
        admin,
        CREATE,
        {
            "i": {
                "title": "党群联席会议" if category == "JOINT_MEETING" else "技能培训",
                "line": "MECHANISMS" if category == "JOINT_MEETING" else "CONTRIBUTION_AT_WORK",
                "category": category,
                "organizerIds": [place["orgs"]["PARTY_BRANCH"]],
                "areaCode": place["community"],
                "startsAt": (now - timedelta(hours=2)).isoformat(),
                "endsAt": (now + timedelta(hours=1)).isoformat(),
            }
        },
    )
    assert created["errors"] == [], created
    return str(created["activity"]["id"])


def test_a_joint_meetings_decision_falls_overdue_and_a_dropped_one_cannot_be_completed(
    stack: Stack, place: dict[str, Any]
):
    admin: GraphQLClient = place["district"].admin
    orgs, community = place["orgs"], place["community"]
    today = _today()
    meeting = _joint_meeting(place)
    record = {
        "activityId": meeting,
        "attendees": [
            {"organizationId": orgs[kind], "attendeeCount": n}
            for kind, n in (
                ("PARTY_BRANCH", 3),
                ("TRADE_UNION", 2),
                ("YOUTH_LEAGUE", 2),
                ("WOMENS_FEDERATION", 1),
            )
        ],
        "minutes": "会议通报了上半年党群共建情况，研究了困难职工帮扶工作。",
        "decisions": [
            {
                "content": "建立困难职工联合帮扶台账",
                "ownerOrganizationId": orgs["TRADE_UNION"],
                "dueOn": (today + timedelta(days=7)).isoformat(),
            },
            {
                "content": "组织青年志愿者结对帮扶",
                "ownerOrganizationId": orgs["YOUTH_LEAGUE"],
                "dueOn": (today + timedelta(days=14)).isoformat(),
            },
        ],
    }
    # A planned meeting cannot be recorded yet: it has not taken place.
    planned = _payload(admin.data(RECORD, {"i": record}))
    assert planned["errors"][0]["code"] == "CONFLICT", planned
    assert "计划中" in planned["errors"][0]["messageZh"]
    admin.data(PUBLISH, {"id": meeting})
    admin.data(START, {"id": meeting})

    recorded = _payload(admin.data(RECORD, {"i": record}))
    assert recorded["errors"] == [], recorded
    shown = recorded["jointMeeting"]
    assert shown["recordCount"] == 1
    assert shown["missingFamilies"] == []
    assert [(a["family"], a["attendeeCount"]) for a in shown["attendees"]] == [
        ("PARTY", 3),
        ("TRADE_UNION", 2),
        ("YOUTH_LEAGUE", 2),
        ("WOMENS_FEDERATION", 1),
    ]
    assert [a["familyLabel"] for a in shown["attendees"]] == ["党组织", "工会", "共青团", "妇联"]
    ledger, volunteers = shown["decisions"]
    assert ledger["status"] == "OPEN"
    assert ledger["decidedOn"] == today.isoformat()
    assert ledger["ownerOrganization"] == {"id": orgs["TRADE_UNION"]}
    assert ledger["activity"]["title"] == "党群联席会议"
    assert ledger["overdue"] is False

    # Dropped with a reason; completing it afterwards is refused.
    no_reason = _payload(admin.data(DROP, {"id": volunteers["id"], "r": " "}))
    assert no_reason["errors"][0]["field"] == "reason"
    dropped = _payload(admin.data(DROP, {"id": volunteers["id"], "r": "并入团委年度计划"}))
    assert dropped["decision"]["status"] == "DROPPED", dropped
    assert dropped["decision"]["dropReason"] == "并入团委年度计划"
    refused = _payload(admin.data(COMPLETE, {"id": volunteers["id"], "o": "已完成"}))
    assert refused["decision"] is None
    assert refused["errors"][0]["code"] == "CONFLICT"
    assert "已撤销" in refused["errors"][0]["messageZh"]
    assert "DROPPED" in refused["errors"][0]["messageEn"]

    # Time passes: the ledger's due day is yesterday; it shows among the area's overdue
    # decisions, and the sweep raises decision.overdue once.
    asyncio.run(
        _sql(
            stack,
            "UPDATE meeting_decision SET due_on = $2::date - 1 WHERE id = $1::uuid",
            ledger["id"],
            today,
        )
    )
    street_admin = place["district"].client("STREET_ADMIN", place["district"].streets[0])
    overdue = street_admin.data(DECISIONS, {"a": community, "overdue": True})[
        "jointMeetingDecisions"
    ]
    assert [e["node"]["id"] for e in overdue["edges"]] == [ledger["id"]]
    assert overdue["edges"][0]["node"]["overdue"] is True
    events = _until(
        lambda: _events(stack, ledger["id"]),
        lambda found: len(found) >= 2,
    )
    time.sleep(2)  # more sweeps run; still once
    assert [t for t, _ in _events(stack, ledger["id"])] == [
        "gongjian.activities.decision.made.v1",
        "gongjian.activities.decision.overdue.v1",
    ]
    assert events[1][1] == {
        "decisionId": ledger["id"],
        "activityId": meeting,
        "areaCode": community,
        "ownerOrganizationId": orgs["TRADE_UNION"],
        "dueOn": (today - timedelta(days=1)).isoformat(),
        "status": "OPEN",
    }
    # The union's own list; the league's admin does not see the union's decisions.
    union_list = place["union_admin"].data(DECISIONS, {"a": community})["jointMeetingDecisions"]
    assert [e["node"]["id"] for e in union_list["edges"]] == [ledger["id"]]
    done = _payload(place["union_admin"].data(COMPLETE, {"id": ledger["id"], "o": "台账已建立"}))
    assert done["decision"]["status"] == "DONE", done
    assert done["decision"]["onTime"] is False
    assert not street_admin.data(DECISIONS, {"a": community, "overdue": True})[
        "jointMeetingDecisions"
    ]["edges"]

    # Recorded again: attendees and minutes replaced, the new decision added to the others.
    again = _payload(
        admin.data(
            RECORD,
            {
                "i": {
                    "activityId": meeting,
                    "attendees": record["attendees"][:3],
                    "minutes": "补充纪要",
                    "decisions": [
                        {
                            "content": "下季度联合举办招聘会",
                            "ownerOrganizationId": orgs["WOMENS_FEDERATION"],
                            "dueOn": (today + timedelta(days=60)).isoformat(),
                        }
                    ],
                }
            },
        )
    )["jointMeeting"]
    assert again["recordCount"] == 2
    assert again["minutes"] == "补充纪要"
    assert again["missingFamilies"] == ["WOMENS_FEDERATION"]
    assert [d["status"] for d in again["decisions"]] == ["DONE", "DROPPED", "OPEN"]
    assert (
        admin.data(ONE_MEETING, {"a": meeting})["jointMeeting"]["decisions"] == again["decisions"]
    )


def test_minutes_on_a_training_activity_are_refused(stack: Stack, place: dict[str, Any]):
    admin: GraphQLClient = place["district"].admin
    training = _joint_meeting(place, category="TRAINING")
    admin.data(PUBLISH, {"id": training})
    admin.data(START, {"id": training})
    refused = _payload(
        admin.data(
            RECORD,
            {
                "i": {
                    "activityId": training,
                    "attendees": [
                        {"organizationId": place["orgs"]["PARTY_BRANCH"], "attendeeCount": 5}
                    ],
                    "minutes": "培训纪要",
                }
            },
        )
    )
    assert refused["jointMeeting"] is None
    assert refused["errors"][0]["code"] == "CONFLICT"
    assert refused["errors"][0]["field"] == "activityId"
    assert "联席会议" in refused["errors"][0]["messageZh"]
    assert admin.data(ONE_MEETING, {"a": training})["jointMeeting"] is None


def test_a_venture_registered_and_updated_keeps_its_history(stack: Stack, place: dict[str, Any]):
    admin: GraphQLClient = place["district"].admin
    community = place["community"]
    today = _today()
    registered = _heard(
        admin,
        REGISTER_VENTURE,
        {
            "i": {
                "leaderPersonId": place["member"],
                "kind": "PARTY_MEMBER",
                "name": "同心生态农场",
                "areaCode": community,
                "startedOn": "2025-03-01",
                "peopleEmployed": 6,
                "peopleLed": 30,
            }
        },
    )
    assert registered["errors"] == [], registered
    venture = registered["venture"]
    assert venture["kindLabel"] == "党员创业"
    assert venture["leader"] == {"id": place["member"]}
    for employed, led, note in ((8, 45, "新增大棚两座"), (9, 52, None)):
        updated = _payload(
            admin.data(
                UPDATE_VENTURE,
                {
                    "i": {
                        "id": venture["id"],
                        "peopleEmployed": employed,
                        "peopleLed": led,
                        "note": note,
                    }
                },
            )
        )
        assert updated["errors"] == [], updated
    shown = admin.data(ONE_VENTURE, {"id": venture["id"]})["venture"]
    assert (shown["peopleEmployed"], shown["peopleLed"], shown["asOf"]) == (
        9,
        52,
        today.isoformat(),
    )
    assert [(u["peopleEmployed"], u["peopleLed"], u["note"]) for u in shown["updates"]] == [
        (6, 30, None),
        (8, 45, "新增大棚两座"),
        (9, 52, None),
    ]
    listed = admin.data(VENTURES, {"a": community, "k": "PARTY_MEMBER"})["ventures"]
    assert [e["node"]["id"] for e in listed["edges"]] == [venture["id"]]
    assert admin.data(VENTURES, {"a": community, "k": "WOMEN"})["ventures"]["totalCount"] == 0
    events = _events(stack, venture["id"])
    assert [t for t, _ in events] == [
        "gongjian.activities.venture.registered.v1",
        "gongjian.activities.venture.updated.v1",
        "gongjian.activities.venture.updated.v1",
    ]
    assert events[2][1] == {
        "ventureId": venture["id"],
        "areaCode": community,
        "kind": "PARTY_MEMBER",
        "peopleEmployed": 9,
        "peopleLed": 52,
        "asOf": today.isoformat(),
    }
    assert "农场" not in json.dumps(events, ensure_ascii=False)

    # 党员创业 is led by a party member; area admins keep the register, an ORG_ADMIN does not.
    not_member = _payload(
        admin.data(
            REGISTER_VENTURE,
            {
                "i": {
                    "leaderPersonId": place["resident"],
                    "kind": "PARTY_MEMBER",
                    "name": "李记小吃",
                    "areaCode": community,
                    "startedOn": "2025-03-01",
                    "peopleEmployed": 1,
                    "peopleLed": 0,
                }
            },
        )
    )
    assert not_member["errors"][0]["field"] == "leaderPersonId"
    union_admin: GraphQLClient = place["union_admin"]
    forbidden = union_admin.execute(
        UPDATE_VENTURE, {"i": {"id": venture["id"], "peopleEmployed": 0, "peopleLed": 0}}
    )
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_bad_input_names_every_field_and_writes_nothing(stack: Stack, place: dict[str, Any]):
    admin: GraphQLClient = place["district"].admin
    community, union = place["community"], place["orgs"]["TRADE_UNION"]
    today = _today()
    bad = _payload(
        admin.data(
            MAKE,
            {
                "i": _pledge(
                    place,
                    organizationId=union,
                    content="  ",
                    madeOn=today.isoformat(),
                    dueOn=(today - timedelta(days=2)).isoformat(),
                )
            },
        )
    )
    assert bad["pledge"] is None
    assert {(e["field"], e["code"]) for e in bad["errors"]} == {
        ("content", "BAD_USER_INPUT"),
        ("dueOn", "BAD_USER_INPUT"),
    }
    assert all(e["messageZh"] and e["messageEn"] for e in bad["errors"])
    negative = _payload(
        admin.data(
            REGISTER_VENTURE,
            {
                "i": {
                    "leaderPersonId": place["member"],
                    "kind": "LEADING_MASSES",
                    "name": "",
                    "areaCode": community,
                    "startedOn": "2025-03-01",
                    "peopleEmployed": -1,
                    "peopleLed": -3,
                }
            },
        )
    )
    assert negative["venture"] is None
    assert {e["field"] for e in negative["errors"]} == {"name", "peopleEmployed", "peopleLed"}
    record = _payload(
        admin.data(
            RECORD,
            {
                "i": {
                    "activityId": _joint_meeting(place),
                    "attendees": [
                        {"organizationId": union, "attendeeCount": 0},
                        {"organizationId": union, "attendeeCount": 2},
                    ],
                    "decisions": [
                        {"content": "", "ownerOrganizationId": union, "dueOn": "2020-01-01"}
                    ],
                }
            },
        )
    )
    assert {e["field"] for e in record["errors"]} >= {
        "attendees[0].attendeeCount",
        "attendees[1].organizationId",
    }, record
    assert admin.data(PLEDGES, {"a": community})["pledges"]["totalCount"] == 0
    assert admin.data(VENTURES, {"a": community})["ventures"]["totalCount"] == 0
    assert admin.data(DECISIONS, {"a": community})["jointMeetingDecisions"]["totalCount"] == 0
    rows = asyncio.run(
        _sql(
            stack,
            "SELECT count(*) AS n FROM outbox WHERE event_type LIKE 'gongjian.activities.pledge.%' "
            "AND payload::text LIKE '%' || $1 || '%'",
            community,
        )
    )
    assert rows[0]["n"] == 0
