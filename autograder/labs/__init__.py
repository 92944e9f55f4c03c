"""The labs: one sub-package per lab (see autograder/course.py). The folders of $AUTOGRADER_LABS join this
package's path, so a course's own labs import as ``autograder.labs.<name>`` in every process the grader
starts (a student's public checks, a worker's hidden suites)."""

from autograder.course import folders

__path__ = [*__path__, *folders()[1:]]
