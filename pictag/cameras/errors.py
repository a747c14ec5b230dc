"""Why a request to change cameras, their lines and zones or the live settings was refused.

Domain exceptions, no HTTP: each class carries a machine-readable ``error`` code, the ``detail``
an owner can act on and the request ``field`` at fault. The API (``pictag.serve.errors``) maps
each class to its HTTP status in one table, so a status never travels inside the domain.

They cross the actor boundary (the controller raises, a route awaits): every class keeps the
``(detail, field)`` constructor and `RequestRefused.__reduce__` so it unpickles as itself.
"""

from __future__ import annotations

from typing import ClassVar

from pictag.errors import PictagError


class RequestRefused(PictagError):
    """A request the domain refuses: bad input, an unknown item, a conflict with the current state.

    Attributes:
        error: machine-readable code of the class (``not_found``, ``conflict``, ...).
        detail: what is wrong and what to do next.
        field: the request field at fault (``camera_id``, ``points[1]``), or None.
    """

    error: ClassVar[str] = "invalid_request"

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field

    def __reduce__(self) -> tuple[type[RequestRefused], tuple[str, str | None]]:
        return (type(self), (self.detail, self.field))


# ---- cameras -------------------------------------------------------------------------------
class CameraNotFound(RequestRefused):
    """The camera named in the path does not exist."""

    error = "not_found"


class CameraExists(RequestRefused):
    """A camera with that id exists already."""

    error = "conflict"


class TooManyCameras(RequestRefused):
    """The site runs `pictag.config.root.MAX_CAMERAS` cameras already."""

    error = "too_many_cameras"


class InvalidCameraConfig(RequestRefused):
    """A camera definition (new, or after a change) does not validate."""

    error = "invalid_camera"


class CameraIdImmutable(RequestRefused):
    """A change tried to rename a camera's id (remove and add instead)."""

    error = "invalid_request"


# ---- live settings -------------------------------------------------------------------------
class SettingsRefused(RequestRefused):
    """A live settings change does not validate or touches a field that cannot change at run time."""

    error = "invalid_setting"


# ---- counting lines and zones (issue 17) ---------------------------------------------------
class GeometryEditError(RequestRefused):
    """A refused edit of a camera's lines or zones."""

    error = "invalid_geometry"


class InvalidGeometry(GeometryEditError):
    """The line or zone is invalid: malformed, outside the frame, a duplicate id, one too many."""

    error = "invalid_geometry"


class GeometryItemNotFound(GeometryEditError):
    """The camera has no line or zone with that id."""

    error = "not_found"


class FrameSizeUnknown(GeometryEditError):
    """The camera's frame size is not known yet, so points cannot be checked against it."""

    error = "frame_size_unknown"


class GeometryCameraUnknown(GeometryEditError):
    """Issue 17: on the lines and zones routes an unknown camera is bad input, not a missing resource."""

    error = "invalid_request"

    @classmethod
    def of(cls, camera_id: str) -> GeometryCameraUnknown:
        """The refusal for ``camera_id``, naming the field."""
        return cls(f"no camera {camera_id!r}: see GET /api/v1/cameras", "camera_id")
