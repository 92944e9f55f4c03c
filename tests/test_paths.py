"""Every sample of the corpus through every grading path, with one summary: `make prove` (over an hour).

Each sample of tests/submissions/manifest.toml goes to each path in the form that path receives:

- standalone: `autograder grade-all --jobs 2` of the samples as handed in: the notebooks (.ipynb) and any
  other files they hold;
- nbgrader: `nbgrader autograde` of the course `autograder build nbgrader` writes, each sample in
  `submitted/<student>/<lab>/` with its notebooks in the release's layout, and its other files;
- Gradescope: the bundle's `run_autograder` on an image its own `setup.sh` made (fresh_env.py), the
  sample's files uploaded;
- Classroom: in a copy of the template repository holding the sample's files, on a fresh runner that the
  workflow's install step set up (the hidden grader installed into it once, by the hidden step's own `pip
  install`), every public grader step's command with only PATH and HOME (as the command grader runs it),
  then the rest of the hidden-test step's script.

nbgrader runs in a TA's environment installed as the course README says (`'.[nbgrader]'`), never this
repository's `.venv`.

What must hold:

- standalone: each sample scores its manifest's points per part. So every mistake loses points, every
  correct alternative scores full marks, and every attack gains nothing.
- nbgrader, Gradescope and the Classroom hidden-test step: exactly the standalone scores, part by part.
  Where nbgrader itself behaves differently (it gives up on a whole submission holding one unreadable
  notebook), the manifest's `nbgrader_expected` says what it must score instead, and the summary counts
  those samples apart.
- Classroom public steps: these are all-or-nothing public checks, early feedback rather than a grade. Every
  part of the reference solutions and the correct alternatives passes its step, and every part of the stubs
  fails. Mistakes that still pass their step are counted in the summary and not failed: only the hidden
  tests are meant to catch those.

- nbgrader: no sample's `not_in_feedback` text in the outputs nbgrader keeps (`autograded/`, which
  `generate_feedback` turns into the student's feedback).

The Classroom steps run student code unconfined (that is how that platform works), and nbgrader runs
nbgrader's own process and the TA's environment beside the student's confined kernel, so each of their
commands runs with this repository and the offline kits read-only, in a pids cgroup of its own
that is emptied when the command ends (`platforms.protected_run`); the proof needs root for that. The
paths run two at a time (nbgrader as two half-class courses, the longest jobs, first). The summary goes
to stdout (run with -s) and to `paths-summary.json` in the test's temporary folder.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import jupytext
import pytest
from corpus import load_manifest, materialize_all
from fresh_env import NBGRADER_INSTALL, TORCH_INDEX, clean_env, installed, new_venv, run, source_copy
from platforms import (
    REPO,
    can_protect_repo,
    gradebook_cells,
    grader_steps,
    gradescope_machine,
    nbgrader,
    nbgrader_scores,
    nbgrader_submission,
    part_file,
    run_autograder,
    scrubbed_run,
    workflow,
)

from autograder.build import gradescope, release
from autograder.build import nbgrader as course
from autograder.grading import class_reports
from autograder.grading.results import Grade
from autograder.labs.encoders_decoders import LAB, LAB_ID, PARTS

pytestmark = pytest.mark.paths

MANIFEST = load_manifest()
# PATHS_SAMPLES="name,name" proves just those samples (to look into one path's disagreement quickly).
SAMPLES = {n: s for n, s in MANIFEST.items() if n in os.environ.get("PATHS_SAMPLES", n).split(",")}
# PATHS_ONLY="nbgrader" (or any of nbgrader, gradescope, classroom, comma-separated) proves just those
# platforms against the standalone grader; the tests of the others are skipped.
PLATFORMS = ("nbgrader", "gradescope", "classroom")
RUN = [p for p in os.environ.get("PATHS_ONLY", ",".join(PLATFORMS)).split(",") if p in PLATFORMS]
GRADED = [part for part in PARTS if part.points]
KEYS = [f"part{part.number}" for part in GRADED]  # the manifest's and grades.csv's names for the parts
HIDDEN_STEP = "Run the hidden tests (optional, feedback only)"
# each must give the standalone grader's scores
PATHS = ("nbgrader", "nbgrader_command", "gradescope", "classroom_hidden")
RUN_PATHS = [path for path in PATHS if path.partition("_")[0] in RUN]
FULL = {f"part{part.number}": float(part.points) for part in GRADED}
Scores = dict[str, float | None]  # part key -> points; None where a path reported no score


def _handed_in(folder: Path, dest: Path) -> Path:
    """The sample as a student hands it in: each Jupytext part as .ipynb, every other file as it is."""
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            continue
        target = dest / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        if part_file(path, folder) and path.suffix == ".py":
            jupytext.write(jupytext.read(path), target.with_suffix(".ipynb"), fmt="ipynb")
        else:
            shutil.copyfile(path, target)
    return dest


def _part_scores(row: dict) -> Scores:
    """Points per part from a grades.csv row (as the grader writes them with `class_reports.grade_row`)."""
    return {key: float(row[key]) if row.get(key) not in (None, "") else None for key in KEYS}


def _results_scores(results_json: Path) -> Scores:
    """Points per part of a grading that wrote `results_json`: from the grade record beside it, summed as
    grades.csv sums them. A results.json with no record beside it is run_autograder's own, for a submission
    with nothing to grade: 0 for every part."""
    if not results_json.is_file():
        return dict.fromkeys(KEYS)
    record = results_json.with_name("grade.json")
    if not record.is_file():
        assert json.loads(results_json.read_text(encoding="utf-8"))["score"] == 0
        return dict.fromkeys(KEYS, 0.0)
    return _part_scores(class_reports.grade_row(LAB, "", Grade.from_json(record.read_bytes()), ""))


# ------------------------------------------------------------------------------------------------ paths


def standalone(students: Path, work: Path) -> dict[str, Scores]:
    out = work / "standalone"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(students), "--out", str(out),
                           "--jobs", "2"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["student_id"]: _part_scores(row) for row in csv.DictReader(handle)}


def nbgrader_course(samples: dict[str, Path], root: Path, python: Path) -> dict[str, dict]:
    """One course holding `samples`, autograded by nbgrader with the TA's `python`, and a copy of it filled
    by `autograder nbgrader-autograde`: {"nbgrader": sample -> points per part, "nbgrader_command": the
    same from the copy, "cells": (student, notebook, grade id) -> (nbgrader's, the copy's) (score, needs
    manual grading) wherever the two gradebooks differ}."""
    course.build(LAB, REPO, root)
    nbgrader(root, "generate_assignment", LAB_ID, "--force", python=python)
    for name, folder in samples.items():
        nbgrader_submission(folder, root / "submitted" / name / LAB_ID)
    filled = root.parent / f"{root.name}-command"
    shutil.copytree(root, filled)
    done = nbgrader(root, "autograde", LAB_ID, check=False, readonly=True, python=python)  # no score: None
    (root / "autograde.log").write_text(f"exit code {done.returncode}\n{done.stdout}\n{done.stderr}")
    done = subprocess.run([str(python), "-m", "autograder", "nbgrader-autograde", str(filled), "--jobs", "2"],
                          capture_output=True, text=True, check=False,
                          env=clean_env(python.parent, AUTOGRADER_MODELS="offline", HF_HUB_OFFLINE="1"))
    (filled / "autograde.log").write_text(f"exit code {done.returncode}\n{done.stdout}\n{done.stderr}")
    stock, command = gradebook_cells(root), gradebook_cells(filled)
    return {"nbgrader": _course_scores(root, samples), "nbgrader_command": _course_scores(filled, samples),
            "cells": {key: (stock.get(key), command.get(key)) for key in {*stock, *command}
                      if stock.get(key) != command.get(key)},
            "leaks": _leaks(root, samples)}


def _leaks(root: Path, samples) -> dict[str, list[str]]:
    """Per sample: the strings of its `not_in_feedback` found in the cell outputs nbgrader kept."""
    found = {}
    for name in samples:
        outputs = "".join(json.dumps(cell.get("outputs", []), ensure_ascii=False)
                          for notebook in sorted((root / "autograded" / name).rglob("*.ipynb"))
                          for cell in json.loads(notebook.read_text(encoding="utf-8")).get("cells", []))
        if hits := [text for text in SAMPLES[name].get("not_in_feedback", []) if text in outputs]:
            found[name] = hits
    return found


def _course_scores(root: Path, samples) -> dict[str, Scores]:
    found = nbgrader_scores(root)
    scores = {}
    for name in samples:
        entries = found.get(name, {})  # stem -> (score, needs manual grading), or None
        scores[name] = {f"part{p.number}": entries[p.stem][0] if entries.get(p.stem) else None
                        for p in GRADED}
    return scores


def gradescope_run(folder: Path, machine: Path, root: Path) -> Scores:
    run_autograder(machine, root, folder)
    return _results_scores(root / "results" / "results.json")


def classroom_runner(template: Path, work: Path) -> Path:
    """A fresh runner (see the module doc) with the hidden grader installed; returns its Python's bin."""
    python_bin = new_venv(work / "runner")
    steps = {step["name"]: step for step in workflow(template)["jobs"]["run-autograding-tests"]["steps"]}
    run(steps["Install the pinned requirements and build the offline model kit"]["run"], template,
        clean_env(python_bin, TORCH_INDEX=TORCH_INDEX))
    source_copy(work / ".hidden-grader")  # the instructor's private checkout of this repository
    install = next(line for line in steps[HIDDEN_STEP]["run"].splitlines() if "pip install" in line)
    run(install, work, clean_env(python_bin))
    return python_bin


def classroom_run(folder: Path, template: Path, repo: Path, home: Path,
                  python_bin: Path) -> tuple[dict[str, bool], Scores]:
    """(part key -> its public step passed, the hidden-test step's points per part) in a copy of the
    template holding the sample, on the runner `python_bin`; the hidden step's script runs against this
    repository, already installed there."""
    shutil.copytree(template, repo)
    shutil.copytree(folder, repo, dirs_exist_ok=True)
    for notebook in folder.glob("part*.ipynb"):  # students keep the Jupytext pairs in sync
        if (repo / f"{notebook.stem}.py").is_file():
            with contextlib.suppress(Exception):  # an unreadable notebook leaves its .py stale
                jupytext.write(jupytext.read(notebook), repo / f"{notebook.stem}.py", fmt="py:percent")
    steps = {step["id"]: step["with"]["command"] for step in grader_steps(repo)}
    public = {key: scrubbed_run(steps[key], repo, home, readonly=True, python_bin=python_bin).returncode == 0
              for key in KEYS}
    every_step = workflow(repo)["jobs"]["run-autograding-tests"]["steps"]
    hidden = next(step for step in every_step if step["name"] == HIDDEN_STEP)
    script = "\n".join(line for line in hidden["run"].splitlines() if "pip install" not in line)
    runner_temp = repo.parent / f"{repo.name}-runner"
    runner_temp.mkdir()
    (repo / ".hidden-grader").symlink_to(repo.parent.parent / ".hidden-grader")  # see classroom_runner
    subprocess.run(["bash", "-c", script], cwd=repo, capture_output=True, timeout=1800, check=False,
                   env={**clean_env(python_bin), "HOME": str(home), "RUNNER_TEMP": str(runner_temp)})
    return public, _results_scores(runner_temp / "hidden" / "results.json")


# ------------------------------------------------------------------------------------------------ proof


@pytest.fixture(scope="module")
def proof(tmp_path_factory, scrubbed_home):
    if not can_protect_repo():
        pytest.skip("needs root and unshare: nbgrader and the Classroom steps run student code unconfined, "
                    "and this repository must be read-only to them")
    work = tmp_path_factory.mktemp("paths")
    corpus = materialize_all(work / "corpus", list(SAMPLES))
    students = work / "students"
    folders = {name: _handed_in(folder, students / name) for name, folder in corpus.items()}
    timings, started = {}, time.monotonic()
    scores = {"standalone": standalone(students, work)}
    timings["standalone"] = time.monotonic() - started
    names, jobs = list(folders), {}
    if "nbgrader" in RUN:
        ta_python = installed(NBGRADER_INSTALL, work / "ta") / "nbgrader-env" / "bin" / "python"
        for k in range(2):
            jobs[("nbgrader", k)] = (nbgrader_course, {n: folders[n] for n in names[k::2]},
                                     work / f"nbgrader-{k}", ta_python)
    if "gradescope" in RUN:
        bundle = work / "autograder.zip"
        gradescope.build(LAB, REPO, bundle)
        machine = gradescope_machine(bundle, work / "gradescope-image")
        for name, folder in folders.items():
            jobs[("gradescope", name)] = (gradescope_run, folder, machine, work / "gradescope" / name)
    if "classroom" in RUN:
        template = work / "template"
        release.build(LAB, REPO, template)
        runner = classroom_runner(template, work)
        for name, folder in folders.items():
            jobs[("classroom", name)] = (classroom_run, folder, template, work / "classroom" / name,
                                         scrubbed_home, runner)
    scores.update(nbgrader={}, nbgrader_command={}, gradescope={}, classroom_hidden={})
    cells: dict = {}  # where nbgrader's and nbgrader-autograde's gradebooks differ
    leaks: dict = {}  # what nbgrader's autograded notebooks show that they must not
    public: dict[str, dict[str, bool]] = {}
    busy = dict.fromkeys(RUN, 0.0)
    with ThreadPoolExecutor(2) as pool:
        futures = {pool.submit(_timed, fn, *args): key for key, (fn, *args) in jobs.items()}
        for done, future in enumerate(as_completed(futures), 1):
            path, name = futures[future]
            try:
                result, seconds = future.result()
            except Exception as exc:  # reported, and the sample shows as unscored on that path
                print(f"{path} {name} failed: {type(exc).__name__}: {str(exc)[-1500:]}", file=sys.stderr)
                continue
            busy[path] += seconds
            print(f"[{done}/{len(futures)}] {path} {name if path != 'nbgrader' else f'course {name}'}: "
                  f"{seconds:.0f} s", file=sys.stderr, flush=True)
            if path == "nbgrader":
                scores["nbgrader"].update(result["nbgrader"])
                scores["nbgrader_command"].update(result["nbgrader_command"])
                cells.update(result["cells"])
                leaks.update(result["leaks"])
            elif path == "gradescope":
                scores["gradescope"][name] = result
            else:
                public[name], scores["classroom_hidden"][name] = result
    timings.update(busy, total=time.monotonic() - started)
    summary = summarize(scores, public, timings)
    summary["lines"].append(f"  nbgrader-autograde's gradebook against nbgrader autograde's: "
                            f"{len(cells)} grade cells differ")
    summary["lines"].append(f"  nbgrader's autograded notebooks showing what they must not: {len(leaks)}")
    (work / "paths-summary.json").write_text(json.dumps({"summary": summary, "scores": scores,
                                                         "public_steps": public, "leaks": leaks,
                                                         "cells": {"/".join(k): v for k, v in cells.items()}},
                                                        indent=2) + "\n")
    print("\n" + "\n".join(summary["lines"]))
    return scores, public, cells, leaks


def _timed(fn, *args):
    start = time.monotonic()
    return fn(*args), time.monotonic() - start


def _path_expected(scores: dict, path: str, name: str) -> Scores | None:
    """What `path` must score for sample `name`: the standalone grader's scores, or, for nbgrader (either
    way), the manifest's `nbgrader_expected` where nbgrader behaves differently."""
    if path.startswith("nbgrader") and "nbgrader_expected" in SAMPLES[name]:
        return {key: float(SAMPLES[name]["nbgrader_expected"][key]) for key in KEYS}
    return scores["standalone"].get(name)


def _expected(name: str) -> dict[str, float]:
    return {key: float(SAMPLES[name]["expected"][key]) for key in KEYS}


def summarize(scores: dict, public: dict, timings: dict) -> dict:
    """The figures the proof promises, from what every path reported."""
    kinds = {kind: [n for n, s in SAMPLES.items() if s["kind"] == kind] for kind in
             ("mistake", "alternative", "attack", "reference", "stub")}
    standalone_scores = scores["standalone"]
    as_expected = {n for n in SAMPLES if standalone_scores.get(n) == _expected(n)}
    caught = [n for n in kinds["mistake"] if n in as_expected and _expected(n) != FULL]
    full = [n for n in kinds["alternative"] + kinds["reference"] if standalone_scores.get(n) == FULL]
    neutralised = [n for n in kinds["attack"] if n in as_expected]
    agree = {path: [n for n in SAMPLES if scores[path].get(n) == _path_expected(scores, path, n)]
             for path in RUN_PATHS}
    documented = [n for n in SAMPLES if "nbgrader_expected" in SAMPLES[n]]
    broken = [(n, key) for n in kinds["mistake"] for key in KEYS if _expected(n)[key] < FULL[key]]
    missed_early = [(n, key) for n, key in broken if public.get(n, {}).get(key)]
    early = [(n, key) for n, key in broken if public.get(n, {}).get(key) is False]
    total = len(SAMPLES)
    lines = [
        f"Every path, {total} samples ({timings['total'] / 60:.0f} min; busy: " +
        ", ".join(f"{k} {v / 60:.0f} min" for k, v in timings.items() if k != "total") + ")",
        f"  mistakes caught (lose exactly their expected points): {len(caught)} / {len(kinds['mistake'])}",
        f"  references and correct alternatives at full marks: {len(full)} / "
        f"{len(kinds['alternative']) + len(kinds['reference'])}",
        f"  attacks neutralised (score exactly what the honest rest earns): {len(neutralised)} / "
        f"{len(kinds['attack'])}",
        f"  samples at their manifest scores (standalone): {len(as_expected)} / {total}",
        "  paths in agreement with the standalone grader, every part: " +
        ", ".join(f"{path} {len(names)} / {total}" for path, names in agree.items()) +
        (f" (nbgrader's own documented behaviour for {', '.join(documented)})" if documented else ""),
    ]
    if "classroom" in RUN:
        lines.append(f"  Classroom public steps: broken parts already failing their step {len(early)}, "
                     f"passing it (only the hidden tests catch them) {len(missed_early)}")
    disagreements = {path: {n: {"expected": _path_expected(scores, path, n), path: scores[path].get(n)}
                            for n in SAMPLES if n not in names} for path, names in agree.items()}
    return {"lines": lines, "caught": len(caught), "full": len(full), "neutralised": len(neutralised),
            "agree": {p: len(n) for p, n in agree.items()}, "disagreements": disagreements}


def test_standalone_scores_every_sample_as_its_manifest_says(proof):
    """But a known weakness (`xfail_reason`, a strict expected failure of tests/test_submissions.py): the
    other paths must give its standalone scores all the same."""
    scores, *_ = proof
    wrong = {n: (scores["standalone"].get(n), _expected(n)) for n in SAMPLES
             if scores["standalone"].get(n) != _expected(n) and "xfail_reason" not in SAMPLES[n]}
    assert not wrong, f"(got, expected) per sample: {wrong}"


@pytest.mark.parametrize("path", PATHS)
def test_path_gives_the_standalone_scores(proof, path):
    if path not in RUN_PATHS:
        pytest.skip(f"PATHS_ONLY leaves out {path}")
    scores, *_ = proof
    differ = {n: (scores[path].get(n), _path_expected(scores, path, n)) for n in SAMPLES
              if scores[path].get(n) != _path_expected(scores, path, n)}
    assert not differ, f"({path}, expected) per sample: {differ}"


def test_nbgrader_autograde_command_fills_the_gradebook_as_nbgrader_cell_by_cell(proof):
    if "nbgrader" not in RUN:
        pytest.skip("PATHS_ONLY leaves out nbgrader")
    cells = proof[2]
    assert not cells, f"(nbgrader autograde, nbgrader-autograde) per grade cell: {cells}"


def test_nbgrader_shows_no_student_what_is_hidden(proof):
    if "nbgrader" not in RUN:
        pytest.skip("PATHS_ONLY leaves out nbgrader")
    leaks = proof[3]
    assert not leaks, f"not_in_feedback text in nbgrader's autograded outputs, per sample: {leaks}"


def test_classroom_public_steps_pass_correct_work_and_fail_the_stubs(proof):
    if "classroom" not in RUN:
        pytest.skip("PATHS_ONLY leaves out the Classroom")
    public = proof[1]
    correct = [n for n, s in SAMPLES.items() if s["kind"] in ("reference", "alternative")]
    failing = {n: [k for k in KEYS if not public.get(n, {}).get(k)] for n in correct
               if not all(public.get(n, {}).get(k) for k in KEYS)}
    assert not failing, f"correct work failing a public step: {failing}"
    stubs = [n for n, s in SAMPLES.items() if s["kind"] == "stub"]
    assert all(n in public and not any(public[n].values()) for n in stubs), {n: public.get(n) for n in stubs}
