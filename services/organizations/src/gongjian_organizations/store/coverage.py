"""SQL for coverage: refresh units' states and their areas' figures; read figures and gaps."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

import asyncpg

from gongjian_kit.areas import area_and_ancestors
from gongjian_kit.db import Connection, Executor
from gongjian_organizations.domain.coverage import (
    MODE_OF_ESTABLISHMENT,
    AreaDelta,
    CoverageMode,
    CoverageRules,
    UnitCoverage,
    strongest_mode,
)
from gongjian_organizations.domain.organizations import Establishment, OrganizationFamily
from gongjian_organizations.store.units import COVERED_BY


@dataclass(frozen=True)
class CoverageChange:
    unit_id: uuid.UUID
    area_code: str
    family: OrganizationFamily
    before: UnitCoverage | None
    after: UnitCoverage


async def refresh_coverage(
    conn: Connection, unit_ids: list[uuid.UUID], rules: CoverageRules
) -> list[CoverageChange]:
    """Recompute the coverage of ``unit_ids`` and move their areas' figures by the difference.

    Call it in the transaction that changed a unit or an organisation: the figures then never
    disagree with the rows. Five statements, however many units.
    """
    if not unit_ids:
        return []
    units = await conn.fetch(
        "SELECT id, seq, area_code, employees, party_members, league_members, women, closed_on "
        # NO KEY UPDATE: two refreshes of one unit still queue, but the KEY SHARE lock that the
        # caller's own organization_unit insert took on the unit (its foreign key) no longer
        # has to be upgraded, which deadlocked two concurrent establishOrganization calls.
        "FROM unit WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE",
        unit_ids,
    )
    covering = await conn.fetch(
        "SELECT ou.unit_id, o.family, array_agg(DISTINCT o.establishment) AS establishments "
        "FROM organization_unit ou JOIN organization o ON o.id = ou.organization_id "
        "WHERE ou.unit_id = ANY($1::uuid[]) AND o.dissolved_on IS NULL GROUP BY 1, 2",
        unit_ids,
    )
    previous = await conn.fetch(
        "SELECT unit_id, family, required, mode, counted FROM unit_coverage "
        "WHERE unit_id = ANY($1::uuid[])",
        unit_ids,
    )
    modes = {
        (r["unit_id"], r["family"]): [
            MODE_OF_ESTABLISHMENT[Establishment(e)] for e in r["establishments"]
        ]
        for r in covering
    }
    old = {
        (r["unit_id"], r["family"]): (
            UnitCoverage(r["required"], CoverageMode(r["mode"]) if r["mode"] else None),
            r["counted"],
        )
        for r in previous
    }
    changes: list[CoverageChange] = []
    upserts: list[tuple[object, ...]] = []
    deltas: dict[tuple[str, str], AreaDelta] = defaultdict(AreaDelta)
    for unit in units:
        counted = unit["closed_on"] is None
        for family in OrganizationFamily:
            column, _ = rules.threshold(family)
            mode = strongest_mode(modes.get((unit["id"], family.value), [])) if counted else None
            state = UnitCoverage(required=rules.required(family, dict(unit)), mode=mode)
            before, was_counted = old.get((unit["id"], family.value), (None, False))
            if before == state and was_counted == counted:
                continue
            upserts.append(
                (
                    unit["id"],
                    family.value,
                    unit["area_code"],
                    state.required,
                    state.mode.value if state.mode else None,
                    unit[column],
                    counted,
                    unit["seq"],
                )
            )
            delta = AreaDelta.of(state, counted).minus(AreaDelta.of(before, was_counted))
            if not delta.is_zero:
                for code in area_and_ancestors(unit["area_code"]):
                    current = deltas[(code, family.value)]
                    deltas[(code, family.value)] = AreaDelta(
                        current.units + delta.units,
                        current.required + delta.required,
                        current.covered_required + delta.covered_required,
                        current.covered_not_required + delta.covered_not_required,
                    )
            if before != state:
                changes.append(CoverageChange(unit["id"], unit["area_code"], family, before, state))
    if upserts:
        await conn.executemany(
            "INSERT INTO unit_coverage (unit_id, family, area_code, required, mode, headcount, "
            "counted, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT (unit_id, family) DO UPDATE SET required = $4, mode = $5, "
            "headcount = $6, counted = $7",
            upserts,
        )
    if deltas:
        await conn.executemany(
            "INSERT INTO area_coverage AS c (area_code, family, units, required, "
            "covered_required, covered_not_required) VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (area_code, family) DO UPDATE SET units = c.units + $3, "
            "required = c.required + $4, covered_required = c.covered_required + $5, "
            "covered_not_required = c.covered_not_required + $6",
            [
                (code, family, d.units, d.required, d.covered_required, d.covered_not_required)
                for (code, family), d in sorted(deltas.items())
                if not d.is_zero
            ],
        )
    return changes


async def area_coverage(conn: Executor, area_codes: list[str]) -> list[list[asyncpg.Record]]:
    """The maintained figures of each area (a row per family), in the keys' order."""
    rows = await conn.fetch(
        "SELECT area_code, family, units, required, covered_required, covered_not_required "
        "FROM area_coverage WHERE area_code = ANY($1::text[])",
        area_codes,
    )
    grouped: dict[str, list[asyncpg.Record]] = {c: [] for c in area_codes}
    for row in rows:
        grouped[row["area_code"]].append(row)
    return [grouped[c] for c in area_codes]


async def gaps_page(
    conn: Executor,
    family: str,
    area_like: str,
    after: tuple[int, int] | None,
    limit: int,
    covered_by: list[uuid.UUID] | None = None,
) -> list[asyncpg.Record]:
    """Units required but not covered, largest headcount first (keyset: headcount, seq); with
    ``covered_by``, only units that one of those organisations covers (in another family)."""
    headcount, seq = after if after else (2**31 - 1, 0)
    return await conn.fetch(
        "SELECT c.headcount, u.* FROM unit_coverage c JOIN unit u ON u.id = c.unit_id "
        "WHERE c.family = $1 AND c.area_code LIKE $2 AND c.required AND c.mode IS NULL "
        "AND c.counted AND (c.headcount < $3 OR (c.headcount = $3 AND c.seq > $4)) "
        f"AND ($6::uuid[] IS NULL OR {COVERED_BY.format(unit='u.id', orgs='$6')}) "
        "ORDER BY c.headcount DESC, c.seq LIMIT $5",
        family,
        area_like,
        headcount,
        seq,
        limit,
        covered_by,
    )


async def count_gaps_covered_by(
    conn: Executor, family: str, area_like: str, covered_by: list[uuid.UUID]
) -> int:
    """The gap list's length for a caller limited to some organisations (a scan of their units,
    not the maintained figures, which are the whole area's)."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM unit_coverage c WHERE c.family = $1 AND c.area_code LIKE $2 "
            "AND c.required AND c.mode IS NULL AND c.counted AND "
            f"{COVERED_BY.format(unit='c.unit_id', orgs='$3')}",
            family,
            area_like,
            covered_by,
        )
    )


async def count_gaps(conn: Executor, family: str, area_code: str) -> int:
    """From the maintained figures: required minus covered, no scan."""
    row = await conn.fetchrow(
        "SELECT required - covered_required FROM area_coverage WHERE area_code = $1 "
        "AND family = $2",
        area_code,
        family,
    )
    return int(row[0]) if row else 0


async def coverage_of_units(
    conn: Executor, unit_ids: list[uuid.UUID]
) -> list[list[asyncpg.Record]]:
    rows = await conn.fetch(
        "SELECT unit_id, family, required, mode, counted FROM unit_coverage "
        "WHERE unit_id = ANY($1::uuid[]) ORDER BY family",
        unit_ids,
    )
    grouped: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in unit_ids}
    for row in rows:
        grouped[row["unit_id"]].append(row)
    return [grouped[i] for i in unit_ids]
