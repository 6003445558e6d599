"""Awards (表彰) from published assessments: proposed by the area's admins, announced for a public
notice period (公示) during which anyone of the area may raise an objection (异议), conferred
once the period is over and every objection answered, or withdrawn with a reason.

Each step locks the award, checks its state, writes and raises its event in one transaction; a
refusal rolls everything back (no rows, no event). Events carry ids, codes, dates and counts:
never an objection's text, who raised it, or a withdrawal's reason.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from gongjian_evaluation.domain import awards as domain
from gongjian_evaluation.domain.assessments import AssessmentStatus
from gongjian_evaluation.domain.awards import AwardStatus, AwardTitle, Notice
from gongjian_evaluation.settings import evaluation_settings
from gongjian_evaluation.store import awards as store
from gongjian_evaluation.usecases.assessments import RefusedError, refuse
from gongjian_kit import clock, policy
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime, UnitOfWork
from gongjian_kit.workdays import work_calendar

EVENT = "gongjian.evaluation.award."
MAX_OBJECTION = 2000
MAX_REASON = 500


# Access ------------------------------------------------------------------------------------


def sees_award(caller: Caller, row: asyncpg.Record) -> bool:
    """The public notice is for the award's area: whoever reads its records (admins, assessors,
    members); an ORG_ADMIN, who reads its own organisations only, sees their awards."""
    if not policy.allows(caller, Resource.RECORDS) or not caller.can_see_area(row["area_code"]):
        return False
    reach = policy.reach(caller, Resource.RECORDS)
    return reach.area or row["subject_id"] in (reach.own_orgs or ())


def keeps_awards(caller: Caller, area_code: str) -> bool:
    """The admins of the award's area (ASSESSMENTS WRITE over the whole area)."""
    if not policy.allows(caller, Resource.ASSESSMENTS, Action.WRITE):
        return False
    reach = policy.reach(caller, Resource.ASSESSMENTS, Action.WRITE)
    return reach.area and caller.can_see_area(area_code)


def award_filter(
    caller: Caller, area_code: str | None, status: str | None = None, title: str | None = None
) -> store.AwardFilter:
    """The awards a caller's notice list holds: the area's, or an ORG_ADMIN's organisations'."""
    reach = policy.reach(caller, Resource.RECORDS)
    return store.AwardFilter(
        area_like=caller.scope_like(area_code),
        subjects=reach.organizations_only,
        status=status,
        title=title,
    )


def _not_found(field: str = "awardId") -> RefusedError:
    return refuse(
        field, ErrorCode.NOT_FOUND, "表彰不存在或不在您的范围内", "No such award in your scope"
    )


def _only_admins(field: str | None = None) -> RefusedError:
    return refuse(
        field,
        ErrorCode.FORBIDDEN,
        "只有该区划的管理员可以进行此操作",
        "Only the admins of the award's area may do this",
    )


async def _award(uow: UnitOfWork, caller: Caller, award_id: uuid.UUID) -> asyncpg.Record:
    """The award, locked, if the caller keeps it (sees it and administers its area)."""
    row = await store.award_for_update(uow.conn, award_id)
    if row is None or not sees_award(caller, row):
        raise _not_found()
    if not keeps_awards(caller, row["area_code"]):
        raise _only_admins()
    return row


def _moving(row: asyncpg.Record, target: AwardStatus) -> ApiError | None:
    current = AwardStatus(row["status"])
    if domain.can_move(current, target):
        return None
    zh, en = domain.refusal(current, *domain.ACTION_LABELS[target])
    return ApiError(ErrorCode.CONFLICT, zh, en, "status")


def notice_of(row: asyncpg.Record) -> Notice:
    return Notice(row["notice_from"], row["notice_until"])


def award_data(row: asyncpg.Record) -> dict[str, Any]:
    """What every award event carries (no text, no one who raised or decided anything)."""
    return {
        "awardId": str(row["id"]),
        "cycleId": str(row["cycle_id"]),
        "assessmentId": str(row["assessment_id"]),
        "subjectKind": row["subject_kind"],
        "subjectId": str(row["subject_id"]),
        "areaCode": row["area_code"],
        "title": row["title"],
        "status": row["status"],
        "noticeFrom": row["notice_from"].isoformat(),
        "noticeUntil": row["notice_until"].isoformat(),
        "objectionCount": row["objection_count"],
        "openObjections": row["open_objections"],
    }


def _text(value: str, field: str, most: int, zh: str, en: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= most:
        raise refuse(field, ErrorCode.BAD_USER_INPUT, zh, en)
    return value


# Steps -------------------------------------------------------------------------------------


async def propose_award(
    runtime: Runtime, caller: Caller, assessment_id: uuid.UUID, title: AwardTitle
) -> asyncpg.Record:
    """Propose ``title`` for the subject of a published assessment; the notice starts today."""
    async with runtime.unit_of_work() as uow:
        assessment = await store.assessment_to_award(uow.conn, assessment_id)
        if assessment is None or not caller.can_see_area(assessment["area_code"]):
            raise refuse(
                "assessmentId",
                ErrorCode.NOT_FOUND,
                "评议不存在或不在您的范围内",
                "The assessment does not exist or is outside your scope",
            )
        if not keeps_awards(caller, assessment["area_code"]):
            raise _only_admins("assessmentId")
        errors = []
        if assessment["status"] != AssessmentStatus.PUBLISHED:
            errors.append(
                ApiError(
                    ErrorCode.CONFLICT,
                    "评议结果公布后才能据以推荐表彰",
                    f"Awards are proposed from published results; this assessment is "
                    f"{assessment['status']}",
                    "assessmentId",
                )
            )
        if not domain.title_fits(title, assessment["subject_kind"]):
            errors.append(
                ApiError(
                    ErrorCode.BAD_USER_INPUT,
                    "先进集体授予组织，各标兵称号授予个人",
                    "先进集体 (ADVANCED_COLLECTIVE) is for organisations, the 标兵 titles for "
                    "people",
                    "title",
                )
            )
        if errors:
            raise RefusedError(errors)
        today = clock.today()
        notice = domain.notice_period(
            today, evaluation_settings().award_notice_working_days, work_calendar()
        )
        row = await store.insert_award(
            uow.conn,
            award_id=uuid.uuid4(),
            assessment=assessment,
            title=title.value,
            notice_from=notice.starts_on,
            notice_until=notice.last_day,
            by=caller.subject,
            at=clock.now(),
        )
        if row is None:
            raise refuse(
                "title",
                ErrorCode.CONFLICT,
                f"该评议已推荐“{domain.TITLE_LABELS[title]}”（未撤回），不能重复推荐",
                f"This assessment already has a {title.value} award that is not withdrawn",
            )
        await uow.publish(f"{EVENT}proposed.v1", str(row["id"]), award_data(row))
        return row


async def raise_objection(
    runtime: Runtime, caller: Caller, award_id: uuid.UUID, content: str
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """Anyone of the award's area objects during its notice period (the objection and the award)."""
    content = _text(
        content,
        "content",
        MAX_OBJECTION,
        f"异议内容为1至{MAX_OBJECTION}字",
        f"An objection is 1 to {MAX_OBJECTION} characters",
    )
    async with runtime.unit_of_work() as uow:
        award = await store.award_for_update(uow.conn, award_id)
        if award is None or not sees_award(caller, award):
            raise _not_found()
        if award["status"] != AwardStatus.PROPOSED:
            current = AwardStatus(award["status"])
            raise refuse(
                "status",
                ErrorCode.CONFLICT,
                f"该表彰当前为“{domain.STATUS_LABELS[current]}”，不再接受异议",
                f"The award is {current.value}: objections are taken while it is PROPOSED",
            )
        notice, today = notice_of(award), clock.today()
        if not notice.open_on(today):
            raise refuse(
                "awardId",
                ErrorCode.CONFLICT,
                f"公示期为{notice.starts_on}至{notice.last_day}，现已不在公示期内，不能提出异议",
                f"The notice ran from {notice.starts_on} to {notice.last_day}; objections are "
                "taken during the notice only",
            )
        objection, award = await store.insert_objection(
            uow.conn, uuid.uuid4(), award_id, content, caller.subject, clock.now()
        )
        await uow.publish(
            f"{EVENT}objection-raised.v1",
            str(award["id"]),
            {**award_data(award), "objectionId": str(objection["id"])},
        )
        return objection, award


async def answer_objection(
    runtime: Runtime, caller: Caller, objection_id: uuid.UUID, answer: str
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """The area's admins answer an objection, once (the objection and its award)."""
    answer = _text(
        answer,
        "answer",
        MAX_OBJECTION,
        f"答复为1至{MAX_OBJECTION}字",
        f"An answer is 1 to {MAX_OBJECTION} characters",
    )
    async with runtime.unit_of_work() as uow:
        found = await store.objection_by_id(uow.conn, objection_id)
        if found is None:
            raise refuse(
                "objectionId", ErrorCode.NOT_FOUND, "异议不存在", "No such objection in your scope"
            )
        # The award first, as every step on an award locks it before its objections.
        award = await store.award_for_update(uow.conn, found["award_id"])
        if award is None or not sees_award(caller, award):
            raise refuse(
                "objectionId", ErrorCode.NOT_FOUND, "异议不存在", "No such objection in your scope"
            )
        if not keeps_awards(caller, award["area_code"]):
            raise _only_admins("objectionId")
        answered = await store.answer_objection(
            uow.conn, objection_id, answer, caller.subject, clock.now()
        )
        if answered is None:
            raise refuse(
                "objectionId",
                ErrorCode.CONFLICT,
                "该异议已答复",
                "This objection has been answered already",
            )
        return answered


async def confer_award(runtime: Runtime, caller: Caller, award_id: uuid.UUID) -> asyncpg.Record:
    """Confer an award whose notice is over and whose every objection is answered."""
    async with runtime.unit_of_work() as uow:
        award = await _award(uow, caller, award_id)
        if (moving := _moving(award, AwardStatus.CONFERRED)) is not None:
            raise RefusedError([moving])
        notice, missing = notice_of(award), []
        if not notice.over_on(clock.today()):
            missing.append(
                ApiError(
                    ErrorCode.CONFLICT,
                    f"公示期至{notice.last_day}结束，{notice.confer_from}起方可授予",
                    f"The notice lasts until {notice.last_day}; the award may be conferred "
                    f"from {notice.confer_from}",
                    "noticeUntil",
                )
            )
        if award["open_objections"]:
            missing.append(
                ApiError(
                    ErrorCode.CONFLICT,
                    f"尚有{award['open_objections']}条异议未答复",
                    f"{award['open_objections']} objection(s) still to be answered",
                    "objections",
                )
            )
        if missing:
            raise RefusedError(missing)
        row = await store.confer(uow.conn, award_id, caller.subject, clock.now())
        await uow.publish(
            f"{EVENT}conferred.v1",
            str(row["id"]),
            {**award_data(row), "conferredOn": clock.today().isoformat()},
        )
        return row


async def withdraw_award(
    runtime: Runtime, caller: Caller, award_id: uuid.UUID, reason: str
) -> asyncpg.Record:
    """Withdraw a proposed award, with a reason (kept for the admins; not in the event)."""
    reason = _text(
        reason,
        "reason",
        MAX_REASON,
        f"撤回原因为1至{MAX_REASON}字",
        f"A reason is 1 to {MAX_REASON} characters",
    )
    async with runtime.unit_of_work() as uow:
        award = await _award(uow, caller, award_id)
        if (moving := _moving(award, AwardStatus.WITHDRAWN)) is not None:
            raise RefusedError([moving])
        row = await store.withdraw(uow.conn, award_id, reason, caller.subject, clock.now())
        await uow.publish(
            f"{EVENT}withdrawn.v1",
            str(row["id"]),
            {**award_data(row), "withdrawnOn": clock.today().isoformat()},
        )
        return row
