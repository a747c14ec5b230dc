"""`pictag calibrate` on real crops: numbers, the PNG and the threshold written into the config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pictag.cli.main import main


@pytest.mark.timeout(600)
def test_calibrate_writes_threshold_plot_and_json(asset, tmp_path: Path) -> None:
    config = tmp_path / "pictag.yaml"
    config.write_text("# shop\nreid:\n  enabled: true\n", encoding="utf-8")
    plot, out = tmp_path / "cal.png", tmp_path / "cal.json"
    code = main(
        [
            "calibrate",
            "--video",
            str(asset("videos/vtest.avi")),
            "--gt",
            str(asset("mot/PETS09-S2L1/gt/gt.txt")),
            "--max-frames",
            "160",
            "--config",
            str(config),
            "--plot",
            str(plot),
            "--json",
            str(out),
        ]
    )
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    track = report["track_level"]
    assert track["same_mean"] - track["different_mean"] > 0.3 and track["overlap"] < 0.3
    assert report["rule"] == "f1" and 0.2 < report["threshold"] < 0.8
    assert report["chosen"]["false_match_rate"] < 0.05
    saved = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert saved["reid"] == {"enabled": True, "threshold": report["threshold"]}
    assert config.read_text(encoding="utf-8").startswith("# shop\n")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000
