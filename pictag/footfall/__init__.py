"""Footfall: entrance lines, zones with dwell, occupancy, staff and opening hours (issue 17).

Pure Python and numpy, no Ray: the identity stage holds one `pictag.footfall.engine.FootfallEngine`
and feeds it every camera's confirmed tracks; the store and the API use the pure functions of
`pictag.footfall.stats`, `pictag.footfall.staff` and `pictag.footfall.hours`. The rules are
described in docs/footfall.md.

This package's ``__init__`` imports nothing on purpose: `pictag.config` imports
`pictag.footfall.geometry` to validate lines and zones, and the engine imports the config.
"""
