"""The synthetic counting cases of docs/footfall.md: what the rule guarantees, and tracker limits it cannot fix."""

from __future__ import annotations

import pytest

from pictag.eval.count_cases import CASES, run_case, table
from pictag.footfall.engine import FootfallSettings

BY_NAME = {c.name: c for c in CASES}
#: Cases where the tracker, not the rule, loses the truth: ids swapped or changed on the line.
TRACKER_LIMITS = {"swap_at_line": (0, 0), "fragment_at_line": (0, 0)}


@pytest.mark.parametrize("name", sorted(set(BY_NAME) - set(TRACKER_LIMITS)))
def test_rule_counts_the_truth(name: str) -> None:
    r = run_case(BY_NAME[name], seeds=10)
    assert (r.counted_in, r.counted_out) == (10 * r.case.true_in, 10 * r.case.true_out)


@pytest.mark.parametrize(("name", "counted"), sorted(TRACKER_LIMITS.items()))
def test_tracker_failures_at_the_line_are_measured(name: str, counted: tuple[int, int]) -> None:
    r = run_case(BY_NAME[name], seeds=5)
    assert (r.counted_in, r.counted_out) == (5 * counted[0], 5 * counted[1])


def test_without_clearance_lingering_on_the_line_counts() -> None:
    r = run_case(BY_NAME["linger_on_line"], seeds=5, settings=FootfallSettings(edge_clearance=0.0))
    assert r.counted_in > 5 and r.counted_in == r.counted_out


def test_table_lists_every_case() -> None:
    text = table([run_case(c, seeds=1) for c in CASES])
    assert all(f"`{c.name}`" in text for c in CASES)
