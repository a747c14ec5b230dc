"""Identities and visits: the gallery, matching and visit bookkeeping."""
