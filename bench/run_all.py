"""Benchmarks of the walking skeleton: prints figures, asserts nothing.

    uv run python bench/run_all.py [--tries 100] [--requests 2000] [--concurrency 16]

Starts its own stack (PostgreSQL, Tansu, three services, gateway as shipped), loads the demo
district, then measures (each read rotating over 16 district admins' own tokens, so that no two
requests in flight are the same and the gateway's in-flight deduplication merges none):
  1. event latency: createActivity returning -> activitySummary showing it, through the gateway
     (and the same path inside the system: outbox row written -> evaluation's inbox row written);
  2. requests/s and p50/p99 of the same reads direct to a subgraph and through the gateway,
     with SQL statements per request;
  3. memory of every process (PSS, its children included).
Then runs the benchmarks of issue 8 (activities and volunteering), each in its own process with
its own stack: checkin_burst.py (2,000 check-ins at one activity) and hours_scale.py (volunteer
hours over 5M and 500k participations); `--skip-issue-8` leaves them out. Then the benchmark of
issue 9 (the case desk): cases_overdue.py (overdue lists over 200k and 20k cases);
`--skip-issue-9` leaves it out. Then the benchmark of issue 10 (evaluation):
evaluation_scoring.py (a district's 五个好 cycle of 20k and 2k organisations scored, and a live
preview of one assessment); `--skip-issue-10` leaves it out. Then the benchmark of issue 11:
stats_latency.py (events at 1,000/s → a live subscriber's area figures through the gateway);
`--skip-issue-11` leaves it out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
from dashboard import process_trees

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.demo import load_demo
from gongjian_deploy.stack import Stack, StackConfig
from gongjian_kit.auth import issue_token

DISTRICT = "330106000000"
CREATE = """mutation($i: CreateActivityInput!) { createActivity(input: $i) {
  activity { id } errors { code message } } }"""
SUMMARY = "query($id: ID!) { organization(id: $id) { activitySummary { activityCount } } }"
ONE_ORG = "query($id: ID!) { organization(id: $id) { id name kindLabel } }"
ORG_LIST = (
    """{ organizations(first: 50) { edges { node { id name kindLabel units { name } } } } }"""
)
CROSS = """{ organizations(first: 20) { edges { node { name
  activities(first: 3) { totalCount edges { node { title } } }
  activitySummary { activityCount } } } } }"""


WRK_ROTATE = Path(__file__).resolve().parent / "wrk_rotate.lua"
# District admins with their own tokens, one per concurrent request: nothing the gateway merges.
TOKENS = 16


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def event_latency(stack: Stack, client: GraphQLClient, org: str, tries: int) -> list[float]:
    """Seconds from createActivity's response to activitySummary showing the new count."""
    delays = []
    while (summary := client.data(SUMMARY, {"id": org})["organization"]["activitySummary"]) is None:
        time.sleep(0.05)  # evaluation is still catching up with the demo data's events
    count = summary["activityCount"]
    for i in range(tries):
        variables = {
            "i": {
                "title": f"基准测试活动{i}",
                "line": "MECHANISMS",
                "category": "JOINT_MEETING",
                "organizerIds": [org],
                "areaCode": "330106001001",
                "startsAt": "2026-09-01T09:00:00+08:00",
            }
        }
        result = client.data(CREATE, variables)["createActivity"]
        assert not result["errors"], result
        returned = time.perf_counter()
        count += 1
        while True:
            body = client.data(SUMMARY, {"id": org})["organization"]["activitySummary"]
            if body["activityCount"] >= count:
                delays.append(time.perf_counter() - returned)
                break
    return delays


async def pipeline_latency(stack: Stack, limit: int) -> list[float]:
    """Inside the system: outbox row written (activities) -> inbox row written (evaluation)."""
    activities = await asyncpg.connect(stack.database("activities"))
    evaluation = await asyncpg.connect(stack.database("evaluation"))
    try:
        written = {
            r["event_id"]: r["created_at"]
            for r in await activities.fetch(
                "SELECT event_id, created_at FROM outbox ORDER BY id DESC LIMIT $1", limit
            )
        }
        handled = await evaluation.fetch(
            "SELECT event_id, handled_at FROM inbox WHERE event_id = ANY($1::uuid[])", list(written)
        )
    finally:
        await activities.close()
        await evaluation.close()
    return [(r["handled_at"] - written[r["event_id"]]).total_seconds() for r in handled]


async def load(
    url: str, tokens: list[str], query: str, variables: dict, *, requests: int, concurrency: int
) -> tuple[float, list[float], float | None]:
    """(requests/s, latencies, mean SQL statements per request if the server reports them).
    Request i carries token i mod len(tokens): no two requests in flight are the same."""
    latencies: list[float] = []
    statements: list[int] = []
    queue = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    auth = [{"authorization": f"Bearer {token}"} for token in tokens]
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:

        async def worker() -> None:
            for i in queue:
                started = time.perf_counter()
                response = await http.post(
                    url,
                    json={"query": query, "variables": variables},
                    headers=auth[i % len(auth)],
                )
                latencies.append(time.perf_counter() - started)
                body = response.json()
                assert "errors" not in body, body
                if (n := (body.get("extensions") or {}).get("sqlStatements")) is not None:
                    statements.append(n)

        for i in range(50):  # warm-up: caches, connection pools, JIT
            await http.post(
                url, json={"query": query, "variables": variables}, headers=auth[i % len(auth)]
            )
        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return requests / elapsed, latencies, (statistics.mean(statements) if statements else None)


def wrk_load(
    url: str,
    tokens: list[str],
    query: str,
    variables: dict,
    *,
    seconds: int,
    concurrency: int,
    workdir: Path,
) -> tuple[float, float, float]:
    """(requests/s, p50 s, p99 s) measured by wrk (C, epoll): the client costs little CPU.
    Requests rotate over the tokens (wrk_rotate.lua): none in flight is the same as another."""
    pairs = workdir / "wrk.pairs"
    body = json.dumps({"query": query, "variables": variables})
    pairs.write_text("".join(f"Bearer {token}\t{body}\n" for token in tokens))
    result = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "-s", str(WRK_ROTATE), url],
        env={**os.environ, "BENCH_PAIRS": str(pairs), "BENCH_THREADS": "2"},
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"^BENCH (\{.*\})$", result.stdout, re.M)
    assert match, result.stdout + result.stderr
    figures = json.loads(match.group(1))
    if figures["errors"] or figures["non200"]:
        raise RuntimeError(result.stdout)
    return (
        figures["requests"] / figures["seconds"],
        figures["p50_us"] / 1e6,
        figures["p99_us"] / 1e6,
    )


def pss_mib(pid: int) -> float:
    """Proportional set size of a process and its descendants (shared pages split fairly, so
    PostgreSQL's shared buffers are not counted once per backend)."""
    total = 0
    for current in process_trees({"": pid})[""]:
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def district_admins(stack: Stack) -> list[str]:
    """Tokens of TOKENS district admins, each their own subject."""
    return [
        issue_token(
            stack.config.jwt_secret, subject=f"bench-{i}", roles=["DISTRICT_ADMIN"], area=DISTRICT
        )
        for i in range(TOKENS)
    ]


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=100)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10, help="per case, with wrk")
    parser.add_argument(
        "--skip-issue-8", action="store_true", help="leave out checkin_burst and hours_scale"
    )
    parser.add_argument("--skip-issue-9", action="store_true", help="leave out cases_overdue")
    parser.add_argument("--skip-issue-10", action="store_true", help="leave out evaluation_scoring")
    parser.add_argument("--skip-issue-11", action="store_true", help="leave out stats_latency")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="gongjian-bench-"))
    stack = Stack(StackConfig(workdir=workdir))
    try:
        started = time.perf_counter()
        stack.start()
        print(f"stack started in {time.perf_counter() - started:.1f}s (cold PostgreSQL initdb)")
        tokens = district_admins(stack)
        client = GraphQLClient(stack.gateway_url, tokens[0])
        began = time.perf_counter()
        created = load_demo(client)
        print(
            f"demo data {created} loaded through the gateway in {time.perf_counter() - began:.1f}s"
        )

        print("\nmemory after the demo data, PSS of each process tree (MiB):")
        for name, pid in stack.pids().items():
            print(f"  {name:<14} {pss_mib(pid):7.1f}")

        org = client.data("{ organizations(first: 1) { edges { node { id } } } }")["organizations"][
            "edges"
        ][0]["node"]["id"]
        delays = event_latency(stack, client, org, args.tries)
        inside = asyncio.run(pipeline_latency(stack, args.tries))
        print(
            f"\nevent latency over {len(delays)} tries, createActivity returned -> "
            f"activitySummary shows it (through the gateway, polling):"
        )
        print(
            f"  p50 {ms(percentile(delays, 0.5))}  p99 {ms(percentile(delays, 0.99))}  "
            f"max {ms(max(delays))}"
        )
        print(f"inside: activities' outbox row -> evaluation's inbox row ({len(inside)} events):")
        print(
            f"  p50 {ms(percentile(inside, 0.5))}  p99 {ms(percentile(inside, 0.99))}  "
            f"max {ms(max(inside))}"
        )

        cases = [
            (
                "organization(id), organizations subgraph direct",
                stack.service_url("organizations"),
                ONE_ORG,
                {"id": org},
            ),
            ("organization(id), through the gateway", stack.gateway_url, ONE_ORG, {"id": org}),
            (
                "50 organisations + units, subgraph direct",
                stack.service_url("organizations"),
                ORG_LIST,
                {},
            ),
            ("50 organisations + units, through the gateway", stack.gateway_url, ORG_LIST, {}),
            ("20 organisations x 3 services, through the gateway", stack.gateway_url, CROSS, {}),
        ]
        if shutil.which("wrk"):
            print(
                f"\nreads with wrk: {args.seconds}s each, {args.concurrency} connections, 2 "
                f"client threads on the same {os.cpu_count()} cores"
            )
            for label, url, query, variables in cases:
                rate, p50, p99 = wrk_load(
                    url,
                    tokens,
                    query,
                    variables,
                    seconds=args.seconds,
                    concurrency=args.concurrency,
                    workdir=workdir,
                )
                print(f"  {label:<52} {rate:7.0f} req/s  p50 {ms(p50)}  p99 {ms(p99)}")
        print(
            f"\nreads with a Python client: {args.requests} requests, {args.concurrency} "
            f"concurrent, on the same {os.cpu_count()} cores (SQL per request from the server)"
        )
        for label, url, query, variables in cases:
            rate, latencies, sql = asyncio.run(
                load(
                    url,
                    tokens,
                    query,
                    variables,
                    requests=args.requests,
                    concurrency=args.concurrency,
                )
            )
            sql_text = f"  SQL/request {sql:.1f}" if sql is not None else ""
            print(
                f"  {label:<52} {rate:7.0f} req/s  p50 {ms(percentile(latencies, 0.5))}  "
                f"p99 {ms(percentile(latencies, 0.99))}{sql_text}"
            )
        client.close()
    finally:
        stack.stop()
    here = Path(__file__).resolve().parent
    scripts = [] if args.skip_issue_8 else ["checkin_burst.py", "hours_scale.py"]
    scripts += [] if args.skip_issue_9 else ["cases_overdue.py"]
    scripts += [] if args.skip_issue_10 else ["evaluation_scoring.py"]
    scripts += [] if args.skip_issue_11 else ["stats_latency.py"]
    for script in scripts:
        print(f"\n== {script} ==", flush=True)
        subprocess.run([sys.executable, str(here / script)], check=True)


if __name__ == "__main__":
    main()
