"""Run a command as the grader finds itself on the four kinds of machine it must confine students on.

    python tests/modes.py MODE COMMAND...        (as root; the slow tier's red-team tests use it)

- `root`: as is (CI, a root container with every capability).
- `unprivileged`: user 65534 with no capability, user namespaces allowed (a TA's own account). The
  interpreter's folder is made reachable for that user in a private mount namespace (a Python under
  /root, mode 700, is not), and nothing else changes.
- `root-without-sys-admin`: root with CAP_SYS_ADMIN dropped from the bounding set, as Docker's default
  profile runs containers (and so, likely, Gradescope): no mount or namespace of its own as root.
- `no-user-namespaces`: the same, and user namespaces disabled (max_user_namespaces 0), so no namespace
  at all: what is left is Landlock, the seccomp filter, the user id and the limits.

A helper, not a test.
"""

from __future__ import annotations

import ctypes
import os
import stat
import sys
from pathlib import Path

MODES = ("root", "unprivileged", "root-without-sys-admin", "no-user-namespaces")
NOBODY = 65534
CLONE_NEWUSER = 0x10000000
# Every user id the grader's children take (CHILD_UID_BASE + pid) is mapped through, as on a real machine.
ID_RANGE = 2_010_000_000
DROP_SYS_ADMIN = ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", "--"]


def unreachable_ancestor(path: Path) -> Path | None:
    """The outermost folder above `path` that other users cannot enter (a pyenv under /root), if any."""
    for folder in reversed(path.parents):
        if folder != Path("/") and not folder.stat().st_mode & stat.S_IXOTH:
            return folder
    return None


def unprivileged(command: list[str]) -> None:
    """Exec `command` as NOBODY, with Python's own folder made reachable: the blocked ancestor is covered
    by an empty tmpfs (mode 711) into which only the path down to Python is bound back."""
    prefix = Path(sys.base_prefix)
    script = "set -e\n"
    blocked = unreachable_ancestor(prefix)
    if blocked is not None:
        keep = blocked / prefix.relative_to(blocked).parts[0]
        script += (f'hold=$(mktemp -d); mount --bind "{keep}" "$hold"\n'
                   f'mount -t tmpfs -o mode=711 tmpfs "{blocked}"\n'
                   f'mkdir -p "{keep}"; mount --move "$hold" "{keep}"\n')
    script += (f'exec setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups --inh-caps=-all '
               f'--bounding-set=-all -- "$@"\n')
    os.execvp("unshare", ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                          *command])


def without_user_namespaces(command: list[str]) -> None:
    """Exec `command` as root of a user namespace that maps every id to itself, where no further user
    namespace may be made and CAP_SYS_ADMIN is dropped: a root with no namespace to be had."""
    libc = ctypes.CDLL(None, use_errno=True)
    ready_r, ready_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        if libc.unshare(CLONE_NEWUSER) != 0:
            os._exit(125)
        os.write(ready_w, b"x")
        os.read(mapped_r, 1)
        Path("/proc/sys/user/max_user_namespaces").write_text("0")
        os.execvp(DROP_SYS_ADMIN[0], [*DROP_SYS_ADMIN, *command])
    os.read(ready_r, 1)
    for name in ("uid_map", "gid_map"):
        Path(f"/proc/{pid}/{name}").write_text(f"0 0 {ID_RANGE}")
    os.write(mapped_w, b"x")
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))


def main(argv: list[str]) -> None:
    mode, command = argv[0], argv[1:]
    if mode not in MODES or not command:
        sys.exit(f"usage: modes.py {{{','.join(MODES)}}} COMMAND...")
    if mode == "root":
        os.execvp(command[0], command)
    elif mode == "unprivileged":
        unprivileged(command)
    elif mode == "root-without-sys-admin":
        os.execvp(DROP_SYS_ADMIN[0], [*DROP_SYS_ADMIN, *command])
    else:
        without_user_namespaces(command)


if __name__ == "__main__":
    main(sys.argv[1:])
