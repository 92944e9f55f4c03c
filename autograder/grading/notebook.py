"""Read the code cells of a submitted notebook, `.ipynb` or Jupytext `.py`, without running anything."""

from __future__ import annotations

import json
import re
from pathlib import Path

MAX_BYTES = 20 * 2**20
BOM = "\ufeff"


class NotebookError(Exception):
    """The file is not a notebook we can grade; the message says why, for the student."""


def code_cells(path: Path) -> tuple[list[str], str]:
    """The source of every code cell, in order, and what had to be mended to read the file, for the
    student ("" when nothing). Raises NotebookError for anything unreadable."""
    import jupytext
    import nbformat

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NotebookError(f"{path.name} could not be read ({exc.strerror})") from None
    if size > MAX_BYTES:
        raise NotebookError(f"{path.name} is {size / 2**20:.0f} MB, over the {MAX_BYTES // 2**20} MB limit "
                            "(clear the outputs and save again)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise NotebookError(f"{path.name} is not a text file (is it a notebook saved by Jupyter?)") from None
    except OSError as exc:
        raise NotebookError(f"{path.name} could not be read ({exc.strerror})") from None
    if "\x00" in text:
        raise NotebookError(f"{path.name} is not a text file")
    repaired = ""
    if text.startswith(BOM):  # some Windows editors write one; nbformat and compile() refuse it
        text = text.removeprefix(BOM)
        repaired = f"{path.name} began with a byte-order mark; it was read without it"
    try:
        if path.suffix == ".ipynb":
            notebook = nbformat.reads(text, as_version=4)
        else:
            notebook = jupytext.reads(text, fmt="py:percent")
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        raise NotebookError(f"{path.name} is not valid notebook JSON ({str(exc).splitlines()[0][:120]}); "
                            "re-download it or restore it from git") from None
    except Exception as exc:  # nbformat and jupytext raise many types for malformed input
        raise NotebookError(f"{path.name} could not be read as a notebook ({type(exc).__name__})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise NotebookError(f"{path.name} has no list of cells: it is not a Jupyter notebook")
    return [_source(cell) for cell in cells if isinstance(cell, dict) and cell.get("cell_type") == "code"
            and not _is_check_cell(cell)], repaired


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


_PUBLIC_CHECK = re.compile(r"(\s*(#.*)?\n)*\s*check\(\w+\)\s*(#.*)?(\n\s*(#.*)?)*")


def _is_check_cell(cell: dict) -> bool:
    """Cells that only run public checks (`check(softmax)`), and nbgrader test cells: the grader has its
    own tests, and running the public ones in the child would only cost time."""
    metadata = cell.get("metadata", {})
    nbgrader = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
    if isinstance(nbgrader, dict) and nbgrader.get("grade") is True and nbgrader.get("solution") is not True:
        return True
    return bool(_PUBLIC_CHECK.fullmatch(_source(cell)))
