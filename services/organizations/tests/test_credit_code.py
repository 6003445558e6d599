import pytest

from gongjian_organizations.domain.credit_code import credit_code_check_char, credit_code_problem

# Codes of well-known registered companies (public records).
VALID = ["9144030071526726XG", "914403001922038216", "91330100716105852F", "91350100M000100Y43"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    assert credit_code_problem(code) is None


def test_the_check_character_is_gb32100():
    # sum(value * weight) for the first 17; check = 31 - sum % 31, mapped through the charset
    assert credit_code_check_char("9144030071526726X") == "G"
    assert credit_code_check_char("91440300192203821") == "6"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9144030071526726X", "18"),
        ("9144030071526726XH", "校验位"),
        ("9144030071526726IG", "无效字符"),
        ("9144030071526726xg", "无效字符"),
    ],
)
def test_invalid_codes_say_why(code, reason):
    problem = credit_code_problem(code)
    assert problem is not None
    assert reason in problem[0]
