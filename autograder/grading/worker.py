"""This process's grading worker: its warm zygote (one per process, inherited by `--jobs` workers forked
from it), the workers, and grading one student with it."""

from __future__ import annotations

import gc
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import psutil

from autograder.course import Lab
from autograder.grading import reports
from autograder.grading.grade import grade_submission
from autograder.grading.results import Grade
from autograder.grading.submission import Submission
from autograder.runner.spawner import Zygote

_zygote: Zygote | None = None  # the grader's, inherited by its --jobs workers
_lab = ""  # the lab it serves


def zygote(lab: Lab, models: str, hide: tuple[Path, ...] = ()) -> Zygote:
    """This process's zygote for `lab`, started on first use (again if it died, or if another lab's is
    running), whose children never see `hide` nor the lab's secrets; while it warms up, this process loads
    its own reference models, so the two start-up costs overlap."""
    global _zygote, _lab
    if _zygote is not None and (_lab != lab.id or _running() is None):
        close()  # another lab's, or killed (under nbgrader, a student's kernel can kill it between notebooks)
    if _zygote is None:
        _lab = lab.id
        from autograder.models import load_pair

        _zygote = Zygote(models, hide=(*lab.secrets, *hide), roles=lab.roles, forbidden=lab.forbidden)
        for role in lab.roles:
            load_pair(role, spec=models, default="offline")
    return _zygote


def grade_one(student: str, submission: Submission, out: Path, models: str,
              hide: tuple[Path, ...] = ()) -> Grade:
    """Grade and write one student's reports; children never see `hide` (the class's folders)."""
    grade = grade_submission(student, submission, zygote(submission.lab, models, hide), models)
    reports.write_student(out, grade)
    return grade


def fork_workers(lab: Lab, jobs: int, models: str, hide: tuple) -> ProcessPoolExecutor | None:
    """`jobs` worker processes forked from this one once it holds the warm zygote and the reference models:
    they share those pages copy-on-write, and share the zygote itself, so a worker adds little more than
    its own pytest sessions. None for one job (this process grades)."""
    if jobs <= 1:
        return None
    # Forked workers must not inherit thread pools: one torch thread each (they run side by side), and no
    # tokenizer threads.
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    import torch

    torch.set_num_threads(1)
    zygote(lab, models, hide).share()
    gc.freeze()  # the collector would otherwise touch, and so copy, every shared object in every worker
    pool = ProcessPoolExecutor(jobs, mp_context=get_context("fork"))
    pool.submit(int).result()  # a fork pool starts all its workers at the first task: now, thread-free
    return pool


def _running() -> psutil.Process | None:
    """The zygote's process while it runs (psutil, not Popen.poll: a --jobs worker, which did not start
    it, cannot wait for it)."""
    if _zygote is None:
        return None
    try:
        root = psutil.Process(_zygote.process.pid)
        return None if root.status() == psutil.STATUS_ZOMBIE else root
    except psutil.Error:
        return None


def processes() -> set[int]:
    """The pids of the zygote and of the children it forked, if it is running."""
    root = _running()
    try:
        return {root.pid, *(child.pid for child in root.children(recursive=True))} if root else set()
    except psutil.Error:
        return set()


def close() -> None:
    global _zygote
    if _zygote is not None:
        _zygote.close()
        _zygote = None
