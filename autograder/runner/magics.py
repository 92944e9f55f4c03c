"""IPython syntax in notebook cells: magics (`%pip install x`, `%%time`) and shell escapes (`!ls`).

A notebook cell is IPython input, not Python. `to_python` reads it with IPython's own input transformers,
so only what IPython itself takes for a magic or a shell escape is one: a continuation line that starts
with `!=` or `%` stays Python. Each magic and escape becomes a call on `get_ipython()`, which while grading
is `NoShell`, a stand-in that does nothing: a `%pip install` installs nothing and `!rm -rf ~` runs nothing.
A cell magic whose body is Python (`%%time`) loses only its first line; the body of any other (`%%bash`,
`%%writefile`) is not run at all.
"""

from __future__ import annotations

from IPython.core.inputtransformer2 import TransformerManager, leading_empty_lines

PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})  # cell magics whose body is Python

_transformer = TransformerManager()
# Leading blank lines are kept, so line numbers stay those the student sees (in tracebacks and in
# the tampering scan's messages).
_transformer.cleanup_transforms.remove(leading_empty_lines)


def to_python(source: str) -> str:
    """The Python that IPython would run for the cell `source`, magics and escapes calling `get_ipython()`."""
    lines = source.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].startswith("%%"):
        name = lines[first][2:].split(maxsplit=1)
        if not name or name[0] not in PYTHON_CELL_MAGICS:
            return ""
        lines[first] = "\n"
        source = "".join(lines)
    try:
        return _transformer.transform_cell(source)
    except Exception:  # input IPython cannot read either: compiling it says what is wrong
        return source


class NoShell:
    """`get_ipython()` while grading: every magic, shell escape and shell attribute is a no-op."""

    def __getattr__(self, name: str):
        return _nothing


def _nothing(*args, **kwargs) -> None:
    return None


def get_ipython() -> NoShell:
    return NoShell()
