"""Leaders (带头人), functional groups (小组) and memberships."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from gongjian_kit import policy
from gongjian_kit.auth import Caller
from gongjian_kit.db import Connection
from gongjian_kit.errors import ErrorCode, forbidden
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime
from gongjian_organizations.domain.leaders import (
    GROUP_KIND_OF_FAMILY,
    GroupKind,
    LeaderPost,
    TermLengths,
)
from gongjian_organizations.domain.organizations import OrganizationFamily
from gongjian_organizations.store import leaders as leader_store
from gongjian_organizations.store import organizations as org_store
from gongjian_organizations.store import people as people_store
from gongjian_organizations.usecases import EVENT, Outcome

TERMS = TermLengths()
# Which posts each family has: 书记/副书记 in the party and the league, 主席/副主席 elsewhere.
POSTS_OF_FAMILY = {
    OrganizationFamily.PARTY: {LeaderPost.SECRETARY, LeaderPost.DEPUTY_SECRETARY},
    OrganizationFamily.YOUTH_LEAGUE: {LeaderPost.SECRETARY, LeaderPost.DEPUTY_SECRETARY},
    OrganizationFamily.TRADE_UNION: {LeaderPost.CHAIR, LeaderPost.VICE_CHAIR},
    OrganizationFamily.WOMENS_FEDERATION: {LeaderPost.CHAIR, LeaderPost.VICE_CHAIR},
}


def _may_manage(caller: Caller, org_id: uuid.UUID) -> None:
    """The caller keeps this organisation (UPKEEP in the policy): admins of its area, or its own
    ORG_ADMIN (branch leaders keep it current). FORBIDDEN otherwise. The organisation's area is
    checked by the SQL that finds it (the caller's area)."""
    reach = policy.reach(caller, Resource.UPKEEP, Action.WRITE)
    if not (reach.area or org_id in (reach.own_orgs or ())):
        raise forbidden("只能管理本组织", "You may keep your own organisations only")


async def _active_org(
    conn: Connection, caller: Caller, org_id: uuid.UUID, field: str, outcome: Outcome
) -> asyncpg.Record | None:
    org = await org_store.lock_organization(conn, org_id, caller.area_like)
    if org is None:
        outcome.add(
            field,
            ErrorCode.NOT_FOUND,
            "组织不存在或不在您的范围内",
            "The organisation does not exist or is outside your scope",
        )
    elif org["dissolved_on"] is not None:
        outcome.add(
            field, ErrorCode.CONFLICT, "该组织已撤销", "That organisation has been dissolved"
        )
        return None
    return org


async def _person(
    conn: Connection, caller: Caller, person_id: uuid.UUID, outcome: Outcome
) -> asyncpg.Record | None:
    person = await people_store.lock_person(conn, person_id, caller.area_like)
    if person is None:
        outcome.not_found("personId", "人员", "person")
    return person


async def appoint_leader(
    runtime: Runtime,
    caller: Caller,
    org_id: uuid.UUID,
    person_id: uuid.UUID,
    post: LeaderPost,
    term_start: date,
    term_end: date | None,
) -> Outcome:
    """Appoint a leader for a term (default length by family, from the settings)."""
    outcome = Outcome()
    _may_manage(caller, org_id)
    async with runtime.unit_of_work() as uow:
        org = await _active_org(uow.conn, caller, org_id, "organizationId", outcome)
        person = await _person(uow.conn, caller, person_id, outcome)
        if org is None or person is None:
            return outcome
        family = OrganizationFamily(org["family"])
        if post is not LeaderPost.COMMITTEE_MEMBER and post not in POSTS_OF_FAMILY[family]:
            outcome.add(
                "post",
                ErrorCode.BAD_USER_INPUT,
                "该职务不属于此类组织",
                "That post does not exist in this kind of organisation",
            )
            return outcome
        end = term_end or TERMS.term_end(family, term_start)
        if end <= term_start:
            outcome.add(
                "termEnd",
                ErrorCode.BAD_USER_INPUT,
                "任期结束须晚于开始",
                "The term must end after it starts",
            )
            return outcome
        row = await leader_store.insert_leader(
            uow.conn, org_id, person_id, post.value, term_start, end
        )
        await uow.publish(
            f"{EVENT}leader.appointed.v1",
            str(org_id),
            {
                "leaderId": str(row["id"]),
                "organizationId": str(org_id),
                "personId": str(person_id),
                "areaCode": org["area_code"],
                "post": post.value,
                "termStart": term_start.isoformat(),
                "termEnd": end.isoformat(),
            },
        )
    outcome.row = row
    return outcome


async def end_leader_term(
    runtime: Runtime, caller: Caller, leader_id: uuid.UUID, ended_on: date
) -> Outcome:
    outcome = Outcome()
    policy.require(caller, Resource.UPKEEP, Action.WRITE)
    async with runtime.unit_of_work() as uow:
        row = await leader_store.end_leader_term(uow.conn, leader_id, ended_on, caller.area_like)
        if row is None:
            outcome.add(
                "id",
                ErrorCode.NOT_FOUND,
                "任职记录不存在、已结束或不在您的范围内",
                "No such current term in your scope (or it ends before it starts)",
            )
            return outcome
        _may_manage(caller, row["organization_id"])
        await uow.publish(
            f"{EVENT}leader.term-ended.v1",
            str(row["organization_id"]),
            {
                "leaderId": str(leader_id),
                "organizationId": str(row["organization_id"]),
                "personId": str(row["person_id"]),
                "areaCode": row["area_code"],
                "endedOn": ended_on.isoformat(),
            },
        )
    outcome.row = row
    return outcome


async def create_group(
    runtime: Runtime, caller: Caller, org_id: uuid.UUID, name: str, kind: GroupKind | None
) -> Outcome:
    outcome = Outcome()
    _may_manage(caller, org_id)
    name = outcome.check_name("name", name, "小组名称", "group name", 100)
    if outcome.errors:
        return outcome
    async with runtime.unit_of_work() as uow:
        org = await _active_org(uow.conn, caller, org_id, "organizationId", outcome)
        if org is None:
            return outcome
        expected = GROUP_KIND_OF_FAMILY[OrganizationFamily(org["family"])]
        if kind is not None and kind is not expected:
            outcome.add(
                "kind",
                ErrorCode.BAD_USER_INPUT,
                "小组类型与组织不符",
                "That kind of group does not belong to this organisation",
            )
            return outcome
        outcome.row = await leader_store.insert_group(uow.conn, org_id, name, expected.value)
    return outcome


async def dissolve_group(
    runtime: Runtime, caller: Caller, group_id: uuid.UUID, on: date
) -> Outcome:
    outcome = Outcome()
    policy.require(caller, Resource.UPKEEP, Action.WRITE)
    async with runtime.unit_of_work() as uow:
        group = await leader_store.lock_group(uow.conn, group_id, caller.area_like)
        if group is None or group["dissolved_on"] is not None:
            outcome.add(
                "id",
                ErrorCode.NOT_FOUND,
                "小组不存在或已撤销",
                "No such active group in your scope",
            )
            return outcome
        _may_manage(caller, group["organization_id"])
        outcome.row = await leader_store.dissolve_group(uow.conn, group_id, on)
    return outcome


async def add_group_member(
    runtime: Runtime, caller: Caller, group_id: uuid.UUID, person_id: uuid.UUID
) -> Outcome:
    outcome = Outcome()
    policy.require(caller, Resource.UPKEEP, Action.WRITE)
    async with runtime.unit_of_work() as uow:
        group = await leader_store.lock_group(uow.conn, group_id, caller.area_like)
        if group is None or group["dissolved_on"] is not None:
            outcome.add(
                "groupId",
                ErrorCode.NOT_FOUND,
                "小组不存在或已撤销",
                "No such active group in your scope",
            )
            return outcome
        _may_manage(caller, group["organization_id"])
        if await _person(uow.conn, caller, person_id, outcome) is None:
            return outcome
        if not await leader_store.add_group_member(uow.conn, group_id, person_id):
            outcome.add(
                "personId", ErrorCode.CONFLICT, "已是该小组成员", "Already a member of this group"
            )
            return outcome
        outcome.row = group
    return outcome


async def start_membership(
    runtime: Runtime,
    caller: Caller,
    person_id: uuid.UUID,
    org_id: uuid.UUID,
    role: str,
    since: date,
) -> Outcome:
    outcome = Outcome()
    _may_manage(caller, org_id)
    role = role.strip()
    if not role or len(role) > 50:
        outcome.add(
            "role",
            ErrorCode.BAD_USER_INPUT,
            "请填写身份（不超过50字）",
            "Give a role (at most 50 characters)",
        )
        return outcome
    async with runtime.unit_of_work() as uow:
        org = await _active_org(uow.conn, caller, org_id, "organizationId", outcome)
        person = await _person(uow.conn, caller, person_id, outcome)
        if org is None or person is None:
            return outcome
        row = await people_store.insert_membership(uow.conn, person_id, org_id, role, since)
        if row is None:
            outcome.add(
                "personId",
                ErrorCode.CONFLICT,
                "已是该组织成员",
                "Already a member of this organisation",
            )
            return outcome
        await uow.publish(
            f"{EVENT}membership.started.v1",
            str(person_id),
            {
                "membershipId": str(row["id"]),
                "personId": str(person_id),
                "organizationId": str(org_id),
                "family": org["family"],
                "areaCode": org["area_code"],
                "since": since.isoformat(),
            },
        )
    outcome.row = row
    return outcome


async def end_membership(
    runtime: Runtime, caller: Caller, membership_id: uuid.UUID, until: date
) -> Outcome:
    outcome = Outcome()
    policy.require(caller, Resource.UPKEEP, Action.WRITE)
    async with runtime.unit_of_work() as uow:
        row = await people_store.end_membership(uow.conn, membership_id, until, caller.area_like)
        if row is None:
            outcome.add(
                "id",
                ErrorCode.NOT_FOUND,
                "成员关系不存在、已结束或不在您的范围内",
                "No such current membership in your scope (or it ends before it began)",
            )
            return outcome
        _may_manage(caller, row["organization_id"])
        await uow.publish(
            f"{EVENT}membership.ended.v1",
            str(row["person_id"]),
            {
                "membershipId": str(membership_id),
                "personId": str(row["person_id"]),
                "organizationId": str(row["organization_id"]),
                "areaCode": row["area_code"],
                "until": until.isoformat(),
            },
        )
    outcome.row = row
    return outcome
