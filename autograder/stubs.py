"""Whether a student's function is still the stub: what the visible half of an nbgrader hidden-test cell
calls. Part of the runtime students receive (the hidden half, which imports the grader, never reaches them).
"""

from __future__ import annotations

import os
import sys


def _names(code) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


def implemented(function: str) -> None:
    """The visible half of a hidden-test cell: fail while ``function`` is still the stub (so that
    ``nbgrader validate --invert`` fails every test of the release); a no-op under ``nbgrader autograde``,
    where only the hidden test decides the score."""
    __tracebackhide__ = True
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        return None
    fn = sys._getframe(1).f_globals.get(function)
    if fn is None:
        raise AssertionError(f"{function} is not defined: run the cell that defines it first") from None
    code = getattr(fn, "__code__", None)
    if code is not None and "NotImplementedError" in _names(code):
        raise AssertionError(f"{function} still raises NotImplementedError: replace that line with your "
                             "code; its hidden tests run when your notebook is graded") from None
    print(f"{function} is written: its hidden tests run when your notebook is graded.")
    return None
