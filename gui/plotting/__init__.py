"""Plotting infrastructure: axes, series buffers, the draw budget, hover read-outs.

What is plotted where lives in gui/panels."""
