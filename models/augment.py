"""Crop augmentation for re-id training (numpy/OpenCV, seeded).

Horizontal flip, colour jitter (brightness/contrast/saturation), scale/crop jitter (a random
zoom-and-shift of the crop, as a detector's loose or tight box would give) and random erasing
(a rectangle of noise: occlusion by a shelf or another person). Views are made once and their
backbone features cached, so training on CPU never re-runs the backbone.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]


def flip(crops: U8) -> U8:
    """Mirror ``(n, H, W, 3)`` crops left-right."""
    return np.ascontiguousarray(crops[:, :, ::-1])


def _hue_shift(img: U8, rng: np.random.Generator, max_shift: int) -> U8:
    if max_shift <= 0:
        return img
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + rng.integers(-max_shift, max_shift + 1)) % 180).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def _colour_jitter(img: U8, rng: np.random.Generator, strength: float) -> U8:
    out = img.astype(np.float32)
    out = out * rng.uniform(1 - strength, 1 + strength) + rng.uniform(-40, 40) * strength
    mean = out.mean()
    out = (out - mean) * rng.uniform(1 - strength, 1 + strength) + mean
    gray = out.mean(axis=2, keepdims=True)
    out = gray + (out - gray) * rng.uniform(1 - strength, 1 + strength)
    return np.clip(out, 0, 255).astype(np.uint8)


def _scale_jitter(img: U8, rng: np.random.Generator, amount: float) -> U8:
    h, w = img.shape[:2]
    s = rng.uniform(1 - amount, 1 + amount)
    dx, dy = rng.uniform(-amount, amount) * w, rng.uniform(-amount, amount) * h
    m = np.array([[s, 0, (1 - s) * w / 2 + dx], [0, s, (1 - s) * h / 2 + dy]], np.float32)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _erase(img: U8, rng: np.random.Generator, prob: float) -> U8:
    if rng.random() >= prob:
        return img
    h, w = img.shape[:2]
    area = rng.uniform(0.02, 0.3) * h * w
    aspect = np.exp(rng.uniform(np.log(0.3), np.log(3.3)))
    eh, ew = int(round(np.sqrt(area * aspect))), int(round(np.sqrt(area / aspect)))
    if eh >= h or ew >= w or eh < 1 or ew < 1:
        return img
    y, x = rng.integers(0, h - eh), rng.integers(0, w - ew)
    out = img.copy()
    out[y : y + eh, x : x + ew] = rng.integers(0, 256, (eh, ew, 3), dtype=np.uint8)
    return out


def augment(
    crops: U8,
    rng: np.random.Generator,
    *,
    colour: float = 0.3,
    scale: float = 0.1,
    erase: float = 0.5,
    hue: int = 0,
) -> U8:
    """One random view of every crop: flip (p=0.5), scale/crop jitter, colour (and hue) jitter,
    random erasing. Hue shifts change clothing colour: use them only when the teacher embeds
    the same augmented view (consistent distillation), never with identity labels alone."""
    out = np.empty_like(crops)
    for i, img in enumerate(crops):
        view = img[:, ::-1] if rng.random() < 0.5 else img
        view = _scale_jitter(np.ascontiguousarray(view), rng, scale)
        view = _colour_jitter(_hue_shift(view, rng, hue), rng, colour)
        out[i] = _erase(view, rng, erase)
    return out
