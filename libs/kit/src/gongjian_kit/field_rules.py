"""The one mechanism that applies the access policy (``gongjian_kit.policy``) to a subgraph.

Each service declares ``FIELD_RULES``: for every field of its schema (``"Type.field"``) and for
every entity type its ``_entities`` resolves (``"Type@entity"``), the rule that governs it. When
the schema is built, :func:`apply_field_rules` walks every object type and field of it: a field
without a rule, or a rule naming no field, stops the build. The rule then decides at run time:

* ``Gate``: the caller must have the right (resource, action) in some scope, else FORBIDDEN; the
  resolver keeps to ``policy.reach`` for which rows come back (the loaders' and the SQL's
  object-level checks stay the source of truth for that);
* ``Graded``: a field of an object whose loader computed ``grants`` for the caller
  (``policy.person_grants``): shown when the grants hold the resource, else a fallback (a mask,
  or null);
* ``Held``: a value of an object already admitted under that resource by its loader: a plain
  attribute, not checked again (dashboards read hundreds of them per request);
* ``Open``: structure that carries none of the policy's data (cursors, page info, typed errors,
  enum labels); ``Authenticated``: a root field holding no data, for any valid token.

Only ``Gate``, ``Graded`` and ``Authenticated`` wrap a resolver, and the wrapper is a plain
function: it adds no awaitable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLField, GraphQLObjectType, GraphQLUnionType, default_field_resolver

from gongjian_kit.errors import forbidden
from gongjian_kit.policy import Action, Resource, allows


class Rule:
    """How one field is governed (see the module's docstring)."""


@dataclass(frozen=True)
class Open(Rule):
    why: str = ""


@dataclass(frozen=True)
class Authenticated(Rule):
    why: str = ""


@dataclass(frozen=True)
class Held(Rule):
    resource: Resource


@dataclass(frozen=True)
class Gate(Rule):
    resource: Resource
    action: Action = Action.READ


@dataclass(frozen=True)
class Graded(Rule):
    resource: Resource
    fallback: Callable[[Any], Any] | None = None


class FieldRulesError(Exception):
    """The schema and its rules disagree: a field without a rule, or a rule without a field."""


ENTITIES_FIELD = "Query._entities"


def entity_key(type_name: str) -> str:
    return f"{type_name}@entity"


def connection_rules(node: str, resource: Resource) -> dict[str, Rule]:
    """The rules of a Relay connection of ``node``s admitted under ``resource``."""
    held = Held(resource)
    return {
        f"{node}Connection.edges": held,
        f"{node}Connection.pageInfo": Open("paging"),
        f"{node}Connection.totalCount": held,
        f"{node}Edge.cursor": Open("paging"),
        f"{node}Edge.node": held,
    }


def payload_rules(payload: str, field: str, resource: Resource) -> dict[str, Rule]:
    """A mutation's payload: the object it wrote (admitted by the use case), and typed errors."""
    return {f"{payload}.{field}": Held(resource), f"{payload}.errors": Open("typed errors")}


# Types of the kit every subgraph has.
SHARED_RULES: dict[str, Rule] = {
    "PageInfo.hasNextPage": Open("paging"),
    "PageInfo.hasPreviousPage": Open("paging"),
    "PageInfo.startCursor": Open("paging"),
    "PageInfo.endCursor": Open("paging"),
    "UserError.field": Open("typed errors"),
    "UserError.code": Open("typed errors"),
    "UserError.message": Open("typed errors"),
    "UserError.messageZh": Open("typed errors"),
    "UserError.messageEn": Open("typed errors"),
    "_Service.sdl": Open("the subgraph's SDL, for the gateway (gongjian_kit.hardening)"),
    "Query._service": Open("the subgraph's SDL, for the gateway (gongjian_kit.hardening)"),
    ENTITIES_FIELD: Open("each representation is governed by its type's @entity rule"),
}


def _caller(info: Any) -> Any:
    return info.context.caller  # raises UNAUTHENTICATED without a valid token


def _gated(resolve: Callable[..., Any], rule: Gate) -> Callable[..., Any]:
    def checked(source: Any, info: Any, **kwargs: Any) -> Any:
        if not allows(_caller(info), rule.resource, rule.action):
            raise forbidden("您的角色无权执行此操作", "Your role does not allow this")
        return resolve(source, info, **kwargs)

    return checked


def _authenticated(resolve: Callable[..., Any]) -> Callable[..., Any]:
    def checked(source: Any, info: Any, **kwargs: Any) -> Any:
        _caller(info)
        return resolve(source, info, **kwargs)

    return checked


def _graded(resolve: Callable[..., Any], rule: Graded) -> Callable[..., Any]:
    resource, fallback = rule.resource, rule.fallback

    def shown(source: Any, info: Any, **kwargs: Any) -> Any:
        if resource in source.grants:
            return resolve(source, info, **kwargs)
        return fallback(source) if fallback is not None else None

    return shown


def _entities(resolve: Callable[..., Any], gates: Mapping[str, Gate]) -> Callable[..., Any]:
    def checked(source: Any, info: Any, **kwargs: Any) -> Any:
        caller = _caller(info)
        for representation in kwargs.get("representations") or ():
            typename = (
                representation.get("__typename") if isinstance(representation, Mapping) else None
            )
            gate = gates.get(typename) if isinstance(typename, str) else None
            if gate is not None and not allows(caller, gate.resource, gate.action):
                raise forbidden("您的角色无权执行此操作", "Your role does not allow this")
        return resolve(source, info, **kwargs)

    return checked


def _wrap(field: GraphQLField, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    field.resolve = wrap(field.resolve or default_field_resolver)
    if field.subscribe is not None:  # a subscription's stream is where its data comes from
        field.subscribe = wrap(field.subscribe)


def schema_keys(schema: strawberry.Schema) -> set[str]:
    """Every ``Type.field`` and ``Type@entity`` the rules of ``schema`` must cover."""
    graphql_schema = schema._schema
    keys = {
        f"{name}.{field}"
        for name, type_ in graphql_schema.type_map.items()
        if isinstance(type_, GraphQLObjectType) and not name.startswith("__")
        for field in type_.fields
    }
    entity = graphql_schema.type_map.get("_Entity")
    if isinstance(entity, GraphQLUnionType):
        keys |= {entity_key(t.name) for t in entity.types}
    return keys


def apply_field_rules(schema: strawberry.Schema, service_rules: Mapping[str, Rule]) -> None:
    """Check that the service's rules (with ``SHARED_RULES`` for the kit's types the schema has)
    cover exactly the schema's fields and entities, then wrap the resolvers the rules decide.
    Raises ``FieldRulesError`` listing every disagreement."""
    wanted = schema_keys(schema)
    rules = {**{k: r for k, r in SHARED_RULES.items() if k in wanted}, **service_rules}
    missing, unknown = sorted(wanted - rules.keys()), sorted(rules.keys() - wanted)
    wrong_entities = sorted(
        k for k in wanted if k.endswith("@entity") and not isinstance(rules.get(k), Gate)
    )
    if missing or unknown or wrong_entities:
        raise FieldRulesError(
            "field rules and schema disagree: "
            f"no rule for {missing}; no field for {unknown}; entity rules not a Gate: "
            f"{wrong_entities}"
        )
    entity_gates = {
        k.removesuffix("@entity"): r
        for k, r in rules.items()
        if k.endswith("@entity") and isinstance(r, Gate)
    }
    for name, type_ in schema._schema.type_map.items():
        if not isinstance(type_, GraphQLObjectType) or name.startswith("__"):
            continue
        for field_name, field in type_.fields.items():
            key = f"{name}.{field_name}"
            rule = rules[key]
            wrapper: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None
            if key == ENTITIES_FIELD:
                wrapper = partial(_entities, gates=entity_gates)
            elif isinstance(rule, Gate):
                wrapper = partial(_gated, rule=rule)
            elif isinstance(rule, Graded):
                wrapper = partial(_graded, rule=rule)
            elif isinstance(rule, Authenticated):
                wrapper = _authenticated
            if wrapper is not None:
                _wrap(field, wrapper)
