"""Short-lived signed links to one document (a certificate PDF, a bulletin XLSX).

A link is the credential: ``/files/<service>/<path>?expires=<unix>&sig=<hmac>``, where ``sig``
is HMAC-SHA256 (base64url, unpadded) of the path and the expiry under the service's
``FILES_SECRET``. It names one document and stops working at ``expires``, so it can sit in an
``<a href>`` with no token beside it. The frontend gets its absolute form (``PUBLIC_URL`` — the
gateway's public address — followed by the relative link) from a mutation; the gateway passes
``/files/<service>/…`` unchanged to that service, whose app (``gongjian_kit.app``) checks the
signature before any handler runs.

The signed text is the decoded path (as Starlette hands it to the route) and the expiry, so a
changed document name, service or expiry all break the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gongjian_kit.runtime import Runtime
from gongjian_kit.settings import ServiceSettings

# A document behind a signed link: (content, media type, download file name), or None (404).
FileHandler = Callable[[Runtime, str], Awaitable[tuple[bytes, str, str] | None]]

FILES_PREFIX = "/files/"
# Used only when ENVIRONMENT=development and FILES_SECRET is unset; production refuses to start
# a service that serves files without a secret of its own (gongjian_kit.app).
DEVELOPMENT_SECRET = b"gongjian-development-files-secret"
MIN_SECRET_LENGTH = 32
_MAX_EXPIRES_DIGITS = 12  # a unix time well past year 30000; longer is garbage


@dataclass(frozen=True)
class SignedLink:
    """A signed link: ``url`` absolute (on the gateway's public address), and when it expires."""

    url: str
    expires_at: datetime


def link_secret(settings: ServiceSettings) -> bytes:
    """The HMAC key of this service's links: ``FILES_SECRET``, or the development key."""
    if settings.files_secret:
        return settings.files_secret.encode()
    if settings.is_development:
        return DEVELOPMENT_SECRET
    raise RuntimeError("FILES_SECRET is not set: production cannot sign or check file links")


def _signature(secret: bytes, path: str, expires: int) -> str:
    message = f"{FILES_PREFIX}{path}\n{expires}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _check_path(path: str) -> None:
    segments = path.split("/")
    if len(segments) < 2 or any(s in {"", ".", ".."} for s in segments):
        raise ValueError(
            f"a file path is <service>/<document>, without empty or dot parts: {path!r}"
        )


def sign_path(secret: bytes, path: str, expires_at: datetime) -> str:
    """The relative link ``/files/<path>?expires=…&sig=…`` valid until ``expires_at``.

    ``path`` is ``<service>/<document path>`` (e.g. ``activities/certificates/GJ-2026-…``);
    non-ASCII characters are percent-encoded in the link and signed as text.
    """
    if not secret:
        raise ValueError("an empty secret signs nothing")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    _check_path(path)
    expires = int(expires_at.timestamp())
    return (
        f"{FILES_PREFIX}{quote(path, safe='/')}"
        f"?expires={expires}&sig={_signature(secret, path, expires)}"
    )


def verify(
    secret: bytes, path: str, expires: str | None, sig: str | None, *, now: datetime | None = None
) -> bool:
    """Whether a link to ``path`` with these ``expires`` and ``sig`` parameters is valid now.

    Refuses a missing or malformed parameter, an expired link and any change to the path, the
    expiry or the signature; the signature is compared in constant time.
    """
    if not secret or not expires or not sig:
        return False
    if not expires.isdecimal() or not expires.isascii() or len(expires) > _MAX_EXPIRES_DIGITS:
        return False
    moment = now or datetime.now(UTC)
    if int(expires) <= moment.timestamp():
        return False
    expected = _signature(secret, path, int(expires))
    return hmac.compare_digest(expected.encode(), sig.encode("utf-8", "replace"))


def file_link(
    settings: ServiceSettings, document: str, *, now: datetime | None = None
) -> SignedLink:
    """A link to this service's ``document`` (e.g. ``certificates/GJ-2026-…``) for a frontend.

    It lives ``FILES_LINK_TTL_S`` seconds from ``now`` and starts with ``PUBLIC_URL``.
    """
    expires_at = (now or datetime.now(UTC)) + timedelta(seconds=settings.files_link_ttl_s)
    relative = sign_path(link_secret(settings), f"{settings.service_name}/{document}", expires_at)
    return SignedLink(settings.public_url.rstrip("/") + relative, expires_at)


def content_disposition(filename: str) -> str:
    """``attachment`` naming ``filename`` (RFC 6266/5987), Chinese names included.

    Browsers that read ``filename*`` get the UTF-8 name; the plain ``filename`` keeps the ASCII
    characters for the rest.
    """
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


NO_STORE = {"Cache-Control": "private, no-store"}
LINK_REFUSED = {
    "code": "FORBIDDEN",
    "message": "下载链接无效或已过期，请重新获取 / The download link is invalid or has expired; "
    "ask for a new one",
}
FILE_NOT_FOUND = {"code": "NOT_FOUND", "message": "文件不存在 / No such file"}


def file_endpoint(
    runtime: Runtime, service: str, handlers: Mapping[str, FileHandler]
) -> Callable[[Request], Awaitable[Response]]:
    """``GET /files/<service>/<prefix><rest>``: check the signed link, then ask the handler.

    No token: the link is the credential, so it works in an ``<a href>``. Nothing is looked
    up before the signature holds, so a guessed name learns nothing, not even whether it exists.
    """
    secret = link_secret(runtime.settings)
    own = f"{service}/"

    async def serve_file(request: Request) -> Response:
        rest: str = request.path_params["rest"]
        query = request.query_params
        if not verify(secret, rest, query.get("expires"), query.get("sig")):
            return JSONResponse({"error": LINK_REFUSED}, status_code=403, headers=NO_STORE)
        found = None
        if rest.startswith(own):
            document = rest.removeprefix(own)
            for prefix, handler in handlers.items():
                if document.startswith(prefix) and len(document) > len(prefix):
                    found = await handler(runtime, document.removeprefix(prefix))
                    break
        if found is None:
            return JSONResponse({"error": FILE_NOT_FOUND}, status_code=404, headers=NO_STORE)
        content, media_type, filename = found
        return Response(
            content,
            media_type=media_type,
            headers={
                **NO_STORE,
                "Content-Disposition": content_disposition(filename),
                "X-Content-Type-Options": "nosniff",
            },
        )

    return serve_file
