"""The sample-submission corpus (tests/submissions/manifest.toml) graded end to end by `autograder grade-all`.

One batch run per tier (module fixture), then one test per sample comparing its per-part scores with the
manifest, and checks that attacks wrote nothing outside the output folder, left other students' results
alone, and that grading is reproducible. The whole corpus is slow (endless loops cost their timeouts); the
default tier grades a fast subset (`fast = true` in the manifest).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from corpus import REPO, load_manifest, materialize_all

MANIFEST = load_manifest()
FAST = [name for name, sample in MANIFEST.items() if sample.get("fast")]
PART_POINTS = {"part1": 20, "part2": 25, "part3": 20, "part4": 25}
MARKERS = [Path("/tmp/autograder-corpus-sitecustomize-ran"),  # written if a planted file were imported
           Path("/tmp/autograder-corpus-fake-torch-imported")]
SHARED_TMP = [Path("/tmp/results.json"), Path("/tmp/grades.csv")]  # where a_fake_results also writes
def _autograder(*args: str, cwd: Path, wrap: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`python -m autograder ARGS`, under `wrap` if given (a command prefix: tests/modes.py's)."""
    env = {**os.environ, "AUTOGRADER_MODELS": "offline", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([*wrap, sys.executable, "-m", "autograder", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=3600)


def _tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return [REPO / name for name in listed.decode().split("\0") if name]


def _untracked_files() -> set[str]:
    listed = subprocess.run(["git", "ls-files", "-z", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout
    return {name for name in listed.decode().split("\0") if name}


def _snapshot(paths) -> dict[str, tuple]:
    state = {}
    for path in paths:
        if path.is_file() and not path.is_symlink():
            state[str(path)] = (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    return state


def _grader_files() -> list[Path]:
    """The grader package as installed (editable: the repository's autograder/), hidden suites included."""
    import autograder

    return [p for p in Path(autograder.__file__).parent.rglob("*") if "__pycache__" not in p.parts]


def _kit_files() -> list[Path]:
    """The offline kit the grader loads its reference models from (a_tamper_kit overwrites what it finds)."""
    from autograder.models import kit

    return list(kit.ensure().rglob("*"))


class Batch:
    def __init__(self, names: list[str], root: Path, wrap: tuple[str, ...] = ()):
        self.names, self.root = names, root
        self.submissions, self.out = root / "submissions", root / "out"
        for marker in MARKERS:
            marker.unlink(missing_ok=True)
        self.folders = materialize_all(self.submissions, names)
        self.before = self._state()
        self.untracked_before = _untracked_files()
        self.shared_before = _snapshot(SHARED_TMP)
        start = time.monotonic()
        self.run = _autograder("grade-all", str(self.submissions), "--out", str(self.out), "--jobs", "2",
                               cwd=root, wrap=wrap)
        self.seconds = time.monotonic() - start
        self.after = self._state()
        self.untracked_after = _untracked_files()
        self.shared_after = _snapshot(SHARED_TMP)
        print(f"\ngraded {len(names)} samples with --jobs 2 in {self.seconds:.0f} s", file=sys.stderr)
        with open(self.out / "grades.csv", newline="") as handle:
            self.rows = {row["student_id"]: row for row in csv.DictReader(handle)}

    def _state(self) -> dict[str, dict]:
        submitted = [p for folder in self.folders.values() for p in folder.rglob("*")]
        return {"repo": _snapshot(_tracked_files()), "grader": _snapshot(_grader_files()),
                "submissions": _snapshot(submitted), "kit": _snapshot(_kit_files())}

    def results(self, name: str) -> dict:
        return json.loads((self.out / name / "results.json").read_text())


def _batch(names, tmp_path_factory) -> Batch:
    return Batch(names, tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def fast_batch(tmp_path_factory) -> Batch:
    return _batch(FAST, tmp_path_factory)


@pytest.fixture(scope="module")
def full_batch(tmp_path_factory) -> Batch:
    return _batch(list(MANIFEST), tmp_path_factory)


def sample_params(names: list[str], marks=()) -> list:
    params = []
    for name in names:
        reason = MANIFEST[name].get("xfail_reason")
        extra = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(name, id=name, marks=[*marks, *extra]))
    return params


def check_sample(batch: Batch, name: str) -> None:
    sample = MANIFEST[name]
    assert batch.run.returncode == 0, batch.run.stderr[-2000:]
    row = batch.rows.get(name)
    assert row is not None, f"{name} has no row in grades.csv"
    assert row["status"] == sample.get("status", "graded"), row
    got = {part: float(row[part] or 0) for part in PART_POINTS}
    want = {part: float(sample["expected"][part]) for part in PART_POINTS}
    mismatched = {part: (got[part], want[part]) for part in PART_POINTS if got[part] != want[part]}
    failed = [f"{t['number']} {t['name']}: {t['output']}" for t in batch.results(name)["tests"]
              if t["status"] != "passed"]
    assert not mismatched, f"{name}: (got, expected) per part {mismatched}; failed tests: {failed}"
    reports = (batch.out / name / "results.json").read_text() + (batch.out / name / "feedback.md").read_text()
    leaked = [s for s in sample.get("not_in_feedback", []) if s in reports]
    assert not leaked, f"{name}: the student's reports contain {leaked}"


@pytest.mark.parametrize("name", sample_params(FAST))
def test_fast_sample(fast_batch, name):
    check_sample(fast_batch, name)


@pytest.mark.slow
@pytest.mark.parametrize("name", sample_params(list(MANIFEST), marks=[pytest.mark.slow]))
def test_corpus_sample(full_batch, name):
    check_sample(full_batch, name)


def check_batch_integrity(batch: Batch, tmp_path: Path) -> None:
    assert batch.run.returncode == 0, batch.run.stderr[-2000:]
    assert set(batch.rows) == set(batch.names), "every student must have a row in grades.csv"
    assert [d.name for d in batch.out.iterdir() if d.is_dir()] and all(
        (batch.out / n / "results.json").is_file() for n in batch.names)
    for area in ("repo", "grader", "submissions", "kit"):
        changed = sorted(k for k in batch.before[area].keys() | batch.after[area].keys()
                         if batch.before[area].get(k) != batch.after[area].get(k))
        assert not changed, f"grading changed {area} files: {changed[:10]}"
    assert batch.untracked_after == batch.untracked_before, "new files appeared in the repository"
    stray = [p for p in batch.root.rglob("results.json") if p.parent.parent != batch.out]
    assert not stray, f"results.json outside the grader's own: {stray}"
    assert not [m for m in MARKERS if m.exists()], "a planted sitecustomize.py or torch.py was imported"
    if "solution" in batch.names:  # the sandbox takes nothing an honest notebook needs: every cell runs
        feedback = (batch.out / "solution" / "feedback.md").read_text()
        assert "did not run cleanly" not in feedback, feedback[:3000]
    # Other students are unaffected: the solution graded alone gives the same tests as in the batch.
    if "solution" in batch.names:
        alone = tmp_path / "alone"
        run = _autograder("grade", str(batch.folders["solution"]), "--out", str(alone), cwd=tmp_path)
        assert run.returncode == 0, run.stderr[-2000:]
        assert json.loads((alone / "results.json").read_text())["tests"] == batch.results("solution")["tests"]


def test_fast_batch_integrity(fast_batch, tmp_path):
    check_batch_integrity(fast_batch, tmp_path)


@pytest.mark.slow
def test_corpus_batch_integrity(full_batch, tmp_path):
    check_batch_integrity(full_batch, tmp_path)


def check_shared_tmp(batch: Batch) -> None:
    assert batch.shared_after == batch.shared_before, "a submission wrote files into the shared /tmp"


def test_fast_batch_leaves_shared_tmp_alone(fast_batch):
    check_shared_tmp(fast_batch)


@pytest.mark.slow
def test_corpus_leaves_shared_tmp_alone(full_batch):
    check_shared_tmp(full_batch)


def test_planted_modules_ignored_when_graded_from_inside_the_folder(tmp_path):
    """`autograder grade .` run inside a student's folder must not import the student's files."""
    folder = materialize_all(tmp_path / "subs", ["a_planted_files"])["a_planted_files"]
    (folder / "autograder.py").unlink()  # leave torch.py, sitecustomize.py and conftest.py
    for marker in MARKERS:
        marker.unlink(missing_ok=True)
    script = Path(sys.executable).with_name("autograder")
    env = {**os.environ, "AUTOGRADER_MODELS": "offline", "HF_HUB_OFFLINE": "1"}
    run = subprocess.run([str(script), "grade", ".", "--out", str(tmp_path / "out")], cwd=folder, env=env,
                         capture_output=True, text=True, timeout=600)
    imported = [str(m) for m in MARKERS if m.exists()]
    for marker in MARKERS:
        marker.unlink(missing_ok=True)
    assert not imported, f"the grader imported a planted file: {imported}"
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads((tmp_path / "out" / "results.json").read_text())["score"] == 0


@pytest.mark.slow  # two full gradings: 16 s of the default tier
def test_grading_is_reproducible(tmp_path):
    """The same submission graded twice: identical results.json apart from execution_time."""
    folder = materialize_all(tmp_path / "subs", ["m_softmax_no_max_shift"])["m_softmax_no_max_shift"]
    results = []
    for run in ("first", "second"):
        done = _autograder("grade", str(folder), "--out", str(tmp_path / run), cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        data = json.loads((tmp_path / run / "results.json").read_text())
        data.pop("execution_time")
        results.append(data)
    assert results[0] == results[1]


def test_manifest_is_complete():
    kinds = [sample["kind"] for sample in MANIFEST.values()]
    assert kinds.count("mistake") >= 12 and kinds.count("attack") >= 10 and kinds.count("alternative") >= 2
    for name, sample in MANIFEST.items():
        assert set(sample["expected"]) == set(PART_POINTS), name
        assert all(0 <= sample["expected"][p] <= PART_POINTS[p] for p in PART_POINTS), name
        assert sample.get("description"), name
