"""The headless commands of main.py: train, evaluate, export, presets; experiments; search."""
