"""Coverage (覆盖): which units must have which organisation, and how they are covered.

Required by the rules: a party branch where full party members ≥ 3 (party constitution art. 30);
a union committee where employees ≥ 25 (Trade Union Law art. 11); a league branch where league
members ≥ 3 (league constitution); a women's committee where women ≥ a setting (default 50).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from gongjian_organizations.domain.organizations import Establishment, OrganizationFamily


class CoverageMode(StrEnum):
    OWN = "OWN"  # 单独建
    JOINT = "JOINT"  # 联合建
    ATTACHED = "ATTACHED"  # 挂靠建


class CoverageState(StrEnum):
    COVERED = "COVERED"  # 已建
    GAP = "GAP"  # 应建未建
    NOT_REQUIRED = "NOT_REQUIRED"  # 未达建立要求


COVERAGE_MODE_LABELS = {
    CoverageMode.OWN: "单独建",
    CoverageMode.JOINT: "联合建",
    CoverageMode.ATTACHED: "挂靠建",
}
MODE_OF_ESTABLISHMENT = {
    Establishment.STANDALONE: CoverageMode.OWN,
    Establishment.JOINT: CoverageMode.JOINT,
    Establishment.AFFILIATED: CoverageMode.ATTACHED,
}
# When several organisations of a family cover a unit, the strongest form counts.
MODE_PRECEDENCE = [CoverageMode.OWN, CoverageMode.JOINT, CoverageMode.ATTACHED]


class CoverageRules(BaseSettings):
    """Thresholds, from the environment (``COVERAGE_PARTY_MIN`` …)."""

    model_config = SettingsConfigDict(env_prefix="COVERAGE_", extra="ignore")

    party_min: int = 3  # full party members
    union_min: int = 25  # employees
    league_min: int = 3  # league members
    women_min: int = 50  # women

    def threshold(self, family: OrganizationFamily) -> tuple[str, int]:
        """The headcount column that decides, and its minimum."""
        return {
            OrganizationFamily.PARTY: ("party_members", self.party_min),
            OrganizationFamily.TRADE_UNION: ("employees", self.union_min),
            OrganizationFamily.YOUTH_LEAGUE: ("league_members", self.league_min),
            OrganizationFamily.WOMENS_FEDERATION: ("women", self.women_min),
        }[family]

    def required(self, family: OrganizationFamily, unit: dict[str, Any]) -> bool:
        column, minimum = self.threshold(family)
        return unit.get("closed_on") is None and int(unit[column]) >= minimum


@dataclass(frozen=True)
class UnitCoverage:
    """One unit's state for one family."""

    required: bool
    mode: CoverageMode | None

    @property
    def covered(self) -> bool:
        return self.mode is not None


@dataclass(frozen=True)
class AreaDelta:
    """What one unit's change adds to its areas' figures."""

    units: int = 0
    required: int = 0
    covered_required: int = 0
    covered_not_required: int = 0

    @staticmethod
    def of(state: UnitCoverage | None, counted: bool) -> AreaDelta:
        if state is None or not counted:
            return AreaDelta()
        return AreaDelta(
            units=1,
            required=int(state.required),
            covered_required=int(state.required and state.covered),
            covered_not_required=int(not state.required and state.covered),
        )

    def minus(self, other: AreaDelta) -> AreaDelta:
        return AreaDelta(
            self.units - other.units,
            self.required - other.required,
            self.covered_required - other.covered_required,
            self.covered_not_required - other.covered_not_required,
        )

    @property
    def is_zero(self) -> bool:
        return not (
            self.units or self.required or self.covered_required or self.covered_not_required
        )


def strongest_mode(modes: list[CoverageMode]) -> CoverageMode | None:
    for mode in MODE_PRECEDENCE:
        if mode in modes:
            return mode
    return None


def coverage_rate(covered: int, required: int) -> float | None:
    """Covered ÷ required; None where nothing is required (no rate, rather than 100 %)."""
    return None if required == 0 else covered / required
