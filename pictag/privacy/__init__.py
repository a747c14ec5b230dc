"""Anonymisation of every image that leaves the pipeline."""
