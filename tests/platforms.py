"""Run a submission the way each platform does: nbgrader's command line and gradebook, the Classroom
workflow's grader steps (with only PATH and HOME, as the command grader runs them), and Gradescope's
`run_autograder` in a simulated /autograder. Shared by the platform tests and the every-path proof."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import jupytext
import nbformat
import yaml
from corpus import PART_STEMS, REPO
from fresh_env import TORCH_INDEX, clean_env, run

from autograder.build import nbgrader as course
from autograder.labs.encoders_decoders import LAB, LAB_ID, PARTS
from autograder.models import kit


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
            nbformat.write(course.submitted_copy(LAB, content, stem), target)


def nbgrader_submission(folder: Path, target: Path) -> None:
    """A student folder as handed in to nbgrader: its parts in the release's layout, its other files as
    they are."""
    write_submission(target, sample_parts(folder))
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not part_file(path, folder):
            (target / path.relative_to(folder)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / path.relative_to(folder))


PROTECTED_TASKS = 512  # processes and threads one protected command may have (a fork bomb stops here)
PROTECTED_MEMORY = 8 * 2**30  # address space of each process of a protected Classroom step


def _pids_hierarchy() -> Path | None:
    """Where this machine's pids cgroups are made: a v1 pids hierarchy, or a cgroup v2 root whose children
    get the pids controller (it is in the root's cgroup.subtree_control; otherwise they have no pids.max)."""
    for line in Path("/proc/self/mounts").read_text().splitlines():
        _, mount, kind, options, *_ = line.split()
        if kind == "cgroup" and "pids" in options.split(","):
            return Path(mount)
        if kind == "cgroup2" and "pids" in (Path(mount) / "cgroup.subtree_control").read_text().split():
            return Path(mount)
    return None


def can_protect_repo() -> bool:
    """Whether `protected_run` can work here: root, `unshare` for a private mount namespace, and pids
    cgroups to make."""
    return os.geteuid() == 0 and shutil.which("unshare") is not None and _pids_hierarchy() is not None


def protected_run(command: list[str], cwd: Path, env: dict | None = None, timeout: float | None = None,
                  kits: tuple[Path, ...] = ()) -> subprocess.CompletedProcess:
    """`command` in private mount and PID namespaces, where this repository (the grader package, installed
    editable, and its venv) and the offline kits (this process's and `kits`: the reference models) are
    read-only, in a pids cgroup of its own whose every process is killed when the command ends or times out
    (a timeout shows as exit code -9). nbgrader's kernels and the Classroom steps run student code
    unconfined: a_tamper_grader and a_tamper_kit rewrite the grader and the models they find, and
    a_fork_bomb forks until something stops it, even as root (as a TA's unprivileged account and process
    limit, or a read-only install, prevent). Output goes through files: lingering processes may hold a
    pipe open."""
    hierarchy = _pids_hierarchy()
    _remove_stale_groups(hierarchy)
    group = hierarchy / f"autograder-proof-{os.getpid()}-{next(_groups)}"
    group.mkdir()
    readonly = [REPO, *{path for path in (kit.default_root(), *kits) if path.is_dir()}]
    mounts = "".join(f"mount --bind {path} {path} && mount -o remount,bind,ro {path} && " for path in
                     map(shlex.quote, map(str, readonly)))
    script = f'echo $$ > {shlex.quote(str(group / "cgroup.procs"))} && {mounts}exec "$@"'
    try:
        (group / "pids.max").write_text(f"{PROTECTED_TASKS}\n")
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            # Its own PID namespace too: a_grader_process_cell's kill(-1), as root, would otherwise end every
            # process on the machine, this test's included.
            process = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--pid", "--fork",
                                        "--mount-proc", "sh", "-c", script, "sh", *command], cwd=cwd, env=env,
                                       stdout=out, stderr=err)
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                _empty(group)
                code = process.wait()
            texts = []  # what lingering processes still write is lost with them, in `finally`
            for handle in (out, err):
                handle.seek(0)
                texts.append(handle.read().decode(errors="replace"))
        return subprocess.CompletedProcess(command, code, *texts)
    finally:
        _empty(group)
        group.rmdir()


def _remove_stale_groups(hierarchy: Path) -> None:
    """Empty and remove the cgroups of proofs that were killed before their `finally` (named by pid)."""
    for group in hierarchy.glob("autograder-proof-*"):
        try:
            os.kill(int(group.name.split("-")[2]), 0)
        except ProcessLookupError:
            _empty(group)
            with contextlib.suppress(OSError):
                group.rmdir()
        except (ValueError, IndexError, PermissionError):
            continue


def _empty(group: Path) -> None:
    """Kill every process of a cgroup, a fork bomb's copies included."""
    for _ in range(100):
        pids = [int(pid) for pid in (group / "cgroup.procs").read_text().split()]
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


_groups = itertools.count()


def nbgrader(root: Path, *args: str, check: bool = True, readonly: bool = False,
             python: Path = Path(sys.executable)) -> subprocess.CompletedProcess:
    """`python -m nbgrader ARGS` in the course folder `root` (`python`: the TA's environment)."""
    # nbgrader runs `alembic` (the gradebook's migrations) from PATH: the venv's bin must come first.
    env = {**os.environ, "AUTOGRADER_MODELS": "offline", "HF_HUB_OFFLINE": "1",
           "PATH": os.pathsep.join([str(python.parent), os.environ.get("PATH", "")])}
    command = [str(python), "-m", "nbgrader", *args]
    done = (protected_run(command, root, env) if readonly else
            subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False))
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


def gradebook_cells(root: Path) -> dict[tuple[str, str, str], tuple[float, bool]]:
    """(student, notebook, grade id) -> (score, needs manual grading) of every grade cell in the course's
    gradebook: what two ways of autograding must agree on, cell by cell."""
    from nbgrader.api import Gradebook

    cells = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for student in gradebook.students:
            for submission in student.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        cells[student.id, notebook.name, grade.name] = (grade.score, grade.needs_manual_grade)
    return cells


def workflow(out: Path) -> dict:
    return yaml.safe_load((out / ".github" / "workflows" / "classroom.yml").read_text(encoding="utf-8"))


def grader_steps(out: Path) -> list[dict]:
    steps = workflow(out)["jobs"]["run-autograding-tests"]["steps"]
    grader = "classroom-resources/autograding-command-grader@v1"
    return [s for s in steps if s.get("uses") == grader]


def scrubbed_run(command: str, cwd: Path, home: Path, readonly: bool = False,
                 python_bin: Path | None = None) -> subprocess.CompletedProcess:
    """Run a step's command like the command grader: only PATH and HOME in the environment, PATH starting
    with `python_bin` (the runner's Python; by default this interpreter's folder)."""
    path = f"{python_bin or Path(sys.executable).parent}:/usr/bin:/bin"
    argv = ["env", "-i", f"PATH={path}", f"HOME={home}", "bash", "-c", command]
    if readonly:  # a step runs the notebook itself: a memory bomb there must stop short of this machine
        return protected_run(["prlimit", f"--as={PROTECTED_MEMORY}", "--", *argv], cwd, timeout=900,
                             kits=(home / ".cache" / "autograder" / "kit",))  # the step's own kit
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=900, check=False)


def gradescope_machine(bundle: Path, machine: Path) -> Path:
    """A Gradescope image built from `bundle`: unpacked into MACHINE/source as Gradescope does, and its own
    `setup.sh` run once there in a clean environment (fresh_env.py), which makes MACHINE/venv and
    MACHINE/kit. Returns `machine`."""
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(machine / "source")
        for info in archive.infolist():
            (machine / "source" / info.filename).chmod(info.external_attr >> 16 & 0o777)
    run(["bash", str(machine / "source" / "setup.sh")], machine,
        clean_env(GRADESCOPE_ROOT=str(machine), TORCH_INDEX=TORCH_INDEX))
    return machine


def run_autograder(machine: Path, root: Path, submission: Path, **variables: str) -> dict | None:
    """Grade the files of folder `submission` as Gradescope does, in a root of its own (ROOT/submission,
    ROOT/results) on the image `machine` (its source, venv and kit linked in), with `run_autograder` run
    under env -i (plus `variables`). Returns results.json, or None when run_autograder failed, which must
    then leave no results.json (Gradescope records a failure, not a score)."""
    root.mkdir(parents=True)
    for name in ("source", "venv", "kit"):
        (root / name).symlink_to(machine / name)
    shutil.copy(machine / "source" / "run_autograder", root / "run_autograder")
    shutil.copytree(submission, root / "submission")
    done = subprocess.run([str(root / "run_autograder")], cwd=root, capture_output=True, text=True,
                          env=clean_env(GRADESCOPE_ROOT=str(root), **variables), timeout=900, check=False)
    results = root / "results" / "results.json"
    if done.returncode != 0:
        assert not results.exists(), f"run_autograder exited {done.returncode} and left a score behind"
        return None
    return json.loads(results.read_text(encoding="utf-8"))
