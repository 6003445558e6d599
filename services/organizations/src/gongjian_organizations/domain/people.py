"""People (人员): the resident ID number (GB 11643), phones, political status, masking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from gongjian_kit import clock

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"  # ISO 7064 MOD 11-2: check character for sum % 11
LEAGUE_AGE_LIMIT = 28  # league members past 28 leave the league unless they hold a league post


class Gender(StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"


class PoliticalStatus(StrEnum):
    MASSES = "MASSES"
    LEAGUE_MEMBER = "LEAGUE_MEMBER"
    PROBATIONARY_PARTY_MEMBER = "PROBATIONARY_PARTY_MEMBER"
    PARTY_MEMBER = "PARTY_MEMBER"


POLITICAL_STATUS_LABELS = {
    PoliticalStatus.MASSES: "群众",
    PoliticalStatus.LEAGUE_MEMBER: "共青团员",
    PoliticalStatus.PROBATIONARY_PARTY_MEMBER: "中共预备党员",
    PoliticalStatus.PARTY_MEMBER: "中共党员",
}
GENDER_LABELS = {Gender.MALE: "男", Gender.FEMALE: "女"}


@dataclass(frozen=True)
class ResidentId:
    """What an 18-character resident ID number says about its holder."""

    number: str
    birth_date: date
    gender: Gender


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def parse_resident_id(
    raw: str, today: date | None = None
) -> tuple[ResidentId | None, tuple[str, str] | None]:
    """The parsed number, or why it is not a valid one (Chinese, English).

    ``today`` is the programme's day (``gongjian_kit.clock.today()``), against which a birth
    date in the future is refused; callers pass it, and only when they do not is the clock read.
    """
    number = raw.strip().upper()
    if (
        len(number) != 18
        or not number.isascii()  # str.isdigit() also takes ２ and ², which int() refuses
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        return None, (
            "公民身份号码应为18位（末位可为X）",
            "The resident ID number must be 18 characters (the last may be X)",
        )
    if id_check_char(number[:17]) != number[17]:
        return None, (
            "公民身份号码校验位错误",
            "The check digit of the resident ID number is wrong",
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None, ("公民身份号码中的出生日期无效", "The birth date in the ID number is invalid")
    if born > (today or clock.today()) or born.year < 1900:
        return None, ("公民身份号码中的出生日期无效", "The birth date in the ID number is invalid")
    gender = Gender.MALE if int(number[16]) % 2 else Gender.FEMALE
    return ResidentId(number, born, gender), None


ID_NUMBER_MASK = "*" * 18


def mask_id_number(number: str) -> str:
    """What those who may not see an ID number get: no character of it.

    Even its last four would undo the mask: the region is the district's own code more often
    than not, and the last four (three serial digits and the check character) then leave only
    the birth date, about 46,000 days, cut by the check character to about 4,200 candidates; an
    age band cuts that to a few hundred. With no character shown, the same attacker is left with
    every date of the band times 500 serials (1.28 million for the narrowest band, 29-35).
    """
    return ID_NUMBER_MASK if number else ""


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_band(age: int) -> str:
    """Coarse ages for events: never a birth date outside the service."""
    if age <= 28:
        return "<=28"
    if age <= 35:
        return "29-35"
    if age <= 50:
        return "36-50"
    if age <= 60:
        return "51-60"
    return ">60"


def league_overage(
    status: PoliticalStatus, birth_date: date, today: date, holds_league_post: bool
) -> bool:
    """A league member past 28 without a league post should leave the league (超龄离团)."""
    return (
        status is PoliticalStatus.LEAGUE_MEMBER
        and not holds_league_post
        and age_on(birth_date, today) > LEAGUE_AGE_LIMIT
    )
