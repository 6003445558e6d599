"""Bad input is the caller's error, never an INTERNAL one: ids, text, operations, entity keys.

Everything here runs before resolvers, once per request, so no resolver has to think about a
NUL character, a lone surrogate, an id that is not a UUID or a representation of the wrong shape.
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.federation.schema import FederationAny
from strawberry.types import Info

from gongjian_kit.errors import ApiError, ErrorCode

# PostgreSQL text cannot hold U+0000, and a lone surrogate cannot be encoded as UTF-8.
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
_MAX_DEPTH = 64  # nesting of variables' lists and objects walked before giving up (refused)


def malformed_id(field: str | None = "id") -> ApiError:
    return ApiError(ErrorCode.BAD_USER_INPUT, "编号格式无效", "Malformed id", field)


def parse_id(raw: object, field: str | None = "id") -> uuid.UUID:
    """The UUID an id argument or entity key names; BAD_USER_INPUT when it names none.

    Only ASCII text is read (``uuid.UUID`` would take full-width digits and underscores).
    """
    if isinstance(raw, str) and raw.isascii():
        try:
            return uuid.UUID(raw)
        except ValueError:
            pass
    raise malformed_id(field)


def id_or_none(raw: object) -> uuid.UUID | None:
    """For look-ups by id: a malformed id finds nothing, just as an unknown one does."""
    try:
        return parse_id(raw)
    except ApiError:
        return None


def forbidden_text_at(value: object, path: str = "", depth: int = 0) -> str | None:
    """The path of the first string (value or key) holding U+0000 or a lone surrogate."""
    if isinstance(value, str):
        return (path or "$") if _FORBIDDEN.search(value) else None
    if depth > _MAX_DEPTH:
        return path or "$"
    if isinstance(value, Mapping):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _FORBIDDEN.search(key):
                return path or "$"
            if (found := forbidden_text_at(item, here, depth + 1)) is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if (found := forbidden_text_at(item, f"{path}[{i}]", depth + 1)) is not None:
                return found
    return None


def forbidden_text(field: str | None) -> ApiError:
    return ApiError(
        ErrorCode.BAD_USER_INPUT,
        "文本含有不允许的字符（如 U+0000 空字符）",
        "Text contains a character that is not allowed (such as U+0000)",
        field,
    )


class _StringLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.bad = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        if _FORBIDDEN.search(node.value):
            self.bad = True
            return self.BREAK
        return None


def _literal_has_forbidden_text(document: DocumentNode) -> bool:
    visitor = _StringLiterals()
    visit(document, visitor)
    return visitor.bad


def _operations(document: DocumentNode) -> Iterator[OperationDefinitionNode]:
    return (d for d in document.definitions if isinstance(d, OperationDefinitionNode))


def request_problem(
    document: DocumentNode, query: str | None, variables: object, operation_name: str | None
) -> ApiError | None:
    """What is wrong with a request before any resolver sees it, or None."""
    if operation_name is None and sum(1 for _ in _operations(document)) > 1:
        return ApiError(
            ErrorCode.BAD_USER_INPUT,
            "文档含多个操作时须给出 operationName",
            "operationName is required when the document holds several operations",
            "operationName",
        )
    # A NUL reaches a literal only through an escape (the lexer refuses a raw one), so a query
    # without "\u" is skipped without walking it.
    if (query is None or "\\u" in query) and _literal_has_forbidden_text(document):
        return forbidden_text(None)
    if variables and (path := forbidden_text_at(variables)) is not None:
        return forbidden_text(f"${path}")
    return None


class CodedParserCache(ParserCache):
    """``ParserCache`` whose syntax errors (the token limit's too) carry
    ``extensions.code = GRAPHQL_PARSE_FAILED``. They escape the operation's hooks, so no later
    extension could add it."""

    def on_parse(self) -> Iterator[None]:
        try:
            yield from super().on_parse()
        except GraphQLError as error:
            error.extensions = {**(error.extensions or {}), "code": "GRAPHQL_PARSE_FAILED"}
            raise


class RequestGuard(SchemaExtension):
    """Refuse, as BAD_USER_INPUT, what would otherwise fail deep inside: U+0000 or a lone
    surrogate in any string argument or variable (PostgreSQL text cannot hold them), and a
    document of several operations sent without ``operationName`` (GraphQL over HTTP).

    Runs after validation has passed (strawberry then skips its own validation and executes
    nothing); it must come after ``ValidationCache`` in the extension list.
    """

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if not ctx.pre_execution_errors and ctx.graphql_document is not None:
            problem = request_problem(
                ctx.graphql_document,
                ctx.query,
                ctx.variables,
                getattr(ctx, "_provided_operation_name", None),
            )
            if problem is not None:
                ctx.pre_execution_errors = [GraphQLError(str(problem), original_error=problem)]
        yield


class GuardedFederationSchema(strawberry.federation.Schema):
    """A federation schema whose ``_entities`` refuses malformed representations as
    BAD_USER_INPUT (strawberry's own raises KeyError, AttributeError or TypeError for them, which
    would surface as INTERNAL)."""

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        problems: dict[int, ApiError] = {}
        sound: list[FederationAny] = []
        for index, representation in enumerate(representations):
            try:
                self._check_representation(representation, index)
            except ApiError as problem:
                problems[index] = problem
            else:
                sound.append(representation)
        if not problems:
            return super().entities_resolver(info, representations)
        resolved = iter(super().entities_resolver(info, sound))
        return [
            problems[i] if i in problems else next(resolved)  # type: ignore[misc]
            for i in range(len(representations))
        ]

    def _check_representation(self, representation: object, index: int) -> None:
        field = f"representations[{index}]"
        if not isinstance(representation, Mapping):
            raise ApiError(
                ErrorCode.BAD_USER_INPUT,
                "实体表示应为对象",
                "An entity representation must be an object",
                field,
            )
        typename = representation.get("__typename")
        accepted = self._reference_keys(typename) if isinstance(typename, str) else None
        if accepted is None:
            raise ApiError(
                ErrorCode.BAD_USER_INPUT,
                "实体类型未知",
                "Unknown entity type in __typename",
                f"{field}.__typename",
            )
        names, required = accepted
        keys = set(representation) - {"__typename"}
        if not required <= keys <= names or not all(
            isinstance(representation[k], str) for k in keys
        ):
            # Every entity key here is an ID or a String.
            raise ApiError(
                ErrorCode.BAD_USER_INPUT,
                f"实体键应为字符串：{', '.join(sorted(names))}",
                f"Entity keys must be strings: {', '.join(sorted(names))}",
                field,
            )

    def _reference_keys(self, typename: str) -> tuple[frozenset[str], frozenset[str]] | None:
        """The keys ``resolve_reference`` of an entity type takes (all, required), or None."""
        cache: dict[str, Any] = self.__dict__.setdefault("_gj_reference_keys", {})
        if typename not in cache:
            type_ = self.schema_converter.type_map.get(typename)
            origin = getattr(getattr(type_, "definition", None), "origin", None)
            resolve_reference = getattr(origin, "resolve_reference", None)
            if resolve_reference is None:
                cache[typename] = None
            else:
                params = inspect.signature(resolve_reference).parameters
                names = frozenset(params) - {"info"}
                required = frozenset(
                    n for n in names if params[n].default is inspect.Parameter.empty
                )
                cache[typename] = (names, required)
        found: tuple[frozenset[str], frozenset[str]] | None = cache[typename]
        return found
