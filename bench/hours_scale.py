"""Volunteer hours at district scale: prints latencies, asserts nothing.

    uv run python bench/hours_scale.py [--participations 5000000] [--people 500000]
                                       [--requests 300]

For the full size and for a tenth of it (same shape: a tenth of the people and activities, ten
participations per person either way), in one run: generates a district (20 streets x 10
communities) straight into two fresh activities databases with SQL (generate_series; indexes
dropped during the load and built after it): people (`person_ref`), activities over five
years (2021-2025), participations (80 % verified, 15 % pending, 5 % rejected), hours added by
hand (1 % of participations) and `volunteer_period` as `refresh_periods` would leave it,
computed with one INSERT ... SELECT ... GROUP BY. Starts the activities service on each and
times, side by side:
  a) a person's hours over the five years: `Person.volunteerHours(from, to)` through
     `_entities` with the gateway's header (as the gateway asks), rotating people, and the
     SQL alone (`people_hours`);
  b) the district's top 100 volunteers of a year: `topVolunteers(areaCode, year, first: 100)`
     over HTTP, and the SQL alone (`top_volunteers`).
Prints p50/p95 per size and the ratio full/tenth of each p95, against the issue's targets
(a: p95 <= 20 ms, b: p95 <= 200 ms, each <= 2x its time at a tenth of the size).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

import asyncpg
import httpx

from gongjian_activities.app import definition
from gongjian_activities.store import participations as store
from gongjian_deploy.infra import LocalBroker, LocalPostgres, create_databases, stop_process
from gongjian_deploy.stack import Stack, StackConfig
from gongjian_kit.auth import issue_token
from gongjian_kit.db import create_pool
from gongjian_kit.hardening import GATEWAY_HEADER
from gongjian_kit.migrations import migrate

DISTRICT = "330106000000"
COMMUNITIES = 200  # 20 streets x 10 communities
DAYS = (date(2026, 1, 1) - date(2021, 1, 1)).days  # five years
FROM, TO = "2021-01-01", "2025-12-31"
YEAR = 2024


def community(x: str) -> str:
    """The community code of serial ``x`` (SQL): 20 streets, 10 communities each."""
    return (
        f"'330106' || lpad((1 + {x} % 20)::text, 3, '0') "
        f"|| lpad((1 + ({x} / 20) % 10)::text, 3, '0')"
    )


HOURS = """query($r: [_Any!]!, $f: Date, $t: Date) { _entities(representations: $r) {
  ... on Person { id volunteerHours(from: $f, to: $t) { verified pending manual total } } } }"""
TOP = """query($a: String, $y: Int!) { topVolunteers(areaCode: $a, year: $y, first: 100) {
  rank totalHours person { id } } }"""


async def without_indexes(conn: asyncpg.Connection, table: str, load: str, *args: object) -> None:
    """Run ``load`` with the table's indexes and constraints (other than CHECK and NOT NULL)
    dropped, then build them again as they were (same names, same definitions). Other tables'
    foreign keys to it are dropped first and added back last."""
    referring = await conn.fetch(
        "SELECT conname, conrelid::regclass::text AS owner, pg_get_constraintdef(oid) AS def "
        "FROM pg_constraint WHERE confrelid = $1::regclass AND conrelid <> $1::regclass "
        "AND contype = 'f'",
        table,
    )
    for r in referring:
        await conn.execute(f"ALTER TABLE {r['owner']} DROP CONSTRAINT {r['conname']}")
    constraints = await conn.fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS def, contype FROM pg_constraint "
        "WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'f') "
        "ORDER BY CASE contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 ELSE 2 END",
        table,
    )
    indexes = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass)",
        table,
    )
    for c in reversed(constraints):
        await conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {c['conname']}")
    for i in indexes:
        await conn.execute(f"DROP INDEX {i['indexname']}")
    await conn.execute(load, *args)
    for c in constraints:
        await conn.execute(f"ALTER TABLE {table} ADD CONSTRAINT {c['conname']} {c['def']}")
    for i in indexes:
        await conn.execute(i["indexdef"])
    for r in referring:
        await conn.execute(f"ALTER TABLE {r['owner']} ADD CONSTRAINT {r['conname']} {r['def']}")


async def generate(dsn: str, participations: int, people: int) -> dict[str, float]:
    """Fill an activities database; returns seconds per step."""
    per_person = max(1, participations // people)
    # About 50 people per activity, and enough in each community for a person's to differ.
    activities = max(COMMUNITIES * per_person, participations // 50 // COMMUNITIES * COMMUNITIES)
    per_community = activities // COMMUNITIES
    step = max(1, per_community // per_person)  # a person's activities are distinct
    timings: dict[str, float] = {}
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET work_mem = '256MB'; SET maintenance_work_mem = '1GB'")
        started = time.perf_counter()
        await conn.execute(
            f"INSERT INTO person_ref (id, area_code, age_band, political_status) "
            f"SELECT md5('p' || p)::uuid, {community('p')}, "
            f"(ARRAY['18-35', '36-60', '60+'])[1 + p % 3], "
            f"(ARRAY['MASSES', 'LEAGUE_MEMBER', 'PARTY_MEMBER'])[1 + p % 3] "
            f"FROM generate_series(0, $1 - 1) p",
            people,
        )
        timings["people"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute(
            f"INSERT INTO activity (id, title, line, category, area_code, starts_at, ends_at, "
            f"status, created_by, capacity, published_at, completed_at, people_served) "
            f"SELECT md5('a' || a)::uuid, '志愿服务' || a, 'SERVING_THE_PEOPLE', "
            f"'VOLUNTEER_SERVICE', {community('a')}, s, s + interval '4 hours', 'COMPLETED', "
            f"'bench', 100, s - interval '7 days', s + interval '4 hours', 30 "
            f"FROM (SELECT a, ((date '2021-01-01' + (a * 7919) % {DAYS}) + time '09:00') "
            f"  AT TIME ZONE 'Asia/Shanghai' AS s FROM generate_series(0, $1 - 1) a) x",
            activities,
        )
        timings["activities"] = time.perf_counter() - started
        started = time.perf_counter()
        # Participation g: person g % people, their (g / people)-th activity, in their community.
        await without_indexes(
            conn,
            "participation",
            f"""
            INSERT INTO participation (id, activity_id, person_id, role, status, area_code,
                person_area_code, activity_date, signed_up_at, checked_in_at, check_in_method,
                checked_in_by, checked_out_at, claimed_hours, hours_status, verified_hours,
                verified_by, verified_at)
            SELECT gen_random_uuid(), md5('a' || a)::uuid, md5('p' || p)::uuid, 'VOLUNTEER',
                   'CHECKED_OUT', {community("a")}, {community("p")}, d,
                   s - interval '3 days', s, 'CODE', 'member', s + h * interval '1 hour', h,
                   st, CASE WHEN st = 'VERIFIED' THEN h END,
                   CASE WHEN st <> 'PENDING' THEN 'organiser' END,
                   CASE WHEN st <> 'PENDING' THEN s + interval '1 day' END
            FROM (
              SELECT g, p, a, d, ((d + time '09:00') AT TIME ZONE 'Asia/Shanghai') AS s,
                     (1 + (g % 7) * 0.5)::numeric(6, 2) AS h,
                     CASE WHEN g % 20 < 16 THEN 'VERIFIED' WHEN g % 20 < 19 THEN 'PENDING'
                          ELSE 'REJECTED' END AS st
              FROM (
                SELECT g, p, a, date '2021-01-01' + (a * 7919) % {DAYS} AS d
                FROM (
                  SELECT g, g % $2 AS p,
                         g % $2 % {COMMUNITIES} + {COMMUNITIES}
                           * (((g % $2) / {COMMUNITIES} * 7 + (g / $2) * $3) % $4) AS a
                  FROM generate_series(0, $1 - 1) g) x) y) z""",
            participations,
            people,
            step,
            per_community,
        )
        timings["participations"] = time.perf_counter() - started
        started = time.perf_counter()
        await without_indexes(
            conn,
            "manual_hours",
            f"INSERT INTO manual_hours (id, person_id, area_code, served_on, hours, reason, "
            f"added_by) SELECT gen_random_uuid(), md5('p' || p)::uuid, {community('p')}, "
            f"date '2021-01-01' + (g * 31) % {DAYS}, 2, '补录：纸质签到表', 'bench' "
            f"FROM (SELECT g, (g * 13) % $2 AS p FROM generate_series(0, $1 - 1) g) x",
            participations // 100,
            people,
        )
        # As refresh_periods leaves it: one row per person and year or month they have hours
        # in (verified or pending or added), area = the person's, total = verified + manual.
        await without_indexes(
            conn,
            "volunteer_period",
            """
            INSERT INTO volunteer_period (person_id, period, area_code, verified, manual, total)
            SELECT s.person_id, s.period, r.area_code, s.verified, s.manual,
                   s.verified + s.manual
            FROM (
              SELECT person_id, CASE WHEN y IS NULL THEN m ELSE y END AS period,
                     sum(v) AS verified, sum(mh) AS manual
              FROM (
                SELECT person_id, to_char(activity_date, 'YYYY') AS y,
                       to_char(activity_date, 'YYYY-MM') AS m,
                       CASE WHEN hours_status = 'VERIFIED' THEN verified_hours ELSE 0 END AS v,
                       0::numeric AS mh
                FROM participation
                UNION ALL
                SELECT person_id, to_char(served_on, 'YYYY'), to_char(served_on, 'YYYY-MM'),
                       0, hours FROM manual_hours) h
              GROUP BY GROUPING SETS ((person_id, y), (person_id, m))) s
            JOIN person_ref r ON r.id = s.person_id""",
        )
        timings["hours and volunteer_period"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        timings["vacuum analyze"] = time.perf_counter() - started
    finally:
        await conn.close()
    return timings


async def prepare(dsn: str, participations: int, people: int) -> dict[str, float]:
    pool = await create_pool(dsn, min_size=1, max_size=2)
    await migrate(pool, "activities", definition.migrations)
    await pool.close()
    return await generate(dsn, participations, people)


def person_id(p: int) -> str:
    """The id generate() gives person p (md5('p' || p)::uuid)."""
    return str(uuid.UUID(hashlib.md5(f"p{p}".encode()).hexdigest()))  # noqa: S324


async def timed(
    requests: int, call: Callable[[int], Awaitable[None]], warm_up: int = 20
) -> list[float]:
    latencies = []
    for i in range(requests + warm_up):
        started = time.perf_counter()
        await call(i)
        if i >= warm_up:
            latencies.append(time.perf_counter() - started)
    return latencies


Cases = dict[tuple[str, str], list[float]]


async def graphql(
    http: httpx.AsyncClient,
    url: str,
    query: str,
    variables: dict[str, object],
    seen: list[int],
    headers: dict[str, str] | None = None,
) -> dict[str, object]:
    """POST a query (``headers`` beside the client's: another caller's token, say); raises on
    errors; appends the statements the service reports (``extensions.sqlStatements``) to
    ``seen``."""
    body = (
        await http.post(url, json={"query": query, "variables": variables}, headers=headers)
    ).json()
    if "errors" in body:
        raise RuntimeError(body)
    if (n := (body.get("extensions") or {}).get("sqlStatements")) is not None:
        seen.append(n)
    data: dict[str, object] = body["data"]
    return data


async def measure(
    sizes: dict[str, tuple[str, str, int]],
    token: str,
    gateway_secret: str,
    requests: int,
    sql_requests: int,
) -> tuple[Cases, dict[tuple[str, str], float]]:
    """Each case against each size in turn (the sizes side by side in one run)."""
    results: Cases = {}
    statements: dict[tuple[str, str], float] = {}
    rng = random.Random(8)
    headers = {"authorization": f"Bearer {token}", GATEWAY_HEADER: gateway_secret}
    hours_case = "a. person's hours, 5 years, _entities"
    hours_sql_case = "a. person's hours, 5 years, SQL alone"
    top_case = f"b. district top 100 of {YEAR}, GraphQL"
    top_sql_case = f"b. district top 100 of {YEAR}, SQL alone"
    async with httpx.AsyncClient(headers=headers, timeout=60) as http:
        conns = {name: await asyncpg.connect(dsn) for name, (dsn, _, _) in sizes.items()}
        try:
            for case in (hours_case, hours_sql_case, top_case, top_sql_case):
                for name, (_, url, people) in sizes.items():
                    conn, seen = conns[name], []

                    async def call(
                        i: int,
                        case: str = case,
                        url: str = url,
                        people: int = people,
                        conn: asyncpg.Connection = conn,
                        seen: list[int] = seen,
                    ) -> None:
                        pid = person_id(rng.randrange(people))
                        if case == hours_case:
                            variables = {
                                "r": [{"__typename": "Person", "id": pid}],
                                "f": FROM,
                                "t": TO,
                            }
                            data = await graphql(http, url, HOURS, variables, seen)
                            entity = data["_entities"][0]  # type: ignore[index]
                            if entity["volunteerHours"] is None:
                                raise RuntimeError(data)
                        elif case == hours_sql_case:
                            key = (uuid.UUID(pid), date(2021, 1, 1), date(2025, 12, 31))
                            await store.people_hours(conn, [key])
                        elif case == top_case:
                            variables = {"a": DISTRICT, "y": YEAR}
                            data = await graphql(http, url, TOP, variables, seen)
                            if len(data["topVolunteers"]) != 100:  # type: ignore[arg-type]
                                raise RuntimeError(data)
                        else:
                            await store.top_volunteers(conn, "330106%", str(YEAR), 100)

                    count = requests if "SQL alone" not in case else sql_requests
                    results[(name, case)] = await timed(count, call)
                    if seen:
                        statements[(name, case)] = statistics.mean(seen)
        finally:
            for conn in conns.values():
                await conn.close()
    return results, statements


async def explain(dsn: str, people: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        pid = uuid.UUID(person_id(people // 3))
        for label, sql, args in (
            (
                "people_hours",
                "SELECT coalesce((SELECT sum(p.verified_hours) FROM participation p "
                "WHERE p.person_id = $1 AND p.hours_status = 'VERIFIED' "
                "AND p.activity_date >= $2 AND p.activity_date <= $3), 0)",
                (pid, date(2021, 1, 1), date(2025, 12, 31)),
            ),
            (
                "top_volunteers",
                "SELECT person_id, verified, manual, total FROM volunteer_period "
                "WHERE period = $1 AND area_code LIKE $2 AND total > 0 "
                "ORDER BY total DESC, person_id LIMIT $3",
                (str(YEAR), "330106%", 100),
            ),
        ):
            plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
            print(f"  EXPLAIN ANALYZE {label}:")
            for row in plan:
                print(f"    {row[0]}")
    finally:
        await conn.close()


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def size_stack(
    config: StackConfig,
    name: str,
    postgres_url: str,
    bootstrap: str,
    services: tuple[str, ...] = ("activities",),
) -> Stack:
    """The stack of one size: its own database per service of ``services``
    (``bench_<name>_<service>``, created here, empty), the run's secrets, PostgreSQL and
    broker."""
    stack = Stack(
        StackConfig(
            workdir=config.workdir,
            database_prefix=f"bench_{name}",
            jwt_secret=config.jwt_secret,
            gateway_secret=config.gateway_secret,
            personal_data_key=config.personal_data_key,
            personal_data_hmac_key=config.personal_data_hmac_key,
        ),
        server_url=postgres_url,
        bootstrap=bootstrap,
    )
    create_databases(postgres_url, [f"bench_{name}_{service}" for service in services])
    return stack


def start_service(
    stack: Stack, service: str, name: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``service`` (activities, evaluation …) on ``stack``'s database for it, with ``env``
    beside the stack's environment, and wait until its port is open; the caller stops it
    (``stop_process``)."""
    part = stack._spawn(
        f"{service}-{name}",
        [sys.executable, "-m", f"gongjian_{service}"],
        env={**stack.service_env(service), **(env or {})},
        cwd=Path.cwd(),
        url=stack.service_url(service),
        port=stack.config.service_ports[service],
    )
    return part.process


def start_activities(stack: Stack, name: str) -> subprocess.Popen[bytes]:
    """Start the activities service on ``stack``'s database and wait until its port is open;
    the caller stops it (``stop_process``)."""
    return start_service(stack, "activities", name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participations", type=int, default=5_000_000)
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--requests", type=int, default=300, help="per GraphQL case and size")
    parser.add_argument("--sql-requests", type=int, default=1000, help="per SQL case and size")
    parser.add_argument("--explain", action="store_true", help="print the plans at full size")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="gongjian-bench-"))
    postgres = LocalPostgres(workdir, fast_unsafe=True)
    broker = LocalBroker(log_path=workdir / "broker.log")
    postgres_url = postgres.start()
    bootstrap = broker.start()
    processes = []
    config = StackConfig(workdir=workdir)
    (workdir / "logs").mkdir(exist_ok=True)
    try:
        sizes: dict[str, tuple[str, str, int]] = {}
        for name, factor in (("tenth", 10), ("full", 1)):
            participations, people = args.participations // factor, args.people // factor
            stack = size_stack(config, name, postgres_url, bootstrap)
            dsn = stack.database("activities")
            started = time.perf_counter()
            timings = asyncio.run(prepare(dsn, participations, people))
            print(
                f"== {name}: {participations:,} participations, {people:,} people, generated "
                f"in {time.perf_counter() - started:.0f}s ("
                + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
                + ")"
            )
            processes.append(start_activities(stack, name))
            sizes[name] = (dsn, stack.service_url("activities"), people)
        asyncio.run(describe(sizes))
        token = issue_token(
            config.jwt_secret, subject="bench", roles=["DISTRICT_ADMIN"], area=DISTRICT
        )
        results, statements = asyncio.run(
            measure(sizes, token, config.gateway_secret, args.requests, args.sql_requests)
        )
        print(
            f"\n{'size':<6} {'query':<44} {'p50 ms':>8} {'p95 ms':>8} {'p95 ratio':>10} "
            f"{'SQL/req':>8}  target"
        )
        targets = {"a.": 20.0, "b.": 200.0}
        for query in dict.fromkeys(q for _, q in results):
            base = ms(results[("tenth", query)], 0.95)
            for name in sizes:
                values = results[(name, query)]
                p95 = ms(values, 0.95)
                ratio = p95 / base
                sql = statements.get((name, query))
                target = targets[query[:2]]
                verdict = f"p95 <= {target:.0f} ms {'met' if p95 <= target else 'MISSED'}" + (
                    f", ratio <= 2 {'met' if ratio <= 2 else 'MISSED'}" if name == "full" else ""
                )
                print(
                    f"{name:<6} {query:<44} {ms(values, 0.5):8.2f} {p95:8.2f} "
                    f"{ratio:9.2f}x {(f'{sql:.0f}' if sql is not None else '-'):>8}  {verdict}"
                )
        if args.explain:
            print("\nplans at full size:")
            asyncio.run(explain(sizes["full"][0], sizes["full"][2]))
    finally:
        for process in processes:
            stop_process(process)
        broker.stop()
        postgres.stop()


async def describe(sizes: dict[str, tuple[str, str, int]]) -> None:
    for name, (dsn, _, _) in sizes.items():
        conn = await asyncpg.connect(dsn)
        try:
            counts = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM participation) AS participations, "
                "(SELECT count(*) FROM activity) AS activities, "
                "(SELECT count(*) FROM person_ref) AS people, "
                "(SELECT count(*) FROM manual_hours) AS manual, "
                "(SELECT count(*) FROM volunteer_period) AS periods, "
                "pg_size_pretty(pg_database_size(current_database())) AS size"
            )
        finally:
            await conn.close()
        print(
            f"  {name}: {counts['participations']:,} participations, {counts['activities']:,} "
            f"activities, {counts['people']:,} people, {counts['manual']:,} hours added by hand, "
            f"{counts['periods']:,} volunteer_period rows; database {counts['size']}"
        )


if __name__ == "__main__":
    main()
