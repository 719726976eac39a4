"""Hyperparameter search on Optuna: the space from the settings' metadata, the study's
storage and heartbeats, ask / tell as a plan for the experiment seam, and running a worker."""
