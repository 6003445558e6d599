import time

import jwt
import pytest

from gongjian_kit import policy
from gongjian_kit.auth import Caller, Role, TokenVerifier, issue_token
from gongjian_kit.errors import ApiError
from gongjian_kit.settings import ServiceSettings

SECRET = "test-secret-test-secret-test-secret"


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(ServiceSettings(jwt_secret=SECRET))


def test_a_dev_token_becomes_a_caller(verifier):
    token = issue_token(SECRET, subject="u1", roles=["COMMUNITY_ADMIN"], area="330106001002")
    caller = verifier.from_authorization(f"Bearer {token}")
    assert caller.subject == "u1"
    assert caller.roles == frozenset({Role.COMMUNITY_ADMIN})
    assert caller.area_like == "330106001002%"


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Bearer not.a.jwt"])
def test_missing_or_malformed_tokens_are_unauthenticated(verifier, header):
    with pytest.raises(ApiError) as caught:
        verifier.from_authorization(header)
    assert caught.value.code == "UNAUTHENTICATED"


def test_expired_and_foreign_tokens_are_refused(verifier):
    expired = jwt.encode(
        {"sub": "u", "area": "330106000000", "exp": int(time.time()) - 10, "iss": "gongjian"},
        SECRET,
        algorithm="HS256",
    )
    forged = issue_token(
        "another-secret-another-secret-xx", subject="u", roles=[], area="330106000000"
    )
    for token in (expired, forged):
        with pytest.raises(ApiError):
            verifier.verify(token)


def test_a_token_with_an_unknown_role_is_refused(verifier):
    token = jwt.encode(
        {
            "sub": "u",
            "area": "330106000000",
            "roles": ["ROOT"],
            "exp": int(time.time()) + 60,
            "iss": "gongjian",
        },
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(ApiError):
        verifier.verify(token)


def test_scope_checks_raise_forbidden():
    caller = Caller(subject="u", roles=frozenset({Role.STREET_ADMIN}), area="330106001000")
    caller.require_area("330106001003")
    with pytest.raises(ApiError) as caught:
        caller.require_area("330106002001")
    assert caught.value.code == "FORBIDDEN"
    subscriber = Caller(subject="s", roles=frozenset({Role.DATA_SUBSCRIBER}), area="330106000000")
    with pytest.raises(ApiError):
        policy.require(subscriber, policy.Resource.RECORDS)


def test_the_person_and_orgs_claims_are_read_as_ids(verifier):
    person, org = "12345678-1234-5678-1234-567812345678", "87654321-4321-8765-4321-876543218765"
    token = issue_token(
        SECRET,
        subject="m",
        roles=["MEMBER", "ORG_ADMIN"],
        area="330106001001",
        orgs=[org, "not-an-id"],
        person=person,
    )
    caller = verifier.verify(token)
    assert str(caller.person_uuid) == person
    assert [str(o) for o in caller.org_ids] == [org]
    assert caller.roles == {Role.MEMBER, Role.ORG_ADMIN}
    assert (
        verifier.verify(issue_token(SECRET, subject="x", roles=[], area="330106000000")).person_uuid
        is None
    )


def test_a_token_living_longer_than_the_cap_is_refused(verifier):
    week = issue_token(SECRET, subject="u", roles=[], area="330106000000", ttl_s=7 * 24 * 3600)
    with pytest.raises(ApiError) as caught:
        verifier.verify(week)
    assert caught.value.code == "UNAUTHENTICATED"
    no_iat = jwt.encode(
        {
            "sub": "u",
            "area": "330106000000",
            "exp": int(time.time()) + 30 * 3600,
            "iss": "gongjian",
        },
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(ApiError):
        verifier.verify(no_iat)
    day = issue_token(SECRET, subject="u", roles=[], area="330106000000", ttl_s=12 * 3600)
    caller = verifier.verify(day)
    assert caller.expires_at - time.time() == pytest.approx(12 * 3600, abs=5)


def test_a_verified_token_is_taken_again_until_it_expires() -> None:
    verifier = TokenVerifier(ServiceSettings(jwt_secret=SECRET))
    token = issue_token(
        SECRET, subject="again", roles=["STREET_ADMIN"], area="330106001000", ttl_s=1
    )
    first = verifier.verify(token)
    assert verifier.verify(token) is first  # not checked again
    time.sleep(1.1)
    with pytest.raises(ApiError):
        verifier.verify(token)  # past its exp: checked again, and refused
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(ApiError):
        verifier.verify(forged)  # another string: checked
