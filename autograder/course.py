"""The course's labs: the `Lab` definition, and labs found by name.

A lab is a package ``autograder.labs.<name>`` defining ``LAB = Lab(...)``, which owns everything
lab-specific. The grader, the reports and every builder are handed a `Lab`; none of them names a part, a
function or a point value. Labs are this package's own ``labs/`` sub-packages, and those in the folders
listed in $AUTOGRADER_LABS (separated like PATH), which import as ``autograder.labs.<name>`` too::

    from autograder.course import find
    lab = find("my_lab")                   # find(None): the one lab of this package
    lab.parts[0].stem, lab.points          # its first notebook's stem, its autograded total
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import UsageError

ENV_VAR = "AUTOGRADER_LABS"
PACKAGE = "autograder.labs"


def folders() -> list[str]:
    """Where labs are found: this package's labs/, then each folder of $AUTOGRADER_LABS."""
    own = str(Path(__file__).resolve().parent / "labs")
    return [own, *(str(Path(f).resolve()) for f in os.environ.get(ENV_VAR, "").split(os.pathsep) if f)]


@dataclass(frozen=True)
class Part:
    number: int
    stem: str  # notebook file stem: <stem>.ipynb
    title: str
    points: int  # autograded points
    manual_points: int = 0


@dataclass(frozen=True)
class Lab:
    """One lab: its parts, where its files live, and what its checks need.

    `folder` is the lab's package: its definition, public checks (`runtime`, the files students' notebooks
    import) and ``hidden/`` suites, one ``test_<part stem>.py`` per autograded part. `roles` are the model
    roles its notebooks and hidden tests load; `forbidden` the module listing the library functions its
    graded functions must not call, by family (see runner/guards.py)."""

    id: str
    title: str
    parts: tuple[Part, ...]
    folder: Path
    solutions: Path
    assignments: Path
    roles: tuple[str, ...]
    runtime: tuple[str, ...] = ("__init__.py",)
    forbidden: str = ""

    @property
    def package(self) -> str:
        return f"{PACKAGE}.{self.id}"

    @property
    def hidden(self) -> Path:
        return self.folder / "hidden"

    @property
    def graded(self) -> tuple[Part, ...]:
        """The autograded parts (those with points)."""
        return tuple(p for p in self.parts if p.points)

    @property
    def points(self) -> int:
        """The autograded total."""
        return sum(p.points for p in self.parts)

    @property
    def secrets(self) -> tuple[Path, ...]:
        """What students' code must never read: the hidden suites and the solutions."""
        return self.hidden, self.solutions

    def suite(self, part: Part) -> Path:
        return self.hidden / f"test_{part.stem}.py"

    def part(self, stem: str) -> Part:
        for part in self.parts:
            if part.stem == stem:
                return part
        raise UsageError(f"{stem} is not a part of the lab {self.id} "
                         f"({', '.join(p.stem for p in self.parts)})")


def available() -> list[str]:
    """The names of every lab found, sorted."""
    return sorted({entry.name for folder in folders() for entry in _subfolders(folder)
                   if (entry / "__init__.py").is_file() and not entry.name.startswith(("_", "."))})


def _subfolders(folder: str) -> list[Path]:
    try:
        return [entry for entry in Path(folder).iterdir() if entry.is_dir()]
    except OSError:
        return []


def find(name: str | None = None) -> Lab:
    """The lab called `name`; without a name, the one lab of this package (UsageError if there are several).
    """
    found = available()
    if name is None:
        own = [entry.name for entry in _subfolders(folders()[0]) if entry.name in found]
        if len(own) != 1:
            raise UsageError(f"name the lab with --lab: this installation has {', '.join(found) or 'none'}")
        name = own[0]
    if name not in found:
        raise UsageError(f"unknown lab {name!r}; labs found: {', '.join(found) or 'none'} "
                         f"(a course's own labs: their folder in ${ENV_VAR})")
    # By name, as a plug-in: labs sit above the grader, which never imports one. Folders named in
    # $AUTOGRADER_LABS since the package was imported count too.
    package = importlib.import_module(PACKAGE)
    package.__path__.extend(f for f in folders() if f not in package.__path__)
    lab = getattr(importlib.import_module(f"{PACKAGE}.{name}"), "LAB", None)
    if not isinstance(lab, Lab) or lab.id != name:
        raise UsageError(f"{PACKAGE}.{name} does not define LAB = Lab(id={name!r}, ...)")
    return lab
