"""推优入党: a mass organisation (工会, 共青团, 妇联) recommends a person to the Party; the
recommendation is followed through its dated stages (``domain.recommendations``) or stopped.

Recommending, advancing and stopping are for the recommending organisation's keepers (UPKEEP
WRITE admitting it: its ORG_ADMIN, the area's admins). Each step locks the recommendation,
checks its stage and dates, writes and raises its event in one transaction; a refusal rolls
everything back. Events carry ids, codes and dates: never a reason.

Evaluation keeps no birth dates: the person's age at the recommendation is checked with the
organizations subgraph, asked with the caller's own token (who may not see the birth date
cannot recommend the person).
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
import uuid
from datetime import date
from typing import Any

import asyncpg

from gongjian_evaluation.domain import recommendations as domain
from gongjian_evaluation.domain.recommendations import Stage
from gongjian_evaluation.settings import evaluation_settings
from gongjian_evaluation.store import recommendations as store
from gongjian_evaluation.store import stats as stats_store
from gongjian_evaluation.usecases.assessments import RefusedError, refuse
from gongjian_kit import clock, policy
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.hardening import GATEWAY_HEADER
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime

EVENT = "gongjian.evaluation.recommendation."
MAX_REASON = 500
BIRTH_QUERY = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Person { id birthDate } } }"""


def rules() -> domain.Rules:
    settings = evaluation_settings()
    return domain.Rules(
        activist_years=settings.party_activist_min_years,
        probation_years=settings.party_probation_years,
        min_age=settings.party_min_age,
    )


# Access ------------------------------------------------------------------------------------


def sees(caller: Caller, row: asyncpg.Record) -> bool:
    """A person's path to the Party is personal: the admins of the organisation's area, an
    ORG_ADMIN for its own organisations' recommendations, the person themself."""
    if not policy.allows(caller, Resource.PERSONAL) or not caller.can_see_area(row["area_code"]):
        return False
    reach = policy.reach(caller, Resource.PERSONAL)
    return (
        reach.area
        or row["organization_id"] in (reach.own_orgs or ())
        or (reach.self_id is not None and row["person_id"] == reach.self_id)
    )


def keeps(caller: Caller, org_id: uuid.UUID, area_code: str) -> bool:
    """The recommending organisation's keepers (UPKEEP WRITE admitting it)."""
    if not policy.allows(caller, Resource.UPKEEP, Action.WRITE):
        return False
    reach = policy.reach(caller, Resource.UPKEEP, Action.WRITE)
    return reach.admits_organization(org_id, area_code)


def recommendation_filter(
    caller: Caller,
    area_code: str | None,
    stage: str | None = None,
    organization_id: uuid.UUID | None = None,
) -> store.RecommendationFilter | None:
    """What the caller's list holds; None: nothing at all."""
    reach = policy.reach(caller, Resource.PERSONAL)
    area_like = caller.scope_like(area_code)
    if reach.area:
        return store.RecommendationFilter(area_like, stage=stage, organization_id=organization_id)
    if reach.own_orgs is not None:
        return store.RecommendationFilter(
            area_like, list(reach.own_orgs), stage=stage, organization_id=organization_id
        )
    if reach.self_id is not None:
        return store.RecommendationFilter(
            area_like, person_id=reach.self_id, stage=stage, organization_id=organization_id
        )
    return None


def dates_of(row: asyncpg.Record) -> dict[Stage, date | None]:
    return {stage: row[store.STAGE_COLUMNS[stage.value]] for stage in Stage}


def event_data(row: asyncpg.Record, on: date) -> dict[str, Any]:
    """What every recommendation event carries (ids, codes, dates; no reason)."""
    return {
        "recommendationId": str(row["id"]),
        "personId": str(row["person_id"]),
        "byOrganizationId": str(row["organization_id"]),
        "family": row["family"],
        "areaCode": row["area_code"],
        "stage": row["stage"],
        "on": on.isoformat(),
    }


def _reason(value: str, field: str = "reason") -> str:
    value = value.strip()
    if not 1 <= len(value) <= MAX_REASON:
        raise refuse(
            field,
            ErrorCode.BAD_USER_INPUT,
            f"理由为1至{MAX_REASON}字",
            f"A reason is 1 to {MAX_REASON} characters",
        )
    return value


def _not_found() -> RefusedError:
    return refuse(
        "id", ErrorCode.NOT_FOUND, "推优记录不存在或不在您的范围内", "No such recommendation"
    )


# The person's birth date, from the organizations subgraph ---------------------------------


def _post(url: str, body: bytes, headers: dict[str, str]) -> Any:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=5.0) as response:  # noqa: S310 - our own URL
        return json.loads(response.read())


async def birth_date_from_organizations(
    runtime: Runtime, authorization: str | None, person_id: uuid.UUID
) -> date | None:
    """The person's birth date as the caller may see it (None: unknown to them)."""
    headers = {
        "Content-Type": "application/json",
        GATEWAY_HEADER: runtime.settings.gateway_secret,
    }
    if authorization:
        headers["Authorization"] = authorization
    body = json.dumps(
        {
            "query": BIRTH_QUERY,
            "variables": {"r": [{"__typename": "Person", "id": str(person_id)}]},
        }
    ).encode()
    try:
        found = await asyncio.to_thread(
            _post, evaluation_settings().organizations_url, body, headers
        )
    except (OSError, urllib.error.URLError, json.JSONDecodeError) as exc:
        raise refuse(
            None,
            ErrorCode.INTERNAL,
            "暂时无法核实该人员的年龄，请稍后再试",
            "The person's age cannot be checked now; try again shortly",
        ) from exc
    for entity in (found.get("data") or {}).get("_entities") or []:
        if isinstance(entity, dict) and entity.get("birthDate"):
            return date.fromisoformat(entity["birthDate"])
    return None


# Steps -------------------------------------------------------------------------------------


async def recommend(
    runtime: Runtime,
    caller: Caller,
    authorization: str | None,
    *,
    person_id: uuid.UUID,
    org_id: uuid.UUID,
    on: date,
    reason: str,
) -> asyncpg.Record:
    """推优: the organisation recommends the person on ``on`` (their application's day)."""
    reason = _reason(reason)
    org = await store.organization(runtime.db, org_id)
    if org is None or not caller.can_see_area(org["area_code"]):
        raise refuse(
            "byOrganizationId",
            ErrorCode.NOT_FOUND,
            "推荐组织不存在或不在您的范围内",
            "The recommending organisation does not exist or is outside your scope",
        )
    if not keeps(caller, org_id, org["area_code"]):
        raise refuse(
            "byOrganizationId",
            ErrorCode.FORBIDDEN,
            "只能以您管理的组织名义推优",
            "Recommendations are made in the name of an organisation you keep",
        )
    problems: list[ApiError] = []
    if org["dissolved_on"] is not None:
        problems.append(
            ApiError(
                ErrorCode.CONFLICT,
                "该组织已撤销，不能推优",
                "The organisation is dissolved",
                "byOrganizationId",
            )
        )
    if org["family"] not in domain.RECOMMENDING_FAMILIES:
        problems.append(
            ApiError(
                ErrorCode.BAD_USER_INPUT,
                "推优由工会、共青团或妇联组织进行",
                "Recommendations are made by a trade union, youth league or women's "
                "federation organisation",
                "byOrganizationId",
            )
        )
    if on > clock.today():
        problems.append(
            ApiError(
                ErrorCode.BAD_USER_INPUT, "日期不能晚于今天", "The date is in the future", "on"
            )
        )
    if problems:
        raise RefusedError(problems)
    birth = await birth_date_from_organizations(runtime, authorization, person_id)
    if (too_young := domain.age_problem(birth, on, rules())) is not None:
        raise RefusedError([too_young])
    async with runtime.unit_of_work() as uow:
        row = await store.insert(
            uow.conn,
            recommendation_id=uuid.uuid4(),
            person_id=person_id,
            org=org,
            on=on,
            reason=reason,
            by=caller.subject,
            at=clock.now(),
        )
        if row is None:
            raise refuse(
                "personId",
                ErrorCode.CONFLICT,
                "该人员已有进行中的推优，不能重复推荐",
                "The person already has a recommendation under way",
            )
        await uow.publish(f"{EVENT}recommended.v1", str(row["id"]), event_data(row, on))
        await stats_store.mark_with_ancestors(uow.conn, [row["area_code"]])
        return row


async def _kept(conn: Any, caller: Caller, recommendation_id: uuid.UUID) -> asyncpg.Record:
    row = await store.for_update(conn, recommendation_id)
    if row is None or not (
        sees(caller, row) or keeps(caller, row["organization_id"], row["area_code"])
    ):
        raise _not_found()
    if not keeps(caller, row["organization_id"], row["area_code"]):
        raise refuse(
            "id",
            ErrorCode.FORBIDDEN,
            "只有推荐组织的管理员或区划管理员可以进行此操作",
            "Only the recommending organisation's keepers may do this",
        )
    return row


async def advance(
    runtime: Runtime, caller: Caller, recommendation_id: uuid.UUID, target: Stage, on: date
) -> asyncpg.Record:
    """Move a recommendation to its next stage, dated ``on``."""
    async with runtime.unit_of_work() as uow:
        row = await _kept(uow.conn, caller, recommendation_id)
        current = Stage(row["stage"])
        conflict = domain.stage_conflict(current, target, row["stopped_on"] is not None)
        if conflict is not None:
            raise RefusedError([conflict])
        problems = domain.date_problems(target, on, dates_of(row), clock.today(), rules())
        if problems:
            raise RefusedError(problems)
        row = await store.advance(uow.conn, recommendation_id, target.value, on, clock.now())
        await uow.publish(f"{EVENT}advanced.v1", str(row["id"]), event_data(row, on))
        await stats_store.mark_with_ancestors(uow.conn, [row["area_code"]])
        return row


async def stop(
    runtime: Runtime, caller: Caller, recommendation_id: uuid.UUID, reason: str
) -> asyncpg.Record:
    """Stop a recommendation under way (the reason is kept, not published)."""
    reason = _reason(reason)
    async with runtime.unit_of_work() as uow:
        row = await _kept(uow.conn, caller, recommendation_id)
        current = Stage(row["stage"])
        label = domain.STAGE_LABELS[current]
        if row["stopped_on"] is not None:
            raise refuse(
                "stage",
                ErrorCode.CONFLICT,
                f"该推优已终止（停在“{label}”）",
                f"The recommendation was stopped already, at {current.value}",
            )
        if current is Stage.FULL_MEMBER:
            raise refuse(
                "stage",
                ErrorCode.CONFLICT,
                f"已是“{label}”，推优已完成，不能终止",
                "The person is a FULL_MEMBER: the recommendation is complete",
            )
        today = clock.today()
        row = await store.stop(uow.conn, recommendation_id, today, reason, clock.now())
        await uow.publish(f"{EVENT}stopped.v1", str(row["id"]), event_data(row, today))
        await stats_store.mark_with_ancestors(uow.conn, [row["area_code"]])
        return row
