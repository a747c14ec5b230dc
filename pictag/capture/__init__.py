"""Camera sources: URL parsing, reader threads, the camera state machine.

`CameraSource` is the one entry point the runtime needs: it decodes a camera,
file or USB device on its own thread, keeps only the newest `Frame`, and reports
a secret-free `CameraStatus` on every state change.
"""

from pictag.capture.backoff import ReconnectPolicy
from pictag.capture.reasons import Failure
from pictag.capture.source import CameraSource, StatusCallback
from pictag.capture.types import CameraState, CameraStatus, Frame
from pictag.capture.url import SourceKind, SourceSpec, parse_source_url

__all__ = [
    "CameraSource",
    "CameraState",
    "CameraStatus",
    "Failure",
    "Frame",
    "ReconnectPolicy",
    "SourceKind",
    "SourceSpec",
    "StatusCallback",
    "parse_source_url",
]
