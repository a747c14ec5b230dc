"""Regenerate the reference values the metric tests compare against (not a test).

Runs TrackEval — the HOTA authors' reference implementation — on

* MOT17-mini (7 MOT17 training sequences cut to 4-8 frames, in the shared assets):
  ground truth vs. the tracker output stored in ``mot17mini_hyp/`` (our ByteTracker
  on the public FRCNN detections, written by this script with ``--write-hyp``);
* the TUD-Campus and TUD-Stadtmitte results that py-motmetrics ships as test data;

with the MOTChallenge protocol (MOT17: distractor preprocessing; MOT15: none) and
stores HOTA/DetA/AssA/LocA and CLEAR/Identity values in ``trackeval_reference.json``.

TrackEval is not a project dependency (its PyPI build requires opencv-python). To
rerun::

    pip download --no-deps -d /tmp/te trackeval==1.3.0 && (cd /tmp/te && unzip -q trackeval-*.whl)
    PICTAG_ASSETS=../shared/assets python tests/unit/eval/data/make_trackeval_reference.py /tmp/te
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
HYP_DIR = HERE / "mot17mini_hyp"
OUT = HERE / "trackeval_reference.json"
FIELDS = {
    "HOTA": ["HOTA", "DetA", "AssA", "LocA", "DetRe", "DetPr", "AssRe", "AssPr"],
    "CLEAR": ["MOTA", "MOTP", "IDSW", "Frag", "CLR_FP", "CLR_FN", "CLR_TP", "MT", "PT", "ML"],
    "Identity": ["IDF1", "IDP", "IDR"],
}


def write_hypotheses(mini: Path) -> None:
    """Our tracker on MOT17's public detections, frames that have ground truth only."""
    from pictag.config import TrackingConfig
    from pictag.detections import Detections
    from pictag.tracking import ByteTracker

    HYP_DIR.mkdir(exist_ok=True)
    for seq in sorted(p for p in mini.iterdir() if p.is_dir()):
        gt = np.loadtxt(seq / "gt" / "gt.txt", delimiter=",", ndmin=2)
        det = np.loadtxt(seq / "det" / "det.txt", delimiter=",", ndmin=2)
        fps = 30.0
        tracker = ByteTracker(TrackingConfig(min_hits=1, high_threshold=0.5, new_track_threshold=0.5))
        lines = []
        for frame in range(1, int(gt[:, 0].max()) + 1):
            rows = det[det[:, 0] == frame]
            conf = np.clip(rows[:, 6] / 100.0 if rows[:, 6].max(initial=0) > 1 else rows[:, 6], 0, 1)
            xyxy = np.concatenate([rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]], axis=1)
            result = tracker.update(Detections(xyxy=xyxy, confidence=conf, class_id=np.zeros(len(rows))), frame / fps)
            for tid, (x1, y1, x2, y2) in zip(result.tracks.track_id, result.tracks.xyxy, strict=True):
                lines.append(f"{frame},{tid},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},1,-1,-1,-1")
        (HYP_DIR / f"{seq.name}.txt").write_text("\n".join(lines) + "\n")


def _run_trackeval(trackeval, gt_root: Path, trk_root: Path, benchmark: str, seqs: dict[str, int]) -> dict:  # noqa: ANN001
    eval_cfg = trackeval.Evaluator.get_default_eval_config()
    eval_cfg.update(
        USE_PARALLEL=False,
        PRINT_RESULTS=False,
        PRINT_CONFIG=False,
        TIME_PROGRESS=False,
        OUTPUT_SUMMARY=False,
        OUTPUT_DETAILED=False,
        PLOT_CURVES=False,
        LOG_ON_ERROR=None,
    )
    ds_cfg = trackeval.datasets.MotChallenge2DBox.get_default_dataset_config()
    ds_cfg.update(
        GT_FOLDER=str(gt_root),
        TRACKERS_FOLDER=str(trk_root),
        OUTPUT_FOLDER=str(trk_root / "out"),
        TRACKERS_TO_EVAL=["t"],
        BENCHMARK=benchmark,
        SKIP_SPLIT_FOL=True,
        SEQ_INFO=seqs,
        PRINT_CONFIG=False,
    )
    metrics = [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR(), trackeval.metrics.Identity()]
    evaluator = trackeval.Evaluator(eval_cfg)
    res, _ = evaluator.evaluate([trackeval.datasets.MotChallenge2DBox(ds_cfg)], metrics)
    out = {}
    for seq in seqs:
        per = res["MotChallenge2DBox"]["t"][seq]["pedestrian"]
        vals = {}
        for group, names in FIELDS.items():
            for name in names:
                v = per[group][name]
                vals[name] = float(np.mean(v)) if np.ndim(v) else float(v)
        out[seq] = vals
    return out


def _stage(tmp: Path, name: str, gt_file: Path, hyp_file: Path) -> None:
    (tmp / "gt" / name / "gt").mkdir(parents=True)
    shutil.copy(gt_file, tmp / "gt" / name / "gt" / "gt.txt")
    (tmp / "trk" / "t" / "data").mkdir(parents=True, exist_ok=True)
    shutil.copy(hyp_file, tmp / "trk" / "t" / "data" / f"{name}.txt")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("trackeval_dir", help="folder holding the unpacked trackeval package")
    parser.add_argument("--write-hyp", action="store_true", help="rewrite mot17mini_hyp/ with the current tracker")
    args = parser.parse_args()
    sys.path.insert(0, args.trackeval_dir)
    import trackeval

    from pictag import assets

    mini = assets.resolve("mot/MOT17-mini") / "train"
    if args.write_hyp:
        write_hypotheses(mini)
    result: dict[str, dict] = {"trackeval_version": trackeval.__version__}
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        seqs = {}
        for seq in sorted(p for p in mini.iterdir() if p.is_dir()):
            length = int(np.loadtxt(seq / "gt" / "gt.txt", delimiter=",", ndmin=2)[:, 0].max())
            _stage(tmp, seq.name, seq / "gt" / "gt.txt", HYP_DIR / f"{seq.name}.txt")
            seqs[seq.name] = length
        result["MOT17-mini"] = _run_trackeval(trackeval, tmp / "gt", tmp / "trk", "MOT17", seqs)
    data = resources.files("motmetrics") / "data"
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        seqs = {}
        for name in ("TUD-Campus", "TUD-Stadtmitte"):
            gt_file, hyp_file = (
                Path(str(data / name / "gt.txt")),
                Path(str(data / name / "test.txt")),
            )
            length = int(
                max(
                    np.loadtxt(gt_file, delimiter=",")[:, 0].max(),
                    np.loadtxt(hyp_file, delimiter=",")[:, 0].max(),
                )
            )
            _stage(tmp, name, gt_file, hyp_file)
            seqs[name] = length
        result["motmetrics-data"] = _run_trackeval(trackeval, tmp / "gt", tmp / "trk", "MOT15", seqs)
    OUT.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(json.dumps(result, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
