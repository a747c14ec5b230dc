"""Find the model file of a re-id model name: OMZ precision folders, IR files, ONNX, shipped models.

OMZ models come as ``intel/NAME/{FP32,FP16,FP16-INT8}/NAME.xml``. For float inference
(``f32``/``bf16``) FP16 is tried first: every OMZ re-id model in the asset manifest has it
(0277 and 0286 have nothing else), it is half the download, and OpenVINO decompresses FP16
weights to the inference precision at compile time, so embeddings differ from the FP32 IR
only by the rounding of the weights (cosine > 0.9999 measured on 0287). ``int8`` loads the
NNCF-quantised IR (``FP16-INT8``/``INT8``) and never falls back to a float one silently.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from pictag import assets
from pictag.errors import AssetError

#: Precision sub-folders tried in order, per `ReidConfig.precision`.
PRECISION_FOLDERS: dict[str, tuple[str, ...]] = {
    "f32": ("FP16", "FP32"),
    "bf16": ("FP16", "FP32"),
    "int8": ("FP16-INT8", "INT8"),
}
#: Models shipped inside the package: ``pictag/NAME`` is ``pictag/reid/weights/NAME.xml``
#: (``NAME-int8.xml`` for int8).
SHIPPED_PREFIX = "pictag/"
MODEL_SUFFIXES = (".xml", ".onnx")


def shipped_dir() -> Path:
    """Folder of the re-id models committed with PicTag."""
    return Path(str(resources.files("pictag.reid").joinpath("weights")))


#: rt_info key of a joint-mode IR naming the detector layer its head was trained on.
JOINT_LAYER_KEY = "pictag_layer"
#: Layer assumed when a joint-mode IR does not name one (YOLO11n P4).
DEFAULT_JOINT_LAYER = 6


def joint_model_path(name: str) -> Path:
    """``pictag-lite-joint`` (or ``pictag/reid-lite-joint``) → the shipped joint IR; else a path."""
    for prefix in ("pictag-", "pictag/reid-"):
        if name.startswith(prefix):
            return shipped_dir() / f"reid-{name[len(prefix) :]}.xml"
    return Path(name)


def joint_layer(model: Any) -> int:
    """The detector layer a joint-mode IR (``ov.Model``) pools from."""
    if model.has_rt_info(JOINT_LAYER_KEY):
        return int(str(model.get_rt_info(JOINT_LAYER_KEY).astype(str)))
    return DEFAULT_JOINT_LAYER


def _shipped_file(stem: str, precision: str) -> Path:
    """``weights/STEM.xml`` (float) or ``weights/STEM-int8.xml`` (int8)."""
    path = shipped_dir() / (f"{stem}-int8.xml" if precision == "int8" else f"{stem}.xml")
    if not path.is_file():
        raise AssetError(f"re-id model pictag/{stem} ({precision}) is not shipped with this PicTag (no {path})")
    return path


def _model_in_folder(folder: Path, precision: str | None) -> Path | None:
    """The first model file in ``folder``; with a ``precision``, an ``*int8*`` file for int8 and
    a float one otherwise (flat folders holding both); ``None`` takes any (precision folders)."""
    files = sorted(p for p in folder.iterdir() if p.suffix in MODEL_SUFFIXES)
    if precision is not None:
        want_int8 = precision == "int8"
        files = [p for p in files if ("int8" in p.stem.lower()) == want_int8]
    return files[0] if files else None


def resolve_model_file(name: str, precision: str = "f32", assets_dir: str | None = None) -> Path:
    """Path of the ``.xml``/``.onnx`` file for a re-id model name or path.

    Args:
        name: ``intel/person-reidentification-retail-0287`` (folder with precision
            sub-folders), ``osnet/osnet_x0_25_msmt17.onnx``, ``pictag/reid-lite`` (shipped with
            PicTag) or a path to a file or folder.
        precision: ``f32``, ``bf16`` or ``int8`` (see `PRECISION_FOLDERS`).
        assets_dir: configured assets directory searched before ``$PICTAG_ASSETS``.

    Raises:
        AssetError: nothing matching exists; the message names what was looked for.
    """
    if name.startswith(SHIPPED_PREFIX):
        return _shipped_file(name[len(SHIPPED_PREFIX) :], precision)
    path = assets.resolve(name, assets_dir)
    if path.is_file():
        if path.suffix not in MODEL_SUFFIXES:
            raise AssetError(f"re-id model {path} is neither an OpenVINO .xml nor an .onnx file")
        return path
    for sub in PRECISION_FOLDERS[precision]:
        if (path / sub).is_dir():
            found = _model_in_folder(path / sub, None)
            if found:
                return found
    found = _model_in_folder(path, precision)
    if found:
        return found
    tried = ", ".join(PRECISION_FOLDERS[precision])
    raise AssetError(
        f"no {precision} re-id model in {path} (tried sub-folders {tried} and *.xml/*.onnx): "
        "pick another `reid.precision` or give the model file's path"
    )
