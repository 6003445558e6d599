"""No oracles: registering is not a way to learn which ID numbers or credit codes exist elsewhere,
every look-up and refused duplicate is audited with who, their roles, area and request, a burst
of them is refused, and `gongjian audit` prints the rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from gongjian_deploy import cli
from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.pytest_plugin import REGISTER_UNIT, District, token_for
from gongjian_deploy.stack import Stack
from gongjian_kit.auth import TokenVerifier
from gongjian_kit.runtime import Runtime
from gongjian_organizations.bulk.commands import service_runtime
from gongjian_organizations.bulk.runner import run_import
from gongjian_organizations.domain.people import id_check_char

pytestmark = pytest.mark.system

REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { field code message messageZh messageEn } } }"""
LOOKUP = "query($n: String!) { personByIdNumber(idNumber: $n) { id name } }"

_serials = iter(range(100, 999))


def resident_id(district: District, born: str = "19800101") -> str:
    first17 = f"{district.code[:6]}{born}{next(_serials):03d}"
    return first17 + id_check_char(first17)


def as_subject(district: District, role: str, area: str, subject: str) -> GraphQLClient:
    return GraphQLClient(district.url, token_for(district.stack, role, area, subject=subject))


async def audit_rows(stack: Stack, **where: str) -> list[asyncpg.Record]:
    (column, value), *_ = where.items()
    conn = await asyncpg.connect(stack.database("organizations"))
    try:
        return await conn.fetch(
            "SELECT actor, roles, area, request_id, person_id, unit_id, field, reason, detail "
            f"FROM personal_data_access WHERE {column}::text = $1 ORDER BY id",
            value,
        )
    finally:
        await conn.close()


@pytest.fixture
async def runtime(stack: Stack) -> AsyncIterator[Runtime]:
    async with service_runtime(stack.settings("organizations")) as found:
        yield found


async def test_a_duplicate_outside_the_scope_is_a_plain_conflict_and_audited(district: District):
    a, b = district.communities[0], district.communities[2]
    number = resident_id(district)
    first = district.admin.data(
        REGISTER, {"i": {"name": "张甲", "idNumber": number, "areaCode": a}}
    )
    person = first["registerPerson"]["person"]["id"]
    other = as_subject(district, "COMMUNITY_ADMIN", b, "oracle-admin-b")
    again = other.data(REGISTER, {"i": {"name": "张乙", "idNumber": number, "areaCode": b}})
    [error] = again["registerPerson"]["errors"]
    assert error["code"] == "CONFLICT"
    assert error["messageEn"] == "This ID number is already registered"
    assert person not in str(error)
    assert "张甲" not in str(error)
    # In scope (the district admin sees her), the conflict names her, as before.
    mine = district.admin.data(REGISTER, {"i": {"name": "张丙", "idNumber": number, "areaCode": a}})
    assert person in mine["registerPerson"]["errors"][0]["message"]
    rows = await audit_rows(district.stack, actor="oracle-admin-b")
    assert [(r["reason"], r["field"], r["detail"]) for r in rows] == [
        ("DUPLICATE_ID_NUMBER", "idNumber", "outside the caller's scope")
    ]
    assert str(rows[0]["person_id"]) == person
    assert rows[0]["roles"] == ["COMMUNITY_ADMIN"]
    assert rows[0]["area"] == b
    assert len(rows[0]["request_id"]) >= 32  # the gateway's id of the client request


async def test_every_lookup_by_id_number_is_audited_and_finds_only_whom_one_may_see(
    district: District,
):
    a, b = district.communities[0], district.communities[2]
    number = resident_id(district)
    district.admin.data(REGISTER, {"i": {"name": "李甲", "idNumber": number, "areaCode": a}})
    other = as_subject(district, "COMMUNITY_ADMIN", b, "oracle-lookup-b")
    missing = resident_id(district, "19810101")
    # Registered elsewhere, and never registered: the same answer.
    assert other.data(LOOKUP, {"n": number}) == {"personByIdNumber": None}
    assert other.data(LOOKUP, {"n": missing}) == {"personByIdNumber": None}
    mine = as_subject(district, "COMMUNITY_ADMIN", a, "oracle-lookup-a")
    assert mine.data(LOOKUP, {"n": number})["personByIdNumber"]["name"] == "李甲"
    rows = await audit_rows(district.stack, actor="oracle-lookup-b")
    assert [(r["reason"], r["detail"]) for r in rows] == [
        ("LOOKUP_BY_ID_NUMBER", "match"),
        ("LOOKUP_BY_ID_NUMBER", "no match"),
    ]
    assert rows[0]["request_id"] != rows[1]["request_id"]
    member = as_subject(district, "MEMBER", a, "oracle-member")
    refused = member.execute(LOOKUP, {"n": number})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_burst_of_probes_is_refused_and_the_refusal_tells_nothing(district: District):
    a = district.communities[0]
    prober = as_subject(district, "COMMUNITY_ADMIN", a, "oracle-burst")
    answered = 0
    while True:  # 30 at once (the default burst), then about one every 2 s
        body = prober.execute(LOOKUP, {"n": resident_id(district)})
        if body.get("errors"):
            break
        answered += 1
        assert answered < 60, "no look-up was refused"
    assert answered >= 30
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert " / " in body["errors"][0]["message"]
    # Now any registration is refused, whether its number exists or not.
    fresh = {"name": "王", "idNumber": resident_id(district), "areaCode": a}
    refused = prober.data(REGISTER, {"i": fresh})["registerPerson"]
    assert refused["errors"][0]["code"] == "RATE_LIMITED"
    assert refused["person"] is None
    rows = await audit_rows(district.stack, actor="oracle-burst")
    reasons = [r["reason"] for r in rows]
    assert reasons.count("LOOKUP_BY_ID_NUMBER") == answered
    assert reasons.count("RATE_LIMITED") == 2


async def test_a_duplicate_credit_code_outside_the_scope_names_no_unit(district: District):
    a, b = district.communities[0], district.communities[2]
    unit = district.unit(a, name="甲地某公司")
    code = district.admin.data("query($id: ID!) { unit(id: $id) { creditCode } }", {"id": unit})[
        "unit"
    ]["creditCode"]
    other = as_subject(district, "COMMUNITY_ADMIN", b, "oracle-units-b")
    refused = other.data(
        REGISTER_UNIT,
        {"i": {"name": "乙地某公司", "kind": "VILLAGE", "areaCode": b, "creditCode": code}},
    )["registerUnit"]
    assert refused["errors"][0]["code"] == "CONFLICT"
    assert unit not in refused["errors"][0]["message"]
    assert "甲地某公司" not in refused["errors"][0]["message"]
    rows = await audit_rows(district.stack, actor="oracle-units-b")
    assert [(r["reason"], str(r["unit_id"]), r["detail"]) for r in rows] == [
        ("DUPLICATE_CREDIT_CODE", unit, "outside the caller's scope")
    ]


async def test_the_importers_are_no_oracle_either_and_audit_what_they_refused(
    district: District, stack: Stack, runtime: Runtime, tmp_path: Path
):
    a, b = district.communities[0], district.communities[2]
    number = resident_id(district)
    district.admin.data(REGISTER, {"i": {"name": "赵甲", "idNumber": number, "areaCode": a}})
    unit = district.unit(a, name="赵地某公司")
    code = district.admin.data("query($id: ID!) { unit(id: $id) { creditCode } }", {"id": unit})[
        "unit"
    ]["creditCode"]
    caller = TokenVerifier(runtime.settings).verify(
        token_for(stack, "COMMUNITY_ADMIN", b, subject="oracle-importer-b")
    )
    people_file = tmp_path / "people.csv"
    people_file.write_text(f"姓名,公民身份号码,所在区划代码\n赵乙,{number},{b}\n", encoding="utf-8")
    result = await run_import(runtime, caller, "people", people_file)
    assert not result.committed
    [problem] = result.problems
    assert problem.en == "This ID number is already registered"
    units_file = tmp_path / "units.csv"
    units_file.write_text(
        f"单位名称,单位类型,统一社会信用代码,所在区划代码\n赵乙公司,村,{code},{b}\n",
        encoding="utf-8",
    )
    result = await run_import(runtime, caller, "units", units_file)
    [problem] = result.problems
    assert unit not in problem.en
    assert "赵地某公司" not in problem.zh
    # The imports rolled back; their audit rows did not.
    rows = await audit_rows(stack, actor="oracle-importer-b")
    assert [r["reason"] for r in rows] == ["DUPLICATE_ID_NUMBER", "DUPLICATE_CREDIT_CODE"]
    assert rows[0]["request_id"] == rows[1]["request_id"]  # one run of this process
    assert rows[0]["request_id"].startswith("run-")


def test_gongjian_audit_prints_the_rows_by_person_and_by_subject(
    district: District, capsys: pytest.CaptureFixture[str]
):
    a = district.communities[0]
    number = resident_id(district)
    person = district.admin.data(
        REGISTER, {"i": {"name": "钱甲", "idNumber": number, "areaCode": a, "phone": "13712345678"}}
    )["registerPerson"]["person"]["id"]
    reader = as_subject(district, "COMMUNITY_ADMIN", a, "oracle-reader")
    reader.data("query($id: ID!) { person(id: $id) { idNumber phone } }", {"id": person})
    url = ["--database-url", district.stack.database("organizations")]
    assert cli.main(["audit", "--person", person, *url]) == 0
    printed = capsys.readouterr().out
    assert "oracle-reader  [COMMUNITY_ADMIN @ " + a + "]" in printed
    assert "UNMASKED_READ idNumber" in printed
    assert "UNMASKED_READ phone" in printed
    assert number not in printed  # the audit holds who and what, never the value
    assert cli.main(["audit", "--subject", "oracle-reader", "--json", *url]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert '"reason": "UNMASKED_READ"' in lines[0]
    assert cli.main(["audit", "--person", "not-an-id", *url]) == 2


async def test_an_audit_row_carries_the_client_requests_id_from_the_gateway(district: District):
    a = district.communities[1]
    number = resident_id(district, "19790505")
    district.admin.data(REGISTER, {"i": {"name": "李乙", "idNumber": number, "areaCode": a}})
    token = token_for(district.stack, "COMMUNITY_ADMIN", a, subject="oracle-request-id")
    client = GraphQLClient(district.url, token, headers={"x-request-id": "ticket-20261127-0001"})
    assert client.data(LOOKUP, {"n": number})["personByIdNumber"]["name"] == "李乙"
    unnamed = GraphQLClient(district.url, token)
    assert unnamed.data(LOOKUP, {"n": number})["personByIdNumber"]["name"] == "李乙"
    rows = await audit_rows(district.stack, actor="oracle-request-id")
    assert rows[0]["request_id"] == "ticket-20261127-0001"
    # made by the gateway for a client that sent none
    assert rows[1]["request_id"] not in ("", rows[0]["request_id"])
    assert len(rows[1]["request_id"]) >= 32
