"""A Jupyter kernel that confines itself before it runs any cell: how ``nbgrader autograde`` runs students'
notebooks (``ResilientExecute`` starts every kernel through it).

    python -m autograder.runner.confined_kernel --scratch DIR --hide COURSE [--memory-mb N]
        [--max-processes N] -- -m ipykernel_launcher -f CONNECTION_FILE

In its own fresh process, before the kernel's module is even imported: resource limits; every capability
dropped and no way to gain one; a Landlock allow-list (reading Python, its packages, the grader minus its
hidden suites, the kit, the system's libraries and settings (as root, only the files of /etc every user may
read), the notebook's own folder and the connection file; writing only `DIR`; binding TCP only to the
kernel's own ports, connecting nowhere; no signal to or trace of the grader); a seccomp filter
(confinement's, with IPv4 stream sockets left for the kernel's own); a clean environment whose home and
temporary folders are `DIR`, and standard streams on /dev/null (the grader's terminal is not the
kernel's). What it got is written to `DIR/confinement.json`; where a guarantee of KERNEL_GUARANTEES is
missing it refuses to start (exit 3, the reason in `DIR/refused.txt` and on stderr), unless weak isolation
is allowed. Unlike a grading child it has no namespaces: its client reaches it over TCP. A kernel cannot
grade: the hidden suites are out of its reach, so its notebooks' hidden-test cells are answered by the
warm grader (integrations/nbgrader_warm.py).
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import stat
import sys
import types
from pathlib import Path

from autograder.runner import confinement, landlock, syscall_filter
from autograder.runner.hidden import grader_secrets

REPORT, REFUSED = "confinement.json", "refused.txt"
REFUSED_EXIT = 3


def _landlock_from(abi: int) -> tuple:
    """The ways Landlock ABI `abi` or later gives a guarantee (confinement.missing matches prefixes)."""
    return tuple(("landlock", f"ABI {version}") for version in range(abi, 20))


# What a kernel gets, by the layers that give it: confinement.GUARANTEES, without namespaces.
KERNEL_GUARANTEES = {
    "hidden folders unreadable": (("landlock", "ABI"),),
    "nothing written outside its folder": (("landlock", "ABI"),),
    "no network": _landlock_from(4),
    "cannot signal or trace the grader": _landlock_from(6),
    "no capabilities": (("capabilities", "none"),),
    "no mount, namespace, ptrace or exec calls": (("seccomp", ""),),
    "resource limits": (("limits", "set"),),
}
_KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_", "PYTHONPATH", "VIRTUAL_ENV", "AUTOGRADER_", "HF_",
                     "TRANSFORMERS_", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "JPY_", "PYDEVD_")


def command(kernel_argv: list[str], scratch: str, hide: list[str], memory_mb: int,
            max_processes: int) -> list[str]:
    """`kernel_argv` (a kernel spec's, formatted: ``python -m MODULE ...``) started through this module.
    ValueError for a kernel that is not a Python module run with ``-m``: it cannot be confined."""
    if len(kernel_argv) < 3 or kernel_argv[1] != "-m":
        raise ValueError(f"cannot confine a kernel not started as `python -m MODULE`: {kernel_argv}")
    options = ["--scratch", scratch, "--memory-mb", str(memory_mb), "--max-processes", str(max_processes)]
    options += [arg for path in hide for arg in ("--hide", str(path))]
    return [kernel_argv[0], "-m", __name__, *options, "--", *kernel_argv[1:]]


def connection_file(kernel_args: list[str]) -> str:
    """The ``-f`` argument a Jupyter kernel is given."""
    for i, arg in enumerate(kernel_args):
        if arg in ("-f", "--f") and i + 1 < len(kernel_args):
            return kernel_args[i + 1]
        if arg.startswith(("-f=", "--f=")):
            return arg.split("=", 1)[1]
    raise ValueError("the kernel's command names no connection file (-f)")


def hub_cache() -> str:
    """The Hugging Face Hub's model cache (not its token, beside it in HF_HOME)."""
    home = os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
    return os.environ.get("HF_HUB_CACHE") or os.path.join(home, "hub")


def confine(scratch: str, hide: list[str], connection: str, memory_mb: int, max_processes: int) -> dict:
    """Confine this process (see the module docstring). Returns what it got, layer by layer."""
    with open(connection) as f:
        about = json.load(f)
    if about.get("transport", "tcp") != "tcp":
        raise ValueError(f"a confined kernel serves TCP only, not {about['transport']}")
    ports = [about[key] for key in about if key.endswith("_port")]
    layers = {"limits": confinement.set_limits(
        False, os.getuid(), types.SimpleNamespace(memory_mb=memory_mb, max_processes=max_processes,
                                                  max_file_mb=64))}
    try:
        allowed, listable = confinement.readable((*hide, *map(str, grader_secrets())))
        if os.geteuid() == 0:  # root reads what only root may: of /etc, keep what every user may read
            files_in, folders_in = world_readable("/etc")
            allowed = [path for path in allowed if not _under(path, "/etc")] + files_in
            listable = [*listable, *folders_in]
        files = {**confinement.DEVICES, connection: False}
        rules = landlock.ruleset([*allowed, os.getcwd(), hub_cache()], [scratch], files, listable,
                                 bind_ports=ports)
    except OSError as exc:
        rules, layers["landlock"] = None, f"{confinement.MISSING}: {exc}"
    layers["capabilities"] = confinement.drop_capabilities()  # and no_new_privs, which Landlock needs
    if rules is not None:
        layers["landlock"] = confinement.step(lambda: f"ABI {landlock.enforce(rules)}")
    layers["seccomp"] = confinement.step(lambda: syscall_filter.install(tcp_server=True))
    return layers


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + os.sep)


def world_readable(folder: str) -> tuple[list[str], list[str]]:
    """(the files beneath `folder` that every user may read, the folders every user may enter and list)
    down to them: what a kernel running as root may read there (not /etc/shadow, not a host key)."""
    def mode(path: str) -> int:
        try:
            return os.stat(path).st_mode
        except OSError:  # a dangling link
            return 0

    found, listed = [], []
    for here, folders, files in os.walk(folder):
        listed.append(here)
        folders[:] = [name for name in folders if mode(os.path.join(here, name)) & 0o005 == 0o005]
        found += [path for name in files
                  if stat.S_ISREG(bits := mode(path := os.path.join(here, name))) and bits & 0o004]
    return found, listed


def _clean_environment(scratch: str) -> None:
    """Only the variables a kernel and the lab need (no token of the grader's reaches a student's output);
    home, temporary and configuration folders in `scratch`; the hub's cache where it was."""
    kept = {k: v for k, v in os.environ.items() if k.startswith(_KEPT_ENVIRONMENT)}
    for secret in ("HF_TOKEN", "HF_TOKEN_PATH", "HF_HOME"):  # the token lives in HF_HOME: home is `scratch`
        kept.pop(secret, None)
    cache = hub_cache()
    os.environ.clear()
    os.environ.update(kept, HF_HUB_CACHE=cache, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HOME=scratch,
                      TMPDIR=scratch, IPYTHONDIR=f"{scratch}/.ipython", MPLCONFIGDIR=f"{scratch}/.matplotlib",
                      XDG_CACHE_HOME=f"{scratch}/.cache", XDG_CONFIG_HOME=f"{scratch}/.config")


def _quiet_streams() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scratch", required=True, help="the kernel's only writable folder")
    parser.add_argument("--hide", action="append", default=[], help="a folder the kernel may not read")
    parser.add_argument("--memory-mb", type=int, default=8192)
    parser.add_argument("--max-processes", type=int, default=256)
    parser.add_argument("kernel", nargs=argparse.REMAINDER, help="-- -m MODULE ARGS...: the kernel")
    args = parser.parse_args(argv)
    kernel = args.kernel[1:] if args.kernel[:1] == ["--"] else args.kernel
    if kernel[:1] != ["-m"] or len(kernel) < 2:
        parser.error("give the kernel as: -- -m MODULE ARGS...")
    module, kernel_args = kernel[1], kernel[2:]
    layers = confine(args.scratch, args.hide, connection_file(kernel_args), args.memory_mb,
                     args.max_processes)
    Path(args.scratch, REPORT).write_text(json.dumps(layers))
    lacks = confinement.missing(layers, KERNEL_GUARANTEES)
    if lacks and os.environ.get(confinement.WEAK_ISOLATION) != "1":
        why = (f"the kernel was not started: it would lack {', '.join(lacks)} "
               f"({confinement.describe(layers)}); set {confinement.WEAK_ISOLATION}=1 to grade anyway")
        Path(args.scratch, REFUSED).write_text(why)
        print(why, file=sys.stderr)
        return REFUSED_EXIT
    _clean_environment(args.scratch)
    _quiet_streams()
    sys.argv = [module, *kernel_args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
