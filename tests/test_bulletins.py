"""Issue 11, item 4 end to end through the gateway: a community's completed activities of two
lines of work and a case; the district's admin generates a bulletin; both documents come through
the gateway's public address and show the numbers the mutation answered, which agree with the
area's figures; charts in both."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.pytest_plugin import District
from gongjian_deploy.stack import Stack
from gongjian_evaluation.bulletins.document import change_text, number_text

pytestmark = pytest.mark.integration

ERRORS = "errors { field code message }"
CREATE = f"""mutation($i: CreateActivityInput!) {{ createActivity(input: $i) {{
  activity {{ id }} {ERRORS} }} }}"""
PUBLISH = f"mutation($id: ID!) {{ publishActivity(input: {{id: $id}}) {{ {ERRORS} }} }}"
START = f"mutation($id: ID!) {{ startActivity(input: {{id: $id}}) {{ {ERRORS} }} }}"
COMPLETE = (
    "mutation($id: ID!, $n: Int!) { completeActivity(input: {id: $id, peopleServed: $n, "
    f'summary: "活动圆满完成"}}) {{ {ERRORS} }} }}'
)
OPEN_CASE = (
    f"""mutation($i: OpenCaseInput!) {{ openCase(input: $i) {{ case {{ id }} {ERRORS} }} }}"""
)
STATS = """query($a: String!) { area(code: $a) { stats { completedActivityCount peopleServed
  casesOpened casesResolved } } }"""
GENERATE = f"""mutation($i: GenerateBulletinInput!) {{ generateBulletin(input: $i) {{
  bulletin {{ id areaCode periodFrom periodTo previousFrom previousTo pdfUrl xlsxUrl expiresAt
    figures {{ items {{ code labelZh value previous change }}
      lines {{ line labelZh completed previous change peopleServed }}
      subAreas {{ rank areaCode completed }} coverageGaps {{ areaCode family familyLabelZh }}
      overdueCases overdueDecisions months {{ month completed }} }} }} {ERRORS} }} }}"""
KEPT = "query($id: ID!) { bulletin(id: $id) { id pdfUrl figures { overdueCases } } }"


def _until(ask: Any, ok: Any, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = ask()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _payload(result: dict[str, Any]) -> dict[str, Any]:
    [value] = result.values()
    assert isinstance(value, dict)
    return value


def _completed(
    admin: GraphQLClient, community: str, orgs: list[str], line: str, category: str, served: int
) -> None:
    now = datetime.now(UTC)
    created = _until(
        lambda: _payload(
            admin.data(
                CREATE,
                {
                    "i": {
                        "title": "进社区服务",
                        "line": line,
                        "category": category,
                        "organizerIds": orgs,
                        "areaCode": community,
                        "startsAt": (now - timedelta(hours=2)).isoformat(),
                        "endsAt": (now + timedelta(hours=1)).isoformat(),
                        "capacity": 20,
                        "description": "测试活动",
                    }
                },
            )
        ),
        lambda p: not p["errors"] or p["errors"][0]["code"] != "NOT_FOUND",
    )
    assert not created["errors"], created
    activity = created["activity"]["id"]
    for step, variables in (
        (PUBLISH, {"id": activity}),
        (START, {"id": activity}),
        (COMPLETE, {"id": activity, "n": served}),
    ):
        assert not _payload(admin.data(step, variables))["errors"]


def test_a_bulletin_with_charts_through_the_gateway(stack: Stack) -> None:
    district = District(stack)
    community = district.communities[0]
    unit = district.unit(community, name="共建服务中心")
    union = district.organization(community, [unit], kind="TRADE_UNION")
    league = district.organization(community, [unit], kind="YOUTH_LEAGUE")
    admin = district.admin
    _completed(admin, community, [union], "SERVING_THE_PEOPLE", "VISIT", 30)
    _completed(admin, community, [league], "SERVING_THE_PEOPLE", "VOLUNTEER_SERVICE", 12)
    _completed(admin, community, [union, league], "PAIRING", "PAIRING_ASSISTANCE", 5)
    case = _until(
        lambda: _payload(
            admin.data(
                OPEN_CASE,
                {
                    "i": {
                        "channel": "HOTLINE",
                        "category": "UNPAID_WAGES",
                        "urgency": "NORMAL",
                        "areaCode": community,
                        "organizationId": union,
                        "title": "某餐饮店拖欠工资",
                        "description": "来电人称两个月未发工资",
                        "requester": {"name": "赵来电", "phone": "13912345678"},
                    }
                },
            )
        ),
        lambda p: not p["errors"] or p["errors"][0]["code"] != "NOT_FOUND",
    )
    assert not case["errors"], case
    stats = _until(
        lambda: admin.data(STATS, {"a": district.code})["area"]["stats"],
        lambda s: s["completedActivityCount"] == 3 and s["casesOpened"] == 1,
    )
    assert stats["completedActivityCount"] == 3, stats
    assert stats["casesOpened"] == 1, stats

    # Only the area's admins; and only inside their area.
    today = date.today()
    period = {
        "from": (today - timedelta(days=40)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }
    org_admin = district.client("ORG_ADMIN", community, orgs=[union])
    refused = org_admin.execute(GENERATE, {"i": {"areaCode": community, **period}})
    assert refused.get("errors") or _payload(refused["data"])["errors"], refused
    bad = _payload(
        admin.data(
            GENERATE, {"i": {"areaCode": district.code, "from": period["to"], "to": period["from"]}}
        )
    )
    assert bad["bulletin"] is None
    assert bad["errors"][0]["field"] == "to"

    generated = _payload(admin.data(GENERATE, {"i": {"areaCode": district.code, **period}}))
    assert not generated["errors"], generated
    bulletin = generated["bulletin"]
    figures = bulletin["figures"]
    items = {f["code"]: f for f in figures["items"]}
    # The figures agree with the area's own.
    assert items["completedActivities"]["value"] == stats["completedActivityCount"] == 3
    assert items["peopleServed"]["value"] == stats["peopleServed"] == 47
    assert items["casesOpened"]["value"] == stats["casesOpened"] == 1
    assert items["completedActivities"]["previous"] == 0
    assert items["completedActivities"]["change"] == 3
    lines = {li["line"]: li for li in figures["lines"]}
    assert lines["SERVING_THE_PEOPLE"]["completed"] == 2
    assert lines["SERVING_THE_PEOPLE"]["peopleServed"] == 42
    assert lines["PAIRING"]["completed"] == 1
    assert lines["MECHANISMS"]["completed"] == 0
    assert figures["subAreas"][0] == {"rank": 1, "areaCode": district.streets[0], "completed": 3}
    assert sum(m["completed"] for m in figures["months"]) == 3
    assert figures["overdueCases"] == 0  # the case is due in working days yet

    # The PDF through the gateway's public address, no token needed.
    assert bulletin["pdfUrl"].startswith(stack.public_url + "/files/evaluation/bulletins/")
    pdf = httpx.get(bulletin["pdfUrl"], timeout=60)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"].startswith("application/pdf")
    reader = PdfReader(io.BytesIO(pdf.content))
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    assert "信息通报" in text
    assert district.code in text
    for item in figures["items"]:
        row = (
            item["labelZh"]
            + number_text(item["value"])
            + number_text(item["previous"])
            + change_text(item["value"], item["previous"])
        )
        assert row in text, row
    for line in figures["lines"]:
        assert line["labelZh"] in text
    # The charts' titles and axis labels
    for label in ("各条线完成活动（本期与上期）", "月度完成活动", "场次", "本期", "上期", "月份"):
        assert label in text, label

    # The workbook: the same figures, and native charts.
    xlsx = httpx.get(bulletin["xlsxUrl"], timeout=60)
    assert xlsx.status_code == 200, xlsx.text
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet = book["主要数据"]
    rows = {r[1]: r for r in sheet.iter_rows(min_row=5, values_only=True)}
    for item in figures["items"]:
        _, _, value, previous, change = rows[item["code"]]
        assert (value, previous, change) == (item["value"], item["previous"], item["change"])
    cells = {r[1]: r for r in book["各条线"].iter_rows(min_row=2, values_only=True)}
    assert cells["SERVING_THE_PEOPLE"][2:4] == (2, 0)
    assert cells["PAIRING"][2:4] == (1, 0)
    assert book["各条线"]._charts
    assert book["月度走势"]._charts

    # Kept: asked again later, with fresh links (the area's admins only).
    again = admin.data(KEPT, {"id": bulletin["id"]})["bulletin"]
    assert again["id"] == bulletin["id"]
    assert again["figures"]["overdueCases"] == 0
    assert org_admin.execute(KEPT, {"id": bulletin["id"]}).get("data", {}).get("bulletin") is None
