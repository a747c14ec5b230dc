"""Camera sources: URL parsing, reader threads, the camera state machine."""
