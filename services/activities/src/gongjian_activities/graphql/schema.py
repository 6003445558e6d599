"""The activities subgraph: activities and their lifecycle, people in them, volunteer hours."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, TypeVar

import asyncpg
import strawberry
from strawberry.tools import merge_types
from strawberry.types import Info

from gongjian_activities.domain import activities as domain
from gongjian_activities.domain import participation as rules
from gongjian_activities.graphql import cases, commitments, pairings
from gongjian_activities.graphql.access import FIELD_RULES
from gongjian_activities.graphql.payloads import parse_id, run_case
from gongjian_activities.graphql.types import (
    Activity,
    ActivityCategory,
    ActivityStatus,
    AddedHours,
    CertificateCheck,
    CertifiedActivity,
    CheckInCode,
    LineOfWork,
    Organization,
    Participation,
    ParticipationRole,
    Person,
    ServiceKind,
    VolunteerCertificate,
    VolunteerRank,
    person_ref,
    records,
)
from gongjian_activities.settings import activity_settings
from gongjian_activities.store import activities as store
from gongjian_activities.store import participations as participation_store
from gongjian_activities.usecases import activities as activity_cases
from gongjian_activities.usecases import certificates as certificate_cases
from gongjian_activities.usecases import hours as hours_cases
from gongjian_activities.usecases import participations as participation_cases
from gongjian_activities.usecases.activities import ActivityDraft
from gongjian_activities.usecases.common import Problems, RefusedError
from gongjian_kit import clock, guard
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.gql import (
    Connection,
    UserError,
    build_schema,
    context_of,
    decode_keyset,
    make_connection,
    page_size,
)
from gongjian_kit.settings import ServiceSettings

R = TypeVar("R")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.zone())


@strawberry.type
class ActivityQuery:
    @strawberry.field(
        description="区划内的活动（含下级），最新的在前；可按工作、类别、状态、主办组织、开始日期"
        "筛选 / "
        "Activities in an area and beneath it, newest first, filtered by line, category, "
        "status, organiser and start date"
    )
    async def activities(
        self,
        info: Info,
        area_code: str | None = None,
        line: LineOfWork | None = None,  # type: ignore[valid-type]
        category: ActivityCategory | None = None,  # type: ignore[valid-type]
        status: ActivityStatus | None = None,  # type: ignore[valid-type]
        organizer_id: strawberry.ID | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Activity]:
        ctx = context_of(info)
        filters = store.ActivityFilter(
            area_like=ctx.caller.scope_like(area_code),
            line=domain.LineOfWork(line).value if line else None,
            category=domain.ActivityCategory(category).value if category else None,
            status=domain.ActivityStatus(status).value if status else None,
            organizer_id=guard.parse_id(organizer_id, "organizerId") if organizer_id else None,
            starts_from=_day_start(from_) if from_ else None,
            starts_before=_day_start(to + timedelta(days=1)) if to else None,
            organised_by=records(ctx).organizations_only,
        )
        limit, position = page_size(first), decode_keyset(after, 2)
        rows = await store.activities_page(ctx.runtime.db, filters, position, limit + 1)
        return make_connection(
            [Activity.from_row(r) for r in rows],
            [store.newest_position(r) for r in rows],
            limit,
            position is not None,
            lambda: store.count_activities(ctx.runtime.db, filters),
        )

    @strawberry.field(description="按编号查活动 / An activity by id")
    async def activity(self, info: Info, id: strawberry.ID) -> Activity | None:
        return await Activity.resolve_reference(info, id)

    @strawberry.field(
        description="现场签到码（主办组织的管理者；每30秒更换）/ The rotating check-in code to "
        "show at the venue (for those who keep an organiser)"
    )
    async def activity_check_in_code(self, info: Info, activity_id: strawberry.ID) -> CheckInCode:
        ctx = context_of(info)
        key = guard.parse_id(activity_id, "activityId")
        try:
            shown = await participation_cases.check_in_code(ctx.runtime, ctx.caller, key)
        except RefusedError as refused:
            raise refused.errors[0] from None
        return CheckInCode(
            code=shown.code,
            valid_until=shown.valid_until,
            period_seconds=activity_settings().checkin_code_period_s,
        )

    @strawberry.field(
        description="区划志愿者时长排行（按本人所在区划；year 年度或 year+month 月度）/ The "
        "area's volunteers with the most counted hours in a year or a month"
    )
    async def top_volunteers(
        self,
        info: Info,
        year: int,
        area_code: str | None = None,
        month: int | None = None,
        first: int = 20,
    ) -> list[VolunteerRank]:
        ctx = context_of(info)
        like = ctx.caller.scope_like(area_code)
        if not 2000 <= year <= 2100:
            raise ApiError(ErrorCode.BAD_USER_INPUT, "年份无效", "Invalid year", "year")
        if month is not None and not 1 <= month <= 12:
            raise ApiError(ErrorCode.BAD_USER_INPUT, "月份须为1至12", "month is 1 to 12", "month")
        if not 1 <= first <= 100:
            raise ApiError(
                ErrorCode.BAD_USER_INPUT, "first 须为1至100", "first is 1 to 100", "first"
            )
        period = f"{year:04d}" if month is None else f"{year:04d}-{month:02d}"
        rows = await participation_store.top_volunteers(ctx.runtime.db, like, period, first)
        people = await asyncio.gather(*(person_ref(ctx, r["person_id"]) for r in rows))
        return [
            VolunteerRank(
                rank=i + 1,
                person=people[i],
                verified_hours=float(r["verified"]),
                manual_hours=float(r["manual"]),
                total_hours=float(r["total"]),
            )
            for i, r in enumerate(rows)
        ]

    @strawberry.field(
        description="核验志愿服务时长证明（无需登录；不含身份号码，姓名部分隐藏）/ Check a "
        "certificate number (no sign-in; no ID number, the name masked)"
    )
    async def verify_certificate(self, info: Info, number: str) -> CertificateCheck:
        ctx = context_of(info)
        number = number.strip()[:64]
        row = await certificate_cases.find_certificate(ctx.runtime, number)
        if row is None:
            return CertificateCheck(genuine=False, number=number)
        return CertificateCheck(
            genuine=True,
            number=row["number"],
            name_masked=row["name_masked"],
            period_from=row["period_from"],
            period_to=row["period_to"],
            total_hours=float(row["total_hours"]),
            issuer_name=row["issuer_name"],
            issued_at=row["issued_at"],
            activities=[
                CertifiedActivity(
                    title=line["title"],
                    served_on=date.fromisoformat(line["servedOn"]),
                    hours=line["hours"],
                    added_by_hand=line["manual"],
                )
                for line in json.loads(row["lines"])
            ],
        )


@strawberry.input
class CreateActivityInput:
    title: str
    line: LineOfWork  # type: ignore[valid-type]
    category: ActivityCategory  # type: ignore[valid-type]
    organizer_ids: list[strawberry.ID]
    area_code: str
    starts_at: datetime
    ends_at: datetime | None = None
    place: str | None = None
    description: str | None = None
    capacity: int | None = None
    service_kind: ServiceKind | None = None  # type: ignore[valid-type]


@strawberry.input(description="修改活动（整体替换可改的字段）/ What an activity states, all of it")
class UpdateActivityInput:
    id: strawberry.ID
    title: str
    line: LineOfWork  # type: ignore[valid-type]
    category: ActivityCategory  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime | None = None
    place: str | None = None
    description: str | None = None
    capacity: int | None = None
    service_kind: ServiceKind | None = None  # type: ignore[valid-type]


@strawberry.input
class ActivityIdInput:
    id: strawberry.ID


@strawberry.input
class CompleteActivityInput:
    id: strawberry.ID
    people_served: int = strawberry.field(description="服务群众人数 / People served")
    summary: str | None = None


@strawberry.input
class CancelActivityInput:
    id: strawberry.ID
    reason: str


@strawberry.input
class SignUpInput:
    activity_id: strawberry.ID
    person_id: strawberry.ID
    role: ParticipationRole = rules.ParticipationRole.VOLUNTEER  # type: ignore[valid-type]


@strawberry.input
class WithdrawInput:
    activity_id: strawberry.ID
    person_id: strawberry.ID


@strawberry.input(description="签到/签退 / Check-in or check-out")
class AttendanceInput:
    activity_id: strawberry.ID
    person_id: strawberry.ID
    code: str | None = strawberry.field(
        default=None, description="现场签到码（本人签到时必填）/ The venue's code (for oneself)"
    )
    at: datetime | None = strawberry.field(
        default=None,
        description="补登时间（仅组织者，不晚于现在）/ An earlier time (organisers only)",
    )


@strawberry.input
class VerifyHoursInput:
    participation_id: strawberry.ID
    hours: float


@strawberry.input
class RejectHoursInput:
    participation_id: strawberry.ID
    reason: str


@strawberry.input
class AddHoursInput:
    person_id: strawberry.ID
    hours: float
    reason: str
    activity_id: strawberry.ID | None = None
    served_on: date | None = strawberry.field(
        default=None,
        description="服务日期（默认今天或活动当天）/ Defaults to today or the activity's day",
    )


@strawberry.input(description="出具志愿服务时长证明 / Issue a volunteer-hours certificate")
class IssueVolunteerCertificateInput:
    person_id: strawberry.ID
    issuer_organization_id: strawberry.ID = strawberry.field(
        description="以哪个组织名义出具（您管理的组织）/ The issuing organisation (one you keep)"
    )
    from_: date = strawberry.field(name="from")
    to: date


@strawberry.type
class VolunteerCertificatePayload:
    certificate: VolunteerCertificate | None
    errors: list[UserError]


def _draft(data: CreateActivityInput | UpdateActivityInput) -> ActivityDraft:
    return ActivityDraft(
        title=data.title,
        line=domain.LineOfWork(data.line),
        category=domain.ActivityCategory(data.category),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        place=data.place,
        description=data.description,
        capacity=data.capacity,
        service_kind=domain.ServiceKind(data.service_kind) if data.service_kind else None,
    )


@strawberry.type
class CreateActivityPayload:
    activity: Activity | None
    errors: list[UserError]


@strawberry.type
class ActivityPayload:
    activity: Activity | None
    errors: list[UserError]


@strawberry.type
class ParticipationPayload:
    participation: Participation | None
    errors: list[UserError]


@strawberry.type
class AddHoursPayload:
    added: AddedHours | None
    errors: list[UserError]


async def _activity_payload(make: Callable[[], Awaitable[asyncpg.Record]]) -> ActivityPayload:
    row, errors = await run_case(make)
    return ActivityPayload(activity=Activity.from_row(row) if row else None, errors=errors)


async def _participation_payload(
    make: Callable[[], Awaitable[asyncpg.Record]],
) -> ParticipationPayload:
    row, errors = await run_case(make)
    return ParticipationPayload(
        participation=Participation.from_row(row) if row else None, errors=errors
    )


async def _attendance(
    case: Callable[..., Awaitable[asyncpg.Record]], info: Info, input: AttendanceInput
) -> ParticipationPayload:
    """Check-in and check-out take the same input."""
    ctx = context_of(info)
    return await _participation_payload(
        lambda: case(
            ctx.runtime,
            ctx.caller,
            parse_id(input.activity_id, "activityId"),
            parse_id(input.person_id, "personId"),
            input.code,
            input.at,
        )
    )


@strawberry.type
class ActivityMutation:
    @strawberry.mutation(description="登记活动（计划中）/ Log an activity (PLANNED)")
    async def create_activity(
        self, info: Info, input: CreateActivityInput
    ) -> CreateActivityPayload:
        ctx = context_of(info)

        async def run() -> asyncpg.Record:
            draft = _draft(input)
            ids, problems = [], Problems()
            for i, raw in enumerate(input.organizer_ids):
                try:
                    ids.append(parse_id(raw, f"organizerIds[{i}]"))
                except ApiError as exc:
                    problems.errors.append(exc)
            if problems:  # every problem of the input at once, not the malformed id alone
                activity_cases.draft_problems(draft, problems)
                problems.refuse()
            return await activity_cases.create_activity(
                ctx.runtime, ctx.caller, draft, organizer_ids=ids, area_code=input.area_code
            )

        row, errors = await run_case(run)
        return CreateActivityPayload(
            activity=Activity.from_row(row) if row else None, errors=errors
        )

    @strawberry.mutation(description="修改活动（完成或取消前）/ Change an activity before it ends")
    async def update_activity(self, info: Info, input: UpdateActivityInput) -> ActivityPayload:
        ctx = context_of(info)
        return await _activity_payload(
            lambda: activity_cases.update_activity(
                ctx.runtime, ctx.caller, parse_id(input.id, "id"), _draft(input)
            )
        )

    @strawberry.mutation(description="发布活动（开放报名）/ Publish an activity (sign-up opens)")
    async def publish_activity(self, info: Info, input: ActivityIdInput) -> ActivityPayload:
        ctx = context_of(info)
        return await _activity_payload(
            lambda: activity_cases.publish_activity(
                ctx.runtime, ctx.caller, parse_id(input.id, "id")
            )
        )

    @strawberry.mutation(
        description="开始活动（首次签到时自动开始）/ Start an activity (the first check-in does)"
    )
    async def start_activity(self, info: Info, input: ActivityIdInput) -> ActivityPayload:
        ctx = context_of(info)
        return await _activity_payload(
            lambda: activity_cases.start_activity(ctx.runtime, ctx.caller, parse_id(input.id, "id"))
        )

    @strawberry.mutation(description="完成活动，填报服务人数 / Complete an activity")
    async def complete_activity(self, info: Info, input: CompleteActivityInput) -> ActivityPayload:
        ctx = context_of(info)
        return await _activity_payload(
            lambda: activity_cases.complete_activity(
                ctx.runtime,
                ctx.caller,
                parse_id(input.id, "id"),
                input.people_served,
                input.summary,
            )
        )

    @strawberry.mutation(description="取消活动 / Cancel an activity")
    async def cancel_activity(self, info: Info, input: CancelActivityInput) -> ActivityPayload:
        ctx = context_of(info)
        return await _activity_payload(
            lambda: activity_cases.cancel_activity(
                ctx.runtime, ctx.caller, parse_id(input.id, "id"), input.reason
            )
        )

    @strawberry.mutation(
        description="报名（本人，或由主办组织的管理者代为报名）/ Sign up (oneself, or by "
        "an organiser)"
    )
    async def sign_up(self, info: Info, input: SignUpInput) -> ParticipationPayload:
        ctx = context_of(info)
        return await _participation_payload(
            lambda: participation_cases.sign_up(
                ctx.runtime,
                ctx.caller,
                parse_id(input.activity_id, "activityId"),
                parse_id(input.person_id, "personId"),
                rules.ParticipationRole(input.role),
            )
        )

    @strawberry.mutation(description="退出报名 / Withdraw a sign-up")
    async def withdraw(self, info: Info, input: WithdrawInput) -> ParticipationPayload:
        ctx = context_of(info)
        return await _participation_payload(
            lambda: participation_cases.withdraw(
                ctx.runtime,
                ctx.caller,
                parse_id(input.activity_id, "activityId"),
                parse_id(input.person_id, "personId"),
            )
        )

    @strawberry.mutation(
        description="签到：组织者代签（可补登较早的时间 at），或本人输入现场签到码 / Check in: "
        "by an organiser (who may record an earlier time), or by the person with the code shown "
        "at the venue"
    )
    async def check_in(self, info: Info, input: AttendanceInput) -> ParticipationPayload:
        return await _attendance(participation_cases.check_in, info, input)

    @strawberry.mutation(
        description="签退（组织者可补登较早的时间 at）/ Check out (an organiser may record an "
        "earlier time)"
    )
    async def check_out(self, info: Info, input: AttendanceInput) -> ParticipationPayload:
        return await _attendance(participation_cases.check_out, info, input)

    @strawberry.mutation(
        description="核实志愿时长（不超过签到时长，按设置取整）/ Verify hours (never more than "
        "the checked-in span; rounded down to the configured step)"
    )
    async def verify_hours(self, info: Info, input: VerifyHoursInput) -> ParticipationPayload:
        ctx = context_of(info)
        return await _participation_payload(
            lambda: hours_cases.verify_hours(
                ctx.runtime,
                ctx.caller,
                parse_id(input.participation_id, "participationId"),
                Decimal(str(input.hours)),
            )
        )

    @strawberry.mutation(description="不予核实（须说明原因）/ Reject claimed hours, with a reason")
    async def reject_hours(self, info: Info, input: RejectHoursInput) -> ParticipationPayload:
        ctx = context_of(info)
        return await _participation_payload(
            lambda: hours_cases.reject_hours(
                ctx.runtime,
                ctx.caller,
                parse_id(input.participation_id, "participationId"),
                input.reason,
            )
        )

    @strawberry.mutation(
        description="补录时长（区划管理员；单列并记录补录人与原因）/ Add hours by hand (area "
        "admins; kept apart, with who and why)"
    )
    async def add_hours(self, info: Info, input: AddHoursInput) -> AddHoursPayload:
        ctx = context_of(info)
        row, errors = await run_case(
            lambda: hours_cases.add_hours(
                ctx.runtime,
                ctx.caller,
                person_id=parse_id(input.person_id, "personId"),
                activity_id=parse_id(input.activity_id, "activityId")
                if input.activity_id
                else None,
                hours=Decimal(str(input.hours)),
                reason=input.reason,
                served_on=input.served_on,
            )
        )
        return AddHoursPayload(added=AddedHours.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(
        description="出具志愿服务时长证明（PDF，含已核实与补录时长）/ Issue a volunteer-hours "
        "certificate (a PDF of verified and added hours)"
    )
    async def issue_volunteer_certificate(
        self, info: Info, input: IssueVolunteerCertificateInput
    ) -> VolunteerCertificatePayload:
        issued, errors = await run_case(lambda: _certificate(info, input))
        if issued is None:
            return VolunteerCertificatePayload(certificate=None, errors=errors)
        row = issued.row
        return VolunteerCertificatePayload(
            certificate=VolunteerCertificate(
                number=row["number"],
                verification_code=row["verification"],
                person=await person_ref(context_of(info), row["person_id"]),
                period_from=row["period_from"],
                period_to=row["period_to"],
                total_hours=float(row["total_hours"]),
                issuer_name=row["issuer_name"],
                issued_at=row["issued_at"],
                download_url=issued.link.url,
                download_expires_at=issued.link.expires_at,
            ),
            errors=errors,
        )


async def _certificate(
    info: Info, input: IssueVolunteerCertificateInput
) -> certificate_cases.Issued:
    ctx = context_of(info)
    return await certificate_cases.issue_certificate(
        ctx.runtime,
        ctx.caller,
        ctx.authorization,
        person_id=parse_id(input.person_id, "personId"),
        issuer_id=parse_id(input.issuer_organization_id, "issuerOrganizationId"),
        period_from=input.from_,
        period_to=input.to,
    )


# The subgraph's root types: each part of the service (activities, cases, …) brings its own
# query and mutation fields, and its own access rules (merged in graphql/access.py).
PARTS: tuple[tuple[type, type], ...] = (
    (ActivityQuery, ActivityMutation),
    (cases.CaseQuery, cases.CaseMutation),
    (pairings.PairingQuery, pairings.PairingMutation),
    (commitments.CommitmentQuery, commitments.CommitmentMutation),
)
Query = merge_types("Query", tuple(q for q, _ in PARTS))
Mutation = merge_types("Mutation", tuple(m for _, m in PARTS))


def make_schema(settings: ServiceSettings | None = None) -> strawberry.Schema:
    return build_schema(
        Query,
        mutation=Mutation,
        types=(Organization, Person),
        settings=settings,
        field_rules=FIELD_RULES,
    )


schema = make_schema()
