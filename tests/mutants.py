"""Mutation testing of the hidden suites: how many small mistakes in the reference solution do they catch?

Every graded function of the solution (`graded_functions`) is mutated with mutmut's mutation operators (its
`MutationVisitor` and `mutation_operators`: numbers, strings, True/False, `x = None`, an argument set to
None or removed, operators and comparisons swapped, ...) and with a few operators of this lab for the
mistakes students make with tensors and token lists that mutmut's set lacks (`EXTRA_OPERATORS`). Each
mutant becomes a submission: the whole solution with that one function replaced. All of them, and the
unchanged solution, are graded in one `autograder grade-all --jobs 2` batch (its progress bar shows while it
runs). A mutant is killed when its part scores less than the solution's part; a grader `error` is a fault of
the grader, never a kill. A mutant listed in `mutants_equivalent.toml` (reviewed: no valid input can tell it
from the solution) is not counted, and must survive.

    python tests/mutants.py [--out DIR] [--functions NAME ...]    (make mutants)

prints, per part, the mutants, killed, equivalent, survived and the score killed / (mutants - equivalent),
then every survivor with its diff; it exits 1 when a part scores under 95%, a mutant met a grader fault, an
equivalent mutant was killed, or an entry of the equivalents file matches no mutant.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import hashlib
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import libcst.matchers as matchers
from corpus import BASES, CELL, REPO, build_parts, replace_function
from libcst.metadata import MetadataWrapper
from mutmut.mutation.file_mutation import MutationVisitor
from mutmut.mutation.mutators import mutation_operators
from mutmut.mutation.pragma_handling import IgnoredCode
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from autograder.build.assignments import graded_functions

EQUIVALENTS = REPO / "tests" / "mutants_equivalent.toml"
THRESHOLD = 0.95
BASELINE = "solution"  # the unchanged solution, graded in the same batch as the mutants
GRADED_PARTS = ("part1", "part2", "part3", "part4")


# ------------------------------------------------------------------------------ the lab's extra operators

def _integer(node: cst.BaseExpression) -> int | None:
    """The value of an integer literal, `-1` included; None for anything else."""
    if isinstance(node, cst.Integer):
        return int(node.value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and \
            isinstance(node.expression, cst.Integer):
        return -int(node.expression.value)
    return None


def _literal(value: int) -> cst.BaseExpression:
    if value < 0:
        return cst.UnaryOperation(cst.Minus(), cst.Integer(str(-value)))
    return cst.Integer(str(value))


def operator_first_last(node: cst.Index) -> Iterable[cst.Index]:
    """`x[0]` <-> `x[-1]`: the first position taken for the last, or the other way round (mutmut only
    steps a number by one: 0 -> 1, -1 -> -2)."""
    swapped = {0: -1, -1: 0}.get(_integer(node.value))
    if swapped is not None:
        yield node.with_changes(value=_literal(swapped))


def _off_by_one(value: cst.BaseExpression) -> Iterable[cst.BaseExpression]:
    for operator in (cst.Add(), cst.Subtract()):
        yield cst.BinaryOperation(left=value, operator=operator, right=cst.Integer("1"))


def operator_off_by_one(node: cst.Index | cst.Slice | cst.Call) -> Iterable[cst.CSTNode]:
    """A variable index, slice bound or `range()` bound one too high or too low (`x[position + 1]`,
    `ids[prompt_length - 1:]`, `range(n + 1)`): mutmut changes number literals only."""
    if isinstance(node, cst.Index) and isinstance(node.value, cst.Name):
        for value in _off_by_one(node.value):
            yield node.with_changes(value=value)
    elif isinstance(node, cst.Slice):
        for bound in ("lower", "upper"):
            if isinstance(getattr(node, bound), cst.Name):
                for value in _off_by_one(getattr(node, bound)):
                    yield node.with_changes(**{bound: value})
    elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "range" \
            and len(node.args) == 1 and isinstance(node.args[0].value, cst.Name):
        for value in _off_by_one(node.args[0].value):
            yield node.with_changes(args=[node.args[0].with_changes(value=value)])


def operator_drop_index(node: cst.Subscript) -> Iterable[cst.Subscript]:
    """One index of a multi-dimensional subscript left out (`logits[0, -1]` -> `logits[-1]`): the batch
    dimension forgotten, or the wrong axis indexed."""
    if len(node.slice) > 1:
        for i in range(len(node.slice)):
            kept = [*node.slice[:i], *node.slice[i + 1:]]
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)  # `x[0]`, not `x[0,]`
            yield node.with_changes(slice=kept)


def operator_unwrap_call(node: cst.Call) -> Iterable[cst.BaseExpression]:
    """A conversion or a step left out: `f(x)` -> `x` for a call of one positional argument (`int(...)`,
    `list(...)`, `torch.exp(...)`), `x.m()` -> `x` for a method call without arguments (`.tolist()`,
    `.argmax()`, `model.eval()`)."""
    if len(node.args) == 1 and not node.args[0].keyword and not node.args[0].star:
        yield node.args[0].value
    elif not node.args and isinstance(node.func, cst.Attribute):
        yield node.func.value


def operator_wrong_dim(node: cst.Arg) -> Iterable[cst.Arg]:
    """`dim=` another dimension: 0 or -1, whichever it is not (a `dim=dim` ignored included)."""
    if node.keyword is not None and node.keyword.value == "dim":
        current = _integer(node.value)
        for value in (0, -1):
            if value != current:
                yield node.with_changes(value=_literal(value))


def operator_remove_statement(node: cst.SimpleStatementLine | cst.If) -> Iterable[cst.SimpleStatementLine]:
    """A statement or an `if` left out (`pass` in its place): a forgotten step or guard. The docstring and
    `pass` itself are kept."""
    if matchers.matches(node, matchers.SimpleStatementLine(
            body=[matchers.Expr(matchers.SimpleString()) | matchers.Pass()])):
        return
    yield cst.SimpleStatementLine([cst.Pass()], leading_lines=node.leading_lines)


# In mutmut's form: (node type, operator yielding mutated nodes).
EXTRA_OPERATORS: list[tuple[type, Callable]] = [
    (cst.Index, operator_first_last),
    (cst.Index, operator_off_by_one),
    (cst.Slice, operator_off_by_one),
    (cst.Call, operator_off_by_one),
    (cst.Subscript, operator_drop_index),
    (cst.Call, operator_unwrap_call),
    (cst.Arg, operator_wrong_dim),
    (cst.SimpleStatementLine, operator_remove_statement),
    (cst.If, operator_remove_statement),
]
OPERATORS = [*mutation_operators, *EXTRA_OPERATORS]


# ------------------------------------------------------------------------------------------- mutants

def _normalised(lines: Iterable[str]) -> str:
    """Changed lines with their whitespace collapsed (indentation and spacing do not identify a mutant)."""
    return "\n".join(" ".join(line.split()) for line in lines)


@dataclass(frozen=True)
class Mutant:
    part: str  # "part3"
    stem: str  # "part3_softmax"
    function: str
    operator: str  # mutmut's operator name without "operator_", or one of EXTRA_OPERATORS
    original: str  # the function's cell code in the solution
    source: str  # the same with the mutation

    @property
    def before(self) -> str:
        return _normalised(self._changed("-"))

    @property
    def after(self) -> str:
        return _normalised(self._changed("+"))

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What identifies the mutant across edits elsewhere: (function, operator, before, after)."""
        return self.function, self.operator, self.before, self.after

    @property
    def name(self) -> str:
        """The submission folder's name: stable while the mutant is."""
        digest = hashlib.sha256("\0".join(self.key).encode()).hexdigest()[:10]
        return f"{self.part}-{self.function}-{self.operator}-{digest}"

    def _changed(self, sign: str) -> list[str]:
        """The lines the mutation removes ("-") or adds ("+")."""
        diff = difflib.unified_diff(self.original.splitlines(), self.source.splitlines(), lineterm="", n=0)
        return [line[1:] for line in diff if line.startswith(sign) and not line.startswith(sign * 3)]

    def diff(self) -> str:
        return "\n".join(difflib.unified_diff(self.original.splitlines(), self.source.splitlines(),
                                              f"solution {self.function}", f"mutant ({self.operator})",
                                              lineterm="", n=1))


def function_cell(text: str, name: str) -> str:
    """What `replace_function` replaces: from `def name(` to the next cell marker."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"def {name}("))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(CELL)), len(lines))
    return "".join(lines[start:end])


def mutate(code: str) -> Iterable[tuple[str, str]]:
    """(operator name, mutated code) for every mutation mutmut's visitor makes with OPERATORS, in one pass."""
    names: dict[int, str] = {}  # id of a mutated node (the visitor keeps them alive) -> its operator

    def named(operator: Callable) -> Callable:
        def mutations(node):
            for mutated in operator(node):
                names[id(mutated)] = operator.__name__.removeprefix("operator_")
                yield mutated
        return mutations

    visitor = MutationVisitor([(node_type, named(operator)) for node_type, operator in OPERATORS],
                              IgnoredCode(set(), set(), set()))
    module = MetadataWrapper(cst.parse_module(code)).visit(visitor)
    for mutation in visitor.mutations:
        mutated = module.deep_replace(mutation.original_node, mutation.mutated_node)
        yield names[id(mutation.mutated_node)], mutated.code


def solution_parts() -> dict[str, str]:
    """Part stem -> the solution's Jupytext text, as the corpus builds it."""
    return build_parts({"base": "solution"})


def generate(functions: list[str] | None = None) -> list[Mutant]:
    """Every distinct mutant of the graded functions (or of those named), in the solution's order."""
    graded = {function: path for path in sorted(BASES["solution"].glob("part*.py"))
              for function in graded_functions(path)}
    unknown = set(functions or ()) - set(graded)
    if unknown:
        raise ValueError(f"not a graded function: {', '.join(sorted(unknown))} (graded: {', '.join(graded)})")
    parts = solution_parts()
    mutants = []
    for function, path in graded.items():
        if functions is None or function in functions:
            original = function_cell(parts[path.stem], function)
            seen = {original}
            for operator, source in mutate(original):
                if source not in seen:
                    seen.add(source)
                    mutants.append(Mutant(path.stem.split("_")[0], path.stem, function, operator, original,
                                          source))
    return mutants


# ------------------------------------------------------------------------------ equivalents and grading

def load_equivalents(path: Path = EQUIVALENTS) -> dict[tuple[str, str, str, str], str]:
    """(function, operator, before, after) -> the reviewed reason the mutant is equivalent."""
    with open(path, "rb") as handle:
        entries = tomllib.load(handle).get("equivalent", [])
    found = {}
    for entry in entries:
        missing = {"function", "operator", "before", "after", "reason"} - set(entry)
        if missing or not entry["reason"].strip():
            raise ValueError(f"{path.name}: an entry lacks {sorted(missing) or ['a reason']}: {entry}")
        key = (entry["function"], entry["operator"], _normalised(entry["before"].splitlines()),
               _normalised(entry["after"].splitlines()))
        found[key] = entry["reason"]
    return found


def write_submissions(mutants: list[Mutant], root: Path, progress: Progress) -> None:
    """`root/solution/` and `root/<mutant.name>/`: the solution's parts, with one function mutated."""
    parts = solution_parts()
    task = progress.add_task("Writing submissions", total=len(mutants) + 1)
    for name, mutant in [(BASELINE, None), *((mutant.name, mutant) for mutant in mutants)]:
        folder = root / name
        folder.mkdir(parents=True)
        for stem, text in parts.items():
            if mutant is not None and mutant.stem == stem:
                text = replace_function(text, mutant.function, mutant.source)
            (folder / f"{stem}.py").write_text(text, encoding="utf-8")
        progress.advance(task)


def grade(root: Path, out: Path) -> dict[str, dict]:
    """Student -> grades.csv row, from one `autograder grade-all --jobs 2` batch on the offline kit."""
    env = {**os.environ, "AUTOGRADER_MODELS": "offline", "HF_HUB_OFFLINE": "1"}
    run = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(root), "--out", str(out),
                          "--jobs", "2"], env=env, stdout=subprocess.DEVNULL)
    if run.returncode not in (0, 1):  # 1: some students met a grader fault, which their rows say
        raise SystemExit(f"autograder grade-all failed (exit {run.returncode})")
    with open(out / "grades.csv", newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def part_score(row: dict | None, part: str) -> float | None:
    """The part's points in a graded row; None when the student was not graded (a grader fault)."""
    if row is None or row["status"] != "graded":
        return None
    return float(row[part] or 0)


def _status(row: dict | None) -> str:
    return row["status"] if row else "no row in grades.csv"


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed, survived, equivalent, killed-equivalent, error
    detail: str = ""


def judge(mutants: list[Mutant], rows: dict[str, dict], equivalents: dict) -> list[Outcome]:
    """Each mutant's outcome against the baseline solution's part scores."""
    baseline = rows.get(BASELINE)
    outcomes = []
    for mutant in mutants:
        row = rows.get(mutant.name)
        score, full = part_score(row, mutant.part), part_score(baseline, mutant.part)
        equivalent = mutant.key in equivalents
        if full is None:
            outcomes.append(Outcome(mutant, "error", f"the solution was not graded: {_status(baseline)}"))
        elif score is None:
            outcomes.append(Outcome(mutant, "error", _status(row)))
        elif score < full:
            outcomes.append(Outcome(mutant, "killed-equivalent" if equivalent else "killed",
                                    f"{mutant.part} {score:g} / {full:g}"))
        else:
            outcomes.append(Outcome(mutant, "equivalent" if equivalent else "survived",
                                    equivalents.get(mutant.key, "")))
    return outcomes


# ------------------------------------------------------------------------------------------- report

def score_table(outcomes: list[Outcome]) -> tuple[Table, list[str]]:
    """The per-part table, and the parts scoring under THRESHOLD."""
    table = Table(title="Mutation score of the hidden suites")
    for column in ("part", "mutants", "killed", "equivalent", "survived", "errors", "score"):
        table.add_column(column, justify="left" if column == "part" else "right")
    failing = []
    for part in GRADED_PARTS:
        mine = [o.status for o in outcomes if o.mutant.part == part]
        if not mine:
            continue
        killed, equivalent = mine.count("killed"), mine.count("equivalent")
        counted = len(mine) - equivalent
        score = killed / counted if counted else 1.0
        if score < THRESHOLD:
            failing.append(part)
        table.add_row(part, str(len(mine)), str(killed), str(equivalent), str(mine.count("survived")),
                      str(mine.count("error")), f"{100 * score:.1f}%")
    return table, failing


def report(outcomes: list[Outcome], stale: list[tuple], console: Console) -> int:
    """Print the table and every mutant that needs a look; the exit code (0: every part at THRESHOLD)."""
    table, failing = score_table(outcomes)
    console.print(table)
    problems = {
        "survived": "Surviving mutants (kill each with a hidden test, or list it in "
                    f"{EQUIVALENTS.name} with the reason it is equivalent)",
        "error": "Mutants the grader failed on (a grader fault, not a kill)",
        "killed-equivalent": f"Killed mutants listed as equivalent in {EQUIVALENTS.name} (a wrong entry, "
                             "or a hidden test that fails a correct answer)",
    }
    for status, heading in problems.items():
        listed = [o for o in outcomes if o.status == status]
        if listed:
            console.print(f"\n[bold red]{heading}: {len(listed)}[/]")
        for outcome in listed:
            console.print(f"\n{outcome.mutant.name}" + (f": {outcome.detail}" if outcome.detail else ""),
                          markup=False, soft_wrap=True)
            console.print(outcome.mutant.diff(), markup=False, highlight=False, soft_wrap=True)
    if stale:
        console.print(f"\n[bold red]Entries of {EQUIVALENTS.name} that match no mutant: {len(stale)}[/]")
        for function, operator, before, after in stale:
            console.print(f"{function} ({operator}): {before!r} -> {after!r}", markup=False, soft_wrap=True)
    bad = failing or stale or any(o.status in ("error", "killed-equivalent") for o in outcomes)
    if failing:
        console.print(f"\n[bold red]Under {THRESHOLD:.0%}: {', '.join(failing)}[/]")
    return 1 if bad else 0


def stale_entries(equivalents: dict, mutants: list[Mutant]) -> list[tuple]:
    """Entries of the equivalents file, for the functions mutated, that match no mutant."""
    functions, keys = {m.function for m in mutants}, {m.key for m in mutants}
    return [key for key in equivalents if key[0] in functions and key not in keys]


def grade_mutants(mutants: list[Mutant], out: Path, console: Console) -> dict[str, dict]:
    """Write the submissions to `out/submissions/` (`out` is replaced) and grade them into `out/graded/`."""
    if out.exists():
        shutil.rmtree(out)
    with Progress(console=console, transient=True) as progress:
        write_submissions(mutants, out / "submissions", progress)
    console.print(f"Grading {len(mutants)} mutants of {len({m.function for m in mutants})} functions and the "
                  "solution (autograder grade-all --jobs 2)")
    return grade(out / "submissions", out / "graded")


def run(out: Path, functions: list[str] | None, console: Console) -> int:
    """Generate, write, grade, judge and report; returns the exit code."""
    start = time.monotonic()
    mutants = generate(functions)
    equivalents = load_equivalents()
    rows = grade_mutants(mutants, out, console)
    code = report(judge(mutants, rows, equivalents), stale_entries(equivalents, mutants), console)
    minutes, seconds = divmod(round(time.monotonic() - start), 60)
    console.print(f"\n{len(mutants)} mutants generated, graded and judged in {minutes} min {seconds} s")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "out" / "mutants",
                        help="working folder: submissions/ and graded/ (replaced)")
    parser.add_argument("--functions", nargs="+", metavar="NAME", help="only these graded functions")
    args = parser.parse_args(argv)
    try:
        return run(args.out, args.functions, Console())
    except ValueError as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    sys.exit(main())
