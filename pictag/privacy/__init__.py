"""Anonymisation of every image that leaves the pipeline, previews, and the retention schedule.

`anonymize` hides people (head / body / silhouette); `render_preview` is the
one call that turns a captured frame into a dashboard JPEG; `retention`
computes purge cut-offs and schedules. docs/privacy.md explains the whole
privacy model to a shop owner.
"""

from pictag.privacy.masking import MODES, AnonymizeMode, anonymize, body_regions, head_regions
from pictag.privacy.preview import draw_overlay, encode_preview, render_preview

__all__ = [
    "MODES",
    "AnonymizeMode",
    "anonymize",
    "body_regions",
    "draw_overlay",
    "encode_preview",
    "head_regions",
    "render_preview",
]
