"""The GitHub Classroom student template: ``autograder build release --out DIR``.

What students get, generated from the repository (never edited by hand):

- the assignment notebooks (``assignments/<lab>/*.ipynb`` and their paired ``.py``) at the root;
- the runtime they import, and only that: ``autograder.models`` (with the vendored tokenizer files, so the
  offline model kit builds on the runner in seconds, no Hub) and the lab's public checks. Never the hidden
  suites, the grader, the runner or the builders;
- the same runtime as a wheel, ``runtime/<lab>_runtime-<version>-py3-none-any.whl``, which a
  notebook's runtime cell installs when the notebook runs on its own (Colab): from the address given with
  ``--runtime-url``, which the build writes into every notebook's ``RUNTIME = ...`` line;
- ``scripts/check_part.py`` (runs one part's notebook headless and reports its public checks),
  ``scripts/summary.py`` (the Markdown table of a run) and ``scripts/parts.json``;
- ``requirements.txt``: what the notebooks and checks need, with its dependency closure, pinned from
  ``constraints.txt``;
- ``.github/workflows/classroom.yml`` in the current Classroom shape: one command-grader step per
  autograded part (its points as ``max-score``, variables inline), an optional hidden-test step, the
  step-summary table and the grading reporter;
- a student ``README.md`` (the lab's ``student_readme.md.jinja``), ``.gitignore`` and
  ``.github/INSTRUCTORS.md`` (a copy of ``docs/classroom.md``).

The build refuses to write anything if a solution line or a solution's logic (``leaks.py``), a hidden
suite, a mark scheme or a gradebook would land in the release. Output is deterministic: sorted, no timestamps.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from importlib import metadata
from pathlib import Path

import jupytext

from autograder import __version__
from autograder.build import leaks as logic
from autograder.build import wheel
from autograder.build.assignments import (
    _clear_cell,
    _normalize,
    _split_cells,
    graded_functions,
    notebook_text,
    notebook_units,
    solution_regions,
    student_notebook,
)
from autograder.build.render import TEMPLATES, render
from autograder.course import Lab
from autograder.errors import UsageError

PYTHON_VERSION = "3.11"  # the Python of constraints.txt (numpy and IPython there need 3.11 or newer)
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

# The runtime the notebooks import (paths under autograder/), besides the lab's own `Lab.runtime`;
# models/vendor is copied whole.
RUNTIME = (
    "__init__.py",
    "errors.py",
    "course.py",
    "stubs.py",
    "check_record.py",
    "models/__init__.py",
    "models/kit.py",
    "models/registry.py",
    "labs/__init__.py",
)
VENDOR = "models/vendor"
STUDENT_README = "student_readme.md.jinja"  # a template in the lab's folder: the release's README.md
# The runtime as a wheel, for notebooks that run on their own (Colab). It pins the libraries the notebooks
# use as constraints.txt does, except torch: any torch will do, and Colab's own (a CUDA build) must stay.
RUNTIME_PINNED = ("transformers", "tokenizers", "safetensors", "huggingface-hub")
RUNTIME_PYTHON = f">={PYTHON_VERSION}"
WHEEL_FOLDER = "runtime"
RUNTIME_LINE = 'RUNTIME = ""\n'  # in every notebook's runtime cell; --runtime-url fills it in
GITHUB_SOURCE = re.compile(r"^github:([\w.-]+/[\w.-]+)(?:@([\w./-]+))?$")
# What the notebooks and the checks import; requirements.txt pins these and their dependency closure.
REQUIREMENTS = ("torch", "transformers", "tokenizers", "safetensors", "jupytext", "nbformat", "nbclient",
                "ipykernel")
UNPINNED_OK = {"setuptools", "pip", "wheel"}  # build tools pip brings anyway; freeze leaves them out
# The runner's environment, for evaluating dependency markers (the same whatever machine builds).
MARKER_ENV = {"python_version": PYTHON_VERSION, "python_full_version": f"{PYTHON_VERSION}.0",
              "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
              "platform_machine": "x86_64", "implementation_name": "cpython",
              "platform_python_implementation": "CPython", "extra": ""}
# Never in a release, whatever else changes: file names and text markers.
FORBIDDEN_NAMES = ("gradebook.db", "hidden", "grading", "runner", "build", "integrations", "solutions")
FORBIDDEN_TEXT = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                  "BEGIN MARK SCHEME", "END MARK SCHEME")
GRADER_COMMAND = "AUTOGRADER_MODELS=offline HF_HUB_OFFLINE=1 HF_HUB_DISABLE_PROGRESS_BARS=1 " \
                 "python scripts/check_part.py {number}"


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def constraints(root: Path) -> dict[str, tuple[str, str]]:
    """canonical name -> (name as written, version) from ``root/constraints.txt``."""
    pins = {}
    for line in (root / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = (part.strip() for part in line.split("==", 1))
            pins[_canonical(name)] = (name, version)
    return pins


def requirements_txt(root: Path) -> str:
    """The pinned requirements of the release: REQUIREMENTS and everything they need, at the versions of
    constraints.txt (the dependency graph is read from the installed distributions' metadata)."""
    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    pins = constraints(root)
    environment = {**default_environment(), **MARKER_ENV}
    seen: set[str] = set()
    todo = [_canonical(name) for name in REQUIREMENTS]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            raise UsageError(f"build release reads the dependencies of {name} from its installed metadata, "
                             "but it is not installed: install with -c constraints.txt first") from None
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                todo.append(_canonical(requirement.name))
    missing = sorted(name for name in seen - UNPINNED_OK if name not in pins)
    if missing:
        raise UsageError(f"constraints.txt pins no version of {', '.join(missing)} (needed by the release)")
    lines = [f"{pins[name][0]}=={pins[name][1]}" for name in sorted(seen - UNPINNED_OK)]
    header = ("# What the notebooks and the public checks need, pinned (generated from the course's "
              "constraints.txt).\n"
              f"# torch: install the CPU build first, it is much smaller than the default CUDA one:\n"
              f"#   pip install --no-deps torch=={pins['torch'][1]} --index-url {TORCH_CPU_INDEX}\n")
    return header + "\n".join(lines) + "\n"


def parts_json(lab: Lab) -> str:
    """The autograded parts for the scripts: number -> stem, title, points, and the functions checked."""
    parts = {}
    for part in lab.parts:
        if part.points:
            solution = lab.solutions / f"{part.stem}.py"
            parts[str(part.number)] = {"stem": part.stem, "title": part.title, "points": part.points,
                                       "checks": list(graded_functions(solution))}
    return json.dumps(parts, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def workflow(lab: Lab) -> str:
    """.github/workflows/classroom.yml: one command-grader step per autograded part."""
    steps = [{"number": part.number, "points": part.points,
              "test_name": _quote(f"Part {part.number}: {part.title} ({part.stem}.ipynb)"),
              "command": _quote(GRADER_COMMAND.format(number=part.number))} for part in lab.graded]
    return render("release/classroom.yml", lab=lab, steps=steps, python=PYTHON_VERSION,
                  torch_index=TORCH_CPU_INDEX, runners=",".join(f"part{p.number}" for p in lab.graded),
                  notebooks=" ".join(f"{p.stem}.ipynb" for p in lab.parts))


def readme(lab: Lab, root: Path) -> str:
    """The release's README.md from the lab's own template (``student_readme.md.jinja``): parts and pins."""
    pins = constraints(root)
    return render(STUDENT_README, lab.folder, lab=lab, torch=pins["torch"][1],
                  jupyterlab=pins["jupyterlab"][1])


def runtime_files(lab: Lab, root: Path) -> dict[str, bytes]:
    """The runtime, path under the package's parent (``autograder/...``) -> content."""
    package = root / "autograder"
    files = {f"autograder/{name}": (package / name).read_bytes() for name in RUNTIME}
    files |= {f"autograder/labs/{lab.id}/{name}": (lab.folder / name).read_bytes() for name in lab.runtime}
    for path in sorted((package / VENDOR).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files[f"autograder/{path.relative_to(package).as_posix()}"] = path.read_bytes()
    return files


def runtime_dist(lab: Lab) -> str:
    """The runtime wheel's distribution name."""
    return f"{lab.id.replace('_', '-')}-runtime"


def wheel_path(lab: Lab) -> str:
    """Where the runtime wheel is in the release."""
    return f"{WHEEL_FOLDER}/{wheel.filename(runtime_dist(lab), __version__)}"


def runtime_wheel(lab: Lab, root: Path) -> bytes:
    """The runtime (``runtime_files``) as a wheel that pins what the notebooks need, torch aside."""
    pins = constraints(root)
    return wheel.build(runtime_dist(lab), __version__, runtime_files(lab, root),
                       summary=f"What the '{lab.title}' notebooks import: models and public checks",
                       requires_python=RUNTIME_PYTHON,
                       requires=["torch", *(f"{pins[name][0]}=={pins[name][1]}" for name in RUNTIME_PINNED)])


def runtime_address(lab: Lab, runtime_url: str) -> str:
    """The address the notebooks install the runtime from: ``github:OWNER/REPO[@REF]`` is the release's own
    wheel in that repository (on REF, default main); anything else (an https or file URL, a path such as a
    Google Drive copy's ``/content/drive/MyDrive/...``) is taken as it is."""
    match = GITHUB_SOURCE.match(runtime_url)
    if match:
        repository, ref = match.groups()
        return f"https://raw.githubusercontent.com/{repository}/{ref or 'main'}/{wheel_path(lab)}"
    if runtime_url.startswith("github:"):
        raise UsageError(f"--runtime-url {runtime_url!r}: write github:OWNER/REPOSITORY or "
                         "github:OWNER/REPOSITORY@BRANCH")
    if not runtime_url.strip() or any(char in runtime_url for char in "\n\r\"\\"):
        raise UsageError(f"--runtime-url {runtime_url!r} is not an address")
    return runtime_url


def with_runtime(stub: str, address: str, where: str) -> str:
    """A stub's text with its runtime cell's ``RUNTIME`` set to ``address``."""
    if stub.count(RUNTIME_LINE) != 1:
        raise UsageError(f"{where} has no runtime cell with {RUNTIME_LINE.strip()}: run 'autograder build "
                         "assignments' first")
    return stub.replace(RUNTIME_LINE, f"RUNTIME = {json.dumps(address)}\n")


def expected_files(lab: Lab, root: Path, runtime_url: str | None = None) -> dict[str, bytes]:
    """Every file of the release of `lab`: relative path -> content. With ``runtime_url``, the notebooks
    install the runtime from there when they run on their own (see ``runtime_address``). `root` is the
    course repository (the grader's package, constraints.txt and docs/classroom.md)."""
    root = Path(root)
    files: dict[str, bytes] = {}
    assignments = lab.assignments
    for part in lab.parts:
        paths = {suffix: assignments / f"{part.stem}{suffix}" for suffix in (".py", ".ipynb")}
        for path in paths.values():
            if not path.is_file():
                raise UsageError(f"{path} is missing: run 'autograder build assignments' first")
            files[path.name] = path.read_bytes()
        if runtime_url:
            stub = with_runtime(paths[".py"].read_text(encoding="utf-8"), runtime_address(lab, runtime_url),
                                paths[".py"].name)
            files[paths[".py"].name] = stub.encode()
            files[paths[".ipynb"].name] = notebook_text(student_notebook(stub, paths[".py"].name)).encode()
    files.update(runtime_files(lab, root))
    files[wheel_path(lab)] = runtime_wheel(lab, root)
    for name in ("check_part.py", "summary.py"):
        files[f"scripts/{name}"] = (TEMPLATES / "release" / "scripts" / name).read_bytes()
    files["scripts/parts.json"] = parts_json(lab).encode()
    files["requirements.txt"] = requirements_txt(root).encode()
    files["README.md"] = readme(lab, root).encode()
    files[".gitignore"] = (TEMPLATES / "release" / "gitignore").read_bytes()
    files[".github/workflows/classroom.yml"] = workflow(lab).encode()
    instructors = root / "docs" / "classroom.md"
    if instructors.is_file():
        files[".github/INSTRUCTORS.md"] = instructors.read_bytes()
    check_release(lab, files)
    return dict(sorted(files.items()))


def solution_lines(lab: Lab) -> set[str]:
    """Every line (normalized, over 3 characters) of every solution, hidden-test and mark-scheme region of
    the lab's solutions that appears nowhere in the student copy of that notebook."""
    secret: set[str] = set()
    for solution in sorted(lab.solutions.glob("*.py")):
        if solution.name.startswith("_"):
            continue
        preamble, cells = _split_cells(solution.read_text(encoding="utf-8"), str(solution))
        kept, removed = list(preamble), []
        for cell in cells:
            _, cell_kept, cell_removed = _clear_cell(cell, str(solution))
            kept += [cell.header, *cell_kept]
            removed += cell_removed
        public = {_normalize(line) for line in kept}
        secret |= {line for line in map(_normalize, removed) if len(line) > 3 and line not in public}
    return secret


def runtime_lines(files: dict[str, bytes]) -> set[str]:
    """The normalized lines of the public runtime modules (which students import, and can read, anyway)."""
    return {_normalize(line) for name, data in files.items() if name.startswith("autograder/")
            and name.endswith(".py") for line in data.decode("utf-8").splitlines()}


def _entries(files: dict[str, bytes]):
    """(name shown, path it lands at, content) of every released file and of every file inside a released
    wheel (shown as ``WHEEL/MEMBER``; it lands at MEMBER, as pip installs it)."""
    for name, data in files.items():
        yield name, name, data
        if name.endswith(".whl"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    yield f"{name}/{member}", member, archive.read(member)


def leaks(lab: Lab, files: dict[str, bytes]) -> list[str]:
    """Why ``files`` may not be released: a hidden suite, the grader, a gradebook, a region delimiter, or a
    line of a solution region, in a file or inside a wheel. A solution line that the public runtime already
    holds verbatim (a library call such as ``inputs = tokenizer(prompt, return_tensors="pt")``, which the
    public checks make too) reveals nothing, but two such lines in a row anywhere, or one in a notebook or
    script, still count."""
    secret = solution_lines(lab)
    generic = secret & runtime_lines(files)
    problems = []
    for name, path, data in _entries(files):
        if any(part in FORBIDDEN_NAMES for part in Path(path).parts):
            problems.append(f"{name} must not be in the student template")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        problems += [f"{name} holds the delimiter {marker!r}" for marker in FORBIDDEN_TEXT if marker in text]
        if path.startswith("autograder/models/vendor/"):
            continue  # tokenizer vocabularies: one word per line
        runtime = path.startswith("autograder/")
        previous = False
        for line in text.splitlines():
            normalized = _normalize(line)
            hit = normalized in secret
            if hit and (not runtime or normalized not in generic or previous):
                problems.append(f"a solution line is in {name}: {line.strip()!r}")
            previous = hit
    return problems


def logic_leaks(lab: Lab, files: dict[str, bytes]) -> list[str]:
    """Where the logic of a solution region shows in ``files``: in any cell of a notebook, any function of
    a script or notebook file, or (for regions longer than a library call or two) of the public runtime."""
    regions = []
    for solution in sorted(lab.solutions.glob("*.py")):
        if not solution.name.startswith("_"):
            regions += solution_regions(solution.read_text(encoding="utf-8"), solution.name)
    student, runtime = [], []
    for name, data in files.items():
        paired = name.endswith(".py") and f"{name[:-3]}.ipynb" in files  # a notebook's Jupytext pair
        if name.endswith(".ipynb") or paired:
            notebook = jupytext.reads(data.decode("utf-8"), fmt="py:percent" if paired else "ipynb")
            student += notebook_units(notebook, name)
        elif name.endswith(".py"):
            units = logic.units(name, data.decode("utf-8"))
            (runtime if name.startswith("autograder/") else student).extend(units)
    found = logic.find(regions, student) + logic.find(regions, runtime, logic.RUNTIME_MIN_WEIGHT)
    return [str(leak) for leak in found]


def check_release(lab: Lab, files: dict[str, bytes]) -> None:
    """RuntimeError naming the first reason (see ``leaks``) why ``files`` may not be released."""
    problems = leaks(lab, files) + logic_leaks(lab, files)
    if problems:
        raise RuntimeError(f"release: {problems[0]}" + (f" (and {len(problems) - 1} more)"
                                                        if len(problems) > 1 else ""))


def build(lab: Lab, root: Path, out: Path, runtime_url: str | None = None) -> list[Path]:
    """Write the release into ``out`` and return the written paths.

    ``out`` must be empty, missing, or a previous release (it then is emptied, except for ``.git``, so the
    template repository's clone can be rebuilt in place). ``runtime_url``: see ``expected_files``.
    """
    files = expected_files(lab, Path(root), runtime_url)
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise UsageError(f"--out {out} is a file; give a folder")
        entries = [entry for entry in out.iterdir() if entry.name != ".git"]
        if entries and not (out / ".github" / "workflows" / "classroom.yml").is_file():
            raise UsageError(f"--out {out} is not empty and is not a previous release; give a new folder")
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    written = []
    for name, data in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if name.startswith("scripts/") and name.endswith(".py"):
            path.chmod(0o755)
        written.append(path)
    return written
