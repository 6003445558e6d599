"""The 12-digit statistical division code (统计用区划代码) and the hierarchy it carries.

6 digits county/district, 3 street/township, 3 community/village: ``330106000000`` is a district,
``330106001000`` one of its streets, ``330106001002`` a community of that street.
"""

from __future__ import annotations

from enum import StrEnum

AREA_CODE_LENGTH = 12


class AreaLevel(StrEnum):
    DISTRICT = "DISTRICT"
    STREET = "STREET"
    COMMUNITY = "COMMUNITY"


AREA_LEVEL_LABELS = {
    AreaLevel.DISTRICT: "区（县）",
    AreaLevel.STREET: "街道（乡镇）",
    AreaLevel.COMMUNITY: "社区（村）",
}


def is_area_code(code: object) -> bool:
    """Twelve ASCII digits, not all-zero in the district part (``str.isdigit`` alone would take
    full-width ２ and other Unicode digits)."""
    return (
        isinstance(code, str)
        and len(code) == AREA_CODE_LENGTH
        and code.isascii()
        and code.isdigit()
        and code[:6] != "000000"
    )


def area_level(code: str) -> AreaLevel:
    """The level a code names; raises ``ValueError`` for a malformed code."""
    if not is_area_code(code):
        raise ValueError(f"not a 12-digit area code: {code!r}")
    if code[6:] == "000000":
        return AreaLevel.DISTRICT
    if code[9:] == "000":
        return AreaLevel.STREET
    return AreaLevel.COMMUNITY


def parent_area(code: str) -> str | None:
    """The code of the area directly above, or None for a district."""
    level = area_level(code)
    if level is AreaLevel.COMMUNITY:
        return code[:9] + "000"
    if level is AreaLevel.STREET:
        return code[:6] + "000000"
    return None


def area_and_ancestors(code: str) -> list[str]:
    """``code`` and every area above it, nearest first."""
    chain = [code]
    while (up := parent_area(chain[-1])) is not None:
        chain.append(up)
    return chain


def area_prefix(code: str) -> str:
    """The significant digits of a code: every code beneath the area starts with them."""
    level = area_level(code)
    return {AreaLevel.DISTRICT: code[:6], AreaLevel.STREET: code[:9]}.get(level, code)


def area_within(code: str, scope: str) -> bool:
    """True when ``code`` is ``scope`` or lies beneath it."""
    return code.startswith(area_prefix(scope))
