"""The case desk (诉求): opening a case with its working-day deadline, handling it through to the
requester's satisfaction, transfers, reopening, and the escalation of overdue cases.

Who may do what is the policy's CASES resource: the admins of the case's area; ORG_ADMIN for
cases its own organisations handle (or had escalated to them); a MEMBER opens a case online as
themself and nothing more. A requester's name and phone are encrypted (bound to the case) and
never leave in an event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from gongjian_activities.domain import cases as domain
from gongjian_activities.domain.cases import CaseStatus, Channel, RequesterKind, StepKind, Urgency
from gongjian_activities.settings import activity_settings
from gongjian_activities.store import activities as org_store
from gongjian_activities.store import cases as store
from gongjian_activities.store import people as people_store
from gongjian_activities.usecases.common import EVENT, Problems, checked_reason, refuse
from gongjian_kit import clock, policy
from gongjian_kit.areas import is_area_code
from gongjian_kit.auth import Caller
from gongjian_kit.db import Executor
from gongjian_kit.errors import ErrorCode
from gongjian_kit.personal_data import phone_problem, protector_of
from gongjian_kit.policy import Action, Resource, Scope
from gongjian_kit.runtime import Runtime, UnitOfWork
from gongjian_kit.workdays import WorkCalendar, work_calendar

MAX_TEXT = 5000
NAME_FIELD = "case.requester_name"
PHONE_FIELD = "case.requester_phone"
SYSTEM = "system"


def calendar() -> WorkCalendar:
    settings = activity_settings()
    return work_calendar(settings.case_extra_holidays, settings.case_extra_workdays)


def limit_days(urgency: Urgency) -> int:
    settings = activity_settings()
    return {
        Urgency.URGENT: settings.case_limit_urgent_days,
        Urgency.NORMAL: settings.case_limit_normal_days,
        Urgency.COMPLEX: settings.case_limit_complex_days,
    }[urgency]


@dataclass(frozen=True)
class CaseDraft:
    """What the desk records when a case comes in."""

    channel: Channel
    category: str
    urgency: Urgency
    area_code: str
    organization_id: uuid.UUID
    title: str
    description: str | None = None
    requester_person_id: uuid.UUID | None = None
    requester_name: str | None = None
    requester_phone: str | None = None
    anonymous: bool = False
    received_at: datetime | None = None  # when the desk took it; defaults to now

    @property
    def requester_kind(self) -> RequesterKind:
        if self.requester_person_id is not None:
            return RequesterKind.PERSON
        if self.requester_name:
            return RequesterKind.NAMED
        return RequesterKind.ANONYMOUS


def draft_problems(draft: CaseDraft, problems: Problems, prefix: str = "") -> None:
    """Every problem of the draft that needs no database (``prefix``: e.g. ``problems[0].``)."""
    title = draft.title.strip()
    if not title or len(title) > 200:
        problems.bad(
            f"{prefix}title", "诉求摘要不能为空且不超过200字", "The title is 1 to 200 characters"
        )
    if draft.description is not None and len(draft.description) > MAX_TEXT:
        problems.bad(
            f"{prefix}description",
            "诉求内容不超过5000字",
            "The description is at most 5000 characters",
        )
    if not is_area_code(draft.area_code):
        problems.bad(f"{prefix}areaCode", "区划代码应为12位数字", "The area code must be 12 digits")
    given = [
        draft.requester_person_id is not None,
        bool(draft.requester_name or draft.requester_phone),
        draft.anonymous,
    ]
    if sum(given) != 1:
        problems.bad(
            f"{prefix}requester",
            "诉求人须为登记人员、姓名加电话或匿名三者之一",
            "The requester is one of: a registered person, a name and phone, or anonymous",
        )
    elif given[1]:
        name = (draft.requester_name or "").strip()
        if not name or len(name) > 50:
            problems.bad(
                f"{prefix}requester.name", "诉求人姓名须为1至50字", "The name is 1 to 50 characters"
            )
        if not draft.requester_phone:
            problems.bad(
                f"{prefix}requester.phone",
                "请填写诉求人联系电话",
                "A phone number is needed to reach the requester",
            )
        elif why := phone_problem(draft.requester_phone):
            problems.bad(f"{prefix}requester.phone", *why)
    if draft.received_at is not None:
        now = clock.now()
        if draft.received_at.tzinfo is None:
            problems.bad(
                f"{prefix}receivedAt", "受理时间须带时区", "receivedAt needs a time zone offset"
            )
        elif draft.received_at > now + timedelta(minutes=5):
            problems.bad(
                f"{prefix}receivedAt", "受理时间不能晚于现在", "receivedAt cannot be in the future"
            )
        elif draft.received_at < now - timedelta(days=activity_settings().case_backdate_days):
            days = activity_settings().case_backdate_days
            problems.bad(
                f"{prefix}receivedAt",
                f"只能补登{days}天内收到的诉求",
                f"Cases received more than {days} days ago cannot be logged",
            )


def case_data(row: asyncpg.Record) -> dict[str, Any]:
    """What every case event carries: the case's countable state, no personal data."""
    return {
        "caseId": str(row["id"]),
        "areaCode": row["area_code"],
        "organizationId": str(row["organization_id"]),
        "channel": row["channel"],
        "category": row["category"],
        "urgency": row["urgency"],
        "status": row["status"],
        "requesterKind": row["requester_kind"],
        "openedOn": row["opened_on"].isoformat(),
        "dueOn": row["due_on"].isoformat(),
        "limitWorkingDays": row["limit_days"],
        "escalated": row["escalated_at"] is not None,
        "escalatedTo": str(row["escalated_to"]) if row["escalated_to"] else None,
        "resolvedOn": row["resolved_on"].isoformat() if row["resolved_on"] else None,
        "workingDays": row["working_days"],
        "onTime": row["on_time"],
        "satisfaction": row["satisfaction"],
        "requesterReached": row["requester_reached"],
        "reopenCount": row["reopen_count"],
        "visitId": str(row["visit_id"]) if row["visit_id"] else None,
        "pairingId": str(row["pairing_id"]) if row["pairing_id"] else None,
    }


async def _publish(uow: UnitOfWork, verb: str, row: asyncpg.Record, **extra: Any) -> None:
    await uow.publish(f"{EVENT}case.{verb}.v1", str(row["id"]), {**case_data(row), **extra})


def _not_found(field: str = "id") -> Exception:
    return refuse(
        field,
        ErrorCode.NOT_FOUND,
        "诉求不存在或不在您的范围内",
        "The case does not exist or is outside your scope",
    )


async def _handler_problem(
    conn: Executor,
    caller: Caller,
    org_id: uuid.UUID,
    field: str,
    problems: Problems,
    *,
    own_request: bool,
) -> asyncpg.Record | None:
    """The organisation that is to handle a case, if the caller may give it one: known to this
    service, in the caller's area, not dissolved, and (for ORG_ADMIN) their own; a member's own
    request (``own_request``) may go to any organisation of their area."""
    ref = (await org_store.organization_refs(conn, [org_id])).get(org_id)
    if ref is None or not caller.can_see_area(ref["area_code"]):
        problems.add(
            field,
            ErrorCode.NOT_FOUND,
            "承办组织不存在或不在您的范围内",
            "The handling organisation does not exist or is outside your scope",
        )
        return None
    if ref["dissolved_on"] is not None:
        problems.add(
            field,
            ErrorCode.CONFLICT,
            "承办组织已撤销，不能再承办诉求",
            "That organisation has been dissolved and cannot handle cases",
        )
        return None
    reach = policy.reach(caller, Resource.CASES, Action.WRITE)
    if not own_request and not reach.admits_organization(org_id, ref["area_code"]):
        problems.add(
            field,
            ErrorCode.FORBIDDEN,
            "只能由本组织承办",
            "You may assign cases to your own organisation only",
        )
        return None
    return ref


async def open_case_in(
    uow: UnitOfWork,
    caller: Caller,
    draft: CaseDraft,
    *,
    visit_id: uuid.UUID | None = None,
    pairing_id: uuid.UUID | None = None,
    prefix: str = "",
) -> asyncpg.Record:
    """Open a case inside the caller's unit of work (a visit's problem opens one with the visit):
    every problem refused at once with its field (``prefix`` before each), nothing written."""
    problems = Problems()
    draft_problems(draft, problems, prefix)
    scopes = policy.scopes_of(caller, Resource.CASES, Action.WRITE)
    only_self = scopes == frozenset({Scope.SELF})
    if only_self and (
        draft.requester_person_id is None or draft.requester_person_id != caller.person_uuid
    ):
        problems.add(
            f"{prefix}requester",
            ErrorCode.FORBIDDEN,
            "只能以本人名义提交诉求",
            "You may open a case as yourself only",
        )
    if only_self and draft.channel is not Channel.ONLINE:
        problems.bad(
            f"{prefix}channel", "本人提交的诉求渠道为网上诉求", "Your own requests come ONLINE"
        )
    if is_area_code(draft.area_code) and not caller.can_see_area(draft.area_code):
        problems.add(
            f"{prefix}areaCode",
            ErrorCode.FORBIDDEN,
            "该区划不在您的管理范围内",
            "That area is outside your scope",
        )
    # The checks against the records run too: every problem of the input is told at once.
    conn = uow.conn
    category = await store.category(conn, draft.category)
    if category is None or not category["active"]:
        problems.bad(
            f"{prefix}category",
            "诉求类别不在目录中",
            "The category is not in the catalogue (see caseCategories)",
        )
    ref = await _handler_problem(
        conn,
        caller,
        draft.organization_id,
        f"{prefix}organizationId",
        problems,
        own_request=only_self,
    )
    if ref is not None and not ref["area_code"].startswith(draft.area_code[:6]):
        problems.bad(
            f"{prefix}organizationId",
            "承办组织须在诉求所在区县",
            "The handling organisation must be in the case's district",
        )
    if draft.requester_person_id is not None and (
        await people_store.person_area(conn, draft.requester_person_id) is None
    ):
        problems.add(
            f"{prefix}requester.personId",
            ErrorCode.NOT_FOUND,
            "诉求人不存在",
            "No such person",
        )
    problems.refuse()
    received = draft.received_at or clock.now()
    opened_on = received.astimezone(clock.zone()).date()
    limit = limit_days(draft.urgency)
    case_id = uuid.uuid4()
    protector = protector_of(uow.runtime) if draft.requester_name else None
    row = await store.insert_case(
        conn,
        {
            "id": case_id,
            "channel": draft.channel.value,
            "category": draft.category,
            "urgency": draft.urgency.value,
            "title": draft.title.strip(),
            "description": (draft.description or "").strip() or None,
            "area_code": draft.area_code,
            "organization_id": draft.organization_id,
            "requester_kind": draft.requester_kind.value,
            "requester_person_id": draft.requester_person_id,
            "requester_name_enc": protector.encrypt(
                (draft.requester_name or "").strip(), NAME_FIELD, case_id
            )
            if protector
            else None,
            "requester_phone_enc": protector.encrypt(
                draft.requester_phone or "", PHONE_FIELD, case_id
            )
            if protector and draft.requester_phone
            else None,
            "received_at": received,
            "opened_on": opened_on,
            "limit_days": limit,
            "due_on": calendar().add_working_days(opened_on, limit),
            "visit_id": visit_id,
            "pairing_id": pairing_id,
            "created_by": caller.subject,
        },
    )
    await store.add_step(
        conn,
        case_id,
        StepKind.OPENED,
        caller.subject,
        CaseStatus.OPEN,
        to_org=row["organization_id"],
    )
    await _publish(uow, "opened", row, receivedAt=received.isoformat())
    return row


async def open_case(runtime: Runtime, caller: Caller, draft: CaseDraft) -> asyncpg.Record:
    async with runtime.unit_of_work() as uow:
        return await open_case_in(uow, caller, draft)


def sees_case(caller: Caller, row: asyncpg.Record, action: Action = Action.READ) -> bool:
    """Whether the case lies within the caller's CASES reach (for ``action``)."""
    if not policy.allows(caller, Resource.CASES, action):
        return False
    reach = policy.reach(caller, Resource.CASES, action)
    if not caller.can_see_area(row["area_code"]):
        return False
    if reach.area:
        return True
    own = set(reach.own_orgs or ())
    if own and (row["organization_id"] in own or row["escalated_to"] in own):
        return True
    return reach.self_id is not None and row["requester_person_id"] == reach.self_id


async def _handled(uow: UnitOfWork, caller: Caller, case_id: uuid.UUID) -> asyncpg.Record:
    """The case, locked, if the caller handles it: NOT_FOUND when they cannot see it,
    FORBIDDEN when they may only follow it (its requester)."""
    row = await store.case_for_update(uow.conn, case_id)
    if row is None or not sees_case(caller, row):
        raise _not_found()
    reach = policy.reach(caller, Resource.CASES, Action.WRITE)
    own = set(reach.own_orgs or ())
    if not (reach.area or row["organization_id"] in own or row["escalated_to"] in own):
        raise refuse(
            "id",
            ErrorCode.FORBIDDEN,
            "只有承办组织或区划管理员可以办理诉求",
            "Only the handling organisation or the area's admins may do this",
        )
    return row


async def _move(
    uow: UnitOfWork,
    caller: Caller,
    row: asyncpg.Record,
    target: CaseStatus,
    step: StepKind,
    verb: str,
    changes: dict[str, Any],
    note: str | None = None,
    **extra: Any,
) -> asyncpg.Record:
    current = CaseStatus(row["status"])
    if not domain.can_move(current, target):
        zh, en = domain.ACTION_LABELS.get(target, ("办理", "moved"))
        zh, en = domain.refusal(current, zh, en)
        raise refuse("status", ErrorCode.CONFLICT, zh, en)
    updated = await store.update_case(uow.conn, row["id"], {"status": target.value, **changes})
    await store.add_step(uow.conn, row["id"], step, caller.subject, target, note=note)
    await _publish(uow, verb, updated, **extra)
    return updated


async def accept_case(runtime: Runtime, caller: Caller, case_id: uuid.UUID) -> asyncpg.Record:
    async with runtime.unit_of_work() as uow:
        row = await _handled(uow, caller, case_id)
        at = clock.now()
        return await _move(
            uow,
            caller,
            row,
            CaseStatus.ACCEPTED,
            StepKind.ACCEPTED,
            "accepted",
            {"accepted_at": at},
            acceptedAt=at.isoformat(),
        )


async def start_case(
    runtime: Runtime, caller: Caller, case_id: uuid.UUID, note: str | None
) -> asyncpg.Record:
    """Put an accepted case in progress (办理中), with what is being done."""
    note = _note(note, "note")
    async with runtime.unit_of_work() as uow:
        row = await _handled(uow, caller, case_id)
        at = clock.now()
        return await _move(
            uow,
            caller,
            row,
            CaseStatus.IN_PROGRESS,
            StepKind.STARTED,
            "started",
            {"started_at": at},
            note,
            startedAt=at.isoformat(),
        )


def _note(text: str | None, field: str) -> str | None:
    if text is not None and len(text) > MAX_TEXT:
        raise refuse(field, ErrorCode.BAD_USER_INPUT, "说明不超过5000字", "At most 5000 characters")
    return (text or "").strip() or None


async def transfer_case(
    runtime: Runtime, caller: Caller, case_id: uuid.UUID, to_org: uuid.UUID, reason: str
) -> asyncpg.Record:
    """Hand a case not yet resolved to another organisation, with a reason. The deadline stays
    (the requester's clock keeps running)."""
    reason = checked_reason(
        reason, "转办原因不能为空且不超过500字", "The reason must be 1 to 500 characters"
    )
    async with runtime.unit_of_work() as uow:
        row = await _handled(uow, caller, case_id)
        current = CaseStatus(row["status"])
        if current not in domain.PENDING:
            zh, en = domain.refusal(current, "转办", "transferred")
            raise refuse("status", ErrorCode.CONFLICT, zh, en)
        if to_org == row["organization_id"]:
            raise refuse(
                "toOrganizationId",
                ErrorCode.CONFLICT,
                "诉求已由该组织承办",
                "That organisation handles the case already",
            )
        problems = Problems()
        ref = await _transfer_target(uow.conn, caller, to_org, problems)
        problems.refuse()
        assert ref is not None
        changes: dict[str, Any] = {"organization_id": to_org}
        if row["escalated_at"] is not None:  # the new handler's superior follows it now
            changes["escalated_to"] = ref["parent_id"]
        updated = await store.update_case(uow.conn, case_id, changes)
        await store.add_step(
            uow.conn,
            case_id,
            StepKind.TRANSFERRED,
            caller.subject,
            current,
            from_org=row["organization_id"],
            to_org=to_org,
            note=reason,
        )
        await _publish(
            uow,
            "transferred",
            updated,
            fromOrganizationId=str(row["organization_id"]),
            transferredAt=clock.now().isoformat(),
        )
        return updated


async def _transfer_target(
    conn: Executor, caller: Caller, to_org: uuid.UUID, problems: Problems
) -> asyncpg.Record | None:
    """Any organisation of the caller's area may receive a case (an ORG_ADMIN passes it on to
    the one that can solve it), as long as it exists and is not dissolved."""
    ref = (await org_store.organization_refs(conn, [to_org])).get(to_org)
    if ref is None or not caller.can_see_area(ref["area_code"]):
        problems.add(
            "toOrganizationId",
            ErrorCode.NOT_FOUND,
            "接收组织不存在或不在您的范围内",
            "The receiving organisation does not exist or is outside your scope",
        )
        return None
    if ref["dissolved_on"] is not None:
        problems.add(
            "toOrganizationId",
            ErrorCode.CONFLICT,
            "接收组织已撤销，不能转办",
            "The receiving organisation has been dissolved",
        )
        return None
    return ref


async def resolve_case(
    runtime: Runtime, caller: Caller, case_id: uuid.UUID, resolution: str
) -> asyncpg.Record:
    """办结: what was done; the working days it took and whether that was within the limit."""
    resolution = resolution.strip()
    if not resolution or len(resolution) > MAX_TEXT:
        raise refuse(
            "resolution",
            ErrorCode.BAD_USER_INPUT,
            "办理结果不能为空且不超过5000字",
            "The resolution is 1 to 5000 characters",
        )
    async with runtime.unit_of_work() as uow:
        row = await _handled(uow, caller, case_id)
        at = clock.now()
        day = at.date()
        return await _move(
            uow,
            caller,
            row,
            CaseStatus.RESOLVED,
            StepKind.RESOLVED,
            "resolved",
            {
                "resolved_at": at,
                "resolved_on": day,
                "resolution": resolution,
                "working_days": calendar().working_days_between(row["opened_on"], day),
                "on_time": domain.on_time(row["due_on"], day),
            },
            resolution,
            resolvedAt=at.isoformat(),
        )


async def close_case(
    runtime: Runtime,
    caller: Caller,
    case_id: uuid.UUID,
    satisfaction: int | None,
    reached: bool,
    note: str | None,
) -> asyncpg.Record:
    """回访关闭: the requester's satisfaction 1–5, or ``reached=False`` (未联系上: no score)."""
    problems = Problems()
    if reached and satisfaction is None:
        problems.bad(
            "satisfaction",
            "回访联系上诉求人时须填写满意度（1至5）",
            "Give the requester's satisfaction (1 to 5) when they were reached",
        )
    if satisfaction is not None and satisfaction not in domain.SATISFACTION_RANGE:
        problems.bad("satisfaction", "满意度须为1至5", "Satisfaction is 1 to 5")
    if not reached and satisfaction is not None:
        problems.bad(
            "satisfaction",
            "未联系上诉求人时不能填写满意度",
            "No satisfaction when the requester was not reached",
        )
    problems.refuse()
    note = _note(note, "note")
    async with runtime.unit_of_work() as uow:
        row = await _handled(uow, caller, case_id)
        if row["requester_kind"] == RequesterKind.ANONYMOUS and reached:
            raise refuse(
                "requesterReached",
                ErrorCode.CONFLICT,
                "匿名诉求无法回访，请选择未联系上",
                "An anonymous requester cannot be reached: close it as not reached",
            )
        at = clock.now()
        return await _move(
            uow,
            caller,
            row,
            CaseStatus.CLOSED,
            StepKind.CLOSED,
            "closed",
            {"closed_at": at, "satisfaction": satisfaction, "requester_reached": reached},
            note,
            closedAt=at.isoformat(),
        )


async def reopen_case(
    runtime: Runtime, caller: Caller, case_id: uuid.UUID, reason: str
) -> asyncpg.Record:
    """Back to 办理中 within the reopen window after it was resolved; the deadline stays, the
    resolution's figures are taken back until it is resolved again."""
    reason = checked_reason(
        reason, "重新办理原因不能为空且不超过500字", "The reason must be 1 to 500 characters"
    )
    window = activity_settings().case_reopen_days
    async with runtime.unit_of_work() as uow:
        row = await _handled(uow, caller, case_id)
        current = CaseStatus(row["status"])
        if current in domain.PENDING:
            zh, en = domain.refusal(current, "重新办理", "reopened")
            raise refuse("status", ErrorCode.CONFLICT, zh, en)
        if row["resolved_on"] is not None and clock.today() > row["resolved_on"] + timedelta(
            days=window
        ):
            raise refuse(
                "status",
                ErrorCode.CONFLICT,
                f"办结已超过{window}天，不能重新办理，请登记新诉求",
                f"Resolved more than {window} days ago: open a new case instead",
            )
        return await _move(
            uow,
            caller,
            row,
            CaseStatus.IN_PROGRESS,
            StepKind.REOPENED,
            "reopened",
            {
                "reopen_count": row["reopen_count"] + 1,
                "resolved_at": None,
                "resolved_on": None,
                "working_days": None,
                "on_time": None,
                "closed_at": None,
                "satisfaction": None,
                "requester_reached": None,
            },
            reason,
            previousStatus=current.value,
            reopenedAt=clock.now().isoformat(),
        )


async def escalate_overdue(runtime: Runtime, batch: int = 200) -> int:
    """Escalate cases past their deadline that were not yet: to the handler's superior (its
    parent organisation, when this service knows one; the area's admins see them either way).
    One batch per transaction; replicas skip each other's rows. Returns how many."""
    today = clock.today()
    async with runtime.unit_of_work() as uow:
        rows = await store.overdue_unescalated(uow.conn, today, batch)
        if not rows:
            return 0
        refs = await org_store.organization_refs(
            uow.conn, list({r["organization_id"] for r in rows})
        )
        at = clock.now()
        for row in rows:
            ref = refs.get(row["organization_id"])
            superior = ref["parent_id"] if ref is not None else None
            updated = await store.update_case(
                uow.conn, row["id"], {"escalated_at": at, "escalated_to": superior}
            )
            await store.add_step(
                uow.conn,
                row["id"],
                StepKind.ESCALATED,
                SYSTEM,
                CaseStatus(row["status"]),
                from_org=row["organization_id"],
                to_org=superior,
            )
            await _publish(
                uow,
                "escalated",
                updated,
                escalatedAt=at.isoformat(),
                overdueWorkingDays=calendar().working_days_between(row["due_on"], today),
            )
        return len(rows)
