"""Volunteer-hours certificates (志愿服务时长证明): issued by an organisation the caller keeps,
stating the verified and added hours of a period; the PDF is kept encrypted (it holds the
person's name) and handed out by a short-lived signed link; anyone may check a number."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from gongjian_activities.certificates.document import CertificateDocument, CertificateLine
from gongjian_activities.certificates.pdf import render_certificate
from gongjian_activities.settings import activity_settings
from gongjian_activities.store import activities as store
from gongjian_activities.store import participations as participation_store
from gongjian_activities.usecases.common import EVENT, refuse
from gongjian_kit import clock, policy
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ErrorCode
from gongjian_kit.files import SignedLink, file_link
from gongjian_kit.hardening import GATEWAY_HEADER
from gongjian_kit.personal_data import mask_name, protector_of
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime

NUMBER_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: read off paper
PDF_FIELD = "certificatePdf"
NAME_FIELD = "certificateName"

NAMES_QUERY = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Person { id name } ... on Organization { id name } } }"""


def new_number(year: int) -> str:
    return f"GJ-{year:04d}-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(10))


async def names_from_organizations(
    runtime: Runtime, authorization: str | None, person_id: uuid.UUID, org_ids: list[uuid.UUID]
) -> dict[str, str | None]:
    """The person's and the organisations' names, asked of the organizations service with the
    caller's own token: what the caller may not see, a certificate they issue cannot show."""
    representations = [{"__typename": "Person", "id": str(person_id)}] + [
        {"__typename": "Organization", "id": str(o)} for o in org_ids
    ]
    headers = {GATEWAY_HEADER: runtime.settings.gateway_secret}
    if authorization:
        headers["Authorization"] = authorization
    try:
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.post(
                activity_settings().organizations_url,
                json={"query": NAMES_QUERY, "variables": {"r": representations}},
                headers=headers,
            )
        body = response.json()
    except (httpx.HTTPError, json.JSONDecodeError) as exc:
        raise refuse(
            None,
            ErrorCode.INTERNAL,
            "暂时无法取得人员姓名，请稍后再试",
            "The person's name cannot be fetched now; try again shortly",
        ) from exc
    found: dict[str, str | None] = {}
    for entity in (body.get("data") or {}).get("_entities") or []:
        if isinstance(entity, dict) and entity.get("id"):
            found[str(entity["id"])] = entity.get("name")
    return found


@dataclass(frozen=True)
class Issued:
    row: asyncpg.Record
    link: SignedLink


async def issue_certificate(
    runtime: Runtime,
    caller: Caller,
    authorization: str | None,
    *,
    person_id: uuid.UUID,
    issuer_id: uuid.UUID,
    period_from: date,
    period_to: date,
) -> Issued:
    reach = policy.reach(caller, Resource.UPKEEP, Action.WRITE)
    today = clock.today()
    if period_from > period_to:
        raise refuse(
            "to", ErrorCode.BAD_USER_INPUT, "结束日期须不早于开始日期", "to must not be before from"
        )
    if period_to > today:
        raise refuse(
            "to", ErrorCode.BAD_USER_INPUT, "结束日期不能晚于今天", "to cannot be in the future"
        )
    issuer = (await store.organization_refs(runtime.db, [issuer_id])).get(issuer_id)
    if issuer is None or not caller.can_see_area(issuer["area_code"]):
        raise refuse(
            "issuerOrganizationId",
            ErrorCode.NOT_FOUND,
            "出具组织不存在或不在您的范围内",
            "The issuing organisation does not exist or is outside your scope",
        )
    if issuer["dissolved_on"] is not None or not reach.admits_organization(
        issuer_id, issuer["area_code"]
    ):
        raise refuse(
            "issuerOrganizationId",
            ErrorCode.FORBIDDEN,
            "只能以您管理的在册组织名义出具证明",
            "Certificates are issued in the name of an active organisation you keep",
        )
    lines = await participation_store.certificate_lines(
        runtime.db, person_id, period_from, period_to
    )
    total = sum((Decimal(r["hours"]) for r in lines), Decimal(0))
    if total <= 0:
        raise refuse(
            "personId",
            ErrorCode.CONFLICT,
            "该期间没有已核实或补录的志愿服务时长",
            "No verified or added hours in that period",
        )
    organizer_ids = sorted({o for r in lines for o in (r["organizer_ids"] or [])})
    names = await names_from_organizations(
        runtime, authorization, person_id, [issuer_id, *organizer_ids]
    )
    name = names.get(str(person_id))
    if not name:
        raise refuse(
            "personId",
            ErrorCode.NOT_FOUND,
            "人员不存在或您无权查看其姓名",
            "No such person, or you may not see their name",
        )
    issuer_name = names.get(str(issuer_id)) or issuer["name"] or ""
    issued_at = clock.now()
    number = new_number(issued_at.year)
    verification = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    document = CertificateDocument(
        number=number,
        verification_code=verification,
        person_name=name,
        period_from=period_from,
        period_to=period_to,
        issuer_name=issuer_name,
        issued_at=issued_at,
        total_hours=total,
        lines=tuple(
            CertificateLine(
                activity_title=r["title"],
                held_on=r["served_on"],
                organisers=tuple(names.get(str(o)) or "" for o in r["organizer_ids"] or []),
                hours=Decimal(r["hours"]),
            )
            for r in lines
        ),
    )
    pdf = await asyncio.to_thread(render_certificate, document)
    protector = protector_of(runtime)
    stated: list[dict[str, Any]] = [
        {
            "title": r["title"],
            "servedOn": r["served_on"].isoformat(),
            "hours": float(r["hours"]),
            "manual": r["manual"],
        }
        for r in lines
    ]
    async with runtime.unit_of_work() as uow:
        row = await uow.conn.fetchrow(
            "INSERT INTO volunteer_certificate (number, verification, person_id, name_enc, "
            "name_masked, issuer_id, issuer_name, period_from, period_to, total_hours, lines, "
            "pdf, issued_by, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
            "$11::jsonb, $12, $13, $14) RETURNING *",
            number,
            verification,
            person_id,
            protector.encrypt(name, NAME_FIELD, person_id),
            mask_name(name),
            issuer_id,
            issuer_name,
            period_from,
            period_to,
            total,
            json.dumps(stated, ensure_ascii=False),
            protector.encrypt_bytes(pdf, PDF_FIELD, person_id),
            caller.subject,
            issued_at,
        )
        assert row is not None
        await uow.publish(
            f"{EVENT}certificate.issued.v1",
            number,
            {
                "certificateNumber": number,
                "personId": str(person_id),
                "issuerOrganizationId": str(issuer_id),
                "areaCode": issuer["area_code"],
                "periodFrom": period_from.isoformat(),
                "periodTo": period_to.isoformat(),
                "totalHours": float(total),
            },
        )
    return Issued(row, file_link(runtime.settings, f"certificates/{number}"))


async def certificate_pdf(runtime: Runtime, number: str) -> tuple[bytes, str] | None:
    """The decrypted PDF and the number, for the signed-link download."""
    row = await runtime.db.fetchrow(
        "SELECT pdf, number, person_id FROM volunteer_certificate WHERE number = $1", number
    )
    if row is None:
        return None
    pdf = protector_of(runtime).decrypt_bytes(bytes(row["pdf"]), PDF_FIELD, row["person_id"])
    return pdf, row["number"]


async def find_certificate(runtime: Runtime, number: str) -> asyncpg.Record | None:
    return await runtime.db.fetchrow(
        "SELECT number, name_masked, issuer_name, period_from, period_to, total_hours, lines, "
        "issued_at FROM volunteer_certificate WHERE number = $1",
        number.strip().upper(),
    )
