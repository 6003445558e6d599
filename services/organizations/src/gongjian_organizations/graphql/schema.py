"""The organizations subgraph's schema, merged from its parts."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from gongjian_kit.gql import build_schema
from gongjian_kit.settings import ServiceSettings
from gongjian_organizations.graphql.access import FIELD_RULES
from gongjian_organizations.graphql.core_api import CoreMutations, CoreQueries, MoreCoreMutations
from gongjian_organizations.graphql.coverage import CoverageQueries
from gongjian_organizations.graphql.people_api import PeopleMutations, PeopleQueries

Query = merge_types("Query", (CoreQueries, CoverageQueries, PeopleQueries))
Mutation = merge_types("Mutation", (CoreMutations, MoreCoreMutations, PeopleMutations))


def make_schema(settings: ServiceSettings | None = None) -> strawberry.Schema:
    return build_schema(Query, mutation=Mutation, settings=settings, field_rules=FIELD_RULES)


schema = make_schema()
