"""The `pictag` command line."""
