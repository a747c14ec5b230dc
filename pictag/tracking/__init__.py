"""Multi-object tracking (ByteTrack-class, per camera)."""
