"""SQL for each subject's last state: the rows the figures are moved from.

Each ``…_state`` read locks the subject's row (``FOR UPDATE``) until the transaction ends; the
consumer already applies one subject's events one at a time, and the lock keeps a second replica
in a rebalance from reading a state the first is replacing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from asyncpg import Record

from gongjian_evaluation.domain.figures import (
    ActivityState,
    HoursState,
    OrganizationState,
    ParticipationState,
)
from gongjian_kit.db import Connection


async def organization_state(conn: Connection, org_id: uuid.UUID) -> OrganizationState | None:
    row = await conn.fetchrow(
        "SELECT area_code, dissolved_on IS NULL AS active FROM organization_ref "
        "WHERE id = $1 FOR UPDATE",
        org_id,
    )
    return None if row is None else OrganizationState(row["area_code"], row["active"])


async def save_organization(
    conn: Connection, org_id: uuid.UUID, area_code: str, family: str, dissolved_on: date | None
) -> None:
    await conn.execute(
        "INSERT INTO organization_ref (id, area_code, family, dissolved_on) "
        "VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO UPDATE SET area_code = $2, family = $3, dissolved_on = $4",
        org_id,
        area_code,
        family,
        dissolved_on,
    )


_ACTIVITY_STATE = (
    "SELECT activity_id, area_code, organizer_ids, status, people_served, starts_at, line "
)


def _activity(row: Record) -> ActivityState:
    return ActivityState(
        area_code=row["area_code"],
        organizer_ids=tuple(row["organizer_ids"]),
        status=row["status"],
        people_served=row["people_served"],
        starts_at=row["starts_at"],
        line=row["line"],
    )


async def activity_state(conn: Connection, activity_id: uuid.UUID) -> ActivityState | None:
    return (await activity_states(conn, [activity_id])).get(activity_id)


async def activity_states(
    conn: Connection, activity_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, ActivityState]:
    """The kept states of these activities (those known), locked in the order of their ids."""
    rows = await conn.fetch(
        _ACTIVITY_STATE + "FROM activity_state WHERE activity_id = ANY($1::uuid[]) "
        "ORDER BY activity_id FOR UPDATE",
        sorted(set(activity_ids)),
    )
    return {row["activity_id"]: _activity(row) for row in rows}


async def save_activity_state(
    conn: Connection, activity_id: uuid.UUID, state: ActivityState
) -> None:
    await save_activity_states(conn, {activity_id: state})


async def save_activity_states(conn: Connection, kept: dict[uuid.UUID, ActivityState]) -> None:
    """Keep each activity's state: one statement for all (organisers travel as text: unnest
    cannot take arrays of different lengths)."""
    if not kept:
        return
    ordered = sorted(kept.items())
    await conn.execute(
        "INSERT INTO activity_state "
        "  (activity_id, area_code, organizer_ids, status, people_served, starts_at, line) "
        "SELECT i, a, o::uuid[], s, p, t, l FROM unnest($1::uuid[], $2::text[], $3::text[], "
        "  $4::text[], $5::int[], $6::timestamptz[], $7::text[]) "
        "  WITH ORDINALITY AS x(i, a, o, s, p, t, l, n) ORDER BY n "
        "ON CONFLICT (activity_id) DO UPDATE SET area_code = excluded.area_code, "
        "  organizer_ids = excluded.organizer_ids, status = excluded.status, "
        "  people_served = excluded.people_served, starts_at = excluded.starts_at, "
        "  line = excluded.line",
        [activity_id for activity_id, _ in ordered],
        [state.area_code for _, state in ordered],
        ["{" + ",".join(map(str, state.organizer_ids)) + "}" for _, state in ordered],
        [state.status for _, state in ordered],
        [state.people_served for _, state in ordered],
        [state.starts_at for _, state in ordered],
        [state.line for _, state in ordered],
    )


async def activity_organizers(conn: Connection, activity_id: uuid.UUID) -> tuple[uuid.UUID, ...]:
    """The organisers of an activity as last heard (none when it is not known here)."""
    found = await conn.fetchval(
        "SELECT organizer_ids FROM activity_state WHERE activity_id = $1", activity_id
    )
    return tuple(found or ())


async def participation_state(
    conn: Connection, participation_id: uuid.UUID
) -> ParticipationState | None:
    row = await conn.fetchrow(
        "SELECT area_code, checked_in FROM participation_state "
        "WHERE participation_id = $1 FOR UPDATE",
        participation_id,
    )
    return None if row is None else ParticipationState(row["area_code"], row["checked_in"])


async def save_participation_state(
    conn: Connection, participation_id: uuid.UUID, state: ParticipationState
) -> None:
    await conn.execute(
        "INSERT INTO participation_state (participation_id, area_code, checked_in) "
        "VALUES ($1, $2, $3) "
        "ON CONFLICT (participation_id) DO UPDATE SET area_code = $2, checked_in = $3",
        participation_id,
        state.area_code,
        state.checked_in,
    )


async def hours_state(conn: Connection, source_id: uuid.UUID) -> HoursState | None:
    row = await conn.fetchrow(
        "SELECT person_id, area_code, organizer_ids, hours FROM hours_state "
        "WHERE source_id = $1 FOR UPDATE",
        source_id,
    )
    if row is None:
        return None
    return HoursState(
        person_id=row["person_id"],
        area_code=row["area_code"],
        organizer_ids=tuple(row["organizer_ids"]),
        hours=row["hours"],
    )


async def save_hours_state(conn: Connection, source_id: uuid.UUID, state: HoursState) -> None:
    await conn.execute(
        "INSERT INTO hours_state (source_id, person_id, area_code, organizer_ids, hours) "
        "VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (source_id) DO UPDATE SET person_id = $2, area_code = $3, "
        "  organizer_ids = $4, hours = $5",
        source_id,
        state.person_id,
        state.area_code,
        list(state.organizer_ids),
        state.hours,
    )


async def count_volunteer_sources(
    conn: Connection, sources: dict[tuple[uuid.UUID, str], int]
) -> dict[str, int]:
    """Move each (person, area)'s number of counted sources of hours; return, per area, how
    many volunteers it gains (+1: the person's first source there) or loses (-1: their last).

    One upsert, in key order, computes the old number from the new: no read that a concurrent
    transaction could invalidate between reading and writing.
    """
    if not sources:
        return {}
    keys = list(sources)
    rows = await conn.fetch(
        "INSERT INTO volunteer_area AS v (person_id, area_code, sources) "
        "SELECT p, a, n FROM unnest($1::uuid[], $2::text[], $3::int[]) AS x(p, a, n) "
        "ORDER BY p, a "
        "ON CONFLICT (person_id, area_code) DO UPDATE SET sources = v.sources + excluded.sources "
        "RETURNING person_id, area_code, sources",
        [p for p, _ in keys],
        [a for _, a in keys],
        list(sources.values()),
    )
    changes: dict[str, int] = {}
    for row in rows:
        now = row["sources"]
        was = now - sources[(row["person_id"], row["area_code"])]
        change = (now > 0) - (was > 0)
        if change:
            changes[row["area_code"]] = changes.get(row["area_code"], 0) + change
    return changes
