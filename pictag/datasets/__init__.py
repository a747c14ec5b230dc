"""Readers for MOTChallenge ground truth and labelled video crops."""
