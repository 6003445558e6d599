import pytest

from gongjian_kit.errors import ApiError
from gongjian_kit.gql import decode_cursor, encode_cursor, page_size


def test_cursors_round_trip():
    assert decode_cursor(encode_cursor(42)) == 42
    assert decode_cursor(None) is None


@pytest.mark.parametrize("bad", ["", "abc", "Z2o6eA==", "eHk6MQ=="])
def test_a_forged_cursor_is_the_callers_error(bad):
    with pytest.raises(ApiError) as caught:
        decode_cursor(bad)
    assert caught.value.code == "BAD_USER_INPUT"
    assert caught.value.field == "after"


def test_page_size_is_bounded():
    assert page_size(None) == 20
    assert page_size(100) == 100
    for bad in (-1, 101):
        with pytest.raises(ApiError):
            page_size(bad)
