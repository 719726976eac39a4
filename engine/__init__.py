"""Overfit Lab's training engine: everything that trains, with no Qt anywhere in it."""

__version__ = "0.1.0"
