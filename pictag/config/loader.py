"""Read a YAML file into a `PictagConfig`, turning every problem into readable lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pictag.config.root import PictagConfig
from pictag.errors import ConfigError
from pictag.redaction import redact_text


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _format_value(value: Any) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return redact_text(text)


#: Fields whose value is a secret: a problem with one never echoes what was given.
SECRET_FIELDS = frozenset({"password", "secret", "auth_token", "token"})


def _hides_input(item: Any) -> bool:
    """A secret field's value, or a whole section (model-level checks), is never echoed back."""
    loc = tuple(item.get("loc", ()))
    return isinstance(item.get("input"), dict) or any(isinstance(p, str) and p in SECRET_FIELDS for p in loc)


def format_validation_error(err: ValidationError) -> list[str]:
    """One line per problem: ``field.path: message (got value)``; secrets redacted, secret fields never echoed."""
    lines = []
    for item in err.errors(include_url=False):
        loc = _format_loc(tuple(item.get("loc", ())))
        msg = redact_text(str(item.get("msg", "invalid")))
        if item.get("type") == "missing":
            lines.append(f"{loc}: required field is missing")
        elif "input" in item and item.get("type") not in {"model_type"} and not _hides_input(item):
            lines.append(f"{loc}: {msg} (got {_format_value(item['input'])})")
        else:
            lines.append(f"{loc}: {msg}")
    return lines


class ConfigProblems(ConfigError):
    """A configuration with one or more problems; `lines` lists each."""

    def __init__(self, source: str, lines: list[str]) -> None:
        self.source = source
        self.lines = lines
        super().__init__(f"{source}: {len(lines)} problem(s):\n  " + "\n  ".join(lines))


def parse_config(data: Any, source: str = "<config>") -> PictagConfig:
    """Validate already-parsed YAML/JSON data.

    Raises:
        ConfigProblems: with one line per invalid field.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigProblems(source, [f"(top level): expected a mapping of sections, got {type(data).__name__}"])
    try:
        return PictagConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigProblems(source, format_validation_error(err)) from None


def load_config(path: str | Path) -> PictagConfig:
    """Load and validate a YAML configuration file.

    Relative storage paths are resolved against the file's folder so the same
    file works from any working directory.

    Raises:
        ConfigProblems: the file is missing, not YAML, or invalid.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigProblems(str(p), [f"file not found: {p} (create one with `pictag config example > {p.name}`)"])
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigProblems(str(p), [f"{where}not valid YAML: {problem}"]) from None
    except UnicodeDecodeError:
        raise ConfigProblems(str(p), ["not a UTF-8 text file"]) from None
    config = parse_config(data, str(p))
    storage_path = Path(config.storage.path).expanduser()
    if not storage_path.is_absolute():
        config.storage.path = str((p.parent / storage_path).resolve())
    reports_dir = Path(config.reports.out_dir).expanduser()
    if not reports_dir.is_absolute():
        config.reports.out_dir = str((p.parent / reports_dir).resolve())
    return config
