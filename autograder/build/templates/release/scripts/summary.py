"""Write the Markdown table of a Classroom run to $GITHUB_STEP_SUMMARY (or print it when that is unset).

Reads each part's outcome from the command grader (PART<N>_RESULTS: base64 JSON, as the Classroom reporter
reads it) and the per-check lines that scripts/check_part.py left in .autograder/part<N>.json; with
`--hidden PATH` it adds the hidden tests' results (the optional, instructor-configured step) from the grade
record (grade.json) that `autograder grade --out FOLDER` writes: PATH is that folder, or a file in it (the
workflow names its results.json).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = json.loads((Path(__file__).with_name("parts.json")).read_text(encoding="utf-8"))
GRADE_RECORD = ("grade.json", "autograder grade", 1)  # autograder/grading/results.py: FILE, KIND, VERSION
# Control characters (but tab and newline) and bidirectional overrides: never shown from a student's text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _grader_result(number: str) -> dict | None:
    encoded = os.environ.get(f"PART{number}_RESULTS", "")
    if not encoded:
        return None
    try:
        return json.loads(base64.b64decode(encoded).decode("utf-8"))
    except ValueError:
        return None


def _local_result(number: str) -> dict | None:
    path = ROOT / ".autograder" / f"part{number}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def table() -> str:
    lines = ["## Public checks", "", "| part | notebook | public checks | points |", "|---|---|---|---|"]
    total = maximum = 0.0
    problems = []
    for number, part in sorted(PARTS.items()):
        grader, local = _grader_result(number), _local_result(number)
        if grader is not None:
            score = sum(float(t.get("score") or 0) for t in grader.get("tests", []))
            passed = grader.get("status") == "pass"
        else:
            passed = bool(local and local.get("passed"))
            score = part["points"] if passed else 0
        total, maximum = total + score, maximum + part["points"]
        if local:
            ok = sum(c["passed"] for c in local["checks"])
            checks = f"{'✅' if passed else '❌'} {ok}/{len(local['checks'])}"
            problems += [f"- Part {number}, `{c['name']}`: {_cell(c['message'])}"
                         for c in local["checks"] if not c["passed"]]
            shown = {c["message"] for c in local["checks"]}
            problems += [f"- Part {number}: {_cell(e)}" for e in local.get("errors", []) if e not in shown]
        else:
            checks = "✅" if passed else "❌ did not run"
        lines.append(f"| {number} | `{part['stem']}.ipynb` | {checks} | {score:g} / {part['points']:g} |")
    lines.append(f"| | **total** | | **{total:g} / {maximum:g}** |")
    if problems:
        lines += ["", "### What failed", "", *problems]
    lines += ["", "Each part's points are all or nothing on its public checks. Public checks are not "
              "comprehensive: your grade comes from the instructor's hidden tests."]
    return "\n".join(lines) + "\n"


def _hidden_tests(path: Path) -> list[tuple[str, bool, float, str]] | None:
    """(question, passed, points, message) of each hidden test, by part, from the grade record in the folder
    `path` is or is in; None when there is none to read."""
    name, kind, version = GRADE_RECORD
    folder = path if path.is_dir() else path.parent
    try:
        record = json.loads((folder / name).read_text(encoding="utf-8"))
        if record["record"] != kind or record["version"] != version:
            return None
        return [(f"Q{part['number']}.{test['index']} {test['name']}", test["passed"] is True,
                 float(test["points"]), _CONTROL.sub("", str(test["message"])))
                for part in record["parts"] for test in part["tests"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def hidden_table(path: Path) -> str:
    tests = _hidden_tests(path)
    if tests is None:
        return ("\n## Hidden tests: did not run\n\n⚠️ The hidden tests could not run (see the step \"Run the "
                "hidden tests\" in this run's log). This is a fault of the course's set-up, not of your "
                "work: tell your instructor.\n")
    score = sum(points for _, passed, points, _ in tests if passed)
    maximum = sum(points for _, _, points, _ in tests)
    lines = ["", f"## Hidden tests: {score:g} / {maximum:g}", "",
             "| question | points | result |", "|---|---|---|"]
    for question, passed, points, message in tests:
        result = "passed" if passed else f"failed: {_cell(message)}"
        lines.append(f"| {_cell(question)} | {points if passed else 0:g} / {points:g} | {result} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=Path, metavar="PATH",
                        help="the hidden tests' output folder (or a file in it), if they ran")
    args = parser.parse_args(argv)
    text = table() + (hidden_table(args.hidden) if args.hidden else "")
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as summary:
            summary.write(text)
    else:
        sys.stdout.write(text)
    return os.EX_OK


if __name__ == "__main__":
    sys.exit(main())
