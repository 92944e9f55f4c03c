"""The red-team corpus and the honest corpus, graded in each of the four confinement modes (tests/modes.py).

In every mode: each attack scores what its manifest says (no more than the honest rest of its notebook),
each honest sample and alternative its full marks; grading changes no file of the repository, the grader,
the kit or the submissions; no System V shared memory and no process of a child outlives the batch; and
every student's results record a confinement that lacks no guarantee. Slow (a batch per mode), as root.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
from corpus import REPO
from test_submissions import MANIFEST, Batch, check_batch_integrity, check_sample, sample_params

from autograder.runner import landlock
from autograder.runner.confinement import CHILD_UID_BASE, missing

MODES_PY = REPO / "tests" / "modes.py"
NOBODY = 65534  # the unprivileged mode's user (tests/modes.py)
SAMPLES = [name for name, sample in MANIFEST.items()
           if sample["kind"] in ("reference", "alternative", "attack")]
# What each mode's children must get, beyond lacking no guarantee.
EXPECTED = {"root": {"namespaces": "direct", "user": "own"},
            "unprivileged": {"namespaces": "user namespace", "user": "the grader's"},
            "root-without-sys-admin": {"namespaces": "user namespace", "user": "own"},
            "no-user-namespaces": {"mounts": "missing: no namespaces", "user": "own"}}

UTIL_LINUX = shutil.which("setpriv") and shutil.which("unshare")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0 or not UTIL_LINUX,
                                 reason="the modes are made as root, with util-linux setpriv and unshare")]


def _sysv_segments() -> set[str]:
    with open("/proc/sysvipc/shm") as table:
        return {line.split()[1] for line in list(table)[1:]}


def _children_left() -> list[psutil.Process]:
    """Orphans (re-parented to init) of a child's user (its own id as root, or 65534), still alive a few
    seconds after the batch: anything a child left behind. Other graders on the machine keep parents."""
    def left():
        found = []
        for proc in psutil.process_iter(["uids", "ppid", "status"]):
            uid = proc.info["uids"].real if proc.info["uids"] else -1
            if proc.info["ppid"] == 1 and (uid >= CHILD_UID_BASE or uid == NOBODY) and \
                    proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(proc)
        return found

    for _ in range(50):
        if not (found := left()):
            return []
        time.sleep(0.1)
    return found


@pytest.fixture(scope="module", params=list(EXPECTED))
def mode_batch(request):
    """One grade-all batch of SAMPLES in the mode, from a folder and a model kit every mode's user can
    read (the unprivileged one is user 65534)."""
    mode = request.param
    if mode == "no-user-namespaces" and landlock.abi() < 1:
        pytest.skip("without Landlock and without namespaces the grader rightly refuses to grade")
    from autograder.models import kit

    root = Path(tempfile.mkdtemp(prefix=f"autograder-mode-{mode}-"))
    shared_kit = root / "kit"
    shutil.copytree(kit.ensure().parent, shared_kit / kit.ensure().parent.name)
    (root / "home").mkdir()
    for path in [root, *root.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)
    saved = {k: os.environ.get(k) for k in ("AUTOGRADER_KIT_DIR", "HOME", "PYTHONDONTWRITEBYTECODE")}
    os.environ.update(AUTOGRADER_KIT_DIR=str(shared_kit), HOME=str(root / "home"),
                      PYTHONDONTWRITEBYTECODE="1")
    segments, workdirs = _sysv_segments(), set(Path("/tmp").glob("autograder-child-*"))
    try:
        batch = Batch(SAMPLES, root, wrap=(sys.executable, str(MODES_PY), mode))
        batch.mode, batch.segments_before, batch.segments_after = mode, segments, _sysv_segments()
        batch.left = _children_left()
        batch.workdirs_left = sorted(set(Path("/tmp").glob("autograder-child-*")) - workdirs)
        yield batch
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("name", sample_params(SAMPLES))  # a known weakness stays a strict expected failure
def test_sample_in_every_mode(mode_batch, name):
    check_sample(mode_batch, name)


def test_confinement_recorded_and_complete(mode_batch):
    for name in SAMPLES:
        layers = mode_batch.results(name)["extra_data"]["confinement"]
        assert not missing(layers), (mode_batch.mode, name, layers)
        for layer, value in EXPECTED[mode_batch.mode].items():
            assert layers[layer] == value, (mode_batch.mode, layer, layers)
    assert "Student code runs confined:" in mode_batch.run.stderr


def test_nothing_changed_and_nothing_left(mode_batch, tmp_path):
    check_batch_integrity(mode_batch, tmp_path)
    assert mode_batch.segments_after == mode_batch.segments_before, "System V shared memory outlived grading"
    assert not mode_batch.left, f"processes of the children outlived grading: {mode_batch.left}"
    assert not mode_batch.workdirs_left, f"working folders left in /tmp: {mode_batch.workdirs_left}"
