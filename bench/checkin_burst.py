"""A check-in burst at one activity: prints figures, asserts nothing but errors = 0 at the end.

    uv run python bench/checkin_burst.py [--people 2000] [--seconds 60] [--concurrency 16]

Starts its own stack (PostgreSQL, Tansu, three services, gateway with in-flight deduplication
off). The people and the organiser are put straight into the activities service's read model
(`person_ref`, `organization_ref` rows, as the organizations topic would leave them); the
activities, sign-ups and check-ins go through the gateway. Each person checks in with their own
MEMBER token (its `person` claim) and the venue's current code, which an organiser fetches every
few seconds (`activityCheckInCode`, as a venue screen would). Two runs, each at its own activity
with its own people (one may not be checked in to two overlapping activities):
  1. open loop: arrivals spread evenly over --seconds (2,000 in 60 s: ~33/s), latency counted
     from each arrival's scheduled time (a late client does not hide server delay);
  2. burst: all of them as fast as --concurrency connections allow.
Then SQL statements per check-in (the subgraph's `extensions.sqlStatements`; the gateway does not
pass extensions on, so measured on a few check-ins direct to the activities subgraph with the
gateway's header) and a count of CHECKED_IN participations per activity. No two requests are
identical (each has its own token and person), so the gateway could merge none.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from gongjian_deploy.stack import Stack, StackConfig
from gongjian_kit.auth import issue_token
from gongjian_kit.hardening import GATEWAY_HEADER

DISTRICT = "330106000000"
COMMUNITY = "330106001001"
CREATE = """mutation($i: CreateActivityInput!) { createActivity(input: $i) {
  activity { id } errors { code message } } }"""
PUBLISH = """mutation($i: ActivityIdInput!) { publishActivity(input: $i) {
  errors { code message } } }"""
SIGN_UP = """mutation($i: SignUpInput!) { signUp(input: $i) {
  participation { id } errors { code message } } }"""
CHECK_IN = """mutation($i: AttendanceInput!) { checkIn(input: $i) {
  participation { id status } errors { code message } } }"""
CODE = "query($a: ID!) { activityCheckInCode(activityId: $a) { code validUntil } }"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def seed_read_model(dsn: str, people: int) -> tuple[str, list[str]]:
    """An organiser and ``people`` people in the activities read model (what the organizations
    topic would bring); returns (organisation id, person ids)."""
    org = str(uuid.uuid4())
    ids = [str(uuid.uuid4()) for _ in range(people)]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO organization_ref (id, area_code, family, kind) "
            "VALUES ($1, $2, 'PARTY', 'PARTY_BRANCH')",
            uuid.UUID(org),
            COMMUNITY,
        )
        await conn.copy_records_to_table(
            "person_ref",
            records=[(uuid.UUID(i), COMMUNITY) for i in ids],
            columns=["id", "area_code"],
        )
    finally:
        await conn.close()
    return org, ids


class Venue:
    """The screen at the venue: an organiser asks for the current code every few seconds."""

    def __init__(self, http: httpx.AsyncClient, url: str, activity: str, every_s: float) -> None:
        self.http, self.url, self.activity, self.every_s = http, url, activity, every_s
        self.code = ""
        self.fetches = 0

    async def fetch(self) -> None:
        response = await self.http.post(
            self.url, json={"query": CODE, "variables": {"a": self.activity}}
        )
        body = response.json()
        assert "errors" not in body, body
        self.code = body["data"]["activityCheckInCode"]["code"]
        self.fetches += 1

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            await self.fetch()


async def create_activity(http: httpx.AsyncClient, url: str, org: str, title: str) -> str:
    now = datetime.now().astimezone()
    variables = {
        "i": {
            "title": title,
            "line": "SERVING_THE_PEOPLE",
            "category": "VOLUNTEER_SERVICE",
            "organizerIds": [org],
            "areaCode": COMMUNITY,
            # Check-in opens 30 min before the start.
            "startsAt": (now + timedelta(minutes=10)).isoformat(),
            "endsAt": (now + timedelta(hours=3)).isoformat(),
            "capacity": 100_000,
        }
    }
    for _ in range(100):  # the organiser may not have reached the read model's cache yet
        body = (await http.post(url, json={"query": CREATE, "variables": variables})).json()
        result = body["data"]["createActivity"]
        if not result["errors"]:
            break
        await asyncio.sleep(0.1)
    assert not result["errors"], result
    activity = str(result["activity"]["id"])
    body = (
        await http.post(url, json={"query": PUBLISH, "variables": {"i": {"id": activity}}})
    ).json()
    assert not body["data"]["publishActivity"]["errors"], body
    return activity


async def sign_up_all(
    http: httpx.AsyncClient, url: str, activity: str, people: list[str], concurrency: int
) -> float:
    """The organiser signs everyone up (as they would from a list); returns sign-ups/s."""
    queue = iter(people)

    async def worker() -> None:
        for person in queue:
            variables = {"i": {"activityId": activity, "personId": person, "role": "VOLUNTEER"}}
            body = (await http.post(url, json={"query": SIGN_UP, "variables": variables})).json()
            assert "errors" not in body, body
            assert not body["data"]["signUp"]["errors"], body

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(people) / (time.perf_counter() - began)


async def check_in_one(
    http: httpx.AsyncClient,
    url: str,
    secret: str,
    venue: Venue,
    activity: str,
    person: str,
    extra_headers: dict[str, str] | None = None,
) -> tuple[bool, int | None, str]:
    """(ok, SQL statements if reported, problem)."""
    token = issue_token(
        secret, subject=f"member-{person}", roles=["MEMBER"], area=COMMUNITY, person=person
    )
    variables = {"i": {"activityId": activity, "personId": person, "code": venue.code}}
    try:
        response = await http.post(
            url,
            json={"query": CHECK_IN, "variables": variables},
            headers={"authorization": f"Bearer {token}", **(extra_headers or {})},
        )
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return False, None, repr(exc)
    if "errors" in body:
        return False, None, str(body["errors"])[:300]
    result = body["data"]["checkIn"]
    if result["errors"]:
        return False, None, str(result["errors"])[:300]
    return True, (body.get("extensions") or {}).get("sqlStatements"), ""


async def run_case(
    url: str,
    secret: str,
    admin: str,
    activity: str,
    people: list[str],
    *,
    seconds: float | None,
    concurrency: int,
    code_every_s: float,
) -> dict[str, object]:
    """Open loop over ``seconds`` when given, else closed loop at ``concurrency``."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with (
        httpx.AsyncClient(limits=limits, timeout=60) as http,
        httpx.AsyncClient(headers={"authorization": f"Bearer {admin}"}, timeout=60) as screen,
    ):
        venue = Venue(screen, url, activity, code_every_s)
        await venue.fetch()
        fetching = asyncio.create_task(venue.run())
        latencies: list[float] = []
        problems: list[str] = []
        statements: list[int] = []

        async def one(person: str, scheduled: float | None) -> None:
            started = time.perf_counter()
            ok, sql, problem = await check_in_one(http, url, secret, venue, activity, person)
            latencies.append(time.perf_counter() - (scheduled or started))
            if not ok:
                problems.append(problem)
            if sql is not None:
                statements.append(sql)

        began = time.perf_counter()
        if seconds is not None:
            gap = seconds / len(people)
            tasks = []
            for i, person in enumerate(people):
                scheduled = began + i * gap
                await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
                tasks.append(asyncio.create_task(one(person, scheduled)))
            await asyncio.gather(*tasks)
        else:
            queue = iter(people)

            async def worker() -> None:
                for person in queue:
                    await one(person, None)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
        fetching.cancel()
    return {
        "rate": len(people) / elapsed,
        "elapsed": elapsed,
        "latencies": latencies,
        "problems": problems,
        "sql": statistics.mean(statements) if statements else None,
        "code_fetches": venue.fetches,
    }


async def direct_sql_sample(
    stack: Stack, secret: str, admin: str, activity: str, people: list[str]
) -> float | None:
    """SQL statements per check-in, direct to the activities subgraph (gateway's header)."""
    url = stack.service_url("activities")
    gateway = {GATEWAY_HEADER: stack.config.gateway_secret}
    counts = []
    async with (
        httpx.AsyncClient(timeout=60) as http,
        httpx.AsyncClient(
            headers={"authorization": f"Bearer {admin}", **gateway}, timeout=60
        ) as screen,
    ):
        venue = Venue(screen, url, activity, 5)
        await venue.fetch()
        for person in people:
            ok, sql, problem = await check_in_one(
                http, url, secret, venue, activity, person, gateway
            )
            assert ok, problem
            if sql is not None:
                counts.append(sql)
    return statistics.mean(counts) if counts else None


async def checked_in(dsn: str, activities: list[str]) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT activity_id::text AS a, count(*) FILTER (WHERE status = 'CHECKED_IN') AS n "
            "FROM participation WHERE activity_id = ANY($1::uuid[]) GROUP BY activity_id",
            activities,
        )
    finally:
        await conn.close()
    return {r["a"]: r["n"] for r in rows}


def report(label: str, result: dict[str, object], people: int) -> None:
    latencies = result["latencies"]
    problems = result["problems"]
    assert isinstance(latencies, list)
    assert isinstance(problems, list)
    sql = result["sql"]
    sql_text = f"  SQL/request {sql:.1f}" if isinstance(sql, float) else ""
    print(
        f"  {label:<44} {people} check-ins in {result['elapsed']:.1f}s = "
        f"{result['rate']:6.1f} req/s  p50 {pct(latencies, 0.5):6.1f} ms  "
        f"p95 {pct(latencies, 0.95):6.1f} ms  p99 {pct(latencies, 0.99):6.1f} ms  "
        f"max {max(latencies) * 1000:6.1f} ms  errors {len(problems)}{sql_text}  "
        f"(code fetched {result['code_fetches']}x)"
    )
    for problem in sorted(set(problems))[:5]:
        print(f"    error: {problem}")


async def bench(stack: Stack, args: argparse.Namespace) -> int:
    secret = stack.config.jwt_secret
    dsn = stack.database("activities")
    sample = 50
    org, people = await seed_read_model(dsn, 2 * args.people + sample)
    print(
        f"{len(people):,} people and the organiser inserted straight into the activities read "
        "model (person_ref, organization_ref), as the organizations topic would leave them"
    )
    admin = issue_token(
        secret, subject="bench-organiser", roles=["COMMUNITY_ADMIN"], area=COMMUNITY
    )
    url = stack.gateway_url
    open_people, burst_people = people[: args.people], people[args.people : 2 * args.people]
    async with httpx.AsyncClient(headers={"authorization": f"Bearer {admin}"}, timeout=60) as http:
        open_activity = await create_activity(http, url, org, "签到压测（均匀到达）")
        burst_activity = await create_activity(http, url, org, "签到压测（集中到达）")
        sample_activity = await create_activity(http, url, org, "签到压测（直连计数）")
        rates = [
            await sign_up_all(http, url, a, p, args.concurrency)
            for a, p in ((open_activity, open_people), (burst_activity, burst_people))
        ]
    print(
        f"sign-ups by the organiser through the gateway ({args.concurrency} connections): "
        f"{statistics.mean(rates):.0f} req/s"
    )
    print(
        f"\ncheck-ins through the gateway, each with its own MEMBER token and the venue's code "
        f"(fetched by the organiser every {args.code_every:.0f}s), one activity per run:"
    )
    failed = 0
    open_loop = await run_case(
        url,
        secret,
        admin,
        open_activity,
        open_people,
        seconds=args.seconds,
        concurrency=max(args.concurrency, 64),
        code_every_s=args.code_every,
    )
    report(
        f"open loop, {args.people / args.seconds:.0f}/s over {args.seconds:.0f}s",
        open_loop,
        args.people,
    )
    burst = await run_case(
        url,
        secret,
        admin,
        burst_activity,
        burst_people,
        seconds=None,
        concurrency=args.concurrency,
        code_every_s=args.code_every,
    )
    report(f"burst, {args.concurrency} connections", burst, args.people)
    for result in (open_loop, burst):
        assert isinstance(result["problems"], list)
        failed += len(result["problems"])
    sql = await direct_sql_sample(stack, secret, admin, sample_activity, people[-sample:])
    if sql is not None:
        print(
            f"  SQL statements per check-in, {sample} direct to the activities subgraph: {sql:.1f}"
        )
    counts = await checked_in(dsn, [open_activity, burst_activity])
    print(
        f"  CHECKED_IN participations at the end: open loop {counts.get(open_activity, 0)}, "
        f"burst {counts.get(burst_activity, 0)} (expected {args.people} each)"
    )
    for label, result in (("open loop", open_loop), ("burst", burst)):
        p99 = pct(result["latencies"], 0.99)  # type: ignore[arg-type]
        verdict = "met" if p99 <= 100 else "MISSED"
        print(f"  target p99 <= 100 ms, {label}: p99 {p99:.1f} ms -> {verdict}")
    if failed or any(counts.get(a, 0) != args.people for a in (open_activity, burst_activity)):
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--code-every", type=float, default=5.0, help="code fetch interval, s")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="gongjian-bench-"))
    stack = Stack(
        StackConfig(workdir=workdir, gateway_deduplicate=False, fast_unsafe_postgres=True)
    )
    try:
        started = time.perf_counter()
        stack.start()
        print(f"stack started in {time.perf_counter() - started:.1f}s")
        code = asyncio.run(bench(stack, args))
    finally:
        stack.stop()
    raise SystemExit(code)


if __name__ == "__main__":
    main()
