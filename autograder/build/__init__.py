"""Builders: what students and graders receive, generated from ``solutions/``."""

from autograder.build.assignments import build_assignments, graded_functions, render_assignment

__all__ = ["build_assignments", "graded_functions", "render_assignment"]
