"""The nbgrader side of the lab: what its hidden-test cells call, and an Execute that survives dead kernels.

``hidden_test(part_stem, test_id)`` runs in the student's kernel during ``nbgrader autograde``. It does not
compare anything in that kernel, where the student's code has already run (a patched ``torch.allclose``,
objects whose ``__eq__`` is always true...). The first call for a part grades that part's notebook file
in the kernel's working folder (nbgrader runs the kernel in ``autograded/<student>/<lab>/``, next to the
notebook it is executing) with the standalone grader, ``python -I -m autograder grade FILE``, in a fresh
process with a scrubbed environment, and keeps its ``results.json`` for the kernel's life. Each call then
reports one test, found by its function name (``results.json`` ``tests[].test_id``): it prints
``✓ <name> (<points> / <points> points)``, or raises ``AssertionError("<name>: <message> ...")`` whose
traceback holds nothing but the cell's own two lines. So nbgrader scores each test as the standalone
grader does, and its feedback shows names, points and messages, never the hidden suite or expected values.

Known limit: the student's code runs earlier in the same kernel, so it could replace this module's
functions or change the environment the grader starts with; ``autograder grade-all`` on the submitted
folders, which never runs student code next to the tests, is the authoritative grade.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

# stderr that transformers, torch, tokenizers and huggingface_hub print on their own (nbgrader's IgnorePattern
# drops a stderr output that matches, so that a warning does not zero a test cell). Literals only, no
# leading `\w*`: re.search tries every position, and a repeat there is quadratic on a long stderr.
TRANSFORMERS_STDERR = (
    r"(?i)(warnings?\.warn|Warning: |^\s*warn\(|Setting `pad_token_id`|Some weights of |were not "
    r"initialized|newly initialized|You should probably TRAIN|generation flags are not valid|"
    r"attention mask|`torch_dtype` is deprecated|is deprecated|huggingface/tokenizers|TOKENIZERS_PARALLELISM|"
    r"Xet Storage|unauthenticated requests|Loading checkpoint|Loading weights|transformers)"
)

GRADE_TIMEOUT = 1700  # seconds for grading one part; below the nbgrader hidden-cell timeout (1800)
_PASS_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "HF_HOME", "HF_HUB_CACHE",
                 "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME", "AUTOGRADER_KIT_DIR", "OMP_NUM_THREADS",
                 "AUTOGRADER_LABS")
_BRIDGE_FLAG = "AUTOGRADER_NBGRADER_BRIDGE"

_results: dict[str, dict[str, dict] | str] = {}  # part stem -> test_id -> test, or why grading failed


def _lab_part(part_stem: str):
    """(lab, part) of the one lab found (see autograder.labs) that has a part `part_stem`."""
    from autograder.course import available, find

    owners = [(lab, part) for lab in map(find, available()) for part in lab.parts
              if part.stem == part_stem]
    if len(owners) != 1:
        raise AssertionError(f"{part_stem} is a part of {len(owners)} labs here, not of exactly one")
    return owners[0]


def _starting_environment() -> dict[str, str]:
    """This process's environment as it was started (``/proc/self/environ``): what nbgrader gave the
    kernel, not what the notebook's cells have since put in ``os.environ``. ``os.environ`` without /proc."""
    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return dict(os.environ)
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(errors="replace"): value.decode(errors="replace") for key, value in pairs}


def grader_environment() -> dict[str, str]:
    """The environment of the grading process: a few variables of the kernel's starting environment,
    never PYTHON* ones (a notebook that sets AUTOGRADER_MODELS or HF_HOME changes nothing)."""
    start = _starting_environment()
    env = {key: start[key] for key in _PASS_THROUGH if key in start}
    env.setdefault("PATH", os.defpath)
    env.update(AUTOGRADER_MODELS=start.get("AUTOGRADER_MODELS") or "offline", HF_HUB_OFFLINE="1",
               HF_HUB_DISABLE_PROGRESS_BARS="1", TRANSFORMERS_VERBOSITY="error",
               **{_BRIDGE_FLAG: "1"})
    return env


def grade_part(part_stem: str, folder: Path | None = None) -> dict[str, dict] | str:
    """Grade ``<folder>/<part_stem>.ipynb`` (default: the working folder) with the standalone grader:
    test_id -> its results.json test, or a message saying why grading failed."""
    lab, part = _lab_part(part_stem)
    notebook = (folder or Path.cwd()) / f"{part_stem}.ipynb"
    if not notebook.is_file():
        return f"the notebook {notebook.name} was not found next to the kernel ({notebook.parent})"
    with tempfile.TemporaryDirectory(prefix="autograder-nbgrader-") as tmp:
        work = Path(tmp)
        (work / "submission").mkdir()
        copy = work / "submission" / notebook.name
        shutil.copyfile(notebook, copy)  # a frozen copy: the kernel cannot change what is graded
        command = [sys.executable, "-I", "-m", "autograder", "grade", str(copy), "--out", str(work / "out"),
                   "--lab", lab.id]
        try:
            done = subprocess.run(command, cwd=work, env=grader_environment(), stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=GRADE_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            return f"grading {notebook.name} took longer than {GRADE_TIMEOUT} s"
        results_file = work / "out" / "results.json"
        if done.returncode != 0 or not results_file.is_file():
            last = (done.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
            return (f"the grader failed on {notebook.name} (exit code {done.returncode}: {last[:300]}); a "
                    "fault of the grader, not of the notebook: this score is not the student's, regrade it "
                    "once the grader is fixed")
        results = json.loads(results_file.read_text(encoding="utf-8"))
    tests = {}
    for test in results.get("tests", []):
        if str(test.get("number", "")).split(".")[0] == str(part.number):
            if not test.get("test_id"):
                return "the grader's results.json has no test_id: update the autograder package"
            tests[test["test_id"]] = test
    return tests


def _fail(message: str) -> None:
    """Raise the failure from a frame of its own: IPython always shows the frame that raised, and this
    one's line says nothing more than the message."""
    raise AssertionError(message) from None


def hidden_test(part_stem: str, test_id: str) -> None:
    """Report hidden test ``test_id`` of ``part_stem`` for the notebook this kernel runs: print a line when
    it passed, raise AssertionError with the grader's message when it failed."""
    __tracebackhide__ = True  # IPython then shows only the cell's line
    if os.environ.get(_BRIDGE_FLAG) == "1":
        _fail("hidden tests do not run inside the grader")
    if part_stem not in _results:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _results[part_stem] = grade_part(part_stem)
    results = _results[part_stem]
    if isinstance(results, str):
        _fail(f"{test_id}: {results}")
    test = results.get(test_id)
    if test is None:
        _fail(f"{test_id}: the grader did not report this test")
    points = float(test.get("max_score", 0))
    if test.get("status") == "passed":
        print(f"✓ {test['name']} ({points:g} / {points:g} point{'s' * (points != 1)})")
        return None
    _fail(f"{test['name']}: {test.get('output') or 'failed'} (0 / {points:g} point{'s' * (points != 1)})")


def _names(code) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


def implemented(function: str) -> None:
    """The visible half of a hidden-test cell: fail while ``function`` is still the stub (so that
    ``nbgrader validate --invert`` fails every test of the release); a no-op under ``nbgrader autograde``,
    where only the hidden test decides the score."""
    __tracebackhide__ = True
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        return None
    fn = sys._getframe(1).f_globals.get(function)
    if fn is None:
        raise AssertionError(f"{function} is not defined: run the cell that defines it first") from None
    code = getattr(fn, "__code__", None)
    if code is not None and "NotImplementedError" in _names(code):
        raise AssertionError(f"{function} still raises NotImplementedError: replace that line with your "
                             "code; its hidden tests run when your notebook is graded") from None
    print(f"{function} is written: its hidden tests run when your notebook is graded.")
    return None


def _kernel_limits(memory_mb: int, max_processes: int):
    """A preexec_fn for a kernel: caps on address space, on processes and threads (counted per user, so
    on top of what this user already runs) and on core files, inherited by whatever the kernel starts."""
    from autograder.runner.confinement import user_task_count

    tasks = user_task_count(os.getuid()) + max_processes  # counted here: nothing may be slow after fork

    def limit() -> None:
        for which, value in ((resource.RLIMIT_AS, memory_mb * 2**20), (resource.RLIMIT_NPROC, tasks),
                             (resource.RLIMIT_CORE, 0)):
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(which, (value, value))

    return limit


def _is_grade_cell(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade")) and cell.get("cell_type") == "code"


def _reap_orphans(keep: set[int]) -> None:
    """Reap the dead among this process's children but `keep`: processes re-parented here (this process is
    a subreaper) that ended, such as a grader's or a killed fork bomb's. Unreaped, each holds its pid and
    counts against the grading user's process limit for as long as nbgrader runs."""
    import psutil

    for proc in psutil.Process().children():
        if proc.pid not in keep:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(proc.pid, os.WNOHANG)


def _leftovers(kernel: int) -> bool:
    """Whether the kernel has live processes of its own, or live orphans of them were re-parented here."""
    import psutil

    def live(procs) -> bool:
        return any(p.pid != kernel and p.status() != psutil.STATUS_ZOMBIE for p in procs)

    with contextlib.suppress(psutil.Error):
        if live(psutil.Process(kernel).children()):
            return True
    with contextlib.suppress(psutil.Error):
        return live(psutil.Process().children())
    return False


def _kill_descendants(keep: set[int]) -> int:
    """SIGKILL every descendant of this process but those in `keep`, and reap the dead that are (or were
    re-parented to be) its own children: how many descendants, zombies included, are still there."""
    import psutil

    me = psutil.Process()
    for proc in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if proc.pid not in keep and proc.status() != psutil.STATUS_ZOMBIE:
                proc.kill()
    _reap_orphans(keep)
    return sum(proc.pid not in keep for proc in me.children(recursive=True))


def _execute_class():
    """ResilientExecute, built on first use so that importing this module does not import nbgrader: only
    nbgrader_config.py calls this, inside nbgrader, so the `nbgrader` extra (which brings jupyter_core and
    traitlets too) is installed wherever it runs; a plain install never imports them."""
    from jupyter_core.utils import ensure_async, run_sync
    from nbclient.exceptions import DeadKernelError
    from nbformat import NotebookNode
    from nbgrader.preprocessors import Execute
    from traitlets import Integer

    from autograder.runner.zygote import PR_SET_CHILD_SUBREAPER

    class ResilientExecute(Execute):
        """nbgrader's Execute, plus: grade cells get their own (longer) timeout; each kernel starts with
        limits on its memory and processes; a cell that leaves processes behind (a fork bomb's copies, a
        daemon) has them killed with its kernel; and a kernel that died (os._exit, a segfault, out of
        memory), timed out or was killed is restarted before the next cell, so that every hidden-test cell
        still runs and is scored."""

        hidden_cell_timeout = Integer(1800, help="seconds for a grade (hidden-test) cell").tag(config=True)
        kernel_memory_mb = Integer(8192, help="address space of each kernel and of every process it "
                                   "starts, in MiB (a memory bomb fails there)").tag(config=True)
        kernel_max_processes = Integer(256, help="processes and threads a kernel may add; the kernel "
                                       "ignores this limit for root").tag(config=True)
        _restart = False

        async def async_start_new_kernel(self, **kwargs):
            if os.geteuid() == 0:
                self.log.warning("Grading as root: kernels have no process limit, and student code can "
                                 "write anything on this machine; run nbgrader as an unprivileged user")
            kwargs.setdefault("preexec_fn", _kernel_limits(self.kernel_memory_mb, self.kernel_max_processes))
            # Orphans of the kernel's processes come to this process, where _end_leftovers finds them.
            ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
            return await super().async_start_new_kernel(**kwargs)

        start_new_kernel = run_sync(async_start_new_kernel)

        def _end_leftovers(self, cell) -> None:
            """After a student's code cell: kill the kernel, its process group and every other process its
            cells started, if any of them outlived the cell: killed processes stay (as zombies the kernel
            never reaps) and count against the process limit until the kernel goes too."""
            kernel = getattr(self.km.provisioner, "process", None) if self.km else None
            if kernel is None:
                return
            _reap_orphans(keep={kernel.pid})
            if not _leftovers(kernel.pid):
                return
            self.log.warning("A cell left processes running: killing them and restarting the kernel")
            with contextlib.suppress(OSError):
                os.killpg(kernel.pid, signal.SIGKILL)  # the kernel leads its own session and group
            for _ in range(500):  # until none is left, zombies too: they hold their pids until reaped
                if not _kill_descendants(keep={kernel.pid}):
                    break
                time.sleep(0.01)
            cell.outputs.append(NotebookNode(
                output_type="error", ename="LeftoverProcesses", evalue="processes outlived this cell",
                traceback=["LeftoverProcesses: this cell left processes running; they were killed with the "
                           "kernel, which was restarted for the next cells"]))
            self._restart = True

        def _get_timeout(self, cell):
            if cell is not None and _is_grade_cell(cell):
                return self.hidden_cell_timeout
            return super()._get_timeout(cell)

        async def _async_handle_timeout(self, timeout, cell=None):
            await super()._async_handle_timeout(timeout, cell)
            self._restart = True  # the interrupt may not have stopped it (a loop that swallows it)
            # End the cell now: nbclient would otherwise wait again, and forever, for a reply that a cell
            # swallowing the interrupt never sends.
            error = {"ename": "CellTimeoutError", "evalue": f"the cell did not finish within {timeout} s",
                     "traceback": [f"CellTimeoutError: this cell did not finish within {timeout} s; the "
                                   "kernel was restarted for the next cells"]}
            if cell is not None:
                cell.outputs.append(NotebookNode(output_type="error", **error))
            return {"content": {**error, "status": "error"}}

        async def _async_restart_kernel(self):
            self.log.warning("Restarting the kernel for the remaining cells")
            with contextlib.suppress(Exception):  # the old channels may already be gone
                self.kc.stop_channels()
            await ensure_async(self.km.restart_kernel(now=True))
            self.kc = self.km.client()
            await ensure_async(self.kc.start_channels())
            await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))
            self.kc.allow_stdin = False
            self._restart = False

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if self._restart and cell.cell_type == "code" and cell.source.strip():
                await self._async_restart_kernel()
            try:
                cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            except DeadKernelError:
                self.log.warning("The kernel died in cell %s", cell_index)
                cell.outputs.append(NotebookNode(
                    output_type="error", ename="DeadKernelError", evalue="the kernel died in this cell",
                    traceback=["DeadKernelError: the kernel died while running this cell (os._exit, a crash "
                               "or out of memory); it was restarted for the next cells"]))
                self._restart = True
            # Only cells that ran can leave processes; a hidden cell's grader may still be exiting.
            if cell.cell_type == "code" and cell.source.strip() and not _is_grade_cell(cell):
                self._end_leftovers(cell)
            return cell

        execute_cell = run_sync(async_execute_cell)

    return ResilientExecute


def __getattr__(name: str):
    if name == "ResilientExecute":
        cls = _execute_class()
        globals()[name] = cls
        return cls
    raise AttributeError(name)
