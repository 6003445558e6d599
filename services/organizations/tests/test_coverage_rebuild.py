"""The set-based rebuild agrees with coverage kept current unit by unit."""

import asyncpg
import pytest

from gongjian_deploy.pytest_plugin import District
from gongjian_organizations.domain.coverage import CoverageRules
from gongjian_organizations.store.coverage_rebuild import rebuild_coverage

pytestmark = pytest.mark.integration


class RollBackError(Exception):
    """Undoes the experiment."""


SNAPSHOT_UNITS = "SELECT unit_id, family, required, mode, headcount, counted FROM unit_coverage"
SNAPSHOT_AREAS = (
    "SELECT area_code, family, units, required, covered_required, "
    "covered_not_required FROM area_coverage WHERE units > 0 OR required > 0"
)


async def test_rebuild_matches_the_incremental_figures(district: District):
    c1, c2 = district.communities[0], district.communities[3]
    a = district.unit(c1, partyMembers=7, employees=60, leagueMembers=5, women=55)
    b = district.unit(c2, partyMembers=1, employees=26)
    c = district.unit(c2, employees=10)
    district.organization(c1, [a])
    district.organization(c2, [b, c], kind="TRADE_UNION", establishment="JOINT")
    closed = district.unit(c2, partyMembers=4)
    district.admin.data(
        "mutation($i: CloseUnitInput!) { closeUnit(input: $i) { errors { code } } }",
        {"i": {"id": closed, "closedOn": "2026-01-01", "reason": "注销"}},
    )

    conn = await asyncpg.connect(district.stack.database("organizations"))
    try:
        async with conn.transaction():
            await conn.execute("LOCK TABLE unit_coverage, area_coverage IN EXCLUSIVE MODE")
            units = sorted(map(tuple, await conn.fetch(SNAPSHOT_UNITS)))
            areas = sorted(map(tuple, await conn.fetch(SNAPSHOT_AREAS)))
            await rebuild_coverage(conn, CoverageRules())
            assert sorted(map(tuple, await conn.fetch(SNAPSHOT_UNITS))) == units
            assert sorted(map(tuple, await conn.fetch(SNAPSHOT_AREAS))) == areas

            # A stricter union rule: rebuilt, the 26-employee unit no longer needs a union.
            await rebuild_coverage(conn, CoverageRules(union_min=30))
            required = await conn.fetchval(
                "SELECT required FROM area_coverage WHERE area_code = $1 "
                "AND family = 'TRADE_UNION'",
                c2,
            )
            assert required == 0
            raise RollBackError
    except RollBackError:
        pass  # leave the shared test database as the other tests expect it
    finally:
        await conn.close()
