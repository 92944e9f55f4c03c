"""The warm grader of one ``nbgrader autograde`` run, in nbgrader's own process.

``ResilientExecute`` asks it for a student's grade before it runs a notebook that has hidden-test cells,
then answers those cells from that grade instead of running them in the kernel. The grader is the one
``grade-all`` uses: its zygote and reference models start with the first notebook and serve the whole run,
and student code runs in the zygote's confined children, which never see the course folder. The student's
whole submission (``submitted/<student>/<assignment>/``, as handed in) is graded once, before the kernel
runs any of its cells, and that grade answers the hidden cells of all of the student's notebooks.

    grade = warm_grade(config, "alice", "<assignment>", "<a part stem of the lab>", log)
"""

from __future__ import annotations

import atexit
import logging
import sys
from pathlib import Path

from autograder.errors import GraderFault
from autograder.grading import worker
from autograder.grading.batch import confinement_notice, fingerprint
from autograder.grading.grade import grade_submission
from autograder.grading.results import Grade
from autograder.grading.submission import locate
from autograder.integrations.nbgrader_bridge import lab_part

_last: tuple[str, str, Grade] | None = None  # (folder, fingerprint, grade): a student's notebooks in a row
_announced = False  # the confinement said once per run (every child is still checked: Zygote.check)
atexit.register(worker.close)  # the zygote ends with nbgrader


def course_root(config) -> Path:
    """The course folder, which no student code may read (the warm grader's children, the kernels);
    GraderFault if the Python that runs them is inside it: they could not run."""
    from nbgrader.coursedir import CourseDirectory

    root = Path(CourseDirectory(config=config).root).resolve()
    if Path(sys.prefix).resolve().is_relative_to(root):
        raise GraderFault(f"the Python environment ({sys.prefix}) is inside the course folder ({root}), "
                          "which students' code may not read; make it outside, as the course README says")
    return root


def warm_grade(config, student: str, assignment: str, part_stem: str, log: logging.Logger) -> Grade:
    """The grade of `student`'s submission of `assignment`, the lab being the one with part `part_stem`;
    graded once for all of the student's notebooks, and again if the files changed. GraderFault, or another
    exception, when the grader failed: nbgrader then records nothing for this student and says so."""
    global _last, _announced
    from nbgrader.coursedir import CourseDirectory

    from autograder.models import selected_spec

    coursedir = CourseDirectory(config=config)
    root = course_root(config)
    folder = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    lab, _ = lab_part(part_stem)
    models = selected_spec(None, default="offline")
    submission = locate(folder, lab)
    key = fingerprint(submission, models)
    if _last is not None and _last[:2] == (str(folder), key):
        return _last[2]
    zygote = worker.zygote(lab, models, hide=(root,))  # children never see the course
    if not _announced:
        # a refusal by the isolation policy stops here, as a GraderFault
        confined, weak = confinement_notice(zygote.confinement())
        log.info("%s", confined)
        if weak:
            log.warning("%s", weak)
        _announced = True
    grade = grade_submission(student, submission, zygote, models)
    _last = (str(folder), key, grade)
    return grade
