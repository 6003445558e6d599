"""SQL of the metric catalogue (``domain.metrics``) over the evidence ledger.

Every metric is one query over "items": the ledger rows that count for a subject, each in the
numerator, the denominator or both, with the amount it adds to the numerator (every
denominator is a count: an item in it adds 1). ``measure`` sums the items of any number of
subjects in one statement (a district cycle: 20k organisations); ``evidence_page`` lists one
subject's items, so an explanation can be recomputed by hand: numerator = the sum of the
amounts of NUMERATOR and BOTH items, denominator = the number of DENOMINATOR and BOTH items.

``received_by``: count only rows whose last change arrived by then (a row changed later is left
out whole, from both sides: the ledger keeps a source's last state, not its history). The
category of a participation's activity (trainings) is looked up as it is now.

All SQL here is built from constants of this module, never from input.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache

import asyncpg

from gongjian_evaluation.domain.evidence import SPANS, SourceKind
from gongjian_evaluation.domain.metrics import METRICS, TRAINING_CATEGORIES, SubjectKind
from gongjian_kit import clock
from gongjian_kit.db import Executor

VALUE_STEP = Decimal("0.0001")  # as assessment_indicator keeps values (numeric(16, 4))
# Up to this many subjects, a query also narrows by the organisations' index; beyond, the
# subjects are hashed and the ledger of the kind scanned once.
FEW_SUBJECTS = 64


class Window(StrEnum):
    PERIOD = "PERIOD"  # the row's day falls in the period
    HELD_AT_END = "HELD_AT_END"  # a span held on the period's last day


class Members(StrEnum):
    """What is counted per member of the organisation on the period's last day."""

    ACTIVITIES = "ACTIVITIES"  # completed activities it organised, started in the period
    HOURS = "HOURS"  # hours its members served in the period (anywhere)
    PARTICIPATING = "PARTICIPATING"  # members who checked in to one of its activities


@dataclass(frozen=True)
class Rows:
    """Numerator and denominator from the rows of one kind linked to the subject.

    ``counted``: an item of the numerator, adding ``amount``; ``base``: of the denominator
    (None: a plain count or sum). SQL over the row ``e`` ($3: the period's last day).
    """

    kind: SourceKind
    counted: str
    amount: str = "1"
    base: str | None = None
    window: Window = Window.PERIOD


@dataclass(frozen=True)
class PerMember:
    counted: Members


COMPLETED = "e.status = 'COMPLETED'"
RESOLVED = "e.status IN ('RESOLVED', 'CLOSED')"
SCORED = "e.status = 'CLOSED' AND e.satisfaction IS NOT NULL"
_TRAINING = ", ".join(f"'{c}'" for c in TRAINING_CATEGORIES)
TRAINING = f"e.category IN ({_TRAINING})"
OF_A_TRAINING = (
    "EXISTS (SELECT 1 FROM evidence a WHERE a.source_kind = 'ACTIVITY' "
    f"AND a.source_id = e.parent_id AND a.status <> 'CANCELLED' AND a.category IN ({_TRAINING}))"
)

SPECS: dict[str, Rows | PerMember] = {
    "activities_completed": Rows(SourceKind.ACTIVITY, COMPLETED),
    "activities_per_member": PerMember(Members.ACTIVITIES),
    "volunteer_hours_per_member": PerMember(Members.HOURS),
    "member_participation_rate": PerMember(Members.PARTICIPATING),
    "training_count": Rows(SourceKind.ACTIVITY, f"{COMPLETED} AND {TRAINING}"),
    "case_resolution_rate": Rows(SourceKind.CASE, RESOLVED, base="true"),
    "case_on_time_rate": Rows(SourceKind.CASE, f"{RESOLVED} AND e.on_time", base=RESOLVED),
    "case_satisfaction_mean": Rows(SourceKind.CASE, SCORED, "e.satisfaction", base=SCORED),
    "pledges_fulfilled_rate": Rows(SourceKind.PLEDGE, "e.status = 'FULFILLED'", base="true"),
    "decisions_done_rate": Rows(
        SourceKind.DECISION, "e.status = 'DONE'", base="e.status <> 'DROPPED'"
    ),
    "visits_count": Rows(SourceKind.VISIT, "true"),
    "pairings_active": Rows(SourceKind.PAIRING, "true", window=Window.HELD_AT_END),
    "leader_posts_filled": Rows(SourceKind.LEADER_POST, "true", window=Window.HELD_AT_END),
    "leader_terms_overdue": Rows(
        SourceKind.LEADER_POST, "e.due_on < $3", window=Window.HELD_AT_END
    ),
    "volunteer_hours": Rows(SourceKind.HOURS, "e.hours > 0", "e.hours"),
    "activities_attended": Rows(SourceKind.PARTICIPATION, "e.checked_in"),
    "trainings_attended": Rows(SourceKind.PARTICIPATION, f"e.checked_in AND {OF_A_TRAINING}"),
}


@dataclass(frozen=True)
class Measured:
    metric: str
    subject_id: uuid.UUID
    numerator: Decimal
    denominator: Decimal | None  # None: a plain count/sum
    value: Decimal | None  # numerator/denominator (None when there is nothing to divide by)
    evidence_count: int


# --- the SQL of items: $1 subjects (uuid[]), $2 and $3 the period, $4 received by ---------

# (An empty period, from after to, counts nothing; the condition also types $2 and $3.)
SUBJECTS = "s AS (SELECT DISTINCT unnest($1::uuid[]) AS subject_id WHERE $2::date <= $3::date)"


def _received(a: str) -> str:
    return f"($4::timestamptz IS NULL OR {a}.received_at <= $4)"


def _window(a: str, window: Window, *, by_organization: bool = False) -> str:
    """``by_organization``: the rows are found through the organisations' index (a few
    subjects); the day is compared as an expression then, so that no plan intersects that index
    with the kind's period index (a prepared statement's generic plan did, reading every row of
    the kind in the period for one organisation)."""
    day = f"({a}.occurred_on + 0)" if by_organization else f"{a}.occurred_on"
    if window is Window.PERIOD:
        return f"{day} BETWEEN $2 AND $3"
    return f"{day} <= $3 AND ({a}.until_on IS NULL OR {a}.until_on >= $3)"


def _columns(a: str, subject: str, num: str, den: str, amount: str, n: str = "1") -> str:
    """An item's columns; ``n``: how many rows of the ledger it stands for (1, or a sum's)."""
    return (
        f"{subject} AS subject_id, {a}.position, {a}.source_kind, {a}.source_id, "
        f"{a}.last_event_id AS event_id, {a}.last_event_type AS event_type, {a}.occurred_on, "
        f"{a}.received_at, ({num}) AS num, ({den}) AS den, ({amount})::numeric AS amount, "
        f"({n})::bigint AS n"
    )


def _organization_rows(kind: SourceKind, where: str, few: bool) -> str:
    """Rows of ``kind`` of the subject organisations, one per (organisation, row)."""
    narrow = " AND e.organization_ids && $1::uuid[]" if few else ""
    return (
        "FROM evidence e CROSS JOIN LATERAL unnest(e.organization_ids) AS o(subject_id) "
        "JOIN s ON s.subject_id = o.subject_id "
        f"WHERE e.source_kind = '{kind}' AND {where}{narrow}"
    )


def _rows_items(spec: Rows, subject: SubjectKind, few: bool) -> tuple[list[str], str]:
    base = spec.base or "false"
    window = _window("e", spec.window, by_organization=few and subject is SubjectKind.ORGANIZATION)
    where = f"{window} AND {_received('e')} AND (({spec.counted}) OR ({base}))"
    if subject is SubjectKind.ORGANIZATION:
        columns = _columns("e", "o.subject_id", spec.counted, base, spec.amount)
        return [], f"SELECT {columns} {_organization_rows(spec.kind, where, few)}"
    columns = _columns("e", "e.person_id", spec.counted, base, spec.amount)
    return [], (
        f"SELECT {columns} FROM evidence e JOIN s ON s.subject_id = e.person_id "
        f"WHERE e.source_kind = '{spec.kind}' AND {where}"
    )


MEMBERS = (
    "members AS (SELECT s.subject_id, m.* FROM evidence m "
    "JOIN s ON s.subject_id = m.organization_ids[1] "
    f"WHERE m.source_kind = 'MEMBERSHIP' AND {_window('m', Window.HELD_AT_END)} "
    f"AND {_received('m')})"
)


def _member_items(spec: PerMember, few: bool) -> tuple[list[str], str]:
    members = f"SELECT {_columns('mb', 'mb.subject_id', 'false', 'true', '1')} FROM members mb"
    in_period = f"{_window('e', Window.PERIOD)} AND {_received('e')}"
    if spec.counted is Members.ACTIVITIES:
        columns = _columns("e", "o.subject_id", "true", "false", "1")
        activities = (
            f"{_window('e', Window.PERIOD, by_organization=few)} AND {_received('e')} "
            f"AND {COMPLETED}"
        )
        organised = f"SELECT {columns} {_organization_rows(SourceKind.ACTIVITY, activities, few)}"
        return [MEMBERS], f"{organised} UNION ALL {members}"
    if spec.counted is Members.HOURS:
        columns = _columns("e", "mb.subject_id", "true", "false", "e.hours")
        hours = f"e.source_kind = 'HOURS' AND e.hours > 0 AND {in_period}"
        # A few organisations' members: each one's hours through the person index, item by
        # item (an explanation lists them); many: the period's hours summed per person once,
        # then joined to the members (an item per member standing for their n rows).
        if few:
            served = (
                f"SELECT {columns} FROM members mb CROSS JOIN LATERAL (SELECT * FROM evidence e "
                f"WHERE e.person_id = mb.person_id AND {hours}) AS e"
            )
            return [MEMBERS], f"{served} UNION ALL {members}"
        per_person = (
            "per_person AS (SELECT e.person_id, sum(e.hours) AS hours, count(*) AS n "
            f"FROM evidence e WHERE {hours} GROUP BY e.person_id)"
        )
        summed = _columns("mb", "mb.subject_id", "true", "false", "pp.hours", "pp.n")
        served = (
            f"SELECT {summed} FROM members mb JOIN per_person pp ON pp.person_id = mb.person_id"
        )
        return [MEMBERS, per_person], f"{served} UNION ALL {members}"
    checked_in = (
        f"{_window('e', Window.PERIOD, by_organization=few)} AND {_received('e')} AND e.checked_in"
    )
    took_part = (
        "took_part AS (SELECT DISTINCT o.subject_id, e.person_id "
        f"{_organization_rows(SourceKind.PARTICIPATION, checked_in, few)})"
    )
    columns = _columns("mb", "mb.subject_id", "t.person_id IS NOT NULL", "true", "1")
    return [MEMBERS, took_part], (
        f"SELECT {columns} FROM members mb LEFT JOIN took_part t "
        "ON t.subject_id = mb.subject_id AND t.person_id = mb.person_id"
    )


@cache
def _items(metric: str, few: bool, *, listed: bool = False) -> str:
    """``WITH …, items AS (…)`` for ``metric`` (one of the catalogue's).

    ``listed``: the items are listed in ledger order, a page at a time; made first (they are
    one subject's), so the planner never walks the whole ledger in position order instead."""
    if metric not in SPECS:
        raise ValueError(f"unknown metric {metric!r}")
    spec = SPECS[metric]
    if isinstance(spec, Rows):
        ctes, items = _rows_items(spec, METRICS[metric].subject, few)
    else:
        ctes, items = _member_items(spec, few)
    materialized = "MATERIALIZED " if listed else ""
    return "WITH " + ", ".join([SUBJECTS, *ctes, f"items AS {materialized}({items})"]) + " "


def _value(numerator: Decimal, denominator: Decimal | None) -> Decimal | None:
    if denominator is None:
        return numerator
    if not denominator:
        return None
    return (numerator / denominator).quantize(VALUE_STEP, rounding=ROUND_HALF_UP)


async def measure(
    conn: Executor,
    metric: str,
    subject_ids: list[uuid.UUID],
    period_from: date,
    period_to: date,
    received_by: datetime | None = None,
) -> dict[uuid.UUID, Measured]:
    """``metric`` of every subject over the period (one statement for any number of subjects);
    a subject with no evidence measures 0 (and no value, for a rate)."""
    if not subject_ids:
        return {}
    few = len(set(subject_ids)) <= FEW_SUBJECTS
    rows = await conn.fetch(
        _items(metric, few) + "SELECT subject_id, "
        "coalesce(sum(amount) FILTER (WHERE num), 0) AS numerator, "
        "count(*) FILTER (WHERE den) AS denominator, sum(n) AS evidence_count "
        "FROM items GROUP BY subject_id",
        list(subject_ids),
        period_from,
        period_to,
        received_by,
    )
    found = {r["subject_id"]: r for r in rows}
    spec = SPECS[metric]
    rate = isinstance(spec, PerMember) or spec.base is not None
    measured = {}
    for subject_id in subject_ids:
        row = found.get(subject_id)
        numerator = Decimal(row["numerator"]) if row else Decimal(0)
        denominator = (Decimal(row["denominator"]) if row else Decimal(0)) if rate else None
        measured[subject_id] = Measured(
            metric=metric,
            subject_id=subject_id,
            numerator=numerator,
            denominator=denominator,
            value=_value(numerator, denominator),
            evidence_count=int(row["evidence_count"]) if row else 0,
        )
    return measured


async def evidence_page(
    conn: Executor,
    metric: str,
    subject_id: uuid.UUID,
    period_from: date,
    period_to: date,
    received_by: datetime | None,
    after: int | None,
    limit: int,
) -> list[asyncpg.Record]:
    """The items ``measure`` counted for one subject, in ledger order, after position
    ``after``: position, source_kind, source_id, event_id, event_type, occurred_on,
    counts_in ('NUMERATOR' | 'DENOMINATOR' | 'BOTH'), amount (what it adds to the numerator;
    1 for a DENOMINATOR item), received_at."""
    return await conn.fetch(
        _items(metric, few=True, listed=True)
        + "SELECT position, source_kind, source_id, event_id, "
        "event_type, occurred_on, CASE WHEN num AND den THEN 'BOTH' WHEN num THEN 'NUMERATOR' "
        "ELSE 'DENOMINATOR' END AS counts_in, CASE WHEN num THEN amount ELSE 1 END AS amount, "
        "received_at FROM items WHERE position > $5 ORDER BY position LIMIT $6",
        [subject_id],
        period_from,
        period_to,
        received_by,
        after or 0,
        limit,
    )


_SPANS = ", ".join(f"'{k}'" for k in sorted(SPANS))
_LATE_WHERE = (
    "e.received_at > $4 AND e.occurred_on <= $3 AND CASE "
    f"WHEN e.source_kind IN ({_SPANS}) THEN e.until_on IS NULL OR e.until_on >= $2 "
    "ELSE e.occurred_on >= $2 END"
)
_LATE_COLUMNS = (
    "e.position, e.source_kind, e.source_id, e.last_event_id AS event_id, "
    "e.last_event_type AS event_type, e.occurred_on, NULL::text AS counts_in, "
    "NULL::numeric AS amount, e.received_at"
)


async def late_evidence(
    conn: Executor,
    subject_ids: list[uuid.UUID],
    period_from: date,
    period_to: date,
    closed_at: datetime,
) -> list[asyncpg.Record]:
    """Evidence of the period (of the subjects, as organisations or as people) whose last change
    arrived after ``closed_at``: subject_id and the columns of ``evidence_page`` (counts_in and
    amount are NULL: a row may count in several metrics). Spans (memberships, posts, pairings)
    are of the period when they overlap it."""
    if not subject_ids:
        return []
    return await conn.fetch(
        f"WITH {SUBJECTS} "
        f"SELECT o.subject_id, {_LATE_COLUMNS} FROM evidence e "
        "CROSS JOIN LATERAL unnest(e.organization_ids) AS o(subject_id) "
        f"JOIN s ON s.subject_id = o.subject_id WHERE {_LATE_WHERE} "
        f"UNION ALL SELECT e.person_id, {_LATE_COLUMNS} FROM evidence e "
        f"JOIN s ON s.subject_id = e.person_id WHERE {_LATE_WHERE} "
        "ORDER BY received_at, position",
        list(subject_ids),
        period_from,
        period_to,
        closed_at,
    )


# --- organisations and members ----------------------------------------------------------


async def organizations_in(
    conn: Executor, area_like: str, families: list[str] | None
) -> list[asyncpg.Record]:
    """Active (not dissolved) organisations of an area (``area_like``: a LIKE pattern), of the
    given families (None: all): id, area_code, family, kind, name (kind and name: NULL until an
    establishment or a renaming told them)."""
    return await conn.fetch(
        "SELECT id, area_code, family, kind, name FROM organization_ref "
        "WHERE dissolved_on IS NULL AND area_code LIKE $1 "
        "AND ($2::text[] IS NULL OR family = ANY($2::text[])) ORDER BY area_code, id",
        area_like,
        families,
    )


_HELD_ON = "m.occurred_on <= $2 AND (m.until_on IS NULL OR m.until_on >= $2)"


async def member_count(
    conn: Executor,
    org_ids: list[uuid.UUID],
    on: date | None = None,
    received_by: datetime | None = None,
) -> dict[uuid.UUID, int]:
    """Members of each organisation on ``on`` (default: today), 0 for one without."""
    rows = await conn.fetch(
        "SELECT s.id, count(m.source_id) AS members FROM unnest($1::uuid[]) AS s(id) "
        "LEFT JOIN evidence m ON m.source_kind = 'MEMBERSHIP' AND m.organization_ids[1] = s.id "
        f"AND {_HELD_ON} AND ($3::timestamptz IS NULL OR m.received_at <= $3) GROUP BY s.id",
        list(org_ids),
        on or clock.today(),
        received_by,
    )
    return {r["id"]: r["members"] for r in rows}


async def is_member(
    conn: Executor, org_id: uuid.UUID, person_id: uuid.UUID, on: date | None = None
) -> bool:
    """Whether the person is a member of the organisation on ``on`` (default: today)."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM evidence m WHERE m.source_kind = 'MEMBERSHIP' "
            f"AND m.organization_ids[1] = $1 AND m.person_id = $3 AND {_HELD_ON})",
            org_id,
            on or clock.today(),
            person_id,
        )
    )


async def organizations_of_member(
    conn: Executor, person_id: uuid.UUID, on: date | None = None
) -> list[uuid.UUID]:
    """The organisations the person is a member of on ``on`` (default: today)."""
    rows = await conn.fetch(
        "SELECT DISTINCT m.organization_ids[1] AS id FROM evidence m "
        "WHERE m.source_kind = 'MEMBERSHIP' AND m.person_id = $1 "
        f"AND {_HELD_ON} ORDER BY 1",
        person_id,
        on or clock.today(),
    )
    return [r["id"] for r in rows]
