"""Batched constant-velocity Kalman filter for boxes, in real time units.

State layout (one row per track, ``mean`` is ``(n, 8) float64``)::

    [cx, cy, w, h, vx, vy, vw, vh]      centre, size (pixels) and their rates (pixels / second)

``cov`` is ``(n, 8, 8) float64``; a measurement is ``(n, 4)`` ``[cx, cy, w, h]``.

Why seconds and not frames: the runtime skips frames when a stage is busy, so the
interval between two updates of one camera varies. Process noise is a random walk
whose *variance grows linearly with dt*, so two predictions of 0.1 s equal one of
0.2 s and a skipped frame does not make the filter over-confident. Noise scales
with the box size (width for x/w, height for y/h, as in BoT-SORT's XYWH filter):
a person 300 px tall jitters more in pixels than one 60 px tall.

Every function is pure and vectorised over tracks: no Python loop per track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

#: Rows of the state that are directly observed.
_OBS = 4


@dataclass(frozen=True)
class KalmanNoise:
    """Noise model, relative to box size (width for x/w rows, height for y/h rows).

    Attributes:
        position: random-walk std of the position rows, in box sizes per sqrt(second).
        velocity: random-walk std of the velocity rows, in box sizes per second per sqrt(second).
        measurement: std of one detection box edge, in box sizes.
        init_velocity: prior std of the velocity of a new track, in box sizes per second.
    """

    # TrackingConfig's defaults (chosen on PETS09-S2L1 and TUD-Campus, see docs/tracking.md).
    # DeepSORT's per-frame noise (1/20, 1/160 of the height) at 30 fps would be 0.27 and 1.0.
    position: float = 0.1
    velocity: float = 0.3
    measurement: float = 0.05
    init_velocity: float = 1.0


#: The noise model used when a caller gives none.
DEFAULT_NOISE = KalmanNoise()


def xyxy_to_cxcywh(boxes: npt.ArrayLike) -> F64:
    """``(n, 4)`` x1, y1, x2, y2 → ``(n, 4)`` centre x, centre y, width, height."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    wh = b[:, 2:] - b[:, :2]
    return np.concatenate([b[:, :2] + wh / 2, wh], axis=1)


def cxcywh_to_xyxy(boxes: npt.ArrayLike) -> F64:
    """``(n, 4)`` centre x, centre y, width, height → ``(n, 4)`` x1, y1, x2, y2."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    half = b[:, 2:] / 2
    return np.concatenate([b[:, :2] - half, b[:, :2] + half], axis=1)


def _scale(size: F64) -> F64:
    """Per-row size ``(n, 4)`` = (w, h, w, h) from a ``(n, 4)`` cxcywh array, kept positive."""
    wh = np.maximum(size[:, 2:4], 1.0)
    return np.concatenate([wh, wh], axis=1)


def initiate(measurement: npt.ArrayLike, noise: KalmanNoise = DEFAULT_NOISE) -> tuple[F64, F64]:
    """New tracks from ``(n, 4)`` cxcywh measurements: zero velocity, wide velocity prior.

    Returns:
        ``mean (n, 8)`` and ``cov (n, 8, 8)``.
    """
    z = np.asarray(measurement, dtype=np.float64).reshape(-1, _OBS)
    n = z.shape[0]
    mean = np.concatenate([z, np.zeros_like(z)], axis=1)
    s = _scale(z)
    std = np.concatenate([2.0 * noise.measurement * s, noise.init_velocity * s], axis=1)
    cov = np.zeros((n, 8, 8))
    idx = np.arange(8)
    cov[:, idx, idx] = std**2
    return mean, cov


def predict(mean: F64, cov: F64, dt: npt.ArrayLike, noise: KalmanNoise = DEFAULT_NOISE) -> tuple[F64, F64]:
    """Advance every track by ``dt`` seconds (scalar or ``(n,)``).

    ``F = [[I, dt·I], [0, I]]``, ``Q = diag((q_p·s)²·dt, (q_v·s)²·dt)``.

    Returns:
        New ``mean (n, 8)`` and ``cov (n, 8, 8)`` (inputs are not modified).
    """
    n = mean.shape[0]
    dt_arr = np.broadcast_to(np.asarray(dt, dtype=np.float64), (n,))
    new_mean = mean.copy()
    new_mean[:, :_OBS] += mean[:, _OBS:] * dt_arr[:, None]
    f = np.broadcast_to(np.eye(8), (n, 8, 8)).copy()
    idx = np.arange(_OBS)
    f[:, idx, idx + _OBS] = dt_arr[:, None]
    s = _scale(mean[:, :_OBS])
    q_diag = np.concatenate([(noise.position * s) ** 2, (noise.velocity * s) ** 2], axis=1) * dt_arr[:, None]
    new_cov = f @ cov @ f.transpose(0, 2, 1)
    diag = np.arange(8)
    new_cov[:, diag, diag] += q_diag
    return new_mean, new_cov


def project(mean: F64, cov: F64, noise: KalmanNoise = DEFAULT_NOISE) -> tuple[F64, F64]:
    """Predicted measurement and its covariance ``S = H P Hᵀ + R``: ``(n, 4)``, ``(n, 4, 4)``."""
    s = _scale(mean[:, :_OBS])
    innov = cov[:, :_OBS, :_OBS].copy()
    idx = np.arange(_OBS)
    innov[:, idx, idx] += (noise.measurement * s) ** 2
    return mean[:, :_OBS].copy(), innov


def update(mean: F64, cov: F64, measurement: npt.ArrayLike, noise: KalmanNoise = DEFAULT_NOISE) -> tuple[F64, F64]:
    """Correct each track ``i`` with its own measurement row ``i`` (``(n, 4)`` cxcywh).

    Uses ``K = P Hᵀ S⁻¹`` solved, not inverted, and symmetrises the result so
    rounding cannot make the covariance indefinite over long tracks.

    Returns:
        Corrected ``mean (n, 8)`` and ``cov (n, 8, 8)``.
    """
    z = np.asarray(measurement, dtype=np.float64).reshape(-1, _OBS)
    if z.shape[0] == 0:
        return mean.copy(), cov.copy()
    projected, innov_cov = project(mean, cov, noise)
    p_ht_t = cov[:, :_OBS, :]  # (n, 4, 8) = (P Hᵀ)ᵀ
    gain = np.linalg.solve(innov_cov, p_ht_t).transpose(0, 2, 1)  # (n, 8, 4)
    innovation = z - projected
    new_mean = mean + np.einsum("nij,nj->ni", gain, innovation)
    new_cov = cov - gain @ p_ht_t
    new_cov = (new_cov + new_cov.transpose(0, 2, 1)) / 2
    return new_mean, new_cov
