"""What a file names in words that the use cases take as ids: units by credit code, organisations
by name. Each is one statement for the whole file."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from gongjian_kit.db import Executor


@dataclass(frozen=True)
class FoundUnit:
    id: uuid.UUID
    closed: bool


async def units_by_credit_code(
    conn: Executor, codes: set[str], scope_like: str
) -> dict[str, FoundUnit]:
    if not codes:
        return {}
    rows = await conn.fetch(
        "SELECT id, credit_code, closed_on FROM unit WHERE credit_code = ANY($1::text[]) "
        "AND area_code LIKE $2",
        list(codes),
        scope_like,
    )
    return {r["credit_code"]: FoundUnit(r["id"], r["closed_on"] is not None) for r in rows}


@dataclass(frozen=True)
class FoundOrganization:
    id: uuid.UUID
    dissolved_on: date | None


async def organizations_by_name(
    conn: Executor, names: set[str], scope_like: str
) -> dict[str, list[FoundOrganization]]:
    if not names:
        return {}
    rows = await conn.fetch(
        "SELECT id, name, dissolved_on FROM organization WHERE name = ANY($1::text[]) "
        "AND area_code LIKE $2 ORDER BY seq",
        list(names),
        scope_like,
    )
    found: dict[str, list[FoundOrganization]] = {}
    for r in rows:
        found.setdefault(r["name"], []).append(FoundOrganization(r["id"], r["dissolved_on"]))
    return found
