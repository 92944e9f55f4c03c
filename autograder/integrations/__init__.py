"""Bridges to other grading platforms; each reuses the standalone grader's hidden suites.

nbgrader: ``nbgrader_cells``, what each hidden-test cell shows for its test; ``nbgrader_bridge``, what those
cells call in the student's kernel; ``nbgrader_execute``, how nbgrader runs the kernels, answering the hidden
cells from ``nbgrader_warm``'s grader; ``nbgrader_record``, the course filled from grade-all's records
(``autograder nbgrader-autograde``). The last three import nbgrader: only the nbgrader extra has it.
"""
