"""INT8 post-training quantisation with NNCF on real calibration data, and what it changed.

Re-id models are calibrated on person crops, detectors on letterboxed frames of the user's
own video. Quantisation is never trusted blindly (a toy head lost up to 0.055 cosine on
some crops, DESIGN §3): callers re-measure accuracy and keep INT8 only if it holds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import openvino as ov

from pictag.detection.letterbox import letterbox

log = logging.getLogger(__name__)


def quantize_model(
    model: ov.Model,
    samples: Iterable[npt.NDArray[np.float32]],
    subset_size: int = 300,
    ignored_types: list[str] | None = None,
) -> ov.Model:
    """NNCF INT8 of an OpenVINO model from an iterable of ready input arrays (one per sample)."""
    import nncf

    data = list(samples)
    dataset = nncf.Dataset(data)
    ignored = nncf.IgnoredScope(types=ignored_types) if ignored_types else None
    kwargs = {"ignored_scope": ignored} if ignored else {}
    return nncf.quantize(
        model,
        dataset,
        subset_size=min(subset_size, len(data)),
        preset=nncf.QuantizationPreset.MIXED,
        **kwargs,
    )


def crop_samples(crops: npt.NDArray[np.uint8]) -> list[npt.NDArray[np.float32]]:
    """Person crops as ``1 x 3 x H x W`` RGB / 255 inputs (our re-id IRs' raw input)."""
    return [np.ascontiguousarray(c[..., ::-1].transpose(2, 0, 1))[None].astype(np.float32) / 255.0 for c in crops]


def frame_samples(video: str | Path, size: int = 640, count: int = 300) -> list[npt.NDArray[np.float32]]:
    """``count`` letterboxed frames spread over a video, as detector inputs."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or count
    wanted = set(np.linspace(0, total - 1, min(count, total)).astype(int).tolist())
    out: list[npt.NDArray[np.float32]] = []
    index = 0
    while len(out) < len(wanted):
        ok, frame = cap.read()
        if not ok:
            break
        if index in wanted:
            out.append(letterbox(frame, size)[0])
        index += 1
    cap.release()
    return out


def detection_agreement(
    reference: npt.NDArray[np.float32],
    other: npt.NDArray[np.float32],
    conf: float = 0.25,
    iou: float = 0.5,
    class_id: int = 0,
) -> dict[str, float]:
    """How well ``other``'s raw YOLO outputs reproduce ``reference``'s person boxes.

    Both are lists/arrays of ``1 x (4 + classes) x anchors`` outputs of the same frames. Boxes
    above ``conf`` after a simple NMS are matched at ``iou``; returns recall and precision of
    ``other`` against ``reference`` (1.0/1.0: same detections).
    """
    from pictag.geometry import box_iou

    tp = fp = fn = 0
    for ref, oth in zip(reference, other, strict=True):
        a, b = _boxes(ref, conf, class_id), _boxes(oth, conf, class_id)
        if len(a) and len(b):
            m = box_iou(a, b) >= iou
            matched_a = m.any(axis=1)
            matched_b = m.any(axis=0)
            tp += int(matched_a.sum())
            fn += int((~matched_a).sum())
            fp += int((~matched_b).sum())
        else:
            fn += len(a)
            fp += len(b)
    return {
        "recall": tp / max(tp + fn, 1),
        "precision": tp / max(tp + fp, 1),
        "reference_boxes": float(tp + fn),
    }


def _boxes(out: npt.NDArray[np.float32], conf: float, class_id: int) -> npt.NDArray[np.float32]:
    pred = out.reshape(out.shape[-2], out.shape[-1]).T
    score = pred[:, 4 + class_id]
    keep = score >= conf
    xywh, score = pred[keep, :4], score[keep]
    xyxy = np.concatenate([xywh[:, :2] - xywh[:, 2:] / 2, xywh[:, :2] + xywh[:, 2:] / 2], axis=1)
    order = np.argsort(-score)
    xyxy = xyxy[order]
    from pictag.geometry import box_iou

    kept: list[int] = []
    iou = box_iou(xyxy, xyxy)
    suppressed = np.zeros(len(xyxy), bool)
    for i in range(len(xyxy)):
        if suppressed[i]:
            continue
        kept.append(i)
        suppressed |= iou[i] > 0.7
    return xyxy[kept]
