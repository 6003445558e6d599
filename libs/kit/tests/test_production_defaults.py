"""Production is the default, and production refuses to start open."""

import pytest
import strawberry
from graphql import parse

from gongjian_kit.app import ConfigurationError, check_production_settings
from gongjian_kit.field_rules import Open
from gongjian_kit.gql import build_schema
from gongjian_kit.hardening import from_gateway, selects_gateway_only_field
from gongjian_kit.settings import ServiceSettings


def test_a_missing_environment_means_production(monkeypatch):
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    assert ServiceSettings().environment == "production"


def test_production_without_the_gateway_secret_refuses_to_start():
    with pytest.raises(ConfigurationError, match="GATEWAY_SECRET"):
        check_production_settings(ServiceSettings(environment="production", jwt_secret="x" * 32))
    with pytest.raises(ConfigurationError, match="32"):
        check_production_settings(
            ServiceSettings(environment="production", jwt_secret="x", gateway_secret="short")
        )
    check_production_settings(
        ServiceSettings(environment="production", jwt_secret="x", gateway_secret="s" * 32)
    )
    check_production_settings(ServiceSettings(environment="development"))


def test_the_gateway_secret_is_compared_exactly():
    assert from_gateway("s" * 32, "s" * 32)
    assert not from_gateway("s" * 31, "s" * 32)
    assert not from_gateway(None, "s" * 32)
    assert not from_gateway("anything", "")


def test_gateway_only_fields_are_found_at_the_root_of_any_operation():
    assert selects_gateway_only_field(parse("{ _service { sdl } }"))
    assert selects_gateway_only_field(
        parse("query A { x } query B { _entities(representations: []) { __typename } }")
    )
    assert not selects_gateway_only_field(parse("{ x { _entities } }"))


@strawberry.type
class Query:
    name: str = "x"


async def test_production_suggests_no_field_names():
    rules = {"Query.name": Open()}
    production = build_schema(
        Query, settings=ServiceSettings(environment="production"), field_rules=rules
    )
    development = build_schema(
        Query, settings=ServiceSettings(environment="development"), field_rules=rules
    )
    wrong = "{ nme }"
    assert "Did you mean" in (await development.execute(wrong)).errors[0].message
    message = (await production.execute(wrong)).errors[0].message
    assert "Did you mean" not in message
    assert "nme" in message
