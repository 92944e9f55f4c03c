"""Run one part's notebook headless and report its public checks: what the Classroom workflow runs.

    AUTOGRADER_MODELS=offline HF_HUB_OFFLINE=1 python scripts/check_part.py 3

Executes every cell of partN_*.ipynb (an erroring cell does not stop the others, so every check is
reported), prints one line per public check, and exits 1 if any cell raised or an expected check did not
pass. A check passed when the executed notebook holds its record (the output `check(fn)` displays, of type
RECORD; see autograder/check_record.py); a check without one failed, with the error of its cell as the
reason. With no AUTOGRADER_MODELS set it uses the offline model kit: tiny stand-ins that need no download.
The per-check results also go to .autograder/partN.json, which scripts/summary.py turns into a table.

This script is a convenience for students and CI, not the grade: the instructor grades with hidden tests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / ".autograder"
PARTS = json.loads((Path(__file__).with_name("parts.json")).read_text(encoding="utf-8"))
RECORD = "application/vnd.autograder.check+json"  # autograder/check_record.py's MIME


def _first_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def _code_of(notebook) -> list[str]:
    return [cell.source.strip() for cell in notebook.cells if cell.cell_type == "code"]


def _pair_warning(ipynb: Path) -> str | None:
    """A warning when the paired .py percent file holds other code than the .ipynb (which is what runs)."""
    py = ipynb.with_suffix(".py")
    if not py.is_file():
        return None
    try:
        import jupytext
        import nbformat

        same = _code_of(jupytext.read(py)) == _code_of(nbformat.read(ipynb, as_version=4))
    except Exception:  # a broken .py is reported when the .ipynb itself is read
        return None
    if same:
        return None
    return (f"note: {py.name} and {ipynb.name} hold different code; {ipynb.name} is what is checked and "
            f"graded. Sync them with: jupytext --sync {ipynb.name}")


def run(number: str, timeout: int) -> dict:
    import nbformat
    from nbclient import NotebookClient

    part = PARTS[number]
    path = ROOT / f"{part['stem']}.ipynb"
    result = {"part": int(number), "stem": part["stem"], "points": part["points"], "checks": [],
              "errors": [], "passed": False}
    if not path.is_file():
        result["errors"].append(f"{path.name} not found in the repository root")
        return result
    try:  # utf-8-sig: a byte-order mark (some Windows editors write one) is dropped, as the grader drops it
        notebook = nbformat.reads(path.read_text(encoding="utf-8-sig"), as_version=4)
    except Exception as exc:
        result["errors"].append(f"{path.name} is not a readable notebook: {_first_line(exc)}")
        return result
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(ROOT)}})
    try:
        client.execute()
    except Exception as exc:  # a cell timeout or a dead kernel: the outputs so far still count
        result["errors"].append(f"the notebook did not finish: {type(exc).__name__}: {_first_line(exc)}")
    passed, by_cell = set(), {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "display_data":
                record = output.get("data", {}).get(RECORD)
                if isinstance(record, dict) and record.get("passed") is True \
                        and isinstance(record.get("check"), str):
                    passed.add(record["check"])
            elif output.get("output_type") == "error":
                grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                where = f"cell {index + 1}" + (f" ({grade_id})" if grade_id else "")
                message = f"{where}: {output.get('ename')}: {_first_line(output.get('evalue'))}"
                result["errors"].append(message)
                by_cell[cell.source] = message
    for name in part["checks"]:
        ok = name in passed
        message = next((m for source, m in by_cell.items() if f"check({name})" in source),
                       "its check did not run (is the check cell still in the notebook?)")
        result["checks"].append({"name": name, "passed": ok, "message": "" if ok else message})
    result["passed"] = not result["errors"] and all(c["passed"] for c in result["checks"])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=sorted(PARTS), help="part number")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell (default 300)")
    args = parser.parse_args(argv)
    os.environ.setdefault("AUTOGRADER_MODELS", "offline")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # The kernel must import this repository's autograder package, wherever the command is run from.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    start = time.monotonic()
    result = run(args.part, args.timeout)
    result["seconds"] = round(time.monotonic() - start, 1)
    part = PARTS[args.part]
    print(f"Part {args.part} ({part['stem']}), public checks on the "
          f"{os.environ['AUTOGRADER_MODELS']} models:")
    for check in result["checks"]:
        print(f"  {'PASS' if check['passed'] else 'FAIL'}  {check['name']}"
              + ("" if check["passed"] else f": {check['message']}"))
    shown = {c["message"] for c in result["checks"]}
    for error in result["errors"]:
        if error not in shown:
            print(f"  ERROR {error}")
    warning = _pair_warning(ROOT / f"{part['stem']}.ipynb")
    if warning:
        print(f"  {warning}")
    passed = sum(c["passed"] for c in result["checks"])
    verdict = "passed" if result["passed"] else "failed"
    print(f"Part {args.part}: {passed}/{len(result['checks'])} public checks passed; {verdict} "
          f"({result['seconds']} s)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"part{args.part}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
