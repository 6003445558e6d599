"""Coverage at district scale: prints latencies, asserts nothing.

    uv run python bench/coverage_scale.py [--units 100000] [--organizations 20000]
                                          [--people 1000000] [--requests 200]

For the full size and for a tenth of it, in one run: generates a district (20 streets, 15
communities each) with units, organisations (all three establishment modes) and people straight
into a fresh organizations database (generated, never committed), rebuilds coverage, starts the
organizations service on it, and times `coverage` and the first page of `coverageGaps` over
HTTP (p50/p95, SQL statements per request). Then times registering 100k people through the
same use case the importer uses (validation, encryption, hashing, events).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx

from gongjian_deploy.infra import (
    LocalBroker,
    LocalPostgres,
    create_databases,
    database_url,
    free_port,
    stop_process,
    wait_for_port,
)
from gongjian_deploy.stack import StackConfig
from gongjian_kit.auth import Caller, Role, issue_token
from gongjian_kit.db import create_pool
from gongjian_kit.migrations import migrate
from gongjian_kit.runtime import Runtime
from gongjian_kit.settings import ServiceSettings
from gongjian_organizations.app import definition
from gongjian_organizations.domain.coverage import CoverageRules
from gongjian_organizations.domain.people import id_check_char
from gongjian_organizations.store.coverage_rebuild import rebuild_coverage
from gongjian_organizations.usecases.people import PersonInput, register_people

DISTRICT = "330106000000"
# Spread rows over the 300 communities of the generated district by their serial g.
COMMUNITY_OF_G = (
    "'330106' || lpad((1 + g % 20)::text, 3, '0') || lpad((1 + (g / 20) % 15)::text, 3, '0')"
)
COVERAGE = """query($a: String!) { coverage(areaCode: $a) { families { family unitsRequired
  unitsCovered rate } } }"""
GAPS = """query($a: String!) { coverageGaps(areaCode: $a, family: PARTY, first: 20) {
  totalCount edges { node { id name partyMembers } } } }"""


async def generate(dsn: str, units: int, organizations: int, people: int) -> dict[str, float]:
    """Fill an organizations database; returns seconds per step."""
    timings: dict[str, float] = {}
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await conn.execute(
            "INSERT INTO area (code, name, level, parent_code) "
            "VALUES ($1, '西湖区', 'DISTRICT', NULL)",
            DISTRICT,
        )
        await conn.execute(f"""
            INSERT INTO area (code, name, level, parent_code)
            SELECT '330106' || lpad(s::text, 3, '0') || '000', '街道' || s, 'STREET', '{DISTRICT}'
            FROM generate_series(1, 20) s;
            INSERT INTO area (code, name, level, parent_code)
            SELECT '330106' || lpad(s::text, 3, '0') || lpad(c::text, 3, '0'),
                   '社区' || s || '-' || c,
                   'COMMUNITY', '330106' || lpad(s::text, 3, '0') || '000'
            FROM generate_series(1, 20) s, generate_series(1, 15) c;""")
        # Skewed sizes: most units are small, a few are large (as in a real district).
        await conn.execute(
            f"""
            INSERT INTO unit (id, name, kind, area_code, employees, party_members, league_members,
                              union_members, women, youth)
            SELECT gen_random_uuid(), '单位' || g, 'NON_PUBLIC_ENTERPRISE',
                   {COMMUNITY_OF_G},
                   e, (e * random() * 0.15)::int, (e * random() * 0.2)::int, (e * 0.7)::int,
                   (e * random() * 0.6)::int, (e * random() * 0.5)::int
            FROM (SELECT g, (exp(random() * 6))::int AS e FROM generate_series(1, $1) g) x""",
            units,
        )
        timings["units"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute(
            """
            CREATE TEMP TABLE picked AS
            SELECT u.id AS unit_id, u.area_code, row_number() OVER () AS n
            FROM (SELECT id, area_code FROM unit ORDER BY random() LIMIT $1) u""",
            organizations,
        )
        await conn.execute("""
            INSERT INTO organization (id, name, kind, family, establishment, area_code)
            SELECT gen_random_uuid(), '组织' || n,
                   (ARRAY['PARTY_BRANCH', 'TRADE_UNION', 'YOUTH_LEAGUE',
                          'WOMENS_FEDERATION'])[1 + n % 4],
                   (ARRAY['PARTY','TRADE_UNION','YOUTH_LEAGUE','WOMENS_FEDERATION'])[1 + n % 4],
                   CASE WHEN n % 10 = 0 THEN 'JOINT' WHEN n % 10 = 1 THEN 'AFFILIATED'
                        ELSE 'STANDALONE' END, area_code
            FROM picked""")
        await conn.execute("""
            INSERT INTO organization_unit (organization_id, unit_id)
            SELECT o.id, p.unit_id FROM organization o JOIN picked p ON o.name = '组织' || p.n;
            -- joint organisations also cover a neighbour in the same community
            INSERT INTO organization_unit (organization_id, unit_id)
            SELECT DISTINCT ON (o.id) o.id, u.id FROM organization o
            JOIN unit u ON u.area_code = o.area_code
            WHERE o.establishment = 'JOINT'
              AND NOT EXISTS (SELECT 1 FROM organization_unit x WHERE x.organization_id = o.id
                              AND x.unit_id = u.id)
            ORDER BY o.id, u.seq""")
        timings["organizations"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute(
            f"""
            INSERT INTO person (id, name, gender, birth_date, political_status, area_code,
                                id_number_hash, id_number_enc, id_number_masked)
            SELECT gen_random_uuid(), '人员' || g,
                   CASE WHEN g % 2 = 0 THEN 'FEMALE' ELSE 'MALE' END,
                   date '1960-01-01' + (g % 16000),
                   (ARRAY['MASSES','LEAGUE_MEMBER','PARTY_MEMBER'])[1 + g % 3],
                   {COMMUNITY_OF_G},
                   decode(md5('p' || g) || md5('q' || g), 'hex'), decode(md5('e' || g), 'hex'),
                   '330***********' || lpad((g % 10000)::text, 4, '0')
            FROM generate_series(1, $1) g""",
            people,
        )
        timings["people"] = time.perf_counter() - started
        await conn.execute("ANALYZE")
        started = time.perf_counter()
        async with conn.transaction():
            await rebuild_coverage(conn, CoverageRules())
        await conn.execute("ANALYZE unit_coverage; ANALYZE area_coverage")
        timings["coverage rebuild"] = time.perf_counter() - started
    finally:
        await conn.close()
    return timings


async def time_queries(url: str, token: str, requests: int) -> list[tuple[str, list[float], float]]:
    cases = [
        ("coverage(district)", COVERAGE, {"a": DISTRICT}),
        ("coverage(street)", COVERAGE, {"a": "330106007000"}),
        ("coverage(community)", COVERAGE, {"a": "330106007003"}),
        ("coverageGaps first page (district)", GAPS, {"a": DISTRICT}),
        ("coverageGaps first page (street)", GAPS, {"a": "330106007000"}),
        ("coverageGaps first page (community)", GAPS, {"a": "330106007003"}),
    ]
    results = []
    async with httpx.AsyncClient(headers={"authorization": f"Bearer {token}"}, timeout=30) as http:
        for label, query, variables in cases:
            latencies, statements = [], []
            for i in range(requests + 10):
                started = time.perf_counter()
                body = (await http.post(url, json={"query": query, "variables": variables})).json()
                elapsed = time.perf_counter() - started
                assert "errors" not in body, body
                if i >= 10:  # warm-up
                    latencies.append(elapsed)
                    statements.append(body["extensions"]["sqlStatements"])
            results.append((label, latencies, statistics.mean(statements)))
    return results


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def resident_id(n: int) -> str:
    """The n-th distinct valid number: a birth date from n, and a serial from what is left."""
    born = date(1960, 1, 1) + timedelta(days=n % 14_600)
    first17 = f"330106{born:%Y%m%d}{n // 14_600 % 1000:03d}"
    return first17 + id_check_char(first17)


async def import_people(dsn: str, count: int, settings: ServiceSettings) -> float:
    """Rows/s registering ``count`` people in batches of 10k through register_people."""
    pool = await create_pool(dsn, min_size=1, max_size=2)
    runtime = Runtime(
        settings=settings, catalog=definition.catalog, topics=definition.topics, pool=pool
    )
    caller = Caller(subject="bench", roles=frozenset({Role.DISTRICT_ADMIN}), area=DISTRICT)
    numbers: set[str] = set()
    people: list[PersonInput] = []
    n = 0
    while len(people) < count:
        n += 1
        number = resident_id(n)
        if number in numbers:
            continue
        numbers.add(number)
        people.append(
            PersonInput(
                name=f"导入{n}",
                id_number=number,
                phone=f"138{n:08d}"[:11],
                area_code="330106007003",
            )
        )
    started = time.perf_counter()
    for i in range(0, count, 10_000):
        result = await register_people(runtime, caller, people[i : i + 10_000])
        assert not result.rejected, result.rejected[:3]
    elapsed = time.perf_counter() - started
    await pool.close()
    return count / elapsed


async def prepare(dsn: str, units: int, organizations: int, people: int) -> dict[str, float]:
    pool = await create_pool(dsn, min_size=1, max_size=2)
    await migrate(pool, "organizations", definition.migrations)
    await pool.close()
    return await generate(dsn, units, organizations, people)


def run_scale(
    postgres_url: str,
    config: StackConfig,
    name: str,
    units: int,
    organizations: int,
    people: int,
    requests: int,
) -> None:
    database = f"bench_{name}"
    create_databases(postgres_url, [database])
    dsn = database_url(postgres_url, database)
    timings = asyncio.run(prepare(dsn, units, organizations, people))
    print(f"\n== {name}: {units:,} units, {organizations:,} organisations, {people:,} people ==")
    print("  generated in " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "KAFKA_BOOTSTRAP": config.extra_env["KAFKA_BOOTSTRAP"],
        "JWT_SECRET": config.jwt_secret,
        "PERSONAL_DATA_KEY": config.personal_data_key,
        "PERSONAL_DATA_HMAC_KEY": config.personal_data_hmac_key,
    }
    log = open(config.workdir / f"organizations-{name}.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "gongjian_organizations"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port, 60, "organizations", process)
        url = f"http://127.0.0.1:{port}/graphql"
        token = issue_token(
            config.jwt_secret, subject="bench", roles=["DISTRICT_ADMIN"], area=DISTRICT
        )
        for label, latencies, sql in asyncio.run(time_queries(url, token, requests)):
            print(
                f"  {label:<38} p50 {pct(latencies, 0.5):6.1f} ms  p95 "
                f"{pct(latencies, 0.95):6.1f} ms  SQL/request {sql:.0f}"
            )
    finally:
        stop_process(process)


def import_people_from_xlsx(dsn: str, count: int, config: StackConfig) -> tuple[float, float]:
    """``gongjian import people FILE`` end to end on a generated XLSX: (rows/s, file seconds)."""
    from openpyxl import Workbook  # noqa: PLC0415

    from gongjian_organizations.bulk import people as people_sheet  # noqa: PLC0415
    from gongjian_organizations.bulk.commands import import_command  # noqa: PLC0415

    path = config.workdir / "people.xlsx"
    started = time.perf_counter()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("人员")
    sheet.append([c.header for c in people_sheet.SPEC.columns])
    for n in range(count):
        # Numbers after those the use-case run registered: none of them is a duplicate.
        sheet.append(
            [
                f"导入{n}",
                resident_id(500_000 + n),
                None,
                None,
                "中共党员",
                f"139{n:08d}",
                None,
                None,
                "330106008004",
                "否",
            ]
        )
    book.save(path)
    written = time.perf_counter() - started
    settings = ServiceSettings(
        database_url=dsn,
        jwt_secret=config.jwt_secret,
        personal_data_key=config.personal_data_key,
        personal_data_hmac_key=config.personal_data_hmac_key,
    )
    token = issue_token(config.jwt_secret, subject="bench", roles=["DISTRICT_ADMIN"], area=DISTRICT)
    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        code = asyncio.run(import_command(settings, token, "people", path, out=quiet, err=quiet))
    elapsed = time.perf_counter() - started
    assert code == 0, f"import exited {code}"
    return count / elapsed, written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--organizations", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--import-people", type=int, default=100_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="gongjian-bench-"))
    postgres = LocalPostgres(workdir, fast_unsafe=True)
    broker = LocalBroker(log_path=workdir / "broker.log")
    postgres_url = postgres.start()
    bootstrap = broker.start()
    config = StackConfig(workdir=workdir, extra_env={"KAFKA_BOOTSTRAP": bootstrap})
    try:
        for name, factor in (("tenth", 10), ("full", 1)):
            run_scale(
                postgres_url,
                config,
                name,
                args.units // factor,
                args.organizations // factor,
                args.people // factor,
                args.requests,
            )
        settings = ServiceSettings(
            personal_data_key=config.personal_data_key,
            personal_data_hmac_key=config.personal_data_hmac_key,
        )
        rate = asyncio.run(
            import_people(database_url(postgres_url, "bench_full"), args.import_people, settings)
        )
        print(
            f"\nregistering {args.import_people:,} people (the importer's use case: validate, "
            f"encrypt, hash, insert, events) in batches of 10k: {rate:,.0f} rows/s"
        )
        file_rate, file_seconds = import_people_from_xlsx(
            database_url(postgres_url, "bench_full"), args.import_people, config
        )
        print(
            f"`gongjian import people` of a {args.import_people:,}-row XLSX (read, check, one "
            f"transaction): {file_rate:,.0f} rows/s (writing the file took {file_seconds:.1f}s)"
        )
    finally:
        broker.stop()
        postgres.stop()


if __name__ == "__main__":
    main()
