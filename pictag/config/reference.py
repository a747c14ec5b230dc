"""The configuration reference as a Markdown table, generated from the models.

The README embeds this output between markers; a test keeps the two equal, so
the documentation cannot drift from what the validator accepts.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from pictag.config.cameras import CameraConfig
from pictag.config.root import PictagConfig

START = "<!-- config-reference:start -->"
END = "<!-- config-reference:end -->"


def _bounds(field: FieldInfo) -> str:
    parts = []
    for meta in field.metadata:
        for attr, sym in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{sym} {value}")
    return ", ".join(parts)


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    if isinstance(value, BaseModel):
        return ""
    return f"`{value!r}`" if value not in (None, "") else ("`null`" if value is None else '`""`')


def _type_name(field: FieldInfo) -> str:
    text = str(field.annotation).replace("typing.", "").replace("<class '", "").replace("'>", "")
    return text.replace("pydantic.types.", "").replace("|", "\\|")


def _section(annotation: Any) -> tuple[type[BaseModel], str] | None:
    """The model inside ``Model``, ``Model | None`` (optional section) or ``list[Model]``, with its path suffix."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, "."
    args = [a for a in get_args(annotation) if a is not type(None)]
    if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], ("[]." if get_origin(annotation) is list else ".")
    return None


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        section = _section(field.annotation)
        if section is not None and name != "cameras":
            sub, sep = section
            if sep == "." and field.default is None:
                desc = (field.description or "").replace("|", "\\|")
                rows.append(f"| `{prefix}{name}` | section \\| None | `null` | {desc} |")
            rows.extend(_rows(sub, f"{prefix}{name}{sep}"))
            continue
        desc = (field.description or "").replace("|", "\\|")
        bounds = _bounds(field)
        suffix = f" ({bounds})" if bounds else ""
        rows.append(f"| `{prefix}{name}` | {_type_name(field)} | {_default(field)} | {desc}{suffix} |")
    return rows


def markdown_reference() -> str:
    """Every configuration field: path, type, default, meaning and bounds."""
    lines = [START, "", "| field | type | default | meaning |", "|---|---|---|---|"]
    lines.extend(_rows(CameraConfig, "cameras[]."))
    lines.extend(r for r in _rows(PictagConfig, "") if not r.startswith("| `cameras`"))
    lines += ["", END]
    return "\n".join(lines)
