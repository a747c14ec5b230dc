"""Class-aware greedy non-maximum suppression, vectorised per kept box.

Greedy NMS is sequential by nature; this version loops once per *kept* box
(typically 1-50 per frame) and suppresses all remaining candidates with one
array operation, so its cost is O(kept x candidates) numpy work and no
per-candidate Python. Class awareness uses the usual coordinate offset: boxes
of different classes are shifted far apart so they never overlap.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def nms(
    boxes: npt.ArrayLike,
    scores: npt.ArrayLike,
    iou_threshold: float,
    class_ids: npt.ArrayLike | None = None,
    max_detections: int | None = None,
) -> IntArray:
    """Indices of the boxes greedy NMS keeps, best score first.

    Args:
        boxes: ``(n, 4)`` x1, y1, x2, y2 (any pixel frame).
        scores: ``(n,)`` confidences.
        iou_threshold: a box is suppressed when its IoU with a kept box of the same class is
            strictly greater than this.
        class_ids: optional ``(n,)`` integer classes; boxes of different classes never
            suppress each other. None: class-agnostic.
        max_detections: stop after this many kept boxes (None: no limit).

    Returns:
        ``(k,) int64`` indices into the inputs, in descending score order.
    """
    # float64: the class offset below must not eat the coordinates' precision.
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if b.shape[0] != s.shape[0]:
        raise ValueError(f"boxes ({b.shape[0]}) and scores ({s.shape[0]}) differ in length")
    if b.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    if class_ids is not None:
        cls = np.asarray(class_ids, dtype=np.float64).reshape(-1)
        if cls.shape[0] != b.shape[0]:
            raise ValueError(f"class_ids ({cls.shape[0]}) and boxes ({b.shape[0]}) differ in length")
        # Shift each class into its own region, larger than any box extent.
        span = float(np.abs(b).max()) * 2.0 + 1.0
        b = b + (cls * span)[:, None]
    limit = b.shape[0] if max_detections is None else max(0, int(max_detections))
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    areas = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    order = np.argsort(-s, kind="stable")
    keep: list[int] = []
    while order.size and len(keep) < limit:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        iw = np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
        ih = np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None)
        inter = iw * ih
        union = areas[i] + areas[rest] - inter
        iou = np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)
        order = rest[iou <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)
