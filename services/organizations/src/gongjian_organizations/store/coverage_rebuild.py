"""Rebuild all coverage from the rows, set-based: after the thresholds change, or a bulk load.

Day to day, coverage is kept current unit by unit (``store.coverage.refresh_coverage``); this
recomputes everything in three statements and is what a change of settings needs.
"""

from __future__ import annotations

import hashlib
import json

from gongjian_kit.db import Connection
from gongjian_organizations.domain.coverage import CoverageRules

REBUILD_LOCK_KEY = 0x6A_4D_20


def rules_fingerprint(rules: CoverageRules) -> str:
    return hashlib.sha256(json.dumps(rules.model_dump(), sort_keys=True).encode()).hexdigest()


async def rebuild_coverage(conn: Connection, rules: CoverageRules) -> None:
    """Recompute ``unit_coverage`` and ``area_coverage`` for every unit (caller's transaction)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", REBUILD_LOCK_KEY)
    await conn.execute("TRUNCATE unit_coverage, area_coverage")
    await conn.execute(
        """
        INSERT INTO unit_coverage (unit_id, family, area_code, required, mode, headcount,
                                   counted, seq)
        SELECT u.id, f.family, u.area_code,
               u.closed_on IS NULL AND f.headcount >= f.minimum,
               CASE WHEN u.closed_on IS NULL THEN
                 CASE min(CASE o.establishment WHEN 'STANDALONE' THEN 1 WHEN 'JOINT' THEN 2
                                               WHEN 'AFFILIATED' THEN 3 END)
                   WHEN 1 THEN 'OWN' WHEN 2 THEN 'JOINT' WHEN 3 THEN 'ATTACHED' END
               END,
               f.headcount, u.closed_on IS NULL, u.seq
        FROM unit u
        CROSS JOIN LATERAL (VALUES ('PARTY', u.party_members, $1::int),
                                   ('TRADE_UNION', u.employees, $2::int),
                                   ('YOUTH_LEAGUE', u.league_members, $3::int),
                                   ('WOMENS_FEDERATION', u.women, $4::int))
             AS f(family, headcount, minimum)
        LEFT JOIN organization_unit ou ON ou.unit_id = u.id
        LEFT JOIN organization o ON o.id = ou.organization_id AND o.family = f.family
             AND o.dissolved_on IS NULL
        GROUP BY u.id, f.family, f.headcount, f.minimum
        """,
        rules.party_min,
        rules.union_min,
        rules.league_min,
        rules.women_min,
    )
    # Every unit counts for its community, street and district (the code carries the chain).
    await conn.execute(
        """
        INSERT INTO area_coverage (area_code, family, units, required, covered_required,
                                   covered_not_required)
        SELECT a.code, c.family, count(*),
               count(*) FILTER (WHERE c.required),
               count(*) FILTER (WHERE c.required AND c.mode IS NOT NULL),
               count(*) FILTER (WHERE NOT c.required AND c.mode IS NOT NULL)
        FROM unit_coverage c
        CROSS JOIN LATERAL (VALUES (c.area_code),
                                   (substr(c.area_code, 1, 9) || '000'),
                                   (substr(c.area_code, 1, 6) || '000000')) AS a(code)
        WHERE c.counted
        GROUP BY a.code, c.family
        """
    )
    await conn.execute(
        "INSERT INTO coverage_rules (id, fingerprint, rebuilt_at) VALUES (1, $1, now()) "
        "ON CONFLICT (id) DO UPDATE SET fingerprint = $1, rebuilt_at = now()",
        rules_fingerprint(rules),
    )


async def rebuild_if_rules_changed(conn: Connection, rules: CoverageRules) -> bool:
    """At start-up: rebuild once when the thresholds differ from those last applied."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", REBUILD_LOCK_KEY)
        applied = await conn.fetchval("SELECT fingerprint FROM coverage_rules WHERE id = 1")
        if applied == rules_fingerprint(rules):
            return False
        await rebuild_coverage(conn, rules)
        return True
