"""Person detection backends (YOLO on OpenVINO)."""
