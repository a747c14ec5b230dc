"""PicTag: privacy-first CCTV analytics for small shops.

`pictag` holds the domain logic (plain Python, no Ray). Ray actors live in
`pictag.actors`, the Ray Serve app in `pictag.serve`, model building and
evaluation in `pictag.models`.
"""

__version__ = "0.1.0"
