"""The columns of an import file: Chinese headers, which are required, and how headers are matched.

A file's headers are matched leniently: spaces, a leading or trailing ``*`` and a bracketed hint
such as ``（必填）`` are ignored, and the API's field name (``name``, ``creditCode`` …) is accepted
in place of the Chinese header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gongjian_kit.bulk.problems import BulkError


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the API field it fills and how the file and template show it."""

    key: str  # the field name (as in the API)
    header: str  # the Chinese header of the template, the report and the files
    required: bool = False
    note: str = ""  # for the instructions sheet of the template
    example: str = ""
    choices: tuple[str, ...] = ()  # labels offered in a drop-down
    text: bool = False  # long codes: text cells, so spreadsheets keep every digit
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class SheetSpec:
    """A kind's data sheet: the kind's name (``gongjian import <kind>``), title and columns."""

    kind: str  # units | organizations | people
    title: str  # the data sheet's name
    columns: tuple[Column, ...]
    by_key: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", {c.key: c for c in self.columns})

    def header(self, key: str) -> str:
        return self.by_key[key].header


_BRACKETED = re.compile(r"[（(][^）)]*[）)]")
_SPACES = re.compile(r"[\s\u3000]+")


def normalize_header(raw: object) -> str:
    """The comparable form of a header cell."""
    text = _SPACES.sub("", "" if raw is None else str(raw))
    text = _BRACKETED.sub("", text).strip("*＊")
    return text.lower()


def map_headers(spec: SheetSpec, headers: list[object]) -> tuple[dict[str, int], list[str]]:
    """Column key → position in the file, and the headers that were ignored.

    Raises ``BulkError`` when a required column is missing or a column appears twice.
    """
    wanted: dict[str, str] = {}
    for column in spec.columns:
        for name in (column.header, column.key, *column.aliases):
            wanted[normalize_header(name)] = column.key
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for position, raw in enumerate(headers):
        normal = normalize_header(raw)
        if not normal:
            continue
        key = wanted.get(normal)
        if key is None:
            ignored.append(str(raw))
            continue
        if key in positions:
            header = spec.header(key)
            raise BulkError(f"列“{header}”出现了两次", f"The column {header} appears twice")
        positions[key] = position
    missing = [c.header for c in spec.columns if c.required and c.key not in positions]
    if missing:
        names = "、".join(missing)
        raise BulkError(
            f"缺少必填列：{names}（请使用模板：uv run gongjian template {spec.kind}）",
            f"Required columns are missing: {names} (use the template: "
            f"uv run gongjian template {spec.kind})",
        )
    return positions, ignored
