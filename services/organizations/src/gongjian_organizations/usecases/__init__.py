"""Use cases of the organizations service: validate, then write rows and events together."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

import asyncpg

from gongjian_kit import clock, policy
from gongjian_kit.areas import is_area_code
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.policy import Action, Resource
from gongjian_kit.ratelimit import SubjectLimiter
from gongjian_kit.runtime import Runtime, UnitOfWork
from gongjian_organizations.domain.coverage import CoverageRules, UnitCoverage
from gongjian_organizations.domain.names import name_problem
from gongjian_organizations.store import audit as audit_store
from gongjian_organizations.store import coverage as coverage_store

EVENT = "gongjian.organizations."


@dataclass
class Outcome:
    """A use case's result: the row it wrote, or the typed problems that stopped it."""

    row: asyncpg.Record | None = None
    errors: list[ApiError] = field(default_factory=list)

    def add(self, field_: str | None, code: ErrorCode, zh: str, en: str) -> None:
        self.errors.append(ApiError(code, zh, en, field_))

    def not_found(self, field_: str, zh_thing: str, en_thing: str) -> Outcome:
        """``zh_thing`` does not exist or lies outside the caller's scope (the same answer)."""
        self.add(
            field_,
            ErrorCode.NOT_FOUND,
            f"{zh_thing}不存在或不在您的范围内",
            f"The {en_thing} does not exist or is outside your scope",
        )
        return self

    def check_name(self, field_: str, value: str, zh_label: str, en_label: str, limit: int) -> str:
        """The name stripped; an error when it is empty or longer than ``limit``."""
        if problem := name_problem(value, zh_label, en_label, limit):
            self.add(field_, ErrorCode.BAD_USER_INPUT, *problem)
        return value.strip()

    def check_area_code(self, field_: str, code: str) -> bool:
        if not is_area_code(code):
            self.add(
                field_,
                ErrorCode.BAD_USER_INPUT,
                "区划代码应为12位数字",
                "The area code must be 12 digits",
            )
            return False
        return True

    def past_or_today(self, field_: str, day: date, zh_what: str, en_what: str) -> bool:
        """False (and an error) when ``day`` lies in the future."""
        if day > clock.today():
            self.add(
                field_,
                ErrorCode.BAD_USER_INPUT,
                f"{zh_what}不能晚于今天",
                f"The {en_what} cannot be in the future",
            )
            return False
        return True


def require_admin_of(caller: Caller, area_code: str, field_: str, outcome: Outcome) -> bool:
    """The caller may write records (units, organisations) in ``area_code``: FORBIDDEN (raised)
    without the right, a FORBIDDEN error on the field outside its reach."""
    if not policy.reach(caller, Resource.RECORDS, Action.WRITE).area or not caller.can_see_area(
        area_code
    ):
        outcome.add(
            field_,
            ErrorCode.FORBIDDEN,
            "该区划不在您的管理范围内",
            "That area is outside your scope",
        )
        return False
    return True


def lookup_limiter(runtime: Runtime) -> SubjectLimiter:
    """The process's token buckets for look-ups by ID number and refused duplicate probes."""
    found = runtime.extras.get("lookup_limiter")
    if found is None:
        found = runtime.extras["lookup_limiter"] = SubjectLimiter.from_settings()
    assert isinstance(found, SubjectLimiter)
    return found


def audit_trail(caller: Caller, request_id: str | None, runtime: Runtime) -> audit_store.Trail:
    """Who acts, for the audit: the request's id, or else one made once for this process's run
    (an import from the command line is one run)."""
    if request_id is None:
        request_id = runtime.extras.setdefault("run_id", f"run-{uuid.uuid4().hex}")
    return audit_store.Trail.of(caller, str(request_id))


RULES = CoverageRules()


def _coverage_state(state: UnitCoverage | None) -> dict[str, object] | None:
    if state is None:
        return None
    return {
        "required": state.required,
        "covered": state.covered,
        "mode": state.mode.value if state.mode else None,
    }


async def refresh_coverage(uow: UnitOfWork, unit_ids: list[uuid.UUID]) -> None:
    """Bring coverage up to date for these units and publish what changed, in ``uow``: a few
    statements whether it is one unit or an import of thousands."""
    changes = await coverage_store.refresh_coverage(uow.conn, unit_ids, RULES)
    if changes:
        await uow.publish_many(
            [
                (
                    f"{EVENT}coverage.changed.v1",
                    str(c.unit_id),
                    {
                        "unitId": str(c.unit_id),
                        "areaCode": c.area_code,
                        "family": c.family.value,
                        "before": _coverage_state(c.before),
                        "after": _coverage_state(c.after),
                    },
                )
                for c in changes
            ]
        )
