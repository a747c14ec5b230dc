"""The PicTag error hierarchy.

One root, `PictagError`, so callers (the CLI, the API) can tell our own,
explainable failures from bugs. Messages carry keyword context
(``camera=entrance reason=auth_failed``) and say what to do next.
"""

from __future__ import annotations


class PictagError(Exception):
    """Root of every error PicTag raises on purpose."""


class ConfigError(PictagError):
    """A configuration file or value is invalid; the message names the field."""


class AssetError(PictagError):
    """A model, video or ground-truth file is missing or does not match its checksum."""


class ModelError(PictagError):
    """A model does not have the inputs/outputs the configuration expects."""


class CameraError(PictagError):
    """A camera URL is malformed or its source cannot be opened."""

    def __init__(self, message: str, *, reason: str = "error") -> None:
        super().__init__(message)
        self.reason = reason


class StorageError(PictagError):
    """The local DuckDB store cannot be opened, migrated or written."""


class EvaluationError(PictagError):
    """Evaluation inputs (video, ground truth) are inconsistent."""
