"""Every field of every subgraph's committed SDL has a rule of the access policy, and every rule a
field: a field added without one fails here (and the service would not start)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from graphql import (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    UnionTypeDefinitionNode,
    parse,
)

from gongjian_kit.field_rules import SHARED_RULES, Gate, Graded, Held, Rule, entity_key

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ["organizations", "activities", "evaluation"]


def sdl_keys(service: str) -> set[str]:
    """``Type.field`` for every field of every object type, ``Type@entity`` for every entity."""
    document = parse((ROOT / "services" / service / "schema.graphql").read_text(encoding="utf-8"))
    keys: set[str] = set()
    for node in document.definitions:
        if isinstance(node, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
            keys |= {f"{node.name.value}.{f.name.value}" for f in node.fields or ()}
        elif isinstance(node, UnionTypeDefinitionNode) and node.name.value == "_Entity":
            keys |= {entity_key(t.name.value) for t in node.types or ()}
    return keys


def rules_of(service: str) -> dict[str, Rule]:
    module = importlib.import_module(f"gongjian_{service}.graphql.access")
    rules: dict[str, Rule] = module.FIELD_RULES
    return rules


@pytest.mark.parametrize("service", SERVICES)
def test_every_field_of_the_committed_sdl_has_a_rule(service: str):
    keys = sdl_keys(service)
    rules = {**{k: r for k, r in SHARED_RULES.items() if k in keys}, **rules_of(service)}
    assert sorted(keys - rules.keys()) == [], "fields without a rule"
    assert sorted(rules.keys() - keys) == [], "rules without a field"


@pytest.mark.parametrize("service", SERVICES)
def test_roots_and_entities_are_gated_and_people_are_graded(service: str):
    rules = rules_of(service)
    for key, rule in rules.items():
        type_name = key.split(".")[0].split("@")[0]
        if key.endswith("@entity") or type_name == "Mutation":
            assert isinstance(rule, Gate), key
        if key.startswith("Person.") and not isinstance(rule, Graded):
            # Held person fields are the name (PERSON_NAME) and what shows no data at all.
            assert key in {"Person.id", "Person.name", "Person.personalDataVisible"}, key
            assert isinstance(rule, Held), key


def test_a_new_field_without_a_rule_would_fail_this_test(tmp_path: Path):
    document = (ROOT / "services" / "organizations" / "schema.graphql").read_text(encoding="utf-8")
    grown = re.sub(
        r"^(type Person\b[^{]*\{)", r"\1\n  nationality: String", document, count=1, flags=re.M
    )
    assert grown != document
    keys = {
        f"{n.name.value}.{f.name.value}"
        for n in parse(grown).definitions
        if isinstance(n, ObjectTypeDefinitionNode)
        for f in n.fields or ()
    }
    assert "Person.nationality" in keys - rules_of("organizations").keys()
