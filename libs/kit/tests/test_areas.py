import pytest

from gongjian_kit.areas import (
    AreaLevel,
    area_and_ancestors,
    area_level,
    area_prefix,
    area_within,
    parent_area,
)


def test_level_and_parent_follow_from_the_code():
    assert area_level("330106000000") is AreaLevel.DISTRICT
    assert area_level("330106001000") is AreaLevel.STREET
    assert area_level("330106001002") is AreaLevel.COMMUNITY
    assert parent_area("330106001002") == "330106001000"
    assert parent_area("330106001000") == "330106000000"
    assert parent_area("330106000000") is None


def test_a_community_rolls_up_to_its_street_and_district():
    assert area_and_ancestors("330106001002") == ["330106001002", "330106001000", "330106000000"]


@pytest.mark.parametrize(
    "bad", ["33010600000", "3301060000001", "33010600000a", "000000001000", ""]
)
def test_malformed_codes_are_refused(bad):
    with pytest.raises(ValueError, match="12-digit"):
        area_level(bad)


def test_scope_is_a_prefix_of_every_code_beneath():
    assert area_prefix("330106000000") == "330106"
    assert area_prefix("330106001000") == "330106001"
    assert area_within("330106001002", "330106000000")
    assert area_within("330106001002", "330106001000")
    assert not area_within("330106002001", "330106001000")
    assert not area_within("330106001000", "330106001002")  # a community does not see its street
