"""nbgrader's execution policy: ``ResilientExecute``, the Execute that ``nbgrader_config.py`` runs first.

Stock nbgrader gives every cell one timeout, leaves running whatever a cell started, and gives up on a
student's notebook when its kernel dies. ``ResilientExecute`` gives grade (hidden-test) cells a timeout of
their own; starts each kernel with limits on its memory and processes; kills, with its kernel, the processes
a cell leaves behind (a fork bomb's copies, a daemon); and restarts a kernel that died (os._exit, a
segfault, out of memory), timed out or was killed before the next cell, so that every hidden-test cell
still runs and is scored. With ``warm_grader`` (the default) it does not run the hidden-test cells at all:
it grades the student's submission with the warm grader (nbgrader_warm.py) before the kernel starts, and
answers each hidden-test cell from that grade.

It extends nbclient through its public surface only: the ``timeout_func``, ``on_cell_execute`` and
``on_cell_executed`` hooks, the ``error_on_timeout`` reply, ``async_start_new_kernel``,
``async_execute_cell``, nbconvert's ``preprocess`` and ``preprocess_cell``, and the ``km``/``kc`` it holds.
This module imports nbgrader: only ``nbgrader_config.py`` imports it, inside nbgrader, so the ``nbgrader``
extra is installed wherever it runs; the hidden-test cells import ``nbgrader_bridge``, which needs no
nbgrader.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import psutil
from jupyter_client import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Unicode

from autograder.errors import GraderFault
from autograder.integrations.nbgrader_cells import answer, by_call, hidden_call
from autograder.runner import confined_kernel
from autograder.runner.confinement import user_task_count
from autograder.runner.zygote import PR_SET_CHILD_SUBREAPER

_announced = False  # the kernels' confinement said once per run


def _kernel_limits(memory_mb: int, max_processes: int):
    """A preexec_fn for a kernel: caps on address space, on processes and threads (counted per user, so
    on top of what this user already runs) and on core files, inherited by whatever the kernel starts."""
    tasks = user_task_count(os.getuid()) + max_processes  # counted here: nothing may be slow after fork

    def limit() -> None:
        for which, value in ((resource.RLIMIT_AS, memory_mb * 2**20), (resource.RLIMIT_NPROC, tasks),
                             (resource.RLIMIT_CORE, 0)):
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(which, (value, value))

    return limit


def _size(output: NotebookNode) -> int:
    """Characters an output holds: a stream's text, a result's or display's data, an error's text."""
    if output.get("output_type") == "stream":
        return len(output.get("text", ""))
    if output.get("output_type") == "error":
        return len(output.get("evalue", "")) + sum(map(len, output.get("traceback", [])))
    return sum(len(str(value)) for value in output.get("data", {}).values())


def _is_grade_cell(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade")) and cell.get("cell_type") == "code"


def _timeout_error(timeout: int | None) -> dict:
    """The error that ends a cell which timed out (``error_on_timeout``)."""
    return {"ename": "CellTimeoutError", "evalue": f"the cell did not finish within {timeout} s",
            "traceback": [f"CellTimeoutError: this cell did not finish within {timeout} s; the kernel was "
                          "restarted for the next cells"]}


def _warm_processes() -> set[int]:
    """The warm grader's zygote and its children, if this run started one (nbgrader_warm.py): no cell's.
    Looked up, not imported: importing the grader costs every nbgrader command torch's start-up."""
    worker = sys.modules.get("autograder.grading.worker")
    return worker.processes() if worker else set()


def _reap_orphans(keep: set[int]) -> None:
    """Reap the dead among this process's children but `keep`: processes re-parented here (this process is
    a subreaper) that ended, such as a grader's or a killed fork bomb's. Unreaped, each holds its pid and
    counts against the grading user's process limit for as long as nbgrader runs."""
    for proc in psutil.Process().children():
        if proc.pid not in keep:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(proc.pid, os.WNOHANG)


def _leftovers(kernel: int) -> bool:
    """Whether the kernel has live processes of its own, or live orphans of them were re-parented here."""
    keep = {kernel, *_warm_processes()}  # the warm grader's are no cell's

    def live(procs) -> bool:
        return any(p.pid not in keep and p.status() != psutil.STATUS_ZOMBIE for p in procs)

    with contextlib.suppress(psutil.Error):
        if live(psutil.Process(kernel).children()):
            return True
    with contextlib.suppress(psutil.Error):
        return live(psutil.Process().children())
    return False


def _kill_descendants(keep: set[int]) -> int:
    """SIGKILL every descendant of this process but those in `keep`, and reap the dead that are (or were
    re-parented to be) its own children: how many descendants, zombies included, are still there."""
    me = psutil.Process()
    for proc in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if proc.pid not in keep and proc.status() != psutil.STATUS_ZOMBIE:
                proc.kill()
    _reap_orphans(keep)
    return sum(proc.pid not in keep for proc in me.children(recursive=True))


class ConfinedKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager, starting (and restarting) its kernel through
    runner/confined_kernel.py, which confines the kernel before it runs any cell."""

    scratch = Unicode(help="the kernel's only writable folder")
    hide = List(Unicode(), help="folders the kernel may not read: the course's")
    memory_mb = Integer(8192)
    max_processes = Integer(256)

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        return confined_kernel.command(super().format_kernel_cmd(extra_arguments), self.scratch, self.hide,
                                       self.memory_mb, self.max_processes)


def _announce(scratch: str, log) -> None:
    """Say once per run what the kernels got (confined_kernel.py's report), as grade-all says it."""
    global _announced
    if _announced:
        return
    from autograder.grading.batch import confinement_notice  # loaded already by the warm grader

    with contextlib.suppress(OSError, ValueError):
        layers = json.loads(Path(scratch, confined_kernel.REPORT).read_text())
        confined, weak = confinement_notice(layers, confined_kernel.KERNEL_GUARANTEES, "Kernels run confined")
        log.info("%s", confined)
        if weak:
            log.warning("%s", weak)
        _announced = True


class ResilientExecute(Execute):
    """nbgrader's Execute, plus: grade cells get their own (longer) timeout; each kernel starts with limits
    on its memory and processes; a cell that leaves processes behind has them killed with its kernel; and a
    kernel that died, timed out or was killed is restarted before the next cell.

    nbclient's hooks are methods here, as nbgrader's Execute makes ``on_cell_executed`` one: they are the
    policy itself, not settings that a course's configuration could replace."""

    hidden_cell_timeout = Integer(1800, help="seconds for a grade (hidden-test) cell").tag(config=True)
    kernel_memory_mb = Integer(8192, help="address space of each kernel and of every process it starts, in "
                               "MiB (a memory bomb fails there)").tag(config=True)
    kernel_max_processes = Integer(256, help="processes and threads a kernel may add; the kernel ignores "
                                   "this limit for root").tag(config=True)
    max_cell_output = Integer(1_000_000, help="characters of output kept per cell; the rest is dropped, "
                              "with a note (a cell printing without end cannot fill nbgrader's memory, the "
                              "autograded notebook or the feedback)").tag(config=True)
    warm_grader = Bool(True, help="answer the hidden-test cells from one grader kept warm for the whole run "
                       "(nbgrader_warm.py); False: each notebook's hidden cells start the standalone grader "
                       "from the kernel").tag(config=True)
    _restart = False  # the kernel died, timed out or was killed: restart it before the next cell runs
    _tests: dict | None = None  # the warm grader's results for the notebook being run, by hidden-cell call
    _scratch: str | None = None  # the confined kernel's own folder, for the notebook being run
    _output_left = 0  # characters of output the running cell may still add (max_cell_output)

    def preprocess(self, nb, resources=None, km=None):
        """nbconvert's, after grading the student's submission with the warm grader if the notebook has
        hidden-test cells: before the kernel runs any of the student's code. In an autograde with the warm
        grader, the kernel is a confined one (runner/confined_kernel.py): no hidden-test cell runs in it,
        so nothing of the course need be in its reach."""
        self._tests = None
        calls = [call for call in map(hidden_call, nb.cells) if call]
        autograde = "nbgrader" in (resources or {})  # not a validate
        if self.warm_grader and calls and autograde:
            from autograder.integrations.nbgrader_warm import warm_grade

            about = resources["nbgrader"]
            grade = warm_grade(self.config, about["student"], about["assignment"], calls[0][0], self.log)
            self._tests = by_call(grade)
        if not (self.warm_grader and autograde):
            if autograde:
                self.log.warning("The kernel runs unconfined (warm_grader=False): student code can read the "
                                 "course's hidden tests and write its gradebook")
            return super().preprocess(nb, resources, km)
        self._scratch, manager = tempfile.mkdtemp(prefix="autograder-kernel-"), self.kernel_manager_class
        self.kernel_manager_class = ConfinedKernelManager
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self.kernel_manager_class = manager
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def preprocess_cell(self, cell, resources, index):
        """A hidden-test cell is answered from the warm grader's results, not run; any other cell runs."""
        if self._tests is not None and answer(cell, self._tests, resources["nbgrader"]["student"]):
            return cell, resources
        return super().preprocess_cell(cell, resources, index)

    def timeout_func(self, cell) -> int | None:
        """nbclient's per-cell timeout: a grade cell grades a whole part, any other cell gets ``timeout``."""
        return self.hidden_cell_timeout if _is_grade_cell(cell) else self.timeout

    async def async_start_new_kernel(self, **kwargs) -> None:
        """nbclient's, with this policy's limits on the kernel (set by the confined kernel itself, or else
        before it starts), and this process made the subreaper of the kernel's orphans, where
        ``_end_leftovers`` finds them."""
        if isinstance(self.km, ConfinedKernelManager):
            self.km.scratch, self.km.hide = self._scratch, [self._course_root()]
            self.km.memory_mb, self.km.max_processes = self.kernel_memory_mb, self.kernel_max_processes
        else:
            if os.geteuid() == 0:
                self.log.warning("Grading as root: kernels have no process limit, and student code can write "
                                 "anything on this machine; run nbgrader as an unprivileged user")
            kwargs.setdefault("preexec_fn", _kernel_limits(self.kernel_memory_mb, self.kernel_max_processes))
        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        await super().async_start_new_kernel(**kwargs)

    async def async_start_new_kernel_client(self):
        """nbclient's; a confined kernel that refused to start (confined_kernel.py's policy) is a
        GraderFault that says why, not nbclient's "kernel died"."""
        try:
            client = await super().async_start_new_kernel_client()
        except RuntimeError:
            refused = Path(self._scratch or "", confined_kernel.REFUSED)
            if self._scratch and refused.is_file():
                raise GraderFault(refused.read_text()) from None
            raise
        if self._scratch:
            _announce(self._scratch, self.log)
        return client

    # nbclient binds its sync entry points to its own coroutines, and nbconvert's preprocess calls those.
    start_new_kernel = run_sync(async_start_new_kernel)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def _course_root(self) -> str:
        from autograder.integrations.nbgrader_warm import course_root  # loaded already by an autograde

        return str(course_root(self.config))

    async def on_cell_execute(self, cell, cell_index) -> None:
        """Just before a cell runs: a fresh kernel if the last one is gone or stuck, and the error that
        ends this cell if it times out. nbclient, interrupting on timeout, replies ``error_on_timeout`` at
        once instead of waiting again, and forever, for a reply that a cell swallowing the interrupt never
        sends; it is set per cell, to say the cell's own timeout."""
        if self._restart:
            await self._restart_kernel()
        self.error_on_timeout = _timeout_error(self.timeout_func(cell))
        self._output_left = self.max_cell_output

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's, until the cell's outputs reach ``max_cell_output`` characters (counted as they come,
        cleared ones too); then one note, and nothing more from this cell."""
        if self._output_left <= 0:
            return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is not None:
            self._output_left -= _size(out)
            if self._output_left <= 0:
                cap = self.max_cell_output
                self.log.warning("A cell's output passed %d characters: the rest is dropped", cap)
                outs.append(NotebookNode(output_type="stream", name="stderr", text=(
                    f"\n[output truncated: this cell printed more than {cap} characters]\n")))
        return out

    def on_cell_executed(self, **kwargs) -> None:
        """Once a cell replied: nbgrader's hook (which records the timeout's error in the cell), then a
        restart for the next cell if it timed out (the interrupt may not have stopped it: a loop that
        swallows it), and the end of any process it left. Grade cells are not checked: a hidden cell's
        grader may still be exiting, and that is no student's leftover."""
        super().on_cell_executed(**kwargs)
        cell, content = kwargs["cell"], kwargs["execute_reply"]["content"]
        # Only the reply nbclient made up matches in full: a cell that raises a CellTimeoutError of its own
        # did not time out.
        if all(content.get(key) == value for key, value in self.error_on_timeout.items()):
            self._restart = True
        if not _is_grade_cell(cell):
            self._end_leftovers(cell)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        """nbclient's, but a kernel that dies in a cell ends that cell, not the notebook. nbclient raises
        DeadKernelError and calls no hook, so this is the one place to catch it."""
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except DeadKernelError:
            self.log.warning("The kernel died in cell %s", cell_index)
            cell.outputs.append(NotebookNode(
                output_type="error", ename="DeadKernelError", evalue="the kernel died in this cell",
                traceback=["DeadKernelError: the kernel died while running this cell (os._exit, a crash or "
                           "out of memory); it was restarted for the next cells"]))
            self._restart = True
            if not _is_grade_cell(cell):
                self._end_leftovers(cell)
            return cell

    execute_cell = run_sync(async_execute_cell)  # what nbconvert's preprocess_cell calls

    def _end_leftovers(self, cell) -> None:
        """After a student's code cell: kill the kernel, its process group and every other process its
        cells started, if any of them outlived the cell: killed processes stay (as zombies the kernel never
        reaps) and count against the process limit until the kernel goes too."""
        kernel = getattr(self.km.provisioner, "process", None) if self.km else None
        if kernel is None:
            return
        _reap_orphans(keep={kernel.pid, *_warm_processes()})
        if not _leftovers(kernel.pid):
            return
        self.log.warning("A cell left processes running: killing them and restarting the kernel")
        with contextlib.suppress(OSError):
            os.killpg(kernel.pid, signal.SIGKILL)  # the kernel leads its own session and group
        for _ in range(500):  # until none is left, zombies too: they hold their pids until reaped
            if not _kill_descendants(keep={kernel.pid, *_warm_processes()}):
                break
            time.sleep(0.01)
        cell.outputs.append(NotebookNode(
            output_type="error", ename="LeftoverProcesses", evalue="processes outlived this cell",
            traceback=["LeftoverProcesses: this cell left processes running; they were killed with the "
                       "kernel, which was restarted for the next cells"]))
        self._restart = True

    async def _restart_kernel(self) -> None:
        """A fresh kernel and client for the remaining cells, with jupyter_client's own restart (which
        starts it as the first one was, limits included)."""
        self.log.warning("Restarting the kernel for the remaining cells")
        with contextlib.suppress(Exception):  # the old channels may already be gone
            self.kc.stop_channels()
        await ensure_async(self.km.restart_kernel(now=True))
        self.kc = self.km.client()
        await ensure_async(self.kc.start_channels())
        await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))
        self.kc.allow_stdin = False
        self._restart = False
