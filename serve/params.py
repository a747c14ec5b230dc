"""Query parameters renamed in issue 15, and how their old names keep working for one release.

Every route filters time with ``from``/``to`` (ISO-8601) and names a person ``person_id``.
The old names (``since``/``until`` on ``/tracks``, ``identity`` on ``/visits``) are still
accepted and marked deprecated in the OpenAPI document; a request giving both names with
different values is refused (422) rather than one silently winning.
"""

from __future__ import annotations

from typing import TypeVar

from pictag.serve.errors import ApiError

T = TypeVar("T")


def deprecated_note(new: str) -> str:
    """The description of a deprecated query parameter that ``new`` replaces."""
    return f"Deprecated (removed in the next release): use `{new}`."


def renamed(new: T | None, old: T | None, *, new_name: str, old_name: str) -> T | None:
    """The value of a renamed parameter from its new or its old name.

    Raises:
        ApiError: 422 naming ``old_name`` when both are given and differ.
    """
    if old is None:
        return new
    if new is not None and new != old:
        raise ApiError(
            422,
            "invalid_request",
            f"{old_name} is the deprecated name of {new_name} and differs from it; send only {new_name}",
            old_name,
        )
    return old
