"""Bridges to other grading platforms (nbgrader); each reuses the standalone grader's hidden suites."""
