"""MOTChallenge readers on the shared sequences and on small files of every layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pictag.datasets.mot import PEDESTRIAN, load_sequence, read_mot, read_seqinfo
from pictag.errors import AssetError


def test_pets09_mot15_layout(asset) -> None:
    seq = load_sequence(asset("PETS09-S2L1"))
    assert seq.seqinfo is not None
    assert (seq.seqinfo.width, seq.seqinfo.height, seq.seqinfo.length) == (768, 576, 795)
    assert len(seq) == 4476 and len(seq.track_ids) == 19
    assert seq.frames[0] == 1 and seq.frames[-1] == 795
    first = seq.at_video_frame(0)  # video frame 0 = gt frame 1
    assert first.ids.tolist() == [9, 15, 19]
    np.testing.assert_allclose(first.xyxy[0], [499, 158, 530.03, 233.17], atol=1e-3)
    # MOT15 has no class/visibility columns: pedestrians, fully visible (world coords ignored).
    assert set(seq.rows.class_id.tolist()) == {PEDESTRIAN} and (seq.rows.visibility == 1).all()


def test_tud_campus(asset) -> None:
    seq = load_sequence(asset("TUD-Campus"))
    assert len(seq.track_ids) == 8 and seq.seqinfo is not None and seq.seqinfo.frame_rate == 25
    assert seq.at_frame(1).ids.tolist() == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(seq.at_frame(1).xyxy[0], [399, 182, 520, 411])


def test_mot17_mini_drops_ignored_rows_and_filters_visibility(asset) -> None:
    path = asset("MOT17-mini/train/MOT17-02-FRCNN")
    raw = np.loadtxt(path / "gt" / "gt.txt", delimiter=",")
    assert (raw[:, 6] == 0).sum() > 0  # the file does mark ignored rows
    seq = load_sequence(path)
    assert len(seq) == 88 and (seq.rows.class_id == PEDESTRIAN).all()
    assert seq.frames.tolist() == [1, 2, 3, 4]
    visible = load_sequence(path, min_visibility=0.5)
    assert len(visible) == 43 and (visible.rows.visibility >= 0.5).all()


def test_mot17_detections_keep_every_row_sorted_by_frame(asset) -> None:
    path = asset("MOT17-mini/train/MOT17-05-FRCNN")
    det = load_sequence(path, kind="det")
    raw = np.loadtxt(path / "det" / "det.txt", delimiter=",")
    assert len(det) == raw.shape[0]
    assert np.all(np.diff(det.frame) >= 0)
    assert (det.rows.ids == -1).all() and det.rows.confidence.max() <= 1.0


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gt.txt"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "kwargs", "ids", "classes"),
    [
        # MOT17 9 columns: conf-0 rows (static person, class 7) dropped; class 2 by default too.
        ("1,1,10,10,5,20,1,1,0.9\n1,2,30,10,5,20,0,7,1.0\n1,3,50,10,5,20,1,2,1.0\n", {}, [1], [1]),
        (
            "1,1,10,10,5,20,1,1,0.9\n1,2,30,10,5,20,0,7,1.0\n1,3,50,10,5,20,1,2,1.0\n",
            {"classes": None},
            [1, 3],
            [1, 2],
        ),
        ("1,1,10,10,5,20,1,1,0.2\n1,2,30,10,5,20,1,1,0.8\n", {"min_visibility": 0.5}, [2], [1]),
        # MOT15 10 columns: world coordinates are not class/visibility.
        (
            "1,4,10,10,5,20,1,-4.1,7.3,0\n1,5,10,10,5,20,1,-1,-1,-1\n",
            {"min_visibility": 0.5},
            [4, 5],
            [1, 1],
        ),
        # Minimal 6 columns.
        ("1,7,10,10,5,20\n", {}, [7], [1]),
        # Detection file: a score, not a consider flag; nothing dropped.
        ("1,-1,10,10,5,20,0.05\n1,-1,30,10,5,20,0.9\n", {"kind": "det"}, [-1, -1], [1, 1]),
    ],
)
def test_layouts(tmp_path: Path, text: str, kwargs: dict, ids: list[int], classes: list[int]) -> None:
    table = read_mot(_write(tmp_path, text), **kwargs)
    assert table.rows.ids.tolist() == ids
    assert table.rows.class_id.tolist() == classes


def test_boxes_are_xyxy_and_frames_are_grouped(tmp_path: Path) -> None:
    path = _write(tmp_path, "2,1,10,20,5,40,1,1,1\n1,1,8,20,5,40,1,1,1\n2,2,50,60,10,10,1,1,1\n")
    table = read_mot(path, frame_offset=1)
    assert table.frames.tolist() == [1, 2]
    np.testing.assert_allclose(table.at_video_frame(1).xyxy, [[10, 20, 15, 60], [50, 60, 60, 70]])
    assert len(table.at_frame(99)) == 0 and table.at_frame(99).xyxy.shape == (0, 4)
    grouped = {frame: truth.ids.tolist() for frame, truth in table.iter_frames()}
    assert grouped == {1: [1], 2: [1, 2]}


def test_frame_offset_zero(tmp_path: Path) -> None:
    table = read_mot(_write(tmp_path, "1,3,0,0,1,1,1,1,1\n"), frame_offset=0)
    assert table.at_video_frame(1).ids.tolist() == [3] and len(table.at_video_frame(0)) == 0


def test_empty_file_is_an_empty_table(tmp_path: Path) -> None:
    table = read_mot(_write(tmp_path, ""))
    assert len(table) == 0 and list(table.iter_frames()) == []


@pytest.mark.parametrize(("text", "match"), [("1,2,3\n", "at least 6 columns"), ("a,b,c,d,e,f\n", "malformed")])
def test_malformed_files_are_asset_errors(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(AssetError, match=match):
        read_mot(_write(tmp_path, text))


def test_missing_files_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(AssetError, match=r"MOT file not found: path=.*gt\.txt"):
        read_mot(tmp_path / "gt.txt")
    with pytest.raises(AssetError, match="sequence folder not found"):
        load_sequence(tmp_path / "nope")
    with pytest.raises(AssetError, match="seqinfo.ini not found"):
        read_seqinfo(tmp_path)


def test_malformed_seqinfo(tmp_path: Path) -> None:
    (tmp_path / "seqinfo.ini").write_text("[Sequence]\nname=x\nframeRate=abc\n")
    with pytest.raises(AssetError, match="malformed seqinfo.ini"):
        read_seqinfo(tmp_path)
