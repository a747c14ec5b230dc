"""Settings that may change while the pipeline runs (dashboard settings page, REST API).

Only tunables are live: detection confidence, the re-identification threshold,
the privacy mode and retention. Switching anonymisation off stays a decision
of the configuration file (``privacy.allow_unanonymized``), never of an API call.
Changes are validated with the same models as the file, so an error names the
field (``reid.threshold``) exactly as `pictag config check` would.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from pictag.config import PictagConfig
from pictag.config.loader import format_validation_error
from pictag.errors import ConfigError

#: section -> fields that can be changed at run time.
LIVE_FIELDS: dict[str, frozenset[str]] = {
    "detector": frozenset({"confidence"}),
    "reid": frozenset({"threshold"}),
    "privacy": frozenset({"anonymize", "retention_days"}),
}


class SettingsError(ConfigError):
    """A rejected settings change; ``field`` is the dotted path at fault."""

    def __init__(self, field: str | None, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


def settings_view(config: PictagConfig) -> dict[str, Any]:
    """The live settings (plus ``privacy.allow_unanonymized``, read-only) as JSON."""
    view: dict[str, Any] = {
        section: {name: getattr(getattr(config, section), name) for name in sorted(fields)}
        for section, fields in LIVE_FIELDS.items()
    }
    view["privacy"]["allow_unanonymized"] = config.privacy.allow_unanonymized
    return view


def _check_shape(patch: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(patch, dict):
        raise SettingsError(None, 'expected a JSON object of sections, e.g. {"reid": {"threshold": 0.6}}')
    for section, values in patch.items():
        if section not in LIVE_FIELDS:
            raise SettingsError(
                str(section),
                f"{section!r} cannot be changed at run time (live sections: {', '.join(sorted(LIVE_FIELDS))})",
            )
        if not isinstance(values, dict):
            raise SettingsError(str(section), f"{section} must be an object of fields")
        for name in values:
            if name not in LIVE_FIELDS[section]:
                raise SettingsError(
                    f"{section}.{name}",
                    f"{section}.{name} cannot be changed at run time "
                    f"(live fields: {', '.join(sorted(LIVE_FIELDS[section]))})",
                )
    return patch


def apply_patch(config: PictagConfig, patch: Any) -> PictagConfig:
    """A new config with ``patch`` applied, validated as a whole.

    Raises:
        SettingsError: unknown section/field, invalid value or a failed cross-field check.
    """
    checked = _check_shape(patch)
    data = config.model_dump(mode="python")
    data["server"]["auth_token"] = (
        config.server.auth_token.get_secret_value() if config.server.auth_token is not None else None
    )
    for section, values in checked.items():
        data[section].update(values)
    try:
        return PictagConfig.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()) if not isinstance(p, int))
        field = loc or _field_of_cross_check(checked)
        raise SettingsError(field, "; ".join(format_validation_error(err))) from None


def _field_of_cross_check(patch: dict[str, dict[str, Any]]) -> str | None:
    # Cross-field checks report at the top level; blame the (only) field the patch touched.
    fields = [f"{s}.{n}" for s, values in patch.items() for n in values]
    return fields[0] if len(fields) == 1 else None


def overrides(config: PictagConfig) -> dict[str, dict[str, Any]]:
    """The live fields' current values, to persist and re-apply at the next start."""
    return {
        section: {name: getattr(getattr(config, section), name) for name in fields}
        for section, fields in LIVE_FIELDS.items()
    }


def saved_form(file_config: PictagConfig, current: PictagConfig) -> dict[str, Any]:
    """What to persist: the live values and the file's values they were changed from."""
    return {"file": overrides(file_config), "values": overrides(current)}


def with_overrides(file_config: PictagConfig, saved: dict[str, Any]) -> PictagConfig:
    """The file's config with persisted run-time changes re-applied.

    A change is re-applied only while the file still holds the value it was
    changed from: when the user edits that setting in the file, the file wins.
    Invalid leftovers are skipped field by field.
    """
    config = file_config
    file_values = overrides(file_config)
    for section, values in (saved.get("values") or {}).items():
        for name, value in (values or {}).items():
            was = (saved.get("file") or {}).get(section, {}).get(name)
            if file_values.get(section, {}).get(name) != was:
                continue
            try:
                config = apply_patch(config, {section: {name: value}})
            except SettingsError:
                continue
    return config
