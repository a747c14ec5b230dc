"""Kalman filter maths: constant velocity, real time steps, batching."""

from __future__ import annotations

import numpy as np
import pytest

from pictag.tracking import kalman


def _track(velocity: tuple[float, float], dt: float, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Filter a box moving at ``velocity`` px/s, sampled every ``dt`` s."""
    start = np.array([[100.0, 200.0, 40.0, 100.0]])
    mean, cov = kalman.initiate(start)
    truth = start
    for k in range(1, steps + 1):
        truth = start + np.array([[velocity[0], velocity[1], 0, 0]]) * k * dt
        mean, cov = kalman.predict(mean, cov, dt)
        mean, cov = kalman.update(mean, cov, truth)
    return mean, cov, truth


@pytest.mark.parametrize("dt", [1 / 25, 1 / 7, 0.5])
def test_velocity_is_learned_in_pixels_per_second(dt: float) -> None:
    mean, _, _ = _track((60.0, -20.0), dt, steps=30)
    assert mean[0, 4] == pytest.approx(60.0, abs=1.0)
    assert mean[0, 5] == pytest.approx(-20.0, abs=1.0)
    assert abs(mean[0, 6]) < 0.5 and abs(mean[0, 7]) < 0.5


def test_prediction_over_a_skipped_interval_lands_on_the_truth() -> None:
    mean, cov, truth = _track((50.0, 10.0), 0.1, steps=20)
    # One prediction of 0.7 s (six frames skipped) ...
    far, far_cov = kalman.predict(mean, cov, 0.7)
    expected = truth + np.array([[35.0, 7.0, 0, 0]])
    np.testing.assert_allclose(far[0, :4], expected[0], atol=1.5)
    # ... is less certain than a prediction of 0.1 s.
    near, near_cov = kalman.predict(mean, cov, 0.1)
    assert np.all(np.diag(far_cov[0]) > np.diag(near_cov[0]))
    # Mean propagation is linear in time: two half steps equal one step.
    half, half_cov = kalman.predict(*kalman.predict(mean, cov, 0.35), 0.35)
    np.testing.assert_allclose(half, far, atol=1e-9)


def test_update_shrinks_uncertainty_and_pulls_towards_the_measurement() -> None:
    mean, cov = kalman.initiate([[100.0, 100.0, 50.0, 120.0]])
    mean, cov = kalman.predict(mean, cov, 0.1)
    before = np.trace(cov[0])
    new_mean, new_cov = kalman.update(mean, cov, [[110.0, 100.0, 50.0, 120.0]])
    assert np.trace(new_cov[0]) < before
    assert 100.0 < new_mean[0, 0] < 110.0
    np.testing.assert_allclose(new_cov[0], new_cov[0].T)
    assert np.all(np.linalg.eigvalsh(new_cov[0]) > 0)


def test_batched_rows_equal_single_rows() -> None:
    rng = np.random.default_rng(3)
    z0 = np.column_stack([rng.uniform(0, 600, (5, 2)), rng.uniform(20, 200, (5, 2))])
    mean, cov = kalman.initiate(z0)
    dts = np.array([0.04, 0.1, 0.2, 0.5, 1.0])
    mean, cov = kalman.predict(mean, cov, dts)
    z1 = z0 + rng.normal(0, 3, z0.shape)
    bm, bc = kalman.update(mean, cov, z1)
    for i in range(5):
        sm, sc = kalman.initiate(z0[i : i + 1])
        sm, sc = kalman.predict(sm, sc, dts[i])
        sm, sc = kalman.update(sm, sc, z1[i : i + 1])
        np.testing.assert_allclose(bm[i], sm[0], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(bc[i], sc[0], rtol=1e-12, atol=1e-9)


def test_box_conversions_round_trip() -> None:
    boxes = np.array([[10.0, 20.0, 50.0, 120.0], [0.0, 0.0, 1.0, 1.0]])
    np.testing.assert_allclose(kalman.cxcywh_to_xyxy(kalman.xyxy_to_cxcywh(boxes)), boxes)
    np.testing.assert_allclose(kalman.xyxy_to_cxcywh(boxes)[0], [30.0, 70.0, 40.0, 100.0])
