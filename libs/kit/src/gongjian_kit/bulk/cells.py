"""Reading one cell: text, whole numbers, dates, yes/no and labelled choices.

Cells come from XLSX (numbers, dates, text) or CSV (always text). Each reader returns the value,
or why the cell cannot be read (Chinese, English); the domain rules then judge the value.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

Why = tuple[str, str]
E = TypeVar("E", bound=StrEnum)

# A spreadsheet keeps 15 significant digits of a number: longer codes typed as numbers are lost.
EXACT_DIGITS = 15
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_INTEGER = re.compile(r"^[+-]?\d+$")
YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓"})
NO = frozenset({"否", "n", "no", "false", "0", "×", "✗"})
SEPARATORS = re.compile(r"[;；,，、\n]+")


def text(value: object) -> str:
    """The cell as trimmed text; '' when empty; whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip().replace("\u3000", "")


def code(value: object) -> tuple[str, Why | None]:
    """A long code (ID number, credit code, phone, area code) as text.

    A code typed as a number into a spreadsheet may have lost its last digits; say so rather than
    let a wrong check digit puzzle the user.
    """
    if isinstance(value, float) and abs(value) >= 10**EXACT_DIGITS:
        return "", (
            "该单元格是数字格式，超过15位的号码已丢失末尾数字；请将该列设为文本格式后重新填写",
            "The cell is a number and digits beyond the 15th are lost; format the column as "
            "text and enter the code again",
        )
    return text(value).upper(), None


def integer(value: object, default: int = 0) -> tuple[int, Why | None]:
    """A whole number; ``default`` when empty."""
    if value is None or value == "":
        return default, None
    if isinstance(value, bool):
        return default, ("应填写整数", "Must be a whole number")
    if isinstance(value, int):
        return value, None
    if isinstance(value, float) and value.is_integer():
        return int(value), None
    raw = text(value).replace(",", "")
    if not raw:
        return default, None
    if _INTEGER.match(raw):
        return int(raw), None
    return default, ("应填写整数", "Must be a whole number")


def day(value: object) -> tuple[date | None, Why | None]:
    """A date from a date cell or text such as 2024-05-01, 2024/5/1, 20240501, 2024年5月1日."""
    if value is None:
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    raw = text(value)
    if not raw:
        return None, None
    found = _DATE.match(raw) or _COMPACT_DATE.match(raw)
    if found:
        try:
            return date(*(int(part) for part in found.groups())), None
        except ValueError:
            pass
    return None, ("日期格式应为 YYYY-MM-DD", "The date must be written YYYY-MM-DD")


def yes_no(value: object, default: bool = False) -> tuple[bool, Why | None]:
    """是/否 (or Y/N, true/false, 1/0); ``default`` when empty."""
    if isinstance(value, bool):
        return value, None
    raw = text(value).lower()
    if not raw:
        return default, None
    if raw in YES:
        return True, None
    if raw in NO:
        return False, None
    return default, ("应填写“是”或“否”", "Must be 是 (yes) or 否 (no)")


def choice(value: object, labels: Mapping[E, str]) -> tuple[str | None, Why | None]:
    """The enum value for a Chinese label or the English value; None when empty."""
    raw = text(value)
    if not raw:
        return None, None
    for member, label in labels.items():
        if raw == label or raw.upper() == member.value:
            return member.value, None
    allowed = "、".join(labels.values())
    return None, (f"应为以下之一：{allowed}", f"Must be one of: {allowed}")


def identifier(value: object) -> tuple[uuid.UUID | None, Why | None]:
    """A record id (编号) as the API shows it; None when empty."""
    raw = text(value)
    if not raw:
        return None, None
    try:
        return uuid.UUID(raw), None
    except ValueError:
        return None, ("编号格式无效", "Not a valid id")


def several(value: object) -> list[str]:
    """Items of a cell separated by ；, ; , 、 or new lines."""
    return [item for item in (p.strip() for p in SEPARATORS.split(text(value))) if item]
