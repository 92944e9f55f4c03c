"""What a public check that passed leaves in the notebook: a record for the Classroom workflow, and the line
students read.

In a Jupyter kernel, `passed` displays one output whose MIME bundle holds both: the record as
``application/vnd.autograder.check+json`` (`MIME`), which ``scripts/check_part.py`` reads from the executed
notebook, and the line as ``text/plain``. A front end shows the richest type it has a renderer for, and none
has one for ours: Jupyter Notebook and JupyterLab (their renderer ranking), VS Code (it puts types without a
renderer last), Colab and nbconvert's HTML (nbgrader's feedback) all show the plain line; nbclient keeps the
whole bundle in the notebook it executes. Anywhere else (a script, terminal Python, the grader's child) the
line is printed, as before.

A check that fails raises CheckFailed and leaves no record: check_part.py takes the error of the check's
cell as its message. This module ships to students (build/release.py, RUNTIME): it imports nothing of the
grader.
"""

from __future__ import annotations

import sys

MIME = "application/vnd.autograder.check+json"
VERSION = 1


def record(name: str, line: str) -> dict:
    """The record of the public checks of `name` having passed; `line` is what the student was shown."""
    return {"version": VERSION, "check": name, "passed": True, "line": line}


def passed(name: str, line: str) -> None:
    """Report that the public checks of the function `name` passed: `line` for the student, the record for
    check_part.py."""
    shell = _kernel_shell()
    if shell is None:
        print(line)
        return
    from IPython.display import display

    display({MIME: record(name, line), "text/plain": line}, raw=True)


def _kernel_shell():
    """The running IPython shell, if any (a Jupyter kernel, terminal IPython); None in plain Python. IPython
    is not imported for this: in a kernel it always is already."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    return get() if callable(get) else None
