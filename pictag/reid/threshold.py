"""The match threshold belongs to the model: where a model's calibrated threshold is found.

A cosine threshold means nothing without the model that produced the embeddings: OMZ 0287's
same-person pairs sit around 0.65, PicTag's own heads around 0.75 with different-person pairs
at 0.6 — one number for all silently breaks identity matching when the model changes. So
``reid.threshold`` defaults to ``auto``, resolved at start-up, in this order:

1. a number in the configuration (the user's explicit choice);
2. a sidecar ``<model file>.threshold.json`` next to the model file, written by
   ``pictag calibrate --sidecar`` on the user's own labelled footage;
3. the IR's own rt_info ``pictag_threshold`` (PicTag's shipped models carry theirs);
4. PicTag's shipped calibration of well-known models (`SHIPPED_TABLE`, written from
   ``pictag calibrate`` runs documented in docs/identity.md);

and a model with none of these is refused with an error that says what to do.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pictag.config.reid import ReidConfig
from pictag.errors import ConfigError
from pictag.reid.model_files import resolve_model_file

#: rt_info keys of an IR that carries its own calibrated threshold.
RT_THRESHOLD = "pictag_threshold"
RT_SOURCE = "pictag_threshold_source"
#: Suffix of a calibration sidecar next to a model file.
SIDECAR_SUFFIX = ".threshold.json"
#: PicTag's calibrations of models it does not ship (OMZ), packaged with the code.
SHIPPED_TABLE = "thresholds.json"


@dataclass(frozen=True)
class ResolvedThreshold:
    """A numeric threshold and where it came from (shown by the API and `pictag config check`)."""

    value: float
    source: str


def sidecar_path(model_file: Path) -> Path:
    """Where `pictag calibrate --sidecar` writes a model's threshold."""
    return model_file.with_name(model_file.name + SIDECAR_SUFFIX)


def write_sidecar(model_file: Path, threshold: float, source: str, details: dict[str, Any] | None = None) -> Path:
    """Write a model's calibrated threshold next to its file (atomically).

    Raises:
        ConfigError: the folder is not writable (the message says to set the number instead).
    """
    path = sidecar_path(model_file)
    body = {"threshold": round(float(threshold), 4), "source": source, **(details or {})}
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as err:
        raise ConfigError(
            f"cannot write {path} ({err.strerror}): set reid.threshold: {round(float(threshold), 4)} in the "
            "configuration instead"
        ) from None
    return path


def _valid(value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: threshold {value!r} is not a number") from None
    if not math.isfinite(number) or not -1.0 <= number <= 1.0:
        raise ConfigError(f"{where}: threshold {number} is outside -1..1")
    return number


def _from_sidecar(model_file: Path) -> ResolvedThreshold | None:
    path = sidecar_path(model_file)
    if not path.is_file():
        return None
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConfigError(f"calibration sidecar {path} is unreadable ({err}): re-run `pictag calibrate`") from None
    if not isinstance(body, dict) or "threshold" not in body:
        raise ConfigError(f"calibration sidecar {path} has no threshold: re-run `pictag calibrate`")
    return ResolvedThreshold(_valid(body["threshold"], str(path)), f"sidecar {path}")


def _from_rt_info(model_file: Path) -> ResolvedThreshold | None:
    if model_file.suffix != ".xml":
        return None
    import openvino as ov

    model = ov.Core().read_model(str(model_file))
    if not model.has_rt_info(RT_THRESHOLD):
        return None
    value = _valid(str(model.get_rt_info(RT_THRESHOLD).astype(str)), f"{model_file} rt_info {RT_THRESHOLD}")
    source = str(model.get_rt_info(RT_SOURCE).astype(str)) if model.has_rt_info(RT_SOURCE) else "model rt_info"
    return ResolvedThreshold(value, f"{model_file.name}: {source}")


def shipped_table() -> dict[str, Any]:
    """PicTag's packaged calibrations: ``{model: {precision: {"threshold", "source"}}}``."""
    text = resources.files("pictag.reid").joinpath(SHIPPED_TABLE).read_text(encoding="utf-8")
    table: dict[str, Any] = json.loads(text)
    return table


def _from_table(model: str, precision: str) -> ResolvedThreshold | None:
    entry = shipped_table().get(model, {}).get(precision)
    if not entry:
        return None
    return ResolvedThreshold(_valid(entry["threshold"], f"{SHIPPED_TABLE} {model} {precision}"), entry["source"])


def resolve_threshold(reid: ReidConfig, assets_dir: str | None = None) -> ResolvedThreshold:
    """The numeric threshold of the configured model (see the module docstring for the order).

    Raises:
        ConfigError: ``auto`` and the model carries no calibrated threshold.
        AssetError: the model file is missing.
    """
    if not isinstance(reid.threshold, str):
        return ResolvedThreshold(float(reid.threshold), "reid.threshold in the configuration")
    precision = "f32" if reid.type == "joint" else reid.precision
    model_file = resolve_model_file(reid.model_name, precision, assets_dir)
    for found in (_from_sidecar(model_file), _from_rt_info(model_file), _from_table(reid.model_name, precision)):
        if found is not None:
            return found
    raise ConfigError(
        f"reid.model={reid.model_name} ({precision}) has no calibrated match threshold: run "
        f"`pictag calibrate -c <config> --sidecar` on labelled footage (writes {sidecar_path(model_file).name} "
        "next to the model), or set reid.threshold to a number"
    )


def resolve_reid(reid: ReidConfig, assets_dir: str | None = None) -> tuple[ReidConfig, ResolvedThreshold]:
    """The ``reid`` section with its threshold as a number, and where that number came from.

    With re-identification off the threshold is never used: ``auto`` becomes 0.0 there.
    """
    if not reid.enabled and isinstance(reid.threshold, str):
        resolved = ResolvedThreshold(0.0, "unused: re-identification is off")
    else:
        resolved = resolve_threshold(reid, assets_dir)
    return reid.model_copy(update={"threshold": resolved.value}), resolved
