"""Fresh environments, as users install them: a new virtual environment or root folder, the install commands
the documentation gives, and nothing from this repository's `.venv`.

Every command runs under `env -i` with PATH and HOME only (HOME is the user's own, so pip keeps its
configuration and its download cache: a cache of wheels, never of installed packages). The one deliberate
change to the documented commands is the PyTorch index: torch comes from `$TORCH_INDEX` as the Makefile
sets it (empty: pip's configured index), so the tests run where the PyTorch index cannot be reached.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from corpus import REPO

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH_INDEX = os.environ.get("TORCH_INDEX", "")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# How a TA installs the grader alone (README, "Installing the grader"), run from a copy of the repository.
GRADER_INSTALL = (
    "python3 -m venv grader-env",
    f"grader-env/bin/pip install torch==2.13.0 --index-url {TORCH_CPU_INDEX}",
    "grader-env/bin/pip install -c constraints.txt .",
)

# How a TA installs nbgrader with the grader (the generated course README), from the same copy.
NBGRADER_INSTALL = (
    "python3 -m venv nbgrader-env",
    f"nbgrader-env/bin/pip install torch==2.13.0 --index-url {TORCH_CPU_INDEX}",
    "nbgrader-env/bin/pip install -c constraints.txt '.[nbgrader]'",
)


def user_path(*first: Path) -> str:
    """PATH as a user's shell has it, after the folders in `first`: the system's folders, and first the
    folder of the Python this repository's environment was made from (never that environment's own)."""
    base = Path(getattr(sys, "_base_executable", sys.executable)).parent
    return os.pathsep.join([*map(str, first), str(base), SYSTEM_PATH])


def clean_env(*path_first: Path, **variables: str) -> dict[str, str]:
    """PATH and HOME, then `variables`: what `env -i PATH=... HOME=...` gives a command."""
    return {"PATH": user_path(*path_first), "HOME": str(Path.home()), **variables}


def run(command: str | list[str], cwd: Path, env: dict[str, str], timeout: float = 1800) -> str:
    """Run `command` (a bash script when a string) and return its output; fail the test with the output's
    end when it exits non-zero."""
    argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command] if isinstance(command, str) \
        else command
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    if done.returncode != 0:
        raise AssertionError(f"{command!r} exited {done.returncode}:\n{done.stdout[-3000:]}\n"
                             f"{done.stderr[-5000:]}")
    return done.stdout + done.stderr


def with_torch_index(command: str) -> str:
    """A documented install command, with torch taken from TORCH_INDEX (see the module doc)."""
    index = f" --index-url {TORCH_INDEX}" if TORCH_INDEX else ""
    return command.replace(f" --index-url {TORCH_CPU_INDEX}", index)


def source_copy(dest: Path) -> Path:
    """The repository's files as a clone has them (tracked, and new files not ignored), copied to `dest`:
    what an instructor's checkout holds, without this checkout's `.venv` or build output."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@functools.cache
def wheel() -> Path:
    """The grader's wheel, built once per session from a copy of the repository with pip, as a user
    would (`pip wheel --no-deps .`)."""
    work = Path(tempfile.mkdtemp(prefix="autograder-wheel-"))
    source = source_copy(work / "source")
    run(["python3", "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"), str(source)],
        work, clean_env())
    (found,) = (work / "dist").glob("*.whl")
    return found


def new_venv(path: Path) -> Path:
    """A new virtual environment from the user's `python3`; returns its `bin` folder."""
    run(["python3", "-m", "venv", str(path)], path.parent, clean_env())
    return path / "bin"


def installed(commands: tuple[str, ...], dest: Path) -> Path:
    """A copy of the repository at `dest` with `commands` (a documented install) run in it."""
    source_copy(dest)
    for command in commands:
        run(with_torch_index(command), dest, clean_env())
    return dest
