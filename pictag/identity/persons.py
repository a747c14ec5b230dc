"""Physical persons behind MOT ground-truth ids: re-entering people get new ids there.

MOTChallenge ground truth follows *tracks*: in PETS09-S2L1 a person who leaves the view and
comes back is annotated under a new id. For re-identification that is wrong ground truth —
matching the returning person to the earlier id is exactly what re-id should do, and pairs
of "different" ids would be same-person pairs in disguise. `KNOWN_PERSONS` maps such ids to
one physical person per sequence.

PETS09-S2L1 (19 ids → 10 persons): found by inspecting crops of every id side by side,
confirmed by (a) disjoint annotated frame spans within each group (gaps of 24-100 frames,
3.5-14 s at 7 fps: people walking out of view and back) and (b) the OMZ 0287 mean-embedding
cosine between ids: 0.66-0.99 inside every group, at most 0.43 between groups. TUD-Campus
(71 frames) has no re-entries.

A user's own sequence can be described with a JSON file ``{"gt_id": person, ...}``
(`load_persons`); ids not listed are their own person.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pictag.errors import EvaluationError

IntArray = npt.NDArray[np.int64]

#: Ground-truth id groups that are one physical person, by MOT sequence name (seqinfo.ini).
KNOWN_PERSONS: dict[str, tuple[tuple[int, ...], ...]] = {
    "PETS09-S2L1": (
        (19, 1),
        (13, 2),
        (11, 3),
        (12, 4),
        (9, 5),
        (10, 6),
        (15, 14, 18, 8),
    ),
}


def person_map(groups: tuple[tuple[int, ...], ...]) -> dict[int, int]:
    """``{gt_id: person}`` where a group's person is its first (earliest) id."""
    return {gid: group[0] for group in groups for gid in group}


def known_persons(sequence: str | None) -> dict[int, int]:
    """The built-in map of a sequence (empty when it has no re-entries we know of)."""
    return person_map(KNOWN_PERSONS.get(sequence or "", ()))


def load_persons(path: str | Path) -> dict[int, int]:
    """Read ``{"gt_id": person_id}`` (ints, JSON keys as strings).

    Raises:
        EvaluationError: unreadable file or non-integer entries.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        return {int(k): int(v) for k, v in dict(data).items()}
    except (OSError, ValueError, TypeError) as err:
        raise EvaluationError(
            f'persons file unreadable: path={p} reason={err} (expected {{"gt_id": person_id}})'
        ) from None


def to_persons(gt_ids: npt.ArrayLike, persons: Mapping[int, int]) -> IntArray:
    """Map ground-truth ids to physical persons (unlisted ids map to themselves)."""
    ids = np.asarray(gt_ids, dtype=np.int64)
    if not persons:
        return ids.copy()
    keys = np.fromiter(persons.keys(), dtype=np.int64)
    values = np.fromiter(persons.values(), dtype=np.int64)
    order = np.argsort(keys)
    keys, values = keys[order], values[order]
    pos = np.clip(np.searchsorted(keys, ids), 0, max(keys.size - 1, 0))
    hit = keys[pos] == ids
    out: IntArray = np.where(hit, values[pos], ids)
    return out
