"""Awards (表彰) and their public notice in the subgraph, an organisation's and a person's award
history, and the download links of published results: thin adapters over usecases/awards.py
and export/files.py."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gongjian_evaluation.domain import awards as domain
from gongjian_evaluation.export import files as export
from gongjian_evaluation.store import awards as store
from gongjian_evaluation.usecases import awards as usecases
from gongjian_evaluation.usecases.assessments import RefusedError
from gongjian_kit import clock, guard, policy
from gongjian_kit.errors import ApiError
from gongjian_kit.field_rules import (
    Gate,
    Graded,
    Held,
    Rule,
    connection_rules,
    entity_key,
    payload_rules,
)
from gongjian_kit.files import SignedLink
from gongjian_kit.gql import (
    Connection,
    RequestContext,
    UserError,
    context_of,
    decode_cursor,
    make_connection,
    page_size,
    user_error_from,
)
from gongjian_kit.policy import Action, Resource

if TYPE_CHECKING:
    from gongjian_evaluation.graphql.recommendations import Recommendation
    from gongjian_evaluation.graphql.schema import Organization

OrganizationRef = Annotated["Organization", strawberry.lazy("gongjian_evaluation.graphql.schema")]
RecommendationRef = Annotated[
    "Recommendation", strawberry.lazy("gongjian_evaluation.graphql.recommendations")
]
R = TypeVar("R")

AwardTitle = strawberry.enum(
    domain.AwardTitle,
    name="AwardTitle",
    description="表彰称号：先进集体，或五标兵之一 / The title: 先进集体 (organisations) or one of "
    "the five 标兵 (people)",
)
AwardStatus = strawberry.enum(
    domain.AwardStatus,
    name="AwardStatus",
    description="拟表彰（公示中）→ 已授予 | 已撤回 / PROPOSED (under public notice) → CONFERRED "
    "| WITHDRAWN",
)
AwardSubjectKind = strawberry.enum(
    domain.AwardSubject, name="AwardSubjectKind", description="表彰对象类型 / Who is awarded"
)


def _awards(ctx: RequestContext) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    """Awards by id, those outside the caller's notice list as None."""

    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        rows = await store.awards_by_id(ctx.runtime.db, ids)
        return [r if r is not None and usecases.sees_award(ctx.caller, r) else None for r in rows]

    return ctx.loader("awards_by_id", lambda: DataLoader(load_fn=load))


def _objections(ctx: RequestContext) -> DataLoader[uuid.UUID, list[asyncpg.Record]]:
    async def load(ids: list[uuid.UUID]) -> list[list[asyncpg.Record]]:
        found = await store.objections_of(ctx.runtime.db, ids)
        return [found[i] for i in ids]

    return ctx.loader("award_objections", lambda: DataLoader(load_fn=load))


@strawberry.type(
    description="异议（内容与提出人仅区划管理员可见）/ An objection raised during the notice "
    "(its text and who raised it: for the area's admins)"
)
class Objection:
    id: strawberry.ID
    award_id: strawberry.ID
    content: str
    raised_at: datetime
    answer: str | None
    answered_at: datetime | None
    raised_by: str | None = strawberry.field(
        description="提出人（令牌主体）/ Who raised it (their token's subject)"
    )
    answered_by: str | None = strawberry.field(description="答复人（令牌主体）/ Who answered it")
    row: strawberry.Private[asyncpg.Record]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Objection:
        return cls(
            id=strawberry.ID(str(row["id"])),
            award_id=strawberry.ID(str(row["award_id"])),
            content=row["content"],
            raised_at=row["raised_at"],
            answer=row["answer"],
            answered_at=row["answered_at"],
            raised_by=row["raised_by"],
            answered_by=row["answered_by"],
            row=row,
        )

    @strawberry.field(description="是否已答复 / Whether it has been answered")
    def answered(self) -> bool:
        return self.row["answered_at"] is not None


@strawberry.type(description="表彰（公示名单中的一项）/ An award, as the public notice lists it")
class Award:
    id: strawberry.ID
    title: AwardTitle  # type: ignore[valid-type]
    status: AwardStatus  # type: ignore[valid-type]
    subject_kind: AwardSubjectKind  # type: ignore[valid-type]
    subject_id: strawberry.ID = strawberry.field(
        description="组织或人员的编号 / The organisation's or person's id"
    )
    area_code: str
    cycle_id: strawberry.ID = strawberry.field(description="评议周期 / The cycle")
    assessment_id: strawberry.ID = strawberry.field(
        description="据以推荐的评议结果 / The published assessment it was proposed from"
    )
    notice_from: date = strawberry.field(description="公示开始日 / The day the notice was posted")
    notice_until: date = strawberry.field(
        description="公示最后一日（按工作日计）/ The notice's last day (counted in working days)"
    )
    objection_count: int = strawberry.field(description="异议数 / Objections raised")
    open_objection_count: int = strawberry.field(
        description="未答复的异议数 / Objections not answered yet"
    )
    proposed_at: datetime
    conferred_at: datetime | None
    withdrawn_at: datetime | None
    withdraw_reason: str | None = strawberry.field(description="撤回原因 / Why it was withdrawn")
    row: strawberry.Private[asyncpg.Record]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Award:
        return cls(
            id=strawberry.ID(str(row["id"])),
            title=domain.AwardTitle(row["title"]),
            status=domain.AwardStatus(row["status"]),
            subject_kind=domain.AwardSubject(row["subject_kind"]),
            subject_id=strawberry.ID(str(row["subject_id"])),
            area_code=row["area_code"],
            cycle_id=strawberry.ID(str(row["cycle_id"])),
            assessment_id=strawberry.ID(str(row["assessment_id"])),
            notice_from=row["notice_from"],
            notice_until=row["notice_until"],
            objection_count=row["objection_count"],
            open_objection_count=row["open_objections"],
            proposed_at=row["proposed_at"],
            conferred_at=row["conferred_at"],
            withdrawn_at=row["withdrawn_at"],
            withdraw_reason=row["withdraw_reason"],
            row=row,
        )

    @strawberry.field
    def title_label(self) -> str:
        return domain.TITLE_LABELS[domain.AwardTitle(self.title)]

    @strawberry.field
    def status_label(self) -> str:
        return domain.STATUS_LABELS[domain.AwardStatus(self.status)]

    @strawberry.field(
        description="今天是否在公示期内（可提出异议）/ Whether the notice is open today "
        "(objections may be raised)"
    )
    def in_notice(self) -> bool:
        return domain.AwardStatus(self.status) is domain.AwardStatus.PROPOSED and (
            usecases.notice_of(self.row).open_on(clock.today())
        )

    @strawberry.field(description="最早可授予日（公示期满次日）/ The first day it may be conferred")
    def confer_from(self) -> date:
        return usecases.notice_of(self.row).confer_from

    @strawberry.field(description="获表彰的组织（组织对象）/ The organisation (ORGANIZATION)")
    def organization(self) -> OrganizationRef | None:
        from gongjian_evaluation.graphql.schema import Organization  # noqa: PLC0415

        if self.row["subject_kind"] != domain.AwardSubject.ORGANIZATION:
            return None
        return Organization(id=self.subject_id)

    @strawberry.field(
        description="获表彰的人员（其姓名由组织服务按权限显示）/ The person (PERSON), shown by "
        "the organizations subgraph under its rules"
    )
    def person(self, info: Info) -> Person | None:
        if self.row["subject_kind"] != domain.AwardSubject.PERSON:
            return None
        return Person.of(context_of(info), self.row["subject_id"])

    @strawberry.field(description="异议及答复，先提出的在前 / Objections and answers, oldest first")
    async def objections(self, info: Info) -> list[Objection] | None:
        ctx = context_of(info)
        if not usecases.keeps_awards(ctx.caller, self.area_code):
            return []  # the admins of another area see the notice, not its objections
        rows = await _objections(ctx).load(self.row["id"])
        return [Objection.from_row(r) for r in rows]


@strawberry.type(description="下载链接 / A download link")
class DownloadLink:
    url: str = strawberry.field(
        description="网关公网地址上的短时签名链接，无需令牌 / A short-lived signed link on the "
        "gateway's public address; no token needed"
    )
    expires_at: datetime

    @classmethod
    def of(cls, link: SignedLink | None) -> DownloadLink | None:
        return None if link is None else cls(url=link.url, expires_at=link.expires_at)


# History of a subject ----------------------------------------------------------------------


def _subject_pages(
    ctx: RequestContext, area_like: str
) -> DataLoader[tuple[uuid.UUID, int | None, int], list[asyncpg.Record]]:
    async def load(keys: list[tuple[uuid.UUID, int | None, int]]) -> list[list[asyncpg.Record]]:
        # Keys share (after, limit) in practice: one statement per distinct pair.
        results: dict[tuple[uuid.UUID, int | None, int], list[asyncpg.Record]] = {}
        for before, limit in {(k[1], k[2]) for k in keys}:
            ids = [k[0] for k in keys if k[1] == before and k[2] == limit]
            found = await store.awards_of_subjects(ctx.runtime.db, ids, area_like, before, limit)
            for subject in ids:
                results[(subject, before, limit)] = found[subject]
        return [results[k] for k in keys]

    return ctx.loader(f"subject_awards:{area_like}", lambda: DataLoader(load_fn=load))


def _subject_counts(ctx: RequestContext, area_like: str) -> DataLoader[uuid.UUID, int]:
    async def load(ids: list[uuid.UUID]) -> list[int]:
        counts = await store.count_awards_of_subjects(ctx.runtime.db, ids, area_like)
        return [counts.get(i, 0) for i in ids]

    return ctx.loader(f"subject_award_counts:{area_like}", lambda: DataLoader(load_fn=load))


async def awards_of_subject(
    info: Info, subject_id: uuid.UUID, first: int | None, after: str | None
) -> Connection[Award]:
    """A subject's awards, newest first: those of the caller's area (an ORG_ADMIN: all of its
    own organisations', nothing of others')."""
    ctx = context_of(info)
    limit, position = page_size(first), decode_cursor(after)
    reach = policy.reach(ctx.caller, Resource.RECORDS)
    if not reach.area and subject_id not in (reach.own_orgs or ()):
        return make_connection([], [], limit, position is not None, _count_of(0))
    rows = await _subject_pages(ctx, reach.area_like).load((subject_id, position, limit + 1))
    return make_connection(
        [Award.from_row(r) for r in rows],
        [r["seq"] for r in rows],
        limit,
        position is not None,
        lambda: _subject_counts(ctx, reach.area_like).load(subject_id),
    )


def _count_of(n: int) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        return n

    return count


@strawberry.federation.type(
    keys=["id"],
    description="人员（评议视角）：所获表彰 / Person: the awards they were proposed for or "
    "received",
)
class Person:
    id: strawberry.ID
    grants: strawberry.Private[frozenset[Resource]]

    @classmethod
    def of(cls, ctx: RequestContext, person_id: uuid.UUID) -> Person:
        # The evaluation service keeps nothing of people but their awards, which are the
        # area's public notice: shown to whoever reads the records of the whole area (admins,
        # assessors, members), per award area; not to an ORG_ADMIN, whose records are its own
        # organisations'.
        caller = ctx.caller
        public = policy.allows(caller, Resource.RECORDS) and (
            policy.reach(caller, Resource.RECORDS).area
        )
        grants = {Resource.RECORDS} if public else set()
        # Their 推优 path is personal data: for those who read some of it (the area's admins,
        # the recommending organisations' admins, the person themself; narrowed in SQL).
        if policy.allows(caller, Resource.PERSONAL):
            grants.add(Resource.PERSONAL)
        return cls(id=strawberry.ID(str(person_id)), grants=frozenset(grants))

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Person:
        return cls.of(context_of(info), guard.parse_id(id))

    @strawberry.field(
        description="所获表彰（含公示中、已撤回），最新的在前；仅本区划的公示 / Awards, newest "
        "first (proposed, conferred, withdrawn): those of your area's notice; null where you "
        "do not read the area's records"
    )
    async def awards(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Award] | None:
        return await awards_of_subject(info, uuid.UUID(self.id), first, after)

    @strawberry.field(
        description="推优入党记录，最新的在前（本人、区划管理员、推荐组织的管理员）；无权查看时为 "
        "null / Their recommendations to the Party, newest first (themself, the area's admins, "
        "the recommending organisations' admins); null for others"
    )
    async def recommendations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[RecommendationRef] | None:
        from gongjian_evaluation.graphql.recommendations import of_person  # noqa: PLC0415

        return await of_person(info, uuid.UUID(self.id), first, after)


# Root fields -------------------------------------------------------------------------------


@strawberry.type
class AwardQuery:
    @strawberry.field(
        description="表彰公示名单：区划内（含下级）的表彰，最新的在前 / The public notice: awards "
        "in an area and beneath it, newest first (an ORG_ADMIN's: its organisations')"
    )
    async def awards(
        self,
        info: Info,
        area_code: str | None = None,
        status: AwardStatus | None = None,  # type: ignore[valid-type]
        title: AwardTitle | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Award]:
        ctx = context_of(info)
        filters = usecases.award_filter(
            ctx.caller,
            area_code,
            status=domain.AwardStatus(status).value if status else None,
            title=domain.AwardTitle(title).value if title else None,
        )
        limit, position = page_size(first), decode_cursor(after)
        rows = await store.awards_page(ctx.runtime.db, filters, position, limit + 1)
        return make_connection(
            [Award.from_row(r) for r in rows],
            [r["seq"] for r in rows],
            limit,
            position is not None,
            lambda: store.count_awards(ctx.runtime.db, filters),
        )

    @strawberry.field(description="按编号查表彰 / An award by id")
    async def award(self, info: Info, id: strawberry.ID) -> Award | None:
        key = guard.id_or_none(id)
        if key is None:
            return None
        row = await _awards(context_of(info)).load(key)
        return Award.from_row(row) if row else None

    @strawberry.field(
        description="导出评议周期已公布的结果（XLSX：排名、各维度得分、等级）；区划管理员 / A "
        "download link to a cycle's published results as XLSX (the area's admins; a cycle wider "
        "than your area: your part of it)"
    )
    async def cycle_results_export(
        self, info: Info, cycle_id: strawberry.ID
    ) -> DownloadLink | None:
        ctx = context_of(info)
        key = guard.id_or_none(cycle_id)
        if key is None:
            return None
        return DownloadLink.of(await export.results_link(ctx.runtime, ctx.caller, key))

    @strawberry.field(
        description="评议结果说明页（可打印的 HTML：每项指标的分子、分母、期间、曲线与得分）/ A "
        "download link to an assessment's explanation, a printable page (published only)"
    )
    async def assessment_explanation_page(
        self, info: Info, assessment_id: strawberry.ID
    ) -> DownloadLink | None:
        ctx = context_of(info)
        key = guard.id_or_none(assessment_id)
        if key is None:
            return None
        return DownloadLink.of(await export.explanation_link(ctx.runtime, ctx.caller, key))


@strawberry.input(description="推荐表彰（开始公示）/ Propose an award; its public notice starts")
class ProposeAwardInput:
    assessment_id: strawberry.ID = strawberry.field(
        description="已公布的评议结果 / A published assessment"
    )
    title: AwardTitle  # type: ignore[valid-type]


@strawberry.input(description="对公示中的表彰提出异议 / Object to an award under notice")
class RaiseObjectionInput:
    award_id: strawberry.ID
    content: str = strawberry.field(description="异议内容（不超过2000字）/ At most 2000 characters")


@strawberry.input(description="答复异议 / Answer an objection")
class AnswerObjectionInput:
    objection_id: strawberry.ID
    answer: str = strawberry.field(description="答复（不超过2000字）/ At most 2000 characters")


@strawberry.input(description="授予表彰（公示期满且异议均已答复）/ Confer an award")
class ConferAwardInput:
    award_id: strawberry.ID


@strawberry.input(description="撤回表彰 / Withdraw a proposed award")
class WithdrawAwardInput:
    award_id: strawberry.ID
    reason: str = strawberry.field(description="原因（不超过500字）/ At most 500 characters")


@strawberry.type
class AwardPayload:
    award: Award | None
    errors: list[UserError]


@strawberry.type
class ObjectionPayload:
    objection: Objection | None
    award: Award | None
    errors: list[UserError]


async def _run(make: Callable[[], Awaitable[R]]) -> tuple[R | None, list[UserError]]:
    """Parse-then-run: a malformed id or the use case's refusals as typed errors (nothing
    written)."""
    try:
        return await make(), []
    except ApiError as exc:
        return None, [user_error_from(exc)]
    except RefusedError as refused:
        return None, [user_error_from(e) for e in refused.errors]


def _award_payload(row: asyncpg.Record | None, errors: list[UserError]) -> AwardPayload:
    return AwardPayload(award=Award.from_row(row) if row else None, errors=errors)


def _objection_payload(
    found: tuple[asyncpg.Record, asyncpg.Record] | None, errors: list[UserError]
) -> ObjectionPayload:
    if found is None:
        return ObjectionPayload(objection=None, award=None, errors=errors)
    objection, award = found
    return ObjectionPayload(
        objection=Objection.from_row(objection), award=Award.from_row(award), errors=errors
    )


@strawberry.type
class AwardMutation:
    @strawberry.mutation(
        description="据已公布的评议结果推荐表彰，开始公示（区划管理员）/ Propose an award from a "
        "published assessment; its notice starts today (the area's admins)"
    )
    async def propose_award(self, info: Info, input: ProposeAwardInput) -> AwardPayload:
        ctx = context_of(info)
        row, errors = await _run(
            lambda: usecases.propose_award(
                ctx.runtime,
                ctx.caller,
                guard.parse_id(input.assessment_id, "assessmentId"),
                domain.AwardTitle(input.title),
            )
        )
        return _award_payload(row, errors)

    @strawberry.mutation(
        description="公示期内对表彰提出异议（本区划任何人）/ Object to an award during its notice "
        "(anyone of its area)"
    )
    async def raise_objection(self, info: Info, input: RaiseObjectionInput) -> ObjectionPayload:
        ctx = context_of(info)
        found, errors = await _run(
            lambda: usecases.raise_objection(
                ctx.runtime, ctx.caller, guard.parse_id(input.award_id, "awardId"), input.content
            )
        )
        return _objection_payload(found, errors)

    @strawberry.mutation(description="答复异议（区划管理员）/ Answer an objection (admins)")
    async def answer_objection(self, info: Info, input: AnswerObjectionInput) -> ObjectionPayload:
        ctx = context_of(info)
        found, errors = await _run(
            lambda: usecases.answer_objection(
                ctx.runtime,
                ctx.caller,
                guard.parse_id(input.objection_id, "objectionId"),
                input.answer,
            )
        )
        return _objection_payload(found, errors)

    @strawberry.mutation(
        description="授予表彰：公示期满（今天晚于公示最后一日）且异议均已答复（区划管理员）/ "
        "Confer an award once its notice is over and every objection answered (admins)"
    )
    async def confer_award(self, info: Info, input: ConferAwardInput) -> AwardPayload:
        ctx = context_of(info)
        row, errors = await _run(
            lambda: usecases.confer_award(
                ctx.runtime, ctx.caller, guard.parse_id(input.award_id, "awardId")
            )
        )
        return _award_payload(row, errors)

    @strawberry.mutation(description="撤回表彰（区划管理员）/ Withdraw a proposed award (admins)")
    async def withdraw_award(self, info: Info, input: WithdrawAwardInput) -> AwardPayload:
        ctx = context_of(info)
        row, errors = await _run(
            lambda: usecases.withdraw_award(
                ctx.runtime, ctx.caller, guard.parse_id(input.award_id, "awardId"), input.reason
            )
        )
        return _award_payload(row, errors)


RECORDS = Resource.RECORDS
# The area's admins: who answers objections and decides on awards; only they read objections,
# who raised them and why an award was withdrawn.
ADMINS = Gate(Resource.RECORDS, Action.WRITE)
DECIDES = Gate(Resource.ASSESSMENTS, Action.WRITE)

RULES: dict[str, Rule] = {
    # The public notice: awards in the caller's records (the area; an ORG_ADMIN's
    # organisations'), filtered in SQL and in the by-id loader.
    "Query.awards": Gate(RECORDS),
    "Query.award": Gate(RECORDS),
    # The area's admins (ASSESSMENTS WRITE over the area, checked inside); whoever may read the
    # assessment (usecases.assessments.sees_assessment).
    "Query.cycleResultsExport": DECIDES,
    "Query.assessmentExplanationPage": Gate(Resource.ASSESSMENTS),
    "DownloadLink.url": Held(Resource.ASSESSMENTS),
    "DownloadLink.expiresAt": Held(Resource.ASSESSMENTS),
    # Decisions: the area's admins (checked inside: ASSESSMENTS WRITE reaching the whole area).
    "Mutation.proposeAward": DECIDES,
    "Mutation.answerObjection": DECIDES,
    "Mutation.conferAward": DECIDES,
    "Mutation.withdrawAward": DECIDES,
    # Anyone whose records reach the award's area, members included.
    "Mutation.raiseObjection": Gate(RECORDS),
    **{
        f"Award.{f}": Held(RECORDS)
        for f in (
            "id",
            "title",
            "titleLabel",
            "status",
            "statusLabel",
            "subjectKind",
            "subjectId",
            "areaCode",
            "cycleId",
            "assessmentId",
            "noticeFrom",
            "noticeUntil",
            "inNotice",
            "conferFrom",
            "objectionCount",
            "openObjectionCount",
            "proposedAt",
            "conferredAt",
            "withdrawnAt",
            # References: the organizations subgraph shows the organisation and the person
            # (a name only to those who may see it).
            "organization",
            "person",
        )
    },
    "Award.withdrawReason": ADMINS,
    "Award.objections": ADMINS,
    # An objection is reached through Award.objections (admins), or in the payload of the one
    # who raised or answered it; who raised and answered it: admins only.
    **{
        f"Objection.{f}": Held(RECORDS)
        for f in ("id", "awardId", "content", "raisedAt", "answer", "answeredAt", "answered")
    },
    "Objection.raisedBy": ADMINS,
    "Objection.answeredBy": ADMINS,
    # A person's awards: the area's public notice (Person.grants: whoever reads the whole
    # area's records).
    entity_key("Person"): Gate(Resource.PERSON_NAME),
    "Person.id": Held(Resource.PERSON_NAME),
    "Person.awards": Graded(RECORDS),
    "Person.recommendations": Graded(Resource.PERSONAL),
    # An organisation's awards (the field is on the Organization entity of graphql/schema.py).
    "Organization.awards": Held(RECORDS),
    **connection_rules("Award", RECORDS),
    **payload_rules("AwardPayload", "award", RECORDS),
    **payload_rules("ObjectionPayload", "objection", RECORDS),
    "ObjectionPayload.award": Held(RECORDS),
}
