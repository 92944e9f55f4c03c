"""Bridges to other grading platforms; each reuses the standalone grader's hidden suites.

nbgrader: ``nbgrader_bridge``, what its hidden-test cells call in the student's kernel, and
``nbgrader_execute``, how it runs those kernels (it imports nbgrader: only ``nbgrader_config.py`` imports it).
"""
