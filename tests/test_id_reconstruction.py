"""An attacker with a token that may not see a person's ID number reads everything about that
person the gateway will give them, and counts the ID numbers consistent with it. They must be
left with at least a million.

The count is honest and strict:

* the region (the first six digits) is taken as known: the district's own code is the
  attacker's first guess, and usually right;
* the gender is taken as known (the name often tells it), which fixes the parity of the serial;
* every date, age, age band, political status, membership (a league branch means 14 to 28, a
  party branch at least 18 when joining) and its start day narrows the birth date;
* the characters of the ID number shown, if any, are matched exactly, the check character
  included, by counting every candidate.

The same counter, given what the old masks showed (the first three and last four characters, and
the birth date), finds a handful: the old leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.pytest_plugin import District, token_for
from gongjian_organizations.domain.people import ID_WEIGHTS, age_band, age_on, id_check_char

pytestmark = pytest.mark.system

REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { code } } }"""
MEMBER = """mutation($i: StartMembershipInput!) { startMembership(input: $i) {
  membership { id } errors { code } } }"""
PERSON = """id name gender genderLabel birthDate age ageBand politicalStatus areaCode migrantWorker
  idNumber phone leagueOverage personalDataVisible politicalStatusHistory { status since }
  employer { name areaCode } memberships { role since organization { kind areaCode } }"""
MILLION = 1_000_000
TODAY = date(2026, 6, 1)
EARLIEST = date(1900, 1, 1)


@dataclass
class Seen:
    """What an attacker gathered about one person."""

    fields: dict[str, Any] = field(default_factory=dict)
    member_of_kinds: set[str] = field(default_factory=set)  # organisations they belong to
    member_since: dict[str, list[str]] = field(default_factory=dict)  # kind → start days

    def add(self, person: dict[str, Any]) -> None:
        for key, value in person.items():
            if value is not None:
                self.fields[key] = value
        for membership in person.get("memberships") or []:
            kind = (membership.get("organization") or {}).get("kind")
            if kind:
                self.member_of(kind, membership.get("since"))

    def member_of(self, kind: str, since: str | None) -> None:
        self.member_of_kinds.add(kind)
        if since:
            self.member_since.setdefault(kind, []).append(since)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def birth_window(seen: Seen) -> tuple[date, date]:
    """The birth dates consistent with what was seen."""
    first, last = EARLIEST, TODAY
    fields = seen.fields
    if born := fields.get("birthDate"):
        day = date.fromisoformat(born)
        return day, day
    if (age := fields.get("age")) is not None:
        first = max(first, _years_before(TODAY, age + 1) + timedelta(days=1))
        last = min(last, _years_before(TODAY, age))
    if band := fields.get("ageBand"):
        low, high = {
            "<=28": (0, 28),
            "29-35": (29, 35),
            "36-50": (36, 50),
            "51-60": (51, 60),
            ">60": (61, 130),
        }[band]
        first = max(first, _years_before(TODAY, high + 1) + timedelta(days=1))
        last = min(last, _years_before(TODAY, low))
    league = "YOUTH_LEAGUE" in seen.member_of_kinds or fields.get("politicalStatus") == (
        "LEAGUE_MEMBER"
    )
    if league and not fields.get("leagueOverage"):
        first = max(first, _years_before(TODAY, 29) + timedelta(days=1))
        last = min(last, _years_before(TODAY, 14))
    for since in seen.member_since.get("YOUTH_LEAGUE", []):
        last = min(last, _years_before(date.fromisoformat(since), 14))
    for kind in ("PARTY_BRANCH", "PARTY_GENERAL_BRANCH", "PARTY_COMMITTEE"):
        for since in seen.member_since.get(kind, []):
            last = min(last, _years_before(date.fromisoformat(since), 18))
    for change in fields.get("politicalStatusHistory") or []:
        years = 14 if change["status"] == "LEAGUE_MEMBER" else 18
        if change["status"] != "MASSES":
            last = min(last, _years_before(date.fromisoformat(change["since"]), years))
    return first, last


def candidates(seen: Seen, region: str) -> int:
    """ID numbers consistent with what was seen, the region and the gender taken as known."""
    first, last = birth_window(seen)
    if first > last:
        return 0
    shown = seen.fields.get("idNumber") or ""
    known = {i: c for i, c in enumerate(shown) if c != "*"} if len(shown) == 18 else {}
    if any(region[i] != c for i, c in known.items() if i < 6):
        return 0  # the region guessed is not the one shown
    days = (last - first).days + 1
    # The serial's last digit is odd for men, even for women: 500 serials once the gender is
    # known, which the name usually tells.
    serials = [s for s in range(1000) if s % 2 == 0]
    if not known:
        return days * len(serials)
    serials = [
        s for s in serials if all(f"{s:03d}"[i - 14] == c for i, c in known.items() if 14 <= i < 17)
    ]
    tails = {
        s: sum(int(d) * w for d, w in zip(f"{s:03d}", ID_WEIGHTS[14:], strict=True))
        for s in serials
    }
    count = 0
    day = first
    while day <= last:
        body = f"{region}{day:%Y%m%d}"
        if all(body[i] == c for i, c in known.items() if i < 14):
            base = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=False))
            count += sum(
                1
                for s in serials
                if 17 not in known or "10X98765432"[(base + tails[s]) % 11] == known[17]
            )
        day += timedelta(days=1)
    return count


# The counter itself, on views it must judge rightly ---------------------------------------------


def _view(number: str, **fields: Any) -> Seen:
    seen = Seen()
    seen.add({"idNumber": number, **fields})
    return seen


NUMBER = "33010619980517102X"[:17] + id_check_char("33010619980517102")


def test_the_counter_finds_the_old_leak():
    """The old mask (first three, last four) and the birth date: the three hidden region digits
    and the check character leave about 90 numbers; the first guess is usually right."""
    old = _view(NUMBER[:3] + "*" * 11 + NUMBER[-4:], birthDate="1998-05-17")
    found = sum(
        candidates(old, f"{NUMBER[:3]}{r:03d}") for r in range(1000)
    )  # every region starting with the three shown
    assert 50 < found < 150
    assert candidates(_view(NUMBER, birthDate="1998-05-17"), NUMBER[:6]) == 1


def test_the_last_four_and_an_age_band_would_give_it_away():
    """Why no character is shown: the last four and the narrowest band leave a few hundred."""
    band = age_band(age_on(date(1998, 5, 17), TODAY))
    assert candidates(_view("*" * 14 + NUMBER[-4:], ageBand=band), NUMBER[:6]) < 2_000
    assert candidates(_view("*" * 14 + NUMBER[-4:]), NUMBER[:6]) < 10_000


@pytest.mark.parametrize("band", ["<=28", "29-35", "36-50", "51-60", ">60"])
def test_what_the_masks_show_leaves_more_than_a_million(band: str):
    """Those who see personal data but not the ID number (none in today's table): stars, the
    gender and an age band, for every band, even with a league membership."""
    seen = _view("*" * 18, ageBand=band, gender="FEMALE", areaCode="330106001001")
    assert candidates(seen, NUMBER[:6]) >= MILLION, band


# Through the gateway ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def target(stack) -> tuple[District, dict[str, str]]:
    """A young woman of community A, a league member in A, a member of a union in B, where B's
    admin keeps it (and so sees her name and role)."""
    district = District(stack)
    a, b = district.communities[0], district.communities[2]
    body = "330106" + "19980517" + "102"
    number = body + id_check_char(body)
    person = district.admin.data(
        REGISTER,
        {
            "i": {
                "name": "孙小红",
                "idNumber": number,
                "areaCode": a,
                "phone": "13612345678",
                "politicalStatus": "LEAGUE_MEMBER",
            }
        },
    )["registerPerson"]
    assert person["errors"] == []
    league = district.organization(a, [district.unit(a)], kind="YOUTH_LEAGUE")
    union = district.organization(b, [district.unit(b)], kind="TRADE_UNION")
    for org in (league, union):
        joined = district.admin.data(
            MEMBER, {"i": {"personId": person["person"]["id"], "organizationId": org}}
        )
        assert joined["startMembership"]["errors"] == []
    return district, {
        "id": person["person"]["id"],
        "number": number,
        "league": league,
        "union": union,
        "a": a,
        "b": b,
    }


def gather(client: GraphQLClient, target: dict[str, str], areas: list[str]) -> Seen:
    """Everything this caller can read about the target, by every way to her."""
    seen = Seen()
    found: list[dict[str, Any]] = []

    def keep(person: dict[str, Any] | None) -> None:
        if person and person.get("id") == target["id"]:
            found.append(person)

    body = client.execute(
        f"query($id: ID!) {{ person(id: $id) {{ {PERSON} }} }}", {"id": target["id"]}
    )
    keep((body.get("data") or {}).get("person"))
    for area in areas:
        body = client.execute(
            "query($a: String) { people(areaCode: $a, first: 100) { edges { node { "
            + PERSON
            + " } } } }",
            {"a": area},
        )
        for edge in ((body.get("data") or {}).get("people") or {}).get("edges", []):
            keep(edge["node"])
    for org in (target["league"], target["union"]):
        body = client.execute(
            f"""query($id: ID!) {{ organization(id: $id) {{ kind
              members(first: 100) {{ edges {{ node {{ role since person {{ {PERSON} }} }} }} }}
              leaders(currentOnly: false) {{ person {{ {PERSON} }} }} }} }}""",
            {"id": org},
        )
        organization = (body.get("data") or {}).get("organization")
        if not organization:
            continue
        for edge in organization["members"]["edges"]:
            if (edge["node"]["person"] or {}).get("id") == target["id"]:
                seen.member_of(organization["kind"], edge["node"]["since"])
                keep(edge["node"]["person"])
        for leader in organization["leaders"]:
            keep(leader["person"])
    for person in found:
        seen.add(person)
    return seen


@pytest.mark.parametrize(
    ("role", "where"),
    [
        ("COMMUNITY_ADMIN", "b"),  # keeps her union: sees her name and role
        ("STREET_ADMIN", "b"),
        ("ASSESSOR", "a"),
        ("MEMBER", "a"),
        ("ORG_ADMIN", "a"),  # of another organisation
        ("DATA_SUBSCRIBER", "a"),
    ],
)
def test_no_caller_who_may_not_see_her_id_number_can_narrow_it_below_a_million(
    target: tuple[District, dict[str, str]], role: str, where: str
):
    district, her = target
    area = her[where] if role != "STREET_ADMIN" else her[where][:9] + "000"
    orgs = (
        [district.organization(her["a"], [district.unit(her["a"])])]
        if role == "ORG_ADMIN"
        else None
    )
    client = GraphQLClient(district.url, token_for(district.stack, role, area, orgs))
    seen = gather(client, her, [area, district.code, her["a"], her["b"]])
    assert her["number"] not in str(seen.fields)
    assert candidates(seen, her["number"][:6]) >= MILLION, (role, seen)


def test_those_who_may_see_it_do(target: tuple[District, dict[str, str]]):
    district, her = target
    client = GraphQLClient(district.url, token_for(district.stack, "COMMUNITY_ADMIN", her["a"]))
    seen = gather(client, her, [her["a"]])
    assert seen.fields["idNumber"] == her["number"]
    assert candidates(seen, her["number"][:6]) == 1
