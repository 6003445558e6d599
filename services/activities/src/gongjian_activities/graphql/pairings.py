"""Pairings (结对) and visits (走访) in the subgraph: thin adapters over usecases/pairings.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gongjian_activities.domain import cases as case_domain
from gongjian_activities.domain import pairings as domain
from gongjian_activities.graphql.cases import Case, CaseRequesterInput, Urgency
from gongjian_activities.graphql.payloads import parse_id, run_case
from gongjian_activities.graphql.types import Organization, Person, person_ref
from gongjian_activities.store import cases as case_store
from gongjian_activities.store import pairings as store
from gongjian_activities.usecases import pairings as usecases
from gongjian_activities.usecases.cases import sees_case
from gongjian_activities.usecases.common import Problems
from gongjian_activities.usecases.pairings import (
    CaseFromVisit,
    PairingDraft,
    ProblemDraft,
    VisitDraft,
)
from gongjian_kit import clock, guard, policy
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.field_rules import Gate, Held, Rule, connection_rules, payload_rules
from gongjian_kit.gql import (
    Connection,
    RequestContext,
    UserError,
    context_of,
    decode_keyset,
    make_connection,
    page_size,
)
from gongjian_kit.policy import Action, Resource

PairingKind = strawberry.enum(
    domain.PairingKind, name="PairingKind", description="结对类型 / Kind of pairing"
)
PartyKind = strawberry.enum(
    domain.PartyKind, name="PairingPartyKind", description="结对方类型 / Kind of party"
)
PairingStatus = strawberry.enum(
    domain.PairingStatus, name="PairingStatus", description="结对状态 / Pairing status"
)


def _pairings(ctx: RequestContext) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    """Pairings by id, those outside the caller's records as None."""

    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        rows = await store.pairings_by_id(ctx.runtime.db, ids)
        return [r if r is not None and usecases.sees_pairing(ctx.caller, r) else None for r in rows]

    return ctx.loader("pairings_by_id", lambda: DataLoader(load_fn=load))


def _parties(ctx: RequestContext) -> DataLoader[uuid.UUID, list[asyncpg.Record]]:
    async def load(ids: list[uuid.UUID]) -> list[list[asyncpg.Record]]:
        found = await store.parties_of(ctx.runtime.db, ids)
        return [found[i] for i in ids]

    return ctx.loader("pairing_parties", lambda: DataLoader(load_fn=load))


def _visit_pages(
    ctx: RequestContext,
) -> DataLoader[tuple[uuid.UUID, tuple[int, ...] | None, int], list[asyncpg.Record]]:
    async def load(keys: list[Any]) -> list[list[asyncpg.Record]]:
        # Keys share (after, limit) in practice: one statement per distinct pair.
        results: dict[Any, list[asyncpg.Record]] = {}
        for after, limit in {(k[1], k[2]) for k in keys}:
            ids = [k[0] for k in keys if k[1] == after and k[2] == limit]
            found = await store.visits_of_pairings(ctx.runtime.db, ids, after, limit)
            for pairing_id in ids:
                results[(pairing_id, after, limit)] = found[pairing_id]
        return [results[k] for k in keys]

    return ctx.loader("pairing_visits", lambda: DataLoader(load_fn=load))


def _problems(ctx: RequestContext) -> DataLoader[uuid.UUID, list[asyncpg.Record]]:
    async def load(ids: list[uuid.UUID]) -> list[list[asyncpg.Record]]:
        found = await store.problems_of(ctx.runtime.db, ids)
        return [found[i] for i in ids]

    return ctx.loader("visit_problems", lambda: DataLoader(load_fn=load))


def _cases(ctx: RequestContext) -> DataLoader[uuid.UUID, list[asyncpg.Record]]:
    """The cases a visit opened that the caller may see (the desk's CASES reach)."""

    async def load(ids: list[uuid.UUID]) -> list[list[asyncpg.Record]]:
        found = await case_store.cases_of_visits(ctx.runtime.db, ids)
        return [[r for r in found[i] if sees_case(ctx.caller, r)] for i in ids]

    return ctx.loader("visit_cases", lambda: DataLoader(load_fn=load))


def _case_by_id(ctx: RequestContext) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    """Cases by id, those outside the caller's CASES reach as None."""

    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        rows = await case_store.cases_by_id(ctx.runtime.db, ids)
        return [r if r is not None and sees_case(ctx.caller, r) else None for r in rows]

    return ctx.loader("visit_problem_cases", lambda: DataLoader(load_fn=load))


@strawberry.type(description="结对方 / A party of a pairing")
class PairingParty:
    kind: PartyKind  # type: ignore[valid-type]
    id: strawberry.ID | None = strawberry.field(
        description="组织、人员或单位的编号（区划为空）/ The organisation's, person's or unit's "
        "id (null for an area)"
    )
    area_code: str | None = strawberry.field(description="区划（仅区划方）/ The area (AREA only)")
    role: str | None = strawberry.field(
        description="身份说明，如指导组、帮扶干部、困难户 / Its role in the pairing"
    )

    @strawberry.field
    def kind_label(self) -> str:
        return domain.PARTY_LABELS[domain.PartyKind(self.kind)]

    @strawberry.field(description="组织（组织方）/ The organisation (ORGANIZATION only)")
    def organization(self) -> Organization | None:
        if domain.PartyKind(self.kind) is not domain.PartyKind.ORGANIZATION or self.id is None:
            return None
        return Organization(id=self.id)

    @strawberry.field(
        description="人员（人员方；其信息由组织服务按权限显示）/ The person (PERSON only), shown "
        "by the organizations subgraph under its rules"
    )
    async def person(self, info: Info) -> Person | None:
        if domain.PartyKind(self.kind) is not domain.PartyKind.PERSON or self.id is None:
            return None
        return await person_ref(context_of(info), uuid.UUID(self.id))


@strawberry.type(description="走访发现的问题 / A problem a visit found")
class VisitProblem:
    title: str
    description: str | None
    case_opened: bool = strawberry.field(description="是否已转为诉求 / Whether it opened a case")
    case_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(
        name="case",
        description="转办的诉求（无权查看诉求时为空）/ The case it opened (null where you may "
        "not see cases)",
    )
    async def case_(self, info: Info) -> Case | None:
        if self.case_id is None:
            return None
        row = await _case_by_id(context_of(info)).load(self.case_id)
        return Case.from_row(row) if row is not None else None


@strawberry.type(description="走访 / A visit under a pairing")
class Visit:
    id: strawberry.ID
    pairing_id: strawberry.ID
    visited_on: date
    notes: str | None
    problem_count: int
    logged_at: datetime
    row: strawberry.Private[asyncpg.Record]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Visit:
        return cls(
            id=strawberry.ID(str(row["id"])),
            pairing_id=strawberry.ID(str(row["pairing_id"])),
            visited_on=row["visited_on"],
            notes=row["notes"],
            problem_count=row["problem_count"],
            logged_at=row["created_at"],
            row=row,
        )

    @strawberry.field(description="所属结对 / The pairing")
    async def pairing(self, info: Info) -> Pairing | None:
        row = await _pairings(context_of(info)).load(self.row["pairing_id"])
        return Pairing.from_row(row) if row else None

    @strawberry.field(
        description="走访人员（其信息由组织服务按权限显示）/ Who went, shown by the "
        "organizations subgraph under its rules"
    )
    async def visitors(self, info: Info) -> list[Person]:
        ctx = context_of(info)
        return list(await asyncio.gather(*(person_ref(ctx, p) for p in self.row["visitor_ids"])))

    @strawberry.field(description="发现的问题 / Problems found")
    async def problems(self, info: Info) -> list[VisitProblem]:
        rows = await _problems(context_of(info)).load(self.row["id"])
        return [
            VisitProblem(
                title=r["title"],
                description=r["description"],
                case_opened=r["case_id"] is not None,
                case_id=r["case_id"],
            )
            for r in rows
        ]

    @strawberry.field(
        description="由此次走访登记的诉求（仅您可查看的）/ The cases this visit opened (those "
        "you may see)"
    )
    async def cases(self, info: Info) -> list[Case]:
        rows = await _cases(context_of(info)).load(self.row["id"])
        return [Case.from_row(r) for r in rows]


@strawberry.type(description="结对 / A pairing")
class Pairing:
    id: strawberry.ID
    kind: PairingKind  # type: ignore[valid-type]
    title: str
    area_code: str = strawberry.field(description="统计所在区划 / Where it is counted")
    starts_on: date
    ends_on: date | None
    goals: str | None
    status: PairingStatus  # type: ignore[valid-type]
    ended_on: date | None
    end_reason: str | None
    visit_count: int
    last_visit_on: date | None = strawberry.field(
        description="最近一次走访日期 / The day of the latest visit"
    )
    created_at: datetime
    row: strawberry.Private[asyncpg.Record]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Pairing:
        return cls(
            id=strawberry.ID(str(row["id"])),
            kind=domain.PairingKind(row["kind"]),
            title=row["title"],
            area_code=row["area_code"],
            starts_on=row["starts_on"],
            ends_on=row["ends_on"],
            goals=row["goals"],
            status=domain.PairingStatus(row["status"]),
            ended_on=row["ended_on"],
            end_reason=row["end_reason"],
            visit_count=row["visit_count"],
            last_visit_on=row["last_visit_on"],
            created_at=row["created_at"],
            row=row,
        )

    @strawberry.field
    def kind_label(self) -> str:
        return domain.KIND_LABELS[domain.PairingKind(self.kind)]

    @strawberry.field
    def status_label(self) -> str:
        return domain.STATUS_LABELS[domain.PairingStatus(self.status)]

    @strawberry.field(
        description="距最近一次走访的天数（从未走访时自开始日起算）/ Days since the latest visit "
        "(since the start when never visited)"
    )
    def days_since_visit(self) -> int:
        return domain.days_since_visit(self.starts_on, self.last_visit_on, clock.today())

    @strawberry.field(description="结对各方 / The parties")
    async def parties(self, info: Info) -> list[PairingParty]:
        rows = await _parties(context_of(info)).load(self.row["id"])
        return [
            PairingParty(
                kind=domain.PartyKind(r["kind"]),
                id=strawberry.ID(str(r["ref_id"])) if r["ref_id"] else None,
                area_code=r["area_code"],
                role=r["role"],
            )
            for r in rows
        ]

    @strawberry.field(description="走访记录，最新的在前 / Visits, newest first")
    async def visits(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Visit]:
        limit, position = page_size(first), _keyset(after, by_day=True)
        rows = await _visit_pages(context_of(info)).load((self.row["id"], position, limit + 1))
        return make_connection(
            [Visit.from_row(r) for r in rows],
            [store.visit_position(r) for r in rows],
            limit,
            position is not None,
            _count_of(self.visit_count),
        )


MAX_BIGINT = 2**63 - 1


def _keyset(after: str | None, by_day: bool) -> tuple[int, ...] | None:
    """A two-number cursor whose numbers the SQL can take: a day number (when the list is
    ordered by a day) and a bigint; anything else is the caller's malformed cursor."""
    position = decode_keyset(after, 2)
    if position is None:
        return None
    first_max = date.max.toordinal() if by_day else MAX_BIGINT
    if not (1 <= position[0] <= first_max and 0 <= position[1] <= MAX_BIGINT):
        raise ApiError(
            ErrorCode.BAD_USER_INPUT, "分页游标无效", "Invalid pagination cursor", "after"
        )
    return position


def _count_of(n: int) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        return n

    return count


def _filter(info: Info, area_code: str | None, **more: Any) -> store.PairingFilter:
    """The caller's records as a filter: the area; for ORG_ADMIN, pairings where one of its
    organisations is a party."""
    caller = context_of(info).caller
    reach = policy.reach(caller, Resource.RECORDS)
    return store.PairingFilter(
        area_like=caller.scope_like(area_code), orgs=reach.organizations_only, **more
    )


async def _page(
    info: Info, filters: store.PairingFilter, first: int | None, after: str | None
) -> Connection[Pairing]:
    ctx = context_of(info)
    limit, position = page_size(first), _keyset(after, by_day=filters.by_quiet)
    rows = await store.pairings_page(ctx.runtime.db, filters, position, limit + 1)
    return make_connection(
        [Pairing.from_row(r) for r in rows],
        [store.position(r, filters.by_quiet) for r in rows],
        limit,
        position is not None,
        lambda: store.count_pairings(ctx.runtime.db, filters),
    )


@strawberry.type
class PairingQuery:
    @strawberry.field(
        description="区划内的结对（含下级；ORG_ADMIN 为本组织参与的），最新的在前 / Pairings in "
        "an area and beneath it (an ORG_ADMIN's: those its organisations are party to), newest "
        "first"
    )
    async def pairings(
        self,
        info: Info,
        area_code: str | None = None,
        kind: PairingKind | None = None,  # type: ignore[valid-type]
        status: PairingStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Pairing]:
        filters = _filter(
            info,
            area_code,
            kind=domain.PairingKind(kind).value if kind else None,
            status=domain.PairingStatus(status).value if status else None,
        )
        return await _page(info, filters, first, after)

    @strawberry.field(description="按编号查结对 / A pairing by id")
    async def pairing(self, info: Info, id: strawberry.ID) -> Pairing | None:
        key = guard.id_or_none(id)
        if key is None:
            return None
        row = await _pairings(context_of(info)).load(key)
        return Pairing.from_row(row) if row else None

    @strawberry.field(
        description="近 days 天内未走访、仍在结对中的结对（从未走访且已开始满 days 天的也列出），"
        "久未走访的在前 / Active pairings with no visit in the last `days` days (never visited "
        "and started at least that long ago too), longest without a visit first"
    )
    async def pairings_without_visit(
        self,
        info: Info,
        days: int,
        area_code: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Pairing]:
        if not 1 <= days <= domain.MAX_DAYS:
            raise ApiError(ErrorCode.BAD_USER_INPUT, "天数须为1至3660", "days is 1 to 3660", "days")
        filters = _filter(
            info, area_code, quiet_on_or_before=domain.quiet_cutoff(clock.today(), days)
        )
        return await _page(info, filters, first, after)

    @strawberry.field(description="按编号查走访 / A visit by id")
    async def visit(self, info: Info, id: strawberry.ID) -> Visit | None:
        ctx = context_of(info)
        key = guard.id_or_none(id)
        if key is None:
            return None
        [row] = await store.visits_by_id(ctx.runtime.db, [key])
        if row is None or await _pairings(ctx).load(row["pairing_id"]) is None:
            return None
        return Visit.from_row(row)


@strawberry.input(
    description="结对方：组织、人员、单位填 id，区划填 areaCode / A party: id for an "
    "organisation, person or unit; areaCode for an area"
)
class PairingPartyInput:
    kind: PartyKind  # type: ignore[valid-type]
    id: strawberry.ID | None = None
    area_code: str | None = None
    role: str | None = strawberry.field(
        default=None, description="身份说明（不超过50字）/ Its role, at most 50 characters"
    )


@strawberry.input(description="建立结对 / Start a pairing")
class StartPairingInput:
    kind: PairingKind  # type: ignore[valid-type]
    title: str
    area_code: str = strawberry.field(description="统计所在区划 / Where it is counted")
    starts_on: date
    parties: list[PairingPartyInput]
    ends_on: date | None = None
    goals: str | None = strawberry.field(default=None, description="结对目标 / Goals")


@strawberry.input(description="结束结对 / End a pairing")
class EndPairingInput:
    id: strawberry.ID
    reason: str
    ended_on: date | None = strawberry.field(
        default=None, description="结束日期（默认今天）/ Defaults to today"
    )


@strawberry.input(
    description="走访发现的问题转为诉求（渠道为走访发现）/ Open a case from a visit's problem "
    "(channel VISIT; the problem's title and description)"
)
class OpenCaseFromVisit:
    category: str = strawberry.field(description="类别代码（caseCategories）/ Category code")
    organization_id: strawberry.ID = strawberry.field(
        description="承办组织 / The handling organisation"
    )
    urgency: Urgency = case_domain.Urgency.NORMAL  # type: ignore[valid-type]
    area_code: str | None = strawberry.field(
        default=None, description="诉求所在区划（默认结对所在区划）/ Defaults to the pairing's"
    )
    requester: CaseRequesterInput | None = strawberry.field(
        default=None, description="诉求人（默认匿名）/ The requester (anonymous if not given)"
    )


@strawberry.input(description="走访发现的问题 / A problem found")
class VisitProblemInput:
    title: str
    description: str | None = None
    open_case: OpenCaseFromVisit | None = None


@strawberry.input(description="登记走访 / Log a visit")
class LogVisitInput:
    pairing_id: strawberry.ID
    visited_on: date
    visitor_ids: list[strawberry.ID]
    notes: str | None = None
    problems: list[VisitProblemInput] = strawberry.field(default_factory=list)


@strawberry.type
class PairingPayload:
    pairing: Pairing | None
    errors: list[UserError]


@strawberry.type
class VisitPayload:
    visit: Visit | None
    errors: list[UserError]


def _pairing_draft(input: StartPairingInput) -> PairingDraft:
    return PairingDraft(
        kind=domain.PairingKind(input.kind),
        title=input.title,
        area_code=input.area_code,
        starts_on=input.starts_on,
        ends_on=input.ends_on,
        goals=input.goals,
        parties=[
            domain.Party(
                kind=domain.PartyKind(p.kind),
                ref=p.area_code if domain.PartyKind(p.kind) is domain.PartyKind.AREA else p.id,
                role=p.role,
            )
            for p in input.parties
        ],
    )


def _parsed(raw: strawberry.ID | None, field: str, problems: Problems) -> uuid.UUID | None:
    """An id, or None with a problem naming its field (so the input's other problems show too)."""
    if raw is None:
        return None
    try:
        return parse_id(raw, field)
    except ApiError as exc:
        problems.errors.append(exc)
        return None


def _case_from_visit(case: OpenCaseFromVisit, prefix: str, problems: Problems) -> CaseFromVisit:
    requester = case.requester or CaseRequesterInput(anonymous=True)
    return CaseFromVisit(
        category=case.category,
        organization_id=_parsed(case.organization_id, f"{prefix}organizationId", problems)
        or uuid.UUID(int=0),
        urgency=case_domain.Urgency(case.urgency),
        area_code=case.area_code,
        requester_person_id=_parsed(requester.person_id, f"{prefix}requester.personId", problems),
        requester_name=requester.name,
        requester_phone=requester.phone,
        anonymous=requester.anonymous,
    )


def _visit_draft(input: LogVisitInput, problems: Problems) -> VisitDraft:
    visitors = [_parsed(v, f"visitorIds[{i}]", problems) for i, v in enumerate(input.visitor_ids)]
    return VisitDraft(
        pairing_id=parse_id(input.pairing_id, "pairingId"),
        visited_on=input.visited_on,
        visitor_ids=[v for v in visitors if v is not None],
        notes=input.notes,
        problems=[
            ProblemDraft(
                title=p.title,
                description=p.description,
                open_case=_case_from_visit(p.open_case, f"problems[{i}].openCase.", problems)
                if p.open_case
                else None,
            )
            for i, p in enumerate(input.problems)
        ],
    )


@strawberry.type
class PairingMutation:
    @strawberry.mutation(
        description="建立结对（区划管理员，或参与结对的组织的管理者）/ Start a pairing (the "
        "area's admins, or ORG_ADMIN of an organisation party)"
    )
    async def start_pairing(self, info: Info, input: StartPairingInput) -> PairingPayload:
        ctx = context_of(info)
        row, errors = await run_case(
            lambda: usecases.start_pairing(ctx.runtime, ctx.caller, _pairing_draft(input))
        )
        return PairingPayload(pairing=Pairing.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="结束结对 / End a pairing, with a reason")
    async def end_pairing(self, info: Info, input: EndPairingInput) -> PairingPayload:
        ctx = context_of(info)
        row, errors = await run_case(
            lambda: usecases.end_pairing(
                ctx.runtime, ctx.caller, parse_id(input.id, "id"), input.reason, input.ended_on
            )
        )
        return PairingPayload(pairing=Pairing.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(
        description="登记走访；发现的问题可同时转为诉求（同一事务）/ Log a visit; a problem found "
        "may open a case in the same step"
    )
    async def log_visit(self, info: Info, input: LogVisitInput) -> VisitPayload:
        ctx = context_of(info)

        async def run() -> asyncpg.Record:
            problems = Problems()
            draft = _visit_draft(input, problems)
            if problems:  # malformed ids, with the input's other problems that need no database
                for where, zh, en in domain.visit_problems(
                    draft.visited_on,
                    len(input.visitor_ids),
                    draft.notes,
                    [p.found() for p in draft.problems],
                    clock.today(),
                ):
                    problems.bad(where, zh, en)
                problems.refuse()
            return await usecases.log_visit(ctx.runtime, ctx.caller, draft)

        row, errors = await run_case(run)
        return VisitPayload(visit=Visit.from_row(row) if row else None, errors=errors)


RECORDS = Resource.RECORDS
UPKEEP = Gate(Resource.UPKEEP, Action.WRITE)

# Free text about people met on visits: shown to those who keep records (UPKEEP), null with
# FORBIDDEN for other readers (members and assessors read the area's records).
KEEPERS = Gate(Resource.UPKEEP, Action.WRITE)

RULES: dict[str, Rule] = {
    # Pairings in the caller's records (policy RECORDS: the area; an ORG_ADMIN's where one of
    # its organisations is a party), filtered in SQL and in the by-id loader by policy.reach.
    "Query.pairings": Gate(RECORDS),
    "Query.pairing": Gate(RECORDS),
    "Query.pairingsWithoutVisit": Gate(RECORDS),
    # A visit is shown when its pairing is.
    "Query.visit": Gate(RECORDS),
    # The area's admins, or ORG_ADMIN of an organisation party (checked inside).
    "Mutation.startPairing": UPKEEP,
    "Mutation.endPairing": UPKEEP,
    "Mutation.logVisit": UPKEEP,
    **{
        f"Pairing.{f}": Held(RECORDS)
        for f in (
            "id",
            "kind",
            "kindLabel",
            "title",
            "areaCode",
            "startsOn",
            "endsOn",
            "goals",
            "status",
            "statusLabel",
            "endedOn",
            "endReason",
            "visitCount",
            "lastVisitOn",
            "daysSinceVisit",
            "createdAt",
            "parties",
            "visits",
        )
    },
    **{f"PairingParty.{f}": Held(RECORDS) for f in ("kind", "kindLabel", "id", "areaCode")},
    # Free text that may describe a household (困难户, 独居老人): for those who keep the
    # records (area admins; ORG_ADMIN, who only reads its own pairings), not every reader.
    "PairingParty.role": KEEPERS,
    # References: the organizations subgraph shows the organisation and the person under its
    # own rules (a person's name only to those who may see it).
    "PairingParty.organization": Held(RECORDS),
    "PairingParty.person": Held(RECORDS),
    **{
        f"Visit.{f}": Held(RECORDS)
        for f in (
            "id",
            "pairingId",
            "pairing",
            "visitedOn",
            "problemCount",
            "loggedAt",
            "visitors",
            "problems",
        )
    },
    # Only the cases the caller's CASES reach admits (filtered by usecases.cases.sees_case).
    "Visit.cases": Held(RECORDS),
    "Visit.notes": KEEPERS,
    **{f"VisitProblem.{f}": Held(RECORDS) for f in ("title", "caseOpened")},
    "VisitProblem.description": KEEPERS,
    "VisitProblem.case": Held(RECORDS),
    **connection_rules("Pairing", RECORDS),
    **connection_rules("Visit", RECORDS),
    **payload_rules("PairingPayload", "pairing", RECORDS),
    **payload_rules("VisitPayload", "visit", RECORDS),
}
