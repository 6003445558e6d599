"""Typed errors: expected ones carry a code, a field path and a message in Chinese and English."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL = "INTERNAL"


class ApiError(Exception):
    """An expected failure, shown to the caller as a GraphQL error with ``extensions.code``."""

    def __init__(self, code: ErrorCode, zh: str, en: str, field: str | None = None) -> None:
        super().__init__(f"{zh} / {en}")
        self.code = code
        self.zh = zh
        self.en = en
        self.field = field

    @property
    def extensions(self) -> dict[str, Any]:
        ext: dict[str, Any] = {"code": self.code.value, "messageZh": self.zh, "messageEn": self.en}
        if self.field:
            ext["field"] = self.field
        return ext


def unauthenticated() -> ApiError:
    return ApiError(
        ErrorCode.UNAUTHENTICATED,
        "请先登录：缺少或无效的令牌",
        "Sign in first: the token is missing or invalid",
    )


def forbidden(
    what_zh: str = "无权访问该区域或组织",
    what_en: str = "Not allowed for this area or organisation",
) -> ApiError:
    return ApiError(ErrorCode.FORBIDDEN, what_zh, what_en)


def not_found(what_zh: str, what_en: str, field: str | None = None) -> ApiError:
    return ApiError(
        ErrorCode.NOT_FOUND,
        f"{what_zh}不存在或不在您的范围内",
        f"{what_en} does not exist or is outside your scope",
        field,
    )


def rate_limited(field: str | None = None) -> ApiError:
    return ApiError(
        ErrorCode.RATE_LIMITED,
        "查询过于频繁，请稍后再试",
        "Too many look-ups in a short time; try again later",
        field,
    )
