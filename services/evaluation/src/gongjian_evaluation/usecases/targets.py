"""Targets (目标管理): set by the area's admins (an area's, or any organisation's of the area)
or by an ORG_ADMIN for its own organisation; progress measured live from the evidence ledger
(``store.metrics.measure``); a background check marks a target falling behind, or catching up,
once each, raising its event (ids, codes, numbers and dates: nothing personal).

An area's target measures the metric over the area's active organisations: a count or a sum is
added up over them; a rate or an average is the pooled one (their numerators over their
denominators). An activity organised jointly by two organisations of the area counts for each.
Only organisation metrics of the catalogue can be targets (a person's metric has no target).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg

from gongjian_evaluation.domain import targets as domain
from gongjian_evaluation.domain.metrics import METRICS, SubjectKind
from gongjian_evaluation.settings import evaluation_settings
from gongjian_evaluation.store import assessments as cycles
from gongjian_evaluation.store import metrics as measures
from gongjian_evaluation.store import targets as store
from gongjian_evaluation.store.metrics import SPECS, PerMember
from gongjian_evaluation.usecases.assessments import Problems, refuse
from gongjian_kit import clock, policy
from gongjian_kit.areas import area_prefix, is_area_code
from gongjian_kit.auth import Caller
from gongjian_kit.db import Executor
from gongjian_kit.errors import ErrorCode
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime, UnitOfWork

log = logging.getLogger(__name__)

EVENT = "gongjian.evaluation.target."
BATCH = 100
MAX_ROUNDS = 50
MAX_TARGET = Decimal("999999999999")


@dataclass(frozen=True)
class TargetInput:
    organization_id: uuid.UUID | None
    area_code: str | None
    cycle_id: uuid.UUID | None
    metric: str
    target: Decimal
    period_from: date | None
    deadline: date


def is_rate(metric: str) -> bool:
    """A metric with a denominator (pooled over an area's organisations)."""
    spec = SPECS[metric]
    return isinstance(spec, PerMember) or spec.base is not None


# Figures of the period's last day (a stock, not a flow): a level to hold, like a rate.
STOCKS = frozenset({"pairings_active", "leader_posts_filled", "leader_terms_overdue"})


def holds_level(metric: str) -> bool:
    """A rate, an average or a stock is held at the target; a count or sum grows towards it."""
    return METRICS[metric].unit in ("%", "分") or metric in STOCKS


def target_filter(
    caller: Caller, area_code: str | None, behind: bool | None = None
) -> store.TargetFilter:
    """The targets a caller reads: the area's (an ORG_ADMIN: its organisations')."""
    reach = policy.reach(caller, Resource.RECORDS)
    return store.TargetFilter(
        area_like=caller.scope_like(area_code),
        organizations=reach.organizations_only,
        behind=behind,
    )


async def measure(conn: Executor, row: asyncpg.Record, today: date) -> domain.Progress:
    """A target's progress now: its metric from ``period_from`` to today (or the deadline)."""
    metric, start, deadline = row["metric"], row["period_from"], row["deadline"]
    until = domain.measured_until(start, deadline, today)
    if row["organization_id"] is not None:
        subjects = [row["organization_id"]]
    else:
        subjects = await store.active_organizations(conn, area_prefix(row["area_code"]) + "%")
    rate = is_rate(metric)
    value: Decimal | None
    if today < start:
        value = None if rate else Decimal(0)
    else:
        found = await measures.measure(conn, metric, subjects, start, until)
        numerator = sum((m.numerator for m in found.values()), Decimal(0))
        if rate:
            denominator = sum((m.denominator or Decimal(0) for m in found.values()), Decimal(0))
            value = (numerator / denominator).quantize(domain.STEP) if denominator else None
        else:
            value = numerator
    return domain.progress(
        value,
        Decimal(row["target"]),
        start,
        deadline,
        today,
        level=holds_level(metric),
        tolerance=evaluation_settings().target_behind_tolerance,
    )


def _number(x: Decimal | None) -> float | None:
    return None if x is None else float(x)


def target_data(row: asyncpg.Record, progress: domain.Progress, today: date) -> dict[str, Any]:
    return {
        "targetId": str(row["id"]),
        "subjectKind": row["subject_kind"],
        "organizationId": str(row["organization_id"]) if row["organization_id"] else None,
        "areaCode": row["area_code"],
        "cycleId": str(row["cycle_id"]) if row["cycle_id"] else None,
        "metric": row["metric"],
        "target": float(row["target"]),
        "value": _number(progress.value),
        "expectedByNow": float(progress.expected_by_now),
        "periodFrom": row["period_from"].isoformat(),
        "deadline": row["deadline"].isoformat(),
        "checkedOn": today.isoformat(),
    }


async def _settle(uow: UnitOfWork, row: asyncpg.Record, today: date) -> asyncpg.Record:
    """Measure a locked target, record the check, and raise fell-behind / caught-up when its
    state changed."""
    progress = await measure(uow.conn, row, today)
    marked = await store.mark(uow.conn, row["id"], progress.behind, progress.value, clock.now())
    if progress.behind != row["behind"]:
        verb = "fell-behind" if progress.behind else "caught-up"
        await uow.publish(f"{EVENT}{verb}.v1", str(row["id"]), target_data(marked, progress, today))
    return marked


def _forbidden(field: str | None) -> Exception:
    return refuse(
        field,
        ErrorCode.FORBIDDEN,
        "只有该区划的管理员或本组织的管理员可以设定目标",
        "Only the area's admins, or the organisation's own admins, may set its targets",
    )


def _checked(given: TargetInput) -> None:
    """Every problem of the input at once (typed errors, nothing written)."""
    problems = Problems()
    if (given.organization_id is None) == (given.area_code is None):
        problems.bad(
            "organizationId",
            "请指定一个组织或一个区划（二者选一）",
            "Give an organisation or an area (one of them)",
        )
    if given.area_code is not None and not is_area_code(given.area_code):
        problems.bad("areaCode", "区划代码应为12位数字", "The area code must be 12 digits")
    metric = METRICS.get(given.metric)
    if metric is None:
        problems.bad("metric", "指标库中没有该指标", f"No metric {given.metric!r} in the catalogue")
    elif metric.subject is not SubjectKind.ORGANIZATION:
        problems.bad(
            "metric",
            "该指标衡量个人，不能作为组织或区划的目标",
            "This metric measures a person; targets are for organisations and areas",
        )
    if not Decimal(0) <= given.target <= MAX_TARGET:
        problems.bad("target", "目标值不能为负数", "The target must not be negative")
    if given.period_from is not None and given.deadline < given.period_from:
        problems.bad("deadline", "截止日期不能早于起算日期", "The deadline is before the start")
    problems.refuse()


async def _period_from(uow: UnitOfWork, caller: Caller, given: TargetInput, today: date) -> date:
    """The first day counted: as given, else the cycle's start, else today."""
    period_from = given.period_from
    if given.cycle_id is not None:
        cycle = await cycles.cycle(uow.conn, given.cycle_id)
        if cycle is None or not caller.can_see_area(cycle["area_code"]):
            raise refuse(
                "cycleId",
                ErrorCode.NOT_FOUND,
                "评议周期不存在或不在您的范围内",
                "No such cycle in your scope",
            )
        period_from = period_from or cycle["period_from"]
    period_from = period_from or today
    if given.deadline < period_from:
        raise refuse(
            "deadline",
            ErrorCode.BAD_USER_INPUT,
            "截止日期不能早于起算日期",
            "The deadline is before the start",
        )
    return period_from


async def _subject(uow: UnitOfWork, caller: Caller, given: TargetInput) -> tuple[str, str, str]:
    """(kind, area, key) of the target's subject, if the caller may set its targets: an
    organisation's by whoever keeps it (UPKEEP WRITE), an area's by its admins."""
    if given.organization_id is not None:
        org = await store.organization(uow.conn, given.organization_id)
        if org is None or not caller.can_see_area(org["area_code"]):
            raise refuse(
                "organizationId",
                ErrorCode.NOT_FOUND,
                "组织不存在或不在您的范围内",
                "No such organisation in your scope",
            )
        if not policy.allows(caller, Resource.UPKEEP, Action.WRITE) or not policy.reach(
            caller, Resource.UPKEEP, Action.WRITE
        ).admits_organization(org["id"], org["area_code"]):
            raise _forbidden("organizationId")
        if org["dissolved_on"] is not None:
            raise refuse(
                "organizationId",
                ErrorCode.CONFLICT,
                "该组织已撤销，不能设定目标",
                "The organisation is dissolved",
            )
        return "ORGANIZATION", org["area_code"], str(org["id"])
    area = str(given.area_code)
    if not caller.can_see_area(area):
        raise refuse("areaCode", ErrorCode.FORBIDDEN, "该区划不在您的范围内", "Outside your area")
    if (
        not policy.allows(caller, Resource.RECORDS, Action.WRITE)
        or not policy.reach(caller, Resource.RECORDS, Action.WRITE).area
    ):
        raise _forbidden("areaCode")
    return "AREA", area, area


async def set_target(runtime: Runtime, caller: Caller, given: TargetInput) -> asyncpg.Record:
    """Set (or replace) a target and measure it at once: behind already, it is announced."""
    _checked(given)
    async with runtime.unit_of_work() as uow:
        today = clock.today()
        period_from = await _period_from(uow, caller, given, today)
        kind, area, key = await _subject(uow, caller, given)
        row = await store.upsert(
            uow.conn,
            {
                "id": uuid.uuid4(),
                "subject_kind": kind,
                "organization_id": given.organization_id,
                "area_code": area,
                "subject_key": key,
                "cycle_id": given.cycle_id,
                "metric": given.metric,
                "target": given.target,
                "period_from": period_from,
                "deadline": given.deadline,
                "set_by": caller.subject,
                "set_at": clock.now(),
            },
        )
        return await _settle(uow, row, today)


# The background check ------------------------------------------------------------------------


async def check_targets(runtime: Runtime) -> int:
    """One batch of the targets not checked this round: measured, marked, their event raised
    when they fell behind or caught up. How many were checked."""
    done = 0
    started = clock.now()
    for _ in range(MAX_ROUNDS):
        async with runtime.unit_of_work() as uow:
            today = clock.today()
            rows = await store.due_for_check(uow.conn, today, started, BATCH)
            for row in rows:
                await _settle(uow, row, today)
        done += len(rows)
        if len(rows) < BATCH:
            break
    return done


async def watch_targets(runtime: Runtime, stopping: asyncio.Event) -> None:
    """Check every running target each TARGET_CHECK_INTERVAL_S until the service stops."""
    while not stopping.is_set():
        try:
            checked = await check_targets(runtime)
            if checked:
                log.debug("targets checked: %d", checked)
        except Exception:  # the database away: the next round tries again
            log.exception("target check failed; trying again next round")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                stopping.wait(), timeout=evaluation_settings().target_check_interval_s
            )
