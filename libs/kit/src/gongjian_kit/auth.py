"""Callers, their tokens and their scope (an area code and everything beneath it)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

import jwt

from gongjian_kit.areas import area_prefix, area_within, is_area_code
from gongjian_kit.errors import ApiError, ErrorCode, forbidden, unauthenticated
from gongjian_kit.settings import ServiceSettings


class Role(StrEnum):
    DISTRICT_ADMIN = "DISTRICT_ADMIN"
    STREET_ADMIN = "STREET_ADMIN"
    COMMUNITY_ADMIN = "COMMUNITY_ADMIN"
    ORG_ADMIN = "ORG_ADMIN"
    ASSESSOR = "ASSESSOR"
    MEMBER = "MEMBER"
    DATA_SUBSCRIBER = "DATA_SUBSCRIBER"


# What each role may do is gongjian_kit.policy's table, and nothing else's.


@dataclass(frozen=True)
class Caller:
    """Who is asking: the verified claims of their token."""

    subject: str
    roles: frozenset[Role]
    area: str
    orgs: frozenset[str] = field(default_factory=frozenset)
    person_id: str | None = None  # the caller's own person record (the token's person claim)
    token: str = field(default="", repr=False)
    expires_at: float = float("inf")  # the token's exp: a subscription ends there

    def seconds_left(self) -> float:
        """How long the token stays valid: what a subscription may still run."""
        return self.expires_at - time.time()

    @cached_property
    def org_ids(self) -> tuple[uuid.UUID, ...]:
        """The ``orgs`` claim as ids (a malformed entry names no organisation)."""
        return tuple(sorted({i for o in self.orgs if (i := _uuid_or_none(o)) is not None}))

    @cached_property
    def person_uuid(self) -> uuid.UUID | None:
        """The ``person`` claim as an id, or None."""
        return _uuid_or_none(self.person_id)

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def area_like(self) -> str:
        """A ``LIKE`` pattern for SQL: ``area_code LIKE $n`` keeps rows in this caller's area."""
        return area_prefix(self.area) + "%"

    def can_see_area(self, code: str) -> bool:
        return area_within(code, self.area)

    def require_area(self, code: str) -> None:
        if not self.can_see_area(code):
            raise forbidden()

    def checked_area(self, code: str, field: str = "areaCode") -> str:
        """A requested area code: well formed (else BAD_USER_INPUT) and in scope (else
        FORBIDDEN)."""
        if not is_area_code(code):
            raise ApiError(
                ErrorCode.BAD_USER_INPUT,
                "区划代码应为12位数字",
                "The area code must be 12 digits",
                field,
            )
        self.require_area(code)
        return code

    def scope_like(self, code: str | None = None, field: str = "areaCode") -> str:
        """The ``LIKE`` pattern for a requested area (default: the caller's own)."""
        if code is None:
            return self.area_like
        return area_prefix(self.checked_area(code, field)) + "%"


def _uuid_or_none(raw: object) -> uuid.UUID | None:
    if isinstance(raw, str) and raw.isascii():
        try:
            return uuid.UUID(raw)
        except ValueError:
            return None
    return None


def issue_token(
    secret: str,
    *,
    subject: str,
    roles: list[str],
    area: str,
    orgs: list[str] | None = None,
    person: str | None = None,
    ttl_s: int = 12 * 3600,
    issuer: str = "gongjian",
) -> str:
    """Sign an HS256 development token with the claims the services expect."""
    area_prefix(area)  # refuses a malformed code before anything is signed
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": roles,
        "area": area,
        "orgs": orgs or [],
        **({"person": person} if person else {}),
        "iat": now,
        "exp": now + ttl_s,
        "iss": issuer,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


class TokenVerifier:
    """Verifies tokens: HS256 with a shared secret locally, RS256/ES256 from a JWKS by setting."""

    # A token verified once is taken again without its signature checked for up to this long
    # (and never past its exp): the gateway forwards the caller's token with every subgraph call,
    # and checking it was 5-9 % of a subgraph's CPU on a dashboard (bench/dashboard.py). The bound
    # keeps a key withdrawn from the JWKS from being honoured for long.
    VERIFIED_FOR_S = 60.0
    VERIFIED_KEPT = 4096

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        self._verified: dict[str, tuple[float, Caller]] = {}

    def verify(self, token: str) -> Caller:
        now = time.time()
        kept = self._verified.get(token)
        if kept is not None and now < kept[0] and now < kept[1].expires_at:
            return kept[1]
        caller = self._verify(token)
        if len(self._verified) >= self.VERIFIED_KEPT:
            self._verified.clear()
        self._verified[token] = (now + self.VERIFIED_FOR_S, caller)
        return caller

    def _verify(self, token: str) -> Caller:
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
            else:
                key = self.settings.jwt_secret
                if not key:
                    raise unauthenticated()
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.settings.jwt_algorithm],
                audience=self.settings.jwt_audience or None,
                issuer=self.settings.jwt_issuer or None,
                options={"require": ["sub", "exp", "area"]},
            )
            roles = frozenset(Role(r) for r in claims.get("roles", []))
            area = str(claims["area"])
            area_prefix(area)
            expires_at = float(claims["exp"])
            issued_at = float(claims.get("iat", time.time()))
        except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
            raise unauthenticated() from exc
        if expires_at - issued_at > self.settings.jwt_max_lifetime_s + 60:  # 60 s of clock skew
            raise unauthenticated()
        return Caller(
            subject=str(claims["sub"]),
            roles=roles,
            area=area,
            orgs=frozenset(str(o) for o in claims.get("orgs", [])),
            person_id=str(claims["person"]) if claims.get("person") else None,
            token=token,
            expires_at=expires_at,
        )

    def from_authorization(self, header: str | None) -> Caller:
        """Verify an ``Authorization: Bearer …`` value."""
        if not header:
            raise unauthenticated()
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthenticated()
        return self.verify(token.strip())
