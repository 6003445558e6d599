"""Issue 10 end to end, through the gateway: a five-goods cycle over a street, from activities
and cases logged in the activities service to published results. Each measured score is
recomputed by hand from its explanation; a member rates their union once; the self-assessment,
the assigned assessor's review (and a return for revision); a late activity after closing
changes nothing published; the 优秀 cap holds, ties explained."""

from __future__ import annotations

import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg
import pytest

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.pytest_plugin import District, token_for
from gongjian_deploy.stack import Stack
from gongjian_evaluation.domain.schemes import DEFAULT_COLLECTIVE_ID
from gongjian_organizations.domain.people import id_check_char

pytestmark = pytest.mark.integration

ERRORS = "errors { field code message messageZh messageEn }"
OPEN = f"""mutation($i: OpenCycleInput!) {{ openCycle(input: $i) {{
  cycle {{ id status grading {{ excellent excellentShare }} }} {ERRORS} }} }}"""
CLOSE = (
    f"mutation($id: ID!) {{ closeCycle(input: {{id: $id}}) {{ cycle {{ id status }} {ERRORS} }} }}"
)
PUBLISH = (
    f"mutation($id: ID!) {{ publishCycle(input: {{id: $id}}) {{ cycle {{ id publishedAt }} "
    f"{ERRORS} }} }}"
)
ASSIGN = f"""mutation($c: ID!, $a: String!) {{ assignAssessor(input: {{cycleId: $c,
  assessor: $a}}) {{ assigned {ERRORS} }} }}"""
SUBMIT = f"""mutation($a: ID!, $s: [ScoreInput!]!) {{ submitSelfAssessment(input: {{
  assessmentId: $a, comment: "全年开展活动，台账齐全", scores: $s}}) {{
  assessment {{ id status }} {ERRORS} }} }}"""
REVIEW = f"""mutation($a: ID!, $s: [ScoreInput!]!) {{ reviewAssessment(input: {{assessmentId: $a,
  comment: "属实", scores: $s}}) {{ assessment {{ id status }} {ERRORS} }} }}"""
RETURN = f"""mutation($a: ID!) {{ returnAssessment(input: {{assessmentId: $a,
  reason: "佐证材料不全"}}) {{ assessment {{ id status returnedReason }} {ERRORS} }} }}"""
RATE = """mutation($a: ID!, $r: [RatingInput!]!) { rateOrganization(input: {assessmentId: $a,
  ratings: $r}) { accepted errors { field code message } } }"""
TO_RATE = "{ assessmentsToRate { assessmentId organizationId rated dimensions { code } } }"
ASSESSMENTS = """query($c: ID!) { cycle(id: $c) { assessments(first: 50) { totalCount
  edges { node { id subjectId status } } } } }"""
ASSESSMENT = """query($id: ID!) { assessment(id: $id) { id status total live memberReviewCount
  dimensions { code weight score }
  indicators { code dimension kind weight value score explanation selfScore reviewerScore
    inputs { metric numerator denominator value periodFrom periodTo curveFloor curveTarget
      curveCap evidenceCount receivedBy }
    evidence(first: 50) { totalCount edges { node { sourceKind sourceId eventId countsIn } } } }
  lateEvidence { sourceKind sourceId } } }"""
RESULTS = """query($c: ID!) { cycle(id: $c) { status publishedAt results(first: 50) { totalCount
  edges { node { subjectId total rank grade gradeLabel gradeNote } } } } }"""
REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { field code message } } }"""
MEMBERSHIP = """mutation($i: StartMembershipInput!) { startMembership(input: $i) {
  membership { id } errors { field code } } }"""
STEP = "mutation($id: ID!) {{ {name}(input: {{id: $id{extra}}}) {{ {what} {{ id }} {ERRORS} }} }}"
CASE = """mutation($i: OpenCaseInput!) { openCase(input: $i) { case { id } errors { code } } }"""

STATS = "query($a: String!) { area(code: $a) { stats { organizationCount } } }"
CHECK_IN = """mutation($a: ID!, $p: ID!, $at: DateTime) { checkIn(input: {activityId: $a,
  personId: $p, at: $at}) { participation { id } errors { field code message } } }"""
CHECK_OUT = """mutation($a: ID!, $p: ID!, $at: DateTime) { checkOut(input: {activityId: $a,
  personId: $p, at: $at}) { participation { id } errors { field code message } } }"""
VERIFY = """mutation($p: ID!, $h: Float!) { verifyHours(input: {participationId: $p, hours: $h})
  { participation { id } errors { field code message } } }"""
PROPOSE = f"""mutation($a: ID!) {{ proposeAward(input: {{assessmentId: $a,
  title: ADVANCED_COLLECTIVE}}) {{ award {{ id status noticeUntil }} {ERRORS} }} }}"""
OBJECT = f"""mutation($w: ID!) {{ raiseObjection(input: {{awardId: $w,
  content: "该工会去年有一起欠薪未办结"}}) {{ objection {{ id }} {ERRORS} }} }}"""
ANSWER = f"""mutation($o: ID!) {{ answerObjection(input: {{objectionId: $o,
  answer: "经核实已于5月办结"}}) {{ objection {{ id }} {ERRORS} }} }}"""
CONFER = f"""mutation($w: ID!) {{ conferAward(input: {{awardId: $w}}) {{ award {{ id status }}
  {ERRORS} }} }}"""
HISTORY = """query($o: ID!) { organization(id: $o) { awards { totalCount
  edges { node { title status } } } } }"""
HUNDRED = Decimal(100)


def _payload(result: dict[str, Any]) -> dict[str, Any]:
    [value] = result.values()
    assert isinstance(value, dict)
    return value


def _until(ask: Any, ok: Any, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = ask()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.25)


def _step(client: GraphQLClient, name: str, key: str, extra: str = "", what: str = "activity"):
    query = STEP.format(name=name, extra=extra, what=what, ERRORS=ERRORS)
    result = _payload(client.data(query, {"id": key}))
    assert result["errors"] == [], (name, result)


def _completed_activity(
    district: District, org: str, area: str, volunteer: str | None = None
) -> str:
    """A training of the union on 1 May 2026 (9:00 to 11:00), taken through to completion; a
    volunteer checked in from the paper list and their hours verified, if given."""
    activity = district.activity([org], area)
    _step(district.admin, "publishActivity", activity)
    _step(district.admin, "startActivity", activity)
    if volunteer is not None:
        for mutation, at in ((CHECK_IN, "09:00"), (CHECK_OUT, "10:30")):
            moved = _payload(
                district.admin.data(
                    mutation,
                    {"a": activity, "p": volunteer, "at": f"2026-05-01T{at}:00+08:00"},
                )
            )
            assert moved["errors"] == [], moved
        verified = _payload(
            district.admin.data(VERIFY, {"p": moved["participation"]["id"], "h": 1.5})
        )
        assert verified["errors"] == [], verified
    _step(district.admin, "completeActivity", activity, ", peopleServed: 30")
    return activity


def _hand_score(inputs: dict[str, Any]) -> Decimal:
    """The linear curve, by hand: 0 at or below the floor, 100 at or above the target."""
    value = inputs["value"]
    floor, target = Decimal(str(inputs["curveFloor"])), Decimal(str(inputs["curveTarget"]))
    cap = Decimal(str(inputs["curveCap"]))
    if value is None or Decimal(str(value)) <= floor:
        raw = Decimal(0)
    elif Decimal(str(value)) >= target:
        raw = HUNDRED
    else:
        raw = (Decimal(str(value)) - floor) * HUNDRED / (target - floor)
    return min(raw, cap).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _check_by_hand(assessment: dict[str, Any]) -> None:
    """Every measured score from its inputs; every dimension and the total from the scores."""
    for indicator in assessment["indicators"]:
        inputs = indicator["inputs"]
        if indicator["kind"] != "MEASURED":
            continue
        num, den = inputs["numerator"], inputs["denominator"]
        if den is None:
            assert inputs["value"] == num
        elif den == 0:
            assert inputs["value"] is None
        else:
            expected = (Decimal(str(num)) / Decimal(str(den))).quantize(Decimal("0.0001"))
            assert Decimal(str(inputs["value"])).quantize(Decimal("0.0001")) == expected
        assert Decimal(str(indicator["score"])) == _hand_score(inputs), indicator
        assert inputs["evidenceCount"] == indicator["evidence"]["totalCount"]
        assert str(inputs["numerator"]).rstrip("0").rstrip(".") in indicator["explanation"] or (
            inputs["numerator"] == 0
        )
    by_dimension: dict[str, Decimal] = {}
    for indicator in assessment["indicators"]:
        code = indicator["dimension"]
        by_dimension[code] = (
            by_dimension.get(code, Decimal(0))
            + Decimal(str(indicator["score"] or 0)) * Decimal(str(indicator["weight"])) / HUNDRED
        )
    total = Decimal(0)
    for d in assessment["dimensions"]:
        shown = by_dimension.get(d["code"], Decimal(0)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert Decimal(str(d["score"])) == shown, d
        total += shown * Decimal(str(d["weight"])) / HUNDRED
    assert Decimal(str(assessment["total"])) == total.quantize(Decimal("0.01"), ROUND_HALF_UP)


@pytest.fixture
def street(stack: Stack) -> dict[str, Any]:
    """A street with three unions in one community: the first busy (two trainings, a case
    resolved and scored 5), the others quiet; two members of the first."""
    district = District(stack)
    community = district.communities[0]
    unit = district.unit(community, name="滨江工业园服务中心")
    unions = [district.organization(community, [unit], kind="TRADE_UNION") for _ in range(3)]
    people = []
    for i, name in enumerate(("周评议", "吴评议")):
        first17 = f"33010619880{i + 1}15{int(time.time() * 1000 + i) % 1000:03d}"
        person = _payload(
            district.admin.data(
                REGISTER,
                {
                    "i": {
                        "name": name,
                        "idNumber": first17 + id_check_char(first17),
                        "areaCode": community,
                    }
                },
            )
        )
        assert person["errors"] == [], person
        people.append(person["person"]["id"])
        joined = _payload(
            district.admin.data(
                MEMBERSHIP, {"i": {"personId": people[-1], "organizationId": unions[0]}}
            )
        )
        assert joined["errors"] == [], joined
    for n in range(2):
        _completed_activity(district, unions[0], community, volunteer=people[1] if n else None)
    case = _until(
        lambda: _payload(
            district.admin.data(
                CASE,
                {
                    "i": {
                        "channel": "HOTLINE",
                        "category": "UNPAID_WAGES",
                        "urgency": "NORMAL",
                        "areaCode": community,
                        "organizationId": unions[0],
                        "title": "园区企业欠薪",
                        "requester": {"name": "郑来电", "phone": "13800001111"},
                        "receivedAt": "2026-05-06T10:00:00+08:00",
                    }
                },
            )
        ),
        lambda p: not p["errors"],
    )["case"]
    _step(district.admin, "acceptCase", case["id"], what="case")
    _step(district.admin, "resolveCase", case["id"], ', resolution: "已补发"', what="case")
    _step(
        district.admin,
        "closeCase",
        case["id"],
        ", satisfaction: 5, requesterReached: true",
        what="case",
    )
    # The evaluation service hears of the unions from their events before a cycle counts them.
    known = _until(
        lambda: district.admin.data(STATS, {"a": community})["area"]["stats"],
        lambda st: st["organizationCount"] >= 3,
    )
    assert known["organizationCount"] == 3
    return {
        "district": district,
        "street": district.streets[0],
        "community": community,
        "unions": unions,
        "people": people,
    }


def _scored_codes(assessment: dict[str, Any]) -> list[str]:
    return [
        i["code"]
        for i in assessment["indicators"]
        if i["kind"] == "SCORED" and i["code"] != "member_review"
    ]


async def test_a_five_goods_cycle_over_a_street_to_published_results(
    stack: Stack, street: dict[str, Any]
):
    district: District = street["district"]
    admin = district.admin
    unions = street["unions"]
    # Thresholds of this cycle: every union reaches 优秀 on its total, so the cap decides.
    opened = _payload(
        admin.data(
            OPEN,
            {
                "i": {
                    "name": "2026年度“五个好”党群组织评议",
                    "areaCode": street["street"],
                    "schemeId": str(DEFAULT_COLLECTIVE_ID),
                    "from": "2026-01-01",
                    "to": "2026-12-31",
                    "families": ["TRADE_UNION"],
                    "grading": {"excellent": 10, "good": 5, "pass": 1, "excellentShare": 0.2},
                }
            },
        )
    )
    assert opened["errors"] == [], opened
    cycle = opened["cycle"]["id"]
    listed = admin.data(ASSESSMENTS, {"c": cycle})["cycle"]["assessments"]
    assert listed["totalCount"] == 3
    by_union = {e["node"]["subjectId"]: e["node"]["id"] for e in listed["edges"]}
    busy = by_union[unions[0]]

    # The live preview: the evidence arrives from the activities service's events.
    live = _until(
        lambda: admin.data(ASSESSMENT, {"id": busy})["assessment"],
        lambda a: (
            {i["code"]: i for i in a["indicators"]}["activities"]["value"] == 2
            and {i["code"]: i for i in a["indicators"]}["satisfaction"]["value"] == 5
        ),
    )
    assert live["live"] is True
    _check_by_hand(live)
    volunteering = {i["code"]: i for i in live["indicators"]}["volunteering"]
    # 1.5 verified hours over the union's two members.
    assert (volunteering["inputs"]["numerator"], volunteering["inputs"]["denominator"]) == (1.5, 2)
    activities = {i["code"]: i for i in live["indicators"]}["activities"]
    assert {e["node"]["sourceKind"] for e in activities["evidence"]["edges"]} == {"ACTIVITY"}
    assert all(e["node"]["eventId"] for e in activities["evidence"]["edges"])

    # Publishing an open cycle is refused.
    early = _payload(admin.data(PUBLISH, {"id": cycle}))
    assert early["errors"][0]["code"] == "CONFLICT"

    # A member rates their union once; a second time is refused.
    member = GraphQLClient(
        stack.gateway_url,
        token_for(
            stack,
            "MEMBER",
            street["community"],
            person=street["people"][0],
            subject=f"m-{street['people'][0]}",
        ),
    )
    invited = _until(lambda: member.data(TO_RATE)["assessmentsToRate"], lambda x: len(x) == 1)
    assert invited[0]["assessmentId"] == busy
    assert invited[0]["rated"] is False
    ratings = [{"dimension": d["code"], "rating": 5} for d in invited[0]["dimensions"]]
    rated = _payload(member.data(RATE, {"a": busy, "r": ratings}))
    assert rated == {"accepted": True, "errors": []}
    again = _payload(member.data(RATE, {"a": busy, "r": ratings}))
    assert again["accepted"] is False
    assert again["errors"][0]["code"] == "CONFLICT"
    assert member.data(TO_RATE)["assessmentsToRate"][0]["rated"] is True
    other = _payload(member.data(RATE, {"a": by_union[unions[1]], "r": ratings}))
    assert other["errors"][0]["code"] == "FORBIDDEN"

    # Each union self-assesses; the assigned assessor reviews (and returns one once).
    scored = _scored_codes(live)
    for union in unions:
        org_admin = district.client("ORG_ADMIN", street["community"], orgs=[union])
        submitted = _payload(
            org_admin.data(
                SUBMIT,
                {
                    "a": by_union[union],
                    "s": [{"code": c, "score": 90, "note": "台账"} for c in scored],
                },
            )
        )
        assert submitted["errors"] == [], submitted
    twice = _payload(
        district.client("ORG_ADMIN", street["community"], orgs=[unions[0]]).data(
            SUBMIT, {"a": busy, "s": []}
        )
    )
    assert twice["errors"][0]["code"] == "CONFLICT"
    assert "已提交" in twice["errors"][0]["messageZh"]
    assert _payload(admin.data(ASSIGN, {"c": cycle, "a": "assessor-street-1"}))["assigned"] == 3
    assessor = GraphQLClient(
        stack.gateway_url,
        token_for(stack, "ASSESSOR", street["street"], subject="assessor-street-1"),
    )
    stranger = GraphQLClient(
        stack.gateway_url,
        token_for(stack, "ASSESSOR", street["street"], subject="assessor-street-2"),
    )
    assert stranger.data(ASSESSMENT, {"id": busy})["assessment"] is None
    refused = _payload(stranger.data(REVIEW, {"a": busy, "s": []}))
    assert refused["errors"][0]["code"] == "NOT_FOUND"
    returned = _payload(assessor.data(RETURN, {"a": by_union[unions[2]]}))
    assert returned["assessment"]["status"] == "DRAFT"
    resubmitted = _payload(
        district.client("ORG_ADMIN", street["community"], orgs=[unions[2]]).data(
            SUBMIT, {"a": by_union[unions[2]], "s": [{"code": c, "score": 80} for c in scored]}
        )
    )
    assert resubmitted["errors"] == [], resubmitted
    for union in unions:
        reviewed = _payload(
            assessor.data(
                REVIEW, {"a": by_union[union], "s": [{"code": c, "score": 85} for c in scored]}
            )
        )
        assert reviewed["errors"] == [], reviewed

    # Closing freezes the measures; a late activity of the period changes nothing.
    assert _payload(admin.data(CLOSE, {"id": cycle}))["errors"] == []
    frozen = admin.data(ASSESSMENT, {"id": busy})["assessment"]
    assert frozen["live"] is False
    assert all(i["inputs"]["receivedBy"] for i in frozen["indicators"] if i["kind"] == "MEASURED")
    _check_by_hand(frozen)
    late = _completed_activity(district, unions[0], street["community"])
    after = _until(
        lambda: admin.data(ASSESSMENT, {"id": busy})["assessment"],
        lambda a: any(e["sourceId"] == late for e in a["lateEvidence"]),
    )
    assert any(e["sourceId"] == late for e in after["lateEvidence"])
    assert after["indicators"] == frozen["indicators"]
    assert after["total"] == frozen["total"]

    # Published: ranked, graded; the 优秀 cap (20 % of 3: one place) holds, the rest told why.
    published = _payload(admin.data(PUBLISH, {"id": cycle}))
    assert published["errors"] == [], published
    results = admin.data(RESULTS, {"c": cycle})["cycle"]["results"]
    assert results["totalCount"] == 3
    nodes = [e["node"] for e in results["edges"]]
    assert nodes[0]["subjectId"] == unions[0]
    assert [n["grade"] for n in nodes].count("EXCELLENT") == 1
    assert nodes[0]["grade"] == "EXCELLENT"
    assert all(n["gradeNote"] and "优秀名额" in n["gradeNote"] for n in nodes[1:])
    assert [n["rank"] for n in nodes] == sorted(n["rank"] for n in nodes)
    final = admin.data(ASSESSMENT, {"id": busy})["assessment"]
    assert final["status"] == "PUBLISHED"
    assert final["total"] == frozen["total"]  # what closing froze is what was published
    # The published record is final: a review after publication is refused.
    after_publish = _payload(assessor.data(REVIEW, {"a": busy, "s": []}))
    assert after_publish["errors"][0]["code"] == "CONFLICT"

    # 先进集体 from the published result: a member objects during the notice; conferring waits
    # for the answer and the end of the notice.
    proposed = _payload(admin.data(PROPOSE, {"a": busy}))
    assert proposed["errors"] == [], proposed
    award = proposed["award"]["id"]
    objection = _payload(member.data(OBJECT, {"w": award}))
    assert objection["errors"] == [], objection
    early_confer = _payload(admin.data(CONFER, {"w": award}))
    assert early_confer["award"] is None
    assert {e["code"] for e in early_confer["errors"]} == {"CONFLICT"}
    answered = _payload(admin.data(ANSWER, {"o": objection["objection"]["id"]}))
    assert answered["errors"] == [], answered
    await _notice_passed(stack, award)
    conferred = _payload(admin.data(CONFER, {"w": award}))
    assert conferred["errors"] == [], conferred
    assert conferred["award"]["status"] == "CONFERRED"
    history = admin.data(HISTORY, {"o": unions[0]})["organization"]["awards"]
    assert [e["node"] for e in history["edges"]] == [
        {"title": "ADVANCED_COLLECTIVE", "status": "CONFERRED"}
    ]


async def _notice_passed(stack: Stack, award: str) -> None:
    """Time passes: the notice's last day moved to yesterday, as the calendar would."""
    conn = await asyncpg.connect(stack.settings("evaluation").database_url)
    try:
        await conn.execute(
            "UPDATE award SET notice_from = notice_from - 30, "
            "notice_until = (now() AT TIME ZONE 'Asia/Shanghai')::date - 1 WHERE id = $1::uuid",
            award,
        )
    finally:
        await conn.close()
