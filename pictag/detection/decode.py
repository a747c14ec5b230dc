"""Decode the raw v8/v11 YOLO output into frame-space `Detections`.

Layout of the raw output (one image): ``(4 + nc, N)`` — rows cx, cy, w, h in
network-input pixels, then ``nc`` class scores in 0..1; N anchor columns.

Single-label decoding as Ultralytics does it: each column takes its best class
over *all* classes, and the class filter is applied afterwards (a box that is
mostly "chair" is not turned into a weak "person"). To keep it cheap, columns
are first pre-filtered on the kept classes' rows only — a column whose best
kept-class score is below the threshold can never survive — so the full
``nc x N`` argmax runs on a few hundred columns instead of 8400.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pictag.detection.letterbox import Letterbox
from pictag.detection.nms import nms
from pictag.detections import Detections

IntArray = npt.NDArray[np.int64]
#: Candidates handed to NMS at most (highest scores first), as Ultralytics' ``max_nms``.
MAX_CANDIDATES = 30000


def decode_yolo(
    raw: npt.NDArray[np.float32],
    letterbox: Letterbox,
    *,
    confidence: float,
    iou: float,
    max_detections: int,
    classes: IntArray | None = None,
) -> Detections:
    """Boxes of one image from a raw v8/v11 output.

    Args:
        raw: ``(1, 4 + nc, N)`` or ``(4 + nc, N)`` network output.
        letterbox: the transform used to make the input (maps boxes back to the frame).
        confidence: lowest class score kept.
        iou: class-aware NMS IoU threshold.
        max_detections: boxes kept after NMS, best first.
        classes: sorted class indices to keep; None keeps all.

    Returns:
        `Detections` in frame pixels, clipped to the frame, zero-area boxes dropped, in
        descending confidence.
    """
    pred = np.asarray(raw).reshape(raw.shape[-2], raw.shape[-1])
    scores = pred[4:]
    if classes is not None and len(classes) < scores.shape[0]:
        kept_best = scores[classes[0]] if len(classes) == 1 else scores[classes].max(axis=0)
    else:
        kept_best = scores.max(axis=0)
    cand = np.flatnonzero(kept_best >= confidence)
    if cand.size == 0:
        return Detections.empty()
    if cand.size > MAX_CANDIDATES:
        cand = cand[np.argsort(-kept_best[cand], kind="stable")[:MAX_CANDIDATES]]
    cand_scores = scores[:, cand]
    class_id = cand_scores.argmax(axis=0)
    conf = cand_scores[class_id, np.arange(cand.size)]
    if classes is not None:
        mask = np.isin(class_id, classes)
        cand, class_id, conf = cand[mask], class_id[mask], conf[mask]
    cx, cy, w, h = pred[0, cand], pred[1, cand], pred[2, cand] * 0.5, pred[3, cand] * 0.5
    boxes = np.stack([cx - w, cy - h, cx + w, cy + h], axis=1)
    keep = nms(boxes, conf, iou, class_ids=class_id, max_detections=max_detections)
    xyxy = letterbox.to_frame(boxes[keep])
    visible = (xyxy[:, 2] > xyxy[:, 0]) & (xyxy[:, 3] > xyxy[:, 1])
    keep = keep[visible]
    return Detections(
        xyxy=xyxy[visible],
        confidence=conf[keep].astype(np.float32),
        class_id=class_id[keep].astype(np.int64),
    )
