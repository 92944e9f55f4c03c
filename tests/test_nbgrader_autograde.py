"""An nbgrader course filled by `autograder nbgrader-autograde` (grade-all, then nbgrader's own Autograde with
the records for its Execute), and the warm grader that answers stock `nbgrader autograde`'s hidden cells.

Default tier: one course with a solution, the stubs, a mistake, a late submission and a student the grader
fails for. The gradebook must hold, cell by cell, what grade-all's record says; the reflections wait for
manual grading; nbgrader's late penalty applies; the grader's fault records nothing for its student;
`generate_feedback` and `export` work on the result. Slow tier: a second run records nothing twice, and
`--force` everyone again; tests/test_nbgrader.py compares this gradebook with a stock autograde's, cell by
cell.
"""

from __future__ import annotations

import csv
import html
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import corpus
import nbformat
import pytest
from nbformat.v4 import new_code_cell
from platforms import nbgrader, nbgrader_submission, write_submission

from autograder.build import nbgrader as course
from autograder.errors import GraderFault
from autograder.grading.records import read_grade
from autograder.grading.results import Grade, PartResult, TestResult
from autograder.integrations import nbgrader_cells as cells
from autograder.labs.encoders_decoders import LAB, LAB_ID, PARTS

REPO = Path(__file__).resolve().parent.parent
DUE = datetime(2026, 3, 1, 12, tzinfo=UTC)

# The command, with the grader failing for the student "faulty" only, as a bug in the grader would.
FAULT_FOR_ONE = """
import sys
from autograder.grading import worker
real = worker.grade_one
def grade_one(student, *args, **kwargs):
    if student == "faulty":
        raise RuntimeError("injected grader fault")
    return real(student, *args, **kwargs)
worker.grade_one = grade_one
from autograder.cli import main
sys.exit(main(sys.argv[1:]))
"""


def command(root: Path, *extra: str, script: str | None = None) -> subprocess.CompletedProcess:
    prefix = ["-c", script] if script else ["-m", "autograder"]
    env = {**os.environ, "AUTOGRADER_MODELS": "offline", "HF_HUB_OFFLINE": "1",
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    return subprocess.run([sys.executable, *prefix, "nbgrader-autograde", str(root), *extra], env=env,
                          capture_output=True, text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """(course, the command's run): the course filled once, the grader failing for "faulty"."""
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("filled")
    course.build(LAB, REPO, root)
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    nbgrader(root, "generate_assignment", LAB_ID, "--force")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        gradebook.update_or_create_assignment(LAB_ID, duedate=DUE.replace(tzinfo=None))
    solutions = {p.stem: (REPO / "solutions" / LAB_ID / f"{p.stem}.py").read_text() for p in PARTS}
    submitted = root / "submitted"
    for student in ("solution", "late", "faulty"):
        write_submission(submitted / student / LAB_ID, solutions)
    (submitted / "late" / LAB_ID / "timestamp.txt").write_text("2026-03-02 12:00:00 UTC")
    (submitted / "solution" / LAB_ID / "timestamp.txt").write_text("2026-02-28 12:00:00 UTC")
    (submitted / "stubs" / LAB_ID).mkdir(parents=True)
    for path in (root / "release" / LAB_ID).glob("*.ipynb"):
        (submitted / "stubs" / LAB_ID / path.name).write_bytes(path.read_bytes())
    sample = corpus.materialize("m_softmax_no_max_shift", root.parent / f"{root.name}-sample")
    nbgrader_submission(sample, submitted / "m_softmax_no_max_shift" / LAB_ID)
    return root, command(root, "--jobs", "2", script=FAULT_FOR_ONE)


def gradebook_cells(root: Path, student: str) -> dict[str, dict[str, float]]:
    """Part stem -> grade id -> score, of every autograded cell of `student`'s notebooks."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        scores: dict[str, dict[str, float]] = {}
        for part in PARTS:
            notebook = gradebook.find_submission_notebook(part.stem, LAB_ID, student)
            scores[part.stem] = {grade.name: grade.score for grade in notebook.grades if grade.auto_score
                                 is not None}
        return scores


def test_every_hidden_cell_scores_what_the_grade_record_says(filled):
    root, _ = filled
    for student in ("solution", "late", "stubs", "m_softmax_no_max_shift"):
        grade = read_grade(root / "grade-all" / student, LAB)
        source = {p.stem: nbformat.read(root / "source" / LAB_ID / f"{p.stem}.ipynb", as_version=4)
                  for p in PARTS}
        expected = {stem: {c.metadata.nbgrader.grade_id: cells.by_call(grade)[cells.hidden_call(c)].score
                           for c in nb.cells if cells.hidden_call(c)} for stem, nb in source.items()}
        got = gradebook_cells(root, student)
        assert {stem: {k: v for k, v in got[stem].items() if k in expected[stem]} for stem in got} == expected
        assert sum(map(sum, (e.values() for e in expected.values()))) == grade.score, student
    assert read_grade(root / "grade-all" / "solution", LAB).score == LAB.points
    assert read_grade(root / "grade-all" / "stubs", LAB).score == 0
    assert 0 < read_grade(root / "grade-all" / "m_softmax_no_max_shift", LAB).score < LAB.points


def test_reflections_wait_for_manual_grading_and_late_work_is_penalised(filled):
    from nbgrader.api import Gradebook

    root, _ = filled
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for student in ("solution", "late"):
            reflection = gradebook.find_submission_notebook("part5_reflection", LAB_ID, student)
            assert reflection.needs_manual_grade, student
        on_time = gradebook.find_submission("encoders_decoders", "solution")
        late = gradebook.find_submission("encoders_decoders", "late")
        assert on_time.total_seconds_late == 0 and on_time.late_submission_penalty == 0
        assert late.total_seconds_late == 24 * 3600 and late.late_submission_penalty == LAB.points


def test_a_grader_fault_records_nothing_for_its_student_and_fails_the_command(filled):
    from nbgrader.api import Gradebook, MissingEntry

    root, done = filled
    assert done.returncode == 1, done.stderr
    assert "faulty: RuntimeError: injected grader fault" in done.stderr
    assert "Graded 4 of 5 students" in done.stdout
    assert not (root / "autograded" / "faulty").exists()
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook, pytest.raises(MissingEntry):
        gradebook.find_submission(LAB_ID, "faulty")
    assert "_t1 has changed" not in done.stderr  # nbgrader warns for every hidden cell of every student


def test_feedback_and_export_work_on_the_filled_course(filled):
    root, _ = filled
    nbgrader(root, "generate_feedback", LAB_ID)
    nbgrader(root, "export", "--to", str(root / "grades.csv"))
    with open(root / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert float(rows["solution"]["raw_score"]) == LAB.points and float(rows["stubs"]["raw_score"]) == 0
    assert float(rows["late"]["score"]) == 0 and float(rows["late"]["late_submission_penalty"]) == LAB.points
    assert "faulty" not in rows
    page = html.unescape((root / "feedback" / "m_softmax_no_max_shift" / LAB_ID / "part3_softmax.html")
                         .read_text(encoding="utf-8"))
    assert "✓ Q3.1 softmax matches torch.softmax" in page
    assert "AssertionError: Q3.3 softmax is numerically stable" in page and "(0 / 2 points)" in page


@pytest.mark.slow
def test_a_second_run_records_no_one_twice_and_force_records_everyone_again(filled):
    root, _ = filled
    before = (root / "autograded" / "solution" / LAB_ID / "part3_softmax.ipynb").stat().st_mtime_ns
    again = command(root)
    assert again.returncode == 0, again.stderr
    assert (root / "autograded" / "solution" / LAB_ID / "part3_softmax.ipynb").stat().st_mtime_ns == before
    assert (root / "autograded" / "faulty").is_dir()  # its fault is gone: graded and recorded now
    forced = command(root, "--force")
    assert forced.returncode == 0, forced.stderr
    assert (root / "autograded" / "solution" / LAB_ID / "part3_softmax.ipynb").stat().st_mtime_ns != before
    assert gradebook_cells(root, "faulty") == gradebook_cells(root, "solution")


def test_a_record_of_other_files_than_submitted_is_not_recorded(filled, tmp_path):
    """A submission changed after grade-all graded it: nbgrader's Autograde fails for that student (says
    why), rather than record a grade of other files."""
    import shutil

    root, _ = filled
    copy = tmp_path / "course"
    shutil.copytree(root, copy)
    notebook = copy / "submitted" / "stubs" / LAB_ID / "part3_softmax.ipynb"
    notebook.write_text(notebook.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    script = ("import sys\nfrom pathlib import Path\n"
              "from autograder.integrations.nbgrader_record import record\n"
              f"sys.exit(record(Path({str(copy)!r}), {LAB_ID!r}, Path({str(copy / 'grade-all')!r}), [], "
              "True))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                                                      os.environ.get("PATH", "")])})
    assert done.returncode == 1, done.stderr[-3000:]
    assert "the grade of stubs" in done.stderr and "other files than submitted/ holds now" in done.stderr
    assert not (copy / "autograded" / "stubs" / LAB_ID).exists()
    assert (copy / "autograded" / "solution" / LAB_ID).is_dir()


def test_the_command_says_what_is_missing_in_one_line(tmp_path):
    done = command(tmp_path)
    assert done.returncode == 2 and "is not an nbgrader course" in done.stderr
    (tmp_path / "nbgrader_config.py").write_text("")
    done = command(tmp_path)
    assert done.returncode == 2 and "has no submitted/ folder" in done.stderr


# ------------------------------------------------------------------------------ the cells, without nbgrader


def _hidden_cell(part: str, test_id: str):
    test = course.HiddenTest(test_id, "n", 2, "softmax")
    cell = new_code_cell(course.hidden_cell_source(part, "softmax", test, 1, 1))
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "g", "points": 2}
    return cell


def test_a_hidden_cell_shows_a_pass_as_a_line_and_a_failure_as_an_error():
    passed = TestResult(3, 1, "softmax sums to one", 2, True, test_id="test_a")
    failed = TestResult(3, 2, "softmax is stable", 2, False, "got nan\x1b[2J", test_id="test_b")
    grade = Grade("s", LAB_ID, (PartResult(LAB.part("part3_softmax"), tests=(passed, failed)),), 1.0)
    hidden = [_hidden_cell("part3_softmax", test_id) for test_id in ("test_a", "test_b")]
    notebook = nbformat.v4.new_notebook(cells=[hidden[0], new_code_cell("x = 1"), hidden[1]])
    assert cells.fill(notebook, grade) == 2
    first, plain_cell, last = notebook.cells
    assert first.outputs == [nbformat.v4.new_output("stream", name="stdout",
                                                    text="✓ Q3.1 softmax sums to one (2 / 2 points)\n")]
    assert plain_cell.outputs == []
    assert last.outputs[0].output_type == "error" and last.outputs[0].ename == "AssertionError"
    assert last.outputs[0].evalue == "Q3.2 softmax is stable: got nan[2J (0 / 2 points)"  # no escape left


def test_a_hidden_cell_whose_test_the_record_lacks_is_a_grader_fault():
    grade = Grade("s", LAB_ID, (PartResult(LAB.part("part3_softmax")),), 1.0)
    notebook = nbformat.v4.new_notebook(cells=[_hidden_cell("part3_softmax", "test_gone")])
    with pytest.raises(GraderFault, match="no result for test_gone of part3_softmax"):
        cells.fill(notebook, grade)


def test_only_grade_cells_calling_hidden_test_are_hidden_cells():
    assert cells.hidden_call(_hidden_cell("part1_tokenization", "test_x")) == ("part1_tokenization", "test_x")
    plain = _hidden_cell("part1_tokenization", "test_x")
    plain.metadata["nbgrader"]["grade"] = False
    answer = _hidden_cell("part1_tokenization", "test_x")
    answer.metadata["nbgrader"]["solution"] = True
    broken = new_code_cell("hidden_test(")
    broken.metadata["nbgrader"] = {"grade": True, "grade_id": "b"}
    added = _hidden_cell("part1_tokenization", "test_x")  # by a student: nbgrader removed its unknown id
    del added.metadata["nbgrader"]["grade_id"]
    assert cells.hidden_call(plain) is None and cells.hidden_call(answer) is None
    assert cells.hidden_call(broken) is None and cells.hidden_call(added) is None
    assert json.loads(json.dumps(cells.outputs(TestResult(1, 1, "n", 1, True))))  # plain JSON for nbformat


# -------------------------------------------------------------------------------------------- warm grader


def test_the_warm_grader_grades_a_submission_once_as_grade_all_does(filled, monkeypatch):
    """What stock `nbgrader autograde` answers its hidden cells from: the same grade as grade-all's record,
    graded once for all of the student's notebooks; and the zygote it keeps is no cell's leftover."""
    import logging

    from traitlets.config import Config

    from autograder.grading import worker
    from autograder.integrations import nbgrader_execute, nbgrader_warm

    root, _ = filled
    config = Config()
    config.CourseDirectory.root = str(root)
    log = logging.getLogger("test")
    try:
        first = nbgrader_warm.warm_grade(config, "m_softmax_no_max_shift", LAB_ID, "part1_tokenization", log)
        again = nbgrader_warm.warm_grade(config, "m_softmax_no_max_shift", LAB_ID, "part3_softmax", log)
        assert again is first
        recorded = read_grade(root / "grade-all" / "m_softmax_no_max_shift", LAB)
        assert [(t.test_id, t.passed, t.points) for t in first.tests] == \
            [(t.test_id, t.passed, t.points) for t in recorded.tests]
        import psutil

        zygote = {child.pid for child in psutil.Process().children()} & nbgrader_execute._warm_processes()
        assert zygote
        # This process stands for the kernel: its only child, the zygote, is no cell's leftover.
        assert not nbgrader_execute._leftovers(kernel=os.getpid())
        monkeypatch.setattr(nbgrader_execute, "_warm_processes", set)
        assert nbgrader_execute._leftovers(kernel=os.getpid())  # as it would be, were it not excluded
        for pid in worker.processes():  # as a student's kernel can (kill(-1) under nbgrader)
            os.kill(pid, 9)
        psutil.wait_procs([child for child in psutil.Process().children() if child.pid in zygote], timeout=10)
        solution = nbgrader_warm.warm_grade(config, "solution", LAB_ID, "part1_tokenization", log)
        assert solution.score == LAB.points  # graded by a zygote started again
    finally:
        worker.close()


def test_a_hidden_cell_is_answered_from_the_warm_grade_and_never_reaches_the_kernel():
    from autograder.integrations.nbgrader_execute import ResilientExecute

    passed = TestResult(3, 1, "softmax sums to one", 2, True, test_id="test_a")
    grade = Grade("s", LAB_ID, (PartResult(LAB.part("part3_softmax"), tests=(passed,)),), 1.0)
    execute = ResilientExecute()
    execute._tests = cells.by_call(grade)
    cell = _hidden_cell("part3_softmax", "test_a")
    assert execute.kc is None  # no kernel: running the cell would fail
    done, _ = execute.preprocess_cell(cell, {"nbgrader": {"student": "s"}}, 0)
    assert done.outputs[0].text == "✓ Q3.1 softmax sums to one (2 / 2 points)\n"
