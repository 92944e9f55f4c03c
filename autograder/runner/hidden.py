"""What no child may read: the grader's secrets, covered in every child's view of the files (namespaces.py,
landlock.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from autograder import course


def grader_secrets() -> list[Path]:
    """What a child must never read: the hidden suites of every copy of this package on sys.path (Gradescope
    has two: the installed one and the bundle's) and of the course's own labs, and in a course repository
    its solutions, tests and history."""
    package = Path(__file__).resolve().parent.parent
    copies = {package, *(Path(p, "autograder").resolve() for p in sys.path
                         if p and Path(p, "autograder").is_dir())}
    found = [hidden for copy in sorted(copies) for hidden in (copy / "labs").glob("*/hidden")]
    # A course's own labs (course.folders): their hidden suites, and the solutions a lab keeps beside them.
    found += [secret for folder in course.folders()[1:] for name in ("hidden", "solutions")
              for secret in Path(folder).glob(f"*/{name}")]
    repo = package.parent
    if (repo / "pyproject.toml").is_file():
        found += [repo / name for name in ("solutions", "tests", ".git") if (repo / name).is_dir()]
    return found
