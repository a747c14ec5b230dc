"""Joint mode: embeddings from the detector's own maps equal the exported IR's (OpenVINO ROIAlign + head)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov
import pytest

from pictag.config import DetectorConfig, ReidConfig
from pictag.datasets.video import read_frames
from pictag.detection import build_detector
from pictag.detection.feature_maps import add_feature_outputs
from pictag.detection.letterbox import letterbox
from pictag.errors import ModelError
from pictag.reid.joint import JointEmbedder
from pictag.reid.joint_head import head_after_roi_aligns
from pictag.reid.model_files import shipped_dir
from pictag.reid.registry import build_embedder

JOINT = shipped_dir() / "reid-lite-joint.xml"
#: Every shipped joint IR and the detector layers it pools from.
SHIPPED = {"reid-lite-joint": (6,), "reid-joint": (2,)}


@pytest.fixture(scope="module")
def frame_and_boxes(asset) -> tuple[np.ndarray, np.ndarray]:
    [frame] = read_frames(asset("videos/vtest.avi"), [120]).values()
    detections = build_detector(DetectorConfig(num_requests=1), str(asset("videos/vtest.avi").parent.parent)).detect(
        frame
    )
    boxes = detections.xyxy[detections.confidence > 0.5]
    assert len(boxes) >= 4
    return frame, boxes


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_runtime_path_equals_the_exported_ir(name: str, frame_and_boxes, assets_dir: Path) -> None:
    """numpy RoIAlign on channels-last maps + the cut head == the whole IR on the NCHW maps."""
    frame, boxes = frame_and_boxes
    joint = shipped_dir() / f"{name}.xml"
    layers = SHIPPED[name]
    embedder = JointEmbedder(joint)
    assert embedder.feature_layers == layers and embedder.threshold is not None
    detector = build_detector(DetectorConfig(num_requests=1), str(assets_dir), feature_layers=layers)
    output = detector.detect_full(frame)
    assert output.features is not None
    runtime = embedder.embed_features(output.features, boxes)

    core = ov.Core()
    plain = core.read_model(str(assets_dir / "models/yolo11n_int8_openvino_model/yolo11n.xml"))
    nchw = core.compile_model(add_feature_outputs(plain, layers), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    blob = nchw.create_infer_request()
    tensor, box = letterbox(frame, 640)
    blob.infer({0: tensor})
    feed = {i: blob.get_output_tensor(i + 1).data for i in range(len(layers))}
    feed[len(layers)] = box.to_input(boxes)
    whole = core.compile_model(core.read_model(str(joint)), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    reference = whole(feed)[0]
    assert _cosines(runtime, reference).min() >= 0.999


def test_embed_without_maps_runs_the_detector_itself(frame_and_boxes, assets_dir: Path) -> None:
    """Evaluation tools call embed(frame, boxes): same numbers as the runtime's embed_features."""
    frame, boxes = frame_and_boxes
    embedder = build_embedder(ReidConfig(type="joint"), str(assets_dir), DetectorConfig())
    assert embedder.feature_layers == SHIPPED["reid-joint"]  # the default joint model
    detector = build_detector(DetectorConfig(num_requests=2), str(assets_dir), feature_layers=embedder.feature_layers)
    features = detector.detect_full(frame).features
    assert features is not None
    live = embedder.embed(frame, boxes, features)
    offline = embedder.embed(frame, boxes)
    assert live.shape == (len(boxes), 256) and _cosines(live, offline).min() >= 0.999
    assert np.allclose(np.linalg.norm(live, axis=1), 1.0, atol=1e-4)


def test_a_joint_model_for_another_input_size_is_refused() -> None:
    with pytest.raises(ModelError, match="input_size"):
        JointEmbedder(JOINT, input_size=512)


def test_a_crop_model_is_not_a_joint_model() -> None:
    with pytest.raises(ModelError, match="not_joint"):
        head_after_roi_aligns(ov.Core().read_model(str(shipped_dir() / "reid-lite.xml")))
