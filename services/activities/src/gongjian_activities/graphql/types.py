"""The activities subgraph's types: activities, participation, people's hours, certificates."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gongjian_activities.domain import activities as domain
from gongjian_activities.domain import participation as rules
from gongjian_activities.store import activities as store
from gongjian_activities.store import participations as participation_store
from gongjian_activities.store import people as people_store
from gongjian_activities.usecases.common import manages
from gongjian_kit import guard, policy
from gongjian_kit.gql import (
    Connection,
    RequestContext,
    context_of,
    decode_cursor,
    decode_keyset,
    make_connection,
    page_size,
    seq_page,
)
from gongjian_kit.policy import Reach, Resource

LineOfWork = strawberry.enum(
    domain.LineOfWork, name="LineOfWork", description="五项工作 / The five lines of work"
)
ActivityCategory = strawberry.enum(
    domain.ActivityCategory, name="ActivityCategory", description="活动类别 / Activity category"
)
ActivityStatus = strawberry.enum(
    domain.ActivityStatus, name="ActivityStatus", description="活动状态 / Activity status"
)
ServiceKind = strawberry.enum(
    domain.ServiceKind,
    name="ServiceKind",
    description="送服务类别：文化/科技/卫生/政策/法律 / What a service-delivery activity brings",
)
ParticipationRole = strawberry.enum(
    rules.ParticipationRole, name="ParticipationRole", description="参与角色 / Role"
)
ParticipationStatus = strawberry.enum(
    rules.ParticipationStatus,
    name="ParticipationStatus",
    description="参与状态 / Participation status",
)
HoursStatus = strawberry.enum(
    rules.HoursStatus, name="HoursStatus", description="时长核实状态 / Hours status"
)


def records(ctx: RequestContext) -> Reach:
    """Where the caller's records reach: the area, and for ORG_ADMIN its own organisations."""
    return policy.reach(ctx.caller, Resource.RECORDS)


def organization_refs(ctx: RequestContext) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    """The organisations this service has heard of (their areas), in one statement."""

    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        found = await store.organization_refs(ctx.runtime.db, ids)
        return [found.get(i) for i in ids]

    return ctx.loader("organization_refs", lambda: DataLoader(load_fn=load))


def activities_by_id(ctx: RequestContext) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    reach = records(ctx)

    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        return await store.activities_by_id(
            ctx.runtime.db, ids, reach.area_like, reach.organizations_only
        )

    return ctx.loader("activity_by_id", lambda: DataLoader(load_fn=load))


def _hours(value: object) -> float | None:
    return None if value is None else float(participation_store.as_hours(value))


@strawberry.federation.type(keys=["id"], description="活动 / Activity")
class Activity:
    id: strawberry.ID
    title: str
    line: LineOfWork  # type: ignore[valid-type]
    category: ActivityCategory  # type: ignore[valid-type]
    service_kind: ServiceKind | None = strawberry.field(  # type: ignore[valid-type]
        description="送服务类别（仅送服务活动）/ Service kind (service delivery only)"
    )
    area_code: str
    starts_at: datetime
    ends_at: datetime | None
    place: str | None
    description: str | None = strawberry.field(description="活动简介 / Description")
    capacity: int | None = strawberry.field(description="人数上限 / Capacity (null: no limit)")
    taken_places: int = strawberry.field(
        description="已占名额（报名未退出的志愿者与参与者）/ Places taken"
    )
    status: ActivityStatus  # type: ignore[valid-type]
    people_served: int | None = strawberry.field(
        description="服务群众人数（完成时填报）/ People served (stated at completion)"
    )
    summary: str | None = strawberry.field(description="活动总结 / Summary")
    cancel_reason: str | None = strawberry.field(description="取消原因 / Why it was cancelled")
    published_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    organizer_ids: strawberry.Private[list[uuid.UUID]]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Activity:
        kind = row["service_kind"]
        return cls(
            id=strawberry.ID(str(row["id"])),
            title=row["title"],
            line=domain.LineOfWork(row["line"]),
            category=domain.ActivityCategory(row["category"]),
            service_kind=domain.ServiceKind(kind) if kind else None,
            area_code=row["area_code"],
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            place=row["place"],
            description=row["description"],
            capacity=row["capacity"],
            taken_places=row["taken"],
            status=domain.ActivityStatus(row["status"]),
            people_served=row["people_served"],
            summary=row["summary"],
            cancel_reason=row["cancel_reason"],
            published_at=row["published_at"],
            started_at=row["started_at"],
            completed_at=row["completed_at"],
            cancelled_at=row["cancelled_at"],
            organizer_ids=list(row["organizer_ids"] or []),
        )

    @strawberry.field(description="剩余名额（无上限时为空）/ Places left (null: no limit)")
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.taken_places)

    @strawberry.field
    def line_label(self) -> str:
        return domain.LINE_LABELS[domain.LineOfWork(self.line)]

    @strawberry.field
    def category_label(self) -> str:
        return domain.CATEGORY_LABELS[domain.ActivityCategory(self.category)]

    @strawberry.field
    def status_label(self) -> str:
        return domain.STATUS_LABELS[domain.ActivityStatus(self.status)]

    @strawberry.field
    def service_kind_label(self) -> str | None:
        kind = self.service_kind
        return domain.SERVICE_KIND_LABELS[domain.ServiceKind(kind)] if kind else None

    @strawberry.field(
        description="主办组织（仅含您可见者）/ Organising organisations (those you may see)"
    )
    async def organizers(self, info: Info) -> list[Organization]:
        refs = await organization_refs(context_of(info)).load_many(self.organizer_ids)
        reach = records(context_of(info))
        return [
            Organization(id=strawberry.ID(str(org_id)))
            for org_id, ref in zip(self.organizer_ids, refs, strict=True)
            if ref is not None and reach.admits_organization(org_id, ref["area_code"])
        ]

    @strawberry.field(
        description="报名与签到：主办组织的管理者见全部，其他人只见本人 / Sign-ups and "
        "attendance: all of them for those who keep an organiser, one's own for others"
    )
    async def participations(
        self,
        info: Info,
        status: ParticipationStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Participation]:
        ctx = context_of(info)
        activity_id = uuid.UUID(self.id)
        wanted = status.value if status is not None else None
        if await manages(ctx.runtime.db, ctx.caller, self.organizer_ids):
            return await seq_page(
                first,
                after,
                lambda pos, lim: participation_store.activity_participations_page(
                    ctx.runtime.db, activity_id, wanted, pos, lim
                ),
                Participation.from_row,
                lambda: participation_store.count_activity_participations(
                    ctx.runtime.db, activity_id, wanted
                ),
            )
        # Not an organiser: one's own participation at most (a one-row page).
        own = ctx.caller.person_uuid
        row = (
            await participation_store.participation_of_person(
                ctx.runtime.db, activity_id, own, wanted
            )
            if own is not None and after is None
            else None
        )
        rows = [row] if row is not None else []
        return make_connection(
            [Participation.from_row(r) for r in rows],
            [r["seq"] for r in rows],
            page_size(first),
            decode_cursor(after) is not None,
            _count_of(len(rows)),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Activity | None:
        key = guard.id_or_none(id)
        if key is None:
            return None
        row = await activities_by_id(context_of(info)).load(key)
        return cls.from_row(row) if row else None


@strawberry.federation.type(keys=["id"], description="组织（活动视角）/ Organisation")
class Organization:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Organization:
        return cls(id=strawberry.ID(str(guard.parse_id(id))))

    @strawberry.field(
        description="该组织主办的活动，最新的在前 / Activities it organised, newest first"
    )
    async def activities(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Activity]:
        ctx = context_of(info)
        reach = records(ctx)
        scope = reach.area_like
        limit, position = page_size(first), decode_cursor(after)
        org_id = uuid.UUID(self.id)
        if not reach.area and org_id not in (reach.own_orgs or ()):
            # Not one of an ORG_ADMIN's organisations: nothing of it (its area is the
            # organizations service's to check, which does so before the gateway asks here).
            return make_connection([], [], limit, position is not None, _count_of(0))

        async def load_pages(keys: list[tuple[uuid.UUID, int | None, int]]) -> list[Any]:
            # Keys share (after, limit) in practice: one statement per distinct pair.
            results: dict[tuple[uuid.UUID, int | None, int], list[asyncpg.Record]] = {}
            for pos, lim in {(k[1], k[2]) for k in keys}:
                ids = [k[0] for k in keys if k[1] == pos and k[2] == lim]
                grouped = await store.activities_of_organizations(
                    ctx.runtime.db, ids, scope, pos, lim
                )
                for org_id in ids:
                    results[(org_id, pos, lim)] = grouped.get(org_id, [])
            return [results[k] for k in keys]

        async def load_counts(ids: list[uuid.UUID]) -> list[int]:
            counts = await store.count_activities_of_organizations(ctx.runtime.db, ids, scope)
            return [counts.get(i, 0) for i in ids]

        pages = ctx.loader("org_activities", lambda: DataLoader(load_fn=load_pages))
        counts = ctx.loader("org_activity_counts", lambda: DataLoader(load_fn=load_counts))
        rows = await pages.load((org_id, position, limit + 1))
        return make_connection(
            [Activity.from_row(r) for r in rows],
            [r["seq"] for r in rows],
            limit,
            position is not None,
            lambda: counts.load(org_id),
        )


def _count_of(n: int) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        return n

    return count


@strawberry.federation.type(
    keys=["id"],
    description="人员（活动视角）：参与记录与志愿服务时长，仅对可见其个人信息者显示 / Person: "
    "participation and volunteer hours, for those who may see the person's personal data",
)
class Person:
    id: strawberry.ID
    grants: strawberry.Private[frozenset[Resource]]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Person:
        return await person_ref(context_of(info), guard.parse_id(id))

    @strawberry.field(
        description="参与的活动，最新的在前（无权查看其个人信息时为空）/ Participations, newest "
        "first (null where you may not see the person's personal data)"
    )
    async def participations(
        self,
        info: Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Participation] | None:
        ctx = context_of(info)
        person_id = uuid.UUID(self.id)
        limit, position = page_size(first), decode_keyset(after, 2)
        rows = await participation_store.person_participations_page(
            ctx.runtime.db, person_id, from_, to, position, limit + 1
        )
        return make_connection(
            [Participation.from_row(r) for r in rows],
            [participation_store.person_position(r) for r in rows],
            limit,
            position is not None,
            lambda: participation_store.count_person_participations(
                ctx.runtime.db, person_id, from_, to
            ),
        )

    @strawberry.field(
        description="志愿服务时长（无权查看其个人信息时为空）/ Volunteer hours (null where you may "
        "not see the person's personal data)"
    )
    async def volunteer_hours(
        self,
        info: Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> VolunteerHours | None:
        return await hours_of(context_of(info)).load((uuid.UUID(self.id), from_, to))


async def person_ref(ctx: RequestContext, key: uuid.UUID) -> Person:
    """A person as this caller may see them here: the classes of their data the policy grants
    (from this service's read model: the person's area and current memberships; SELF)."""
    facts = await people_facts(ctx).load(key)
    grants: frozenset[Resource] = frozenset()
    if facts is not None:
        grants = policy.person_grants(
            ctx.caller,
            policy.PersonFacts(
                key,
                facts["area_code"],
                in_own_orgs=bool(facts["in_own_orgs"]),
                in_area_orgs=bool(facts["in_area_orgs"]),
            ),
        )
    return Person(id=strawberry.ID(str(key)), grants=grants)


def people_facts(ctx: RequestContext) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    caller = ctx.caller

    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        found = await people_store.people_facts(
            ctx.runtime.db, ids, list(caller.org_ids), caller.area_like
        )
        return [found.get(i) for i in ids]

    return ctx.loader("people_facts", lambda: DataLoader(load_fn=load))


def hours_of(
    ctx: RequestContext,
) -> DataLoader[tuple[uuid.UUID, date | None, date | None], VolunteerHours]:
    async def load(keys: list[tuple[uuid.UUID, date | None, date | None]]) -> list[Any]:
        rows = await participation_store.people_hours(ctx.runtime.db, keys)
        return [VolunteerHours.from_row(r) for r in rows]

    return ctx.loader("hours_of", lambda: DataLoader(load_fn=load))


@strawberry.type(description="志愿服务时长（小时）/ Volunteer hours")
class VolunteerHours:
    verified: float = strawberry.field(description="已核实 / Verified by an organiser")
    pending: float = strawberry.field(description="待核实 / Claimed, not yet verified")
    manual: float = strawberry.field(description="补录 / Added by hand (with who and why)")
    total: float = strawberry.field(
        description="计入时长（已核实+补录）/ Counted: verified + added"
    )

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> VolunteerHours:
        verified = participation_store.as_hours(row["verified"])
        manual = participation_store.as_hours(row["manual"])
        return cls(
            verified=float(verified),
            pending=float(participation_store.as_hours(row["pending"])),
            manual=float(manual),
            total=float(verified + manual),
        )


@strawberry.type(description="活动参与记录 / A person's participation in an activity")
class Participation:
    id: strawberry.ID
    role: ParticipationRole  # type: ignore[valid-type]
    status: ParticipationStatus  # type: ignore[valid-type]
    signed_up_at: datetime | None
    checked_in_at: datetime | None
    check_in_method: str | None = strawberry.field(
        description="ORGANIZER（组织者代签）或 CODE（本人扫码/输码）/ Who checked in"
    )
    checked_out_at: datetime | None
    claimed_hours: float | None = strawberry.field(
        description="签到至签退的时长 / The checked-in span in hours"
    )
    hours_status: HoursStatus | None  # type: ignore[valid-type]
    verified_hours: float | None
    reject_reason: str | None
    activity_id: strawberry.Private[uuid.UUID]
    person_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Participation:
        hours_status = row["hours_status"]
        return cls(
            id=strawberry.ID(str(row["id"])),
            role=rules.ParticipationRole(row["role"]),
            status=rules.ParticipationStatus(row["status"]),
            signed_up_at=row["signed_up_at"],
            checked_in_at=row["checked_in_at"],
            check_in_method=row["check_in_method"],
            checked_out_at=row["checked_out_at"],
            claimed_hours=_hours(row["claimed_hours"]),
            hours_status=rules.HoursStatus(hours_status) if hours_status else None,
            verified_hours=_hours(row["verified_hours"]),
            reject_reason=row["reject_reason"],
            activity_id=row["activity_id"],
            person_id=row["person_id"],
        )

    @strawberry.field
    def role_label(self) -> str:
        return rules.ROLE_LABELS[rules.ParticipationRole(self.role)]

    @strawberry.field
    def status_label(self) -> str:
        return rules.PARTICIPATION_STATUS_LABELS[rules.ParticipationStatus(self.status)]

    @strawberry.field
    def hours_status_label(self) -> str | None:
        status = self.hours_status
        return rules.HOURS_STATUS_LABELS[rules.HoursStatus(status)] if status else None

    @strawberry.field(description="活动（在您范围内时）/ The activity (when in your scope)")
    async def activity(self, info: Info) -> Activity | None:
        row = await activities_by_id(context_of(info)).load(self.activity_id)
        return Activity.from_row(row) if row else None

    @strawberry.field(description="人员 / The person")
    async def person(self, info: Info) -> Person:
        return await person_ref(context_of(info), self.person_id)


@strawberry.type(description="补录的时长 / Hours added by hand")
class AddedHours:
    id: strawberry.ID
    hours: float
    served_on: date
    reason: str
    added_by: str = strawberry.field(description="补录人 / Who added them")
    added_at: datetime
    activity_id: strawberry.ID | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> AddedHours:
        return cls(
            id=strawberry.ID(str(row["id"])),
            hours=float(row["hours"]),
            served_on=row["served_on"],
            reason=row["reason"],
            added_by=row["added_by"],
            added_at=row["added_at"],
            activity_id=strawberry.ID(str(row["activity_id"])) if row["activity_id"] else None,
        )


@strawberry.type(description="志愿者排行 / A volunteer's place in a period")
class VolunteerRank:
    rank: int
    person: Person
    verified_hours: float
    manual_hours: float
    total_hours: float


@strawberry.type(description="现场签到码 / The check-in code to show at the venue")
class CheckInCode:
    code: str
    valid_until: datetime = strawberry.field(
        description="此后显示下一个签到码（上一个再宽限一个周期）/ The next code is shown from "
        "then (the previous one is accepted one period longer)"
    )
    period_seconds: int


@strawberry.type(description="志愿服务时长证明 / A volunteer-hours certificate")
class VolunteerCertificate:
    number: str = strawberry.field(description="证明编号 / Certificate number")
    verification_code: str = strawberry.field(description="核验码 / Verification code")
    person: Person
    period_from: date
    period_to: date
    total_hours: float
    issuer_name: str
    issued_at: datetime
    download_url: str = strawberry.field(
        description="下载链接（网关公网地址，短时有效，无需令牌，可直接用于 <a href>）/ A "
        "short-lived signed link on the gateway's public address; no token needed"
    )
    download_expires_at: datetime


@strawberry.type(description="证明核验结果（不含身份号码）/ What a certificate number states")
class CertificateCheck:
    genuine: bool = strawberry.field(description="是否为本系统出具 / Issued by this system")
    number: str
    name_masked: str | None = strawberry.field(
        default=None, description="姓名（部分隐藏）/ Name, masked"
    )
    period_from: date | None = None
    period_to: date | None = None
    total_hours: float | None = None
    issuer_name: str | None = None
    issued_at: datetime | None = None
    activities: list[CertifiedActivity] = strawberry.field(default_factory=list)


@strawberry.type(description="证明所列活动 / An activity a certificate lists")
class CertifiedActivity:
    title: str
    served_on: date
    hours: float
    added_by_hand: bool
