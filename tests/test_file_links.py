"""Download links through the gateway: a signed link fetches one certificate PDF, nothing else.

The gateway passes GET /files/<service>/… on its public address to that service unchanged; the
service (``files={"certificates/": certificate_file}`` in the activities definition) checks the
signature.
"""

from __future__ import annotations

import io
import re
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote

import asyncpg
import httpx
import pytest
from pypdf import PdfReader

from gongjian_activities.app import definition as activities
from gongjian_activities.certificates.document import CertificateDocument, CertificateLine
from gongjian_activities.certificates.pdf import render_certificate
from gongjian_activities.usecases.certificates import PDF_FIELD
from gongjian_deploy.stack import Stack
from gongjian_kit.files import file_link, sign_path
from gongjian_kit.personal_data import PersonalDataProtector
from gongjian_kit.settings import ServiceSettings

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def public_url(stack: Stack) -> str:
    """The stack's gateway, whose activities service serves certificate files."""
    assert "certificates/" in activities.files
    return stack.public_url


@pytest.fixture(scope="module")
def settings(stack: Stack, public_url: str) -> ServiceSettings:
    return stack.settings("activities").model_copy(update={"public_url": public_url})


def certificate(number: str) -> CertificateDocument:
    return CertificateDocument(
        number=number,
        verification_code="8F3K2Q7M",
        person_name="张晓明",
        period_from=date(2026, 1, 1),
        period_to=date(2026, 12, 31),
        issuer_name="北山街道宝石社区党委",
        issued_at=datetime(2026, 12, 31, 10, 0, tzinfo=UTC),
        total_hours=Decimal("12.5"),
        lines=(
            CertificateLine(
                "宝石社区敬老助残志愿服务", date(2026, 3, 5), ("宝石社区党委",), Decimal("12.5")
            ),
        ),
    )


@pytest.fixture(scope="module")
async def stored_certificate(stack: Stack) -> tuple[str, bytes]:
    """A certificate PDF in the activities database, as issueVolunteerCertificate leaves it."""
    number = f"GJ-2026-{secrets.token_hex(5).upper()}"
    pdf = render_certificate(certificate(number))
    person = uuid.uuid4()
    # Kept encrypted, bound to the person, as issueVolunteerCertificate keeps it.
    sealed = PersonalDataProtector.from_settings(stack.settings("activities")).encrypt_bytes(
        pdf, PDF_FIELD, person
    )
    conn = await asyncpg.connect(stack.database("activities"))
    try:
        # What issueVolunteerCertificate stores; number, person and pdf are read for a download.
        await conn.execute(
            """
            INSERT INTO volunteer_certificate (number, verification, person_id, name_enc,
                name_masked, issuer_id, issuer_name, period_from, period_to, total_hours, lines,
                pdf, issued_by)
            VALUES ($1, '8F3K2Q7M', $3, '\\x00', '张*明', gen_random_uuid(),
                '北山街道宝石社区党委', '2026-01-01', '2026-12-31', 12.5, '[]', $2, 'test')
            """,
            number,
            sealed,
            person,
        )
    finally:
        await conn.close()
    return number, pdf


def test_a_signed_link_downloads_the_certificate_through_the_gateway(
    settings: ServiceSettings, public_url: str, stored_certificate: tuple[str, bytes]
):
    number, pdf = stored_certificate
    link = file_link(settings, f"certificates/{number}")
    assert link.url.startswith(f"{public_url}/files/activities/certificates/{number}?expires=")
    assert link.expires_at - datetime.now(UTC) <= timedelta(seconds=settings.files_link_ttl_s)

    answer = httpx.get(link.url, timeout=20)  # no token: the link is the credential
    assert answer.status_code == 200, answer.text
    assert answer.content == pdf
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "private, no-store"
    filename = quote(f"志愿服务时长证明-{number}.pdf", safe="")
    assert f"filename*=UTF-8''{filename}" in answer.headers["content-disposition"]
    assert answer.headers["content-disposition"].startswith("attachment;")
    text = re.sub(r"\s+", "", PdfReader(io.BytesIO(answer.content)).pages[0].extract_text())
    assert number in text
    assert "累计服务时长12.5小时" in text


def test_a_tampered_or_expired_link_is_refused_by_the_service_behind_the_gateway(
    settings: ServiceSettings, stored_certificate: tuple[str, bytes]
):
    number, _ = stored_certificate
    good = file_link(settings, f"certificates/{number}").url
    expired = settings.public_url + sign_path(
        settings.files_secret.encode(),
        f"activities/certificates/{number}",
        datetime.now(UTC) - timedelta(seconds=1),
    )
    forged = settings.public_url + sign_path(
        b"f" * 32, f"activities/certificates/{number}", datetime.now(UTC) + timedelta(minutes=5)
    )
    for bad in (
        good.replace(number, "GJ-2026-AAAAAAAAAA"),  # another document
        re.sub(r"expires=(\d+)", lambda m: f"expires={int(m[1]) + 86400}", good),  # longer life
        re.sub(r"sig=(.)", lambda m: "sig=" + ("A" if m[1] != "A" else "B"), good),
        good.split("?")[0],
        expired,
        forged,
    ):
        answer = httpx.get(bad, timeout=20)
        assert answer.status_code == 403, (bad, answer.text)
        assert "链接无效或已过期" in answer.json()["error"]["message"]
        assert answer.headers["cache-control"] == "private, no-store"


def test_a_valid_link_to_nothing_or_to_no_service_is_not_found(settings: ServiceSettings):
    missing = file_link(settings, "certificates/GJ-2026-0000000000").url
    assert httpx.get(missing, timeout=20).status_code == 404
    nowhere = settings.public_url + sign_path(
        settings.files_secret.encode(),
        "billing/invoices/1",
        datetime.now(UTC) + timedelta(minutes=5),
    )
    answer = httpx.get(nowhere, timeout=20)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "NOT_FOUND"


def test_files_are_download_only_and_graphql_still_answers(
    settings: ServiceSettings, public_url: str, stored_certificate: tuple[str, bytes]
):
    number, _ = stored_certificate
    link = file_link(settings, f"certificates/{number}").url
    assert httpx.post(link, content=b"x", timeout=20).status_code == 405
    answer = httpx.post(f"{public_url}/graphql", json={"query": "{ __typename }"}, timeout=20)
    assert answer.json() == {"data": {"__typename": "Query"}}
