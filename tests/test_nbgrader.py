"""The nbgrader course (`autograder build nbgrader`), proved with the real nbgrader command line.

Default tier: the built course's metadata, points and mapping of hidden tests, the bridge's reporting, and
`nbgrader generate_assignment` (no kernel): nothing hidden in release/. Slow tier: the whole pipeline,
generate_assignment, validate --invert, autograde, generate_feedback and export, with nbgrader's scores
compared with `autograder grade-all` on the same submitted/ folders.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import corpus
import jupytext
import nbformat
import pytest
from fresh_env import NBGRADER_INSTALL
from platforms import gradebook_cells, nbgrader, nbgrader_scores, nbgrader_submission, write_submission

from autograder.build import nbgrader as course
from autograder.build import release as release_runtime
from autograder.errors import UsageError
from autograder.grading.results import TestResult
from autograder.integrations import nbgrader_bridge as bridge
from autograder.labs.encoders_decoders import LAB, LAB_ID, PARTS

REPO = Path(__file__).resolve().parent.parent
HIDDEN = REPO / "autograder" / "labs" / LAB_ID / "hidden"
AUTOGRADED = [p for p in PARTS if not p.manual_points]


def _stripped(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}


def hidden_lines() -> set[str]:
    """Every line of the hidden suites longer than 20 characters (stripped), except generic code that
    students have anyway: in their notebooks (``with torch.no_grad():``) or in the public checks, whose
    tracebacks the feedback shows (``expect_equal(got, expected, what)``)."""
    lab = REPO / "autograder" / "labs" / LAB_ID
    public = set().union(*map(_stripped, [*(REPO / "solutions" / LAB_ID).glob("*.py"), lab / "public.py",
                                          lab / "compare.py"]))
    lines = set().union(*map(_stripped, HIDDEN.glob("*.py")))
    return {line for line in lines - public if len(line) > 20}


def leaked(text: str, lines: set[str]) -> list[str]:
    text = html.unescape(text)
    return sorted(line for line in lines if line in text)


# ------------------------------------------------------------------------------------------ default tier


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("course")
    course.build(LAB, REPO, out)
    return out


def test_build_writes_config_readme_and_one_source_notebook_per_part(built):
    assert (built / "nbgrader_config.py").is_file() and (built / "README.md").is_file()
    assert sorted(p.stem for p in (built / "source" / LAB_ID).glob("*.ipynb")) == [p.stem for p in PARTS]
    config = (built / "nbgrader_config.py").read_text()
    for setting in ("c.IgnorePattern.enabled = True", "c.OverwriteCells.add_missing_cells = True",
                    "c.Execute.timeout", "c.CourseDirectory.course_id"):
        assert setting in config
    compile(config, "nbgrader_config.py", "exec")
    readme = (built / "README.md").read_text()
    assert "gradebook.db" in readme and "source/" in readme and "nbgrader autograde" in readme
    manual = [p for p in PARTS if p.manual_points]
    assert manual and all(f"Part {p.number}, `{p.stem}` ({p.manual_points} points)" in readme for p in manual)
    for command in NBGRADER_INSTALL:  # the install the slow tier's pipeline runs in a fresh environment
        assert command in readme, command
    images = re.findall(r"\]\((images/[^)]+)\)", readme)
    assert images and all((built / image).is_file() for image in images), images


def test_source_notebooks_pass_nbgraders_metadata_validator(built):
    from nbgrader.nbgraderformat import MetadataValidator

    validator = MetadataValidator()
    for path in (built / "source" / LAB_ID).glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        validator.validate_nb(notebook)
        ids = [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells if "nbgrader" in c.metadata]
        assert len(ids) == len(set(ids)), path.name
        assert "jupytext" not in notebook.metadata  # no pairing next to a release


def test_hidden_cells_carry_each_tests_points_and_sum_to_the_part(built):
    for part in PARTS:
        notebook = nbformat.read(built / "source" / LAB_ID / f"{part.stem}.ipynb", as_version=4)
        grade_cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
        hidden = [c for c in grade_cells if "### BEGIN HIDDEN TESTS" in c.source]
        tasks = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("task")]
        assert not [c for c in tasks if c.metadata["nbgrader"]["grade"]]  # else nbgrader counts them twice
        if part.manual_points:
            assert not grade_cells
            assert sum(c.metadata["nbgrader"]["points"] for c in tasks) == part.manual_points
            continue
        assert course.hidden_points(notebook) == part.points
        assert hidden == [c for c in grade_cells if c.cell_type == "code"]  # the public checks are not graded
        tests = course.suite_tests(HIDDEN / f"test_{part.stem}.py")
        called = [re.search(r'hidden_test\("(\w+)", "(\w+)"\)', c.source).groups() for c in hidden]
        assert sorted(t for _, t in called) == sorted(t.test_id for t in tests)
        assert {s for s, _ in called} == {part.stem}
        points = {t.test_id: t.points for t in tests}
        for cell, (_, test_id) in zip(hidden, called, strict=True):
            assert cell.metadata["nbgrader"]["points"] == points[test_id]
            assert re.fullmatch(r"q\d_\w+_t\d+", cell.metadata["nbgrader"]["grade_id"])


def test_each_public_check_cell_is_locked_and_followed_by_its_hidden_tests(built):
    notebook = nbformat.read(built / "source" / LAB_ID / "part3_softmax.ipynb", as_version=4)
    cells = notebook.cells
    at = next(i for i, c in enumerate(cells) if c.source.strip() == "check(softmax)")
    meta = cells[at].metadata["nbgrader"]
    assert meta["locked"] and not meta["grade"] and "points" not in meta
    following = [c.metadata["nbgrader"]["grade_id"] for c in cells[at + 1: at + 5]]
    assert following == [f"q3_softmax_t{k}" for k in range(1, 5)]


def test_a_test_that_calls_no_graded_function_fails_the_build(tmp_path):
    suite = tmp_path / "test_part3_softmax.py"
    suite.write_text('from autograder.grading.suite import points\n\n\n@points(8)\n'
                     'def test_other(student):\n    """calls something else"""\n'
                     '    student.call("not_a_lab_function", 1)\n')
    solution = REPO / "solutions" / LAB_ID / "part3_softmax.py"
    with pytest.raises(UsageError, match="not_a_lab_function"):
        course.source_notebook(LAB, solution.read_text(), "part3", "part3_softmax", suite, solution)
    suite.write_text('from autograder.grading.suite import points\n\n\n@points(8)\n'
                     'def test_nothing(student):\n    """calls nothing"""\n')
    with pytest.raises(UsageError, match="calls no student function"):
        course.suite_tests(suite)


def test_tests_reach_their_function_through_the_suites_helpers():
    part2 = {t.test_id: t.function for t in course.suite_tests(HIDDEN / "test_part2_hidden_states.py")}
    # through _call(student, "input_embedding", ...)
    assert part2["test_embedding_matches_embedding_matrix_bert"] == "input_embedding"
    part3 = {t.test_id: t.function for t in course.suite_tests(HIDDEN / "test_part3_softmax.py")}
    assert part3["test_softmax_avoids_builtin_softmax"] == "softmax"  # via _check_softmax


def test_bridge_reports_a_test_by_name_points_and_message(monkeypatch, capsys):
    monkeypatch.setitem(bridge._results, "part3_softmax", {
        "test_ok": TestResult(3, 1, "softmax matches", 3.0, True, test_id="test_ok"),
        "test_bad": TestResult(3, 3, "softmax is stable", 2.0, False, "softmax(<logits + 1000>) has NaN",
                               test_id="test_bad")})
    monkeypatch.delenv("AUTOGRADER_NBGRADER_BRIDGE", raising=False)
    assert bridge.hidden_test("part3_softmax", "test_ok") is None  # no execute_result: no partial credit
    assert capsys.readouterr().out == "✓ Q3.1 softmax matches (3 / 3 points)\n"
    with pytest.raises(AssertionError, match=r"^Q3.3 softmax is stable: softmax\(<logits \+ 1000>\) has NaN "
                                             r"\(0 / 2 points\)$") as info:
        bridge.hidden_test("part3_softmax", "test_bad")
    assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(AssertionError, match="did not report"):
        bridge.hidden_test("part3_softmax", "test_unknown")
    monkeypatch.setitem(bridge._results, "part3_softmax", "the grader could not grade part3_softmax.ipynb")
    with pytest.raises(AssertionError, match="could not grade"):
        bridge.hidden_test("part3_softmax", "test_ok")
    monkeypatch.setenv("AUTOGRADER_NBGRADER_BRIDGE", "1")
    with pytest.raises(AssertionError, match="inside the grader"):
        bridge.hidden_test("part3_softmax", "test_ok")


def test_grade_part_reports_every_hidden_test_of_its_part_from_the_grader_record(tmp_path, monkeypatch):
    """The bridge grades the notebook next to the kernel in a fresh grader and takes that part's tests from
    its record: every test of the part's suite, by its function name, none of another part."""
    stem = "part3_softmax"
    notebook = jupytext.reads((REPO / "solutions" / LAB_ID / f"{stem}.py").read_text(), fmt="py:percent")
    jupytext.write(notebook, tmp_path / f"{stem}.ipynb")
    monkeypatch.setenv("AUTOGRADER_MODELS", "offline")
    tests = bridge.grade_part(stem, tmp_path)
    assert not isinstance(tests, str), tests
    assert set(tests) == {t.test_id for t in course.suite_tests(HIDDEN / f"test_{stem}.py")}
    part = LAB.part(stem)
    assert all(t.passed and t.part == part.number for t in tests.values())
    assert sum(t.points for t in tests.values()) == part.points
    assert "not found" in bridge.grade_part("part4_greedy_decoding", tmp_path)


def test_grader_environment_is_the_kernels_starting_one_scrubbed():
    """What nbgrader started the kernel with, less PYTHON* variables: not what the notebook set since
    (the corpus attack a_env_vars points AUTOGRADER_MODELS at the hub and HF_HOME nowhere)."""
    notebook = ("import json, os\n"
                "os.environ.update(AUTOGRADER_MODELS='hub', HF_HOME='/nonexistent', PYTHONPATH='/planted',"
                " HF_HUB_OFFLINE='0')\n"
                "from autograder.integrations.nbgrader_bridge import grader_environment\n"
                "print(json.dumps(grader_environment()))")
    start = {"PATH": os.environ["PATH"], "HF_HOME": "/course/hf", "HF_HUB_OFFLINE": "0",
             "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", notebook], env=start, capture_output=True, text=True,
                          check=True)
    env = json.loads(done.stdout)
    assert env["AUTOGRADER_MODELS"] == "offline" and env["HF_HOME"] == "/course/hf"
    assert env["HF_HUB_OFFLINE"] == "1" and not any(key.startswith("PYTHON") for key in env)


def test_stderr_filter_scans_a_long_stderr_in_one_pass():
    """IgnorePattern searches every stderr output; 10 MB of one word (a_huge_output) once took the
    pattern's leading `\\w*` quadratic time, hours, and held up the whole autograde."""
    script = ("import re\nfrom autograder.integrations.nbgrader_bridge import TRANSFORMERS_STDERR as P\n"
              "assert not re.search(P, 'z' * 10_000_000)\nassert re.search(P, 'x.py:3: UserWarning: y')")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)  # a hang guard


def test_implemented_fails_on_the_stub_and_is_silent_under_autograde(monkeypatch):
    namespace: dict = {}
    exec("def softmax(x):\n    raise NotImplementedError('softmax: replace this line')\n"
         "def ok(x):\n    return x\n", namespace)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    run = "from autograder.stubs import implemented\nimplemented({!r})\n"
    with pytest.raises(AssertionError, match="still raises NotImplementedError"):
        exec(run.format("softmax"), namespace)
    with pytest.raises(AssertionError, match="not defined"):
        exec(run.format("missing"), namespace)
    exec(run.format("ok"), namespace)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    exec(run.format("softmax"), namespace)


def test_a_hidden_test_cell_gets_the_hidden_cell_timeout():
    """nbclient's timeout_func: a hidden-test (grade) code cell grades a whole part, any other cell gets
    `timeout`."""
    from nbformat.v4 import new_code_cell, new_markdown_cell

    from autograder.integrations.nbgrader_execute import ResilientExecute

    execute = ResilientExecute(timeout=5, hidden_cell_timeout=9)
    grade = {"nbgrader": {"grade": True}}
    assert execute.timeout_func(new_code_cell('hidden_test("p", "t")', metadata=grade)) == 9
    assert execute.timeout_func(new_code_cell("x = 1")) == 5
    assert execute.timeout_func(new_markdown_cell("answer", metadata=grade)) == 5


LEAVE_PROCESSES = """
import os, time
def note(pid):
    with open("pids.txt", "a") as handle:
        handle.write(f"{pid}\\n")
if (pid := os.fork()) == 0:  # a child that sleeps on
    time.sleep(600)
note(pid)
if os.fork() == 0:  # and an orphan in a session of its own, re-parented when its parent exits
    os.setsid()
    if (pid := os.fork()) == 0:
        time.sleep(600)
    note(pid)
    os._exit(0)
time.sleep(0.5)
"""


ENDLESS = """
import time
while True:  # swallows the interrupt of the timeout
    try:
        time.sleep(0.2)
    except BaseException:
        pass
"""


def test_kernel_leftovers_are_killed_with_the_kernel_and_its_limits_hold(tmp_path):
    """A cell that leaves processes behind (a fork bomb's copies, a daemon) has them killed, the kernel
    is restarted for the next cells; a memory bomb stops at the kernel's address-space cap; and a cell that
    swallows the timeout's interrupt ends as an error instead of holding up nbgrader for good."""
    import threading

    import psutil
    from nbformat.v4 import new_code_cell, new_notebook

    from autograder.integrations.nbgrader_execute import ResilientExecute

    notebook = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell(LEAVE_PROCESSES),
                                   new_code_cell("print('x' in globals())"),
                                   new_code_cell("blob = bytearray(3 * 2**30)"),
                                   new_code_cell("print('after the bomb')"), new_code_cell(ENDLESS),
                                   new_code_cell("print('after the loop')"), new_code_cell(
                                       "import subprocess\n_ = subprocess.Popen(['sleep', '2'])",
                                       metadata={"nbgrader": {"grade": True}})])  # as a grader exits
    execute = ResilientExecute(kernel_memory_mb=2048, timeout=5, interrupt_on_timeout=True,
                               raise_on_iopub_timeout=False)  # as nbgrader_config.py sets them
    run = threading.Thread(target=execute.preprocess,
                           args=(notebook, {"metadata": {"path": str(tmp_path)}}), daemon=True)
    run.start()
    run.join(300)  # a guard against the hang this test is about, not a measure of speed
    assert not run.is_alive(), "nbgrader's Execute still waits on the endless cell"
    outputs = [cell.outputs for cell in notebook.cells]
    assert [o["ename"] for o in outputs[1] if o["output_type"] == "error"] == ["LeftoverProcesses"]
    assert outputs[2][0]["text"].strip() == "False"  # a fresh kernel ran the next cell
    assert [o["ename"] for o in outputs[3] if o["output_type"] == "error"] == ["MemoryError"]
    assert outputs[4][0]["text"].strip() == "after the bomb"
    assert [o["ename"] for o in outputs[5] if o["output_type"] == "error"] == ["CellTimeoutError"]
    assert outputs[6][0]["text"].strip() == "after the loop"
    assert not outputs[7]  # what a hidden cell's grader leaves as it exits is no student's leftover
    left = [int(pid) for pid in (tmp_path / "pids.txt").read_text().split()]
    assert len(left) == 2
    assert not [pid for pid in left if psutil.pid_exists(pid)]  # zombies neither: they hold their pids


def test_orphans_that_ended_are_reaped_not_taken_for_leftovers(tmp_path):
    """A process that outlives its parent but ends before the cell does (as a grader's workers exit)
    comes back to nbgrader as a zombie: it is reaped, holds no pid, and costs the kernel nothing; a
    markdown cell after it is no cell that ran."""
    import psutil
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from autograder.integrations.nbgrader_execute import ResilientExecute

    orphan = "import subprocess, time\nsubprocess.run(['sh', '-c', 'sleep 0.3 &'])\ntime.sleep(1.5)"
    notebook = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell(orphan), new_markdown_cell("# Next"),
                                   new_code_cell("print('x' in globals())")])
    ResilientExecute(timeout=60).preprocess(notebook, {"metadata": {"path": str(tmp_path)}})
    outputs = [cell.get("outputs") for cell in notebook.cells]
    assert outputs[1] == []
    assert outputs[3][0]["text"].strip() == "True"  # the kernel was not restarted
    assert not [p for p in psutil.Process().children() if p.status() == psutil.STATUS_ZOMBIE]


def test_generate_assignment_releases_no_hidden_text_and_no_gradebook(tmp_path):
    course.build(LAB, REPO, tmp_path)
    nbgrader(tmp_path, "generate_assignment", LAB_ID, "--force")
    release = tmp_path / "release"
    files = [p for p in release.rglob("*") if p.is_file()]
    assert sorted(p.name for p in files) == sorted(f"{p.stem}.ipynb" for p in PARTS)
    assert (tmp_path / "gradebook.db").is_file() and not list(release.rglob("*.db"))
    lines = hidden_lines()
    shipped = {name.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
               for name in release_runtime.runtime_files(LAB, REPO) if name.endswith(".py")}
    for path in files:
        text = path.read_text(encoding="utf-8")
        for marker in ("BEGIN HIDDEN TESTS", "hidden_test(", "BEGIN SOLUTION", "BEGIN MARK SCHEME"):
            assert marker not in text, (path.name, marker)
        assert not leaked(text, lines), (path.name, leaked(text, lines))
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and cell.cell_type == "code":
                assert meta["locked"] and "implemented(" in cell.source
            # students have the runtime of a release (its wheel), not the grader: all a cell may import
            for module in re.findall(r"^\s*from (autograder[\w.]*) import", cell.source, flags=re.M):
                assert module in shipped, (path.name, module)


# --------------------------------------------------------------------------------------------- slow tier

SAMPLES = ("m_softmax_no_max_shift", "a_monkeypatch_compare", "a_os_exit_and_segfault",
           "a_planted_bridge")
BEFORE = ("m_softmax_no_max_shift", "stubs")  # also autograded with warm_grader=False


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, ta_python):
    """One course: built, released, with submissions autograded by nbgrader (in the TA's fresh environment)
    and by grade-all."""
    root = tmp_path_factory.mktemp("nbcourse")
    timings = {}
    course.build(LAB, REPO, root)
    start = time.monotonic()
    nbgrader(root, "generate_assignment", LAB_ID, "--force", python=ta_python)
    timings["generate_assignment"] = time.monotonic() - start
    solutions = {p.stem: (REPO / "solutions" / LAB_ID / f"{p.stem}.py").read_text() for p in PARTS}
    submitted = root / "submitted"
    write_submission(submitted / "solution" / LAB_ID, solutions)
    (submitted / "stubs" / LAB_ID).mkdir(parents=True)
    for path in (root / "release" / LAB_ID).glob("*.ipynb"):
        (submitted / "stubs" / LAB_ID / path.name).write_bytes(path.read_bytes())
    for name in SAMPLES:
        folder = corpus.materialize(name, root.parent / f"{root.name}-samples" / name)
        nbgrader_submission(folder, submitted / name / LAB_ID)
    students = sorted(p.name for p in submitted.iterdir())
    filled = root.parent / f"{root.name}-filled"  # the same course, for `autograder nbgrader-autograde`
    shutil.copytree(root, filled)
    before = root.parent / f"{root.name}-before"  # and for the hidden cells run in the kernel
    shutil.copytree(root, before, ignore=lambda folder, names: [n for n in names if folder.endswith(
        "submitted") and n not in BEFORE])
    start = time.monotonic()
    nbgrader(root, "autograde", LAB_ID, python=ta_python)
    timings["autograde"] = time.monotonic() - start
    start = time.monotonic()
    done = subprocess.run([str(ta_python), "-m", "autograder", "nbgrader-autograde", str(filled), "--jobs",
                           "2"], capture_output=True, text=True, check=False, env=_ta_env(ta_python))
    assert done.returncode == 0, done.stderr[-3000:]
    timings["nbgrader-autograde"] = time.monotonic() - start
    start = time.monotonic()
    nbgrader(before, "autograde", LAB_ID, "--ResilientExecute.warm_grader=False", python=ta_python)
    timings[f"autograde without the warm grader ({len(BEFORE)} students)"] = time.monotonic() - start
    start = time.monotonic()
    nbgrader(root, "generate_feedback", LAB_ID, python=ta_python)
    timings["generate_feedback"] = time.monotonic() - start
    nbgrader(root, "export", "--to", str(root / "grades.csv"), python=ta_python)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(root), "--out",
                           str(root.parent / f"{root.name}-standalone")], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    timings["grade-all"] = time.monotonic() - start
    print(f"\nnbgrader pipeline for {len(students)} students: " +
          ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    return root, students, root.parent / f"{root.name}-standalone"


def _ta_env(ta_python: Path) -> dict:
    return {**os.environ, "AUTOGRADER_MODELS": "offline", "HF_HUB_OFFLINE": "1",
            "PATH": os.pathsep.join([str(ta_python.parent), os.environ.get("PATH", "")])}


@pytest.mark.slow
def test_nbgrader_autograde_command_fills_the_gradebook_as_stock_autograde_cell_by_cell(pipeline):
    root, students, _ = pipeline
    stock, filled = gradebook_cells(root), gradebook_cells(root.parent / f"{root.name}-filled")
    assert {student for student, _, _ in stock} == set(students)
    assert filled == stock, {k: (filled.get(k), stock.get(k)) for k in {*filled, *stock}
                             if filled.get(k) != stock.get(k)}


@pytest.mark.slow
def test_hidden_cells_run_in_the_kernel_score_as_the_warm_grader_answers_them(pipeline):
    root, _, _ = pipeline
    stock, before = gradebook_cells(root), gradebook_cells(root.parent / f"{root.name}-before")
    assert {student for student, _, _ in before} == set(BEFORE)
    assert before == {k: v for k, v in stock.items() if k[0] in BEFORE}


@pytest.mark.slow
def test_validate_invert_fails_every_hidden_test_of_the_release(pipeline, ta_python):
    root, _, _ = pipeline
    release = sorted(str(p) for p in (root / "release" / LAB_ID).glob("part[1-4]_*.ipynb"))
    done = nbgrader(root, "validate", "--invert", *release, python=ta_python)
    assert done.stdout.count("Success! The notebook does not pass any tests.") == 4, done.stdout


@pytest.mark.slow
def test_solution_scores_90_and_the_reflections_wait_for_a_grader(pipeline):
    from nbgrader.api import Gradebook

    root, _, _ = pipeline
    scores = nbgrader_scores(root)["solution"]
    assert sum(score for score, _ in scores.values()) == LAB.points
    for part in PARTS:
        score, manual = scores[part.stem]
        assert score == part.points and manual == bool(part.manual_points), part.stem
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        reflection = gradebook.find_submission_notebook("part5_reflection", LAB_ID, "solution")
        assert reflection.max_score == 10 and reflection.needs_manual_grade
    assert all(score == 0 for score, _ in nbgrader_scores(root)["stubs"].values())
    with open(root / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert float(rows["solution"]["raw_score"]) == LAB.points and float(rows["stubs"]["raw_score"]) == 0


@pytest.mark.slow
def test_nbgrader_scores_equal_the_standalone_graders_per_part(pipeline):
    root, students, standalone = pipeline
    scores = nbgrader_scores(root)
    with open(standalone / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    differences = []
    for student in students:
        for part in AUTOGRADED:
            ours = float(rows[student][f"part{part.number}"] or 0)
            theirs = scores[student][part.stem][0]
            if ours != theirs:
                differences.append(f"{student} {part.stem}: grade-all {ours:g}, nbgrader {theirs:g}")
    assert not differences, differences


@pytest.mark.slow
def test_feedback_shows_names_points_and_messages_but_no_hidden_code(pipeline):
    root, students, _ = pipeline
    lines = hidden_lines()
    pages = list((root / "feedback").rglob("*.html"))
    assert len(pages) == len(students) * len(PARTS)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not leaked(text, lines), (page, leaked(text, lines)[:3])
    solution = html.unescape((root / "feedback" / "solution" / LAB_ID / "part3_softmax.html").read_text())
    assert "✓ Q3.1 softmax matches torch.softmax" in solution and "(3 / 3 points)" in solution
    mistake = html.unescape(
        (root / "feedback" / "m_softmax_no_max_shift" / LAB_ID / "part3_softmax.html").read_text())
    assert re.search(r"AssertionError.*Q3\.3 softmax is numerically stable.*\(0 / 2 points\)", mistake)


@pytest.mark.slow
def test_a_transformers_warning_on_stderr_does_not_zero_a_test_cell(tmp_path):
    course.build(LAB, REPO, tmp_path)
    warn = ("import sys\nfrom transformers.utils import logging\nlogging.set_verbosity_warning()\n"
            "logging.get_logger('transformers.generation.utils').warning("
            "'Setting `pad_token_id` to `eos_token_id`:50256 for open-end generation.')\n"
            "import warnings\n"
            "warnings.warn('`torch_dtype` is deprecated! Use `dtype` instead!', FutureWarning)\n"
            "sys.stderr.flush()\n")
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": kernel})
    cell = nbformat.v4.new_code_cell(warn)
    cell.id = "warns"
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade": True, "solution": False, "locked": True,
                                 "task": False, "grade_id": "warns", "points": 1}
    notebook.cells = [cell]
    (tmp_path / "source" / "warncheck").mkdir(parents=True)
    nbformat.write(notebook, tmp_path / "source" / "warncheck" / "warn.ipynb")
    nbgrader(tmp_path, "generate_assignment", "warncheck", "--force")
    (tmp_path / "submitted" / "student" / "warncheck").mkdir(parents=True)
    (tmp_path / "submitted" / "student" / "warncheck" / "warn.ipynb").write_bytes(
        (tmp_path / "release" / "warncheck" / "warn.ipynb").read_bytes())
    from nbgrader.api import Gradebook

    def score(*options: str) -> float:
        nbgrader(tmp_path, "autograde", "warncheck", "--force", *options)
        with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
            return gradebook.find_submission_notebook("warn", "warncheck", "student").score

    assert score("--IgnorePattern.enabled=False") == 0  # stock nbgrader: the warning zeroes the cell
    assert score() == 1
    graded = json.loads((tmp_path / "autograded" / "student" / "warncheck" / "warn.ipynb").read_text())
    assert not [o for o in graded["cells"][0]["outputs"] if o.get("name") == "stderr"]
