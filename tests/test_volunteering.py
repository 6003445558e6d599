"""Issue 8 end to end, through the gateway, as a community's staff and volunteers use it: a joint
activity of a union and a league branch is published, people sign up and check in with the
rotating code, check out, their hours are verified; every bad transition is refused, typed."""

from __future__ import annotations

import asyncio
import io
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from pypdf import PdfReader

from gongjian_activities.domain.participation import check_in_code
from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.pytest_plugin import District, token_for
from gongjian_deploy.stack import Stack
from gongjian_organizations.domain.people import id_check_char

pytestmark = pytest.mark.integration

REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { field code message } } }"""
CREATE = """mutation($i: CreateActivityInput!) { createActivity(input: $i) {
  activity { id status statusLabel capacity placesLeft } errors { field code message } } }"""
ERRORS = "errors { field code message messageZh messageEn }"
ACTIVITY = f"activity {{ id status statusLabel takenPlaces placesLeft peopleServed }} {ERRORS}"
PUBLISH = f"mutation($id: ID!) {{ publishActivity(input: {{id: $id}}) {{ {ACTIVITY} }} }}"
START = f"mutation($id: ID!) {{ startActivity(input: {{id: $id}}) {{ {ACTIVITY} }} }}"
COMPLETE = (
    "mutation($id: ID!, $n: Int!) { completeActivity(input: {id: $id, peopleServed: $n, "
    f'summary: "为辖区老人义诊"}}) {{ {ACTIVITY} }} }}'
)
CANCEL = (
    'mutation($id: ID!) { cancelActivity(input: {id: $id, reason: "天气原因"}) '
    f"{{ {ACTIVITY} }} }}"
)
PARTICIPATION = (
    "participation { id role status hoursStatus claimedHours verifiedHours checkInMethod } "
    + ERRORS
)
SIGN_UP = (
    "mutation($a: ID!, $p: ID!) { signUp(input: {activityId: $a, personId: $p, "
    f"role: VOLUNTEER}}) {{ {PARTICIPATION} }} }}"
)
WITHDRAW = (
    "mutation($a: ID!, $p: ID!) { withdraw(input: {activityId: $a, personId: $p}) "
    f"{{ {PARTICIPATION} }} }}"
)
CHECK_IN = (
    "mutation($a: ID!, $p: ID!, $c: String, $at: DateTime) { checkIn(input: {activityId: $a, "
    f"personId: $p, code: $c, at: $at}}) {{ {PARTICIPATION} }} }}"
)
CHECK_OUT = (
    "mutation($a: ID!, $p: ID!, $c: String, $at: DateTime) { checkOut(input: {activityId: $a, "
    f"personId: $p, code: $c, at: $at}}) {{ {PARTICIPATION} }} }}"
)
CODE = "query($a: ID!) { activityCheckInCode(activityId: $a) { code validUntil periodSeconds } }"
VERIFY = (
    "mutation($p: ID!, $h: Float!) { verifyHours(input: {participationId: $p, hours: $h}) "
    f"{{ {PARTICIPATION} }} }}"
)
ADD = (
    "mutation($p: ID!, $h: Float!) { addHours(input: {personId: $p, hours: $h, "
    f'reason: "纸质登记补录"}}) {{ added {{ hours reason addedBy servedOn }} {ERRORS} }} }}'
)
HOURS = """query($p: ID!) { person(id: $p) { id name
  volunteerHours { verified pending manual total }
  participations { totalCount edges { node { status hoursStatus activity { title } } } } } }"""
ISSUE = """mutation($p: ID!, $o: ID!, $f: Date!, $t: Date!) { issueVolunteerCertificate(
  input: {personId: $p, issuerOrganizationId: $o, from: $f, to: $t}) {
  certificate { number verificationCode totalHours issuerName downloadUrl downloadExpiresAt
    person { id } } errors { field code message } } }"""
VERIFY_CERTIFICATE = """query($n: String!) { verifyCertificate(number: $n) { genuine number
  nameMasked totalHours issuerName periodFrom periodTo activities { title hours addedByHand } } }"""
STATS = """query($a: String!) { area(code: $a) { stats { activityCount completedActivityCount
  peopleServed volunteerCount volunteerHours checkedInCount } } }"""
TOP = """query($a: String!, $y: Int!) { topVolunteers(areaCode: $a, year: $y, first: 10) {
  rank totalHours verifiedHours manualHours person { id name } } }"""


def _id_number(serial: int) -> str:
    first17 = f"33010619950505{serial:03d}"
    return first17 + id_check_char(first17)


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
        if not errors or errors[0]["code"] != "NOT_FOUND" or time.monotonic() > deadline:
            return payload
        time.sleep(0.1)


@pytest.fixture
def joint(stack: Stack) -> dict[str, Any]:
    """A community with a union and a league branch, three residents and a joint activity
    that started two hours ago (capacity 2)."""
    district = District(stack)
    community = district.communities[0]
    unit = district.unit(community, name="志愿者之家服务中心")
    union = district.organization(community, [unit], kind="TRADE_UNION")
    league = district.organization(community, [unit], kind="YOUTH_LEAGUE")
    people = []
    for i, name in enumerate(("李志愿", "王热心", "张晚到")):
        result = district.admin.data(
            REGISTER,
            {
                "i": {
                    "name": name,
                    "idNumber": _id_number(100 + i + 10 * (stack_serial())),
                    "areaCode": community,
                }
            },
        )["registerPerson"]
        assert not result["errors"], result
        people.append(result["person"]["id"])
    now = datetime.now(UTC)
    activity = _retry(
        district.admin,
        CREATE,
        {
            "i": {
                "title": "义诊进社区",
                "line": "SERVING_THE_PEOPLE",
                "category": "SERVICE_DELIVERY",
                "serviceKind": "HEALTH",
                "organizerIds": [union, league],
                "areaCode": community,
                "startsAt": (now - timedelta(hours=2)).isoformat(),
                "endsAt": (now + timedelta(hours=1)).isoformat(),
                "capacity": 2,
                "description": "工会与团支部联合开展",
            }
        },
    )
    assert not activity["errors"], activity
    return {
        "district": district,
        "community": community,
        "orgs": [union, league],
        "people": people,
        "activity": activity["activity"]["id"],
        "started": now - timedelta(hours=2),
    }


_serials = iter(range(1, 90))


def stack_serial() -> int:
    return next(_serials)


def member(stack: Stack, area: str, person: str) -> GraphQLClient:
    return GraphQLClient(
        stack.gateway_url, token_for(stack, "MEMBER", area, person=person, subject=f"m-{person}")
    )


async def _secret(stack: Stack, activity: str) -> bytes:
    conn = await asyncpg.connect(stack.settings("activities").database_url)
    try:
        return bytes(
            await conn.fetchval("SELECT checkin_secret FROM activity WHERE id = $1::uuid", activity)
        )
    finally:
        await conn.close()


def test_a_joint_activity_from_publication_to_verified_hours(stack: Stack, joint: dict[str, Any]):
    admin: GraphQLClient = joint["district"].admin
    activity, community = joint["activity"], joint["community"]
    a, b, c = joint["people"]

    # Nothing can happen to a planned activity but publication (or cancellation).
    refused = _payload(admin.data(COMPLETE, {"id": activity, "n": 3}))
    assert refused["errors"][0]["code"] == "CONFLICT"
    assert "计划中" in refused["errors"][0]["messageZh"]
    assert "PLANNED" in refused["errors"][0]["messageEn"]
    early = _retry(admin, SIGN_UP, {"a": activity, "p": a})
    assert early["errors"][0]["code"] == "CONFLICT"
    assert "计划中" in early["errors"][0]["message"]

    published = _payload(admin.data(PUBLISH, {"id": activity}))
    assert published["activity"]["status"] == "PUBLISHED", published
    again = _payload(admin.data(PUBLISH, {"id": activity}))
    assert again["errors"][0]["code"] == "CONFLICT"
    assert "已发布" in again["errors"][0]["message"]

    # A signs up herself; the admin signs B up; C finds it full; A cannot sign up twice.
    mine = _retry(member(stack, community, a), SIGN_UP, {"a": activity, "p": a})
    assert mine["participation"]["status"] == "SIGNED_UP", mine
    theirs = _retry(admin, SIGN_UP, {"a": activity, "p": b})
    assert theirs["participation"]["status"] == "SIGNED_UP", theirs
    full = _retry(admin, SIGN_UP, {"a": activity, "p": c})
    assert full["errors"][0]["code"] == "CONFLICT"
    assert "名额已满" in full["errors"][0]["message"]
    twice = _payload(member(stack, community, a).data(SIGN_UP, {"a": activity, "p": a}))
    assert twice["errors"][0]["code"] == "CONFLICT"
    # A member cannot sign somebody else up.
    other = _payload(member(stack, community, c).data(SIGN_UP, {"a": activity, "p": b}))
    assert other["errors"][0]["code"] == "FORBIDDEN"

    # The venue shows the rotating code; yesterday's code and a wrong one are refused.
    shown = admin.data(CODE, {"a": activity})["activityCheckInCode"]
    assert len(shown["code"]) == 6
    assert shown["periodSeconds"] == 30
    secret = asyncio.run(_secret(stack, activity))
    yesterday = check_in_code(secret, int(time.time() - 86_400) // 30)
    stale = _payload(
        member(stack, community, a).data(CHECK_IN, {"a": activity, "p": a, "c": yesterday})
    )
    if yesterday != shown["code"]:
        assert stale["errors"][0]["code"] == "BAD_USER_INPUT"
        assert stale["errors"][0]["field"] == "code"
    code = admin.data(CODE, {"a": activity})["activityCheckInCode"]["code"]
    came = _payload(member(stack, community, a).data(CHECK_IN, {"a": activity, "p": a, "c": code}))
    assert came["participation"]["status"] == "CHECKED_IN", came
    assert came["participation"]["checkInMethod"] == "CODE"
    # The first check-in started the activity.
    status = admin.data("query($id: ID!) { activity(id: $id) { status } }", {"id": activity})
    assert status["activity"]["status"] == "ONGOING"
    # A member cannot check in without the code.
    nocode = _payload(member(stack, community, b).data(CHECK_IN, {"a": activity, "p": b}))
    assert nocode["errors"][0]["field"] == "code"

    # The organiser records B from the paper list: in two hours ago, out half an hour ago.
    started: datetime = joint["started"]
    b_in = _payload(
        admin.data(
            CHECK_IN, {"a": activity, "p": b, "at": (started + timedelta(minutes=1)).isoformat()}
        )
    )
    assert b_in["participation"]["checkInMethod"] == "ORGANIZER", b_in
    b_out = _payload(
        admin.data(
            CHECK_OUT,
            {"a": activity, "p": b, "at": (started + timedelta(minutes=91)).isoformat()},
        )
    )
    part = b_out["participation"]
    assert part["claimedHours"] == 1.5, b_out
    assert part["hoursStatus"] == "PENDING"
    # A future time is refused; a member cannot record a time.
    future = _payload(
        admin.data(
            CHECK_OUT,
            {"a": activity, "p": a, "at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
        )
    )
    assert future["errors"][0]["field"] == "at"

    over = _payload(admin.data(VERIFY, {"p": part["id"], "h": 2.0}))
    assert over["errors"][0]["code"] == "BAD_USER_INPUT"
    assert over["errors"][0]["field"] == "hours"
    assert "1.50" in over["errors"][0]["messageZh"]
    verified = _payload(admin.data(VERIFY, {"p": part["id"], "h": 1.4}))
    # 1.4 h rounds down to the 15-minute step: 1.25 h.
    assert verified["participation"]["verifiedHours"] == 1.25, verified
    assert verified["participation"]["hoursStatus"] == "VERIFIED"
    # Verifying before check-out is refused.
    early_verify = _payload(admin.data(VERIFY, {"p": came["participation"]["id"], "h": 0.5}))
    assert early_verify["errors"][0]["code"] == "CONFLICT"

    # Hours added by hand: area admins only, kept apart with who and why.
    added = _payload(admin.data(ADD, {"p": b, "h": 2}))
    assert added["added"]["reason"] == "纸质登记补录", added
    assert added["added"]["addedBy"] == "test-district_admin"
    org_admin = joint["district"].client("ORG_ADMIN", community, orgs=joint["orgs"])
    refused_add = org_admin.execute(ADD, {"p": b, "h": 2})
    assert refused_add["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    hours = admin.data(HOURS, {"p": b})["person"]
    assert hours["name"] == "王热心"
    assert hours["volunteerHours"] == {
        "verified": 1.25,
        "pending": 0.0,
        "manual": 2.0,
        "total": 3.25,
    }
    assert hours["participations"]["totalCount"] == 1
    assert hours["participations"]["edges"][0]["node"]["activity"]["title"] == "义诊进社区"
    # A's own token sees A's record, not B's hours.
    own = member(stack, community, a).data(HOURS, {"p": a})["person"]
    assert own["participations"]["totalCount"] == 1
    assert member(stack, community, a).data(HOURS, {"p": b})["person"] is None

    year = datetime.now(UTC).astimezone().year
    top = admin.data(TOP, {"a": community, "y": year})["topVolunteers"]
    assert top[0]["person"]["id"] == b
    assert top[0]["totalHours"] == 3.25
    assert top[0]["person"]["name"] == "王热心"

    # A leaves after checking out herself with the code; the activity completes; then it is
    # closed for good.
    code = admin.data(CODE, {"a": activity})["activityCheckInCode"]["code"]
    gone = _payload(member(stack, community, a).data(CHECK_OUT, {"a": activity, "p": a, "c": code}))
    assert gone["participation"]["status"] == "CHECKED_OUT", gone
    done = _payload(admin.data(COMPLETE, {"id": activity, "n": 40}))
    assert done["activity"]["status"] == "COMPLETED"
    assert done["activity"]["peopleServed"] == 40
    for mutation in (CANCEL, START, PUBLISH):
        late = _payload(admin.data(mutation, {"id": activity}))
        assert late["errors"][0]["code"] == "CONFLICT"
        assert "已完成" in late["errors"][0]["messageZh"], late
    closed = _payload(admin.data(SIGN_UP, {"a": activity, "p": c}))
    assert closed["errors"][0]["code"] == "CONFLICT"

    # A certificate of B's hours, issued by the union, downloaded and checked.
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    period = {"p": b, "o": joint["orgs"][0], "f": f"{today.year}-01-01", "t": today.isoformat()}
    issued = admin.data(ISSUE, period)["issueVolunteerCertificate"]
    assert issued["errors"] == [], issued
    certificate = issued["certificate"]
    assert certificate["totalHours"] == 3.25
    assert certificate["downloadUrl"].startswith(stack.public_url + "/files/activities/")
    document = httpx.get(certificate["downloadUrl"], timeout=30)  # no token: the link is enough
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    text = re.sub(r"\s+", "", PdfReader(io.BytesIO(document.content)).pages[0].extract_text())
    assert "王热心" in text
    assert "志愿服务时长证明" in text
    assert certificate["number"] in text
    assert "义诊进社区" in text
    checked = GraphQLClient(stack.gateway_url, None).data(
        VERIFY_CERTIFICATE, {"n": certificate["number"]}
    )["verifyCertificate"]
    assert checked["genuine"] is True
    assert checked["nameMasked"] == "王*心"
    assert checked["totalHours"] == 3.25
    assert {a["title"] for a in checked["activities"]} == {"义诊进社区", "纸质登记补录"}
    forged = GraphQLClient(stack.gateway_url, None).data(
        VERIFY_CERTIFICATE, {"n": "GJ-2026-AAAAAAAAAA"}
    )["verifyCertificate"]
    assert forged["genuine"] is False
    # The issuing organisation must be one the caller keeps; a period with no hours is refused.
    other_org = joint["district"].client("ORG_ADMIN", community, orgs=[joint["orgs"][1]])
    refused_issue = other_org.data(ISSUE, period)["issueVolunteerCertificate"]
    assert refused_issue["errors"][0]["code"] == "FORBIDDEN"
    empty = admin.data(ISSUE, {**period, "p": c})["issueVolunteerCertificate"]
    assert empty["errors"][0]["code"] == "CONFLICT"

    # Evaluation's figures count the activity, the people served and the hours (events).
    deadline = time.monotonic() + 20
    while True:
        stats = admin.data(STATS, {"a": community})["area"]["stats"]
        if stats["volunteerHours"] == 3.25 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert stats["activityCount"] == 1
    assert stats["completedActivityCount"] == 1
    assert stats["peopleServed"] == 40
    assert stats["volunteerCount"] == 1
    assert stats["volunteerHours"] == 3.25
    assert stats["checkedInCount"] == 2


def test_withdrawing_gives_the_place_back_and_cancelled_activities_take_no_one(
    stack: Stack, joint: dict[str, Any]
):
    admin: GraphQLClient = joint["district"].admin
    activity = joint["activity"]
    a, b, c = joint["people"]
    admin.data(PUBLISH, {"id": activity})
    assert _retry(admin, SIGN_UP, {"a": activity, "p": a})["participation"]
    assert _retry(admin, SIGN_UP, {"a": activity, "p": b})["participation"]
    assert _payload(admin.data(SIGN_UP, {"a": activity, "p": c}))["errors"][0]["code"] == "CONFLICT"
    back = _payload(admin.data(WITHDRAW, {"a": activity, "p": b}))
    assert back["participation"]["status"] == "WITHDRAWN", back
    assert _payload(admin.data(SIGN_UP, {"a": activity, "p": c}))["participation"]
    cancelled = _payload(admin.data(CANCEL, {"id": activity}))
    assert cancelled["activity"]["status"] == "CANCELLED"
    refused = _payload(admin.data(SIGN_UP, {"a": activity, "p": b}))
    assert refused["errors"][0]["code"] == "CONFLICT"
    assert "已取消" in refused["errors"][0]["message"]


def test_bad_input_is_answered_with_every_problem_at_once_and_nothing_written(stack: Stack):
    district = District(stack)
    result = _payload(
        district.admin.data(
            CREATE,
            {
                "i": {
                    "title": " ",
                    "line": "SERVING_THE_PEOPLE",
                    "category": "SERVICE_DELIVERY",
                    "organizerIds": ["not-an-id"],
                    "areaCode": district.communities[0],
                    "startsAt": "2026-12-01T09:00:00+08:00",
                    "capacity": 0,
                }
            },
        )
    )
    assert result["activity"] is None
    assert {e["field"] for e in result["errors"]} == {
        "organizerIds[0]",
        "title",
        "serviceKind",
        "capacity",
    }
    listed = district.admin.data(
        "query($a: String!) { activities(areaCode: $a) { totalCount } }", {"a": district.code}
    )
    assert listed["activities"]["totalCount"] == 0
