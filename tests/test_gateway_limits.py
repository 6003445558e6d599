"""The gateway's limits (gateway/limits.ts), on in every environment: oversized, too deep,
too aliased or too costly documents are refused in milliseconds with a typed, bilingual error,
and while someone sends them, everyone else's requests keep their usual latency."""

from __future__ import annotations

import json
import statistics
import threading
import time
from typing import Any

import httpx
import pytest

from gongjian_deploy.pytest_plugin import District

pytestmark = pytest.mark.system

DASHBOARD = """query($a: String!) { area(code: $a) { name coverage { families { family rate gaps } }
  stats { organizationCount activityCount } }
  organizations(areaCode: $a, first: 20) { totalCount edges { node { id name kindLabel
    activitySummary { activityCount lastActivityAt }
    activities(first: 3) { edges { node { title startsAt } } } } } } }"""

# 5 MB of one repeated field: graphql-js would validate it in quadratic time (hours).
HUGE = json.dumps({"query": "{" + " __typename" * 480_000 + "}"}).encode()
# Under the body limit, but a document too long to be parsed (or cached by its text) at all.
LONG = json.dumps({"query": "{" + " __typename" * 20_000 + "}"}).encode()
# Short enough, but over the token limit.
MANY_TOKENS = json.dumps({"query": "{" + " a" * 5_000 + "}"}).encode()
ALIASES = json.dumps(
    {"query": "{ " + " ".join(f"a{i}: labels {{ genders {{ value }} }}" for i in range(200)) + " }"}
).encode()
TOO_DEEP = (
    "{ organizations { edges { node { parent { parent { parent { parent { parent { parent "
    "{ parent { parent { parent { id } } } } } } } } } } } } }"
)
# organizations × members × memberships: 100 × 100 × (assumed 10) objects and more.
COSTLY = """{ organizations(first: 100) { edges { node { members(first: 100) { edges { node {
  person { memberships { organization { name } } } } } } } } } }"""
COSTLY_BY_VARIABLES = """query($n: Int) { organizations(first: $n) { edges { node {
  members(first: $n) { edges { node { person { name } } } } } } } }"""


@pytest.fixture(scope="module")
def town(stack) -> District:
    """A district with organisations and an activity, so the dashboard has something to show."""
    district = District(stack)
    community = district.communities[0]
    orgs = [district.organization(community, [district.unit(community)]) for _ in range(3)]
    district.activity(orgs[:1], community)
    return district


def send(client: httpx.Client, url: str, body: bytes) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.post(url, content=body, headers={"content-type": "application/json"})
    return time.perf_counter() - started, response


def refusal(response: httpx.Response, code: str, limit: str) -> dict[str, Any]:
    body = response.json()
    assert not body.get("data"), body
    error = body["errors"][0]
    assert error["extensions"]["code"] == code, body
    assert error["extensions"]["limit"]["name"] == limit, body
    # Chinese / English, and not masked as "Unexpected error".
    assert " / " in error["message"]
    assert error["extensions"]["messageZh"]
    assert error["extensions"]["messageEn"]
    assert "Unexpected error" not in error["message"]
    return dict(error)


def test_the_dashboard_query_is_within_every_limit(town: District):
    body = town.admin.execute(DASHBOARD, {"a": town.code})
    assert not body.get("errors"), body
    assert body["data"]["organizations"]["totalCount"] == 3
    assert body["data"]["area"]["stats"]["organizationCount"] >= 0


def test_a_5_mb_document_is_refused_by_size_in_milliseconds(town: District):
    with httpx.Client(headers=town.admin.http.headers, timeout=30) as client:
        elapsed, response = send(client, town.url, HUGE)
    assert response.status_code == 413
    refusal(response, "BAD_USER_INPUT", "maxBodyBytes")
    assert elapsed < 1.0


def test_too_long_a_document_or_too_many_tokens_are_refused_in_milliseconds(town: District):
    with httpx.Client(headers=town.admin.http.headers, timeout=30) as client:
        elapsed, response = send(client, town.url, LONG)
        refusal(response, "BAD_USER_INPUT", "maxQueryLength")
        assert elapsed < 1.0
        elapsed, response = send(client, town.url, MANY_TOKENS)
        refusal(response, "BAD_USER_INPUT", "maxTokens")
        assert elapsed < 1.0


def test_200_aliases_are_refused_in_milliseconds(town: District):
    with httpx.Client(headers=town.admin.http.headers, timeout=30) as client:
        elapsed, response = send(client, town.url, ALIASES)
    error = refusal(response, "BAD_USER_INPUT", "maxAliases")
    assert error["extensions"]["limit"] == {"name": "maxAliases", "max": 30, "found": 200}
    assert elapsed < 1.0


def test_too_deep_a_query_is_refused(town: District):
    body = town.admin.http.post(town.url, json={"query": TOO_DEEP})
    error = refusal(body, "BAD_USER_INPUT", "maxDepth")
    assert error["extensions"]["limit"]["max"] == 12


def test_the_same_field_repeated_or_too_many_directives_is_refused(town: District):
    repeated = "{" + " labels { genders { value } }" * 26 + "}"
    refusal(
        town.admin.http.post(town.url, json={"query": repeated}),
        "BAD_USER_INPUT",
        "maxFieldRepeats",
    )
    directives = "{ __typename" + " @include(if: true)" * 51 + " }"
    refusal(
        town.admin.http.post(town.url, json={"query": directives}),
        "BAD_USER_INPUT",
        "maxDirectives",
    )


def test_a_costly_nested_query_is_refused_by_its_estimated_cost(town: District):
    literal = town.admin.http.post(town.url, json={"query": COSTLY})
    error = refusal(literal, "COST_LIMIT", "maxCost")
    assert error["extensions"]["limit"]["found"] > error["extensions"]["limit"]["max"]
    # The same through variables; and with small pages it is fine.
    by_variables = town.admin.http.post(
        town.url, json={"query": COSTLY_BY_VARIABLES, "variables": {"n": 100}}
    )
    refusal(by_variables, "COST_LIMIT", "maxCost")
    small = town.admin.execute(COSTLY_BY_VARIABLES, {"n": 5})
    assert not small.get("errors"), small


def test_other_callers_keep_their_latency_while_oversized_documents_arrive(town: District):
    caller = town.client("DISTRICT_ADMIN", town.code)

    def timed_dashboards(count: int) -> list[float]:
        times = []
        for _ in range(count):
            started = time.perf_counter()
            body = caller.execute(DASHBOARD, {"a": town.code})
            times.append(time.perf_counter() - started)
            assert not body.get("errors"), body
        return times

    timed_dashboards(5)  # warm up: connections, plans, caches
    alone = timed_dashboards(40)
    baseline = statistics.median(alone)

    stop = threading.Event()
    refusals: list[tuple[float, int]] = []
    failures: list[BaseException] = []

    def attack(body: bytes) -> None:
        try:
            with httpx.Client(headers=town.admin.http.headers, timeout=30) as client:
                while not stop.is_set():
                    elapsed, response = send(client, town.url, body)
                    refusals.append((elapsed, response.status_code))
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    attackers = [
        threading.Thread(target=attack, args=(body,), daemon=True)
        for body in (HUGE, LONG, ALIASES, MANY_TOKENS)
    ]
    for thread in attackers:
        thread.start()
    try:
        time.sleep(0.3)
        during = timed_dashboards(40)
    finally:
        stop.set()
        for thread in attackers:
            thread.join(timeout=30)
    assert not failures, failures
    assert len(refusals) >= 20, "the attack hardly ran"
    slowest_refusal = max(elapsed for elapsed, _ in refusals)
    p95 = statistics.quantiles(during, n=20)[-1]
    report = (
        f"dashboard alone p50 {baseline * 1000:.1f} ms; during {len(refusals)} refused attack "
        f"requests p50 {statistics.median(during) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms; "
        f"slowest refusal {slowest_refusal * 1000:.1f} ms"
    )
    print(report)
    assert {status for _, status in refusals} <= {200, 400, 413}, report
    assert slowest_refusal < 1.0, report
    assert p95 < 5 * baseline + 0.1, report
