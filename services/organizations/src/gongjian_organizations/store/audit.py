"""SQL for the audit of personal data: every unmasked read, every look-up by ID number, every
registration refused as a duplicate, every refusal for too many look-ups.

Rows are written on the pool, never in the caller's transaction: an import that rolls back, or a
registration refused, still leaves its audit rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

from gongjian_kit.auth import Caller
from gongjian_kit.db import Executor


class Reason(StrEnum):
    UNMASKED_READ = "UNMASKED_READ"
    LOOKUP_BY_ID_NUMBER = "LOOKUP_BY_ID_NUMBER"
    DUPLICATE_ID_NUMBER = "DUPLICATE_ID_NUMBER"  # a registration refused: the number is taken
    DUPLICATE_CREDIT_CODE = "DUPLICATE_CREDIT_CODE"
    RATE_LIMITED = "RATE_LIMITED"


@dataclass(frozen=True)
class Trail:
    """Who acted, as the audit records them: the token's subject, roles and area, and the
    request (a GraphQL request's id, or one per import run)."""

    subject: str
    roles: tuple[str, ...]
    area: str
    request_id: str

    @classmethod
    def of(cls, caller: Caller, request_id: str) -> Trail:
        return cls(caller.subject, tuple(sorted(caller.roles)), caller.area, request_id)


@dataclass(frozen=True)
class Entry:
    field: str  # idNumber, phone, creditCode
    reason: Reason
    person_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    detail: str | None = None  # e.g. "outside the caller's scope"


async def record(db: Executor, trail: Trail, entries: list[Entry]) -> None:
    """Write the entries in one statement."""
    if not entries:
        return
    await db.executemany(
        "INSERT INTO personal_data_access (actor, roles, area, request_id, person_id, unit_id, "
        "field, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            (
                trail.subject,
                list(trail.roles),
                trail.area,
                trail.request_id,
                e.person_id,
                e.unit_id,
                e.field,
                e.reason.value,
                e.detail,
            )
            for e in entries
        ],
    )


async def rows_about(
    conn: Executor,
    *,
    person_id: uuid.UUID | None = None,
    subject: str | None = None,
    since: datetime | None = None,
    limit: int = 1000,
) -> list[asyncpg.Record]:
    """Audit rows about a person or by a subject, oldest first."""
    return await conn.fetch(
        "SELECT id, read_at, actor, roles, area, request_id, person_id, unit_id, field, reason, "
        "detail FROM personal_data_access WHERE ($1::uuid IS NULL OR person_id = $1) "
        "AND ($2::text IS NULL OR actor = $2) AND ($3::timestamptz IS NULL OR read_at >= $3) "
        "ORDER BY id LIMIT $4",
        person_id,
        subject,
        since,
        limit,
    )
