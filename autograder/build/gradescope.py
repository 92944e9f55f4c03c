"""The Gradescope autograder bundle: ``autograder build gradescope --out FILE.zip``.

The zip, as Gradescope wants it (it unpacks it into ``/autograder/source``):

- ``setup.sh``: a virtual environment at ``$GRADESCOPE_ROOT/venv`` with torch (pinned, the CPU build from
  the PyTorch index) and the grader installed with ``constraints.txt``; then the offline model kit is built
  (``$GRADESCOPE_ROOT/kit``), and the Hub models of an optional ``models.toml`` are downloaded;
- ``run_autograder``: ``autograder grade $GRADESCOPE_ROOT/submission --out $GRADESCOPE_ROOT/results``;
  when that writes no results (an empty submission, exit 2, or a fault), it writes a valid results.json
  itself, score 0, with a message saying why;
- ``grader/``: the grader's source (``pyproject.toml``, ``constraints.txt``, the ``autograder`` package
  with the hidden suites and the vendored tokenizer files; not the builders);
- ``README.md``: ``docs/gradescope.md``.

``GRADESCOPE_ROOT`` (default ``/autograder``) moves every path, so the bundle runs anywhere. Entries are
sorted and dated 1980-01-01, so the same sources always give the same bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

from autograder.build.release import constraints
from autograder.build.render import render
from autograder.course import Lab
from autograder.errors import UsageError

DATE = (1980, 1, 1, 0, 0, 0)
EXECUTABLE = {"setup.sh", "run_autograder"}
SKIP_DIRS = {"__pycache__", "build"}  # build/: the builders, which grading never imports


def _tree(folder: Path, prefix: str, leave_out: tuple[Path, ...] = ()) -> dict[str, bytes]:
    """Every file under `folder` as `prefix/<relative path>` -> content, without caches, the builders and
    what is under `leave_out`."""
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        skipped = (SKIP_DIRS & set(relative.parts[:-1]) or path.suffix in (".pyc", ".pyo")
                   or any(path.is_relative_to(other) for other in leave_out))
        if path.is_file() and not skipped:
            files[f"{prefix}/{relative.as_posix()}"] = path.read_bytes()
    return files


def expected_files(lab: Lab, root: Path) -> dict[str, bytes]:
    """Every file of the bundle that grades `lab`: path inside the zip -> content. The lab's folder goes
    into the bundle's grader package, hidden suites included, wherever the course keeps it."""
    root = Path(root)
    pins = constraints(root)
    graded = [{"number": p.number, "title": p.title, "points": p.points} for p in lab.graded]
    stems = ", ".join(f"{p.stem}.ipynb" for p in lab.parts)
    parts = json.dumps(graded, ensure_ascii=True).replace("'", "\\u0027")  # in a '...' string of the script
    files = {
        "setup.sh": render("gradescope/setup.sh", torch=pins["torch"][1]).encode(),
        "run_autograder": render("gradescope/run_autograder", lab=lab, stems=stems, parts=parts).encode(),
    }
    for name in ("pyproject.toml", "constraints.txt", "README.md"):
        files[f"grader/{name}"] = (root / name).read_bytes()
    files.update(_tree(root / "autograder", "grader/autograder"))
    # A lab kept in its own folder may hold its solutions and student copies there: never in the bundle.
    files.update(_tree(lab.folder, f"grader/autograder/labs/{lab.id}", (lab.solutions, lab.assignments)))
    guide = root / "docs" / "gradescope.md"
    if guide.is_file():
        files["README.md"] = guide.read_bytes()
    suites = [f"grader/autograder/labs/{lab.id}/hidden/test_{p.stem}.py" for p in lab.graded]
    missing = [suite for suite in suites if suite not in files]
    if missing:
        raise UsageError(f"the hidden suites are missing: {', '.join(missing)}")
    return dict(sorted(files.items()))


def build(lab: Lab, root: Path, out: Path) -> list[Path]:
    """Write the bundle to ``out`` (a .zip path) and return ``[out]``."""
    out = Path(out)
    if out.suffix != ".zip":
        raise UsageError(f"--out {out}: the Gradescope bundle is a .zip file")
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; give a .zip file name")
    files = expected_files(lab, Path(root))
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".bundle-", suffix=".zip", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, date_time=DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (0o100755 if name in EXECUTABLE else 0o100644) << 16
                info.create_system = 3  # Unix, so the modes above are honoured by unzip
                bundle.writestr(info, data)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return [out]
