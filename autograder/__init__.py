"""Course tooling for transformers labs: reference models, the confined grader, and what students, nbgrader,
Classroom and Gradescope receive (see course.py for what a lab is)."""

__version__ = "0.1.0"
