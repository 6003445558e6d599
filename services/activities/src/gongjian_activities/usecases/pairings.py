"""Pairings (结对): starting one between organisations, people, units and areas, ending it, and
logging its visits (走访), whose problems may open cases of the desk in the same transaction.

Who may do what: pairings are records (policy RECORDS: the area's, and for ORG_ADMIN those where
one of its organisations is a party); writing them is UPKEEP: the area's admins, or ORG_ADMIN
when one of its own organisations is a party. Events carry ids, codes, counts and dates only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg

from gongjian_activities.domain import pairings as domain
from gongjian_activities.domain.cases import Channel, Urgency
from gongjian_activities.domain.pairings import FoundProblem, PairingKind, PairingStatus, Party
from gongjian_activities.domain.pairings import PartyKind as Kind
from gongjian_activities.store import activities as org_store
from gongjian_activities.store import pairings as store
from gongjian_activities.usecases.cases import CaseDraft, open_case_in
from gongjian_activities.usecases.common import EVENT, Problems, RefusedError, refuse
from gongjian_kit import clock, guard, policy
from gongjian_kit.areas import is_area_code
from gongjian_kit.auth import Caller
from gongjian_kit.db import Executor
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime, UnitOfWork


@dataclass(frozen=True)
class PairingDraft:
    kind: PairingKind
    title: str
    area_code: str
    starts_on: date
    parties: list[Party]
    ends_on: date | None = None
    goals: str | None = None


@dataclass(frozen=True)
class CaseFromVisit:
    """What a visit's problem needs to open a case (channel VISIT; its title and description
    are the problem's; the area defaults to the pairing's; no requester: anonymous)."""

    category: str
    organization_id: uuid.UUID
    urgency: Urgency = Urgency.NORMAL
    area_code: str | None = None
    requester_person_id: uuid.UUID | None = None
    requester_name: str | None = None
    requester_phone: str | None = None
    anonymous: bool = False


@dataclass(frozen=True)
class ProblemDraft:
    title: str
    description: str | None = None
    open_case: CaseFromVisit | None = None

    def found(self) -> FoundProblem:
        return FoundProblem(self.title, self.description, self.open_case is not None)


@dataclass(frozen=True)
class VisitDraft:
    pairing_id: uuid.UUID
    visited_on: date
    visitor_ids: list[uuid.UUID]
    notes: str | None = None
    problems: list[ProblemDraft] = field(default_factory=list)


def pairing_data(row: asyncpg.Record) -> dict[str, Any]:
    """What every pairing and visit event carries about the pairing."""
    return {
        "pairingId": str(row["id"]),
        "kind": row["kind"],
        "areaCode": row["area_code"],
        "organizationIds": [str(o) for o in row["organization_ids"]],
    }


def _not_found(field: str = "id") -> RefusedError:
    return refuse(
        field,
        ErrorCode.NOT_FOUND,
        "结对不存在或不在您的范围内",
        "The pairing does not exist or is outside your scope",
    )


def sees_pairing(caller: Caller, row: asyncpg.Record) -> bool:
    """Whether the pairing lies in the caller's records (the area; an ORG_ADMIN's when one of
    its organisations is a party)."""
    if not policy.allows(caller, Resource.RECORDS) or not caller.can_see_area(row["area_code"]):
        return False
    reach = policy.reach(caller, Resource.RECORDS)
    return reach.area or bool(set(reach.own_orgs or ()) & set(row["organization_ids"]))


async def keeps_pairing(conn: Executor, caller: Caller, row: asyncpg.Record) -> bool:
    """Whether the caller may write the pairing (UPKEEP): an admin of its area, or ORG_ADMIN of
    one of its organisation parties."""
    if not policy.allows(caller, Resource.UPKEEP, Action.WRITE):
        return False
    reach = policy.reach(caller, Resource.UPKEEP, Action.WRITE)
    if reach.area and caller.can_see_area(row["area_code"]):
        return True
    refs = await org_store.organization_refs(conn, list(row["organization_ids"]))
    return any(reach.admits_organization(o, ref["area_code"]) for o, ref in refs.items())


async def _kept(
    uow: UnitOfWork, caller: Caller, pairing_id: uuid.UUID, field: str
) -> asyncpg.Record:
    """The pairing, locked, if the caller keeps it: NOT_FOUND when they cannot see it,
    FORBIDDEN when they see it but may not write it."""
    row = await store.pairing_for_update(uow.conn, pairing_id)
    if row is None or not sees_pairing(caller, row):
        raise _not_found(field)
    if not await keeps_pairing(uow.conn, caller, row):
        raise refuse(
            field,
            ErrorCode.FORBIDDEN,
            "只有结对所在区划的管理员或参与结对的组织可以操作",
            "Only the area's admins or an organisation party may do this",
        )
    return row


def _parties_in_scope(caller: Caller, draft: PairingDraft, problems: Problems) -> list[Any]:
    """Each party's id (a UUID; the area code for an area), problems for malformed ids and
    areas outside the caller's."""
    refs: list[Any] = []
    for i, party in enumerate(draft.parties):
        if party.kind is Kind.AREA:
            if is_area_code(party.ref) and not caller.can_see_area(party.ref or ""):
                problems.add(
                    f"parties[{i}].areaCode",
                    ErrorCode.FORBIDDEN,
                    "该区划不在您的管理范围内",
                    "That area is outside your scope",
                )
            refs.append(party.ref)
            continue
        parsed = guard.id_or_none(party.ref) if party.ref is not None else None
        if party.ref is not None and parsed is None:
            problems.bad(f"parties[{i}].id", "编号格式不正确", "Malformed id")
        refs.append(parsed)
    return refs


async def _known_parties(
    conn: Executor, draft: PairingDraft, refs: list[Any], problems: Problems
) -> dict[uuid.UUID, asyncpg.Record]:
    """Organisations must be known here and not dissolved; people known (person_ref). Units
    are stored as given: this service keeps no read model of them."""
    org_ids = [r for p, r in zip(draft.parties, refs, strict=True) if p.kind is Kind.ORGANIZATION]
    orgs = await org_store.organization_refs(conn, [o for o in org_ids if o is not None])
    people = await store.known_people(
        conn, [r for p, r in zip(draft.parties, refs, strict=True) if p.kind is Kind.PERSON and r]
    )
    for i, (party, ref) in enumerate(zip(draft.parties, refs, strict=True)):
        if ref is None:
            continue
        if party.kind is Kind.ORGANIZATION and ref not in orgs:
            problems.add(
                f"parties[{i}].id", ErrorCode.NOT_FOUND, "组织不存在", "No such organisation"
            )
        elif party.kind is Kind.ORGANIZATION and orgs[ref]["dissolved_on"] is not None:
            problems.add(
                f"parties[{i}].id",
                ErrorCode.CONFLICT,
                "该组织已撤销，不能结对",
                "That organisation has been dissolved",
            )
        elif party.kind is Kind.PERSON and ref not in people:
            problems.add(f"parties[{i}].id", ErrorCode.NOT_FOUND, "人员不存在", "No such person")
    return orgs


async def start_pairing(runtime: Runtime, caller: Caller, draft: PairingDraft) -> asyncpg.Record:
    """结对: two or more parties, a term and goals; ACTIVE from the start."""
    reach = policy.reach(caller, Resource.UPKEEP, Action.WRITE)
    problems = Problems()
    today = clock.today()
    for where, zh, en in domain.term_problems(
        draft.title, draft.starts_on, draft.ends_on, draft.goals, today
    ):
        problems.bad(where, zh, en)
    for where, zh, en in domain.party_problems(draft.kind, draft.parties):
        problems.bad(where, zh, en)
    if not is_area_code(draft.area_code):
        problems.bad("areaCode", "区划代码应为12位数字", "The area code must be 12 digits")
    elif not caller.can_see_area(draft.area_code):
        problems.add(
            "areaCode",
            ErrorCode.FORBIDDEN,
            "该区划不在您的管理范围内",
            "That area is outside your scope",
        )
    if len(draft.parties) > domain.MAX_PARTIES:  # too many to look up: say so first
        problems.refuse()
    refs = _parties_in_scope(caller, draft, problems)
    async with runtime.unit_of_work() as uow:
        orgs = await _known_parties(uow.conn, draft, refs, problems)
        org_ids = list(
            dict.fromkeys(
                r
                for p, r in zip(draft.parties, refs, strict=True)
                if p.kind is Kind.ORGANIZATION and r in orgs
            )
        )
        if not reach.area and not any(
            reach.admits_organization(o, orgs[o]["area_code"]) for o in org_ids
        ):
            problems.add(
                "parties",
                ErrorCode.FORBIDDEN,
                "只能登记本组织参与的结对",
                "One of your own organisations must be a party",
            )
        problems.refuse()
        row = await store.insert_pairing(
            uow.conn,
            {
                "id": uuid.uuid4(),
                "kind": draft.kind.value,
                "title": draft.title.strip(),
                "area_code": draft.area_code,
                "starts_on": draft.starts_on,
                "ends_on": draft.ends_on,
                "goals": (draft.goals or "").strip() or None,
                "organization_ids": org_ids,
                "created_by": caller.subject,
            },
            [
                {
                    "kind": p.kind.value,
                    "ref_id": r if p.kind is not Kind.AREA else None,
                    "area_code": r if p.kind is Kind.AREA else None,
                    "role": (p.role or "").strip() or None,
                }
                for p, r in zip(draft.parties, refs, strict=True)
            ],
        )
        await uow.publish(
            f"{EVENT}pairing.started.v1",
            str(row["id"]),
            {
                **pairing_data(row),
                "partyCount": row["party_count"],
                "startsOn": row["starts_on"].isoformat(),
                "endsOn": row["ends_on"].isoformat() if row["ends_on"] else None,
                "status": row["status"],
            },
        )
        return row


async def end_pairing(
    runtime: Runtime,
    caller: Caller,
    pairing_id: uuid.UUID,
    reason: str,
    ended_on: date | None = None,
) -> asyncpg.Record:
    """End an active pairing, with a reason (the day defaults to today)."""
    reason = reason.strip()
    problems = Problems()
    if not reason or len(reason) > 500:
        problems.bad("reason", "结束原因不能为空且不超过500字", "The reason is 1 to 500 characters")
    async with runtime.unit_of_work() as uow:
        row = await _kept(uow, caller, pairing_id, "id")
        if row["status"] == PairingStatus.ENDED:
            raise refuse(
                "status",
                ErrorCode.CONFLICT,
                f"结对当前为“{domain.STATUS_LABELS[PairingStatus.ENDED]}”，不能再次结束",
                "A pairing that is ENDED cannot be ended",
            )
        day = ended_on or clock.today()
        for where, zh, en in domain.end_problems(row["starts_on"], day, clock.today()):
            problems.bad(where, zh, en)
        problems.refuse()
        updated = await store.end_pairing(uow.conn, pairing_id, day, reason, caller.subject)
        await uow.publish(
            f"{EVENT}pairing.ended.v1",
            str(updated["id"]),
            {
                **pairing_data(updated),
                "endedOn": day.isoformat(),
                "visitCount": updated["visit_count"],
                "status": updated["status"],
            },
        )
        return updated


def _case_draft(problem: ProblemDraft, case: CaseFromVisit, pairing: asyncpg.Record) -> CaseDraft:
    given = case.requester_person_id is not None or case.requester_name or case.requester_phone
    return CaseDraft(
        channel=Channel.VISIT,
        category=case.category.strip(),
        urgency=case.urgency,
        area_code=case.area_code or pairing["area_code"],
        organization_id=case.organization_id,
        title=problem.title,
        description=problem.description,
        requester_person_id=case.requester_person_id,
        requester_name=case.requester_name,
        requester_phone=case.requester_phone,
        anonymous=case.anonymous or not given,
    )


def _merge(problems: Problems, errors: list[ApiError], i: int) -> None:
    """A case's refusals among the visit's: its title and description are the problem's own
    (named once, where the caller typed them)."""
    prefix = f"problems[{i}].openCase."
    renamed = {
        f"{prefix}title": f"problems[{i}].title",
        f"{prefix}description": f"problems[{i}].description",
    }
    known = {(e.field, e.code) for e in problems.errors}
    for error in errors:
        where = renamed.get(error.field or "", error.field)
        if (where, error.code) not in known:
            known.add((where, error.code))
            problems.add(where, error.code, error.zh, error.en)


async def _visitor_problems(
    conn: Executor, visitor_ids: list[uuid.UUID], problems: Problems
) -> None:
    known = await store.known_people(conn, visitor_ids)
    for i, person in enumerate(visitor_ids):
        if person not in known:
            problems.add(f"visitorIds[{i}]", ErrorCode.NOT_FOUND, "人员不存在", "No such person")


async def log_visit(runtime: Runtime, caller: Caller, draft: VisitDraft) -> asyncpg.Record:
    """走访: the day, who went, notes, and the problems found; a problem with ``open_case``
    opens a case (channel VISIT) linked both ways. Every problem of the input is refused at
    once, the cases' with the rest; nothing is written if anything is refused."""
    visitors = list(dict.fromkeys(draft.visitor_ids))
    problems = Problems()
    found = [p.found() for p in draft.problems]
    for where, zh, en in domain.visit_problems(
        draft.visited_on, len(visitors), draft.notes, found, clock.today()
    ):
        problems.bad(where, zh, en)
    if len(visitors) > domain.MAX_VISITORS or len(draft.problems) > domain.MAX_PROBLEMS:
        problems.refuse()  # too many to look up: say so first
    async with runtime.unit_of_work() as uow:
        pairing = await _kept(uow, caller, draft.pairing_id, "pairingId")
        for where, zh, en, conflict in domain.visit_date_problems(
            draft.visited_on, pairing["starts_on"], PairingStatus(pairing["status"])
        ):
            problems.add(
                where, ErrorCode.CONFLICT if conflict else ErrorCode.BAD_USER_INPUT, zh, en
            )
        await _visitor_problems(uow.conn, visitors, problems)
        visit_id = uuid.uuid4()
        case_ids: list[uuid.UUID | None] = []
        for i, problem in enumerate(draft.problems[: domain.MAX_PROBLEMS]):
            case_ids.append(None)
            if problem.open_case is None:
                continue
            try:
                case = await open_case_in(
                    uow,
                    caller,
                    _case_draft(problem, problem.open_case, pairing),
                    visit_id=visit_id,
                    pairing_id=pairing["id"],
                    prefix=f"problems[{i}].openCase.",
                )
            except RefusedError as refused:
                _merge(problems, refused.errors, i)
            else:
                case_ids[i] = case["id"]
        problems.refuse()
        row = await store.insert_visit(
            uow.conn,
            {
                "id": visit_id,
                "pairing_id": pairing["id"],
                "visited_on": draft.visited_on,
                "visitor_ids": visitors,
                "notes": (draft.notes or "").strip() or None,
                "created_by": caller.subject,
            },
            [
                {
                    "title": p.title.strip(),
                    "description": (p.description or "").strip() or None,
                    "case_id": case_ids[i],
                }
                for i, p in enumerate(draft.problems)
            ],
        )
        await uow.publish(
            f"{EVENT}visit.logged.v1",
            str(visit_id),
            {
                "visitId": str(visit_id),
                **pairing_data(pairing),
                "visitedOn": draft.visited_on.isoformat(),
                "visitorCount": len(visitors),
                "problemCount": len(draft.problems),
                "caseIds": [str(c) for c in case_ids if c is not None],
            },
        )
        return row
