"""Evaluation keeps its figures' answers (gongjian_kit.response_cache): per caller, never one
caller's for another, and dropped when the figures move, as a live subscriber is told."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import httpx
import pytest

from gongjian_deploy.pytest_plugin import District, token_for, wait_until
from gongjian_deploy.stack import Stack

pytestmark = pytest.mark.system

STATS = "query($a: String!) { areaStats(areaCode: $a) { organizationCount activityCount } }"
HISTORY = """query($a: String!) { areaStatsHistory(areaCode: $a, fromMonth: "2026-01-01",
  toMonth: "2026-01-01") { activityCount } }"""


def ask(stack: Stack, token: str, area: str, query: str = STATS) -> tuple[str | None, Any]:
    """Straight to the evaluation subgraph: (what its cache did, the answer)."""
    response = httpx.post(
        stack.service_url("evaluation"),
        json={"query": query, "variables": {"a": area}},
        headers={"authorization": f"Bearer {token}"},
        timeout=10,
    )
    return response.headers.get("x-gongjian-cache"), response.json()


def test_figures_are_kept_for_their_caller_and_never_shown_to_another(
    stack: Stack, district: District
) -> None:
    street, other = district.streets
    admin = token_for(stack, "STREET_ADMIN", street, subject="cache-admin")
    assert ask(stack, admin, street)[0] == "miss"
    status, kept = ask(stack, admin, street)
    assert status == "hit"
    assert kept["data"]["areaStats"] is not None

    # Another street's admin asking for this street is refused, not served the kept answer.
    outsider = token_for(stack, "STREET_ADMIN", other, subject="cache-outsider")
    for _ in range(2):
        status, refused = ask(stack, outsider, street)
        assert status == "miss"
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert refused.get("data") is None

    # A colleague with the same claims has an answer of their own.
    colleague = token_for(stack, "STREET_ADMIN", street, subject="cache-colleague")
    assert ask(stack, colleague, street)[0] == "miss"

    # Month snapshots are not among the kept figures.
    assert ask(stack, admin, street, HISTORY)[0] is None


async def test_a_kept_figure_moves_when_its_event_is_applied(
    stack: Stack, district: District
) -> None:
    street, community = district.streets[0], district.communities[0]
    admin = token_for(stack, "STREET_ADMIN", street, subject="cache-mover")
    unit = district.unit(community, employees=10, partyMembers=3)
    org = district.organization(community, [unit])
    evaluation = await asyncpg.connect(stack.database("evaluation"))
    try:

        async def settled() -> bool:
            # evaluation has heard of the organisation and published the street's figures
            return bool(
                await evaluation.fetchval(
                    "SELECT organization_count = 1 FROM area_stats WHERE area_code = $1 "
                    "AND NOT EXISTS (SELECT 1 FROM stats_dirty WHERE area_code = $1)",
                    street,
                )
            )

        await wait_until(settled, 20)
        before = ask(stack, admin, street)[1]["data"]["areaStats"]["activityCount"]
        assert ask(stack, admin, street)[0] == "hit"

        district.activity([org], community)
        answers: list[tuple[float, str | None, int]] = []
        moved_at = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status, body = ask(stack, admin, street)
            answers.append((time.monotonic(), status, body["data"]["areaStats"]["activityCount"]))
            if moved_at is None and await evaluation.fetchval(
                "SELECT activity_count > $2 FROM area_stats WHERE area_code = $1", street, before
            ):
                moved_at = time.monotonic()  # the consumer's transaction has committed
            if moved_at is not None and time.monotonic() > moved_at + 0.5:
                break
            await asyncio.sleep(0.02)
        assert moved_at is not None, "evaluation did not count the activity"
        # Kept answers were served while nothing moved, and every answer from the moment the
        # consumer's commit was seen (its inbox NOTIFY delivered: a few ms) shows the new
        # figure, well within the 1 s an answer may otherwise live.
        assert any(status == "hit" for _, status, _ in answers)
        after = [count for at, _, count in answers if at > moved_at + 0.1]
        assert after
        assert all(count == before + 1 for count in after), answers
    finally:
        await evaluation.close()
