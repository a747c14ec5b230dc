"""Evaluation: MOT metrics, re-id and identity scoring."""
