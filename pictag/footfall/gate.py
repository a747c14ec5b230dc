"""Whether a camera is analysed at a moment: ``site.analyse_when_closed: false`` stops analysis while closed.

The capture actor asks for every sampled frame, so the answer is cached until it can next
change (the coming closing while open, the coming opening while closed) and the per-frame
cost is one comparison.
"""

from __future__ import annotations

from pictag.footfall.hours import OpeningHours

#: How far ahead a closed site looks for its next opening; past it, it asks again then.
LOOKAHEAD_S = 8 * 86400.0


class OpenHoursGate:
    """``is_open(ts)`` of `OpeningHours`, cached between the instants it changes."""

    def __init__(self, hours: OpeningHours) -> None:
        self._hours = hours
        self._valid_from = float("inf")
        self._valid_until = float("-inf")
        self._open = True

    def is_open(self, ts: float) -> bool:
        """True while the site is open at ``ts`` (Unix seconds)."""
        if self._valid_from <= ts < self._valid_until:
            return self._open
        self._open = self._hours.is_open(ts)
        if self._open:
            closing = self._hours.next_closing(ts)
            until = float("inf") if closing is None else closing
        else:
            upcoming = self._hours.intervals_between(ts, ts + LOOKAHEAD_S)
            until = upcoming[0][0] if upcoming and upcoming[0][0] > ts else ts + LOOKAHEAD_S
        self._valid_from, self._valid_until = ts, until
        return self._open
