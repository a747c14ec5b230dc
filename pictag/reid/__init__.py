"""Re-identification at run time: crop embedders (OpenVINO)."""
