"""Reading one cell of an import file: text, codes, whole numbers, dates, yes/no, labels."""

import uuid
from datetime import date
from enum import StrEnum

import pytest

from gongjian_kit.bulk import cells


class Line(StrEnum):
    ORGANIZATION = "ORGANIZATION"
    SERVICE = "SERVICE"


LINE_LABELS = {Line.ORGANIZATION: "组织建设", Line.SERVICE: "服务群众"}


def test_labels_and_english_values_are_accepted():
    assert cells.choice("服务群众", LINE_LABELS) == ("SERVICE", None)
    assert cells.choice("service", LINE_LABELS) == ("SERVICE", None)
    assert cells.choice("", LINE_LABELS) == (None, None)
    value, why = cells.choice("宣传", LINE_LABELS)
    assert value is None
    assert why is not None
    assert "组织建设、服务群众" in why[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-01", date(2024, 5, 1)),
        ("2024/5/1", date(2024, 5, 1)),
        ("2024.05.01", date(2024, 5, 1)),
        ("20240501", date(2024, 5, 1)),
        ("2024年5月1日", date(2024, 5, 1)),
        (date(2024, 5, 1), date(2024, 5, 1)),
        (None, None),
        ("", None),
    ],
)
def test_dates_in_the_usual_forms(raw, expected):
    assert cells.day(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["2024-13-01", "五月一日", "2024-02-30"])
def test_bad_dates_say_the_format(raw):
    value, why = cells.day(raw)
    assert value is None
    assert why is not None
    assert "YYYY-MM-DD" in why[0]


def test_yes_no_and_integers():
    assert cells.yes_no("是") == (True, None)
    assert cells.yes_no("N") == (False, None)
    assert cells.yes_no(None) == (False, None)
    assert cells.yes_no("也许")[1] is not None
    assert cells.integer(12.0) == (12, None)
    assert cells.integer(" 1,200 ") == (1200, None)
    assert cells.integer("-3") == (-3, None)
    assert cells.integer("") == (0, None)
    assert cells.integer("三")[1] is not None


def test_a_long_code_stored_as_a_number_is_reported_not_guessed():
    assert cells.code(330106001001) == ("330106001001", None)
    assert cells.code("91330106mA2x") == ("91330106MA2X", None)
    value, why = cells.code(3.30106199001011e17)
    assert value == ""
    assert why is not None
    assert "文本格式" in why[0]


def test_several_items_split_on_either_semicolon():
    assert cells.several("A；B; C\nD") == ["A", "B", "C", "D"]
    assert cells.several(None) == []


def test_ids_are_read_or_refused():
    known = uuid.uuid4()
    assert cells.identifier(f" {known} ") == (known, None)
    assert cells.identifier("") == (None, None)
    assert cells.identifier("12")[1] == ("编号格式无效", "Not a valid id")


def test_text_trims_and_drops_the_decimal_point_of_whole_numbers():
    assert cells.text(" 甲\u3000") == "甲"
    assert cells.text(30.0) == "30"
    assert cells.text(None) == ""
