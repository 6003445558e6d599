"""People, memberships, leaders and groups: queries and mutations."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import strawberry
from strawberry.types import Info

from gongjian_kit import clock, guard
from gongjian_kit.gql import (
    Connection,
    UserError,
    context_of,
    decode_cursor,
    make_connection,
    page_size,
    seq_page,
    user_error,
    user_error_from,
)
from gongjian_organizations.domain import leaders as leader_domain
from gongjian_organizations.domain import people as people_domain
from gongjian_organizations.graphql import loaders
from gongjian_organizations.graphql.core_api import parse_id, scope_like
from gongjian_organizations.graphql.enums import Gender, GroupKind, LeaderPost, PoliticalStatus
from gongjian_organizations.graphql.people import (
    FunctionalGroup,
    Leader,
    Membership,
    Person,
    person_of,
)
from gongjian_organizations.graphql.types import Organization
from gongjian_organizations.store import leaders as leader_store
from gongjian_organizations.store import people as people_store
from gongjian_organizations.usecases import leadership
from gongjian_organizations.usecases import people as people_cases
from gongjian_organizations.usecases.people import PersonInput


@strawberry.type(description="换届提醒 / An organisation whose leaders' term ends soon")
class ReelectionDue:
    organization: Organization
    term_ends_on: date
    overdue: bool


@strawberry.type
class PeopleQueries:
    @strawberry.field(
        description="区划内的人员（可按姓氏前缀；仅含您可见者）/ People in an area, by name "
        "prefix (only those you may see)"
    )
    async def people(
        self,
        info: Info,
        area_code: str | None = None,
        name_prefix: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Person]:
        ctx = context_of(info)
        sight = loaders.person_sight(ctx)
        like = scope_like(info, area_code)
        prefix = (name_prefix or "").strip() or None
        page = await seq_page(
            first,
            after,
            lambda pos, lim: people_store.people_page(
                ctx.runtime.db, like, prefix, pos, lim, sight
            ),
            lambda row: Person.from_row(row, ctx.caller),
            lambda: people_store.count_people(ctx.runtime.db, like, prefix, sight),
        )
        # The SQL returns only people the caller may see, so none is None; keep it that way.
        page.edges = [e for e in page.edges if e.node is not None]
        return page  # type: ignore[return-value]

    @strawberry.field(description="按编号查人员 / A person by id")
    async def person(self, info: Info, id: strawberry.ID) -> Person | None:
        return await person_of(info, guard.id_or_none(id))

    @strawberry.field(
        description="按公民身份号码查人员（查重用，需可登记人员者；每次查询均记录，查询过频"
        "将被拒绝）/ Find a person by ID number (for duplicate checks, by those who may "
        "register people; every look-up is audited, and bursts are refused as RATE_LIMITED)"
    )
    async def person_by_id_number(self, info: Info, id_number: str) -> Person | None:
        ctx = context_of(info)
        found = await people_cases.find_by_id_number(
            ctx.runtime, ctx.caller, ctx.request_id, id_number
        )
        return await person_of(info, found)

    @strawberry.field(
        description="任期将满（含已超期）需换届的组织 / Organisations due for "
        "re-election within the days given (overdue included)"
    )
    async def organizations_due_for_reelection(
        self,
        info: Info,
        area_code: str | None = None,
        within_days: int = 90,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ReelectionDue]:
        ctx = context_of(info)
        only = loaders.record_reach(ctx).organizations_only
        like = scope_like(info, area_code)
        limit, position = page_size(first), decode_cursor(after)
        today = clock.today()
        by = today + timedelta(days=max(0, min(within_days, 3660)))
        rows = await leader_store.due_for_reelection(
            ctx.runtime.db, like, by, position, limit + 1, only
        )
        orgs = await loaders.organization_by_id(info).load_many([r["id"] for r in rows])
        items = [
            ReelectionDue(
                organization=Organization.from_row(o),
                term_ends_on=r["term_end"],
                overdue=r["term_end"] < today,
            )
            for r, o in zip(rows, orgs, strict=True)
            if o is not None
        ]
        return make_connection(
            items,
            [r["seq"] for r in rows],
            limit,
            position is not None,
            lambda: leader_store.count_due_for_reelection(ctx.runtime.db, like, by, only),
        )


@strawberry.input
class RegisterPersonInput:
    name: str
    id_number: str = strawberry.field(description="18位公民身份号码 / 18-character ID number")
    political_status: PoliticalStatus = people_domain.PoliticalStatus.MASSES  # type: ignore[valid-type]
    phone: str | None = None
    gender: Gender | None = None  # type: ignore[valid-type]
    birth_date: date | None = None
    employer_unit_id: strawberry.ID | None = None
    area_code: str | None = strawberry.field(
        default=None, description="无工作单位时的所在区划 / Area, when there is no employer"
    )
    migrant_worker: bool = False


@strawberry.type
class PersonPayload:
    person: Person | None
    errors: list[UserError]


@strawberry.input
class ChangePoliticalStatusInput:
    person_id: strawberry.ID
    status: PoliticalStatus  # type: ignore[valid-type]
    since: date


@strawberry.input
class StartMembershipInput:
    person_id: strawberry.ID
    organization_id: strawberry.ID
    role: str = "成员"
    since: date | None = strawberry.field(
        default=None, description="不填则为今天 / Defaults to today"
    )


@strawberry.input
class EndMembershipInput:
    id: strawberry.ID
    until: date


@strawberry.type
class MembershipPayload:
    membership: Membership | None
    errors: list[UserError]


@strawberry.input
class AppointLeaderInput:
    organization_id: strawberry.ID
    person_id: strawberry.ID
    post: LeaderPost  # type: ignore[valid-type]
    term_start: date
    term_end: date | None = strawberry.field(
        default=None, description="不填则按组织类型的默认任期 / Defaults to the family's term"
    )


@strawberry.input
class EndLeaderTermInput:
    id: strawberry.ID
    ended_on: date


@strawberry.type
class LeaderPayload:
    leader: Leader | None
    errors: list[UserError]


@strawberry.input
class CreateGroupInput:
    organization_id: strawberry.ID
    name: str
    kind: GroupKind | None = None  # type: ignore[valid-type]


@strawberry.input
class DissolveGroupInput:
    id: strawberry.ID
    dissolved_on: date


@strawberry.input
class AddGroupMemberInput:
    group_id: strawberry.ID
    person_id: strawberry.ID


@strawberry.type
class GroupPayload:
    group: FunctionalGroup | None
    errors: list[UserError]


def _ids(*pairs: tuple[strawberry.ID, str]) -> tuple[list[uuid.UUID], list[UserError]]:
    ids: list[uuid.UUID] = []
    errors: list[UserError] = []
    for raw, field in pairs:
        value, problems = parse_id(raw, field)
        errors += problems
        if value is not None:
            ids.append(value)
    return ids, errors


@strawberry.type
class PeopleMutations:
    @strawberry.mutation(description="登记人员 / Register a person")
    async def register_person(self, info: Info, input: RegisterPersonInput) -> PersonPayload:
        ctx = context_of(info)
        employer: uuid.UUID | None = None
        if input.employer_unit_id is not None:
            employer, errors = parse_id(input.employer_unit_id, "employerUnitId")
            if errors:
                return PersonPayload(person=None, errors=errors)
        result = await people_cases.register_people(
            ctx.runtime,
            ctx.caller,
            request_id=ctx.request_id,
            people=[
                PersonInput(
                    name=input.name,
                    id_number=input.id_number,
                    political_status=people_domain.PoliticalStatus(input.political_status).value,
                    phone=input.phone,
                    gender=people_domain.Gender(input.gender).value if input.gender else None,
                    birth_date=input.birth_date,
                    employer_unit_id=employer,
                    area_code=input.area_code,
                    migrant_worker=input.migrant_worker,
                )
            ],
        )
        if result.rejected:
            return PersonPayload(
                person=None,
                errors=[
                    user_error(field, code, zh, en) for _, (field, code, zh, en) in result.rejected
                ],
            )
        return PersonPayload(person=await person_of(info, result.registered[0].id), errors=[])

    @strawberry.mutation(description="变更政治面貌 / Change a person's political status")
    async def change_political_status(
        self, info: Info, input: ChangePoliticalStatusInput
    ) -> PersonPayload:
        ctx = context_of(info)
        ids, errors = _ids((input.person_id, "personId"))
        if errors:
            return PersonPayload(person=None, errors=errors)
        out = await people_cases.change_political_status(
            ctx.runtime,
            ctx.caller,
            ids[0],
            people_domain.PoliticalStatus(input.status),
            input.since,
        )
        return PersonPayload(
            person=await person_of(info, out.row["id"]) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="加入组织 / Start a membership")
    async def start_membership(self, info: Info, input: StartMembershipInput) -> MembershipPayload:
        ctx = context_of(info)
        ids, errors = _ids((input.person_id, "personId"), (input.organization_id, "organizationId"))
        if errors:
            return MembershipPayload(membership=None, errors=errors)
        out = await leadership.start_membership(
            ctx.runtime, ctx.caller, ids[0], ids[1], input.role, input.since or clock.today()
        )
        return MembershipPayload(
            membership=Membership.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="退出组织 / End a membership")
    async def end_membership(self, info: Info, input: EndMembershipInput) -> MembershipPayload:
        ctx = context_of(info)
        ids, errors = _ids((input.id, "id"))
        if errors:
            return MembershipPayload(membership=None, errors=errors)
        out = await leadership.end_membership(ctx.runtime, ctx.caller, ids[0], input.until)
        return MembershipPayload(
            membership=Membership.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="任命带头人 / Appoint a leader for a term")
    async def appoint_leader(self, info: Info, input: AppointLeaderInput) -> LeaderPayload:
        ctx = context_of(info)
        ids, errors = _ids((input.organization_id, "organizationId"), (input.person_id, "personId"))
        if errors:
            return LeaderPayload(leader=None, errors=errors)
        out = await leadership.appoint_leader(
            ctx.runtime,
            ctx.caller,
            ids[0],
            ids[1],
            leader_domain.LeaderPost(input.post),
            input.term_start,
            input.term_end,
        )
        return LeaderPayload(
            leader=Leader.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="结束任期 / End a leader's term")
    async def end_leader_term(self, info: Info, input: EndLeaderTermInput) -> LeaderPayload:
        ctx = context_of(info)
        ids, errors = _ids((input.id, "id"))
        if errors:
            return LeaderPayload(leader=None, errors=errors)
        out = await leadership.end_leader_term(ctx.runtime, ctx.caller, ids[0], input.ended_on)
        return LeaderPayload(
            leader=Leader.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="建立功能小组 / Create a functional group")
    async def create_group(self, info: Info, input: CreateGroupInput) -> GroupPayload:
        ctx = context_of(info)
        ids, errors = _ids((input.organization_id, "organizationId"))
        if errors:
            return GroupPayload(group=None, errors=errors)
        out = await leadership.create_group(
            ctx.runtime,
            ctx.caller,
            ids[0],
            input.name,
            leader_domain.GroupKind(input.kind) if input.kind else None,
        )
        return GroupPayload(
            group=FunctionalGroup.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="撤销功能小组 / Dissolve a functional group")
    async def dissolve_group(self, info: Info, input: DissolveGroupInput) -> GroupPayload:
        ctx = context_of(info)
        ids, errors = _ids((input.id, "id"))
        if errors:
            return GroupPayload(group=None, errors=errors)
        out = await leadership.dissolve_group(ctx.runtime, ctx.caller, ids[0], input.dissolved_on)
        return GroupPayload(
            group=FunctionalGroup.from_row(out.row) if out.row else None,
            errors=[user_error_from(e) for e in out.errors],
        )

    @strawberry.mutation(description="加入功能小组 / Add a person to a group")
    async def add_group_member(self, info: Info, input: AddGroupMemberInput) -> GroupPayload:
        ctx = context_of(info)
        ids, errors = _ids((input.group_id, "groupId"), (input.person_id, "personId"))
        if errors:
            return GroupPayload(group=None, errors=errors)
        out = await leadership.add_group_member(ctx.runtime, ctx.caller, ids[0], ids[1])
        rows = (
            await leader_store.groups_of(ctx.runtime.db, [out.row["organization_id"]])
            if out.row
            else [[]]
        )
        group = next((g for g in rows[0] if out.row and g["id"] == out.row["id"]), None)
        return GroupPayload(
            group=FunctionalGroup.from_row(group) if group else None,
            errors=[user_error_from(e) for e in out.errors],
        )
