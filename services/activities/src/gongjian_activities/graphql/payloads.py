"""What every mutation of the subgraph shares: running a use case into a payload's errors."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from gongjian_activities.usecases.common import attempt
from gongjian_kit import guard
from gongjian_kit.errors import ApiError
from gongjian_kit.gql import UserError, user_error_from

R = TypeVar("R")


async def run_case(
    make: Callable[[], Awaitable[R]],
) -> tuple[R | None, list[UserError]]:
    """Parse-then-run: an ApiError from parsing ids, or the use case's refusals, as typed
    errors in the payload (nothing written)."""
    try:
        result, errors = await attempt(make())
    except ApiError as exc:
        return None, [user_error_from(exc)]
    return result, [user_error_from(e) for e in errors]


def parse_id(raw: strawberry.ID, field: str) -> uuid.UUID:
    return guard.parse_id(raw, field)
