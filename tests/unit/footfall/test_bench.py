"""`pictag bench footfall`: the engine's per-frame cost next to the tracker's, on the synthetic shop scene."""

from __future__ import annotations

from pictag.cli.main import main
from pictag.footfall.bench import benchmark, table


def test_benchmark_runs_and_the_engine_costs_less_than_the_tracker() -> None:
    r = benchmark(people=10, frames=300)
    assert r.events > 0 and 8 < r.tracks_mean < 11
    assert 0 < r.footfall_us_mean < r.tracker_us_mean  # a loose bound that holds on a busy machine too
    assert "| 10 |" in table([r])


def test_cli(tmp_path, capsys) -> None:
    out = tmp_path / "ff.json"
    assert main(["bench", "footfall", "--people", "2", "--frames", "60", "--json", str(out)]) == 0
    assert "footfall / tracker" in capsys.readouterr().out
    assert out.is_file()
