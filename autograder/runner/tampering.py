"""A static check, in the trusted parent, for notebook code that reaches around the behavioural guards.

The guards (guards.py) run in the student's own process, so code there could switch them off. This scan
reads what each cell's code does, never its words: it parses the cell (as IPython would run it, see
magics.py) and looks for real constructs only:

- an import of the grader's runner (`import autograder.runner.guards`, `from autograder.runner import
  guards`, `from autograder import runner`), also by a literal name (`importlib.import_module("...")`,
  `__import__("...")`, `sys.modules["..."]`), or the attribute chain `autograder.runner`;
- an attribute that opens up a function: `__wrapped__`, `__closure__`, `__code__`, `__globals__`
  (`inspect.getclosurevars` too), also as `getattr(f, "__wrapped__")`;
- torch's dispatch-mode internals (`_DisableTorchDispatch`, `torch.utils._python_dispatch`, ...) used as
  a name, an attribute or an import;
- torch's kernel registry, where the guards replace the softmax kernels during a checked call:
  `torch.library` (attribute or import) and the dispatcher's own functions (`torch._C._dispatch_...`).

Comments, strings, docstrings and the student's own names (a variable called `guards`) are none of
these. A cell that does not parse cannot run, so it cannot tamper either.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from autograder.runner import magics

GRADER = "autograder.runner"
FUNCTION_INSIDES = frozenset({"__wrapped__", "__closure__", "__code__", "__globals__", "getclosurevars"})
DISPATCH = frozenset({"_DisableTorchDispatch", "_disable_current_modes", "_pop_mode", "_pop_mode_temporarily",
                      "_python_dispatch", "_pop_torch_dispatch_stack", "_len_torch_dispatch_stack"})
ATTRIBUTE_BUILTINS = frozenset({"getattr", "setattr", "delattr", "hasattr"})
IMPORT_FUNCTIONS = frozenset({"import_module", "__import__"})


@dataclass(frozen=True)
class Finding:
    cell: int  # index in the list of code cells
    line: int
    construct: str

    def __str__(self) -> str:
        return f"line {self.line} of code cell {self.cell + 1}: {self.construct}"


def scan(cells: list[str]) -> Finding | None:
    """The first construct, in notebook order, that reaches into the grader's checks (None: there is none)."""
    for index, source in enumerate(cells):
        try:
            tree = ast.parse(magics.to_python(source))
        except (SyntaxError, ValueError):  # ValueError: a null byte; neither can be compiled, nor run
            continue
        found = [(node.lineno, node.col_offset, construct) for node in ast.walk(tree)
                 if (construct := _construct(node))]
        if found:
            line, _, construct = min(found, key=lambda hit: hit[:2])
            return Finding(index, line, construct)
    return None


KERNEL_REGISTRY = "torch.library"


def _construct(node: ast.AST) -> str | None:
    """What `node` does that reaches into the checks, described for the student; None for honest code."""
    if isinstance(node, ast.Import):
        return next((f"import `{a.name}`" for a in node.names if _forbidden_module(a.name)), None)
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        if _forbidden_module(node.module):
            return f"import from `{node.module}`"
        return next((f"import `{node.module}.{a.name}`" for a in node.names
                     if _forbidden_module(f"{node.module}.{a.name}") or a.name in FUNCTION_INSIDES), None)
    if isinstance(node, ast.Attribute):
        if _dotted(node) in (GRADER, KERNEL_REGISTRY):  # whatever follows it
            return f"attribute `{_dotted(node)}`"
        if node.attr.startswith("_dispatch_"):
            return f"attribute `{node.attr}`"
        if node.attr in FUNCTION_INSIDES | DISPATCH:
            return f"attribute `{node.attr}`"
    if isinstance(node, ast.Name) and node.id in DISPATCH:
        return f"name `{node.id}`"
    if isinstance(node, ast.Call):
        return _call(node)
    if isinstance(node, ast.Subscript) and _is_modules(node.value):
        key = _literal(node.slice)
        return f"`sys.modules[{key!r}]`" if key and _forbidden_module(key) else None
    return None


def _call(node: ast.Call) -> str | None:
    """`getattr(f, "__wrapped__")`, `importlib.import_module("autograder.runner")`, `sys.modules.get(...)`."""
    name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
    first = _literal(node.args[0]) if node.args else None
    if name in ATTRIBUTE_BUILTINS and len(node.args) >= 2 and (attribute := _literal(node.args[1])):
        owner = _dotted(node.args[0])
        if attribute in FUNCTION_INSIDES | DISPATCH or (owner and _is_grader(f"{owner}.{attribute}")):
            return f"`{name}(..., {attribute!r})`"
    if name in IMPORT_FUNCTIONS and first and _forbidden_module(first):
        return f"`{name}({first!r})`"
    if name == "get" and _is_modules(node.func.value) and first and _forbidden_module(first):
        return f"`sys.modules.get({first!r})`"
    return None


def _forbidden_module(name: str) -> bool:
    return (_is_grader(name) or any(part in DISPATCH for part in name.split("."))
            or name == KERNEL_REGISTRY or name.startswith(KERNEL_REGISTRY + "."))


def _is_grader(name: str) -> bool:
    return name == GRADER or name.startswith(GRADER + ".")


def _dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a chain of attributes on a plain name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


def _is_modules(node: ast.AST) -> bool:
    """`sys.modules` (or any `<x>.modules`, however `sys` was imported)."""
    return isinstance(node, ast.Attribute) and node.attr == "modules"


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
