"""People and their personal data, leaders and groups, through the gateway."""

import asyncpg
import pytest

from gongjian_deploy.pytest_plugin import District
from gongjian_organizations.domain.people import id_check_char

pytestmark = pytest.mark.system

REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id name idNumber phone personalDataVisible gender birthDate age }
  errors { field code message } } }"""
PERSON = """query($id: ID!) { person(id: $id) { id name idNumber phone personalDataVisible
  politicalStatus politicalStatusHistory { status since } leagueOverage } }"""
APPOINT = """mutation($i: AppointLeaderInput!) { appointLeader(input: $i) {
  leader { id post postLabel termStart termEnd current } errors { field code } } }"""
MEMBER = """mutation($i: StartMembershipInput!) { startMembership(input: $i) {
  membership { id role } errors { field code } } }"""

_serial = iter(range(1000, 9999))


def resident_id(born: str = "19900307", female: bool = False, region: str = "330106") -> str:
    serial = next(_serial) % 1000
    sequence = f"{serial:03d}"
    if (int(sequence[-1]) % 2 == 0) != female:
        sequence = f"{(serial + 1) % 1000:03d}"
    first17 = f"{region}{born}{sequence}"
    return first17 + id_check_char(first17)


def register(district: District, area: str, **fields) -> dict:
    values = {"name": "张三", "idNumber": resident_id(), "areaCode": area, **fields}
    return district.admin.data(REGISTER, {"i": values})["registerPerson"]


async def audit_rows(district: District, person_id: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(district.stack.database("organizations"))
    try:
        rows = await conn.fetch(
            "SELECT actor, field FROM personal_data_access WHERE person_id = $1::uuid ORDER BY id",
            person_id,
        )
    finally:
        await conn.close()
    return [(r["actor"], r["field"]) for r in rows]


def test_an_invalid_id_number_is_refused_with_the_field_named(district: District):
    good = resident_id()
    bad_check = good[:17] + ("0" if good[-1] != "0" else "1")
    bad_date = "33010619901307001" + id_check_char("33010619901307001")  # month 13
    for number, reason in (
        (bad_check, "校验位"),
        ("33010619900307", "18位"),
        (bad_date, "出生日期"),
    ):
        result = register(district, district.communities[0], idNumber=number)
        assert result["person"] is None
        assert result["errors"][0]["field"] == "idNumber"
        assert reason in result["errors"][0]["message"], number
    mismatch = register(
        district,
        district.communities[0],
        idNumber=resident_id("19900307"),
        birthDate="1990-03-08",
        gender="FEMALE",
    )
    assert {e["field"] for e in mismatch["errors"]} == {"birthDate", "gender"}
    listed = district.admin.data(
        "query($a: String!) { people(areaCode: $a) { totalCount } }", {"a": district.communities[0]}
    )
    assert listed["people"]["totalCount"] == 0


def test_a_second_registration_of_the_same_id_number_is_a_conflict(district: District):
    number = resident_id()
    first = register(district, district.communities[0], idNumber=number)
    second = register(district, district.communities[1], idNumber=number.lower(), name="李四")
    assert second["person"] is None
    assert second["errors"][0]["code"] == "CONFLICT"
    assert first["person"]["id"] in second["errors"][0]["message"]
    found = district.admin.data(
        "query($n: String!) { personByIdNumber(idNumber: $n) { id } }", {"n": number}
    )
    assert found["personByIdNumber"] == {"id": first["person"]["id"]}


async def test_personal_data_is_masked_outside_the_area_and_unmasked_reads_are_audited(
    district: District,
):
    home, other = district.communities[0], district.communities[2]
    number = resident_id("19850612", female=True)
    person = register(district, home, idNumber=number, phone="13812345678", name="王芳")
    assert person["errors"] == []
    person_id = person["person"]["id"]
    # The district admin who registered her sees it all (and that read is audited).
    assert person["person"]["idNumber"] == number
    assert person["person"]["gender"] == "FEMALE"
    assert person["person"]["birthDate"] == "1985-06-12"

    union_unit = district.unit(other)
    union = district.organization(other, [union_unit], kind="TRADE_UNION")
    assert (
        district.admin.data(
            MEMBER, {"i": {"personId": person_id, "organizationId": union, "role": "会员"}}
        )["startMembership"]["errors"]
        == []
    )

    # The other community's admin keeps the union, so sees who its members are: her name and
    # role, and nothing else of her (she lives outside their area).
    theirs = district.client("COMMUNITY_ADMIN", other)
    members = theirs.data(
        """query($id: ID!) { organization(id: $id) { members { totalCount
      edges { node { role person { name idNumber phone personalDataVisible gender birthDate
      ageBand areaCode memberships { role } } } } } } }""",
        {"id": union},
    )["organization"]["members"]
    assert members["totalCount"] == 1
    seen = members["edges"][0]["node"]["person"]
    assert seen == {
        "name": "王芳",
        "idNumber": None,
        "phone": None,
        "personalDataVisible": False,
        "gender": None,
        "birthDate": None,
        "ageBand": None,
        "areaCode": None,
        "memberships": None,
    }
    # Looked up directly, she is the same to them: one policy, whatever the path.
    direct = theirs.data(PERSON, {"id": person_id})["person"]
    assert direct["name"] == "王芳"
    assert direct["idNumber"] is None
    assert direct["politicalStatusHistory"] is None

    # Her own community's admin sees her unmasked; each such read is written down.
    mine = district.client("COMMUNITY_ADMIN", home)
    full = mine.data(PERSON, {"id": person_id})["person"]
    assert full["idNumber"] == number
    assert full["phone"] == "13812345678"
    assert full["personalDataVisible"] is True
    # An assessor of the same area has no assessment of her: she is not shown at all.
    assessor = district.client("ASSESSOR", home)
    assert assessor.data(PERSON, {"id": person_id})["person"] is None

    reads = await audit_rows(district, person_id)
    assert ("test-community_admin", "idNumber") in reads
    assert ("test-community_admin", "phone") in reads
    assert all(actor != "test-assessor" for actor, _ in reads)


def test_leaders_terms_and_reelection_due(district: District):
    community = district.communities[1]
    unit = district.unit(community, partyMembers=5)
    branch = district.organization(community, [unit])
    union = district.organization(community, [unit], kind="TRADE_UNION")
    person = register(district, community)["person"]["id"]
    other = register(district, community, name="赵六")["person"]["id"]

    wrong = district.admin.data(
        APPOINT,
        {
            "i": {
                "organizationId": branch,
                "personId": person,
                "post": "CHAIR",
                "termStart": "2024-01-10",
            }
        },
    )
    assert wrong["appointLeader"]["errors"] == [{"field": "post", "code": "BAD_USER_INPUT"}]

    secretary = district.admin.data(
        APPOINT,
        {
            "i": {
                "organizationId": branch,
                "personId": person,
                "post": "SECRETARY",
                "termStart": "2024-01-10",
            }
        },
    )["appointLeader"]["leader"]
    assert secretary["postLabel"] == "书记"
    assert secretary["termEnd"] == "2027-01-10"  # a party branch's term is 3 years by default
    chair = district.admin.data(
        APPOINT,
        {
            "i": {
                "organizationId": union,
                "personId": other,
                "post": "CHAIR",
                "termStart": "2025-03-01",
            }
        },
    )["appointLeader"]["leader"]
    assert chair["termEnd"] == "2030-03-01"  # a union committee's term is 5 years

    due = """query($a: String!, $d: Int!) { organizationsDueForReelection(areaCode: $a,
      withinDays: $d) { totalCount edges { node { termEndsOn overdue organization { id } } } } }"""
    soon = district.admin.data(due, {"a": community, "d": 90})["organizationsDueForReelection"]
    assert [e["node"]["organization"]["id"] for e in soon["edges"]] == [branch]
    assert soon["edges"][0]["node"]["termEndsOn"] == "2027-01-10"
    later = district.admin.data(due, {"a": community, "d": 3650})["organizationsDueForReelection"]
    assert later["totalCount"] == 2

    ended = district.admin.data(
        """mutation($i: EndLeaderTermInput!) { endLeaderTerm(input: $i)
      { leader { current endedOn } errors { code } } }""",
        {"i": {"id": secretary["id"], "endedOn": "2026-11-01"}},
    )
    assert ended["endLeaderTerm"]["leader"] == {"current": False, "endedOn": "2026-11-01"}
    soon = district.admin.data(due, {"a": community, "d": 90})["organizationsDueForReelection"]
    assert soon["totalCount"] == 0


def test_groups_block_dissolution_and_league_members_past_28_are_flagged(district: District):
    community = district.communities[2]
    unit = district.unit(community, leagueMembers=5)
    league = district.organization(community, [unit], kind="YOUTH_LEAGUE")
    group = district.admin.data(
        """mutation($i: CreateGroupInput!) { createGroup(input: $i) {
      group { id kind kindLabel } errors { field code } } }""",
        {"i": {"organizationId": league, "name": "第一团小组"}},
    )
    assert group["createGroup"]["group"]["kindLabel"] == "团小组"
    refused = district.admin.data(
        "mutation($i: DissolveOrganizationInput!) { dissolveOrganization(input: $i) "
        "{ errors { field code message } } }",
        {"i": {"id": league, "dissolvedOn": "2026-10-01"}},
    )
    assert refused["dissolveOrganization"]["errors"][0]["code"] == "CONFLICT"
    assert "小组" in refused["dissolveOrganization"]["errors"][0]["message"]

    member = register(
        district, community, idNumber=resident_id("19900101"), politicalStatus="LEAGUE_MEMBER"
    )["person"]["id"]
    young = register(
        district, community, idNumber=resident_id("20030101"), politicalStatus="LEAGUE_MEMBER"
    )["person"]["id"]
    assert district.admin.data(PERSON, {"id": member})["person"]["leagueOverage"] is True
    assert district.admin.data(PERSON, {"id": young})["person"]["leagueOverage"] is False
    district.admin.data(
        APPOINT,
        {
            "i": {
                "organizationId": league,
                "personId": member,
                "post": "SECRETARY",
                "termStart": "2025-05-04",
            }
        },
    )
    assert district.admin.data(PERSON, {"id": member})["person"]["leagueOverage"] is False


def test_political_status_keeps_its_history(district: District):
    community = district.communities[3]
    person = register(district, community, politicalStatus="LEAGUE_MEMBER")["person"]["id"]
    change = """mutation($i: ChangePoliticalStatusInput!) { changePoliticalStatus(input: $i) {
      person { politicalStatus } errors { field code } } }"""
    result = district.admin.data(
        change,
        {"i": {"personId": person, "status": "PROBATIONARY_PARTY_MEMBER", "since": "2026-07-01"}},
    )
    assert (
        result["changePoliticalStatus"]["person"]["politicalStatus"] == "PROBATIONARY_PARTY_MEMBER"
    )
    history = district.admin.data(PERSON, {"id": person})["person"]["politicalStatusHistory"]
    assert sorted(h["status"] for h in history) == ["LEAGUE_MEMBER", "PROBATIONARY_PARTY_MEMBER"]
    assert {"status": "PROBATIONARY_PARTY_MEMBER", "since": "2026-07-01"} in history
    same = district.admin.data(
        change,
        {"i": {"personId": person, "status": "PROBATIONARY_PARTY_MEMBER", "since": "2026-08-01"}},
    )
    assert same["changePoliticalStatus"]["errors"] == [{"field": "status", "code": "CONFLICT"}]
