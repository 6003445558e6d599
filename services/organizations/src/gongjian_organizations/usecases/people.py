"""People (人员): register one or many (imports use the same rules), political status."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from gongjian_kit import clock, policy
from gongjian_kit.areas import is_area_code
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ErrorCode, rate_limited
from gongjian_kit.personal_data import (
    PersonalDataProtector,
    mask_phone,
    phone_problem,
    protector_of,
)
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime, UnitOfWork
from gongjian_organizations.domain.names import name_problem
from gongjian_organizations.domain.people import (
    Gender,
    PoliticalStatus,
    age_band,
    age_on,
    mask_id_number,
    parse_resident_id,
)
from gongjian_organizations.store import audit as audit_store
from gongjian_organizations.store import people as people_store
from gongjian_organizations.usecases import EVENT, Outcome, audit_trail, lookup_limiter

Problem = tuple[str, ErrorCode, str, str]  # field, code, Chinese, English
BAD = ErrorCode.BAD_USER_INPUT


@dataclass
class PersonInput:
    """One person as entered in a form or a row of an import file."""

    name: str
    id_number: str
    political_status: str = PoliticalStatus.MASSES.value
    phone: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    employer_unit_id: uuid.UUID | None = None
    area_code: str | None = None
    migrant_worker: bool = False


@dataclass
class ValidPerson:
    id: uuid.UUID
    name: str
    id_number: str
    gender: Gender
    birth_date: date
    political_status: PoliticalStatus
    phone: str | None
    employer_unit_id: uuid.UUID | None
    area_code: str | None
    migrant_worker: bool


def validate_person(
    person: PersonInput, today: date | None = None
) -> tuple[ValidPerson | None, list[Problem]]:
    """The rules every way in shares (API, import): no I/O. ``today``: the programme's day."""
    problems: list[Problem] = []
    name = person.name.strip()
    if problem := name_problem(person.name, "姓名", "name", 50):
        problems.append(("name", BAD, *problem))
    parsed, why = parse_resident_id(person.id_number, today)
    if why:
        problems.append(("idNumber", BAD, *why))
    try:
        status = PoliticalStatus(person.political_status)
    except ValueError:
        problems.append(("politicalStatus", BAD, "政治面貌无效", "Unknown political status"))
        status = PoliticalStatus.MASSES
    gender: Gender | None = None
    if person.gender is not None:
        try:
            gender = Gender(person.gender)
        except ValueError:
            problems.append(("gender", BAD, "性别无效", "Unknown gender"))
    phone = (person.phone or "").strip() or None
    if phone is not None and (why := phone_problem(phone)):
        problems.append(("phone", BAD, *why))
    if parsed is not None:
        if person.birth_date is not None and person.birth_date != parsed.birth_date:
            problems.append(
                (
                    "birthDate",
                    BAD,
                    "出生日期与公民身份号码不一致",
                    "The birth date does not agree with the ID number",
                )
            )
        if gender is not None and gender is not parsed.gender:
            problems.append(
                (
                    "gender",
                    BAD,
                    "性别与公民身份号码不一致",
                    "The gender does not agree with the ID number",
                )
            )
    if person.area_code is not None and not is_area_code(person.area_code):
        problems.append(
            ("areaCode", BAD, "区划代码应为12位数字", "The area code must be 12 digits")
        )
    if person.employer_unit_id is None and person.area_code is None:
        problems.append(
            ("areaCode", BAD, "请填写工作单位或所在区划", "Give the employer unit or the area")
        )
    if problems or parsed is None:
        return None, problems
    return ValidPerson(
        uuid.uuid4(),
        name,
        parsed.number,
        parsed.gender,
        parsed.birth_date,
        status,
        phone,
        person.employer_unit_id,
        person.area_code,
        person.migrant_worker,
    ), []


@dataclass
class Registration:
    """What a batch registration did: the people written, the rows refused (row index, problem)."""

    registered: list[ValidPerson] = field(default_factory=list)
    rejected: list[tuple[int, Problem]] = field(default_factory=list)


RATE_LIMITED_PROBLEM: Problem = (
    "idNumber",
    ErrorCode.RATE_LIMITED,
    "查重过于频繁，本行未处理，请稍后再试",
    "Too many duplicate probes in a short time: this row was not processed; try again later",
)


async def register_people(
    runtime: Runtime,
    caller: Caller,
    people: list[PersonInput],
    *,
    skip_invalid: bool = False,
    request_id: str | None = None,
) -> Registration:
    """Register people in one transaction: all or nothing unless ``skip_invalid``.

    An ID number already registered is a CONFLICT. It names the person only when the caller may
    see them; otherwise it is a plain CONFLICT, and it spends one of the caller's look-ups
    (``lookup_limiter``): once none is left, every later row is refused as RATE_LIMITED whatever
    it holds, so the refusals tell nothing of which numbers exist. Every refused duplicate and
    every refusal is audited (``store.audit``), outside the transaction.
    """
    policy.require(caller, Resource.PERSONAL, Action.WRITE)
    protector = protector_of(runtime)
    limiter = lookup_limiter(runtime)
    trail = audit_trail(caller, request_id, runtime)
    audit: list[audit_store.Entry] = []
    result = Registration()
    today = clock.today()  # one programme day for the whole batch
    valid = _checked(people, protector, today, result)
    limited = limiter.exhausted(caller.subject)
    refused_for_rate = 0
    async with runtime.unit_of_work() as uow:
        unit_ids = list({p.employer_unit_id for _, p, _ in valid if p.employer_unit_id})
        units = {
            r["id"]: r["area_code"]
            for r in await uow.conn.fetch(
                "SELECT id, area_code FROM unit WHERE id = ANY($1::uuid[]) AND area_code LIKE $2 "
                "AND closed_on IS NULL",
                unit_ids,
                caller.area_like,
            )
        }
        areas = {
            r["code"]
            for r in await uow.conn.fetch(
                "SELECT code FROM area WHERE code = ANY($1::text[])",
                list({p.area_code for _, p, _ in valid if p.area_code}),
            )
        }
        existing = await people_store.persons_by_hash(
            uow.conn, [d for _, _, d in valid], people_store.sight_of(caller)
        )
        accepted: list[tuple[ValidPerson, bytes]] = []
        for index, candidate, digest in valid:
            if limited:
                result.rejected.append((index, RATE_LIMITED_PROBLEM))
                refused_for_rate += 1
                continue
            problem = _placement_problem(candidate, units, areas, caller)
            if problem is None and digest in existing:
                problem, entry = _duplicate(*existing[digest])
                audit.append(entry)
                if entry.detail == OUTSIDE_SCOPE:
                    limiter.take(caller.subject)
                    # From the next row on, not this one: which row is the first refused must
                    # not depend on what that row holds.
                    limited = limiter.exhausted(caller.subject)
            if problem is not None:
                result.rejected.append((index, problem))
                continue
            candidate.area_code = (
                units[candidate.employer_unit_id]
                if candidate.employer_unit_id
                else candidate.area_code
            )
            accepted.append((candidate, digest))
        if not (result.rejected and not skip_invalid):
            await _insert(uow, protector, accepted, caller, today)
    if refused_for_rate:
        audit.append(
            audit_store.Entry(
                "idNumber",
                audit_store.Reason.RATE_LIMITED,
                detail=f"{refused_for_rate} registrations refused",
            )
        )
    await audit_store.record(runtime.db, trail, audit)
    if result.rejected and not skip_invalid:
        result.rejected.sort(key=lambda item: item[0])
        return result  # nothing written: the transaction committed empty
    result.registered = [p for p, _ in accepted]
    result.rejected.sort(key=lambda item: item[0])
    return result


OUTSIDE_SCOPE = "outside the caller's scope"


def _checked(
    people: list[PersonInput],
    protector: PersonalDataProtector,
    today: date,
    result: Registration,
) -> list[tuple[int, ValidPerson, bytes]]:
    """The entries that pass the rules, with their ID numbers' hashes; the others (and the
    second of two entries with one ID number) go to ``result.rejected``."""
    valid: list[tuple[int, ValidPerson, bytes]] = []
    seen: dict[bytes, int] = {}
    for index, person in enumerate(people):
        checked, problems = validate_person(person, today)
        result.rejected += [(index, p) for p in problems]
        if checked is None:
            continue
        digest = protector.lookup_hash(checked.id_number, "idNumber")
        if digest in seen:
            result.rejected.append(
                (
                    index,
                    (
                        "idNumber",
                        ErrorCode.CONFLICT,
                        f"与第{seen[digest] + 1}行的公民身份号码重复",
                        f"Same ID number as row {seen[digest] + 1}",
                    ),
                )
            )
            continue
        seen[digest] = index
        valid.append((index, checked, digest))
    return valid


def _duplicate(person_id: uuid.UUID, visible: bool) -> tuple[Problem, audit_store.Entry]:
    """The CONFLICT for an ID number already registered, and its audit entry: the person is
    named only to a caller who may see them."""
    reason = audit_store.Reason.DUPLICATE_ID_NUMBER
    if visible:
        return (
            "idNumber",
            ErrorCode.CONFLICT,
            f"该公民身份号码已登记（{person_id}）",
            f"This ID number is already registered ({person_id})",
        ), audit_store.Entry("idNumber", reason, person_id=person_id, detail="in scope")
    return (
        "idNumber",
        ErrorCode.CONFLICT,
        "该公民身份号码已登记",
        "This ID number is already registered",
    ), audit_store.Entry("idNumber", reason, person_id=person_id, detail=OUTSIDE_SCOPE)


async def _insert(
    uow: UnitOfWork,
    protector: PersonalDataProtector,
    accepted: list[tuple[ValidPerson, bytes]],
    caller: Caller,
    today: date,
) -> None:
    await people_store.insert_people(
        uow.conn,
        [
            (
                p.id,
                p.name,
                p.gender.value,
                p.birth_date,
                p.political_status.value,
                p.employer_unit_id,
                p.area_code,
                p.migrant_worker,
                digest,
                # bound to the person's id, made here (not by the database) for that
                protector.encrypt(p.id_number, "idNumber", p.id),
                mask_id_number(p.id_number),
                protector.encrypt(p.phone, "phone", p.id) if p.phone else None,
                mask_phone(p.phone) if p.phone else None,
            )
            for p, digest in accepted
        ],
        [(p.id, p.political_status.value, today, caller.subject) for p, _ in accepted],
    )
    await uow.publish_many(
        [
            (
                f"{EVENT}person.registered.v1",
                str(p.id),
                {
                    "personId": str(p.id),
                    "areaCode": p.area_code,
                    "politicalStatus": p.political_status.value,
                    "gender": p.gender.value,
                    "ageBand": age_band(age_on(p.birth_date, today)),
                    "migrantWorker": p.migrant_worker,
                    "employerUnitId": str(p.employer_unit_id) if p.employer_unit_id else None,
                },
            )
            for p, _ in accepted
        ]
    )


async def find_by_id_number(
    runtime: Runtime, caller: Caller, request_id: str | None, id_number: str
) -> uuid.UUID | None:
    """The person registered with this ID number (found by its keyed hash), for duplicate checks.

    Every look-up is audited, found or not; each spends one of the caller's look-ups, and once
    none is left the look-up is refused as RATE_LIMITED (audited too). Whether the caller may see
    the person found is the caller's view's business (``person_of``): a number registered
    outside their scope and one not registered at all look the same.
    """
    policy.require(caller, Resource.PERSONAL, Action.WRITE)
    trail = audit_trail(caller, request_id, runtime)
    if not lookup_limiter(runtime).take(caller.subject):
        await audit_store.record(
            runtime.db,
            trail,
            [audit_store.Entry("idNumber", audit_store.Reason.RATE_LIMITED, detail="look-up")],
        )
        raise rate_limited()
    parsed, _ = parse_resident_id(id_number, clock.today())
    found = None
    if parsed is not None:
        digest = protector_of(runtime).lookup_hash(parsed.number, "idNumber")
        found = await people_store.person_by_hash(runtime.db, digest)
    await audit_store.record(
        runtime.db,
        trail,
        [
            audit_store.Entry(
                "idNumber",
                audit_store.Reason.LOOKUP_BY_ID_NUMBER,
                person_id=found,
                detail="match" if found else "no match",
            )
        ],
    )
    return found


def _placement_problem(
    person: ValidPerson, units: dict[uuid.UUID, str], areas: set[str], caller: Caller
) -> Problem | None:
    if person.employer_unit_id is not None and person.employer_unit_id not in units:
        return (
            "employerUnitId",
            ErrorCode.NOT_FOUND,
            "工作单位不存在、已注销或不在您的范围内",
            "The employer unit does not exist, is closed or is outside your scope",
        )
    if person.employer_unit_id is None and person.area_code is not None:
        if person.area_code not in areas:
            return ("areaCode", ErrorCode.NOT_FOUND, "区划不存在", "The area does not exist")
        if not caller.can_see_area(person.area_code):
            return (
                "areaCode",
                ErrorCode.FORBIDDEN,
                "该区划不在您的管理范围内",
                "That area is outside your scope",
            )
    return None


async def change_political_status(
    runtime: Runtime, caller: Caller, person_id: uuid.UUID, status: PoliticalStatus, since: date
) -> Outcome:
    outcome = Outcome()
    policy.require(caller, Resource.PERSONAL, Action.WRITE)
    if not outcome.past_or_today("since", since, "日期", "date"):
        return outcome
    async with runtime.unit_of_work() as uow:
        person = await people_store.lock_person(uow.conn, person_id, caller.area_like)
        if person is None:
            outcome.not_found("personId", "人员", "person")
            return outcome
        if person["political_status"] == status.value:
            outcome.add(
                "status", ErrorCode.CONFLICT, "政治面貌未变化", "The political status is unchanged"
            )
            return outcome
        await people_store.change_status(uow.conn, person_id, status.value, since, caller.subject)
        await uow.publish(
            f"{EVENT}person.political-status-changed.v1",
            str(person_id),
            {
                "personId": str(person_id),
                "areaCode": person["area_code"],
                "from": person["political_status"],
                "to": status.value,
                "since": since.isoformat(),
            },
        )
        outcome.row = await people_store.lock_person(uow.conn, person_id, caller.area_like)
    return outcome
