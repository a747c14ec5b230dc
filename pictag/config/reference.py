"""The configuration reference as a Markdown table, generated from the models.

The README embeds this output between markers; a test keeps the two equal, so
the documentation cannot drift from what the validator accepts.
"""

from __future__ import annotations

import re
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from pictag.config.root import PictagConfig

START = "<!-- config-reference:start -->"
END = "<!-- config-reference:end -->"
_ANNOTATED = re.compile(r"Annotated\[(\w+), FieldInfo\(.*?\)\]\)\]")
_MODULE_PATH = re.compile(r"\b(?:pictag|datetime)(?:\.\w+)*\.(\w+)")


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
    text = _ANNOTATED.sub(r"\1", text)  # constrained floats: their bounds are in the description
    text = _MODULE_PATH.sub(r"\1", text)  # pictag.config.geometry.LineConfig -> LineConfig
    return text.replace("pydantic.types.", "").replace("|", "\\|")


def _item_model(field: FieldInfo) -> type[BaseModel] | None:
    """The model of a ``list[Model]`` field (its items get rows of their own), else None."""
    if get_origin(field.annotation) is not list:
        return None
    (item,) = get_args(field.annotation) or (None,)
    return item if isinstance(item, type) and issubclass(item, BaseModel) else None


def _optional_model(field: FieldInfo) -> type[BaseModel] | None:
    """The model of a ``Model | None`` field (a section that is off when absent), else None."""
    args = [a for a in get_args(field.annotation) if a is not type(None)]
    if get_origin(field.annotation) is list or len(args) != 1 or len(get_args(field.annotation)) != 2:
        return None
    return args[0] if isinstance(args[0], type) and issubclass(args[0], BaseModel) else None


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(_rows(annotation, f"{prefix}{name}."))
            continue
        optional = _optional_model(field)
        if optional is not None:
            desc = (field.description or "").replace("|", "\\|")
            rows.append(f"| `{prefix}{name}` | section \\| None | `null` | {desc} |")
            rows.extend(_rows(optional, f"{prefix}{name}."))
            continue
        desc = (field.description or "").replace("|", "\\|")
        bounds = _bounds(field)
        suffix = f" ({bounds})" if bounds else ""
        rows.append(f"| `{prefix}{name}` | {_type_name(field)} | {_default(field)} | {desc}{suffix} |")
        item = _item_model(field)
        if item is not None:
            rows.extend(_rows(item, f"{prefix}{name}[]."))
    return rows


def markdown_reference() -> str:
    """Every configuration field: path, type, default, meaning and bounds."""
    lines = [START, "", "| field | type | default | meaning |", "|---|---|---|---|"]
    lines.extend(r for r in _rows(PictagConfig, "") if not r.startswith("| `cameras`"))
    lines += ["", END]
    return "\n".join(lines)
