"""Fine-tuning a float backbone prefix (YOLOv5n layers 0..k) together with a head, on crops.

Slower than training a head on cached features (~150 crops/s forward+backward on 2 threads
at 256x128 for layers 0-6) but the backbone can learn appearance rather than objectness.
Augmentation runs online here (every step sees new views).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from pictag.models import augment as aug
from pictag.models.train import InputFn


class BackboneHead(nn.Module):
    """Backbone prefix (input RGB / 255, NCHW) followed by an embedding head."""

    def __init__(self, backbone: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def to_tensor(crops_bgr: npt.NDArray[np.uint8]) -> torch.Tensor:
    """``(n, H, W, 3)`` BGR uint8 → ``(n, 3, H, W)`` RGB float in 0..1 (the detector's input)."""
    rgb = np.ascontiguousarray(crops_bgr[..., ::-1].transpose(0, 3, 1, 2))
    return torch.from_numpy(rgb).float().div_(255.0)


def crop_inputs(crops: npt.NDArray[np.uint8], augment: bool = True) -> InputFn:
    """Inputs drawn from raw crops, augmented afresh at every step."""

    def inputs(idx: npt.NDArray[np.int64], rng: np.random.Generator) -> torch.Tensor:
        batch = crops[idx]
        return to_tensor(aug.augment(batch, rng) if augment else batch)

    return inputs


@torch.no_grad()
def embed_crops(model: nn.Module, crops: npt.NDArray[np.uint8], batch: int = 128) -> npt.NDArray[np.float32]:
    """L2-normalised embeddings of crops with a torch backbone+head (eval mode)."""
    model.eval()
    out = [F.normalize(model(to_tensor(crops[i : i + batch])), dim=1).numpy() for i in range(0, len(crops), batch)]
    return np.concatenate(out) if out else np.zeros((0, 256), np.float32)
