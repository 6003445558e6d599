"""What the use cases share: collecting typed problems, who manages an activity, events."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg

from gongjian_activities.domain import activities as domain
from gongjian_activities.store import activities as store
from gongjian_kit import policy
from gongjian_kit.auth import Caller
from gongjian_kit.db import Executor
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.policy import Action, Resource

EVENT = "gongjian.activities."
T = TypeVar("T")


class RefusedError(Exception):
    """Raised inside a unit of work to roll it back and answer with these problems."""

    def __init__(self, errors: list[ApiError]) -> None:
        super().__init__("; ".join(e.en for e in errors))
        self.errors = errors


@dataclass
class Problems:
    errors: list[ApiError] = field(default_factory=list)

    def add(self, field: str | None, code: ErrorCode, zh: str, en: str) -> None:
        self.errors.append(ApiError(code, zh, en, field))

    def bad(self, field: str, zh: str, en: str) -> None:
        self.add(field, ErrorCode.BAD_USER_INPUT, zh, en)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def refuse(self) -> None:
        """Stop here (rolling back the transaction) when there is any problem."""
        if self.errors:
            raise RefusedError(self.errors)


def refuse(field: str | None, code: ErrorCode, zh: str, en: str) -> RefusedError:
    return RefusedError([ApiError(code, zh, en, field)])


def checked_reason(reason: str, zh: str, en: str, field: str = "reason") -> str:
    """A stated reason: 1 to 500 characters, else BAD_USER_INPUT with ``zh`` / ``en``."""
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise refuse(field, ErrorCode.BAD_USER_INPUT, zh, en)
    return reason


def not_found_activity(field: str = "activityId") -> RefusedError:
    return refuse(
        field,
        ErrorCode.NOT_FOUND,
        "活动不存在或不在您的范围内",
        "The activity does not exist or is outside your scope",
    )


def status_refusal(current: domain.ActivityStatus, action_zh: str, action_en: str) -> RefusedError:
    zh, en = domain.refusal(current, action_zh, action_en)
    return refuse("status", ErrorCode.CONFLICT, zh, en)


async def manages(conn: Executor, caller: Caller, organizer_ids: list[uuid.UUID]) -> bool:
    """Whether the caller keeps one of the activity's organisers (UPKEEP in the policy)."""
    if not policy.allows(caller, Resource.UPKEEP, Action.WRITE):
        return False
    reach = policy.reach(caller, Resource.UPKEEP, Action.WRITE)
    refs = await store.organization_refs(conn, organizer_ids)
    return any(reach.admits_organization(org_id, ref["area_code"]) for org_id, ref in refs.items())


def sees_activity(caller: Caller, row: asyncpg.Record) -> bool:
    """Whether the activity lies in the caller's records (area; an ORG_ADMIN's own)."""
    if not policy.allows(caller, Resource.RECORDS):
        return False
    reach = policy.reach(caller, Resource.RECORDS)
    if not caller.can_see_area(row["area_code"]):
        return False
    return reach.area or bool(set(reach.own_orgs or ()) & set(row["organizer_ids"] or ()))


async def managed_activity(
    conn: Executor, caller: Caller, row: asyncpg.Record | None, field: str = "activityId"
) -> asyncpg.Record:
    """The activity if the caller manages it; NOT_FOUND when they cannot see it, FORBIDDEN when
    they see it but keep none of its organisers."""
    if row is None or not sees_activity(caller, row):
        raise not_found_activity(field)
    if not await manages(conn, caller, list(row["organizer_ids"] or [])):
        raise refuse(
            field,
            ErrorCode.FORBIDDEN,
            "只有主办组织的管理者可以操作该活动",
            "Only those who keep one of its organisers may do this",
        )
    return row


def activity_data(row: asyncpg.Record) -> dict[str, Any]:
    """The fields every activity event carries."""
    return {
        "activityId": str(row["id"]),
        "organizerIds": [str(o) for o in row["organizer_ids"] or []],
        "areaCode": row["area_code"],
    }


async def attempt(work: Awaitable[T]) -> tuple[T | None, list[ApiError]]:
    """Run a use case: its result, or nothing and the problems that refused it (its
    transaction rolled back: no rows, no events)."""
    try:
        return await work, []
    except RefusedError as refused:
        return None, refused.errors
