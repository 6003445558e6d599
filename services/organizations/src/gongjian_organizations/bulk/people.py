"""People (人员) files: columns, reading a row, writing through ``register_people``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from gongjian_kit.bulk import (
    Applied,
    BulkKind,
    Column,
    ImportContext,
    Mapped,
    Problem,
    RowProblem,
    SheetSpec,
    Written,
    cells,
    in_file_duplicates,
    write_rows,
)
from gongjian_kit.policy import Resource
from gongjian_organizations.bulk.lookups import units_by_credit_code
from gongjian_organizations.domain.people import (
    GENDER_LABELS,
    POLITICAL_STATUS_LABELS,
    PoliticalStatus,
)
from gongjian_organizations.usecases.people import PersonInput, register_people, validate_person

YES_NO = ("是", "否")
SPEC = SheetSpec(
    kind="people",
    title="人员",
    columns=(
        Column("name", "姓名", required=True, example="张三"),
        Column(
            "idNumber",
            "公民身份号码",
            required=True,
            text=True,
            note="18位，末位可为X",
            example="330106199001011234",
        ),
        Column(
            "gender",
            "性别",
            choices=tuple(GENDER_LABELS.values()),
            note="可不填：按公民身份号码确定；填写时须一致",
            example="男",
        ),
        Column(
            "birthDate",
            "出生日期",
            note="可不填：按公民身份号码确定；填写时须一致（YYYY-MM-DD）",
            example="1990-01-01",
        ),
        Column(
            "politicalStatus",
            "政治面貌",
            choices=tuple(POLITICAL_STATUS_LABELS.values()),
            note="不填为群众",
            example="中共党员",
        ),
        Column("phone", "手机号码", text=True, note="11位", example="13800000000"),
        Column(
            "employerCreditCode",
            "工作单位统一社会信用代码",
            text=True,
            note="工作单位须已登记；与“工作单位编号”填一项即可",
        ),
        Column("employerUnitId", "工作单位编号", note="系统中单位的编号（id）"),
        Column(
            "areaCode",
            "所在区划代码",
            text=True,
            note="12位统计用区划代码；无工作单位时必填，有工作单位时以单位所在区划为准",
            example="330106001001",
        ),
        Column("migrantWorker", "是否外来务工", choices=YES_NO, note="是 / 否，不填为否"),
    ),
)


@dataclass
class PersonDraft:
    person: PersonInput
    employer_credit_code: str | None
    employer_column: str  # the column the employer was given in (for the report)


def map_row(row: int, values: dict[str, Any]) -> Mapped[PersonDraft]:
    """Read one row; nothing is judged here that the use case's rules judge."""
    header = SPEC.header
    id_number, why_id = cells.code(values.get("idNumber"))
    phone, why_phone = cells.code(values.get("phone"))
    gender, why_gender = cells.choice(values.get("gender"), GENDER_LABELS)
    born, why_born = cells.day(values.get("birthDate"))
    status, why_status = cells.choice(values.get("politicalStatus"), POLITICAL_STATUS_LABELS)
    credit, why_credit = cells.code(values.get("employerCreditCode"))
    unit_id, why_unit = cells.identifier(values.get("employerUnitId"))
    area, why_area = cells.code(values.get("areaCode"))
    migrant, why_migrant = cells.yes_no(values.get("migrantWorker"))
    draft = PersonDraft(
        PersonInput(
            name=cells.text(values.get("name")),
            id_number=id_number,
            political_status=status or PoliticalStatus.MASSES.value,
            phone=phone or None,
            gender=gender,
            birth_date=born,
            employer_unit_id=unit_id,
            area_code=area or None,
            migrant_worker=migrant,
        ),
        credit or None,
        header("employerUnitId") if unit_id or not credit else header("employerCreditCode"),
    )
    mapped = Mapped(row, draft)
    for key, why in (
        ("idNumber", why_id),
        ("phone", why_phone),
        ("gender", why_gender),
        ("birthDate", why_born),
        ("politicalStatus", why_status),
        ("employerCreditCode", why_credit),
        ("employerUnitId", why_unit),
        ("areaCode", why_area),
        ("migrantWorker", why_migrant),
    ):
        mapped.flag(header(key), why)
    return mapped


async def _resolve_employers(ctx: ImportContext, rows: list[Mapped[PersonDraft]]) -> None:
    """Employer credit codes → unit ids: open units in the caller's scope."""
    wanted = {c for r in rows if (c := r.draft.employer_credit_code)}
    found = await units_by_credit_code(ctx.runtime.conn, wanted, ctx.caller.area_like)
    column = SPEC.header("employerCreditCode")
    for item in rows:
        code = item.draft.employer_credit_code
        if code is None:
            continue
        unit = found.get(code)
        if unit is None or unit.closed:
            item.problems.append(
                RowProblem(
                    item.row,
                    column,
                    f"统一社会信用代码为{code}的工作单位不存在、已注销或不在您的范围内",
                    f"No open unit with credit code {code} in your scope",
                )
            )
        elif item.draft.person.employer_unit_id not in {None, unit.id}:
            item.problems.append(
                RowProblem(
                    item.row,
                    column,
                    "工作单位统一社会信用代码与工作单位编号不是同一单位",
                    "The employer's credit code and id name different units",
                )
            )
        else:
            item.draft.person.employer_unit_id = unit.id


def _rule_problems(_: ImportContext, draft: PersonDraft) -> list[Problem]:
    """The use case's rules that need no database, for a row that will not reach it."""
    person = draft.person
    if draft.employer_credit_code and person.employer_unit_id is None:
        # An employer was named (and reported); do not also ask for one.
        person = replace(person, employer_unit_id=uuid.UUID(int=0))
    return validate_person(person)[1]


def _employer_header(draft: PersonDraft) -> dict[str, str]:
    """The employer is reported in the column it was given in."""
    return {"employerUnitId": draft.employer_column}


async def _register(ctx: ImportContext, drafts: list[PersonDraft]) -> Applied:
    result = await register_people(
        ctx.runtime, ctx.caller, [d.person for d in drafts], skip_invalid=ctx.skip_invalid
    )
    return Applied(len(result.registered), result.rejected)


async def write(ctx: ImportContext, rows: list[Mapped[PersonDraft]]) -> Written:
    in_file_duplicates(
        rows,
        lambda d: d.person.id_number.strip().upper(),
        SPEC.header("idNumber"),
        "公民身份号码",
        "ID number",
    )
    await _resolve_employers(ctx, rows)
    return await write_rows(
        ctx, rows, SPEC, _register, _rule_problems, extra_headers=_employer_header
    )


KIND = BulkKind(SPEC, "人员 people", map_row, write, writes=Resource.PERSONAL)
