"""Multi-object tracking (ByteTrack-class, per camera)."""

from pictag.tracking.bytetrack import ByteTracker, TrackingResult

__all__ = ["ByteTracker", "TrackingResult"]
