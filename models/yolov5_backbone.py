"""The float YOLOv5n backbone from the original ``yolov5n.pt``, as Ultralytics modules (torch).

Why: fine-tuning a backbone prefix needs float weights; the shared YOLO11n is INT8-only,
while ``yolov5n.pt`` (COCO, float) is a pickle of the original yolov5 code base
(``models.common.Conv/C3/SPPF``, ``models.yolo.Model``). Ultralytics' ``Conv``, ``C3``,
``Bottleneck`` and ``SPPF`` have the same attributes (``conv/bn/act``, ``cv1/cv2/cv3/m``,
``add``) and the same forward, so the pickle is loaded with those classes substituted; the
model wrapper and the Detect layer become inert placeholders (never called).

Only trusted files should go through this: it is a full unpickle (``weights_only=False``).
"""

from __future__ import annotations

import pickle
import types
from pathlib import Path
from typing import Any

import torch
from torch import nn

from pictag.models.torchvision_stub import import_ultralytics

#: yolov5n backbone layers and strides: 0 Conv/2, 1 Conv/4, 2 C3, 3 Conv/8, 4 C3 (P3),
#: 5 Conv/16, 6 C3 (P4), 7 Conv/32, 8 C3, 9 SPPF.
V5_CHANNELS = {4: 64, 6: 128, 8: 256, 9: 256}


class _Inert(nn.Module):
    """Stand-in for classes of the yolov5 code base that are loaded but never run."""


def _module_map() -> dict[tuple[str, str], Any]:
    import_ultralytics()
    from ultralytics.nn.modules import C3, SPPF, Bottleneck, Concat, Conv

    return {
        ("models.common", "Conv"): Conv,
        ("models.common", "C3"): C3,
        ("models.common", "Bottleneck"): Bottleneck,
        ("models.common", "SPPF"): SPPF,
        ("models.common", "Concat"): Concat,
        ("models.yolo", "Model"): _Inert,
        ("models.yolo", "DetectionModel"): _Inert,
        ("models.yolo", "Detect"): _Inert,
    }


def _pickle_module() -> types.ModuleType:
    mapping = _module_map()

    class Unpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if (module, name) in mapping:
                return mapping[(module, name)]
            return super().find_class(module, name)

    mod = types.ModuleType("yolov5_pickle")
    mod.Unpickler = Unpickler  # type: ignore[attr-defined]
    mod.load = pickle.load  # type: ignore[attr-defined]
    mod.__dict__["Pickler"] = pickle.Pickler
    return mod


def load_yolov5_backbone(path: str | Path, last_layer: int = 6) -> nn.Sequential:
    """Layers ``0..last_layer`` of YOLOv5n as a float32 ``nn.Sequential`` (input RGB / 255)."""
    ckpt = torch.load(str(path), map_location="cpu", weights_only=False, pickle_module=_pickle_module())
    model = ckpt.get("ema") or ckpt["model"]
    layers = list(model.model.children())[: last_layer + 1]
    seq = nn.Sequential(*layers).float().requires_grad_(True)
    for m in seq.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eps, m.momentum = 1e-3, 0.03
    return seq
