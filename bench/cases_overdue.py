"""Overdue cases at district scale: prints latencies, asserts nothing (but that answers are right).

    uv run python bench/cases_overdue.py [--cases 200000] [--requests 300] [--sql-requests 1000]

For the full size and for a tenth of it, in one run: generates a district's case desk (20
streets x 10 communities) straight into two fresh activities databases with SQL
(generate_series; indexes dropped during the load and built after it, see hours_scale.py):
420 organisations in `organization_ref` (a party working committee per street, the superior of
two organisations in each community) and `service_case` rows received over the past two years
(82 % CLOSED, 10 % RESOLVED, 8 % still pending, of which half past their deadline and escalated
to the street, as the deadline sweep would leave them), categories from the seeded catalogue,
urgencies with their limits (1, 5, 15 working days, spread as 2, 7, 21 calendar days),
requesters mostly anonymous or named (the name and phone as opaque bytes: nothing here asks for
them, so nothing decrypts), numbered in the order received (unique). No timelines
(`case_step`): the lists do not read them. VACUUM after the load leaves every page all-visible
(the counts are index-only scans). Starts the activities service on each size and times, side
by side, over HTTP with
the gateway's header, never the same request twice in a row (50 district admins' tokens, five
per street, rotating; cursors rotating):
  a) the district's overdue list, first page: `cases(areaCode, overdue: true, first: 20)
     { totalCount edges { node { id number dueOn status organization { id } } } }` as a
     DISTRICT_ADMIN, and the same SQL alone (`cases_page` and `count_cases`);
  b) a street's overdue list, the 20 streets in turn, as their STREET_ADMINs;
  c) the district's next pages (`after` the first 25 pages' end cursors, in turn).
Prints p50/p95/p99 per size, the ratio full/tenth of each p95, SQL statements per request (the
service's `extensions.sqlStatements`), the plans of the district's statements at full size
(EXPLAIN ANALYZE) and a verdict against issue 9's target: the district's overdue list at 200k
cases p95 <= 50 ms, and <= 2x its time at a tenth of the size.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from hours_scale import (
    community,
    graphql,
    ms,
    size_stack,
    start_activities,
    timed,
    without_indexes,
)

from gongjian_activities.app import definition
from gongjian_activities.store import cases as store
from gongjian_deploy.infra import LocalBroker, LocalPostgres, stop_process
from gongjian_deploy.stack import StackConfig
from gongjian_kit import clock
from gongjian_kit.auth import issue_token
from gongjian_kit.db import create_pool
from gongjian_kit.hardening import GATEWAY_HEADER
from gongjian_kit.migrations import migrate

DISTRICT = "330106000000"
STREETS = 20
TARGET_MS = 50.0
PAGES = 25  # cursors for case c: the ends of the district's first 25 pages
ZONE = "Asia/Shanghai"

LIST = """query($a: String, $after: String) {
  cases(areaCode: $a, overdue: true, first: 20, after: $after) {
    totalCount edges { node { id number dueOn status organization { id } } } } }"""
WALK = """query($a: String, $after: String) {
  cases(areaCode: $a, overdue: true, first: 20, after: $after) {
    edges { node { dueOn } } pageInfo { endCursor hasNextPage } } }"""


def street(s: int) -> str:
    """The code of street ``s`` (1 to 20), as ``community`` numbers them."""
    return f"330106{s:03d}000"


async def generate(dsn: str, cases: int, today: date) -> dict[str, float]:
    """Fill an activities database (migrated, empty); returns seconds per step."""
    timings: dict[str, float] = {}
    conn = await asyncpg.connect(dsn)
    try:
        # Commits flushed at once (the server runs with synchronous_commit off): VACUUM sets no
        # hint bits, so marks no page all-visible, while the commit that wrote a row is unflushed.
        await conn.execute(
            "SET work_mem = '256MB'; SET maintenance_work_mem = '1GB'; SET synchronous_commit = on"
        )
        started = time.perf_counter()
        # Street s (0 to 19): its party working committee md5('s' || s), the superior of the
        # organisations o (0 to 399) with o % 20 = s: two in each community, community(o).
        await conn.execute(
            "INSERT INTO organization_ref (id, area_code, family, kind, name) "
            "SELECT md5('s' || s)::uuid, '330106' || lpad((1 + s)::text, 3, '0') || '000', "
            "'PARTY', 'PARTY_COMMITTEE', '街道党工委' || s FROM generate_series(0, 19) s"
        )
        await conn.execute(
            f"INSERT INTO organization_ref (id, area_code, family, kind, name, parent_id) "
            f"SELECT md5('o' || o)::uuid, {community('o')}, "
            f"CASE WHEN o < 200 THEN 'PARTY' ELSE (ARRAY['TRADE_UNION', 'YOUTH_LEAGUE', "
            f"  'WOMENS_FEDERATION'])[1 + o % 3] END, "
            f"CASE WHEN o < 200 THEN 'PARTY_BRANCH' ELSE (ARRAY['TRADE_UNION', 'YOUTH_LEAGUE', "
            f"  'WOMENS_FEDERATION'])[1 + o % 3] END, "
            f"'社区组织' || o, md5('s' || o % 20)::uuid FROM generate_series(0, 399) o"
        )
        timings["organisations"] = time.perf_counter() - started
        started = time.perf_counter()
        # Case g: area serial x (g + g / 100: the status bucket g % 100 does not pick the
        # street), handled by one of its community's two organisations.
        await without_indexes(
            conn,
            "service_case",
            f"""
            INSERT INTO service_case (id, seq, number, channel, category, urgency, title,
                description, area_code, organization_id, requester_kind, requester_person_id,
                requester_name_enc, requester_phone_enc, received_at, opened_on, limit_days,
                due_on, status, accepted_at, started_at, resolved_at, resolved_on, resolution,
                working_days, on_time, closed_at, satisfaction, requester_reached, reopen_count,
                escalated_at, escalated_to, created_by, created_at, updated_at)
            SELECT md5('c' || g)::uuid, seq,
                   'SQ' || to_char(opened_on, 'YYYYMMDD') || lpad(seq::text, 6, '0'),
                   (ARRAY['HOTLINE', 'HOTLINE', 'HOTLINE', 'WORKSTATION', 'CONTACT_CARD',
                          'SUGGESTION_BOX', 'DELIBERATION_DAY', 'ERRAND', 'VISIT', 'ONLINE'])
                     [1 + (g / 11) % 10],
                   codes[1 + (g / 13) % cardinality(codes)], urgency,
                   '关于' || labels[1 + (g / 13) % cardinality(codes)] || '的诉求',
                   CASE WHEN g % 4 = 0 THEN '诉求人反映的情况，详见来电记录。' END,
                   {community("x")}, md5('o' || (x % 200 + 200 * ((g / 7) % 2)))::uuid,
                   rk, CASE WHEN rk = 'PERSON' THEN md5('p' || g % 50000)::uuid END,
                   CASE WHEN rk = 'NAMED' THEN decode(md5('n' || g), 'hex') END,
                   CASE WHEN rk = 'NAMED' THEN decode(md5('t' || g), 'hex') END,
                   received_at, opened_on, lim, opened_on + span, status,
                   CASE WHEN status <> 'OPEN' THEN received_at + interval '2 hours' END,
                   CASE WHEN status NOT IN ('OPEN', 'ACCEPTED')
                        THEN received_at + interval '1 day' END,
                   resolved_at, resolved_on,
                   CASE WHEN resolved_on IS NOT NULL THEN '已协调相关单位办结并答复诉求人' END,
                   (resolved_on - opened_on) * 5 / 7, resolved_on <= opened_on + span,
                   CASE WHEN status = 'CLOSED' THEN least(resolved_at + interval '3 days',
                                                        now()) END,
                   CASE WHEN status = 'CLOSED' AND g % 20 <> 7
                        THEN (ARRAY[5, 5, 5, 4, 4, 5, 3, 4, 2, 1])[1 + (g / 7) % 10] END,
                   CASE WHEN status = 'CLOSED' THEN g % 20 <> 7 END,
                   CASE WHEN status = 'CLOSED' AND g % 97 = 0 THEN 1 ELSE 0 END,
                   escalated_at, CASE WHEN escalated_at IS NOT NULL
                                      THEN md5('s' || x % 20)::uuid END,
                   'bench', received_at,
                   coalesce(escalated_at, resolved_at, received_at)
            FROM (
              SELECT *, row_number() OVER (ORDER BY received_at, g) AS seq,
                        CASE WHEN resolved_on IS NOT NULL
                             THEN (resolved_on + time '17:30') AT TIME ZONE '{ZONE}' END
                          AS resolved_at,
                        CASE WHEN overdue
                             THEN (opened_on + span + 1 + time '00:05') AT TIME ZONE '{ZONE}'
                        END AS escalated_at
              FROM (
                SELECT *, (opened_on + time '08:30' + (g * 17) % 480 * interval '1 minute')
                            AT TIME ZONE '{ZONE}' AS received_at,
                          CASE WHEN b >= 8 THEN least($2::date, opened_on + g % (span + 4))
                          END AS resolved_on
                FROM (
                  SELECT *,
                         -- overdue by 1 to 120 days; pending within the limit; over two years
                         CASE WHEN overdue THEN $2::date - span - 1 - (g * 31) % 120
                              WHEN b < 8 THEN $2::date - (g / 2) % span
                              ELSE $2::date - 3 - ((g::bigint * 7919) % 727)::int END AS opened_on
                  FROM (
                    SELECT g, g + g / 100 AS x, b, b < 8 AND b % 2 = 0 AS overdue,
                           CASE WHEN b < 2 THEN 'OPEN' WHEN b < 4 THEN 'ACCEPTED'
                                WHEN b < 8 THEN 'IN_PROGRESS' WHEN b < 18 THEN 'RESOLVED'
                                ELSE 'CLOSED' END AS status,
                           CASE WHEN u < 2 THEN 'URGENT' WHEN u < 8 THEN 'NORMAL'
                                ELSE 'COMPLEX' END AS urgency,
                           CASE WHEN u < 2 THEN 1 WHEN u < 8 THEN 5 ELSE 15 END AS lim,
                           CASE WHEN u < 2 THEN 2 WHEN u < 8 THEN 7 ELSE 21 END AS span,
                           CASE WHEN (g / 3) % 10 < 5 THEN 'ANONYMOUS'
                                WHEN (g / 3) % 10 < 9 THEN 'NAMED' ELSE 'PERSON' END AS rk
                    FROM (SELECT g, g % 100 AS b, (g / 100) % 10 AS u
                          FROM generate_series(0, $1 - 1) g) s) t) v) w) y
            CROSS JOIN (SELECT array_agg(code ORDER BY sort, code) AS codes,
                               array_agg(label_zh ORDER BY sort, code) AS labels
                        FROM case_category WHERE active) c
            ORDER BY seq  -- as the desk received them: recent cases in the last pages""",
            cases,
            today,
        )
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence('service_case', 'seq'), max(seq)) "
            "FROM service_case"
        )
        timings["cases"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        for _ in range(3):  # every page all-visible, as autovacuum leaves a settled table
            row = await conn.fetchrow(
                "SELECT relpages, relallvisible FROM pg_class WHERE oid = 'service_case'::regclass"
            )
            if row is None or row["relallvisible"] >= row["relpages"]:
                break
            await conn.execute("VACUUM service_case")
        timings["vacuum analyze"] = time.perf_counter() - started
    finally:
        await conn.close()
    return timings


async def prepare(dsn: str, cases: int, today: date) -> dict[str, float]:
    pool = await create_pool(dsn, min_size=1, max_size=2)
    await migrate(pool, "activities", definition.migrations)
    await pool.close()
    return await generate(dsn, cases, today)


class Size:
    """One size: its database, service and what its answers must be."""

    def __init__(self, name: str, dsn: str, url: str) -> None:
        self.name, self.dsn, self.url = name, dsn, url
        self.expected: dict[str, int] = {}  # area code -> overdue cases in it
        self.cursors: list[str] = []
        self.description = ""

    async def describe(self, today: date) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            rows = await conn.fetch(
                f"SELECT substr(area_code, 1, 9) AS street, count(*) AS n FROM service_case "
                f"WHERE status IN {store.PENDING_SQL} AND due_on < $1 GROUP BY 1",
                today,
            )
            self.expected = {f"{r['street']}000": r["n"] for r in rows}
            self.expected[DISTRICT] = sum(r["n"] for r in rows)
            counts = await conn.fetchrow(
                "SELECT count(*) AS cases, count(*) FILTER (WHERE status IN "
                f"{store.PENDING_SQL}) AS pending, (SELECT count(*) FROM organization_ref) "
                "AS orgs, count(DISTINCT number) AS numbers, "
                "min(received_at)::date AS first, max(received_at)::date AS last, "
                "pg_size_pretty(pg_total_relation_size('service_case')) AS size FROM service_case"
            )
        finally:
            await conn.close()
        assert counts is not None
        self.description = (
            f"{counts['cases']:,} cases ({counts['numbers']:,} distinct numbers) received "
            f"{counts['first']} to {counts['last']}, {counts['pending']:,} pending, "
            f"{self.expected[DISTRICT]:,} overdue; {counts['orgs']} organisations; "
            f"service_case with its indexes {counts['size']}"
        )

    async def walk(self, http: httpx.AsyncClient, token: str, today: date) -> None:
        """The end cursors of the district's first pages (checking the order on the way)."""
        after, last = None, date.min
        while len(self.cursors) < PAGES:
            data = await graphql(
                http,
                self.url,
                WALK,
                {"a": DISTRICT, "after": after},
                [],
                {"authorization": f"Bearer {token}"},
            )
            page: Any = data["cases"]
            for edge in page["edges"]:
                due = date.fromisoformat(edge["node"]["dueOn"])
                if not last <= due < today:
                    raise RuntimeError(f"out of order or not overdue: {due} after {last}")
                last = due
            if not page["pageInfo"]["hasNextPage"]:
                raise RuntimeError(f"{self.name}: fewer than {PAGES + 1} pages of overdue cases")
            after = page["pageInfo"]["endCursor"]
            self.cursors.append(after)


DISTRICT_CASE = "a. district overdue, first 20"
DISTRICT_SQL_CASE = "a. the same, SQL alone (page + count)"
STREET_CASE = "b. a street's overdue, first 20"
NEXT_CASE = "c. district overdue, next pages (after)"
CASES = (DISTRICT_CASE, DISTRICT_SQL_CASE, STREET_CASE, NEXT_CASE)

Results = dict[tuple[str, str], list[float]]


async def measure(
    sizes: list[Size], config: StackConfig, today: date, requests: int, sql_requests: int
) -> tuple[Results, dict[tuple[str, str], float]]:
    """Each case against each size in turn (the sizes side by side in one run)."""
    district_tokens = [
        issue_token(
            config.jwt_secret,
            subject=f"bench-district-{i}",
            roles=["DISTRICT_ADMIN"],
            area=DISTRICT,
        )
        for i in range(50)
    ]
    street_tokens = {
        s: [
            issue_token(
                config.jwt_secret,
                subject=f"bench-street-{s}-{i}",
                roles=["STREET_ADMIN"],
                area=street(s),
            )
            for i in range(5)
        ]
        for s in range(1, STREETS + 1)
    }
    results: Results = {}
    statements: dict[tuple[str, str], float] = {}
    rng = random.Random(9)
    async with httpx.AsyncClient(
        headers={GATEWAY_HEADER: config.gateway_secret}, timeout=60
    ) as http:
        for size in sizes:
            await size.walk(http, district_tokens[0], today)
        conns = {size.name: await asyncpg.connect(size.dsn) for size in sizes}
        try:
            for case in CASES:
                for size in sizes:
                    conn, seen = conns[size.name], []
                    offset = rng.randrange(1000)

                    async def call(
                        i: int,
                        case: str = case,
                        size: Size = size,
                        conn: asyncpg.Connection = conn,
                        seen: list[int] = seen,
                        offset: int = offset,
                    ) -> None:
                        i += offset
                        if case == DISTRICT_SQL_CASE:
                            filters = store.CaseFilter(
                                area_like="330106%", today=today, overdue=True
                            )
                            rows = await store.cases_page(conn, filters, None, 21)
                            total = await store.count_cases(conn, filters)
                            if len(rows) != 21 or total != size.expected[DISTRICT]:
                                raise RuntimeError((len(rows), total))
                            return
                        area, after = DISTRICT, None
                        token = district_tokens[i % len(district_tokens)]
                        if case == STREET_CASE:
                            s = 1 + i % STREETS
                            area, token = street(s), street_tokens[s][i // STREETS % 5]
                        elif case == NEXT_CASE:
                            after = size.cursors[i % len(size.cursors)]
                        data = await graphql(
                            http,
                            size.url,
                            LIST,
                            {"a": area, "after": after},
                            seen,
                            {"authorization": f"Bearer {token}"},
                        )
                        page: Any = data["cases"]
                        if page["totalCount"] != size.expected[area] or len(page["edges"]) != 20:
                            raise RuntimeError((area, page["totalCount"], len(page["edges"])))

                    count = sql_requests if case == DISTRICT_SQL_CASE else requests
                    results[(size.name, case)] = await timed(count, call)
                    if seen:
                        statements[(size.name, case)] = statistics.mean(seen)
        finally:
            for conn in conns.values():
                await conn.close()
    return results, statements


class Explaining:
    """Stands for a connection: runs each statement the store sends under EXPLAIN ANALYZE
    and keeps the plan (so the plans are of exactly the store's SQL)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.plans: list[list[str]] = []

    async def _explain(self, sql: str, *args: object) -> None:
        rows = await self.conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
        self.plans.append([r[0] for r in rows])

    async def fetch(self, sql: str, *args: object) -> list[Any]:
        await self._explain(sql, *args)
        return []

    async def fetchval(self, sql: str, *args: object) -> int:
        await self._explain(sql, *args)
        return 0


async def explain(size: Size, today: date) -> None:
    conn = await asyncpg.connect(size.dsn)
    try:
        # Heap fetches in an index-only scan come from pages not all-visible: written since the
        # VACUUM after the load (the deadline sweep, say).
        stats = await conn.fetchrow(
            "SELECT n_tup_upd, n_tup_del, autovacuum_count, c.relpages, c.relallvisible "
            "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "WHERE s.relname = 'service_case'"
        )
        assert stats is not None
        print(
            f"  service_case: {stats['n_tup_upd']} rows updated and {stats['n_tup_del']} deleted "
            f"since the load, {stats['relallvisible']:,} of {stats['relpages']:,} pages "
            f"all-visible, {stats['autovacuum_count']} autovacuums"
        )
        for label, like in (("district", "330106%"), ("street 330106007000", "330106007%")):
            shim = Explaining(conn)
            filters = store.CaseFilter(area_like=like, today=today, overdue=True)
            await store.cases_page(shim, filters, None, 21)  # type: ignore[arg-type]
            await store.count_cases(shim, filters)  # type: ignore[arg-type]
            for statement, plan in zip(("cases_page", "count_cases"), shim.plans, strict=True):
                print(f"  EXPLAIN ANALYZE {statement}, {label}:")
                for line in plan:
                    print(f"    {line}")
    finally:
        await conn.close()


def report(sizes: list[Size], results: Results, statements: dict[tuple[str, str], float]) -> None:
    print(
        f"\n{'size':<6} {'query':<40} {'requests':>8} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'p95 ratio':>9} {'SQL/req':>7}  target"
    )
    for query in CASES:
        base = ms(results[("tenth", query)], 0.95)
        for size in sizes:
            values = results[(size.name, query)]
            p95 = ms(values, 0.95)
            ratio = p95 / base
            sql = statements.get((size.name, query))
            if query == DISTRICT_SQL_CASE:
                verdict = "-"
            else:
                verdict = f"p95 <= {TARGET_MS:.0f} ms {'met' if p95 <= TARGET_MS else 'MISSED'}"
                if size.name == "full":
                    verdict += f", ratio <= 2 {'met' if ratio <= 2 else 'MISSED'}"
            print(
                f"{size.name:<6} {query:<40} {len(values):8d} {ms(values, 0.5):7.2f} {p95:7.2f} "
                f"{ms(values, 0.99):7.2f} {ratio:8.2f}x "
                f"{(f'{sql:.0f}' if sql is not None else '-'):>7}  {verdict}"
            )
    full = ms(results[("full", DISTRICT_CASE)], 0.95)
    ratio = full / ms(results[("tenth", DISTRICT_CASE)], 0.95)
    met = full <= TARGET_MS and ratio <= 2
    print(
        f"\nverdict: the district's overdue list (a) at full size p95 {full:.2f} ms "
        f"(<= {TARGET_MS:.0f} ms: {'met' if full <= TARGET_MS else 'MISSED'}), "
        f"{ratio:.2f}x its p95 at a tenth (<= 2x: {'met' if ratio <= 2 else 'MISSED'}): "
        f"issue 9's target {'MET' if met else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=300, help="per GraphQL case and size")
    parser.add_argument("--sql-requests", type=int, default=1000, help="per SQL case and size")
    args = parser.parse_args()
    today = clock.today()  # the service's "today" (the programme's day), read once: same day
    workdir = Path(tempfile.mkdtemp(prefix="gongjian-bench-"))
    postgres = LocalPostgres(workdir, fast_unsafe=True)
    broker = LocalBroker(log_path=workdir / "broker.log")
    postgres_url = postgres.start()
    bootstrap = broker.start()
    processes = []
    config = StackConfig(workdir=workdir)
    (workdir / "logs").mkdir(exist_ok=True)
    try:
        stacks = {}
        # Both databases first, then the services (whose commits would be beside VACUUM's).
        for name, factor in (("tenth", 10), ("full", 1)):
            cases = args.cases // factor
            stacks[name] = stack = size_stack(config, name, postgres_url, bootstrap)
            started = time.perf_counter()
            timings = asyncio.run(prepare(stack.database("activities"), cases, today))
            print(
                f"== {name}: {cases:,} cases generated in {time.perf_counter() - started:.0f}s ("
                + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
                + ")"
            )
        sizes: list[Size] = []
        for name, stack in stacks.items():
            dsn = stack.database("activities")
            processes.append(start_activities(stack, name))
            size = Size(name, dsn, stack.service_url("activities"))
            asyncio.run(size.describe(today))
            print(f"  {size.description}")
            sizes.append(size)
        results, statements = asyncio.run(
            measure(sizes, config, today, args.requests, args.sql_requests)
        )
        report(sizes, results, statements)
        print("\nplans at full size:")
        asyncio.run(explain(sizes[-1], today))
    finally:
        for process in processes:
            stop_process(process)
        broker.stop()
        postgres.stop()


if __name__ == "__main__":
    main()
