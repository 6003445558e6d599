"""Names of areas, units, organisations, groups and people: present and not too long."""

from __future__ import annotations

UNIT_NAME_LIMIT = 200
ORGANIZATION_NAME_LIMIT = 200
AREA_NAME_LIMIT = 100
GROUP_NAME_LIMIT = 100
PERSON_NAME_LIMIT = 50


def name_problem(value: str, zh_label: str, en_label: str, limit: int) -> tuple[str, str] | None:
    """Why ``value`` is not an acceptable name (Chinese, English), or None."""
    text = value.strip()
    if not text or len(text) > limit:
        return (
            f"{zh_label}不能为空且不超过{limit}字",
            f"The {en_label} must be 1 to {limit} characters",
        )
    return None
