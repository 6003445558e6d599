"""A street office's dashboard through the gateway (issue 12): prints figures, asserts nothing.

    uv run python bench/dashboard.py [--seconds 15] [--scale demo|district|both] [--profile]
                                     [--out bench/out] [--environment production]

One request asks all three subgraphs: the street's name, coverage and figures, and its first 20
organisations with their activity summary and latest three activities. wrk (C, epoll; on the
same two cores) sends it over 16 connections, each request from one of 16 street admins with
their own token over the streets (bench/wrk_rotate.lua: no two requests in flight are the same,
so nothing can be merged), through the gateway as shipped; beside it, in the same run, the
organizations subgraph serving its own part of the dashboard direct. Every answer is checked
(HTTP 200, no "errors"). CPU per process (gateway, each service, PostgreSQL, broker, wrk)
comes from /proc during each run, as a share of one core and as milliseconds per request.

Two sizes, each with its own stack: the demo district (loaded through the gateway), and a
district of 20 streets x 10 communities with 100k units, 20k organisations (coverage rebuilt),
400k activities and their organisers, and evaluation's ledger as its consumers leave it (the
activities, 1M participations and their hours, memberships, cases … from
evaluation_scoring.py) with the read models the dashboard reads (area figures, organisations'
summaries, coverage per area), generated with SQL.

`--profile` also samples each Python service with py-spy (speedscope JSON) and the gateway with
Node's --cpu-prof (a .cpuprofile) during a run of the dashboard, writes them under `--out`
(open either in https://www.speedscope.app or Chrome DevTools) and prints the functions that
take the most time in each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from evaluation_scoring import Shape
from evaluation_scoring import generate as generate_ledger
from hours_scale import community

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.demo import load_demo
from gongjian_deploy.stack import GATEWAY_BINARY, GATEWAY_DIR, SERVICES, Stack, StackConfig
from gongjian_kit.auth import issue_token
from gongjian_organizations.domain.coverage import CoverageRules
from gongjian_organizations.store.coverage_rebuild import rebuild_coverage

HERE = Path(__file__).resolve().parent
DISTRICT = "330106000000"
DEMO_STREETS = ("330106001000", "330106002000", "330106003000")
DISTRICT_STREETS = tuple(f"330106{s:03d}000" for s in range(1, 21))
TOKENS = 16
CONNECTIONS = 16
WRK_THREADS = 2
# Targets of issue 12.
TARGET_RATE, TARGET_P99_MS, TARGET_RATIO, TARGET_SCALE_P99 = 500, 60.0, 0.4, 1.5

DASHBOARD = """query Dashboard($a: String!) {
  area(code: $a) { name coverage { families { family rate gaps } }
    stats { organizationCount activityCount completedActivityCount peopleServed
      checkedInCount volunteerCount volunteerHours casesOpened onTimeRate satisfactionAverage
      activeOrganizationCount activitiesByLineOfWork { key count } } }
  organizations(areaCode: $a, first: 20) { totalCount edges { node { id name kindLabel
    activitySummary { activityCount lastActivityAt }
    activities(first: 3) { edges { node { title startsAt } } } } } } }"""
# The organizations subgraph's own part of it, asked of that subgraph direct.
ORGANIZATIONS_PART = """query DashboardOrganizations($a: String!) {
  area(code: $a) { name coverage { families { family rate gaps } } }
  organizations(areaCode: $a, first: 20) { totalCount edges { node { id name kindLabel } } } }"""


@dataclass
class Run:
    label: str
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds in the run
    seconds: float = 0.0


# --- CPU per process, from /proc -----------------------------------------------------------


def process_trees(pids: dict[str, int]) -> dict[str, list[int]]:
    """Each named process with its descendants (PostgreSQL's backends are the postmaster's
    children), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    trees: dict[str, list[int]] = {}
    for name, pid in pids.items():
        tree, todo = [], [pid]
        while todo:
            current = todo.pop()
            tree.append(current)
            todo += children.get(current, [])
        trees[name] = tree
    return trees


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU seconds of each process and its descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for name, tree in process_trees(pids).items():
        total = 0
        for pid in tree:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        totals[name] = total / tick
    return totals


# --- wrk -----------------------------------------------------------------------------------


def write_pairs(path: Path, pairs: list[tuple[str, str]], query: str) -> Path:
    """One line per (token, area): what wrk_rotate.lua sends in turn."""
    lines = [
        f"Bearer {token}\t" + json.dumps({"query": query, "variables": {"a": area}})
        for token, area in pairs
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def wrk(
    label: str, url: str, pairs_file: Path, seconds: int, pids: dict[str, int], warmup_s: int = 3
) -> Run:
    """Run wrk against ``url`` (after a warm-up); the CPU each process spent meanwhile."""
    errors_file = pairs_file.with_suffix(".errors")
    env = {
        **os.environ,
        "BENCH_PAIRS": str(pairs_file),
        "BENCH_THREADS": str(WRK_THREADS),
        "BENCH_ERRORS": str(errors_file),
    }
    script = str(HERE / "wrk_rotate.lua")
    base = ["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", "--timeout", "10s", "-s", script]
    subprocess.run([*base, f"-d{warmup_s}s", url], env=env, capture_output=True, check=True)
    before, children = cpu_seconds(pids), resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    result = subprocess.run(
        [*base, f"-d{seconds}s", url], env=env, capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - began
    after, done = cpu_seconds(pids), resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"^BENCH (\{.*\})$", result.stdout, re.M)
    if not match:
        raise RuntimeError(f"wrk printed no figures:\n{result.stdout}\n{result.stderr}")
    figures = json.loads(match.group(1))
    if errors_file.exists():
        print(f"  {label}: failed answers, the first of them:\n{errors_file.read_text()[:3000]}")
        errors_file.unlink()
    cpu = {name: after[name] - before.get(name, after[name]) for name in after}
    cpu["wrk"] = done.ru_utime + done.ru_stime - children.ru_utime - children.ru_stime
    return Run(
        label=label,
        rate=figures["requests"] / figures["seconds"],
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        requests=figures["requests"],
        errors=figures["errors"] + figures["non200"],
        cpu=cpu,
        seconds=elapsed,
    )


# --- tokens and the answers ----------------------------------------------------------------


def street_admins(stack: Stack, streets: tuple[str, ...]) -> list[tuple[str, str]]:
    """(token, street) of 16 street admins, each with their own token, over the streets."""
    return [
        (
            issue_token(
                stack.config.jwt_secret,
                subject=f"street-admin-{i}",
                roles=["STREET_ADMIN"],
                area=streets[i % len(streets)],
            ),
            streets[i % len(streets)],
        )
        for i in range(TOKENS)
    ]


def check_answers(stack: Stack, pairs: list[tuple[str, str]]) -> str:
    """Ask each admin's dashboard once and check it is whole; describe what one holds."""
    organizations = activities = 0
    for token, street in pairs:
        response = httpx.post(
            stack.gateway_url,
            json={"query": DASHBOARD, "variables": {"a": street}},
            headers={"authorization": f"Bearer {token}"},
            timeout=30,
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"dashboard of {street} failed: {body}")
        edges = body["data"]["organizations"]["edges"]
        organizations += len(edges)
        activities += sum(len(e["node"]["activities"]["edges"]) for e in edges)
        if any(e["node"]["activitySummary"] is None for e in edges):
            raise RuntimeError(f"dashboard of {street}: an organisation without its summary")
    return (
        f"one dashboard: {organizations / len(pairs):.0f} organisations, "
        f"{activities / len(pairs):.0f} activities, "
        f"{len(json.dumps(body, ensure_ascii=False).encode()):,} bytes of JSON"
    )


# --- the demo district ---------------------------------------------------------------------


def prepare_demo(stack: Stack) -> None:
    token = issue_token(
        stack.config.jwt_secret, subject="bench", roles=["DISTRICT_ADMIN"], area=DISTRICT
    )
    client = GraphQLClient(stack.gateway_url, token)
    try:
        began = time.perf_counter()
        created = load_demo(client)
        print(f"  demo data {created} loaded in {time.perf_counter() - began:.1f}s")
    finally:
        client.close()
    asyncio.run(wait_for_summaries(stack))


async def wait_for_summaries(stack: Stack, timeout_s: float = 120) -> None:
    """Until evaluation has heard of every organisation and its activities (the demo's events
    travel through Kafka) and has published the areas' figures."""
    organizations = await asyncpg.connect(stack.database("organizations"))
    activities = await asyncpg.connect(stack.database("activities"))
    evaluation = await asyncpg.connect(stack.database("evaluation"))
    try:
        want_orgs = await organizations.fetchval("SELECT count(*) FROM organization")
        want_activities = await activities.fetchval(
            "SELECT count(*) FROM activity WHERE status <> 'CANCELLED'"
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            orgs = await evaluation.fetchval("SELECT count(*) FROM organization_ref")
            counted = await evaluation.fetchval(
                "SELECT coalesce(sum(activity_count), 0) FROM organization_activity_summary"
            )
            dirty = await evaluation.fetchval("SELECT count(*) FROM stats_dirty")
            if orgs >= want_orgs and counted >= want_activities and dirty == 0:
                return
            await asyncio.sleep(0.5)
        raise TimeoutError("evaluation did not catch up with the demo data")
    finally:
        for conn in (organizations, activities, evaluation):
            await conn.close()


# --- a district of 100k units and 20k organisations ----------------------------------------

ORGANIZATIONS_N, UNITS_N, ACTIVITIES_PER_ORG = 20_000, 100_000, 20
FAMILIES = ("PARTY", "TRADE_UNION", "YOUTH_LEAGUE", "WOMENS_FEDERATION")
KINDS = ("PARTY_BRANCH", "TRADE_UNION", "YOUTH_LEAGUE", "WOMENS_FEDERATION")


def org(x: str) -> str:
    """Organisation ``x``'s id (SQL), as evaluation_scoring.py's ledger names it."""
    return f"md5('o' || ({x}))::uuid"


async def generate_organizations(dsn: str, participations: int) -> None:
    """Areas (20 streets x 10 communities, as the ledger's), 100k units, 20k organisations in
    the four families (family of o: (o / 200) % 4, as the ledger's), coverage rebuilt."""
    del participations
    conn = await asyncpg.connect(dsn, command_timeout=None)
    try:
        await conn.execute(f"""
            INSERT INTO area (code, name, level, parent_code)
            VALUES ('{DISTRICT}', '西湖区', 'DISTRICT', NULL);
            INSERT INTO area (code, name, level, parent_code)
            SELECT '330106' || lpad(s::text, 3, '0') || '000', '街道' || s, 'STREET', '{DISTRICT}'
            FROM generate_series(1, 20) s;
            INSERT INTO area (code, name, level, parent_code)
            SELECT '330106' || lpad(s::text, 3, '0') || lpad(c::text, 3, '0'),
                   '社区' || s || '-' || c, 'COMMUNITY', '330106' || lpad(s::text, 3, '0') || '000'
            FROM generate_series(1, 20) s, generate_series(1, 10) c""")
        # Unit g in community(g); organisation o covers unit o (same community), a joint one
        # also unit o + 20000 (same community: 20000 is a multiple of 200).
        await conn.execute(f"""
            INSERT INTO unit (id, name, kind, area_code, employees, party_members, league_members,
                              union_members, women, youth)
            SELECT md5('u' || g)::uuid, '单位' || g, 'NON_PUBLIC_ENTERPRISE', {community("g")},
                   e, (e * random() * 0.15)::int, (e * random() * 0.2)::int, (e * 0.7)::int,
                   (e * random() * 0.6)::int, (e * random() * 0.5)::int
            FROM (SELECT g, (exp(random() * 6))::int AS e
                  FROM generate_series(0, {UNITS_N - 1}) g) x""")
        await conn.execute(f"""
            INSERT INTO organization (id, name, kind, family, establishment, area_code)
            SELECT {org("o")}, '社区组织' || o, (ARRAY{list(KINDS)})[1 + (o / 200) % 4],
                   (ARRAY{list(FAMILIES)})[1 + (o / 200) % 4],
                   CASE WHEN o % 10 = 0 THEN 'JOINT' WHEN o % 10 = 1 THEN 'AFFILIATED'
                        ELSE 'STANDALONE' END, {community("o")}
            FROM generate_series(0, {ORGANIZATIONS_N - 1}) o;
            INSERT INTO organization_unit (organization_id, unit_id)
            SELECT {org("o")}, md5('u' || o)::uuid FROM generate_series(0, {ORGANIZATIONS_N - 1}) o
            UNION ALL
            SELECT {org("o")}, md5('u' || (o + {ORGANIZATIONS_N}))::uuid
            FROM generate_series(0, {ORGANIZATIONS_N - 1}, 10) o""")
        await conn.execute("ANALYZE")
        async with conn.transaction():
            await rebuild_coverage(conn, CoverageRules())
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def generate_activities(dsn: str) -> None:
    """400k activities, activity a by organisation a % 20000 (and a second organiser for one in
    ten), in its community, dated over 2025, statuses as the ledger's."""
    n = ORGANIZATIONS_N
    conn = await asyncpg.connect(dsn, command_timeout=None)
    try:
        await conn.execute(f"""
            INSERT INTO activity (id, title, line, category, area_code, starts_at, ends_at,
                status, created_by, capacity, published_at, completed_at, cancelled_at,
                cancel_reason, people_served)
            SELECT md5('a' || a)::uuid, '志愿服务' || a, 'SERVING_THE_PEOPLE',
                   'VOLUNTEER_SERVICE', {community("a")}, s, s + interval '4 hours',
                   CASE a % 20 WHEN 0 THEN 'CANCELLED' WHEN 1 THEN 'PUBLISHED'
                        ELSE 'COMPLETED' END,
                   'bench', 100, s - interval '7 days',
                   CASE WHEN a % 20 > 1 THEN s + interval '4 hours' END,
                   CASE WHEN a % 20 = 0 THEN s - interval '1 day' END,
                   CASE WHEN a % 20 = 0 THEN '天气原因' END,
                   CASE WHEN a % 20 > 1 THEN 30 END
            FROM (SELECT a, ((date '2025-01-01' + ((a)::bigint * 7919 % 365)::int)
                             + time '09:00') AT TIME ZONE 'Asia/Shanghai' AS s
                  FROM generate_series(0, {n * ACTIVITIES_PER_ORG - 1}) a) x
            ORDER BY s""")
        await conn.execute(f"""
            INSERT INTO activity_organizer (activity_id, organization_id)
            SELECT md5('a' || a)::uuid, {org(f"a % {n}")}
            FROM generate_series(0, {n * ACTIVITIES_PER_ORG - 1}) a
            UNION ALL
            SELECT md5('a' || a)::uuid, {org(f"(a + 200) % {n}")}
            FROM generate_series(0, {n * ACTIVITIES_PER_ORG - 1}, 10) a""")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def generate_evaluation(dsn: str, participations: int) -> None:
    """The ledger (evaluation_scoring.py's, 20k organisations), then the read models its
    consumers keep from it: organisations' activity summaries, area figures (and per line of
    work) and coverage."""
    await generate_ledger(dsn, Shape(ORGANIZATIONS_N, participations, ORGANIZATIONS_N * 10))
    conn = await asyncpg.connect(dsn, command_timeout=None)
    try:
        await conn.execute("""
            INSERT INTO organization_activity_summary (organization_id, activity_count,
                completed_count, people_served, volunteer_hours, last_activity_at)
            SELECT o, count(*) FILTER (WHERE status <> 'CANCELLED'),
                   count(*) FILTER (WHERE status = 'COMPLETED'),
                   coalesce(sum((attrs->>'peopleServed')::int)
                            FILTER (WHERE status = 'COMPLETED'), 0), 0,
                   max((occurred_on + time '09:00') AT TIME ZONE 'Asia/Shanghai')
                     FILTER (WHERE status <> 'CANCELLED')
            FROM evidence, unnest(organization_ids) o
            WHERE source_kind = 'ACTIVITY' GROUP BY o""")
        # Each area's figures hold everything beneath it: a community, its street, the district.
        await conn.execute(f"""
            INSERT INTO area_stats (area_code, organization_count, activity_count,
                completed_activity_count, people_served, volunteer_hours)
            SELECT code, sum(orgs), sum(acts), sum(done), sum(served), 0
            FROM (
              SELECT area_code, count(*) AS orgs, 0 AS acts, 0 AS done, 0 AS served
              FROM organization_ref GROUP BY 1
              UNION ALL
              SELECT area_code, 0, count(*) FILTER (WHERE status <> 'CANCELLED'),
                     count(*) FILTER (WHERE status = 'COMPLETED'),
                     coalesce(sum((attrs->>'peopleServed')::int)
                              FILTER (WHERE status = 'COMPLETED'), 0)
              FROM evidence WHERE source_kind = 'ACTIVITY' GROUP BY 1) per_community,
            LATERAL (VALUES (area_code), (left(area_code, 9) || '000'),
                            ('{DISTRICT}')) AS up(code)
            GROUP BY code""")
        # Activities per line of work, per area and every one above it (migration 0014's rows).
        await conn.execute(f"""
            INSERT INTO area_line_stats (area_code, line, activities)
            SELECT code, line, sum(n) FROM (
              SELECT area_code, coalesce(attrs->>'line', '') AS line, count(*) AS n
              FROM evidence WHERE source_kind = 'ACTIVITY' AND status <> 'CANCELLED'
              GROUP BY 1, 2) per_community,
            LATERAL (VALUES (area_code), (left(area_code, 9) || '000'),
                            ('{DISTRICT}')) AS up(code)
            GROUP BY code, line""")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def copy_coverage(organizations_dsn: str, evaluation_dsn: str) -> None:
    """Evaluation's coverage per area, as the organizations topic's coverage.changed events
    would leave it: the organizations service's own figures."""
    source = await asyncpg.connect(organizations_dsn)
    target = await asyncpg.connect(evaluation_dsn)
    try:
        rows = await source.fetch(
            "SELECT area_code, family, required, covered_required AS covered FROM area_coverage"
        )
        await target.executemany(
            "INSERT INTO area_coverage (area_code, family, required, covered) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [(r["area_code"], r["family"], r["required"], r["covered"]) for r in rows],
        )
    finally:
        await source.close()
        await target.close()


def prepare_district(stack: Stack, participations: int) -> None:
    began = time.perf_counter()
    asyncio.run(generate_organizations(stack.database("organizations"), participations))
    asyncio.run(generate_activities(stack.database("activities")))
    asyncio.run(generate_evaluation(stack.database("evaluation"), participations))
    asyncio.run(copy_coverage(stack.database("organizations"), stack.database("evaluation")))
    print(f"  district generated in {time.perf_counter() - began:.0f}s")
    for name in SERVICES:  # nothing cached from the empty databases
        stack.restart_part(stack.stop_part(name))


# --- profiles ------------------------------------------------------------------------------


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return found if Path(found).exists() else None


def restart_gateway(stack: Stack, node_flags: tuple[str, ...] = ()) -> None:
    """Start the gateway again, as shipped, with ``node_flags`` (--cpu-prof may not be given in
    NODE_OPTIONS: node runs the CLI's script itself)."""
    stack.stop_part("gateway")
    env = stack.gateway_env(stack.config.gateway_port, stack.config.environment)
    stack._spawn(
        "gateway",
        ["node", *node_flags, str(GATEWAY_BINARY.resolve()), "supergraph"],
        env=env,
        cwd=GATEWAY_DIR,
        url=stack.gateway_url,
        port=stack.config.gateway_port,
    )
    stack.wait_ready(f"http://127.0.0.1:{stack.config.gateway_port}/readiness", "gateway")


def profile(stack: Stack, pairs_file: Path, seconds: int, out: Path, scale: str) -> Run:
    """One gateway run of the dashboard with every process sampled; profiles under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    node_dir = (out / f"{scale}-gateway").resolve()  # node runs in gateway/
    restart_gateway(stack, ("--cpu-prof", f"--cpu-prof-dir={node_dir}"))
    spy = py_spy()
    samplers = []
    if spy:
        for name in SERVICES:
            part = stack.part(name)
            assert part is not None
            samplers.append(
                subprocess.Popen(
                    [
                        spy,
                        "record",
                        "--pid",
                        str(part.process.pid),
                        "--duration",
                        str(seconds + 4),
                        "--rate",
                        "250",
                        "--nonblocking",
                        "--format",
                        "speedscope",
                        "--output",
                        str(out / f"{scale}-{name}.speedscope.json"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
    else:
        print("  py-spy not found: the subgraphs are not profiled (uv sync installs it)")
    run = wrk(
        "dashboard through the gateway, profiled",
        stack.gateway_url,
        pairs_file,
        seconds,
        stack.pids(),
    )
    for sampler in samplers:
        sampler.wait(60)
    restart_gateway(stack)  # writes the .cpuprofile on its way out
    print(f"\n  profiles of {scale} in {out}:")
    for name in SERVICES:
        path = out / f"{scale}-{name}.speedscope.json"
        if path.exists():
            print(f"  {name} ({path.name}): where its samples fall")
            for line in summarise_speedscope(path):
                print(f"    {line}")
    for path in sorted(node_dir.glob("*.cpuprofile")):
        print(f"  gateway ({node_dir.name}/{path.name}): where its time goes")
        for line in summarise_cpuprofile(path):
            print(f"    {line}")
    return run


# Where a subgraph's samples fall, by the first matching frame name on their stack.
LAYERS = (
    ("SQL (asyncpg)", ("asyncpg/",)),
    ("parse + validate", ("graphql/language/", "graphql/validation/", "strawberry/extensions/")),
    ("JSON encoding", ("json/encoder", "encode_json")),
    ("HTTP (uvicorn, Starlette)", ("uvicorn/", "starlette/", "asyncio/")),
    ("GraphQL execution and resolvers", ("graphql/", "strawberry/", "gongjian_")),
)


def summarise_speedscope(path: Path, top: int = 12) -> list[str]:
    """A subgraph's samples by layer (outside any request: the event loop's own work in C,
    consumers, relay, publisher), then the project's functions holding most samples."""
    data = json.loads(path.read_bytes().decode("utf-8", "replace"))
    frames = data["shared"]["frames"]
    layers: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0.0
    for prof in data["profiles"]:
        for sample, weight in zip(prof["samples"], prof["weights"], strict=False):
            total += weight
            names = [_frame_name(frames[i]) for i in sample]
            in_request = any("run_asgi" in n or "execute" in n for n in names)
            layer = "outside requests (event loop, consumers, relay)"
            if in_request:  # the innermost frame that names a layer says where the time went
                layer = next(
                    (
                        label
                        for n in reversed(names)
                        for label, marks in LAYERS
                        if any(m in n for m in marks)
                    ),
                    "other request work",
                )
            layers[layer] += weight
            for name in {n for n in names if n.startswith(("gongjian", "load", "resolve"))}:
                ours[name] += weight
    if not total:
        return ["(no samples)"]
    lines = [f"{100 * v / total:5.1f}%  {k}" for k, v in layers.most_common()]
    lines.append("  the project's code (inclusive):")
    lines += [f"{100 * v / total:5.1f}%  {k}" for k, v in ours.most_common(top)]
    return lines


def _frame_name(frame: dict[str, Any]) -> str:
    file = frame.get("file") or ""
    short = re.sub(r".*/site-packages/", "", file)
    short = re.sub(r".*/(services|libs)/[^/]+/src/", "", short)
    short = re.sub(r".*/lib/python3[.0-9]*/", "", short)
    return f"{short}:{frame['name']}"


def summarise_cpuprofile(path: Path, top: int = 20) -> list[str]:
    """Self time per function of a V8 .cpuprofile, grouped by function and package."""
    data = json.loads(path.read_text())
    nodes = {n["id"]: n for n in data["nodes"]}
    deltas = data.get("timeDeltas", [])
    own: Counter[str] = Counter()
    for node_id, delta in zip(data.get("samples", []), deltas, strict=False):
        frame = nodes[node_id]["callFrame"]
        url = re.sub(r".*/node_modules/", "", frame.get("url") or "")
        own[f"{frame.get('functionName') or '(anonymous)'} ({url})"] += max(delta, 0)
    total = sum(own.values()) or 1
    busy = total - own.get("(idle) ()", 0)
    packages: Counter[str] = Counter()
    for key, value in own.items():
        if key != "(idle) ()":
            url = key.rsplit(" (", 1)[-1].rstrip(")")
            found = re.match(r"(@[^/]+/[^/]+|node:[a-z_]+|[^/]+)", url)
            packages[found.group(1) if found and "/" in url else url or "(native)"] += value
    lines = [f"busy {busy / 1e6:.1f} s of {total / 1e6:.1f} s profiled (start-up included)"]
    lines.append("  by package (self):")
    lines += [f"{100 * v / busy:5.1f}%  {k}" for k, v in packages.most_common(8)]
    lines.append("  by function (self):")
    lines += [f"{100 * v / busy:5.1f}%  {k}" for k, v in own.most_common(top) if k != "(idle) ()"]
    return lines


# --- the report ----------------------------------------------------------------------------


def table(runs: list[Run], direct: Run) -> list[str]:
    names = ["gateway", *SERVICES, "postgres", "broker", "wrk"]
    head = (
        f"  {'case':<44} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} {'errors':>6}  "
        + " ".join(f"{n[:8]:>8}" for n in names)
    )
    lines = [head, "  " + " " * 80 + "CPU, % of one core (ms per request)"]
    for run in runs:
        cpu = " ".join(
            f"{100 * run.cpu.get(n, 0) / run.seconds:4.0f}({1000 * run.cpu.get(n, 0) / max(run.requests, 1):3.1f})"  # noqa: E501
            for n in names
        )
        lines.append(
            f"  {run.label:<44} {run.rate:7.0f} {run.p50_ms:7.1f} {run.p99_ms:7.1f} "
            f"{run.rate / direct.rate:6.2f} {run.errors:6d}  {cpu}"
        )
    return lines


def measure(
    stack: Stack, pairs: list[tuple[str, str]], args: argparse.Namespace, scale: str
) -> dict[str, Run]:
    workdir = stack.config.workdir
    dashboard = write_pairs(workdir / "dashboard.pairs", pairs, DASHBOARD)
    part = write_pairs(workdir / "organizations.pairs", pairs, ORGANIZATIONS_PART)
    print(f"  {check_answers(stack, pairs)}")
    runs: dict[str, Run] = {}
    for round_ in range(args.rounds):
        suffix = f" #{round_ + 1}" if args.rounds > 1 else ""
        gateway = wrk(
            f"dashboard through the gateway{suffix}",
            stack.gateway_url,
            dashboard,
            args.seconds,
            stack.pids(),
        )
        direct = wrk(
            f"organizations' part, subgraph direct{suffix}",
            stack.service_url("organizations"),
            part,
            args.seconds,
            stack.pids(),
        )
        print("\n".join(table([gateway, direct], direct)))
        runs[f"gateway{suffix}"], runs[f"direct{suffix}"] = gateway, direct
    if args.floor:
        # What a request costs before it does anything: the gateway answering { __typename }
        # itself (JWT, parse, validate, HTTP), and a subgraph doing the same direct.
        empty = write_pairs(workdir / "empty.pairs", pairs, "{ __typename }")
        floors = [
            wrk(
                "floor: { __typename } at the gateway",
                stack.gateway_url,
                empty,
                args.seconds,
                stack.pids(),
            ),
            wrk(
                "floor: { __typename } at organizations",
                stack.service_url("organizations"),
                empty,
                args.seconds,
                stack.pids(),
            ),
        ]
        print("\n".join(table(floors, runs[next(k for k in runs if k.startswith("direct"))])[2:]))
    if args.profile:
        run = profile(stack, dashboard, args.seconds, args.out, scale)
        print("\n".join(table([run], runs[next(k for k in runs if k.startswith("direct"))])))
    return runs


def best(runs: dict[str, Run], kind: str) -> Run:
    """The median round of a kind (by rate)."""
    chosen = sorted((r for k, r in runs.items() if k.startswith(kind)), key=lambda r: r.rate)
    return chosen[len(chosen) // 2]


def verdict(results: dict[str, dict[str, Run]]) -> None:
    print("\nverdict against issue 12 (median round):")
    for scale, runs in results.items():
        gateway, direct = best(runs, "gateway"), best(runs, "direct")
        ratio = gateway.rate / direct.rate
        print(
            f"  {scale:<9} {gateway.rate:5.0f} dashboards/s (>= {TARGET_RATE}: "
            f"{'yes' if gateway.rate >= TARGET_RATE else 'no'}), p99 {gateway.p99_ms:.1f} ms "
            f"(<= {TARGET_P99_MS:.0f}: {'yes' if gateway.p99_ms <= TARGET_P99_MS else 'no'}), "
            f"{ratio:.2f}x direct (>= {TARGET_RATIO}: {'yes' if ratio >= TARGET_RATIO else 'no'})"
        )
    if "demo" in results and "district" in results:
        demo, district = best(results["demo"], "gateway"), best(results["district"], "gateway")
        scale = district.p99_ms / demo.p99_ms
        print(
            f"  district p99 / demo p99 = {scale:.2f} (<= {TARGET_SCALE_P99}: "
            f"{'yes' if scale <= TARGET_SCALE_P99 else 'no'})"
        )


def run_scale(scale: str, args: argparse.Namespace) -> dict[str, Run]:
    workdir = Path(tempfile.mkdtemp(prefix=f"gongjian-dashboard-{scale}-"))
    stack = Stack(StackConfig(workdir=workdir, environment=args.environment))
    try:
        began = time.perf_counter()
        stack.start()
        print(
            f"\n== {scale} ==\n  stack started in {time.perf_counter() - began:.1f}s "
            f"({args.environment})"
        )
        if scale == "demo":
            prepare_demo(stack)
            streets = DEMO_STREETS
        else:
            prepare_district(stack, args.participations)
            streets = DISTRICT_STREETS
        return measure(stack, street_admins(stack, streets), args, scale)
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15, help="per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="gateway + direct pairs per scale")
    parser.add_argument("--scale", choices=("demo", "district", "both"), default="both")
    parser.add_argument("--participations", type=int, default=1_000_000, help="district ledger")
    parser.add_argument("--environment", default="production", help="of every part")
    parser.add_argument("--profile", action="store_true", help="py-spy + node --cpu-prof")
    parser.add_argument("--floor", action="store_true", help="also { __typename } alone")
    parser.add_argument(
        "--without", action="append", default=[], help="leave a figure of stats out (to compare)"
    )
    parser.add_argument("--out", type=Path, default=HERE / "out", help="where profiles go")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        type=lambda s: tuple(s.split("=", 1)),
        help="NAME=VALUE for every service and the gateway (try a lever)",
    )
    args = parser.parse_args()
    global DASHBOARD  # noqa: PLW0603 - one run, one query
    for figure in args.without:
        DASHBOARD = re.sub(rf"\s{figure}( \{{[^}}]*\}})?", "", DASHBOARD)
        print(f"without stats.{figure}")
    os.environ.update(dict(args.env))  # every part's environment starts from ours
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    print(
        f"{CONNECTIONS} connections, {TOKENS} street admins' tokens in turn, wrk with "
        f"{WRK_THREADS} threads on the same {os.cpu_count()} cores; {args.seconds}s per run "
        f"after a 3s warm-up; load {os.getloadavg()[0]:.2f} at the start"
    )
    results: dict[str, dict[str, Run]] = {}
    for scale in ("demo", "district") if args.scale == "both" else (args.scale,):
        results[scale] = run_scale(scale, args)
    verdict(results)


if __name__ == "__main__":
    main()
