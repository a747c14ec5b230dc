"""Crop embedders on the real OMZ / OSNet models and frames of vtest.avi with ground-truth boxes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pictag.config import ReidConfig
from pictag.errors import AssetError, ConfigError, ModelError
from pictag.reid import EMBEDDERS, Embedder, build_embedder
from pictag.reid.model_files import resolve_model_file
from pictag.reid.openvino_embedder import OpenVINOCropEmbedder

MODELS = {
    "intel/person-reidentification-retail-0287": 256,
    "intel/person-reidentification-retail-0288": 256,
    "osnet/osnet_x0_25_msmt17.onnx": 512,
}
#: Video frames 99 and 104 (ground-truth frames 100 and 105): six people visible in both.
FRAME_A, FRAME_B = 99, 104


def _frame(video: Path, index: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(video))
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = cap.read()
    cap.release()
    assert ok, f"cannot read frame {index} of {video}"
    return frame


def _gt_boxes(gt: np.ndarray, video_frame: int, ids: np.ndarray) -> np.ndarray:
    rows = gt[gt[:, 0] == video_frame + 1]
    picked = np.stack([rows[rows[:, 1] == i][0] for i in ids])
    return np.concatenate([picked[:, 2:4], picked[:, 2:4] + picked[:, 4:6]], axis=1).astype(np.float32)


@pytest.fixture(scope="module")
def pets(asset):
    video = asset("vtest.avi")
    gt = np.loadtxt(asset("mot/PETS09-S2L1/gt/gt.txt"), delimiter=",")
    ids = np.intersect1d(gt[gt[:, 0] == FRAME_A + 1, 1], gt[gt[:, 0] == FRAME_B + 1, 1])
    frames = (_frame(video, FRAME_A), _frame(video, FRAME_B))
    return frames, (_gt_boxes(gt, FRAME_A, ids), _gt_boxes(gt, FRAME_B, ids))


@pytest.mark.parametrize(("model", "dim"), MODELS.items())
def test_same_person_is_more_similar_than_other_people(pets, model: str, dim: int) -> None:
    (fa, fb), (ba, bb) = pets
    embedder = build_embedder(ReidConfig(model=model))
    assert isinstance(embedder, Embedder)
    assert embedder.dim == dim
    ea, eb = embedder.embed(fa, ba), embedder.embed(fb, bb)
    assert ea.shape == (len(ba), dim) and ea.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ea, axis=1), 1.0, atol=1e-5)
    sim = ea @ eb.T
    assert len(sim) >= 5
    assert (sim.argmax(axis=1) == np.arange(len(sim))).all(), np.round(sim, 2)
    same, diff = np.diag(sim).mean(), sim[~np.eye(len(sim), dtype=bool)].mean()
    assert same > diff + 0.2, (same, diff)


def test_empty_boxes_and_batch_equals_single(pets) -> None:
    (fa, _), (ba, _) = pets
    embedder = build_embedder(ReidConfig())
    assert embedder.embed(fa, np.zeros((0, 4), np.float32)).shape == (0, 256)
    batch = embedder.embed(fa, ba)
    single = np.concatenate([embedder.embed(fa, ba[i : i + 1]) for i in range(len(ba))])
    np.testing.assert_allclose(batch, single, atol=1e-4)


def test_model_resolution_picks_precision_folders(asset) -> None:
    asset("intel/person-reidentification-retail-0287")
    assert resolve_model_file("intel/person-reidentification-retail-0287").parent.name == "FP16"
    assert resolve_model_file("intel/person-reidentification-retail-0287", "int8").parent.name == "FP16-INT8"
    assert resolve_model_file("osnet/osnet_x0_25_msmt17.onnx").suffix == ".onnx"
    with pytest.raises(AssetError, match="no int8 re-id model"):
        resolve_model_file("intel/person-reidentification-retail-0277", "int8")
    with pytest.raises(AssetError, match="not shipped"):
        resolve_model_file("pictag/no-such-model")


def test_int8_omz_model_runs(pets) -> None:
    (fa, _), (ba, _) = pets
    f32 = build_embedder(ReidConfig()).embed(fa, ba)
    int8 = build_embedder(ReidConfig(precision="int8")).embed(fa, ba)
    assert (f32 * int8).sum(axis=1).min() > 0.9


def test_detector_ir_is_refused_with_shapes(asset) -> None:
    path = asset("yolo11n_int8_openvino_model") / "yolo11n.xml"
    with pytest.raises(ModelError, match=r"reason=bad_input|reason=bad_output"):
        OpenVINOCropEmbedder(path)


def test_unknown_backend_is_a_config_error() -> None:
    config = ReidConfig.model_construct(type="nope")
    with pytest.raises(ConfigError, match="reid.type"):
        build_embedder(config)
    assert "openvino_crop" in EMBEDDERS
