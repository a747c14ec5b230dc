"""Live settings: validated like the file, errors name the field, overrides re-applied safely."""

from __future__ import annotations

import pytest

from pictag.config import parse_config
from pictag.live_settings import SettingsError, apply_patch, saved_form, settings_view, with_overrides


def test_patch_applies_and_view_shows_it() -> None:
    config = apply_patch(parse_config({}), {"detector": {"confidence": 0.3}, "reid": {"threshold": 0.6}})
    view = settings_view(config)
    assert view["detector"]["confidence"] == 0.3 and view["reid"]["threshold"] == 0.6
    assert view["privacy"]["allow_unanonymized"] is False


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"reid": {"threshold": 7}}, "reid.threshold"),
        ({"detector": {"confidence": "high"}}, "detector.confidence"),
        ({"detector": {"model": "x"}}, "detector.model"),
        ({"server": {"port": 1}}, "server"),
        ({"privacy": {"anonymize": "off"}}, "privacy.anonymize"),
        ({"privacy": {"anonymize": "blur"}}, "privacy.anonymize"),
        ({"privacy": {"retention_days": -1}}, "privacy.retention_days"),
    ],
)
def test_bad_patch_names_the_field(patch: dict, field: str) -> None:
    with pytest.raises(SettingsError) as info:
        apply_patch(parse_config({}), patch)
    assert info.value.field == field


def test_off_allowed_only_when_the_file_allows_it() -> None:
    config = parse_config({"privacy": {"allow_unanonymized": True}})
    assert apply_patch(config, {"privacy": {"anonymize": "off"}}).privacy.anonymize == "off"


def test_overrides_reapplied_until_the_file_changes_the_same_setting() -> None:
    file_config = parse_config({"detector": {"confidence": 0.2}})
    changed = apply_patch(file_config, {"detector": {"confidence": 0.35}, "reid": {"threshold": 0.7}})
    saved = saved_form(file_config, changed)
    again = with_overrides(file_config, saved)
    assert again.detector.confidence == 0.35 and again.reid.threshold == 0.7
    edited = parse_config({"detector": {"confidence": 0.25}})
    after_edit = with_overrides(edited, saved)
    assert after_edit.detector.confidence == 0.25 and after_edit.reid.threshold == 0.7
