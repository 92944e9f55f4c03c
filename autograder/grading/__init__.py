"""Grading: find a submission's notebooks, run the hidden suites against them, and report."""
