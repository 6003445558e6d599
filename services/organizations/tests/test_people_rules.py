from datetime import date

import pytest

from gongjian_kit.personal_data import mask_phone, phone_problem
from gongjian_organizations.domain.people import (
    Gender,
    PoliticalStatus,
    age_band,
    id_check_char,
    league_overage,
    mask_id_number,
    parse_resident_id,
)
from gongjian_organizations.usecases.people import PersonInput, validate_person

# The sample number printed in GB 11643 explanations.
SAMPLE = "11010519491231002X"


def test_the_check_digit_is_iso_7064_mod_11_2():
    assert id_check_char(SAMPLE[:17]) == "X"
    parsed, problem = parse_resident_id(SAMPLE.lower())
    assert problem is None
    assert parsed is not None
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.gender is Gender.FEMALE  # the 17th digit is even


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "校验位"),
        ("11010519491231002", "18位"),
        ("1101051949123100AX", "18位"),
        ("110105194913310022", "出生日期"),
    ],
)
def test_bad_numbers_say_why(number, reason):
    if reason == "出生日期":  # give it a right check digit so that only the date is wrong
        number = number[:17] + id_check_char(number[:17])
    parsed, problem = parse_resident_id(number)
    assert parsed is None
    assert problem is not None
    assert reason in problem[0]


def test_masks_keep_no_character_of_an_id_number_and_four_of_a_phone():
    assert mask_id_number("110105194912310021") == "*" * 18
    assert mask_phone("13812345678") == "*******5678"
    # Masking a mask changes nothing (phones are kept masked at rest).
    assert mask_phone(mask_phone("13812345678")) == "*******5678"


def test_phones_are_mainland_mobiles():
    assert phone_problem("13812345678") is None
    assert phone_problem("12812345678") is not None
    assert phone_problem("1381234567") is not None


def test_league_members_past_28_without_a_post_are_flagged():
    born = date(1997, 6, 1)
    assert not league_overage(PoliticalStatus.LEAGUE_MEMBER, born, date(2025, 5, 31), False)
    assert league_overage(PoliticalStatus.LEAGUE_MEMBER, born, date(2026, 6, 1), False)
    assert not league_overage(PoliticalStatus.LEAGUE_MEMBER, born, date(2026, 6, 1), True)
    assert not league_overage(PoliticalStatus.PARTY_MEMBER, born, date(2030, 1, 1), False)


def test_events_carry_an_age_band_not_a_birth_date():
    assert [age_band(a) for a in (18, 28, 29, 35, 36, 60, 61)] == [
        "<=28",
        "<=28",
        "29-35",
        "29-35",
        "36-50",
        "51-60",
        ">60",
    ]


def test_a_form_and_an_import_row_share_the_rules():
    valid, problems = validate_person(
        PersonInput(name="王芳", id_number=SAMPLE, area_code="110105001001")
    )
    assert problems == []
    assert valid is not None
    assert valid.gender is Gender.FEMALE
    _, problems = validate_person(
        PersonInput(
            name=" ",
            id_number=SAMPLE,
            gender="MALE",
            birth_date=date(1950, 1, 1),
            phone="123",
            political_status="ROYAL",
        )
    )
    assert sorted(p[0] for p in problems) == [
        "areaCode",
        "birthDate",
        "gender",
        "name",
        "phone",
        "politicalStatus",
    ]
