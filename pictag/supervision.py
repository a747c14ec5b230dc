"""Stage health: which pipeline stages are up, why one is down, and when to try it again.

A stage (a detector, an embedder, the identity stage, the store, the event hub) that dies must
be visible to the owner, never a silent "running": its state is `down` with a reason an owner
can act on (the error that killed it), the cameras it serves show `error` naming it, the health
route answers 503 and /metrics has a per-stage up gauge. Ray restarts an actor that crashes
while running; an actor whose constructor raised (a missing model, say) stays dead, so the
controller re-creates it with a capped backoff until it can start.

Plain Python: the controller actor holds one `StageHealth` per stage and asks it what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pictag.events import STAGE_DOWN, STAGE_UP
from pictag.redaction import redact_text

#: Seconds before re-creating a stage that failed n times in a row (then the last value).
RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
#: Consecutive unanswered health pings (of `PING_TIMEOUT_S` each) before a live stage counts as down.
MISSED_PINGS_DOWN = 3

StageKind = Literal["detector", "embedder", "identity", "store", "event_hub", "controller"]
StageStatus = Literal["starting", "up", "down"]

_ERROR_LINE = re.compile(r"^\s*(?:[\w.]+\.)?(\w*(?:Error|Exception|Exit))\s*:\s*(.+)$")
_MAX_REASON = 300


def backoff_delay(failures: int) -> float:
    """Seconds to wait before the next attempt after ``failures`` failures in a row (capped)."""
    return RESTART_BACKOFF_S[min(max(failures, 1), len(RESTART_BACKOFF_S)) - 1]


def death_reason(error_text: str) -> str:
    """The owner-readable cause in a Ray actor-death message: its last ``XError: message`` line.

    Ray's message for an actor whose constructor raised carries the whole remote traceback;
    the last exception line is the one that says what is wrong (``AssetError: detector.model ...``).
    Secrets (URL credentials) are redacted.
    """
    found = None
    for line in error_text.splitlines():
        match = _ERROR_LINE.match(line)
        if match and "ActorDiedError" not in match.group(1) and "RayActorError" not in match.group(1):
            found = f"{match.group(1)}: {match.group(2).strip()}"
    text = found or (error_text.strip().splitlines() or ["unknown error"])[0]
    return redact_text(text)[:_MAX_REASON]


@dataclass
class StageHealth:
    """The health record of one stage actor.

    Attributes:
        name: unique stage name (``detector@<node>#0``, ``embedder@<node>``, ``identity``, ...).
        kind: what the stage does.
        node: the node label it serves ("" for the head).
        status: ``starting`` (created, not answered yet), ``up`` or ``down``.
        reason: why it is down (None when up).
        since: when the status last changed (epoch seconds).
        failures: deaths in a row (reset once it answers); drives the re-creation backoff.
        restarts: times it was re-created by the controller.
        next_restart_at: when a dead stage may be re-created (0: not scheduled).
    """

    name: str
    kind: StageKind
    node: str
    since: float
    status: StageStatus = "starting"
    reason: str | None = None
    failures: int = 0
    restarts: int = 0
    missed: int = 0
    next_restart_at: float = 0.0

    def answered(self, now: float) -> bool:
        """The stage answered a ping. True when that is a recovery (it was down, or re-created).

        The first answer of a stage starting with the runtime is not news: no ``stage.up`` for it.
        """
        self.missed = 0
        self.failures = 0
        self.next_restart_at = 0.0
        if self.status == "up":
            return False
        recovered = self.status == "down" or self.restarts > 0
        self.status, self.reason, self.since = "up", None, now
        return recovered

    def unanswered(self, now: float) -> bool:
        """A ping timed out (busy, or restarting). True once that makes it count as down."""
        self.missed += 1
        if self.missed < MISSED_PINGS_DOWN or self.status == "down":
            return False
        return self.died(f"not answering for {self.missed} health checks", now, recreate=False)

    def died(self, reason: str, now: float, *, recreate: bool) -> bool:
        """The stage is dead (or gone silent). True when that is news (it was not down).

        With ``recreate`` (it will not come back by itself), a re-creation is scheduled after the
        backoff for its failures in a row.
        """
        if recreate and self.next_restart_at == 0.0:
            self.failures += 1
            self.next_restart_at = now + backoff_delay(self.failures)
        changed = self.status != "down" or self.reason != reason
        self.status, self.reason = "down", reason
        if changed:
            self.since = now
        return changed

    def due_for_restart(self, now: float) -> bool:
        """A re-creation is scheduled and its time has come."""
        return self.status == "down" and 0.0 < self.next_restart_at <= now

    def restarted(self, now: float) -> None:
        """The controller created a new actor for the stage; it is starting."""
        self.restarts += 1
        self.missed = 0
        self.next_restart_at = 0.0
        self.status, self.since = "starting", now

    def view(self) -> dict[str, object]:
        """JSON form for the health route, events and metrics."""
        return {
            "kind": self.kind,
            "node": self.node or None,
            "status": self.status,
            "reason": self.reason,
            "since": self.since,
            "restarts": self.restarts,
            "next_restart_at": self.next_restart_at or None,
        }


def ping_news(
    health: StageHealth, now: float, *, error_text: str | None = None, timed_out: bool = False, recreate: bool = False
) -> str | None:
    """Record a health ping's outcome; the stage event it is worth (``stage.up`` / ``stage.down``), or None.

    Args:
        error_text: the error the ping failed with (the stage died); None when it answered.
        timed_out: the ping went unanswered (busy, or Ray restarting it).
        recreate: the stage will not come back by itself (its constructor raised): schedule a re-creation.
    """
    if timed_out:
        return STAGE_DOWN if health.unanswered(now) else None
    if error_text is None:
        return STAGE_UP if health.answered(now) else None
    return STAGE_DOWN if health.died(death_reason(error_text), now, recreate=recreate) else None
