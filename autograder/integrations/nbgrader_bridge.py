"""What nbgrader's hidden-test cells call, in the student's kernel (nbgrader_execute.py runs that kernel).

``hidden_test(part_stem, test_id)`` runs in the student's kernel during ``nbgrader autograde``. It does not
compare anything in that kernel, where the student's code has already run (a patched ``torch.allclose``,
objects whose ``__eq__`` is always true...). The first call for a part grades that part's notebook file
in the kernel's working folder (nbgrader runs the kernel in ``autograded/<student>/<lab>/``, next to the
notebook it is executing) with the standalone grader, ``python -I -m autograder grade FILE``, in a fresh
process with a scrubbed environment, and keeps its ``results.json`` for the kernel's life. Each call then
reports one test, found by its function name (``results.json`` ``tests[].test_id``): it prints
``✓ <name> (<points> / <points> points)``, or raises ``AssertionError("<name>: <message> ...")`` whose
traceback holds nothing but the cell's own two lines. So nbgrader scores each test as the standalone
grader does, and its feedback shows names, points and messages, never the hidden suite or expected values.

Known limit: the student's code runs earlier in the same kernel, so it could replace this module's
functions or change the environment the grader starts with; ``autograder grade-all`` on the submitted
folders, which never runs student code next to the tests, is the authoritative grade.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from autograder.grading.results import FILE as RECORD
from autograder.grading.results import Grade, RecordError, TestResult
from autograder.integrations.nbgrader_cells import failure, passed_line

# stderr that transformers, torch, tokenizers and huggingface_hub print on their own (nbgrader's IgnorePattern
# drops a stderr output that matches, so that a warning does not zero a test cell). Literals only, no
# leading `\w*`: re.search tries every position, and a repeat there is quadratic on a long stderr.
TRANSFORMERS_STDERR = (
    r"(?i)(warnings?\.warn|Warning: |^\s*warn\(|Setting `pad_token_id`|Some weights of |were not "
    r"initialized|newly initialized|You should probably TRAIN|generation flags are not valid|"
    r"attention mask|`torch_dtype` is deprecated|is deprecated|huggingface/tokenizers|TOKENIZERS_PARALLELISM|"
    r"Xet Storage|unauthenticated requests|Loading checkpoint|Loading weights|transformers)"
)

GRADE_TIMEOUT = 1700  # seconds for grading one part; below the nbgrader hidden-cell timeout (1800)
_PASS_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "HF_HOME", "HF_HUB_CACHE",
                 "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME", "AUTOGRADER_KIT_DIR", "OMP_NUM_THREADS",
                 "AUTOGRADER_LABS")
_BRIDGE_FLAG = "AUTOGRADER_NBGRADER_BRIDGE"

_results: dict[str, dict[str, dict] | str] = {}  # part stem -> test_id -> test, or why grading failed


def lab_part(part_stem: str):
    """(lab, part) of the one lab found (see autograder.labs) that has a part `part_stem`."""
    from autograder.course import available, find

    owners = [(lab, part) for lab in map(find, available()) for part in lab.parts
              if part.stem == part_stem]
    if len(owners) != 1:
        raise AssertionError(f"{part_stem} is a part of {len(owners)} labs here, not of exactly one")
    return owners[0]


def _starting_environment() -> dict[str, str]:
    """This process's environment as it was started (``/proc/self/environ``): what nbgrader gave the
    kernel, not what the notebook's cells have since put in ``os.environ``. ``os.environ`` without /proc."""
    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return dict(os.environ)
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(errors="replace"): value.decode(errors="replace") for key, value in pairs}


def grader_environment() -> dict[str, str]:
    """The environment of the grading process: a few variables of the kernel's starting environment,
    never PYTHON* ones (a notebook that sets AUTOGRADER_MODELS or HF_HOME changes nothing)."""
    start = _starting_environment()
    env = {key: start[key] for key in _PASS_THROUGH if key in start}
    env.setdefault("PATH", os.defpath)
    env.update(AUTOGRADER_MODELS=start.get("AUTOGRADER_MODELS") or "offline", HF_HUB_OFFLINE="1",
               HF_HUB_DISABLE_PROGRESS_BARS="1", TRANSFORMERS_VERBOSITY="error",
               **{_BRIDGE_FLAG: "1"})
    return env


def grade_part(part_stem: str, folder: Path | None = None) -> dict[str, TestResult] | str:
    """Grade ``<folder>/<part_stem>.ipynb`` (default: the working folder) with the standalone grader:
    test_id -> its result (from the grader's record, grade.json), or a message saying why grading failed."""
    lab, part = lab_part(part_stem)
    notebook = (folder or Path.cwd()) / f"{part_stem}.ipynb"
    if not notebook.is_file():
        return f"the notebook {notebook.name} was not found next to the kernel ({notebook.parent})"
    with tempfile.TemporaryDirectory(prefix="autograder-nbgrader-") as tmp:
        work = Path(tmp)
        (work / "submission").mkdir()
        copy = work / "submission" / notebook.name
        shutil.copyfile(notebook, copy)  # a frozen copy: the kernel cannot change what is graded
        command = [sys.executable, "-I", "-m", "autograder", "grade", str(copy), "--out", str(work / "out"),
                   "--lab", lab.id]
        try:
            done = subprocess.run(command, cwd=work, env=grader_environment(), stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=GRADE_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            return f"grading {notebook.name} took longer than {GRADE_TIMEOUT} s"
        record = work / "out" / RECORD
        try:
            if done.returncode != 0:
                raise RecordError("no record")
            grade = Grade.from_json(record.read_bytes())
        except (OSError, RecordError):
            last = (done.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
            return (f"the grader failed on {notebook.name} (exit code {done.returncode}: {last[:300]}); a "
                    "fault of the grader, not of the notebook: this score is not the student's, regrade it "
                    "once the grader is fixed")
    return {test.test_id: test for result in grade.parts if result.part.number == part.number
            for test in result.tests}


def _fail(message: str) -> None:
    """Raise the failure from a frame of its own: IPython always shows the frame that raised, and this
    one's line says nothing more than the message."""
    raise AssertionError(message) from None


def hidden_test(part_stem: str, test_id: str) -> None:
    """Report hidden test ``test_id`` of ``part_stem`` for the notebook this kernel runs: print a line when
    it passed, raise AssertionError with the grader's message when it failed."""
    __tracebackhide__ = True  # IPython then shows only the cell's line
    if os.environ.get(_BRIDGE_FLAG) == "1":
        _fail("hidden tests do not run inside the grader")
    if part_stem not in _results:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _results[part_stem] = grade_part(part_stem)
    results = _results[part_stem]
    if isinstance(results, str):
        _fail(f"{test_id}: {results}")
    test = results.get(test_id)
    if test is None:
        _fail(f"{test_id}: the grader did not report this test")
    if test.passed:
        print(passed_line(test))
        return None
    _fail(failure(test))
