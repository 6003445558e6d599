"""The case desk in the subgraph: cases, their timelines, the category catalogue."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gongjian_activities.domain import cases as domain
from gongjian_activities.graphql.payloads import parse_id, run_case
from gongjian_activities.graphql.types import Organization, Person, person_ref
from gongjian_activities.store import cases as store
from gongjian_activities.usecases import cases as usecases
from gongjian_activities.usecases.cases import CaseDraft
from gongjian_kit import clock, policy
from gongjian_kit.areas import AreaLevel, area_level
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.field_rules import (
    Gate,
    Graded,
    Held,
    Open,
    Rule,
    connection_rules,
    payload_rules,
)
from gongjian_kit.gql import (
    Connection,
    RequestContext,
    UserError,
    context_of,
    decode_keyset,
    make_connection,
    page_size,
    user_error_from,
)
from gongjian_kit.personal_data import (
    PersonalDataError,
    PersonalDataProtector,
    mask_name,
    mask_phone,
    protector_of,
)
from gongjian_kit.policy import Action, Resource

Channel = strawberry.enum(domain.Channel, name="CaseChannel", description="诉求渠道 / Channel")
Urgency = strawberry.enum(
    domain.Urgency, name="CaseUrgency", description="紧急程度（决定办理时限）/ Urgency"
)
CaseStatus = strawberry.enum(domain.CaseStatus, name="CaseStatus", description="诉求状态 / Status")
RequesterKind = strawberry.enum(
    domain.RequesterKind, name="CaseRequesterKind", description="诉求人类型 / Requester kind"
)
StepKind = strawberry.enum(
    domain.StepKind, name="CaseStepKind", description="办理环节 / Timeline step"
)


@strawberry.type(description="诉求类别（可配置目录）/ A case category of the catalogue")
class CaseCategory:
    code: str
    label: str = strawberry.field(description="中文名称 / Chinese label")
    label_en: str
    active: bool
    sort: int

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> CaseCategory:
        return cls(
            code=row["code"],
            label=row["label_zh"],
            label_en=row["label_en"],
            active=row["active"],
            sort=row["sort"],
        )


def _categories(ctx: RequestContext) -> DataLoader[str, asyncpg.Record | None]:
    """The catalogue, read once per request."""

    async def load(codes: list[str]) -> list[asyncpg.Record | None]:
        rows = {r["code"]: r for r in await store.categories(ctx.runtime.db, True)}
        return [rows.get(c) for c in codes]

    return ctx.loader("case_categories", lambda: DataLoader(load_fn=load))


def _timelines(ctx: RequestContext) -> DataLoader[uuid.UUID, list[asyncpg.Record]]:
    async def load(ids: list[uuid.UUID]) -> list[list[asyncpg.Record]]:
        found = await store.steps(ctx.runtime.db, ids)
        return [found[i] for i in ids]

    return ctx.loader("case_timelines", lambda: DataLoader(load_fn=load))


@strawberry.type(description="办理记录 / A step of a case's timeline")
class CaseStep:
    kind: StepKind  # type: ignore[valid-type]
    at: datetime
    status_after: CaseStatus  # type: ignore[valid-type]
    actor: str = strawberry.field(description="办理人账号（system：系统）/ Who (system: the sweep)")
    note: str | None = strawberry.field(description="说明、原因或办理结果 / Note or reason")
    from_organization_id: strawberry.ID | None
    to_organization_id: strawberry.ID | None

    @strawberry.field
    def kind_label(self) -> str:
        return domain.STEP_LABELS[domain.StepKind(self.kind)]


@strawberry.type(
    description="诉求人：姓名与电话按权限显示，无权者只见部分 / The requester: name and phone "
    "masked unless your role may see them"
)
class CaseRequester:
    kind: RequesterKind  # type: ignore[valid-type]
    grants: strawberry.Private[frozenset[Resource]]
    case_id: strawberry.Private[uuid.UUID]
    person_id: strawberry.Private[uuid.UUID | None]
    name_enc: strawberry.Private[bytes | None]
    phone_enc: strawberry.Private[bytes | None]
    protector: strawberry.Private[PersonalDataProtector]

    @strawberry.field
    def kind_label(self) -> str:
        return domain.REQUESTER_LABELS[domain.RequesterKind(self.kind)]

    @strawberry.field(
        description="登记人员（其信息由组织服务按权限显示）/ The registered person, shown by the "
        "organizations subgraph under its rules"
    )
    async def person(self, info: Info) -> Person | None:
        if self.person_id is None:
            return None
        return await person_ref(context_of(info), self.person_id)

    def clear(self, which: str) -> str | None:
        """The decrypted name or phone (for the field, or for its mask)."""
        blob = self.name_enc if which == "name" else self.phone_enc
        if blob is None:
            return None
        field = usecases.NAME_FIELD if which == "name" else usecases.PHONE_FIELD
        try:
            return self.protector.decrypt(blob, field, self.case_id)
        except PersonalDataError:
            return None

    @strawberry.field(description="姓名（来电/来访群众）/ Name (not a registered person)")
    def name(self) -> str | None:
        return self.clear("name")

    @strawberry.field(description="联系电话 / Phone")
    def phone(self) -> str | None:
        return self.clear("phone")


def masked_name(requester: CaseRequester) -> str | None:
    name = requester.clear("name")
    return mask_name(name) if name else None


def masked_phone(requester: CaseRequester) -> str | None:
    phone = requester.clear("phone")
    return mask_phone(phone) if phone else None


@strawberry.type(description="诉求 / A case of the case desk")
class Case:
    id: strawberry.ID
    number: str = strawberry.field(description="诉求编号 / Case number")
    channel: Channel  # type: ignore[valid-type]
    category: str = strawberry.field(description="类别代码（见 caseCategories）/ Category code")
    urgency: Urgency  # type: ignore[valid-type]
    title: str
    description: str | None
    area_code: str
    status: CaseStatus  # type: ignore[valid-type]
    received_at: datetime
    opened_on: date
    limit_working_days: int = strawberry.field(
        description="办理时限（工作日）/ Limit, working days"
    )
    due_on: date = strawberry.field(
        description="办理期限（该日结束前办结为按时）/ Due by the end of this day"
    )
    accepted_at: datetime | None
    started_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None
    working_days: int | None = strawberry.field(
        description="办结用时（工作日）/ Working days taken to resolve"
    )
    on_time: bool | None = strawberry.field(description="是否按时办结 / Resolved in time")
    closed_at: datetime | None
    satisfaction: int | None = strawberry.field(description="满意度 1–5 / Satisfaction 1 to 5")
    requester_reached: bool | None = strawberry.field(
        description="回访是否联系上诉求人 / Whether the requester was reached"
    )
    reopen_count: int
    escalated_at: datetime | None = strawberry.field(
        description="超期上报时间 / When it was escalated as overdue"
    )
    visit_id: strawberry.ID | None = strawberry.field(
        description="发现问题的走访 / The visit that found it"
    )
    pairing_id: strawberry.ID | None
    row: strawberry.Private[asyncpg.Record]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Case:
        return cls(
            id=strawberry.ID(str(row["id"])),
            number=row["number"],
            channel=domain.Channel(row["channel"]),
            category=row["category"],
            urgency=domain.Urgency(row["urgency"]),
            title=row["title"],
            description=row["description"],
            area_code=row["area_code"],
            status=domain.CaseStatus(row["status"]),
            received_at=row["received_at"],
            opened_on=row["opened_on"],
            limit_working_days=row["limit_days"],
            due_on=row["due_on"],
            accepted_at=row["accepted_at"],
            started_at=row["started_at"],
            resolved_at=row["resolved_at"],
            resolution=row["resolution"],
            working_days=row["working_days"],
            on_time=row["on_time"],
            closed_at=row["closed_at"],
            satisfaction=row["satisfaction"],
            requester_reached=row["requester_reached"],
            reopen_count=row["reopen_count"],
            escalated_at=row["escalated_at"],
            visit_id=strawberry.ID(str(row["visit_id"])) if row["visit_id"] else None,
            pairing_id=strawberry.ID(str(row["pairing_id"])) if row["pairing_id"] else None,
            row=row,
        )

    @strawberry.field
    def channel_label(self) -> str:
        return domain.CHANNEL_LABELS[domain.Channel(self.channel)]

    @strawberry.field
    def urgency_label(self) -> str:
        return domain.URGENCY_LABELS[domain.Urgency(self.urgency)]

    @strawberry.field
    def status_label(self) -> str:
        return domain.STATUS_LABELS[domain.CaseStatus(self.status)]

    @strawberry.field
    async def category_label(self, info: Info) -> str:
        row = await _categories(context_of(info)).load(self.category)
        return row["label_zh"] if row else self.category

    @strawberry.field(description="是否超期未办结 / Past its deadline and not resolved")
    def overdue(self) -> bool:
        return domain.is_overdue(domain.CaseStatus(self.status), self.due_on, clock.today())

    @strawberry.field(
        description="距期限的工作日（超期为负；已办结为空）/ Working days to the deadline "
        "(negative when overdue; null once resolved)"
    )
    def working_days_left(self) -> int | None:
        if domain.CaseStatus(self.status) not in domain.PENDING:
            return None
        today, cal = clock.today(), usecases.calendar()
        if today <= self.due_on:
            return cal.working_days_between(today, self.due_on)
        return -cal.working_days_between(self.due_on, today)

    @strawberry.field(description="承办组织 / The organisation handling it")
    def organization(self) -> Organization:
        return Organization(id=strawberry.ID(str(self.row["organization_id"])))

    @strawberry.field(description="超期上报至（上级组织）/ Escalated to (the superior)")
    def escalated_to(self) -> Organization | None:
        org = self.row["escalated_to"]
        return Organization(id=strawberry.ID(str(org))) if org else None

    @strawberry.field(description="诉求人 / The requester")
    def requester(self, info: Info) -> CaseRequester:
        row, caller = self.row, context_of(info).caller
        return CaseRequester(
            kind=domain.RequesterKind(row["requester_kind"]),
            grants=requester_grants(caller, row),
            case_id=row["id"],
            person_id=row["requester_person_id"],
            name_enc=row["requester_name_enc"],
            phone_enc=row["requester_phone_enc"],
            protector=protector_of(context_of(info).runtime),
        )

    @strawberry.field(description="办理过程 / The timeline, oldest first")
    async def timeline(self, info: Info) -> list[CaseStep]:
        rows = await _timelines(context_of(info)).load(uuid.UUID(self.id))
        return [
            CaseStep(
                kind=domain.StepKind(r["kind"]),
                at=r["at"],
                status_after=domain.CaseStatus(r["status_after"]),
                actor=r["by_subject"],
                note=r["note"],
                from_organization_id=_id_or_none(r["from_organization"]),
                to_organization_id=_id_or_none(r["to_organization"]),
            )
            for r in rows
        ]


def _id_or_none(value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value else None


def requester_grants(caller: Caller, row: asyncpg.Record) -> frozenset[Resource]:
    """The classes of the requester's data the caller may read: the policy's person rules over
    the case's area (the requester's, as far as the desk knows), the organisation handling it
    (or its superior, once escalated) as the caller's own, and SELF for their own request."""
    own = set(caller.org_ids)
    facts = policy.PersonFacts(
        row["requester_person_id"] or row["id"],
        row["area_code"],
        in_own_orgs=row["organization_id"] in own or row["escalated_to"] in own,
    )
    return policy.person_grants(caller, facts)


def _filter(info: Info, area_code: str | None) -> store.CaseFilter:
    """The caller's reach over cases as a filter: the area for admins, their organisations'
    cases for ORG_ADMIN, their own requests for a MEMBER."""
    caller = context_of(info).caller
    reach = policy.reach(caller, Resource.CASES)
    like = caller.scope_like(area_code)
    if reach.area:
        return store.CaseFilter(area_like=like, today=clock.today())
    return store.CaseFilter(
        area_like=like,
        today=clock.today(),
        orgs=list(reach.own_orgs) if reach.own_orgs is not None else None,
        requester=reach.self_id if reach.self_id is not None else None,
    )


def _reaches_nothing(filters: store.CaseFilter) -> bool:
    return filters.orgs is None and filters.requester is None


@strawberry.type
class CaseQuery:
    @strawberry.field(description="诉求类别目录 / The case category catalogue")
    async def case_categories(
        self, info: Info, include_inactive: bool = False
    ) -> list[CaseCategory]:
        rows = await store.categories(context_of(info).runtime.db, include_inactive)
        return [CaseCategory.from_row(r) for r in rows]

    @strawberry.field(
        description="诉求列表（区划及下级；ORG_ADMIN 为本组织承办或上报至本组织的；"
        "本人为自己提交的）；overdue 时按超期先后 / Cases in your reach, newest first, or "
        "most overdue first"
    )
    async def cases(
        self,
        info: Info,
        area_code: str | None = None,
        status: CaseStatus | None = None,  # type: ignore[valid-type]
        overdue: bool | None = None,
        organization_id: strawberry.ID | None = None,
        category: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Case]:
        ctx = context_of(info)
        base = _filter(info, area_code)
        filters = store.CaseFilter(
            area_like=base.area_like,
            today=base.today,
            orgs=base.orgs,
            requester=base.requester,
            status=domain.CaseStatus(status).value if status else None,
            overdue=overdue,
            organization_id=parse_id(organization_id, "organizationId")
            if organization_id
            else None,
            category=category.strip()[:40] if category else None,
        )
        limit, position = page_size(first), decode_keyset(after, 2)
        # A token whose CASES reach names no organisation and no person reaches no case.
        nothing = not policy.reach(ctx.caller, Resource.CASES).area and _reaches_nothing(filters)
        rows = (
            [] if nothing else await store.cases_page(ctx.runtime.db, filters, position, limit + 1)
        )
        return make_connection(
            [Case.from_row(r) for r in rows],
            [store.position(r, filters.by_deadline) for r in rows],
            limit,
            position is not None,
            lambda: _zero() if nothing else store.count_cases(ctx.runtime.db, filters),
        )

    @strawberry.field(name="case", description="按编号查诉求 / A case by id")
    async def case_(self, info: Info, id: strawberry.ID) -> Case | None:
        ctx = context_of(info)
        [row] = await store.cases_by_id(ctx.runtime.db, [parse_id(id, "id")])
        if row is None or not usecases.sees_case(ctx.caller, row):
            return None
        return Case.from_row(row)


async def _zero() -> int:
    return 0


@strawberry.input(description="诉求人（三选一）/ The requester: one of the three")
class CaseRequesterInput:
    person_id: strawberry.ID | None = strawberry.field(
        default=None, description="登记人员 / A registered person"
    )
    name: str | None = strawberry.field(default=None, description="姓名 / Name")
    phone: str | None = strawberry.field(default=None, description="手机号码 / Mobile number")
    anonymous: bool = strawberry.field(default=False, description="匿名 / Anonymous")


@strawberry.input(description="登记诉求 / Open a case")
class OpenCaseInput:
    channel: Channel  # type: ignore[valid-type]
    category: str = strawberry.field(description="类别代码（caseCategories）/ Category code")
    urgency: Urgency  # type: ignore[valid-type]
    area_code: str
    organization_id: strawberry.ID = strawberry.field(
        description="承办组织 / The handling organisation"
    )
    title: str = strawberry.field(description="诉求摘要 / What it is about, in a line")
    requester: CaseRequesterInput
    description: str | None = None
    received_at: datetime | None = strawberry.field(
        default=None,
        description="收到时间（补登纸质登记时填写；默认现在）/ When it came in (for cases "
        "logged later; defaults to now)",
    )


@strawberry.input
class CaseIdInput:
    id: strawberry.ID


@strawberry.input
class StartCaseInput:
    id: strawberry.ID
    note: str | None = None


@strawberry.input(description="转办 / Transfer a case")
class TransferCaseInput:
    id: strawberry.ID
    to_organization_id: strawberry.ID
    reason: str


@strawberry.input(description="办结 / Resolve a case")
class ResolveCaseInput:
    id: strawberry.ID
    resolution: str


@strawberry.input(description="回访关闭 / Close a case after asking the requester")
class CloseCaseInput:
    id: strawberry.ID
    requester_reached: bool = strawberry.field(
        default=True, description="是否联系上诉求人 / Whether the requester was reached"
    )
    satisfaction: int | None = strawberry.field(
        default=None, description="满意度 1–5（联系上时必填）/ 1 to 5, when reached"
    )
    note: str | None = None


@strawberry.input(description="重新办理 / Reopen a case")
class ReopenCaseInput:
    id: strawberry.ID
    reason: str


@strawberry.input(description="新增或修改诉求类别 / Add or change a case category")
class DefineCaseCategoryInput:
    code: str = strawberry.field(description="大写字母、数字、下划线 / A-Z, 0-9, _")
    label: str
    label_en: str
    active: bool = True
    sort: int = 100


@strawberry.type
class CasePayload:
    case: Case | None
    errors: list[UserError]


@strawberry.type
class CaseCategoryPayload:
    category: CaseCategory | None
    errors: list[UserError]


def draft_of(input: OpenCaseInput, prefix: str = "") -> CaseDraft:
    """The use case's draft of an input (ids parsed: a malformed id is an ApiError naming
    its field)."""
    requester = input.requester
    return CaseDraft(
        channel=domain.Channel(input.channel),
        category=input.category.strip(),
        urgency=domain.Urgency(input.urgency),
        area_code=input.area_code,
        organization_id=parse_id(input.organization_id, f"{prefix}organizationId"),
        title=input.title,
        description=input.description,
        requester_person_id=parse_id(requester.person_id, f"{prefix}requester.personId")
        if requester.person_id
        else None,
        requester_name=requester.name,
        requester_phone=requester.phone,
        anonymous=requester.anonymous,
        received_at=input.received_at,
    )


async def _case_payload(make: Callable[[], Awaitable[asyncpg.Record]]) -> CasePayload:
    row, errors = await run_case(make)
    return CasePayload(case=Case.from_row(row) if row else None, errors=errors)


CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@strawberry.type
class CaseMutation:
    @strawberry.mutation(
        description="登记诉求（按紧急程度以工作日计算办理期限）/ Open a case (its deadline in "
        "working days by urgency, per China's holiday calendar)"
    )
    async def open_case(self, info: Info, input: OpenCaseInput) -> CasePayload:
        ctx = context_of(info)
        return await _case_payload(
            lambda: usecases.open_case(ctx.runtime, ctx.caller, draft_of(input))
        )

    @strawberry.mutation(description="受理 / Accept a case")
    async def accept_case(self, info: Info, input: CaseIdInput) -> CasePayload:
        ctx = context_of(info)
        return await _case_payload(
            lambda: usecases.accept_case(ctx.runtime, ctx.caller, parse_id(input.id, "id"))
        )

    @strawberry.mutation(description="开始办理 / Put a case in progress")
    async def start_case(self, info: Info, input: StartCaseInput) -> CasePayload:
        ctx = context_of(info)
        return await _case_payload(
            lambda: usecases.start_case(
                ctx.runtime, ctx.caller, parse_id(input.id, "id"), input.note
            )
        )

    @strawberry.mutation(
        description="转办（期限不变）/ Transfer a case to another organisation (the deadline stays)"
    )
    async def transfer_case(self, info: Info, input: TransferCaseInput) -> CasePayload:
        ctx = context_of(info)
        return await _case_payload(
            lambda: usecases.transfer_case(
                ctx.runtime,
                ctx.caller,
                parse_id(input.id, "id"),
                parse_id(input.to_organization_id, "toOrganizationId"),
                input.reason,
            )
        )

    @strawberry.mutation(description="办结 / Resolve a case")
    async def resolve_case(self, info: Info, input: ResolveCaseInput) -> CasePayload:
        ctx = context_of(info)
        return await _case_payload(
            lambda: usecases.resolve_case(
                ctx.runtime, ctx.caller, parse_id(input.id, "id"), input.resolution
            )
        )

    @strawberry.mutation(
        description="回访关闭，记录满意度（1–5）或未联系上 / Close a case with the requester's "
        "satisfaction (1 to 5), or as not reached"
    )
    async def close_case(self, info: Info, input: CloseCaseInput) -> CasePayload:
        ctx = context_of(info)
        return await _case_payload(
            lambda: usecases.close_case(
                ctx.runtime,
                ctx.caller,
                parse_id(input.id, "id"),
                input.satisfaction,
                input.requester_reached,
                input.note,
            )
        )

    @strawberry.mutation(
        description="重新办理（办结后一定天数内）/ Reopen a case (within the window after it "
        "was resolved)"
    )
    async def reopen_case(self, info: Info, input: ReopenCaseInput) -> CasePayload:
        ctx = context_of(info)
        return await _case_payload(
            lambda: usecases.reopen_case(
                ctx.runtime, ctx.caller, parse_id(input.id, "id"), input.reason
            )
        )

    @strawberry.mutation(
        description="维护诉求类别目录（区县及以上管理员）/ Add or change a category (admins of a "
        "whole district)"
    )
    async def define_case_category(
        self, info: Info, input: DefineCaseCategoryInput
    ) -> CaseCategoryPayload:
        ctx = context_of(info)
        errors: list[UserError] = []
        code = input.code.strip()
        if not (2 <= len(code) <= 40 and code[0].isalpha() and set(code) <= CODE_CHARS):
            errors.append(
                _error("code", "类别代码为2至40位大写字母、数字或下划线", "A-Z, 0-9, _; 2 to 40")
            )
        if not 1 <= len(input.label.strip()) <= 40:
            errors.append(_error("label", "中文名称为1至40字", "The label is 1 to 40 characters"))
        if not 1 <= len(input.label_en.strip()) <= 80:
            errors.append(_error("labelEn", "英文名称为1至80字", "1 to 80 characters"))
        if not 0 <= input.sort <= 10_000:
            errors.append(_error("sort", "排序为0至10000", "sort is 0 to 10000"))
        if area_level(ctx.caller.area) is not AreaLevel.DISTRICT:
            errors.append(
                user_error_from(
                    ApiError(
                        ErrorCode.FORBIDDEN,
                        "诉求类别目录由区县管理员维护",
                        "The catalogue is kept by the admins of a whole district",
                    )
                )
            )
        if errors:
            return CaseCategoryPayload(category=None, errors=errors)
        row = await store.upsert_category(
            ctx.runtime.db,
            code,
            input.label.strip(),
            input.label_en.strip(),
            input.active,
            input.sort,
        )
        return CaseCategoryPayload(category=CaseCategory.from_row(row), errors=[])


def _error(field: str, zh: str, en: str) -> UserError:
    return user_error_from(ApiError(ErrorCode.BAD_USER_INPUT, zh, en, field))


CASES = Resource.CASES
CASE_FIELDS = (
    "id",
    "number",
    "channel",
    "channelLabel",
    "category",
    "categoryLabel",
    "urgency",
    "urgencyLabel",
    "title",
    "description",
    "areaCode",
    "status",
    "statusLabel",
    "receivedAt",
    "openedOn",
    "limitWorkingDays",
    "dueOn",
    "overdue",
    "workingDaysLeft",
    "acceptedAt",
    "startedAt",
    "resolvedAt",
    "resolution",
    "workingDays",
    "onTime",
    "closedAt",
    "satisfaction",
    "requesterReached",
    "reopenCount",
    "escalatedAt",
    "visitId",
    "pairingId",
    # references: the organizations subgraph shows them under its own rules
    "organization",
    "escalatedTo",
    # the requester's details are graded below (CaseRequester)
    "requester",
    "timeline",
)

RULES: dict[str, Rule] = {
    # Cases in the caller's reach (policy CASES: the area; an ORG_ADMIN's organisations' and
    # those escalated to them; a MEMBER's own requests), filtered in SQL by policy.reach.
    "Query.cases": Gate(CASES),
    "Query.case": Gate(CASES),
    "Query.caseCategories": Open("the catalogue's codes and labels: no record, no person"),
    "Mutation.openCase": Gate(CASES, Action.WRITE),
    "Mutation.acceptCase": Gate(CASES, Action.WRITE),
    "Mutation.startCase": Gate(CASES, Action.WRITE),
    "Mutation.transferCase": Gate(CASES, Action.WRITE),
    "Mutation.resolveCase": Gate(CASES, Action.WRITE),
    "Mutation.closeCase": Gate(CASES, Action.WRITE),
    "Mutation.reopenCase": Gate(CASES, Action.WRITE),
    # Area admins of a whole district (checked inside: the token's area is a district or above).
    "Mutation.defineCaseCategory": Gate(Resource.RECORDS, Action.WRITE),
    **{f"Case.{f}": Held(CASES) for f in CASE_FIELDS},
    **{
        f"CaseStep.{f}": Held(CASES)
        for f in (
            "kind",
            "kindLabel",
            "at",
            "statusAfter",
            "actor",
            "note",
            "fromOrganizationId",
            "toOrganizationId",
        )
    },
    "CaseRequester.kind": Held(CASES),
    "CaseRequester.kindLabel": Held(CASES),
    # The organizations subgraph resolves the person under its own rules.
    "CaseRequester.person": Held(CASES),
    # A name given on the phone: whole for those who may see the person's name (the case's
    # area, the organisation handling it), 张* for others; the phone's last four digits only
    # unless they may see personal secrets. Both masks come from the ciphertext here: no field
    # elsewhere carries the clear value.
    "CaseRequester.name": Graded(Resource.PERSON_NAME, masked_name),
    "CaseRequester.phone": Graded(Resource.PERSONAL_SECRET, masked_phone),
    **{
        f"CaseCategory.{f}": Open("the catalogue's codes and labels")
        for f in ("code", "label", "labelEn", "active", "sort")
    },
    **connection_rules("Case", CASES),
    **payload_rules("CasePayload", "case", CASES),
    **payload_rules("CaseCategoryPayload", "category", Resource.RECORDS),
}
