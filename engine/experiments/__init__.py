"""Several runs from one plan: the seam that runs them, and the plans (cross-validation,
learning curves, the remedy tour, twins)."""
