"""A commented example configuration, generated from the models themselves.

Generating it (instead of keeping a hand-written copy) means the example and
its comments can never drift from what the validator accepts.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, SecretStr

from pictag.config.root import PictagConfig

EXAMPLE_CAMERAS: list[dict[str, Any]] = [
    {
        "id": "entrance",
        "name": "Entrance",
        "url": "rtsp://viewer:change-me@192.168.1.20:554/stream1",
        "analysis_fps": 10,
        "lines": [{"id": "door", "name": "Front door", "points": [[420, 650], [980, 650]], "entrance": True}],
    },
    {
        "id": "till",
        "name": "Till",
        "url": "rtsp://192.168.1.21:554/h264",
        "transport": "udp",
        "enabled": False,
        "zones": [
            {
                "id": "queue",
                "name": "Till queue",
                "points": [[100, 300], [500, 300], [500, 700], [100, 700]],
                "kind": "queue",
            },
            {
                "id": "counter",
                "name": "Behind the counter",
                "points": [[600, 250], [1200, 250], [1200, 500], [600, 500]],
                "kind": "staff",
            },
        ],
    },
]


#: Optional integration sections: shown commented out (absent means off).
COMMENTED_EXAMPLES: dict[str, list[str]] = {
    "mqtt": [
        "# mqtt:",
        "#   host: 192.168.1.10",
        "#   port: 1883",
        "#   username: pictag",
        '#   password: "change-me"',
        "#   tls: false",
        "#   prefix: pictag",
        "#   discovery_prefix: homeassistant",
    ],
    "webhooks": [
        "# webhooks:",
        "#   - url: https://example.org/pictag-hook",
        '#     events: ["alert.*"]',
        '#     secret: "at-least-16-characters-of-random"',
    ],
    "alerts": [
        "# alerts:",
        "#   - id: crowded",
        "#     when: occupancy_above",
        "#     value: 12",
        "#     for_s: 60",
        "#     notify: [dashboard]",
        "#   - id: entrance-down",
        "#     when: camera_offline",
        "#     cameras: [entrance]",
        "#     for_s: 120",
    ],
}


def _scalar(value: Any) -> str:
    if isinstance(value, SecretStr):
        return '""'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _section(model: type[BaseModel], indent: str) -> list[str]:
    lines: list[str] = []
    instance = model()
    for name, field in model.model_fields.items():
        if field.description:
            lines.append(f"{indent}# {field.description}")
        value = getattr(instance, name)
        if isinstance(value, BaseModel):
            lines.append(f"{indent}{name}:")
            lines.extend(_section(type(value), indent + "  "))
        elif isinstance(value, list):
            lines.append(f"{indent}{name}: [{', '.join(_scalar(v) for v in value)}]")
        elif isinstance(value, dict):
            lines.append(f"{indent}{name}: {{}}")
        else:
            lines.append(f"{indent}{name}: {_scalar(value)}")
    return lines


def example_yaml() -> str:
    """The example configuration as YAML text with a comment above every field."""
    lines = [
        "# PicTag configuration. Check it with `pictag config check FILE`; start with `pictag up -c FILE`.",
        "# Camera fields: id, name, url, analysis_fps, enabled, transport (tcp|udp), loop, node,",
        "# resources, open_timeout_s, read_timeout_s, stall_timeout_s, frame_size, lines (counting lines:",
        "# id, name, points [[x1, y1], [x2, y2]], entrance) and zones (id, name, points, kind area|queue|staff).",
        "cameras:",
    ]
    for cam in EXAMPLE_CAMERAS:
        first = True
        for key, value in cam.items():
            lines.append(f"  {'- ' if first else '  '}{key}: {_scalar(value)}")
            first = False
    for name, field in PictagConfig.model_fields.items():
        if name == "cameras":
            continue
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            lines.append("")
            if field.description:
                lines.append(f"# {field.description}")
            lines.append(f"{name}:")
            lines.extend(_section(annotation, "  "))
        elif name in COMMENTED_EXAMPLES:
            lines.append("")
            if field.description:
                lines.append(f"# {field.description}")
            lines.extend(COMMENTED_EXAMPLES[name])
        else:
            lines.append("")
            if field.description:
                lines.append(f"# {field.description}")
            default = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
            lines.append(f"{name}: {_scalar(default)}")
    return "\n".join(lines) + "\n"
