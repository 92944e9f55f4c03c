"""An nbgrader course directory from ``solutions/``: config, TA README, its images, ``source/<lab>/*.ipynb``.

The source notebooks are the solution files read by Jupytext, with their nbgrader metadata, solution
regions and mark schemes kept (nbgrader's ``generate_assignment`` clears them, with the same delimiters as
``autograder build assignments``), and the student notebooks' runtime cell before the setup cell. One change
makes nbgrader score like the standalone grader:

- nbgrader grade cells are all-or-nothing, the hidden suites give credit per test. So each public check
  cell (``grade: true`` in solutions, ``check(fn)``) becomes a plain locked cell, and after it come one
  hidden-test grade cell per hidden test of ``fn`` (``grade_id`` ``<fn's grade_id>_t<k>``, that test's
  points). Its hidden region calls :func:`autograder.integrations.nbgrader_bridge.hidden_test`, which
  grades the notebook with the standalone grader in a fresh process and reports that one test: the check
  is defined once, in the hidden suite, and never appears in a notebook, the gradebook or the feedback.
- Which tests belong to which function: the first ``student.call("NAME", ...)`` a test reaches (through
  the suite's own helper functions), read with ``ast``. The build fails if a test reaches no graded
  function of its part, if a graded function has no check cell, or if a check cell's points differ from
  the sum of its tests' points.
- The visible part of a hidden-test cell (what students receive) calls ``implemented("fn")``: it fails
  while ``fn`` is still the stub, so ``nbgrader validate --invert`` on the release fails every test, and
  does nothing during ``nbgrader autograde``, where only the hidden test decides.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from autograder.build.assignments import (
    SETUP_ID,
    graded_functions,
    is_runtime_cell,
    render_assignment,
    runtime_notebook_cell,
)
from autograder.build.render import render
from autograder.course import Lab
from autograder.errors import UsageError

# The formgrader, step by step, as README.md shows it (taken by tests/test_formgrader.py).
README_IMAGES = ("formgrader-submissions.png", "formgrader-score.png", "formgrader-graded.png")
HIDDEN_CELL_TIMEOUT = 1800  # seconds: a hidden cell may grade a whole part, hostile code included
CELL_TIMEOUT = 300  # seconds for every other cell (loading hub models on a cold cache included)


@dataclass(frozen=True)
class HiddenTest:
    test_id: str  # the test function's name
    name: str  # first docstring line: the name students see
    points: float
    function: str  # the student function it calls first


def _points(node: ast.FunctionDef, where: str) -> float | None:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "points" and isinstance(decorator, ast.Call) and decorator.args:
            value = decorator.args[0]
            if isinstance(value, ast.Constant) and isinstance(value.value, int | float):
                return float(value.value)
            raise UsageError(f"{where}:{node.lineno}: @points() needs a number literal")
        if name in ("parametrize", "skip", "skipif", "xfail"):
            raise UsageError(f"{where}:{node.lineno}: {node.name}: @{name} tests cannot become nbgrader "
                             "cells")
    return None


def _first_student_call(node: ast.AST, helpers: dict[str, ast.FunctionDef], bound: dict[str, str],
                        seen: frozenset[str]) -> str | None:
    """The function name of the first ``<x>.call("NAME", ...)`` reached from ``node`` in source order,
    following calls to the suite's module-level helpers (string arguments bound to their parameters)."""
    calls = sorted((n for n in ast.walk(node) if isinstance(n, ast.Call)),
                   key=lambda n: (n.lineno, n.col_offset))
    for call in calls:
        if isinstance(call.func, ast.Attribute) and call.func.attr == "call" and call.args:
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                return first.value
            if isinstance(first, ast.Name) and first.id in bound:
                return bound[first.id]
        if isinstance(call.func, ast.Name) and call.func.id in helpers and call.func.id not in seen:
            helper = helpers[call.func.id]
            params = [a.arg for a in helper.args.posonlyargs + helper.args.args]
            env = {}
            for param, arg in zip(params, call.args, strict=False):
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    env[param] = arg.value
                elif isinstance(arg, ast.Name) and arg.id in bound:
                    env[param] = bound[arg.id]
            for keyword in call.keywords:
                if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                    env[keyword.arg] = keyword.value.value
            found = _first_student_call(helper, helpers, env, seen | {call.func.id})
            if found:
                return found
    return None


def suite_tests(suite: Path) -> list[HiddenTest]:
    """The tests of a hidden suite, in file order (pytest's order), with points and the function each
    checks."""
    where = str(suite)
    tree = ast.parse(suite.read_text(encoding="utf-8"), filename=where)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    helpers = {n.name: n for n in functions if not n.name.startswith("test")}
    tests = []
    for node in functions:
        if not node.name.startswith("test"):
            continue
        points = _points(node, where)
        if points is None:
            raise UsageError(f"{where}:{node.lineno}: {node.name} has no @points(N)")
        function = _first_student_call(node, helpers, {}, frozenset())
        if function is None:
            raise UsageError(f"{where}:{node.lineno}: {node.name} calls no student function "
                             "(no student.call(\"NAME\", ...) reached): cannot place it in a notebook")
        doc = (ast.get_docstring(node) or node.name).strip().splitlines()[0]
        tests.append(HiddenTest(node.name, doc, points, function))
    return tests


def _checked_function(source: str, where: str) -> str:
    """NAME in a public check cell's ``check(NAME)``."""
    names = [n.args[0].id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
             and getattr(n.func, "id", "") == "check" and n.args and isinstance(n.args[0], ast.Name)]
    if len(names) != 1:
        raise UsageError(f"{where}: a public check cell must hold exactly one check(function) call")
    return names[0]


def hidden_cell_source(part_stem: str, function: str, test: HiddenTest, k: int, n: int) -> str:
    worth = f"{test.points:g} point{'s' * (test.points != 1)}"
    return (f"# Hidden test {k} of {n} for {function} ({worth}): it runs when your notebook is graded.\n"
            "from autograder.stubs import implemented\n\n"
            f'implemented("{function}")\n'
            "### BEGIN HIDDEN TESTS\n"
            "from autograder.integrations.nbgrader_bridge import hidden_test\n\n"
            f'hidden_test("{part_stem}", "{test.test_id}")\n'
            "### END HIDDEN TESTS")


def source_notebook(lab: Lab, text: str, where: str, part_stem: str, suite: Path | None, solution: Path,
                    check_regions: bool = True) -> nbformat.NotebookNode:
    """The nbgrader source notebook of one part of `lab` from its Jupytext percent ``text``.

    ``suite`` is the part's hidden suite (None: no autograded tests, e.g. the reflections); ``solution`` is
    the part's solution file, which names the graded functions. ``text`` may be another notebook of the same
    part with the same cell headers (a student's, to build a submission as nbgrader would receive it): then
    pass ``check_regions=False``.
    """
    if check_regions:
        render_assignment(lab, text, where)  # the same region and metadata checks as the student stubs
    graded = graded_functions(solution)
    tests = suite_tests(suite) if suite is not None else []
    by_function: dict[str, list[HiddenTest]] = {}
    for test in tests:
        if test.function not in graded:
            raise UsageError(f"{suite}: {test.test_id} calls {test.function!r}, which is not a graded "
                             f"function of {part_stem} ({', '.join(graded) or 'none'})")
        by_function.setdefault(test.function, []).append(test)
    notebook = jupytext.reads(text, fmt="py:percent")
    notebook.metadata.pop("jupytext", None)  # no pairing: a paired .py could bring solutions back
    cells, checked = [], set()
    for i, cell in enumerate(notebook.cells):
        meta = cell.metadata.get("nbgrader", {})
        cell.id = meta.get("grade_id") or f"cell-{i}"
        cells.append(cell)
        if not (cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")):
            continue
        function = _checked_function(cell.source, f"{where} cell {meta.get('grade_id')}")
        if function not in by_function:
            if suite is None:
                continue  # no hidden suite yet: the check cell stays an nbgrader test cell
            raise UsageError(f"{where}: check({function}) has no hidden test in {suite.name}")
        checked.add(function)
        own = by_function[function]
        if sum(t.points for t in own) != float(meta.get("points", 0)):
            raise UsageError(f"{where}: check({function}) is worth {meta.get('points')} points but its "
                             f"hidden tests in {suite.name} sum to {sum(t.points for t in own):g}")
        cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": True,
                                     "task": False, "grade_id": meta["grade_id"]}
        base = graded[function]
        for k, test in enumerate(own, start=1):
            hidden = nbformat.v4.new_code_cell(hidden_cell_source(part_stem, function, test, k, len(own)))
            hidden.id = f"{base}_t{k}"
            hidden.metadata["nbgrader"] = {"schema_version": 3, "grade": True, "solution": False,
                                           "locked": True, "task": False, "grade_id": hidden.id,
                                           "points": test.points}
            cells.append(hidden)
    missing = set(by_function) - checked
    if missing:
        raise UsageError(f"{where}: no public check cell for {', '.join(sorted(missing))}, which the hidden "
                         "tests call: add a check(function) cell after each graded function")
    if not any(map(is_runtime_cell, cells)):  # as in the student notebooks: the runtime cell, then setup
        setup = next((i for i, c in enumerate(cells)
                      if c.metadata.get("nbgrader", {}).get("grade_id") == SETUP_ID), None)
        if setup is not None:
            cells.insert(setup, runtime_notebook_cell(lab))
    notebook.cells = cells
    ids = [c.id for c in cells]
    if len(set(ids)) < len(ids):
        raise UsageError(f"{where}: grade_id {max(ids, key=ids.count)!r} is used twice")
    nbformat.validate(notebook)
    return notebook


def submitted_copy(lab: Lab, text: str, stem: str) -> nbformat.NotebookNode:
    """A student's part (Jupytext text with the lab's cell headers) as nbgrader receives it: the source
    notebook's layout with the hidden regions removed, like a released notebook the student filled in."""
    solution = lab.solutions / f"{stem}.py"
    notebook = source_notebook(lab, text, stem, stem, part_suite(lab, stem), solution, check_regions=False)
    for cell in notebook.cells:
        cell.source = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", cell.source, flags=re.S)
    return notebook


def part_suite(lab: Lab, stem: str) -> Path | None:
    suite = lab.suite(lab.part(stem))
    return suite if suite.is_file() else None


def hidden_points(notebook: nbformat.NotebookNode) -> float:
    """The points of a notebook's hidden-test cells."""
    return sum(float(c.metadata["nbgrader"]["points"]) for c in notebook.cells
               if c.metadata.get("nbgrader", {}).get("grade") and "### BEGIN HIDDEN TESTS" in c.source)


def course_id(lab: Lab) -> str:
    return f"transformers-{lab.id.replace('_', '-')}"


def _manual_parts(lab: Lab) -> str:
    """The README's words for the parts graded by hand: "Part 5, `reflection` (10 points), is"."""
    manual = [f"Part {p.number}, `{p.stem}` ({p.manual_points} points)" for p in lab.parts if p.manual_points]
    if not manual:
        return "No part of this lab is"
    return f"{', '.join(manual)}, {'is' if len(manual) == 1 else 'are'}"


def build(lab: Lab, root: Path, out: Path) -> list[Path]:
    """Write the nbgrader course directory ``out`` from the lab's solutions; returns the written files.
    `root` is the course repository (its docs/images go into the TA's README)

    Other content of ``out`` (gradebook.db, release/, submitted/, ...) is left alone; stale source notebooks
    of parts that no longer exist are removed.
    """
    root, out = Path(root), Path(out)
    solutions = lab.solutions
    if not solutions.is_dir():
        raise UsageError(f"no solutions folder {solutions}")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    files: dict[Path, str] = {}
    stems = {part.stem for part in lab.parts}
    source = out / "source" / lab.id
    for solution in sorted(solutions.glob("*.py")):
        if solution.name.startswith("_"):
            continue
        if solution.stem not in stems:
            raise UsageError(f"{solution}: not a part of {lab.id} ({', '.join(sorted(stems))})")
        text = solution.read_text(encoding="utf-8")
        where = str(solution.relative_to(root)) if solution.is_relative_to(root) else str(solution)
        suite = part_suite(lab, solution.stem)
        notebook = source_notebook(lab, text, where, solution.stem, suite, solution)
        part = lab.part(solution.stem)
        if suite is not None and hidden_points(notebook) != part.points:
            raise UsageError(f"{where}: its hidden-test cells are worth {hidden_points(notebook):g} points, "
                             f"the lab says part {part.number} is worth {part.points}")
        files[source / f"{solution.stem}.ipynb"] = nbformat.writes(notebook).rstrip("\n") + "\n"
    if not files:
        raise UsageError(f"{solutions} holds no part notebooks")
    files[out / "nbgrader_config.py"] = render("nbgrader/nbgrader_config.py.jinja", course_id=course_id(lab),
                                               cell_timeout=CELL_TIMEOUT,
                                               hidden_cell_timeout=HIDDEN_CELL_TIMEOUT)
    files[out / "README.md"] = render("nbgrader/README.md", lab=lab, manual=_manual_parts(lab),
                                      total=lab.points + sum(p.manual_points for p in lab.parts))
    files[out / ".gitignore"] = "gradebook.db\nsource/\nsubmitted/\nautograded/\nfeedback/\ngrade-all/\n"
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for stale in source.glob("*.ipynb"):
        if stale not in files:
            stale.unlink()
    (out / "images").mkdir(exist_ok=True)
    for name in README_IMAGES:
        shutil.copyfile(root / "docs" / "images" / name, out / "images" / name)
    return sorted([*files, *(out / "images" / name for name in README_IMAGES)])

