"""Concurrent writers on one unit: every mutation answers, none fails with INTERNAL."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from gongjian_deploy.pytest_plugin import ESTABLISH, District

pytestmark = pytest.mark.system


def test_organisations_established_at_once_on_one_unit_never_deadlock(district: District):
    community = district.communities[0]
    unit = district.unit(community)
    kinds = ["PARTY_BRANCH", "TRADE_UNION", "YOUTH_LEAGUE", "WOMENS_FEDERATION"]

    def establish(n: int) -> dict:
        return district.admin.execute(
            ESTABLISH,
            {
                "i": {
                    "name": f"并发组织{n}",
                    "kind": kinds[n % 4],
                    "establishment": "STANDALONE",
                    "areaCode": community,
                    "unitIds": [unit],
                }
            },
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(establish, range(32)))
    codes = [e.get("extensions", {}).get("code") for a in answers for e in a.get("errors", [])]
    assert "INTERNAL" not in codes, codes
    # Every answer is an organisation or a typed refusal (the rules allow several per family).
    payloads = [a["data"]["establishOrganization"] for a in answers]
    assert all(p["organization"] or p["errors"] for p in payloads)
    assert sum(1 for p in payloads if p["organization"]) >= 4
