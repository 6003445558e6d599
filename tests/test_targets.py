"""Issue 11, targets (目标管理), through the gateway: a union's target of 12 activities for the
year with one done falls behind its pace, shows in targetsBehind, and raises its event once;
set lower, it catches up; an area's target adds up its organisations; bad input is refused with
typed errors, and an ORG_ADMIN sets targets for its own organisation only."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.pytest_plugin import District
from gongjian_deploy.stack import Stack
from gongjian_kit import clock

pytestmark = pytest.mark.integration

ERRORS = "errors { field code message messageZh messageEn }"
SET = f"""mutation($i: SetTargetInput!) {{ setTarget(input: $i) {{
  target {{ id subjectKind organizationId areaCode metric target from deadline behind
    progress {{ value target share expectedByNow projected onTrack }} }} {ERRORS} }} }}"""
TARGET = """query($a: String!) { targets(areaCode: $a, first: 50) { totalCount
  edges { node { id behind metric progress { value expectedByNow projected onTrack } } } } }"""
BEHIND = """query($a: String!) { targetsBehind(areaCode: $a, first: 50) { totalCount
  edges { node { id } } } }"""
STEP = "mutation($id: ID!) {{ {name}(input: {{id: $id{extra}}}) {{ activity {{ id }} {ERRORS} }} }}"
FELL, CAUGHT = (f"gongjian.evaluation.target.{v}.v1" for v in ("fell-behind", "caught-up"))
YEAR = {"from": "2026-01-01", "deadline": "2026-12-31"}


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


def _completed_activity(district: District, org: str, area: str) -> str:
    activity = district.activity([org], area)
    for name, extra in (
        ("publishActivity", ""),
        ("startActivity", ""),
        ("completeActivity", ", peopleServed: 30"),
    ):
        moved = _payload(
            district.admin.data(
                STEP.format(name=name, extra=extra, ERRORS=ERRORS), {"id": activity}
            )
        )
        assert moved["errors"] == [], (name, moved)
    return activity


def _set(client: GraphQLClient, **given: Any) -> dict[str, Any]:
    return _payload(client.data(SET, {"i": given}))


def _set_when_known(client: GraphQLClient, **given: Any) -> dict[str, Any]:
    """Set a target once the evaluation service has heard of the organisation."""
    found: dict[str, Any] = _until(
        lambda: _set(client, **given),
        lambda r: not r["errors"] or r["errors"][0]["code"] != "NOT_FOUND",
    )
    return found


async def _events(stack: Stack, event_type: str, target_id: str) -> int:
    conn = await asyncpg.connect(stack.settings("evaluation").database_url)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE event_type = $1 AND payload LIKE $2",
                event_type,
                f"%{target_id}%",
            )
        )
    finally:
        await conn.close()


def _ids(result: dict[str, Any]) -> set[str]:
    return {e["node"]["id"] for e in _payload(result)["edges"]}


def _expected(target: Decimal, today: date) -> Decimal:
    """A linear pace over 2026 as of ``today`` (clamped to the year)."""
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    elapsed = max(0, min((min(today, end) - start).days + 1, 365))
    return (target * elapsed / 365).quantize(Decimal("0.0001"))


async def test_a_target_falls_behind_shows_in_the_list_and_is_announced_once(
    stack: Stack, district: District
) -> None:
    community = district.communities[0]
    unit = district.unit(community)
    union, other = (district.organization(community, [unit], kind="TRADE_UNION") for _ in "ab")
    _completed_activity(district, union, community)
    admin = district.admin

    set_ = await asyncio.to_thread(
        _set_when_known,
        admin,
        organizationId=union,
        metric="activities_completed",
        target=12,
        **YEAR,
    )
    assert set_["errors"] == [], set_
    target = set_["target"]
    assert (target["subjectKind"], target["organizationId"], target["areaCode"]) == (
        "ORGANIZATION",
        union,
        community,
    )
    tid = target["id"]

    # Progress is measured live: once the completed activity reached the ledger, 1 of 12.
    def progress() -> dict[str, Any]:
        nodes = _payload(admin.data(TARGET, {"a": community}))["edges"]
        found: list[dict[str, Any]] = [n["node"] for n in nodes if n["node"]["id"] == tid]
        return found[0]

    node = await asyncio.to_thread(_until, progress, lambda n: n["progress"]["value"] == "1")
    p = node["progress"]
    assert Decimal(p["value"]) == 1, node
    expected = _expected(Decimal(12), clock.today())
    assert Decimal(p["expectedByNow"]) == expected
    assert expected * Decimal("0.9") > 1  # well behind (≈ 10.9 by late November)
    assert p["onTrack"] is False
    assert node["behind"] is True

    # targetsBehind lists it (in the community, the street and the district).
    for area in (community, community[:9] + "000", district.code):
        assert tid in _ids(admin.data(BEHIND, {"a": area}))

    # Announced once, though checked every second.
    await asyncio.sleep(3)
    assert await _events(stack, FELL, tid) == 1
    assert await _events(stack, CAUGHT, tid) == 0

    # Set again lower (1 for the year): the same target, caught up, announced once.
    lower = _set(admin, organizationId=union, metric="activities_completed", target=1, **YEAR)
    assert lower["errors"] == [], lower
    assert lower["target"]["id"] == tid
    assert lower["target"]["progress"]["onTrack"] is True
    assert tid not in _ids(admin.data(BEHIND, {"a": community}))
    await asyncio.sleep(2)
    assert await _events(stack, CAUGHT, tid) == 1
    assert await _events(stack, FELL, tid) == 1

    # An area's target adds up its organisations' activities.
    whole = _set(admin, areaCode=community, metric="activities_completed", target=2, **YEAR)
    assert whole["errors"] == [], whole
    assert whole["target"]["subjectKind"] == "AREA"
    assert Decimal(whole["target"]["progress"]["value"]) == 1

    # Typed errors: an unknown metric, a person's metric, a negative target, a deadline
    # before the start; nothing written.
    for given, field in (
        ({"metric": "activities_imagined", "target": 12}, "metric"),
        ({"metric": "volunteer_hours", "target": 12}, "metric"),
        ({"metric": "activities_completed", "target": -1}, "target"),
    ):
        refused = _set(admin, organizationId=union, **{**YEAR, **given})
        assert refused["target"] is None
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [
            (field, "BAD_USER_INPUT")
        ], refused
    backwards = _set(
        admin,
        organizationId=union,
        metric="training_count",
        target=3,
        **{"from": "2026-06-01", "deadline": "2026-05-31"},
    )
    assert [(e["field"], e["code"]) for e in backwards["errors"]] == [
        ("deadline", "BAD_USER_INPUT")
    ]

    # ORG_ADMIN: its own organisation's targets, not another's, nor an area's.
    own = district.client("ORG_ADMIN", community, orgs=[union])
    mine = _set(own, organizationId=union, metric="training_count", target=4, **YEAR)
    assert mine["errors"] == [], mine
    stranger = district.client("ORG_ADMIN", community, orgs=[other])
    refused = _set(stranger, organizationId=union, metric="training_count", target=4, **YEAR)
    assert refused["target"] is None
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"], refused
    refused = _set(own, areaCode=community, metric="training_count", target=4, **YEAR)
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"], refused
    # … and reads its own organisations' targets only.
    assert _ids(stranger.data(TARGET, {"a": community})) == set()
    assert tid in _ids(own.data(TARGET, {"a": community}))
