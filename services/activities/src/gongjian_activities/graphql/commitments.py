"""Pledges (为民服务承诺), joint meetings with their decisions (联席会议), ventures (双带) in the
subgraph."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TypeVar

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gongjian_activities.domain import commitments as domain
from gongjian_activities.graphql.payloads import parse_id, run_case
from gongjian_activities.graphql.types import (
    Activity,
    Organization,
    Person,
    activities_by_id,
    person_ref,
    records,
)
from gongjian_activities.store import commitments as store
from gongjian_activities.usecases import meetings, pledges, ventures
from gongjian_kit import clock
from gongjian_kit.field_rules import Gate, Held, Rule, connection_rules, payload_rules
from gongjian_kit.gql import (
    Connection,
    RequestContext,
    UserError,
    context_of,
    decode_keyset,
    make_connection,
    page_size,
    seq_page,
)
from gongjian_kit.policy import Action, Resource

T = TypeVar("T")

PledgeStatus = strawberry.enum(
    domain.PledgeStatus, name="PledgeStatus", description="承诺状态 / Pledge status"
)
PledgerKind = strawberry.enum(
    domain.PledgerKind, name="PledgerKind", description="承诺主体 / Who pledged"
)
DecisionStatus = strawberry.enum(
    domain.DecisionStatus,
    name="MeetingDecisionStatus",
    description="决定事项状态 / State of a joint meeting's decision",
)
VentureKind = strawberry.enum(
    domain.VentureKind, name="VentureKind", description="双带创业类别 / Kind of venture"
)


def _id(value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value else None


def _org(value: uuid.UUID | None) -> Organization | None:
    return Organization(id=strawberry.ID(str(value))) if value else None


async def _activity(info: Info, activity_id: uuid.UUID | None) -> Activity | None:
    """The activity when it lies in the caller's records."""
    if activity_id is None:
        return None
    row = await activities_by_id(context_of(info)).load(activity_id)
    return Activity.from_row(row) if row else None


async def _zero() -> int:
    return 0


# --- pledges ----------------------------------------------------------------------------------


@strawberry.type(description="为民服务承诺 / A public service pledge")
class Pledge:
    id: strawberry.ID
    area_code: str
    pledger_kind: PledgerKind  # type: ignore[valid-type]
    content: str = strawberry.field(description="承诺内容 / What was pledged")
    made_on: date
    due_on: date = strawberry.field(description="践诺期限 / Due by the end of this day")
    status: PledgeStatus  # type: ignore[valid-type]
    evidence: str | None = strawberry.field(description="践诺佐证 / Evidence of fulfilment")
    evidence_activity_id: strawberry.ID | None = strawberry.field(
        description="佐证活动 / The activity that shows it"
    )
    fulfilled_on: date | None
    on_time: bool | None = strawberry.field(description="是否按期践诺 / Fulfilled by the due day")
    lapsed_at: datetime | None = strawberry.field(
        description="逾期时间（期限过后系统发现）/ When the lapse was noticed"
    )
    row: strawberry.Private[asyncpg.Record]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Pledge:
        return cls(
            id=strawberry.ID(str(row["id"])),
            area_code=row["area_code"],
            pledger_kind=domain.PledgerKind(row["pledger_kind"]),
            content=row["content"],
            made_on=row["made_on"],
            due_on=row["due_on"],
            status=domain.PledgeStatus(row["status"]),
            evidence=row["evidence"],
            evidence_activity_id=_id(row["evidence_activity_id"]),
            fulfilled_on=row["fulfilled_on"],
            on_time=row["on_time"],
            lapsed_at=row["lapsed_at"],
            row=row,
        )

    @strawberry.field
    def pledger_kind_label(self) -> str:
        return domain.PLEDGER_LABELS[domain.PledgerKind(self.pledger_kind)]

    @strawberry.field
    def status_label(self) -> str:
        return domain.PLEDGE_STATUS_LABELS[domain.PledgeStatus(self.status)]

    @strawberry.field(description="承诺组织 / The organisation that pledged")
    def organization(self) -> Organization | None:
        return _org(self.row["organization_id"])

    @strawberry.field(
        description="承诺党员（姓名由组织服务按权限显示）/ The party member who pledged, shown by "
        "the organizations subgraph under its rules"
    )
    async def person(self, info: Info) -> Person | None:
        person_id = self.row["person_id"]
        return await person_ref(context_of(info), person_id) if person_id else None


# --- joint meetings ---------------------------------------------------------------------------


def _attendees(ctx: RequestContext) -> DataLoader[uuid.UUID, list[asyncpg.Record]]:
    async def load(ids: list[uuid.UUID]) -> list[list[asyncpg.Record]]:
        found = await store.attendees(ctx.runtime.db, ids)
        return [found[i] for i in ids]

    return ctx.loader("meeting_attendees", lambda: DataLoader(load_fn=load))


def _decisions(ctx: RequestContext) -> DataLoader[uuid.UUID, list[asyncpg.Record]]:
    async def load(ids: list[uuid.UUID]) -> list[list[asyncpg.Record]]:
        found = await store.decisions_of_meetings(ctx.runtime.db, ids)
        return [found[i] for i in ids]

    return ctx.loader("meeting_decisions", lambda: DataLoader(load_fn=load))


@strawberry.type(description="联席会议决定事项 / A decision of a joint meeting")
class JointMeetingDecision:
    id: strawberry.ID
    activity_id: strawberry.ID
    area_code: str
    content: str = strawberry.field(description="决定事项 / What was decided")
    decided_on: date = strawberry.field(description="会议日期 / The meeting's day")
    due_on: date = strawberry.field(description="落实期限 / Due by the end of this day")
    status: DecisionStatus  # type: ignore[valid-type]
    outcome: str | None = strawberry.field(description="落实情况 / What was done")
    done_on: date | None
    on_time: bool | None = strawberry.field(description="是否按期落实 / Done by the due day")
    drop_reason: str | None = strawberry.field(description="撤销原因 / Why it was dropped")
    dropped_on: date | None
    row: strawberry.Private[asyncpg.Record]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> JointMeetingDecision:
        return cls(
            id=strawberry.ID(str(row["id"])),
            activity_id=strawberry.ID(str(row["activity_id"])),
            area_code=row["area_code"],
            content=row["content"],
            decided_on=row["decided_on"],
            due_on=row["due_on"],
            status=domain.DecisionStatus(row["status"]),
            outcome=row["outcome"],
            done_on=row["done_on"],
            on_time=row["on_time"],
            drop_reason=row["drop_reason"],
            dropped_on=row["dropped_on"],
            row=row,
        )

    @strawberry.field
    def status_label(self) -> str:
        return domain.DECISION_STATUS_LABELS[domain.DecisionStatus(self.status)]

    @strawberry.field(description="是否逾期未落实 / Open and past its due day")
    def overdue(self) -> bool:
        return domain.decision_overdue(
            domain.DecisionStatus(self.status), self.due_on, clock.today()
        )

    @strawberry.field(description="责任组织 / The organisation that owns it")
    def owner_organization(self) -> Organization:
        return Organization(id=strawberry.ID(str(self.row["owner_organization_id"])))

    @strawberry.field(description="所属会议（活动）/ The meeting's activity")
    async def activity(self, info: Info) -> Activity | None:
        return await _activity(info, self.row["activity_id"])


@strawberry.type(description="参会组织 / An organisation at a joint meeting")
class JointMeetingAttendee:
    family: str = strawberry.field(
        description="组织类别：PARTY / TRADE_UNION / YOUTH_LEAGUE / WOMENS_FEDERATION"
    )
    attendee_count: int = strawberry.field(description="参会人数 / How many came")
    organization_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    def family_label(self) -> str:
        return domain.FAMILY_LABELS.get(self.family, self.family)

    @strawberry.field
    def organization(self) -> Organization:
        return Organization(id=strawberry.ID(str(self.organization_id)))


@strawberry.type(description="联席会议记录 / The record of a joint meeting")
class JointMeeting:
    activity_id: strawberry.ID
    area_code: str
    minutes: str | None = strawberry.field(description="会议纪要 / Minutes")
    record_count: int = strawberry.field(description="记录次数 / Times recorded")
    recorded_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> JointMeeting:
        return cls(
            activity_id=strawberry.ID(str(row["activity_id"])),
            area_code=row["area_code"],
            minutes=row["minutes"],
            record_count=row["record_count"],
            recorded_at=row["recorded_at"],
        )

    @strawberry.field(description="会议（活动）/ The meeting's activity")
    async def activity(self, info: Info) -> Activity | None:
        return await _activity(info, uuid.UUID(self.activity_id))

    @strawberry.field(description="参会组织 / Attending organisations, by family")
    async def attendees(self, info: Info) -> list[JointMeetingAttendee]:
        rows = await _attendees(context_of(info)).load(uuid.UUID(self.activity_id))
        return [
            JointMeetingAttendee(
                family=r["family"],
                attendee_count=r["attendee_count"],
                organization_id=r["organization_id"],
            )
            for r in rows
        ]

    @strawberry.field(description="未到会的党工团妇组织类别 / Families of the four not represented")
    async def missing_families(self, info: Info) -> list[str]:
        rows = await _attendees(context_of(info)).load(uuid.UUID(self.activity_id))
        return domain.missing_families({r["family"] for r in rows})

    @strawberry.field(description="决定事项 / Its decisions, oldest first")
    async def decisions(self, info: Info) -> list[JointMeetingDecision]:
        rows = await _decisions(context_of(info)).load(uuid.UUID(self.activity_id))
        return [JointMeetingDecision.from_row(r) for r in rows]


# --- ventures ---------------------------------------------------------------------------------


def _venture_updates(ctx: RequestContext) -> DataLoader[uuid.UUID, list[asyncpg.Record]]:
    async def load(ids: list[uuid.UUID]) -> list[list[asyncpg.Record]]:
        found = await store.venture_updates(ctx.runtime.db, ids)
        return [found[i] for i in ids]

    return ctx.loader("venture_updates", lambda: DataLoader(load_fn=load))


@strawberry.type(description="创业项目数据更新 / A venture's figures as of a day")
class VentureUpdate:
    as_of: date
    people_employed: int
    people_led: int
    note: str | None
    recorded_at: datetime


@strawberry.type(description="双带创业项目 / A venture that leads people (双带)")
class Venture:
    id: strawberry.ID
    kind: VentureKind  # type: ignore[valid-type]
    name: str
    unit_id: strawberry.ID | None = strawberry.field(description="所在单位 / The unit, if any")
    area_code: str
    started_on: date
    people_employed: int = strawberry.field(description="吸纳就业人数 / People employed")
    people_led: int = strawberry.field(description="带动群众人数 / People led (带领群众数)")
    as_of: date = strawberry.field(description="最新数据日期 / Day of the latest figures")
    row: strawberry.Private[asyncpg.Record]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Venture:
        return cls(
            id=strawberry.ID(str(row["id"])),
            kind=domain.VentureKind(row["kind"]),
            name=row["name"],
            unit_id=_id(row["unit_id"]),
            area_code=row["area_code"],
            started_on=row["started_on"],
            people_employed=row["people_employed"],
            people_led=row["people_led"],
            as_of=row["as_of"],
            row=row,
        )

    @strawberry.field
    def kind_label(self) -> str:
        return domain.VENTURE_KIND_LABELS[domain.VentureKind(self.kind)]

    @strawberry.field(
        description="带头人（姓名由组织服务按权限显示）/ The person leading it, shown by the "
        "organizations subgraph under its rules"
    )
    async def leader(self, info: Info) -> Person:
        return await person_ref(context_of(info), self.row["leader_person_id"])

    @strawberry.field(description="历次数据（最早的在前）/ Its figures over time, oldest first")
    async def updates(self, info: Info) -> list[VentureUpdate]:
        rows = await _venture_updates(context_of(info)).load(uuid.UUID(self.id))
        return [
            VentureUpdate(
                as_of=r["as_of"],
                people_employed=r["people_employed"],
                people_led=r["people_led"],
                note=r["note"],
                recorded_at=r["at"],
            )
            for r in rows
        ]


# --- queries ----------------------------------------------------------------------------------


@strawberry.type
class CommitmentQuery:
    @strawberry.field(
        description="区划内的为民服务承诺及其践诺情况，最新的在前（ORG_ADMIN 为本组织的）/ An "
        "area's public pledges and their state, newest first"
    )
    async def pledges(
        self,
        info: Info,
        area_code: str | None = None,
        status: PledgeStatus | None = None,  # type: ignore[valid-type]
        organization_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Pledge]:
        ctx = context_of(info)
        filters = store.PledgeFilter(
            area_like=ctx.caller.scope_like(area_code),
            status=domain.PledgeStatus(status).value if status else None,
            organization_id=parse_id(organization_id, "organizationId")
            if organization_id
            else None,
            orgs=records(ctx).organizations_only,
        )
        return await seq_page(
            first,
            after,
            lambda position, limit: store.pledges_page(ctx.runtime.db, filters, position, limit),
            Pledge.from_row,
            lambda: store.count_pledges(ctx.runtime.db, filters),
        )

    @strawberry.field(
        description="区划内联席会议的决定事项；overdue 时按逾期先后 / Decisions of joint meetings "
        "in an area, newest first, or most overdue first"
    )
    async def joint_meeting_decisions(
        self,
        info: Info,
        area_code: str | None = None,
        status: DecisionStatus | None = None,  # type: ignore[valid-type]
        overdue: bool | None = None,
        owner_organization_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[JointMeetingDecision]:
        ctx = context_of(info)
        filters = store.DecisionFilter(
            area_like=ctx.caller.scope_like(area_code),
            today=clock.today(),
            status=domain.DecisionStatus(status).value if status else None,
            overdue=overdue,
            owner_organization_id=parse_id(owner_organization_id, "ownerOrganizationId")
            if owner_organization_id
            else None,
            orgs=records(ctx).organizations_only,
        )
        limit, position = page_size(first), decode_keyset(after, 2)
        rows = await store.decisions_page(ctx.runtime.db, filters, position, limit + 1)
        return make_connection(
            [JointMeetingDecision.from_row(r) for r in rows],
            [store.decision_position(r, filters.by_due_day) for r in rows],
            limit,
            position is not None,
            lambda: store.count_decisions(ctx.runtime.db, filters),
        )

    @strawberry.field(
        description="联席会议记录（活动在您的范围内且已记录时）/ A joint meeting's record, by its "
        "activity"
    )
    async def joint_meeting(self, info: Info, activity_id: strawberry.ID) -> JointMeeting | None:
        ctx = context_of(info)
        key = parse_id(activity_id, "activityId")
        if await activities_by_id(ctx).load(key) is None:
            return None
        row = (await store.meetings(ctx.runtime.db, [key])).get(key)
        return JointMeeting.from_row(row) if row else None

    @strawberry.field(
        description="区划内的双带创业项目，最新的在前（区划管理员与成员可见）/ Ventures in an "
        "area, newest first"
    )
    async def ventures(
        self,
        info: Info,
        area_code: str | None = None,
        kind: VentureKind | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Venture]:
        ctx = context_of(info)
        like = ctx.caller.scope_like(area_code)
        kind_value = domain.VentureKind(kind).value if kind else None
        if not records(ctx).area:  # an ORG_ADMIN's records are its organisations': no venture
            return make_connection([], [], page_size(first), after is not None, _zero)
        return await seq_page(
            first,
            after,
            lambda position, limit: store.ventures_page(
                ctx.runtime.db, like, kind_value, position, limit
            ),
            Venture.from_row,
            lambda: store.count_ventures(ctx.runtime.db, like, kind_value),
        )

    @strawberry.field(description="按编号查双带创业项目 / A venture by id")
    async def venture(self, info: Info, id: strawberry.ID) -> Venture | None:
        ctx = context_of(info)
        reach = records(ctx)
        if not reach.area:
            return None
        [row] = await store.ventures_by_id(ctx.runtime.db, [parse_id(id, "id")], reach.area_like)
        return Venture.from_row(row) if row else None


# --- mutations --------------------------------------------------------------------------------


@strawberry.input(
    description="作出承诺：组织或党员二选一 / Make a pledge: an organisation's or a party member's"
)
class MakePledgeInput:
    area_code: str
    content: str = strawberry.field(description="承诺内容（1–500字）/ 1 to 500 characters")
    due_on: date = strawberry.field(description="践诺期限 / Due day")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="承诺组织 / The pledging organisation"
    )
    person_id: strawberry.ID | None = strawberry.field(
        default=None, description="承诺党员（党员或预备党员）/ The pledging party member"
    )
    made_on: date | None = strawberry.field(
        default=None, description="承诺日期（默认今天）/ Defaults to today"
    )


@strawberry.input(description="践诺 / Fulfil a pledge")
class FulfillPledgeInput:
    id: strawberry.ID
    evidence: str = strawberry.field(description="佐证（1–2000字）/ Evidence, 1 to 2000 characters")
    evidence_activity_id: strawberry.ID | None = None
    fulfilled_on: date | None = strawberry.field(
        default=None, description="践诺日期（默认今天）/ Defaults to today"
    )


@strawberry.input
class JointMeetingAttendeeInput:
    organization_id: strawberry.ID
    attendee_count: int


@strawberry.input
class JointMeetingDecisionInput:
    content: str
    owner_organization_id: strawberry.ID
    due_on: date


@strawberry.input(
    description="记录联席会议：参会组织与纪要整体替换，决定事项追加 / Record a joint meeting: "
    "attendees and minutes replace the last record, decisions are added"
)
class RecordJointMeetingInput:
    activity_id: strawberry.ID
    attendees: list[JointMeetingAttendeeInput]
    minutes: str | None = None
    decisions: list[JointMeetingDecisionInput] = strawberry.field(default_factory=list)


@strawberry.input(description="落实决定事项 / Mark a decision done")
class CompleteDecisionInput:
    id: strawberry.ID
    outcome: str


@strawberry.input(description="撤销决定事项 / Drop a decision, with a reason")
class DropDecisionInput:
    id: strawberry.ID
    reason: str


@strawberry.input(description="登记双带创业项目 / Register a venture")
class RegisterVentureInput:
    leader_person_id: strawberry.ID
    kind: VentureKind  # type: ignore[valid-type]
    name: str
    area_code: str
    started_on: date
    people_employed: int
    people_led: int
    unit_id: strawberry.ID | None = None


@strawberry.input(description="更新创业项目数据（保留历次）/ New figures for a venture (kept)")
class UpdateVentureInput:
    id: strawberry.ID
    people_employed: int
    people_led: int
    note: str | None = None
    as_of: date | None = strawberry.field(
        default=None, description="统计日期（默认今天）/ Defaults to today"
    )


@strawberry.type
class PledgePayload:
    pledge: Pledge | None
    errors: list[UserError]


@strawberry.type
class JointMeetingPayload:
    joint_meeting: JointMeeting | None
    errors: list[UserError]


@strawberry.type
class JointMeetingDecisionPayload:
    decision: JointMeetingDecision | None
    errors: list[UserError]


@strawberry.type
class VenturePayload:
    venture: Venture | None
    errors: list[UserError]


async def _payload(
    make: Callable[[], Awaitable[asyncpg.Record]], convert: Callable[[asyncpg.Record], T]
) -> tuple[T | None, list[UserError]]:
    row, errors = await run_case(make)
    return (convert(row) if row is not None else None), errors


@strawberry.type
class CommitmentMutation:
    @strawberry.mutation(description="作出为民服务承诺（组织或党员）/ Make a public service pledge")
    async def make_pledge(self, info: Info, input: MakePledgeInput) -> PledgePayload:
        ctx = context_of(info)
        pledge, errors = await _payload(
            lambda: pledges.make_pledge(
                ctx.runtime,
                ctx.caller,
                area_code=input.area_code,
                content=input.content,
                due_on=input.due_on,
                organization_id=parse_id(input.organization_id, "organizationId")
                if input.organization_id
                else None,
                person_id=parse_id(input.person_id, "personId") if input.person_id else None,
                made_on=input.made_on,
            ),
            Pledge.from_row,
        )
        return PledgePayload(pledge=pledge, errors=errors)

    @strawberry.mutation(
        description="践诺（逾期后仍可践诺，记为未按期）/ Fulfil a pledge (a lapsed one too, late)"
    )
    async def fulfill_pledge(self, info: Info, input: FulfillPledgeInput) -> PledgePayload:
        ctx = context_of(info)
        pledge, errors = await _payload(
            lambda: pledges.fulfil_pledge(
                ctx.runtime,
                ctx.caller,
                parse_id(input.id, "id"),
                evidence=input.evidence,
                evidence_activity_id=parse_id(input.evidence_activity_id, "evidenceActivityId")
                if input.evidence_activity_id
                else None,
                fulfilled_on=input.fulfilled_on,
            ),
            Pledge.from_row,
        )
        return PledgePayload(pledge=pledge, errors=errors)

    @strawberry.mutation(
        description="记录联席会议（进行中或已完成的联席会议活动）/ Record a joint meeting (an "
        "ongoing or completed JOINT_MEETING activity)"
    )
    async def record_joint_meeting(
        self, info: Info, input: RecordJointMeetingInput
    ) -> JointMeetingPayload:
        ctx = context_of(info)

        async def run() -> meetings.Recorded:
            return await meetings.record_joint_meeting(
                ctx.runtime,
                ctx.caller,
                parse_id(input.activity_id, "activityId"),
                attendees=[
                    meetings.Attendance(
                        parse_id(a.organization_id, f"attendees[{i}].organizationId"),
                        a.attendee_count,
                    )
                    for i, a in enumerate(input.attendees)
                ],
                minutes=input.minutes,
                decisions=[
                    meetings.DecisionDraft(
                        d.content,
                        parse_id(d.owner_organization_id, f"decisions[{i}].ownerOrganizationId"),
                        d.due_on,
                    )
                    for i, d in enumerate(input.decisions)
                ],
            )

        recorded, errors = await run_case(run)
        return JointMeetingPayload(
            joint_meeting=JointMeeting.from_row(recorded.meeting) if recorded else None,
            errors=errors,
        )

    @strawberry.mutation(description="落实决定事项 / Mark a decision done, with its outcome")
    async def complete_decision(
        self, info: Info, input: CompleteDecisionInput
    ) -> JointMeetingDecisionPayload:
        ctx = context_of(info)
        decision, errors = await _payload(
            lambda: meetings.complete_decision(
                ctx.runtime, ctx.caller, parse_id(input.id, "id"), input.outcome
            ),
            JointMeetingDecision.from_row,
        )
        return JointMeetingDecisionPayload(decision=decision, errors=errors)

    @strawberry.mutation(description="撤销决定事项（须说明原因）/ Drop a decision, with a reason")
    async def drop_decision(
        self, info: Info, input: DropDecisionInput
    ) -> JointMeetingDecisionPayload:
        ctx = context_of(info)
        decision, errors = await _payload(
            lambda: meetings.drop_decision(
                ctx.runtime, ctx.caller, parse_id(input.id, "id"), input.reason
            ),
            JointMeetingDecision.from_row,
        )
        return JointMeetingDecisionPayload(decision=decision, errors=errors)

    @strawberry.mutation(description="登记双带创业项目（区划管理员）/ Register a venture")
    async def register_venture(self, info: Info, input: RegisterVentureInput) -> VenturePayload:
        ctx = context_of(info)
        venture, errors = await _payload(
            lambda: ventures.register_venture(
                ctx.runtime,
                ctx.caller,
                ventures.VentureDraft(
                    leader_person_id=parse_id(input.leader_person_id, "leaderPersonId"),
                    kind=domain.VentureKind(input.kind),
                    name=input.name,
                    area_code=input.area_code,
                    started_on=input.started_on,
                    people_employed=input.people_employed,
                    people_led=input.people_led,
                    unit_id=parse_id(input.unit_id, "unitId") if input.unit_id else None,
                ),
            ),
            Venture.from_row,
        )
        return VenturePayload(venture=venture, errors=errors)

    @strawberry.mutation(
        description="更新创业项目的就业与带动人数（保留历次）/ New figures for a venture"
    )
    async def update_venture(self, info: Info, input: UpdateVentureInput) -> VenturePayload:
        ctx = context_of(info)
        venture, errors = await _payload(
            lambda: ventures.update_venture(
                ctx.runtime,
                ctx.caller,
                parse_id(input.id, "id"),
                people_employed=input.people_employed,
                people_led=input.people_led,
                note=input.note,
                as_of=input.as_of,
            ),
            Venture.from_row,
        )
        return VenturePayload(venture=venture, errors=errors)


# --- access -----------------------------------------------------------------------------------

RECORDS = Resource.RECORDS
UPKEEP = Gate(Resource.UPKEEP, Action.WRITE)


def _held(type_name: str, fields: tuple[str, ...]) -> dict[str, Rule]:
    return {f"{type_name}.{f}": Held(RECORDS) for f in fields}


RULES: dict[str, Rule] = {
    # Records of the caller's area (ORG_ADMIN: its own organisations' pledges and decisions;
    # no ventures), filtered in SQL by policy.reach(RECORDS).
    "Query.pledges": Gate(RECORDS),
    "Query.jointMeetingDecisions": Gate(RECORDS),
    "Query.jointMeeting": Gate(RECORDS),
    "Query.ventures": Gate(RECORDS),
    "Query.venture": Gate(RECORDS),
    # An organisation's upkeep: the area's admins, ORG_ADMIN for its own (checked inside).
    "Mutation.makePledge": UPKEEP,
    "Mutation.fulfillPledge": UPKEEP,
    "Mutation.recordJointMeeting": UPKEEP,
    "Mutation.completeDecision": UPKEEP,
    "Mutation.dropDecision": UPKEEP,
    # The area's own registers (RECORDS WRITE: area admins only).
    "Mutation.registerVenture": Gate(RECORDS, Action.WRITE),
    "Mutation.updateVenture": Gate(RECORDS, Action.WRITE),
    **_held(
        "Pledge",
        (
            "id",
            "areaCode",
            "pledgerKind",
            "pledgerKindLabel",
            "content",
            "madeOn",
            "dueOn",
            "status",
            "statusLabel",
            "evidence",
            "evidenceActivityId",
            "fulfilledOn",
            "onTime",
            "lapsedAt",
            # references: the organizations subgraph shows them under its own rules
            "organization",
            "person",
        ),
    ),
    **_held(
        "JointMeetingDecision",
        (
            "id",
            "activityId",
            "areaCode",
            "content",
            "decidedOn",
            "dueOn",
            "status",
            "statusLabel",
            "overdue",
            "outcome",
            "doneOn",
            "onTime",
            "dropReason",
            "droppedOn",
            "ownerOrganization",
            # the activity only when it lies in the caller's records
            "activity",
        ),
    ),
    **_held("JointMeetingAttendee", ("family", "familyLabel", "attendeeCount", "organization")),
    **_held(
        "JointMeeting",
        (
            "activityId",
            "areaCode",
            "minutes",
            "recordCount",
            "recordedAt",
            "activity",
            "attendees",
            "missingFamilies",
            "decisions",
        ),
    ),
    **_held(
        "Venture",
        (
            "id",
            "kind",
            "kindLabel",
            "name",
            "unitId",
            "areaCode",
            "startedOn",
            "peopleEmployed",
            "peopleLed",
            "asOf",
            # a reference: the person's name is the organizations subgraph's to show
            "leader",
            "updates",
        ),
    ),
    **_held("VentureUpdate", ("asOf", "peopleEmployed", "peopleLed", "note", "recordedAt")),
    **connection_rules("Pledge", RECORDS),
    **connection_rules("JointMeetingDecision", RECORDS),
    **connection_rules("Venture", RECORDS),
    **payload_rules("PledgePayload", "pledge", RECORDS),
    **payload_rules("JointMeetingPayload", "jointMeeting", RECORDS),
    **payload_rules("JointMeetingDecisionPayload", "decision", RECORDS),
    **payload_rules("VenturePayload", "venture", RECORDS),
}
