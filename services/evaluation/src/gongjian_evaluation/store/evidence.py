"""SQL that keeps the evidence ledger: one upsert per event, in the consumer's transaction.

The row changes only for a newer event (a higher version of the subject; events without a
version: a later or equal event time), so the same event twice changes nothing and an older
event never overwrites a newer one. A newer event that leaves the row as it was only advances
the version: the row's last event, and when it arrived, stay those of the last real change (a
repeated or empty event is not "late evidence").
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from itertools import groupby

from gongjian_evaluation.domain.evidence import COLUMNS, Evidence
from gongjian_kit.db import Connection
from gongjian_kit.events import Event

_INSERT_COLUMNS = (
    "source_kind",
    "source_id",
    *COLUMNS,
    "attrs",
    "last_event_id",
    "last_event_type",
    "last_version",
    "last_event_at",
    "received_at",
)
_NEWER = (
    "evidence.last_event_id <> excluded.last_event_id AND CASE "
    "WHEN evidence.last_version IS NOT NULL AND excluded.last_version IS NOT NULL "
    "THEN excluded.last_version > evidence.last_version "
    "ELSE excluded.last_event_at >= evidence.last_event_at END"
)


# Each inserted column's SQL type, for the arrays of ``record_many`` (organisation ids and attrs
# travel as text: PostgreSQL's unnest cannot take an array of arrays of different lengths).
_TYPES = {
    "source_kind": "text",
    "source_id": "uuid",
    "organization_ids": "text",
    "person_id": "uuid",
    "parent_id": "uuid",
    "area_code": "text",
    "occurred_on": "date",
    "until_on": "date",
    "due_on": "date",
    "status": "text",
    "category": "text",
    "hours": "numeric",
    "satisfaction": "smallint",
    "on_time": "bool",
    "checked_in": "bool",
    "attrs": "text",
    "last_event_id": "uuid",
    "last_event_type": "text",
    "last_version": "bigint",
    "last_event_at": "timestamptz",
    "received_at": "timestamptz",
}
_CASTS = {"organization_ids": "::uuid[]", "attrs": "::jsonb"}


@cache
def _upsert_sql(kept: frozenset[str]) -> str:
    """The upsert of many rows (each of a different source) for events that do not tell the
    ``kept`` columns (constants only)."""
    after = {c: f"evidence.{c}" if c in kept else f"excluded.{c}" for c in COLUMNS}
    after["attrs"] = "evidence.attrs || excluded.attrs"
    before = ", ".join(f"evidence.{c}" for c in after)
    changed = f"ROW({before}) IS DISTINCT FROM ROW({', '.join(after.values())})"
    last = ", ".join(
        f"{c} = CASE WHEN {changed} THEN excluded.{c} ELSE evidence.{c} END"
        for c in ("last_event_id", "last_event_type", "received_at")
    )
    arrays = ", ".join(f"${n}::{_TYPES[c]}[]" for n, c in enumerate(_INSERT_COLUMNS, 1))
    values = ", ".join(f"x.{c}{_CASTS.get(c, '')}" for c in _INSERT_COLUMNS)
    sets = ", ".join(f"{c} = {value}" for c, value in after.items())
    return (
        f"INSERT INTO evidence AS evidence ({', '.join(_INSERT_COLUMNS)}) "
        f"SELECT {values} FROM unnest({arrays}) "
        f"  WITH ORDINALITY AS x({', '.join(_INSERT_COLUMNS)}, n) ORDER BY n "
        f"ON CONFLICT (source_kind, source_id) DO UPDATE SET {last}, {sets}, "
        "last_version = excluded.last_version, last_event_at = excluded.last_event_at "
        f"WHERE {_NEWER}"
    )


def _arguments(row: Evidence, event: Event, received_at: datetime) -> tuple[object, ...]:
    return (
        row.kind.value,
        row.source_id,
        "{" + ",".join(map(str, row.organization_ids)) + "}",
        row.person_id,
        row.parent_id,
        row.area_code,
        row.occurred_on,
        row.until_on,
        row.due_on,
        row.status,
        row.category,
        row.hours,
        row.satisfaction,
        row.on_time,
        row.checked_in,
        json.dumps(row.attrs),
        uuid.UUID(event.id),
        event.type,
        event.version,
        event.time,
        received_at,
    )


async def record(conn: Connection, row: Evidence, event: Event, received_at: datetime) -> None:
    """Keep ``row`` as ``event`` leaves it (arrived at ``received_at``)."""
    await record_many(conn, [(row, event)], received_at)


async def record_many(
    conn: Connection, rows: Sequence[tuple[Evidence, Event]], received_at: datetime
) -> None:
    """Keep each row as its event leaves it, with the effect of one by one in order.

    One statement per run of rows with one upsert (the same ``kept`` columns) and per
    generation in it: a source's first row of the run, then its second, … (a statement may
    change a row only once).
    """
    for sql, run in groupby(rows, key=lambda kept: _upsert_sql(kept[0].kept)):
        generations: list[list[tuple[object, ...]]] = []
        seen: dict[tuple[str, uuid.UUID], int] = {}
        for row, event in run:
            key = (row.kind.value, row.source_id)
            seen[key] = seen.get(key, -1) + 1
            if seen[key] == len(generations):
                generations.append([])
            generations[seen[key]].append(_arguments(row, event, received_at))
        for generation in generations:
            await conn.execute(sql, *(list(column) for column in zip(*generation, strict=True)))


async def describe_organization(
    conn: Connection, org_id: uuid.UUID, *, kind: str | None = None, name: str | None = None
) -> None:
    """An organisation's kind (from its establishment) or name (from a renaming)."""
    await conn.execute(
        "UPDATE organization_ref SET kind = coalesce($2, kind), name = coalesce($3, name) "
        "WHERE id = $1",
        org_id,
        kind,
        name,
    )
