"""Issue 10 items 5–7 end to end, through the gateway: an award proposed from a published five-goods
result goes through its public notice (公示) with a member's objection answered, is conferred and
shows in the organisation's history; the cycle's results download as XLSX and the assessment's
explanation as a printable page with every indicator's numerator and denominator."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from openpyxl import load_workbook

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.pytest_plugin import District, token_for
from gongjian_deploy.stack import Stack
from gongjian_evaluation.domain.schemes import (
    DEFAULT_COLLECTIVE,
    DEFAULT_COLLECTIVE_ID,
    DEFAULT_INDIVIDUAL,
    DEFAULT_INDIVIDUAL_ID,
    IndicatorKind,
    plain,
)
from gongjian_kit import clock
from gongjian_kit.workdays import work_calendar

pytestmark = pytest.mark.integration

ERRORS = "errors { field code message messageZh messageEn }"
AWARD = (
    "id title titleLabel status statusLabel subjectKind subjectId areaCode noticeFrom noticeUntil "
    "inNotice conferFrom objectionCount openObjectionCount conferredAt"
)
PROPOSE = f"""mutation($a: ID!, $t: AwardTitle!) {{ proposeAward(input: {{assessmentId: $a,
  title: $t}}) {{ award {{ {AWARD} }} {ERRORS} }} }}"""
OBJECT = f"""mutation($w: ID!, $c: String!) {{ raiseObjection(input: {{awardId: $w, content: $c}})
  {{ objection {{ id content answered }} award {{ {AWARD} }} {ERRORS} }} }}"""
ANSWER = f"""mutation($o: ID!, $a: String!) {{ answerObjection(input: {{objectionId: $o,
  answer: $a}}) {{ objection {{ id answer answered answeredBy }} award {{ {AWARD} }}
  {ERRORS} }} }}"""
CONFER = f"""mutation($w: ID!) {{ conferAward(input: {{awardId: $w}}) {{ award {{ {AWARD} }}
  {ERRORS} }} }}"""
WITHDRAW = f"""mutation($w: ID!) {{ withdrawAward(input: {{awardId: $w, reason: "复核"}})
  {{ award {{ {AWARD} }} {ERRORS} }} }}"""
NOTICE = f"""query($a: String!) {{ awards(areaCode: $a) {{ totalCount edges {{ node {{ {AWARD} }} }}
  }} }}"""
OBJECTIONS = """query($w: ID!) { award(id: $w) { id objectionCount
  objections { content raisedBy answer answered } } }"""
HISTORY = """query($o: ID!) { organization(id: $o) { id name
  awards { totalCount edges { node { title titleLabel status notice: noticeUntil } } } } }"""
RESULTS = "query($c: ID!) { cycleResultsExport(cycleId: $c) { url expiresAt } }"
PAGE = "query($a: ID!) { assessmentExplanationPage(assessmentId: $a) { url expiresAt } }"


def _one(result: dict[str, Any]) -> dict[str, Any]:
    [value] = result.values()
    assert isinstance(value, dict)
    return value


def _codes(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


# Fixture standing in for the cycle workflow (part C: openCycle → self-assessment → review →
# closeCycle → publishCycle), which lands separately: a closed and published five-goods cycle
# over the street, written straight into the evaluation service's tables with what publication
# leaves there — the frozen measured inputs of every indicator, the reviewers' scores, totals,
# rank and grade. A second, unpublished assessment shows what cannot be used yet.
async def _published_cycle(
    stack: Stack, street: str, community: str, org: str, other: str
) -> dict[str, Any]:
    conn = await asyncpg.connect(stack.settings("evaluation").database_url)
    try:
        cycle_id, published, draft = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await conn.execute(
            "INSERT INTO cycle (id, name, area_code, scheme_id, kind, definition, bands, "
            "period_from, period_to, families, status, opened_by, closed_by, closed_at, "
            "published_at) VALUES ($1, '2025年度五个好评议', $2, $3, 'COLLECTIVE', $4::jsonb, "
            "$5::jsonb, '2025-01-01', '2025-12-31', '{TRADE_UNION}', 'CLOSED', 'admin', 'admin', "
            "now() - interval '2 days', now() - interval '1 day')",
            cycle_id,
            street,
            DEFAULT_COLLECTIVE_ID,
            json.dumps(DEFAULT_COLLECTIVE.to_json(), ensure_ascii=False),
            json.dumps({"excellent": "90", "good": "80", "pass": "60", "excellentShare": "0.2"}),
        )
        dimensions = {d.code: "92.50" for d in DEFAULT_COLLECTIVE.dimensions}
        await conn.execute(
            "INSERT INTO assessment (id, cycle_id, subject_kind, subject_id, area_code, family, "
            "status, total, dimension_scores, rank, grade, grade_note, reviewed_at, published_at) "
            "VALUES ($1, $2, 'ORGANIZATION', $3, $4, 'TRADE_UNION', 'PUBLISHED', 92.50, "
            "$5::jsonb, 1, 'EXCELLENT', '第1名，优秀名额1个', now() - interval '2 days', "
            "now() - interval '1 day'), ($6, $2, 'ORGANIZATION', $7, $4, 'TRADE_UNION', "
            "'DRAFT', NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
            published,
            cycle_id,
            uuid.UUID(org),
            community,
            json.dumps(dimensions),
            draft,
            uuid.UUID(other),
        )
        inputs: dict[str, tuple[Decimal, Decimal | None]] = {}
        for k, indicator in enumerate(DEFAULT_COLLECTIVE.indicators):
            if indicator.kind is IndicatorKind.MEASURED:
                # Distinct numbers per indicator, so the page is checked for each one's own.
                numerator, denominator = Decimal(310 + k), Decimal(400 + k)
                inputs[indicator.code] = (numerator, denominator)
                await conn.execute(
                    "INSERT INTO assessment_indicator (assessment_id, code, numerator, "
                    "denominator, value, evidence_count, score, frozen_at) VALUES ($1, $2, $3, "
                    "$4, round($3::numeric / $4::numeric, 4), $5, 90, now() - interval '2 days')",
                    published,
                    indicator.code,
                    numerator,
                    denominator,
                    int(denominator),
                )
            else:
                await conn.execute(
                    "INSERT INTO assessment_indicator (assessment_id, code, self_score, "
                    "reviewer_score, score) VALUES ($1, $2, 95, 93, 93)",
                    published,
                    indicator.code,
                )
        return {"cycle": str(cycle_id), "published": str(published), "draft": str(draft)} | {
            "inputs": inputs
        }
    finally:
        await conn.close()


async def _end_notice(stack: Stack, award_id: str) -> None:
    """Time passes: the notice ended yesterday (the dates moved back in the database)."""
    yesterday = clock.today() - timedelta(days=1)
    conn = await asyncpg.connect(stack.settings("evaluation").database_url)
    try:
        await conn.execute(
            "UPDATE award SET notice_from = $2::date - 10, notice_until = $2 WHERE id = $1",
            uuid.UUID(award_id),
            yesterday,
        )
    finally:
        await conn.close()


async def _download(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.get(url)


async def _award_events(stack: Stack, award_id: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(stack.settings("evaluation").database_url)
    try:
        rows = await conn.fetch(
            "SELECT event_type, payload FROM outbox WHERE key = $1 ORDER BY id", award_id
        )
    finally:
        await conn.close()
    return [{"type": r["event_type"], **json.loads(r["payload"])} for r in rows]


async def test_an_award_goes_through_its_notice_and_the_results_download(stack: Stack):
    district = District(stack)
    street, community = district.streets[0], district.communities[0]
    unit = district.unit(community, name="幸福里物业服务中心")
    union = district.organization(community, [unit], kind="TRADE_UNION")
    other = district.organization(community, [unit], kind="TRADE_UNION")
    fixture = await _published_cycle(stack, street, community, union, other)
    admin = district.client("STREET_ADMIN", street)
    member = GraphQLClient(
        stack.gateway_url,
        token_for(stack, "MEMBER", community, subject="resident-zhang", person=str(uuid.uuid4())),
    )

    # Refused, nothing written: an unpublished result; a 标兵 title for an organisation; a
    # member proposing.
    draft = _one(admin.data(PROPOSE, {"a": fixture["draft"], "t": "ADVANCED_COLLECTIVE"}))
    assert _codes(draft) == [("assessmentId", "CONFLICT")]
    wrong = _one(admin.data(PROPOSE, {"a": fixture["published"], "t": "MODEL_LEARNING"}))
    assert _codes(wrong) == [("title", "BAD_USER_INPUT")]
    by_member = _one(member.data(PROPOSE, {"a": fixture["published"], "t": "ADVANCED_COLLECTIVE"}))
    assert [e["code"] for e in by_member["errors"]] == ["FORBIDDEN"]

    # Proposed: the notice starts today and lasts five working days of the official calendar.
    proposed = _one(admin.data(PROPOSE, {"a": fixture["published"], "t": "ADVANCED_COLLECTIVE"}))
    assert proposed["errors"] == []
    award = proposed["award"]
    today = clock.today()
    assert award["status"] == "PROPOSED"
    assert award["titleLabel"] == "先进集体"
    assert award["subjectId"] == union
    assert award["noticeFrom"] == today.isoformat()
    assert award["noticeUntil"] == work_calendar().add_working_days(today, 5).isoformat()
    assert award["inNotice"] is True
    again = _one(admin.data(PROPOSE, {"a": fixture["published"], "t": "ADVANCED_COLLECTIVE"}))
    assert _codes(again) == [("title", "CONFLICT")]

    # A member of the community objects during the notice; the public list counts it and
    # shows neither its text nor who raised it.
    raised = _one(member.data(OBJECT, {"w": award["id"], "c": "该组织年度活动台账不完整"}))
    assert raised["errors"] == []
    assert raised["award"]["objectionCount"] == 1
    objection = raised["objection"]["id"]
    listed = member.data(NOTICE, {"a": community})["awards"]
    assert [e["node"]["id"] for e in listed["edges"]] == [award["id"]]
    assert listed["edges"][0]["node"]["openObjectionCount"] == 1
    hidden = member.execute(OBJECTIONS, {"w": award["id"]})
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "台账" not in json.dumps(hidden, ensure_ascii=False)

    # Conferring is refused while the notice runs and an objection is open: both named.
    early = _one(admin.data(CONFER, {"w": award["id"]}))
    assert _codes(early) == [("noticeUntil", "CONFLICT"), ("objections", "CONFLICT")]
    assert award["noticeUntil"] in early["errors"][0]["messageZh"]

    # The admins read the objection and who raised it, and answer it, once.
    seen = admin.data(OBJECTIONS, {"w": award["id"]})["award"]
    assert seen["objections"] == [
        {
            "content": "该组织年度活动台账不完整",
            "raisedBy": "resident-zhang",
            "answer": None,
            "answered": False,
        }
    ]
    answered = _one(admin.data(ANSWER, {"o": objection, "a": "经核查，台账已补齐并归档"}))
    assert answered["errors"] == []
    assert answered["objection"]["answered"] is True
    assert answered["award"]["openObjectionCount"] == 0
    twice = _one(admin.data(ANSWER, {"o": objection, "a": "再次答复"}))
    assert _codes(twice) == [("objectionId", "CONFLICT")]

    # Still within the notice: refused, now for the date alone.
    assert _codes(_one(admin.data(CONFER, {"w": award["id"]}))) == [("noticeUntil", "CONFLICT")]

    # Time passes: the notice is over. No more objections; conferred.
    await _end_notice(stack, award["id"])
    late = _one(member.data(OBJECT, {"w": award["id"], "c": "补充异议"}))
    assert _codes(late) == [("awardId", "CONFLICT")]
    conferred = _one(admin.data(CONFER, {"w": award["id"]}))
    assert conferred["errors"] == []
    assert conferred["award"]["status"] == "CONFERRED"
    assert conferred["award"]["conferredAt"]
    withdrawn = _one(admin.data(WITHDRAW, {"w": award["id"]}))
    assert _codes(withdrawn) == [("status", "CONFLICT")]
    assert "已授予" in withdrawn["errors"][0]["messageZh"]

    # The organisation's history through the gateway, beside its name from organizations.
    history = admin.data(HISTORY, {"o": union})["organization"]
    assert history["name"]
    assert history["awards"]["totalCount"] == 1
    assert history["awards"]["edges"][0]["node"]["status"] == "CONFERRED"
    assert history["awards"]["edges"][0]["node"]["titleLabel"] == "先进集体"

    # Every step raised its event, with ids, codes, dates and counts: no text, no one.
    events = await _award_events(stack, award["id"])
    assert [e["type"] for e in events] == [
        "gongjian.evaluation.award.proposed.v1",
        "gongjian.evaluation.award.objection-raised.v1",
        "gongjian.evaluation.award.conferred.v1",
    ]
    carried = json.dumps(events, ensure_ascii=False)
    for secret in ("台账", "resident-zhang", "核查"):
        assert secret not in carried
    assert events[-1]["data"]["objectionCount"] == 1

    # The cycle's results as XLSX: for the admins; read back.
    refused = member.execute(RESULTS, {"c": fixture["cycle"]})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    link = admin.data(RESULTS, {"c": fixture["cycle"]})["cycleResultsExport"]
    assert link["url"].startswith(stack.public_url + "/files/evaluation/results/")
    download = await _download(link["url"])  # no token: the signed link is enough
    assert download.status_code == 200, download.text
    sheet = load_workbook(io.BytesIO(download.content))["评议结果"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("排名", "组织类别", "对象类型", "对象编号", "所在区划", "总分")
    assert "领导班子好（20%）" in rows[0]
    assert rows[1:] == [
        (1, "工会", "组织", union, community, 92.5, *(92.5,) * 5, "优秀", "第1名，优秀名额1个")
    ]  # the unpublished one is not exported
    tampered = await _download(link["url"].replace("/results/", "/results/x"))
    assert tampered.status_code == 403

    # The explanation page: published results only; every indicator's inputs on it.
    unpublished = admin.execute(PAGE, {"a": fixture["draft"]})
    assert unpublished["errors"][0]["extensions"]["code"] == "CONFLICT"
    page_link = admin.data(PAGE, {"a": fixture["published"]})["assessmentExplanationPage"]
    page = await _download(page_link["url"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "@media print" in html
    for indicator in DEFAULT_COLLECTIVE.indicators:
        assert indicator.label_zh in html, indicator.code
    for code, (numerator, denominator) in fixture["inputs"].items():
        assert f"<td class='n'>{plain(numerator)}</td>" in html, code
        assert f"<td class='n'>{plain(denominator)}</td>" in html, code
        curve = DEFAULT_COLLECTIVE.indicator(code).curve
        assert curve is not None
        assert curve.explain() in html
    assert "2025-01-01 至 2025-12-31" in html


async def test_a_model_title_goes_to_a_person_and_shows_on_their_record(stack: Stack):
    district = District(stack)
    street, community = district.streets[1], district.communities[2]
    person = str(uuid.uuid4())
    # Fixture standing in for part C's workflow: a published five-models (五标兵) result of one
    # nominated person.
    conn = await asyncpg.connect(stack.settings("evaluation").database_url)
    try:
        cycle_id, assessment = uuid.uuid4(), uuid.uuid4()
        await conn.execute(
            "INSERT INTO cycle (id, name, area_code, scheme_id, kind, definition, bands, "
            "period_from, period_to, status, opened_by, closed_at, published_at) VALUES ($1, "
            "'2025年度五标兵评议', $2, $3, 'INDIVIDUAL', $4::jsonb, '{}'::jsonb, '2025-01-01', "
            "'2025-12-31', 'CLOSED', 'admin', now(), now())",
            cycle_id,
            street,
            DEFAULT_INDIVIDUAL_ID,
            json.dumps(DEFAULT_INDIVIDUAL.to_json(), ensure_ascii=False),
        )
        await conn.execute(
            "INSERT INTO assessment (id, cycle_id, subject_kind, subject_id, area_code, status, "
            "total, dimension_scores, rank, grade, published_at) VALUES ($1, $2, 'PERSON', $3, "
            "$4, 'PUBLISHED', 95, '{}'::jsonb, 1, 'EXCELLENT', now())",
            assessment,
            cycle_id,
            uuid.UUID(person),
            community,
        )
    finally:
        await conn.close()
    admin = district.client("STREET_ADMIN", street)
    collective = _one(admin.data(PROPOSE, {"a": str(assessment), "t": "ADVANCED_COLLECTIVE"}))
    assert _codes(collective) == [("title", "BAD_USER_INPUT")]
    proposed = _one(admin.data(PROPOSE, {"a": str(assessment), "t": "MODEL_SERVICE"}))
    assert proposed["errors"] == []
    assert proposed["award"]["titleLabel"] == "服务职工/青年/妇女标兵"
    assert proposed["award"]["subjectKind"] == "PERSON"

    # The person's record, as the gateway asks the evaluation subgraph for it: the area's
    # notice for those who read the area's records; nothing for an ORG_ADMIN.
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Person { id awards { totalCount edges { node { title status } } } } } }"""
    reps = {"r": [{"__typename": "Person", "id": person}]}
    url = stack.service_url("evaluation")
    for role, area, expected in (
        ("STREET_ADMIN", street, 1),
        ("MEMBER", community, 1),
        ("MEMBER", district.communities[3], 0),  # the next community: not its notice
    ):
        [found] = district.client(role, area, url=url).data(query, reps)["_entities"]
        assert found["awards"]["totalCount"] == expected, (role, area)
    [kept] = district.client("ORG_ADMIN", community, [str(uuid.uuid4())], url=url).data(
        query, reps
    )["_entities"]
    assert kept["awards"] is None
