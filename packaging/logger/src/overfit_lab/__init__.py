"""Overfit Lab's logger: any PyTorch training loop writes a run folder the app shows live."""

__version__ = "0.1.0"
