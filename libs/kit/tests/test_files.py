"""Signed download links: one document, until they expire, and nothing once altered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
import strawberry

from gongjian_kit.app import ConfigurationError, ServiceDefinition, check_production_settings
from gongjian_kit.app import create_app as create_service_app
from gongjian_kit.events import EventCatalog
from gongjian_kit.files import (
    DEVELOPMENT_SECRET,
    content_disposition,
    file_link,
    link_secret,
    sign_path,
    verify,
)
from gongjian_kit.runtime import Runtime
from gongjian_kit.settings import ServiceSettings

SECRET = b"s" * 32
NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
PATH = "activities/certificates/GJ-2026-7K3Q9M2XPA"


def parts(link: str) -> tuple[str, str, str]:
    """(path after /files/, expires, sig) of a relative or absolute link."""
    split = urlsplit(link)
    query = parse_qs(split.query)
    return unquote(split.path.removeprefix("/files/")), query["expires"][0], query["sig"][0]


def test_a_signed_link_names_the_document_and_its_expiry():
    link = sign_path(SECRET, PATH, NOW + timedelta(minutes=10))
    assert link.startswith(f"/files/{PATH}?expires={int(NOW.timestamp()) + 600}&sig=")
    path, expires, sig = parts(link)
    assert verify(SECRET, path, expires, sig, now=NOW)
    assert "=" not in sig
    assert "+" not in sig
    assert "/" not in sig  # base64url, unpadded


def test_an_expired_link_is_refused():
    path, expires, sig = parts(sign_path(SECRET, PATH, NOW + timedelta(minutes=10)))
    assert verify(SECRET, path, expires, sig, now=NOW + timedelta(minutes=9, seconds=59))
    assert not verify(SECRET, path, expires, sig, now=NOW + timedelta(minutes=10))
    assert not verify(SECRET, path, expires, sig, now=NOW + timedelta(days=1))


def test_a_tampered_link_is_refused():
    path, expires, sig = parts(sign_path(SECRET, PATH, NOW + timedelta(minutes=10)))
    other = "activities/certificates/GJ-2026-AAAAAAAAAA"
    assert not verify(SECRET, other, expires, sig, now=NOW)  # another document
    assert not verify(SECRET, "evaluation/certificates/GJ-2026-7K3Q9M2XPA", expires, sig, now=NOW)
    assert not verify(SECRET, path, str(int(expires) + 3600), sig, now=NOW)  # a longer life
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    assert not verify(SECRET, path, expires, flipped, now=NOW)
    assert not verify(SECRET, path, expires, sig[:-1], now=NOW)
    assert not verify(b"t" * 32, path, expires, sig, now=NOW)  # another service's key


@pytest.mark.parametrize(
    ("expires", "sig"),
    [(None, "x"), ("", "x"), ("123", None), ("12a", "x"), ("١٢٣", "x"), ("9" * 13, "x")],
)
def test_missing_or_malformed_parameters_are_refused(expires, sig):
    assert not verify(SECRET, PATH, expires, sig, now=NOW)


def test_a_non_ascii_signature_is_refused_not_an_error():
    _, expires, _ = parts(sign_path(SECRET, PATH, NOW + timedelta(minutes=10)))
    assert not verify(SECRET, PATH, expires, "签名", now=NOW)


def test_chinese_document_names_are_encoded_in_the_link_and_signed_as_text():
    path = "evaluation/bulletins/2026年第一季度通报.xlsx"
    link = sign_path(SECRET, path, NOW + timedelta(minutes=10))
    assert link.isascii()
    assert parts(link)[0] == path
    assert verify(SECRET, *parts(link), now=NOW)


@pytest.mark.parametrize("path", ["", "activities", "activities/", "activities/../x", "/a/b"])
def test_a_path_must_name_a_service_and_a_document(path):
    with pytest.raises(ValueError, match="service"):
        sign_path(SECRET, path, NOW + timedelta(minutes=10))


def test_naive_expiry_and_empty_secret_are_refused():
    with pytest.raises(ValueError, match="timezone"):
        sign_path(SECRET, PATH, datetime(2026, 11, 1, 8, 10))
    with pytest.raises(ValueError, match="secret"):
        sign_path(b"", PATH, NOW)


def test_file_link_is_absolute_on_the_public_address_and_lives_the_ttl():
    settings = ServiceSettings(
        service_name="activities",
        files_secret="f" * 32,
        public_url="https://gongjian.example.gov.cn/",
        files_link_ttl_s=300,
    )
    link = file_link(settings, "certificates/GJ-2026-7K3Q9M2XPA", now=NOW)
    assert link.url.startswith(f"https://gongjian.example.gov.cn/files/{PATH}?expires=")
    assert link.expires_at == NOW + timedelta(seconds=300)
    assert verify(b"f" * 32, *parts(link.url), now=NOW + timedelta(seconds=299))
    assert not verify(b"f" * 32, *parts(link.url), now=NOW + timedelta(seconds=300))


def test_the_link_settings_have_defaults():
    settings = ServiceSettings(environment="development")
    assert settings.files_link_ttl_s == 600
    assert settings.public_url == "http://127.0.0.1:4000"
    assert link_secret(settings) == DEVELOPMENT_SECRET
    with pytest.raises(RuntimeError, match="FILES_SECRET"):
        link_secret(ServiceSettings(environment="production"))


def test_production_serving_files_needs_its_own_files_secret():
    base = {"environment": "production", "jwt_secret": "x", "gateway_secret": "g" * 32}
    check_production_settings(ServiceSettings(**base))  # serves no files: not needed
    with pytest.raises(ConfigurationError, match="FILES_SECRET"):
        check_production_settings(ServiceSettings(**base), serves_files=True)
    with pytest.raises(ConfigurationError, match="FILES_SECRET must be at least 32"):
        check_production_settings(ServiceSettings(**base, files_secret="short"), serves_files=True)
    check_production_settings(ServiceSettings(**base, files_secret="f" * 32), serves_files=True)


def test_content_disposition_carries_a_chinese_name():
    header = content_disposition("志愿服务时长证明-GJ-2026-7K3Q9M2XPA.pdf")
    assert header.startswith("attachment; ")
    assert "filename*=UTF-8''%E5%BF%97" in header
    assert 'filename="________-GJ-2026-7K3Q9M2XPA.pdf"' in header
    assert header.isascii()


# The route the kit mounts: a service with one file handler, without its database.


@strawberry.type
class Query:
    ping: bool = True


async def certificate(_: Runtime, rest: str) -> tuple[bytes, str, str] | None:
    if rest != "GJ-2026-7K3Q9M2XPA":
        return None
    return b"%PDF-1.7 stand-in", "application/pdf", f"志愿服务时长证明-{rest}.pdf"


def client_of(app: object) -> httpx.AsyncClient:
    # No lifespan (no database): only the /files route is asked.
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


@pytest.fixture
def client(tmp_path: Path) -> httpx.AsyncClient:
    definition = ServiceDefinition(
        name="activities",
        schema_factory=lambda _: strawberry.Schema(query=Query),
        migrations=tmp_path,
        catalog=EventCatalog(tmp_path, source="/test"),
        topics={},
        files={"certificates/": certificate},
    )
    settings = ServiceSettings(
        service_name="activities", environment="development", files_secret="f" * 32
    )
    return client_of(create_service_app(definition, settings))


def link_to(path: str, *, expires_at: datetime | None = None) -> str:
    expires_at = expires_at or datetime.now(UTC) + timedelta(minutes=10)
    return sign_path(b"f" * 32, path, expires_at)


async def test_the_service_serves_a_signed_link_as_an_attachment(client: httpx.AsyncClient):
    answer = await client.get(link_to(PATH))
    assert answer.status_code == 200
    assert answer.content == b"%PDF-1.7 stand-in"
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "private, no-store"
    assert "filename*=UTF-8''%E5%BF%97%E6%84%BF" in answer.headers["content-disposition"]


async def test_the_service_refuses_a_bad_link_before_looking(client: httpx.AsyncClient):
    good = link_to(PATH)
    for bad in (
        good.replace("GJ-2026-7K3Q9M2XPA", "GJ-2026-7K3Q9M2XPB"),
        good.split("&sig=")[0],
        good.replace("expires=", "expires=1"),
        link_to(PATH, expires_at=datetime.now(UTC) - timedelta(seconds=1)),
        f"/files/{PATH}",
    ):
        answer = await client.get(bad)
        assert answer.status_code == 403, bad
        assert answer.headers["cache-control"] == "private, no-store"
        message = answer.json()["error"]["message"]
        assert "链接无效或已过期" in message
        assert "expired" in message


async def test_an_unknown_document_or_prefix_is_not_found(client: httpx.AsyncClient):
    assert (
        await client.get(link_to("activities/certificates/GJ-2026-AAAAAAAAAA"))
    ).status_code == 404
    assert (await client.get(link_to("activities/bulletins/x.xlsx"))).status_code == 404
    # Signed by this key, but for another service: this one does not serve it.
    assert (
        await client.get(link_to("evaluation/certificates/GJ-2026-7K3Q9M2XPA"))
    ).status_code == 404


async def test_no_files_route_without_handlers(tmp_path: Path):
    definition = ServiceDefinition(
        name="organizations",
        schema_factory=lambda _: strawberry.Schema(query=Query),
        migrations=tmp_path,
        catalog=EventCatalog(tmp_path, source="/test"),
        topics={},
    )
    app = create_service_app(definition, ServiceSettings(environment="development"))
    assert (await client_of(app).get(link_to("organizations/x/y"))).status_code == 404
