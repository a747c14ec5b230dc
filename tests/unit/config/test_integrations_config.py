"""Config sections of issue 18: mqtt, webhooks, alerts, reports (validation, secrets, cross-field checks)."""

from __future__ import annotations

import re

import pytest
import yaml

from pictag.config import parse_config
from pictag.config.example import example_yaml
from pictag.errors import ConfigError

SECRET = "s3cr3t-webhook-key-0123456789"
HOOK = {"url": "https://hooks.example.org/p", "events": ["alert.*"], "secret": SECRET}


def _problems(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return str(info.value)


def test_absent_sections_mean_off() -> None:
    config = parse_config({})
    assert config.mqtt is None
    assert config.webhooks == [] and config.alerts == []
    assert config.reports.daily is False and config.reports.email is None


def test_commented_examples_are_valid_when_uncommented() -> None:
    text = example_yaml()
    uncommented = re.sub(r"^# (mqtt|webhooks|alerts):", r"\1:", text, flags=re.M)
    uncommented = re.sub(r"^#   ", "  ", uncommented, flags=re.M)
    config = parse_config(yaml.safe_load(uncommented))
    assert config.mqtt is not None and config.mqtt.prefix == "pictag"
    assert [a.id for a in config.alerts] == ["crowded", "entrance-down"]
    assert config.webhooks[0].wants("alert.raised")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"mqtt": {"port": 1883}}, "mqtt.host: required field is missing"),
        ({"mqtt": {"host": "b", "prefix": "pictag/#"}}, "mqtt.prefix"),
        ({"mqtt": {"host": "b", "reconnect_min_s": 10, "reconnect_max_s": 5}}, "reconnect_max_s"),
        ({"webhooks": [{**HOOK, "url": "ftp://x/y"}]}, "webhooks[0].url"),
        ({"webhooks": [{**HOOK, "events": []}]}, "webhooks[0].events"),
        ({"webhooks": [{**HOOK, "events": ["Alert raised"]}]}, "not an event type"),
        ({"alerts": [{"id": "a", "when": "occupancy_above"}]}, "needs a value"),
        ({"alerts": [{"id": "a", "when": "camera_offline", "value": 3}]}, "takes no value"),
        ({"alerts": [{"id": "a", "when": "occupancy_above", "value": 3, "zones": ["z"]}]}, "zones apply"),
        ({"alerts": [{"id": "a", "when": "smoke", "value": 3}]}, "alerts[0].when"),
        ({"alerts": [{"id": "a", "when": "camera_offline"}] * 2}, "duplicate alert id 'a'"),
        ({"alerts": [{"id": "a", "when": "camera_offline", "notify": ["mqtt"]}]}, "no mqtt section"),
        ({"alerts": [{"id": "a", "when": "camera_offline", "notify": ["webhook"]}]}, "no webhook subscribes"),
        ({"reports": {"timezone": "Mars/Olympus"}}, "unknown time zone"),
        ({"mqtt": {"host": "b"}, "cameras": [{"id": "site", "url": "x.mp4"}]}, "reserved when mqtt is on"),
        ({"reports": {"time": "25:00"}}, "HH:MM"),
        ({"reports": {"email": {"host": "m", "sender": "me", "recipients": ["a@b"]}}}, "not an e-mail address"),
    ],
)
def test_bad_input_names_the_field(data: dict, expected: str) -> None:
    assert expected in _problems(data)


def test_secrets_never_echoed_by_validation_errors() -> None:
    short = {"webhooks": [{**HOOK, "secret": "short-but-secret"[:12]}]}
    text = _problems(short)
    assert "webhooks[0].secret" in text and "short-but-se" not in text
    # a cross-field problem reports against the whole tree: it must not echo the webhook secret
    text = _problems({"webhooks": [HOOK], "alerts": [{"id": "a", "when": "camera_offline", "notify": ["mqtt"]}]})
    assert SECRET not in text


def test_secrets_hidden_in_repr() -> None:
    config = parse_config(
        {
            "mqtt": {"host": "b", "username": "u", "password": "broker-password"},
            "webhooks": [{**HOOK, "url": "https://user:url-password@h/x"}],
            "reports": {"email": {"host": "m", "sender": "a@b.c", "recipients": ["d@e.f"], "password": "mail-pw"}},
        }
    )
    text = repr(config) + str(config)
    for secret in ("broker-password", SECRET, "url-password", "mail-pw"):
        assert secret not in text
    assert config.webhooks[0].redacted_url == "https://***@h/x"


@pytest.mark.parametrize(
    ("events", "wanted", "unwanted"),
    [
        (["*"], ["alert.raised", "line.crossed"], []),
        (["alert.*"], ["alert.raised", "alert.cleared"], ["alerts.x", "line.crossed"]),
        (["line.crossed"], ["line.crossed"], ["line.crossed2", "alert.raised"]),
    ],
)
def test_webhook_event_selection(events: list[str], wanted: list[str], unwanted: list[str]) -> None:
    hook = parse_config({"webhooks": [{**HOOK, "events": events}]}).webhooks[0]
    assert all(hook.wants(t) for t in wanted)
    assert not any(hook.wants(t) for t in unwanted)


@pytest.mark.parametrize(
    ("value", "margin", "level"),
    [(10, None, 9.0), (100, None, 90.0), (0, None, 0.0), (0.5, None, 0.0), (10, 3, 7.0), (300, 0, 300.0)],
)
def test_clear_level_is_a_band_under_the_threshold(value: float, margin: float | None, level: float) -> None:
    rule = parse_config(
        {"alerts": [{"id": "a", "when": "zone_dwell_above", "value": value, "clear_margin": margin}]}
    ).alerts[0]
    assert rule.clear_level == pytest.approx(level)
