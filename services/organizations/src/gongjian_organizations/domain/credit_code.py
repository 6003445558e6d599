"""Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters, last one a check."""

from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def credit_code_check_char(first17: str) -> str:
    """The check character for the first 17 characters."""
    total = sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> tuple[str, str] | None:
    """Why ``code`` is not a valid credit code, in Chinese and English; None when it is."""
    if len(code) != LENGTH:
        return ("统一社会信用代码应为18位", "The unified social credit code must be 18 characters")
    if any(ch not in CHARSET for ch in code):
        return (
            "统一社会信用代码含有无效字符（不得含 I、O、S、V、Z 或小写字母）",
            "The unified social credit code has an invalid character (no I, O, S, V, Z or "
            "lower case)",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        return ("统一社会信用代码校验位错误", "The check character of the credit code is wrong")
    return None
