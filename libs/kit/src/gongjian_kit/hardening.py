"""What only the gateway may ask, and what production never tells.

``_service`` (the SDL) and ``_entities`` (any entity by key, the gateway's way of joining
subgraphs) are for the gateway alone: a request that selects either must carry the gateway's
shared secret in ``x-gongjian-gateway``, checked in constant time. Production refuses to start
without the secret (``GATEWAY_SECRET``); the NetworkPolicy stays as a second wall.

In production, validation errors lose graphql-core's "Did you mean …?" suggestions: with
introspection off they would still spell out the schema's field names one guess at a time.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterator

from graphql import FieldNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from gongjian_kit.errors import ApiError, ErrorCode

GATEWAY_HEADER = "x-gongjian-gateway"
GATEWAY_ONLY_FIELDS = frozenset({"_service", "_entities"})
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def from_gateway(header: str | None, secret: str) -> bool:
    """True when ``header`` carries the gateway's secret."""
    if not secret or not header:
        return False
    return hmac.compare_digest(header.encode(), secret.encode())


def selects_gateway_only_field(document: object) -> bool:
    """Whether any operation of ``document`` selects ``_service`` or ``_entities`` at its root."""
    for definition in getattr(document, "definitions", ()):
        if isinstance(definition, OperationDefinitionNode):
            for selection in definition.selection_set.selections:
                if isinstance(selection, FieldNode) and selection.name.value in (
                    GATEWAY_ONLY_FIELDS
                ):
                    return True
    return False


class GatewayOnly(SchemaExtension):
    """Refuse ``_service`` and ``_entities`` to anyone but the gateway (FORBIDDEN)."""

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        if (
            not ctx.pre_execution_errors
            and document is not None
            and selects_gateway_only_field(document)
            and not getattr(ctx.context, "from_gateway", False)
        ):
            problem = ApiError(
                ErrorCode.FORBIDDEN,
                "此字段仅供网关调用",
                "This field answers the gateway only",
                "_entities",
            )
            ctx.pre_execution_errors = [GraphQLError(str(problem), original_error=problem)]
        yield


class NoSuggestions(SchemaExtension):
    """Strip "Did you mean …?" from errors (production)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [
            GraphQLError(
                _SUGGESTION.sub("", error.message),
                nodes=error.nodes,
                path=error.path,
                original_error=error.original_error,
                extensions=error.extensions,
            )
            if "Did you mean" in error.message
            else error
            for error in result.errors
        ]
