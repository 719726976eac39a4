"""Run folders, the unit of truth: the writer, reading, weights, reopening a run, the runs
index, export and aggregates over several runs."""
