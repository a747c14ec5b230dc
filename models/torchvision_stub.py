"""A stand-in ``torchvision`` for Ultralytics when the real one cannot be installed.

Why: ``import ultralytics`` reads torchvision's package metadata and its NMS needs
``torchvision.ops.nms``. The local CPU torch wheel (2.13.0) has no matching torchvision wheel
on the reachable index (an unpinned install drags in a multi-GB CUDA torch), and the
torchvision that does exist fails with ``torchvision::nms does not exist``. Detection export
and backbone training need only NMS from it, so this module writes a tiny package (NMS in
plain torch, plus a ``.dist-info`` so ``importlib.metadata`` finds a version) into a private
temporary folder and puts that folder on ``sys.path``.

It is used ONLY when ``import torchvision`` fails; it never writes into site-packages. Anything
else from torchvision (transforms, RoIAlign) raises ImportError as usual.
"""

from __future__ import annotations

import importlib
import logging
import sys
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

STUB_VERSION = "0.0.0+pictag.stub"

_INIT = '''"""PicTag's stand-in torchvision (see pictag.models.torchvision_stub)."""
__version__ = "{version}"
from . import ops  # noqa: F401
'''

_OPS = '''"""``torchvision.ops.nms`` in plain torch (greedy, O(n^2) memory: fine for post-NMS sizes)."""
import torch


def box_iou(a, b):
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(2)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(1)
    return inter / (area_a[:, None] + area_b[None, :] - inter).clamp(min=1e-9)


def nms(boxes, scores, iou_threshold):
    order = scores.argsort(descending=True)
    if order.numel() == 0:
        return order
    iou = box_iou(boxes[order], boxes[order])
    keep = torch.ones(order.numel(), dtype=torch.bool, device=boxes.device)
    for i in range(order.numel()):
        if keep[i]:
            keep[i + 1 :] &= iou[i, i + 1 :] <= iou_threshold
    return order[keep]


def batched_nms(boxes, scores, idxs, iou_threshold):
    if boxes.numel() == 0:
        return torch.empty((0,), dtype=torch.int64, device=boxes.device)
    offsets = idxs.to(boxes) * (boxes.max() + 1)
    return nms(boxes + offsets[:, None], scores, iou_threshold)
'''


def _write_stub(root: Path) -> None:
    pkg = root / "torchvision"
    (pkg / "ops").mkdir(parents=True)
    (pkg / "__init__.py").write_text(_INIT.format(version=STUB_VERSION))
    (pkg / "ops" / "__init__.py").write_text(_OPS)
    meta = root / f"torchvision-{STUB_VERSION}.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torchvision\nVersion: {STUB_VERSION}\n")


def ensure_torchvision() -> bool:
    """Make ``import torchvision`` work; True when the stand-in had to be used."""
    try:
        importlib.import_module("torchvision")
        return False
    except (ImportError, RuntimeError) as err:
        sys.modules.pop("torchvision", None)
        log.info("real torchvision unusable (%s): using PicTag's NMS-only stand-in", err)
    root = Path(tempfile.mkdtemp(prefix="pictag-torchvision-stub-"))
    _write_stub(root)
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    importlib.import_module("torchvision")
    return True


def import_ultralytics() -> object:
    """``import ultralytics`` with the torchvision stand-in when needed (quiet, no telemetry)."""
    import os

    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_VERBOSE", "False")
    ensure_torchvision()
    return importlib.import_module("ultralytics")
