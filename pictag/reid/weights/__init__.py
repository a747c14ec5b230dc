"""Re-id models trained by PicTag and shipped with it (OpenVINO IR; see MODEL_CARD.md)."""
