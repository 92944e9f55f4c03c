"""Whether the logic of a solution shows in a student-facing file, in any form.

A line-by-line comparison misses a solution that reappears with other names or a few changes (a second
version of a graded loop, shown as a demo). Here each code region between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` is compared, as a sequence of normalised statements, with every unit of code a student
can read: each cell of each student notebook, and each function (and the top-level code) of each Python
file of the release, the public checks included.

Normalising a statement keeps what it does and drops what a copy would change: local names are dropped
(builtins and the modules ``torch``, ``F``, ``math``, ``np`` keep theirs), while attributes, keywords,
constants, operators and slices stay, with the statement's kind and the kinds of the compound statements it
is nested in. Statements are flattened in source order (a loop's header, then its body). Two statements of
the same kind and nesting share the tokens common to both (a multiset), each token weighted by how
distinctive it is among the lab's solutions (``weights``: a token every solution uses, such as
``return_tensors=``, weighs little). A unit's score against a region is the best in-order pairing of their
statements (a weighted longest common subsequence) over the region's own weight: 1.0 means the region
appears whole, under any names.

A unit leaks a region when its score reaches ``THRESHOLD`` and the region is long enough to be logic
rather than one library call (``MIN_WEIGHT``). In the public checks, whose references must compute the
same values as the answers and so make the same library calls, only regions of more than a couple of
calls count (``RUNTIME_MIN_WEIGHT``): a reference may call ``model(..., output_hidden_states=True)``, as
the notebook's own prose says to, but may not hold the steps of a longer solution.

The figures were measured on the first lab of this repository: a demo that showed its greedy decoding loop
again, with a cache, scores 0.52 against that loop's solution; no other unit of its student notebooks or
scripts scores above 0.42 against a region of at least ``MIN_WEIGHT``.
"""

from __future__ import annotations

import ast
import builtins
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

THRESHOLD = 0.45
KIND_WEIGHT = 0.5
MIN_WEIGHT = 8.0
RUNTIME_MIN_WEIGHT = 20.0
KEPT_NAMES = frozenset(dir(builtins)) | {"torch", "F", "math", "np"}
_ASSIGN = (ast.Assign, ast.AnnAssign, ast.AugAssign)
_OPERATORS = (ast.operator, ast.cmpop, ast.unaryop, ast.boolop, ast.comprehension)


@dataclass(frozen=True)
class Statement:
    """One statement, normalised: its kind and the multiset of its tokens (nested bodies excluded)."""

    kind: str
    tokens: Counter


@dataclass(frozen=True)
class Code:
    """A piece of code under comparison: a solution region or a unit of student-facing code."""

    where: str  # e.g. "<part>.py: <function>" or "<part> cell 12: def helper"
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Leak:
    region: str
    unit: str
    score: float

    def __str__(self) -> str:
        return (f"the logic of {self.region} shows in {self.unit} ({self.score:.0%} of its normalised "
                "statements, in order)")


def _label(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id if node.id in KEPT_NAMES else None
    if isinstance(node, ast.Attribute):
        return "." + node.attr
    if isinstance(node, ast.Constant):
        return repr(node.value)
    if isinstance(node, ast.keyword):
        return f"{node.arg or '**'}="
    if isinstance(node, _OPERATORS):
        return type(node).__name__
    return ":" if isinstance(node, ast.Slice) else None


def _tokens(node: ast.AST) -> Iterator[str]:
    """The tokens of ``node``'s own code: nested statement bodies are statements of their own."""
    for value in ast.iter_fields(node):
        children = value[1] if isinstance(value[1], list) else [value[1]]
        for child in children:
            if isinstance(child, ast.AST) and not isinstance(child, ast.stmt | ast.excepthandler):
                label = _label(child)
                if label is not None:
                    yield label
                yield from _tokens(child)


def _kind(statement: ast.stmt) -> str:
    return "Assign" if isinstance(statement, _ASSIGN) else type(statement).__name__


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
        and isinstance(statement.value.value, str)


def _flatten(body: Iterable[ast.stmt], skip_defs: bool, within: str = "") -> Iterator[Statement]:
    """Statements in source order, each compound statement's header before its body; with ``skip_defs``
    function and class definitions are left out (they are units of their own)."""
    for statement in body:
        if _is_docstring(statement) or isinstance(statement, ast.Pass):
            continue
        if skip_defs and isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        kind = within + _kind(statement)
        yield Statement(kind, Counter(_tokens(statement)))
        for field in ("body", "orelse", "finalbody", "handlers"):
            nested = getattr(statement, field, None) or []
            for item in nested:
                yield from _flatten(item.body if isinstance(item, ast.excepthandler) else [item], skip_defs,
                                    kind + ">")


def region(where: str, source: str) -> Code:
    """A solution region (a function body fragment, dedented or not) as a Code."""
    tree = ast.parse(_dedent(source))
    return Code(where, tuple(_flatten(tree.body, skip_defs=False)))


def units(where: str, source: str) -> list[Code]:
    """The units of a module or cell: its top-level code, then each function (methods included), each
    compared on its own. Code that does not parse yields nothing (it cannot run, so it teaches no logic)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = [Code(f"{where} (top-level code)", tuple(_flatten(tree.body, skip_defs=True)))]
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(Code(f"{where}: def {node.name}", tuple(_flatten(node.body, skip_defs=True))))
    return [unit for unit in found if unit.statements]


def _dedent(source: str) -> str:
    lines = source.splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines) + "\n"


def weights(solutions: Iterable[Code]) -> dict[str, float]:
    """How distinctive each token is: ``log((1 + N) / (1 + n))`` for a token in ``n`` of the ``N`` regions.
    Tokens every solution uses (``return_tensors=``, ``torch.no_grad``) weigh little; a token only one
    solution uses (``.eos_token_id``, ``.argmax``) weighs most."""
    solutions = list(solutions)
    counts = Counter(token for solution in solutions
                     for token in {t for statement in solution.statements for t in statement.tokens})
    return {token: math.log((1 + len(solutions)) / (1 + n)) for token, n in counts.items()}


def _shared(a: Statement, b: Statement, weight: dict[str, float]) -> float:
    if a.kind != b.kind:
        return 0.0
    return KIND_WEIGHT + sum(weight.get(token, 0.0) * n for token, n in (a.tokens & b.tokens).items())


def _own(code: Code, weight: dict[str, float]) -> float:
    return sum(_shared(statement, statement, weight) for statement in code.statements)


def score(solution: Code, unit: Code, weight: dict[str, float]) -> float:
    """How much of ``solution`` appears in ``unit``, in order: 0.0 (nothing) to 1.0 (all of it)."""
    columns = len(unit.statements)
    previous = [0.0] * (columns + 1)
    for a in solution.statements:
        current = [0.0] * (columns + 1)
        for j, b in enumerate(unit.statements, start=1):
            current[j] = max(previous[j], current[j - 1], previous[j - 1] + _shared(a, b, weight))
        previous = current
    own = _own(solution, weight)
    return previous[columns] / own if own else 0.0


def find(solutions: Iterable[Code], candidates: Iterable[Code], min_weight: float = MIN_WEIGHT) -> list[Leak]:
    """Every (region, unit) pair in which the unit leaks the region (see the module docstring). Token
    weights come from ``solutions`` themselves, so pass all the regions of a lab at once."""
    solutions, candidates = list(solutions), list(candidates)
    weight = weights(solutions)
    leaks = []
    for solution in solutions:
        if _own(solution, weight) < min_weight:
            continue
        for unit in candidates:
            value = score(solution, unit, weight)
            if value >= THRESHOLD:
                leaks.append(Leak(solution.where, unit.where, value))
    return leaks
