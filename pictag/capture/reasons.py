"""Why a camera is not delivering frames: short machine codes with a human sentence each.

The reader thread turns every failure into a `Failure`; the code decides the
state (`ERROR` needs a person to fix something, `OFFLINE` may heal by itself)
and whether it is worth retrying. Texts never contain credentials: they are
built from the redacted URL and scrubbed again before they are published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pictag.capture.types import CameraState

BAD_URL: Final = "bad_url"
UNREACHABLE: Final = "unreachable"
REFUSED: Final = "refused"
TIMEOUT: Final = "timeout"
AUTH_FAILED: Final = "auth_failed"
AUTH_REQUIRED: Final = "auth_required"
NOT_FOUND: Final = "not_found"
UNSUPPORTED_CODEC: Final = "unsupported_codec"
OPEN_FAILED: Final = "open_failed"
STREAM_LOST: Final = "stream_lost"
STALLED: Final = "stalled"
END_OF_STREAM: Final = "end_of_stream"
DEVICE_UNAVAILABLE: Final = "device_unavailable"

# Failures a retry cannot fix: shown as ERROR (a person must act). The reader still
# retries network sources at the capped back-off, because a camera being
# reconfigured or rebooting answers 401/404 for a while.
NEEDS_PERSON: Final = frozenset({BAD_URL, AUTH_FAILED, AUTH_REQUIRED, NOT_FOUND, UNSUPPORTED_CODEC})

HUMAN: Final[dict[str, str]] = {
    BAD_URL: "bad URL",
    UNREACHABLE: "host unreachable",
    REFUSED: "connection refused",
    TIMEOUT: "no answer (timeout)",
    AUTH_FAILED: "authentication failed (401)",
    AUTH_REQUIRED: "authentication required (401)",
    NOT_FOUND: "stream not found (404)",
    UNSUPPORTED_CODEC: "unsupported codec",
    OPEN_FAILED: "stream could not be opened",
    STREAM_LOST: "stream lost",
    STALLED: "stalled",
    END_OF_STREAM: "end of stream",
    DEVICE_UNAVAILABLE: "device unavailable",
}


@dataclass(frozen=True)
class Failure:
    """One diagnosed failure.

    Attributes:
        code: One of the module's codes.
        detail: Human sentence after the code's label: what happened and what to check.
        retry: Whether the reader should try again (after back-off).
    """

    code: str
    detail: str
    retry: bool = True

    @property
    def state(self) -> CameraState:
        """ERROR when a person must act, OFFLINE otherwise."""
        return CameraState.ERROR if self.code in NEEDS_PERSON else CameraState.OFFLINE

    @property
    def text(self) -> str:
        """``"authentication failed (401): check the user name and password"``."""
        label = HUMAN.get(self.code, self.code)
        return f"{label}: {self.detail}" if self.detail else label
