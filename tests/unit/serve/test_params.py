"""Renamed query parameters: the new name, the old one, or both when they agree."""

from __future__ import annotations

import pytest

from pictag.serve.errors import ApiError
from pictag.serve.params import renamed


@pytest.mark.parametrize(
    ("new", "old", "expected"),
    [(None, None, None), ("a", None, "a"), (None, "a", "a"), ("a", "a", "a")],
)
def test_either_name_gives_the_value(new: str | None, old: str | None, expected: str | None) -> None:
    assert renamed(new, old, new_name="person_id", old_name="identity") == expected


def test_both_names_with_different_values_are_refused() -> None:
    with pytest.raises(ApiError) as err:
        renamed("p_1", "p_2", new_name="person_id", old_name="identity")
    assert err.value.status_code == 422 and err.value.field == "identity" and err.value.error == "invalid_request"
