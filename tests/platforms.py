"""Run a submission the way each platform does: nbgrader's command line and gradebook, the Classroom
workflow's grader steps (with only PATH and HOME, as the command grader runs them), and Gradescope's
`run_autograder` in a simulated /autograder. Shared by the platform tests and the every-path proof."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jupytext
import nbformat
import yaml
from corpus import PART_STEMS, REPO

from autograder.build import nbgrader as course
from autograder.labs.encoders_decoders import LAB_ID, PARTS

NBGRADER = [sys.executable, "-m", "nbgrader"]


def part_file(path: Path, folder: Path) -> bool:
    """Whether `path` is one of the lab's part notebooks (.py or .ipynb) at the top of student `folder`."""
    return path.parent == folder and path.stem in PART_STEMS and path.suffix in (".py", ".ipynb")


def sample_parts(folder: Path) -> dict[str, str | bytes]:
    """A student folder's parts: stem -> Jupytext text, or the raw bytes of a notebook that cannot be read."""
    parts: dict[str, str | bytes] = {}
    for path in sorted(folder.iterdir()):
        if not part_file(path, folder):
            continue
        if path.suffix == ".py":
            parts[path.stem] = path.read_text(encoding="utf-8")
        else:
            try:
                parts[path.stem] = jupytext.writes(jupytext.read(path), fmt="py:percent")
            except Exception:  # an unreadable notebook goes to the platform as it is
                parts[path.stem] = path.read_bytes()
    return parts


def write_submission(folder: Path, parts: dict[str, str | bytes]) -> None:
    """A submission in nbgrader's layout. parts: stem -> Jupytext text (converted to the release's form) or
    raw bytes (written as the .ipynb)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, content in parts.items():
        target = folder / f"{stem}.ipynb"
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            nbformat.write(course.submitted_copy(REPO, content, stem), target)


def nbgrader_submission(folder: Path, target: Path) -> None:
    """A student folder as handed in to nbgrader: its parts in the release's layout, its other files as
    they are."""
    write_submission(target, sample_parts(folder))
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not part_file(path, folder):
            (target / path.relative_to(folder)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / path.relative_to(folder))


def can_protect_repo() -> bool:
    """Whether `protected` can work here: root, with `unshare` for a private mount namespace."""
    return os.geteuid() == 0 and shutil.which("unshare") is not None


def protected(command: list[str]) -> list[str]:
    """`command` in a private mount namespace where this repository (the grader package, installed
    editable, and its venv) is read-only. nbgrader's kernels and the Classroom steps run student code
    unconfined, and an attack such as a_tamper_grader rewrites the grader it finds (as a TA's unprivileged
    account, or a read-only install, prevents)."""
    repo = shlex.quote(str(REPO))
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            f'mount --bind {repo} {repo} && mount -o remount,bind,ro {repo} && exec "$@"', "sh", *command]


def nbgrader(root: Path, *args: str, check: bool = True,
             readonly: bool = False) -> subprocess.CompletedProcess:
    # nbgrader runs `alembic` (the gradebook's migrations) from PATH: the venv's bin must come first.
    env = {**os.environ, "AUTOGRADER_MODELS": "offline", "HF_HUB_OFFLINE": "1",
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    command = [*NBGRADER, *args]
    done = subprocess.run(protected(command) if readonly else command, cwd=root, env=env, capture_output=True,
                          text=True, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n"
                             f"{done.stderr[-4000:]}")
    return done


def nbgrader_scores(root: Path) -> dict[str, dict[str, tuple[float, bool] | None]]:
    """Student -> part stem -> (score, needs manual grading) from the gradebook; None where the gradebook
    holds no such notebook (nbgrader gave up on the submission)."""
    from nbgrader.api import Gradebook, MissingEntry

    scores: dict = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for student in gradebook.students:
            for part in PARTS:
                try:
                    notebook = gradebook.find_submission_notebook(part.stem, LAB_ID, student.id)
                except MissingEntry:
                    scores.setdefault(student.id, {})[part.stem] = None
                    continue
                scores.setdefault(student.id, {})[part.stem] = (notebook.score, notebook.needs_manual_grade)
    return scores


def workflow(out: Path) -> dict:
    return yaml.safe_load((out / ".github" / "workflows" / "classroom.yml").read_text(encoding="utf-8"))


def grader_steps(out: Path) -> list[dict]:
    steps = workflow(out)["jobs"]["run-autograding-tests"]["steps"]
    grader = "classroom-resources/autograding-command-grader@v1"
    return [s for s in steps if s.get("uses") == grader]


def scrubbed_run(command: str, cwd: Path, home: Path, readonly: bool = False) -> subprocess.CompletedProcess:
    """Run a step's command like the command grader: only PATH and HOME in the environment."""
    path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    argv = ["env", "-i", f"PATH={path}", f"HOME={home}", "bash", "-c", command]
    return subprocess.run(protected(argv) if readonly else argv, cwd=cwd, capture_output=True, text=True,
                          timeout=900)


def simulated_root(bundle: Path, root: Path, submission: list[Path]) -> Path:
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        for info in archive.infolist():
            target = root / "source" / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            target.chmod(info.external_attr >> 16 & 0o777)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    for path in submission:
        shutil.copy(path, root / "submission" / path.name)
    return root


def run_autograder(root: Path, kit_dir: Path) -> dict:
    env = {**os.environ, "GRADESCOPE_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
           "AUTOGRADER_KIT_DIR": str(kit_dir.parent)}
    env.pop("AUTOGRADER_MODELS", None)
    result = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True,
                            timeout=900, cwd=root)
    assert result.returncode == 0, result.stderr
    return json.loads((root / "results" / "results.json").read_text())
