"""Issue 10, schemes, end to end through the gateway: a district copies the shipped 五个好, fails
to save weights that do not add up (every problem typed, nothing changed), saves good ones, and
the shipped default stays as it was."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gongjian_deploy.pytest_plugin import District
from gongjian_deploy.stack import Stack

pytestmark = pytest.mark.integration

ERRORS = "errors { field code message messageZh messageEn }"
SCHEME = """id code name kind kindLabel areaCode isDefault basedOnId version
  dimensions { code label labelEn weight indicators { code label labelEn kind kindLabel weight
    metric { code label unit numerator denominator subject }
    curve { shape floor target cap explanation explanationEn } guidance guidanceEn } }"""
LIST = f"""query($k: SchemeKind, $a: String) {{ schemes(kind: $k, areaCode: $a) {{
  totalCount edges {{ node {{ {SCHEME} }} }} }} }}"""
ONE = f"query($id: ID!) {{ scheme(id: $id) {{ {SCHEME} }} }}"
COPY = f"""mutation($i: CopySchemeInput!) {{ copyScheme(input: $i) {{
  scheme {{ {SCHEME} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($i: UpdateSchemeInput!) {{ updateScheme(input: $i) {{
  scheme {{ {SCHEME} }} {ERRORS} }} }}"""


def as_input(scheme: dict[str, Any]) -> list[dict[str, Any]]:
    """A scheme's dimensions as updateScheme takes them."""
    return [
        {
            "code": d["code"],
            "label": d["label"],
            "labelEn": d["labelEn"],
            "weight": d["weight"],
            "indicators": [
                {
                    "code": i["code"],
                    "label": i["label"],
                    "labelEn": i["labelEn"],
                    "kind": i["kind"],
                    "weight": i["weight"],
                    "metric": i["metric"]["code"] if i["metric"] else None,
                    "curve": {k: i["curve"][k] for k in ("floor", "target", "cap")}
                    if i["curve"]
                    else None,
                    "guidance": i["guidance"],
                    "guidanceEn": i["guidanceEn"],
                }
                for i in d["indicators"]
            ],
        }
        for d in scheme["dimensions"]
    ]


def the_default(district: District, kind: str) -> dict[str, Any]:
    edges = district.admin.data(LIST, {"k": kind})["schemes"]["edges"]
    [default] = [e["node"] for e in edges if e["node"]["isDefault"]]
    return default


def test_the_shipped_schemes_explain_their_indicators(district: District):
    five_goods = the_default(district, "COLLECTIVE")
    assert five_goods["name"] == "五个好"
    assert [d["label"] for d in five_goods["dimensions"]] == [
        "领导班子好",
        "队伍建设好",
        "工作机制好",
        "工作业绩好",
        "群众反映好",
    ]
    assert sum(d["weight"] for d in five_goods["dimensions"]) == 100
    indicators = {i["code"]: i for d in five_goods["dimensions"] for i in d["indicators"]}
    resolved = indicators["cases_resolved"]
    assert resolved["kind"] == "MEASURED"
    assert resolved["metric"]["code"] == "case_resolution_rate"
    assert resolved["metric"]["label"]
    assert resolved["metric"]["subject"] == "ORGANIZATION"
    assert resolved["curve"]["explanation"].startswith("线性：≤0.6 得0分，≥0.95 得100分")
    review = indicators["member_review"]
    assert review["kind"] == "SCORED"
    assert review["metric"] is None
    assert review["guidance"]
    five_models = the_default(district, "INDIVIDUAL")
    assert five_models["name"] == "五标兵"
    assert {
        i["metric"]["subject"]
        for d in five_models["dimensions"]
        for i in d["indicators"]
        if i["metric"]
    } == {"PERSON"}
    # Anyone who reads figures reads the schemes, a data subscriber too.
    subscriber = district.client("DATA_SUBSCRIBER", district.code)
    assert subscriber.data(ONE, {"id": five_goods["id"]})["scheme"] == five_goods


def test_a_district_copies_the_five_goods_and_adjusts_its_copy(stack: Stack, district: District):
    default = the_default(district, "COLLECTIVE")
    made = district.admin.data(
        COPY, {"i": {"schemeId": default["id"], "name": "本区五个好", "areaCode": district.code}}
    )["copyScheme"]
    assert made["errors"] == []
    own = made["scheme"]
    assert own["areaCode"] == district.code
    assert own["basedOnId"] == default["id"]
    assert (own["isDefault"], own["version"], own["code"]) == (False, 1, "FIVE_GOODS")
    assert own["dimensions"] == default["dimensions"]

    # The same name twice in a district is a conflict.
    again = district.admin.data(
        COPY, {"i": {"schemeId": default["id"], "name": "本区五个好", "areaCode": district.code}}
    )["copyScheme"]
    assert (again["scheme"], [(e["field"], e["code"]) for e in again["errors"]]) == (
        None,
        [("name", "CONFLICT")],
    )

    # Weights that do not add up, a weight of 0, an unknown metric and a falling curve: every
    # problem told at once, with its field, and nothing changed.
    bad = as_input(own)
    bad[1]["weight"] = 25
    bad[2]["indicators"][0]["weight"] = 0
    bad[3]["indicators"][0]["metric"] = "no_such_metric"
    bad[3]["indicators"][1]["curve"] = {"floor": 0.9, "target": 0.5, "cap": 100}
    refused = district.admin.data(UPDATE, {"i": {"id": own["id"], "dimensions": bad}})[
        "updateScheme"
    ]
    assert refused["scheme"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("dimensions", "BAD_USER_INPUT"),
        ("dimensions[2].indicators[0].weight", "BAD_USER_INPUT"),
        ("dimensions[2].indicators", "BAD_USER_INPUT"),
        ("dimensions[3].indicators[0].metric", "BAD_USER_INPUT"),
        ("dimensions[3].indicators[1].curve.target", "BAD_USER_INPUT"),
    ]
    assert all(e["messageZh"] and e["messageEn"] for e in refused["errors"])
    assert district.admin.data(ONE, {"id": own["id"]})["scheme"] == own

    # Good weights: 群众反映好 counts more, 工作业绩好 less; a stricter curve; a new name.
    good = as_input(own)
    good[3]["weight"] = 10
    good[4]["weight"] = 30
    good[3]["indicators"][1]["curve"] = {"floor": 0.7, "target": 0.98, "cap": 100}
    saved = district.admin.data(
        UPDATE, {"i": {"id": own["id"], "name": "本区五个好（2026）", "dimensions": good}}
    )["updateScheme"]
    assert saved["errors"] == []
    after = saved["scheme"]
    assert (after["name"], after["version"]) == ("本区五个好（2026）", 2)
    assert [d["weight"] for d in after["dimensions"]] == [20, 20, 20, 10, 30]
    curve = after["dimensions"][3]["indicators"][1]["curve"]
    assert (curve["floor"], curve["target"]) == (0.7, 0.98)
    assert curve["explanation"].startswith("线性：≤0.7 得0分，≥0.98 得100分")
    assert district.admin.data(ONE, {"id": own["id"]})["scheme"] == after

    # The shipped default is read-only and stayed as it was.
    conflict = district.admin.data(UPDATE, {"i": {"id": default["id"], "dimensions": good}})[
        "updateScheme"
    ]
    assert [(e["field"], e["code"]) for e in conflict["errors"]] == [("id", "CONFLICT")]
    assert district.admin.data(ONE, {"id": default["id"]})["scheme"] == default

    # The district's streets use the copy; another district does not see it.
    street_admin = district.client("STREET_ADMIN", district.streets[0])
    listed = street_admin.data(LIST, {"k": "COLLECTIVE"})["schemes"]["edges"]
    assert {e["node"]["id"] for e in listed} >= {default["id"], own["id"]}
    other = District(stack)
    assert other.admin.data(ONE, {"id": own["id"]})["scheme"] is None
    assert own["id"] not in {
        e["node"]["id"] for e in other.admin.data(LIST, {})["schemes"]["edges"]
    }
    foreign = other.admin.data(UPDATE, {"i": {"id": own["id"], "dimensions": good}})["updateScheme"]
    assert [(e["field"], e["code"]) for e in foreign["errors"]] == [("id", "NOT_FOUND")]


def test_only_the_admins_of_a_whole_district_copy_and_adjust_schemes(district: District):
    default = the_default(district, "INDIVIDUAL")
    street = district.streets[0]
    street_admin = district.client("STREET_ADMIN", street)
    refused = street_admin.data(
        COPY, {"i": {"schemeId": default["id"], "name": "街道标兵", "areaCode": street}}
    )["copyScheme"]
    assert refused["scheme"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("areaCode", "BAD_USER_INPUT"),
        (None, "FORBIDDEN"),
    ]
    own = district.admin.data(
        COPY, {"i": {"schemeId": default["id"], "name": "本区五标兵", "areaCode": district.code}}
    )["copyScheme"]["scheme"]
    assert own["kind"] == "INDIVIDUAL"
    # A street admin sees the district's scheme but may not change it.
    assert street_admin.data(ONE, {"id": own["id"]})["scheme"]["id"] == own["id"]
    dims = as_input(own)
    changed = street_admin.data(UPDATE, {"i": {"id": own["id"], "dimensions": dims}})[
        "updateScheme"
    ]
    assert [(e["field"], e["code"]) for e in changed["errors"]] == [("id", "FORBIDDEN")]
    # An organisation's metric does not measure a person.
    wrong = copy.deepcopy(dims)
    wrong[0]["indicators"][0]["metric"] = "training_count"
    mismatch = district.admin.data(UPDATE, {"i": {"id": own["id"], "dimensions": wrong}})[
        "updateScheme"
    ]
    assert [(e["field"], e["code"]) for e in mismatch["errors"]] == [
        ("dimensions[0].indicators[0].metric", "BAD_USER_INPUT")
    ]
    # Roles without RECORDS WRITE never reach the resolver.
    member = district.client("MEMBER", district.communities[0])
    answer = member.execute(
        COPY, {"i": {"schemeId": default["id"], "name": "x", "areaCode": district.code}}
    )
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert district.admin.data(ONE, {"id": own["id"]})["scheme"]["version"] == 1
