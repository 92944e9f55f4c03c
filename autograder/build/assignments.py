"""Student assignments from solutions: ``assignments/<lab>/<stem>.py`` stubs and their paired ``.ipynb``.

The transformation works on the text of each Jupytext percent file, cell by cell, so everything outside the
delimited regions is kept byte for byte. The delimiters, and the rules on which cells may hold them, are
nbgrader's (a line *containing* ``BEGIN SOLUTION`` opens a region, as in nbgrader's preprocessors), so the
standalone stubs and an nbgrader release built from the same solutions clear exactly the same lines:

- ``### BEGIN SOLUTION`` .. ``### END SOLUTION`` (solution cells only): in code, a line budget
  ``# YOUR CODE HERE (~N lines)`` and a ``raise NotImplementedError`` naming the enclosing function; in
  markdown, ``YOUR ANSWER HERE``. A solution cell without a region is replaced whole, as nbgrader does.
- ``=== BEGIN MARK SCHEME ===`` .. ``=== END MARK SCHEME ===`` (task cells only) and
  ``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS`` (grade cells only): removed, delimiters included.

Nothing removed may come back elsewhere: no removed line may be in the student copy, and no solution
region's logic may be in any cell of any of the lab's student notebooks, under any names (``leaks.py``).
A solution cell whose ``grade_id`` starts with ``optional_`` is an optional exercise: stubbed like the
others, checked for leaks like the others, but worth no points and not among the graded functions.

Every student notebook also gets the lab's runtime cell, right before the lab's setup cell (``grade_id``
``setup``): its text is ``templates/setup_cell.py.jinja``, the same in every part of a lab. It gets the lab's
runtime when the notebook runs on its own (as on Colab) and says which models the notebook loads
(``MODELS``); where the runtime is installed already, as under the grader, it installs nothing.

The ``.ipynb`` is the stub read by Jupytext, with cell ids derived from ``grade_id`` (or the cell index among
the solution's cells; the runtime cell's is ``lab-runtime``) so that the same solutions always give the same
bytes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from autograder.build import leaks
from autograder.build.render import render
from autograder.course import Lab
from autograder.errors import UsageError

_CELL_MARKER = re.compile(r"^# %%(?:\s|$)")
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")
# Region kind, as its delimiters spell it -> the nbgrader flag its cell must carry (nbgrader's rule).
_KINDS = {"SOLUTION": "solution", "HIDDEN TESTS": "grade", "MARK SCHEME": "task"}
_ANSWER_STUB = "YOUR ANSWER HERE"
OPTIONAL_PREFIX = "optional_"
SETUP_ID = "setup"  # grade_id of a lab's setup cell: the runtime cell goes right before it
RUNTIME_CELL = "setup_cell.py.jinja"  # its template (render.py)
RUNTIME_TAG = "lab-runtime"  # the runtime cell's tag and cell id


@dataclass
class _Cell:
    """One percent-format cell of a solution file: its header line and the lines after it."""

    start: int  # 1-based line number of the "# %%" header
    header: str
    body: list[str]
    cell_type: str
    nbgrader: dict


def _line_budget(lines: list[str]) -> str:
    n = sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))
    return f"~{n} line" if n == 1 else f"~{n} lines"


def _enclosing(cell: _Cell, prefix: str, before: list[str]) -> str:
    """The name of the function a region indented by ``prefix`` is in (else the cell's ``grade_id``)."""
    for line in reversed(before):
        match = _DEF.match(line)
        if match and len(match.group(1)) < len(prefix):
            return match.group(2)
    return cell.nbgrader.get("grade_id", "this exercise")


def _stub(cell: _Cell, prefix: str, region: list[str], before: list[str]) -> list[str]:
    """The lines that replace a solution region (``region``, delimiters excluded) in ``cell``."""
    if cell.cell_type == "markdown":
        return [f"# {_ANSWER_STUB}\n"]
    name = _enclosing(cell, prefix, before)
    message = f"{name}: replace this line with your code (see the docstring above)"
    return [f"{prefix}# YOUR CODE HERE ({_line_budget(region)})\n",
            f'{prefix}raise NotImplementedError("{message}")\n']


def _delimiter(line: str) -> tuple[str, str] | None:
    """``("BEGIN" | "END", kind)`` when ``line`` is a region delimiter (nbgrader's substring test)."""
    for kind in _KINDS:
        for edge in ("BEGIN", "END"):
            if f"{edge} {kind}" in line:
                return edge, kind
    return None


def _clear_cell(cell: _Cell, where: str) -> tuple[list[str], list[str], list[str]]:
    """The cell's body with its regions replaced or removed, the lines it kept, and the lines it removed."""
    out: list[str] = []
    kept: list[str] = []
    secrets: list[str] = []
    open_kind, open_line, prefix, region = None, 0, "", []
    for offset, line in enumerate(cell.body, start=cell.start + 1):
        delimiter = _delimiter(line)
        if delimiter is None:
            (region if open_kind else out).append(line)
            (secrets if open_kind else kept).append(line)
            continue
        edge, kind = delimiter
        if edge == "BEGIN":
            if open_kind:
                raise UsageError(f"{where}:{offset}: BEGIN {kind} inside the {open_kind} region opened at "
                                 f"line {open_line} (regions cannot nest)")
            if not cell.nbgrader.get(_KINDS[kind]):
                raise UsageError(f"{where}:{offset}: a {kind} region must be in a cell whose nbgrader "
                                 f"metadata has \"{_KINDS[kind]}\": true")
            open_kind, open_line, region = kind, offset, []
            prefix = line[: len(line) - len(line.lstrip())]
            continue
        if open_kind != kind:
            opened = f"{open_kind} is open since line {open_line}" if open_kind else "no region is open"
            raise UsageError(f"{where}:{offset}: END {kind} without a matching BEGIN {kind} ({opened})")
        if kind == "SOLUTION":
            out += _stub(cell, prefix, region, out)
        open_kind = None
    if open_kind:
        raise UsageError(f"{where}:{open_line}: BEGIN {open_kind} is not closed before the end of its cell")
    if cell.nbgrader.get("solution") and not any(_delimiter(line) for line in cell.body):
        # nbgrader replaces a solution cell without delimiters entirely; the trailing blank lines stay.
        content = len(cell.body)
        while content and cell.body[content - 1].strip() in ("", "#"):
            content -= 1
        secrets, kept = cell.body[:content], cell.body[content:]
        out = _stub(cell, "", secrets, []) + kept
    return out, kept, secrets


def _split_cells(text: str, where: str) -> tuple[list[str], list[_Cell]]:
    """The lines before the first cell (the YAML header) and the cells, typed from Jupytext's own reading."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _CELL_MARKER.match(line)]
    try:
        notebook = jupytext.reads(text, fmt="py:percent")
    except Exception as error:  # jupytext raises many types on malformed headers
        raise UsageError(f"{where}: Jupytext cannot read it: {error}") from error
    if len(notebook.cells) != len(starts):
        raise UsageError(f"{where}: Jupytext reads {len(notebook.cells)} cells but the file has "
                         f"{len(starts)} '# %%' markers at the start of a line; start every cell with one")
    cells = []
    for i, (start, nb_cell) in enumerate(zip(starts, notebook.cells, strict=True)):
        if "incorrectly_encoded_metadata" in nb_cell.metadata:
            raise UsageError(f"{where}:{start + 1}: the cell metadata is not valid JSON: {lines[start]!r}")
        end = starts[i + 1] if i + 1 < len(starts) else len(lines)
        cells.append(_Cell(start + 1, lines[start], lines[start + 1 : end], nb_cell.cell_type,
                           dict(nb_cell.metadata.get("nbgrader", {}))))
    return lines[: starts[0] if starts else len(lines)], cells


def _check_python(text: str, where: str) -> None:
    try:
        ast.parse(text)
    except SyntaxError as error:
        raise UsageError(f"{where}:{error.lineno}: does not parse as Python: {error.msg}") from error


def _normalize(line: str) -> str:
    return line.strip().lstrip("#").strip()


def _check_no_leak(secrets: list[str], kept: list[str], outputs: list[str], where: str) -> None:
    """Raise if a removed line (over 3 characters, found nowhere outside the regions) is in an output text."""
    public = {_normalize(line) for line in kept}
    hidden = {s for s in map(_normalize, secrets) if len(s) > 3 and s not in public}
    for text in outputs:
        for line in text.splitlines():
            if _normalize(line) in hidden:
                raise RuntimeError(f"{where}: a solution line leaked into the student copy: {line.strip()!r}")


def solution_regions(text: str, where: str) -> list[leaks.Code]:
    """Every code region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` of a solution file, named
    ``<where>: <enclosing function>``, as a sequence of normalised statements."""
    found = []
    for cell in _split_cells(text, where)[1]:
        if cell.cell_type != "code":
            continue
        region: list[str] | None = None
        for i, line in enumerate(cell.body):
            delimiter = _delimiter(line)
            if delimiter == ("BEGIN", "SOLUTION"):
                region, prefix, before = [], line[: len(line) - len(line.lstrip())], cell.body[:i]
            elif delimiter == ("END", "SOLUTION") and region is not None:
                found.append(leaks.region(f"{where}: {_enclosing(cell, prefix, before)}", "".join(region)))
                region = None
            elif region is not None:
                region.append(line)
    return found


def notebook_units(notebook: nbformat.NotebookNode, where: str) -> list[leaks.Code]:
    """The code units of every code cell of ``notebook`` (see ``leaks.units``)."""
    return [unit for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            for unit in leaks.units(f"{where} cell {i + 1}", cell.source)]


def check_no_logic_leak(regions: list[leaks.Code], units: list[leaks.Code]) -> None:
    """Raise RuntimeError naming the first unit that shows the logic of a solution region."""
    found = leaks.find(regions, units)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise RuntimeError(f"{found[0]}{more}")
def runtime_cell(lab: Lab) -> list[str]:
    """The lines of the lab's runtime cell, header included (shown as a form, code hidden, on Colab)."""
    body = render(RUNTIME_CELL, lab=lab).splitlines(keepends=True)
    return [f'# %% cellView="form" tags=["{RUNTIME_TAG}"]\n', *body, "\n"]


def runtime_notebook_cell(lab: Lab):
    """The runtime cell as a notebook cell, for notebooks built from a solution's cells (nbgrader's)."""
    (cell,) = jupytext.reads("".join(runtime_cell(lab)), fmt="py:percent").cells
    cell.id = RUNTIME_TAG
    return cell


def is_runtime_cell(cell) -> bool:
    """Whether a notebook cell is the runtime cell."""
    return RUNTIME_TAG in cell.get("metadata", {}).get("tags", [])


def student_notebook(stub: str, where: str):
    """The notebook of a stub's text: Jupytext's reading, with stable cell ids, validated."""
    notebook = jupytext.reads(stub, fmt="py:percent")
    index = 0
    for cell in notebook.cells:
        if is_runtime_cell(cell):
            cell.id = RUNTIME_TAG
            continue
        cell.id = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell-{index}"
        index += 1
    ids = [cell.id for cell in notebook.cells]
    if len(set(ids)) < len(ids):  # nbformat.validate would "repair" them with random ids
        raise UsageError(f"{where}: grade_id {max(ids, key=ids.count)!r} is used twice (or clashes with a "
                         "cell index id)")
    nbformat.validate(notebook)
    return notebook


def notebook_text(notebook) -> str:
    """The .ipynb text of a student notebook, as it is committed."""
    return jupytext.writes(notebook, fmt="ipynb").rstrip("\n") + "\n"


def render_assignment(lab: Lab, text: str, where: str) -> tuple[str, str]:
    """The student stub (``.py`` text) and its paired ``.ipynb`` text for one solution file's ``text`` of
    `lab`.

    ``where`` names the file in error messages, which give its line numbers.
    """
    _check_python(text, where)
    preamble, cells = _split_cells(text, where)
    out, kept, secrets = list(preamble), list(preamble), []
    for cell in cells:
        body, cell_kept, cell_secrets = _clear_cell(cell, where)
        if cell.nbgrader.get("grade_id") == SETUP_ID:
            out += runtime_cell(lab)
            kept += runtime_cell(lab)
        out += [cell.header, *body]
        kept += [cell.header, *cell_kept]
        secrets += cell_secrets
    stub = "".join(out)
    _check_python(stub, f"{where} (generated stub)")
    notebook = student_notebook(stub, where)
    _check_no_leak(secrets, kept, [stub, *(cell.source for cell in notebook.cells)], where)
    return stub, notebook_text(notebook)


def expected_files(lab: Lab, root: Path) -> dict[Path, str]:
    """Every generated file of ``lab`` (a path under ``lab.assignments``) and its expected text; `root` is
    the course repository, which messages name paths from."""
    if not lab.solutions.is_dir():
        raise UsageError(f"no solutions folder {lab.solutions}")
    files: dict[Path, str] = {}
    regions, units = [], []
    for solution in sorted(lab.solutions.glob("*.py")):
        if solution.name.startswith("_"):
            continue  # helper modules (__init__.py and the like) are not notebooks
        text = solution.read_text(encoding="utf-8")
        where = str(solution.relative_to(root) if solution.is_relative_to(root) else solution)
        stub, notebook = render_assignment(lab, text, where)
        files[lab.assignments / solution.name] = stub
        files[lab.assignments / f"{solution.stem}.ipynb"] = notebook
        regions += solution_regions(text, where)
        units += notebook_units(jupytext.reads(stub, fmt="py:percent"), f"{solution.stem} (student copy)")
    check_no_logic_leak(regions, units)
    return files


def build_assignments(lab: Lab, root: Path, check: bool = False) -> list[Path]:
    """Regenerate ``lab.assignments`` from ``lab.solutions``.

    Returns the paths that changed: written or removed (a ``.py``/``.ipynb`` whose solution is gone). With
    ``check=True`` nothing is touched and the returned paths are the stale, missing or orphaned ones, so an
    empty list means the assignments are up to date.
    """
    files = expected_files(lab, Path(root))
    target = lab.assignments
    changed = [path for path, text in files.items()
               if not path.is_file() or path.read_bytes() != text.encode("utf-8")]
    orphans = [path for path in sorted(target.glob("*"))
               if path.suffix in (".py", ".ipynb") and path not in files]
    if not check:
        target.mkdir(parents=True, exist_ok=True)
        for path in changed:
            path.write_bytes(files[path].encode("utf-8"))
        for path in orphans:
            path.unlink()
    return sorted(changed + orphans)


def graded_functions(solution: Path, optional: bool = False) -> dict[str, str]:
    """The functions students write for points: each function of a solution file holding a solution region
    -> the ``grade_id`` of its cell. With ``optional=True``, those of the optional exercises instead."""
    functions = {}
    for cell in _split_cells(solution.read_text(encoding="utf-8"), str(solution))[1]:
        is_optional = cell.nbgrader.get("grade_id", "").startswith(OPTIONAL_PREFIX)
        if cell.cell_type == "code" and cell.nbgrader.get("solution") and is_optional == optional:
            for node in ast.parse("".join(cell.body)).body:
                lines = cell.body[node.lineno - 1 : node.end_lineno]
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(map(_delimiter, lines)):
                    functions[node.name] = cell.nbgrader["grade_id"]
    return functions
