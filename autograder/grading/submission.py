"""Find a student's part notebooks in a submission: a folder (any layout) or a single part file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import Lab
from autograder.errors import UsageError
from autograder.grading.notebook import NotebookError, code_cells

SUFFIXES = (".ipynb", ".py")  # preference order when a part exists as both (a Jupytext pair)
MAX_DEPTH = 4
SKIP_DIRS = {".git", ".ipynb_checkpoints", "__pycache__", ".venv", "node_modules"}


@dataclass
class Submission:
    """The file chosen for each part (None where missing), and what the student should know about it."""

    lab: Lab
    root: Path
    files: dict[str, Path | None]
    notes: dict[str, str] = field(default_factory=dict)  # part stem -> why it was chosen or not


def locate(path: Path, lab: Lab) -> Submission:
    """The parts of `lab` found under `path`. UsageError when `path` is missing or holds no part at all."""
    if not path.exists():
        raise UsageError(f"no such file or folder: {path}")
    if path.is_file():
        if path.is_symlink():
            raise UsageError(f"{path} is a symbolic link; grade the file itself")
        part = _part_of(path.name, lab)
        if part is None:
            raise UsageError(f"{path.name} is not a part of this lab (expected a name like "
                             f"{lab.parts[0].stem}.ipynb or {lab.parts[0].stem}.py)")
        return Submission(lab, path.parent, {p.stem: (path if p.stem == part else None) for p in lab.parts})
    candidates, links = _candidates(path, lab)
    if not any(candidates.values()) and not links:
        raise UsageError(f"{path} holds no notebook of this lab (expected files like "
                         f"{lab.parts[0].stem}.ipynb)")
    submission = Submission(lab, path, {})
    for part in lab.parts:
        submission.files[part.stem] = _choose(part.stem, candidates[part.stem], path, submission.notes)
        if submission.files[part.stem] is None and part.stem in links:
            link = links[part.stem].relative_to(path)
            submission.notes[part.stem] = f"{link} is a symbolic link, which is not graded; submit the file"
    return submission


def _part_of(name: str, lab: Lab) -> str | None:
    for part in lab.parts:
        if re.fullmatch(rf"{part.stem}\.(ipynb|py)", name):
            return part.stem
    return None


def _candidates(root: Path, lab: Lab) -> tuple[dict[str, list[Path]], dict[str, Path]]:
    """Regular part files found under `root`, by part; and part files that are symbolic links (refused)."""
    found: dict[str, list[Path]] = {part.stem: [] for part in lab.parts}
    links: dict[str, Path] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        depth = len(Path(folder).relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and depth < MAX_DEPTH)
        for name in sorted(files):
            file = Path(folder) / name
            part = _part_of(name, lab)
            # A link could point at any file the grader can read: only regular files are graded.
            if part and file.is_symlink():
                links.setdefault(part, file)
            elif part and file.is_file():
                found[part].append(file)
    return found, links


def _choose(stem: str, files: list[Path], root: Path, notes: dict[str, str]) -> Path | None:
    if not files:
        notes[stem] = f"{stem}.ipynb not found in the submission"
        return None
    folders = sorted({f.parent for f in files})
    if len(folders) > 1:
        shown = ", ".join(str(f.relative_to(root)) for f in sorted(files))
        notes[stem] = f"{stem} found in more than one place ({shown}); keep exactly one copy"
        return None
    chosen = min(files, key=lambda f: SUFFIXES.index(f.suffix))
    if len(files) > 1:
        note = _pair_note(chosen, next(f for f in files if f != chosen))
        if note:
            notes[stem] = note
    return chosen


def _pair_note(notebook: Path, pair: Path) -> str | None:
    """What to tell the student when the .ipynb graded and its paired .py hold different code (JupyterLab
    with Jupytext syncs them on save; an edit made in another editor and never synced would be lost)."""
    try:
        graded = [cell.strip() for cell in code_cells(notebook)[0]]
    except NotebookError:
        return None  # grading reports why the notebook cannot be read
    try:
        other = [cell.strip() for cell in code_cells(pair)[0]]
    except NotebookError as exc:
        return f"graded {notebook.name}; its paired {pair.name} was not graded ({exc})"
    if graded == other:
        return None
    differ = (f"{sum(a != b for a, b in zip(graded, other, strict=True))} code cells differ"
              if len(graded) == len(other) else f"{len(graded)} code cells against {len(other)}")
    return (f"graded {notebook.name}, the notebook; its paired {pair.name} holds other code ({differ}) "
            "and was not graded: the pair is out of sync. Open the notebook in JupyterLab with Jupytext and "
            f"save it, or run `jupytext --sync {notebook.name}`, so both hold the work you mean to hand in")
