"""Overfit Lab window."""
