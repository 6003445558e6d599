"""SQL for the figures: per area (with everything beneath it) and per organisation."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

import asyncpg

from gongjian_evaluation.domain.figures import Figures
from gongjian_kit.areas import area_and_ancestors, area_prefix
from gongjian_kit.db import Connection, Executor

# NOTIFY channel: areas were marked (the publishers wake instead of waiting for their poll).
STATS_DIRTY_CHANNEL = "gongjian_stats_dirty"

# Each figure of an area: its column, the ``Figures`` field it moves by, and the SQL type of
# the change. Statements are built from this table (constants only, never input).
AREA_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("organization_count", "organizations", "int"),
    ("activity_count", "activities", "int"),
    ("completed_activity_count", "completed_activities", "int"),
    ("people_served", "people_served", "bigint"),
    ("checked_in_count", "checked_in", "int"),
    ("volunteer_count", "volunteers", "int"),
    ("volunteer_hours", "volunteer_hours", "numeric"),
    ("cases_opened", "cases_opened", "int"),
    ("cases_resolved", "cases_resolved", "int"),
    ("cases_resolved_on_time", "cases_resolved_on_time", "int"),
    ("cases_closed", "cases_closed", "int"),
    ("satisfaction_count", "satisfaction_count", "int"),
    ("satisfaction_sum", "satisfaction_sum", "bigint"),
    ("cases_overdue_escalated", "cases_overdue_escalated", "int"),
    ("pairings_active", "pairings_active", "int"),
    ("visits", "visits", "int"),
    ("pledges_made", "pledges_made", "int"),
    ("pledges_fulfilled", "pledges_fulfilled", "int"),
    ("pledges_lapsed", "pledges_lapsed", "int"),
    ("decisions_made", "decisions_made", "int"),
    ("decisions_done", "decisions_done", "int"),
    ("decisions_overdue", "decisions_overdue", "int"),
    ("ventures", "ventures", "int"),
    ("venture_jobs", "venture_jobs", "bigint"),
    ("venture_people_led", "venture_people_led", "bigint"),
)
# The figures of cases kept per handling organisation.
CASE_SUMMARY_FIGURES: tuple[tuple[str, str, str], ...] = tuple(
    f
    for f in AREA_FIGURES
    if f[0]
    in (
        "cases_opened",
        "cases_resolved",
        "cases_resolved_on_time",
        "satisfaction_count",
        "satisfaction_sum",
    )
)
STATS_COLUMNS = ", ".join(["area_code", *(c for c, _, _ in AREA_FIGURES), "updated_at"])


def _moving_upsert(
    table: str, key: tuple[str, str], figures: tuple[tuple[str, str, str], ...]
) -> str:
    """One statement adding each key's change to its row (created at 0), locking the rows in
    the order given (``WITH ORDINALITY``)."""
    columns = [c for c, _, _ in figures]
    types = [key[1], *(t for _, _, t in figures)]
    arrays = [f"${n}::{t}[]" for n, t in enumerate(types, 1)]
    names = [f"x{n}" for n in range(len(figures) + 1)]
    added = ", ".join(f"{c} = s.{c} + excluded.{c}" for c in columns)
    return (
        f"INSERT INTO {table} AS s ({key[0]}, {', '.join(columns)}) "
        f"SELECT {', '.join(names)} FROM unnest({', '.join(arrays)}) "
        f"  WITH ORDINALITY AS x({', '.join(names)}, n) ORDER BY n "
        f"ON CONFLICT ({key[0]}) DO UPDATE SET {added}"
    )


MOVE_AREA_STATS = (
    _moving_upsert("area_stats", ("area_code", "text"), AREA_FIGURES)
    + f", updated_at = now() RETURNING {STATS_COLUMNS}"
)
MOVE_CASE_SUMMARIES = _moving_upsert(
    "organization_case_summary", ("organization_id", "uuid"), CASE_SUMMARY_FIGURES
)


async def move_area_stats(conn: Connection, moves: dict[str, Figures]) -> list[asyncpg.Record]:
    """Move the figures of each area by its change; return the areas' new rows.

    One statement locks the rows in the order of ``moves`` (sorted by the caller, see
    ``domain.figures.Moves``), so replicas moving overlapping areas never deadlock here.
    """
    if not moves:
        return []
    changes = list(moves.values())
    return await conn.fetch(
        MOVE_AREA_STATS,
        list(moves),
        *([getattr(f, field) for f in changes] for _, field, _ in AREA_FIGURES),
    )


async def move_case_summaries(conn: Connection, moves: dict[uuid.UUID, Figures]) -> None:
    """Move each handling organisation's case figures (rows locked in the order of ``moves``)."""
    moving = {
        org: f for org, f in moves.items() if any(getattr(f, n) for _, n, _ in CASE_SUMMARY_FIGURES)
    }
    if not moving:
        return
    changes = list(moving.values())
    await conn.execute(
        MOVE_CASE_SUMMARIES,
        list(moving),
        *([getattr(f, field) for f in changes] for _, field, _ in CASE_SUMMARY_FIGURES),
    )


async def move_organization_summaries(
    conn: Connection,
    moves: dict[uuid.UUID, Figures],
    *,
    latest: Mapping[uuid.UUID, datetime] | None = None,
    recount: Collection[uuid.UUID] = (),
) -> None:
    """Move each organisation's figures by its change (rows locked in the order of ``moves``).

    ``latest``: a start that may raise an organisation's latest activity; ``recount``:
    organisations whose latest activity is read again from the activity states (one of theirs
    was cancelled, moved earlier or lost them as organiser).
    """
    if not moves:
        return
    changes = list(moves.values())
    raised = latest or {}
    await conn.execute(
        "INSERT INTO organization_activity_summary AS s (organization_id, activity_count, "
        "  completed_count, people_served, volunteer_hours, last_activity_at) "
        "SELECT o, a, d, p, h, l FROM unnest($1::uuid[], $2::int[], $3::int[], $4::bigint[], "
        "  $5::numeric[], $6::timestamptz[]) WITH ORDINALITY AS x(o, a, d, p, h, l, n) "
        "ORDER BY n "
        "ON CONFLICT (organization_id) DO UPDATE SET "
        "  activity_count = s.activity_count + excluded.activity_count, "
        "  completed_count = s.completed_count + excluded.completed_count, "
        "  people_served = s.people_served + excluded.people_served, "
        "  volunteer_hours = s.volunteer_hours + excluded.volunteer_hours, "
        "  last_activity_at = greatest(s.last_activity_at, excluded.last_activity_at)",
        list(moves),
        [f.activities for f in changes],
        [f.completed_activities for f in changes],
        [f.people_served for f in changes],
        [f.volunteer_hours for f in changes],
        [raised.get(org) for org in moves],
    )
    again = [org for org in moves if org in recount]
    if again:  # the rows are locked already, in the same order
        await conn.execute(
            "UPDATE organization_activity_summary s SET last_activity_at = ("
            "  SELECT max(st.starts_at) FROM activity_state st "
            "  WHERE st.organizer_ids @> ARRAY[s.organization_id] AND st.status <> 'CANCELLED') "
            "WHERE s.organization_id = ANY($1::uuid[])",
            again,
        )


async def area_stats(conn: Executor, codes: list[str]) -> list[asyncpg.Record | None]:
    rows = await conn.fetch(
        f"SELECT {STATS_COLUMNS} FROM area_stats WHERE area_code = ANY($1::text[])", codes
    )
    found = {r["area_code"]: r for r in rows}
    return [found.get(c) for c in codes]


async def activity_summaries(
    conn: Executor, org_ids: list[uuid.UUID], scope_like: str
) -> list[asyncpg.Record | None]:
    """Summaries in the keys' order; None for organisations outside the scope."""
    rows = await conn.fetch(
        "SELECT r.id, coalesce(s.activity_count, 0) AS activity_count, "
        "  coalesce(s.completed_count, 0) AS completed_count, "
        "  coalesce(s.people_served, 0) AS people_served, "
        "  coalesce(s.volunteer_hours, 0) AS volunteer_hours, s.last_activity_at "
        "FROM organization_ref r LEFT JOIN organization_activity_summary s "
        "  ON s.organization_id = r.id "
        "WHERE r.id = ANY($1::uuid[]) AND r.area_code LIKE $2",
        org_ids,
        scope_like,
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in org_ids]


async def case_summaries(
    conn: Executor, org_ids: list[uuid.UUID], scope_like: str
) -> list[asyncpg.Record | None]:
    """Case figures in the keys' order (0 for an organisation without cases); None for
    organisations outside the scope."""
    figures = ", ".join(f"coalesce(s.{c}, 0) AS {c}" for c, _, _ in CASE_SUMMARY_FIGURES)
    rows = await conn.fetch(
        f"SELECT r.id, {figures} "
        "FROM organization_ref r LEFT JOIN organization_case_summary s "
        "  ON s.organization_id = r.id "
        "WHERE r.id = ANY($1::uuid[]) AND r.area_code LIKE $2",
        org_ids,
        scope_like,
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in org_ids]


# District statistics (issue 11): coalesced publishing, monthly snapshots, figures read at
# read time from the ledger and the assessments.


async def mark_dirty(conn: Connection, codes: list[str]) -> None:
    """Mark areas whose figures moved (in the mover's transaction). ``DO UPDATE`` takes the
    mark's row lock even when it is there already: the publisher skips a mark locked by an
    uncommitted change and takes it at its next pass, so no change is published stale."""
    if codes:
        # …and wake the publishers (NOTIFY is delivered on commit, once per transaction).
        await conn.execute(
            "WITH marked AS (INSERT INTO stats_dirty AS d (area_code) "
            "  SELECT c FROM unnest($1::text[]) WITH ORDINALITY AS x(c, n) ORDER BY n "
            "  ON CONFLICT (area_code) DO UPDATE SET since = d.since RETURNING 1) "
            "SELECT pg_notify($2, '') FROM (SELECT count(*) FROM marked) AS m",
            codes,
            STATS_DIRTY_CHANNEL,
        )


async def mark_with_ancestors(conn: Connection, codes: Collection[str]) -> None:
    """Mark these areas and every one above them (a change read at publish time, such as a
    published grade or a 推优 stage, counts in each)."""
    await mark_dirty(conn, sorted({up for code in codes for up in area_and_ancestors(code)}))


async def take_dirty(conn: Connection, limit: int, spacing_s: float) -> list[asyncpg.Record]:
    """Take (delete) up to ``limit`` marks not locked by a change in flight, of areas not
    published in the last ``spacing_s`` seconds, with the areas' current rows; note them as
    published now (in the caller's transaction: all of it returns if that rolls back)."""
    return await conn.fetch(
        "WITH taken AS ("
        "  SELECT d.area_code FROM stats_dirty d "
        "  LEFT JOIN stats_published p ON p.area_code = d.area_code "
        "  WHERE p.published_at IS NULL "
        "    OR p.published_at <= clock_timestamp() - make_interval(secs => $2) "
        "  ORDER BY d.area_code LIMIT $1 FOR UPDATE OF d SKIP LOCKED"
        "), gone AS ("
        "  DELETE FROM stats_dirty d USING taken t WHERE d.area_code = t.area_code "
        "  RETURNING d.area_code, d.since"
        "), noted AS ("
        "  INSERT INTO stats_published (area_code, published_at) "
        "  SELECT area_code, clock_timestamp() FROM gone ORDER BY area_code "
        "  ON CONFLICT (area_code) DO UPDATE SET published_at = excluded.published_at"
        f") SELECT g.since, {', '.join(f's.{c}' for c in STATS_COLUMNS.split(', '))} "
        "FROM gone g JOIN area_stats s ON s.area_code = g.area_code ORDER BY s.area_code",
        limit,
        spacing_s,
    )


async def keep_months(conn: Connection, month: date, figures: list[dict[str, Any]]) -> None:
    """Set each area's snapshot of ``month`` to the figures just published."""
    if figures:
        await conn.execute(
            "INSERT INTO area_stats_month (area_code, month, figures, updated_at) "
            "SELECT f->>'areaCode', $1, f, now() FROM unnest($2::jsonb[]) AS x(f) "
            "ON CONFLICT (area_code, month) DO UPDATE SET figures = excluded.figures, "
            "  updated_at = excluded.updated_at",
            month,
            figures,  # the pool's jsonb codec encodes them
        )


async def area_history(conn: Executor, code: str, first: date, last: date) -> list[asyncpg.Record]:
    """An area's monthly snapshots from ``first``'s month to ``last``'s, oldest first."""
    return await conn.fetch(
        "SELECT month, figures FROM area_stats_month "
        "WHERE area_code = $1 AND month BETWEEN $2 AND $3 ORDER BY month",
        code,
        first.replace(day=1),
        last.replace(day=1),
    )


async def active_organizations(conn: Executor, prefix: str, since: date, until: date) -> int:
    """Organisations registered beneath the area, not dissolved, organising (not cancelled) an
    activity that starts between ``since`` and ``until`` (the ledger's activity rows)."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM organization_ref r "
            "WHERE r.area_code LIKE $1 AND r.dissolved_on IS NULL AND EXISTS ("
            "  SELECT 1 FROM evidence e WHERE e.source_kind = 'ACTIVITY' "
            "  AND e.organization_ids @> ARRAY[r.id] AND e.status <> 'CANCELLED' "
            "  AND e.occurred_on BETWEEN $2 AND $3)",
            prefix + "%",
            since,
            until,
        )
    )


async def activities_by_line(conn: Executor, code: str) -> list[asyncpg.Record]:
    """Activities held in the area and beneath (not cancelled), per line of work (the
    activity's ``line`` as its events tell it; '' for none): kept by the consumer."""
    return await conn.fetch(
        "SELECT line AS key, activities AS count FROM area_line_stats "
        "WHERE area_code = $1 AND activities > 0 ORDER BY line",
        code,
    )


async def move_area_lines(conn: Connection, moves: dict[tuple[str, str], int]) -> None:
    """Move the activities per (area, line) by each change (rows locked in the order given)."""
    if moves:
        await conn.execute(
            "INSERT INTO area_line_stats AS s (area_code, line, activities) "
            "SELECT a, l, d FROM unnest($1::text[], $2::text[], $3::int[]) "
            "  WITH ORDINALITY AS x(a, l, d, n) ORDER BY n "
            "ON CONFLICT (area_code, line) DO UPDATE SET activities = s.activities + "
            "excluded.activities",
            [a for a, _ in moves],
            [line for _, line in moves],
            list(moves.values()),
        )


async def published_grades(conn: Executor, prefix: str) -> list[asyncpg.Record]:
    """Published assessments of subjects in the area and beneath, per grade."""
    return await conn.fetch(
        "SELECT grade AS key, count(*)::int AS count FROM assessment "
        "WHERE status = 'PUBLISHED' AND grade IS NOT NULL AND area_code LIKE $1 "
        "GROUP BY 1 ORDER BY 1",
        prefix + "%",
    )


async def recommendations_by_stage(conn: Executor, prefix: str) -> list[asyncpg.Record]:
    """推优 (recommendations to the Party by the organisations of the area and beneath) per
    stage; a stopped one counts as STOPPED. Nothing while the ``recommendation`` table (0009)
    is not there."""
    if not await conn.fetchval("SELECT to_regclass('recommendation') IS NOT NULL"):
        return []
    return await conn.fetch(
        "SELECT CASE WHEN stopped_on IS NULL THEN stage ELSE 'STOPPED' END AS key, "
        "  count(*)::int AS count FROM recommendation WHERE area_code LIKE $1 "
        "GROUP BY 1 ORDER BY 1",
        prefix + "%",
    )


async def keep_coverage(
    conn: Connection,
    unit_id: uuid.UUID,
    family: str,
    after: tuple[str, bool, bool] | None,
) -> list[str]:
    """Set a unit's coverage of a family to ``after`` (area, required, covered; None: it no
    longer counts) and move its areas' counts (the area and every one above it) by the
    difference from the state kept before. Setting the same state twice moves nothing.
    Returns the areas whose counts moved."""
    before = await conn.fetchrow(
        "SELECT area_code, required, covered FROM coverage_state "
        "WHERE unit_id = $1 AND family = $2 FOR UPDATE",
        unit_id,
        family,
    )
    moves: dict[str, list[int]] = {}
    for state, sign in ((before and tuple(before), -1), (after, 1)):
        if not state:
            continue
        code, required, covered = state
        for area in area_and_ancestors(code):
            move = moves.setdefault(area, [0, 0])
            move[0] += sign * (1 if required else 0)
            move[1] += sign * (1 if required and covered else 0)
    if after is None:
        await conn.execute(
            "DELETE FROM coverage_state WHERE unit_id = $1 AND family = $2", unit_id, family
        )
    else:
        await conn.execute(
            "INSERT INTO coverage_state (unit_id, family, area_code, required, covered) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (unit_id, family) DO UPDATE SET "
            "area_code = $3, required = $4, covered = $5",
            unit_id,
            family,
            *after,
        )
    moving = sorted((a, m) for a, m in moves.items() if any(m))
    if moving:
        await conn.execute(
            "INSERT INTO area_coverage AS c (area_code, family, required, covered) "
            "SELECT a, $2, r, v FROM unnest($1::text[], $3::int[], $4::int[]) "
            "  WITH ORDINALITY AS x(a, r, v, n) ORDER BY n "
            "ON CONFLICT (area_code, family) DO UPDATE SET "
            "  required = c.required + excluded.required, covered = c.covered + excluded.covered",
            [a for a, _ in moving],
            family,
            [m[0] for _, m in moving],
            [m[1] for _, m in moving],
        )
    return [a for a, _ in moving]


async def coverage(conn: Executor, code: str) -> list[asyncpg.Record]:
    """An area's coverage per family (units required to have it, units that do)."""
    return await conn.fetch(
        "SELECT family, required, covered FROM area_coverage WHERE area_code = $1 ORDER BY family",
        code,
    )


async def published_extras(conn: Executor, codes: list[str]) -> dict[str, dict[str, Any]]:
    """What an area's message tells beside its counters, for many areas at once: coverage per
    family, activities per line of work, published grades and 推优 by stage (of the area and
    everything beneath it)."""
    extras: dict[str, dict[str, Any]] = {
        code: {
            "coverage": [],
            "activitiesByLineOfWork": [],
            "assessmentGrades": [],
            "recommendationsByStage": [],
        }
        for code in codes
    }
    for row in await conn.fetch(
        "SELECT area_code, line, activities FROM area_line_stats "
        "WHERE area_code = ANY($1::text[]) AND activities > 0 ORDER BY area_code, line",
        codes,
    ):
        extras[row["area_code"]]["activitiesByLineOfWork"].append(
            {"key": row["line"], "count": row["activities"]}
        )
    for row in await conn.fetch(
        "SELECT area_code, family, required, covered FROM area_coverage "
        "WHERE area_code = ANY($1::text[]) ORDER BY area_code, family",
        codes,
    ):
        extras[row["area_code"]]["coverage"].append(
            {"family": row["family"], "required": row["required"], "covered": row["covered"]}
        )
    prefixes = [area_prefix(code) + "%" for code in codes]
    counted = (
        ("assessmentGrades", "SELECT a.code, s.grade AS key, count(*)::int AS count "
         "FROM unnest($1::text[], $2::text[]) AS a(code, prefix) JOIN assessment s "
         "ON s.area_code LIKE a.prefix AND s.status = 'PUBLISHED' AND s.grade IS NOT NULL "
         "GROUP BY 1, 2 ORDER BY 1, 2"),
        ("recommendationsByStage", "SELECT a.code, CASE WHEN r.stopped_on IS NULL THEN r.stage "
         "ELSE 'STOPPED' END AS key, count(*)::int AS count "
         "FROM unnest($1::text[], $2::text[]) AS a(code, prefix) JOIN recommendation r "
         "ON r.area_code LIKE a.prefix GROUP BY 1, 2 ORDER BY 1, 2"),
    )  # fmt: skip
    for name, sql in counted:
        for row in await conn.fetch(sql, codes, prefixes):
            extras[row["code"]][name].append({"key": row["key"], "count": row["count"]})
    return extras
