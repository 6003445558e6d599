"""Names of areas, units, organisations, groups and people: present, not too long, printable."""

from __future__ import annotations

import re

UNIT_NAME_LIMIT = 200
ORGANIZATION_NAME_LIMIT = 200
AREA_NAME_LIMIT = 100
GROUP_NAME_LIMIT = 100
PERSON_NAME_LIMIT = 50

# Control characters (U+0000 cannot even be stored) and lone surrogates (not encodable).
_NOT_IN_A_NAME = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def name_problem(value: str, zh_label: str, en_label: str, limit: int) -> tuple[str, str] | None:
    """Why ``value`` is not an acceptable name (Chinese, English), or None."""
    text = value.strip()
    if not text or len(text) > limit:
        return (
            f"{zh_label}不能为空且不超过{limit}字",
            f"The {en_label} must be 1 to {limit} characters",
        )
    if _NOT_IN_A_NAME.search(text):
        return (
            f"{zh_label}不能含控制字符",
            f"The {en_label} must not contain control characters",
        )
    return None
