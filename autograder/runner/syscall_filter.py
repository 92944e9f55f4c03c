"""A seccomp filter for the confined child: the system calls student code never needs fail with EPERM.

Built with libseccomp (through `pyseccomp`), which handles every architecture's numbering. Like Docker's
default profile it refuses the calls that reshape the process's view or privileges (mount, namespaces,
ptrace, keyrings, BPF, io_uring); beyond it, this grader refuses new sockets (there is no network to grade
with), running programs (no second interpreter, no shell), new processes (threads only: each process
would have an address-space limit of its own, so forks would multiply the memory a child can take), memory
the address-space limit cannot count (memfd, SysV shared memory) and typing into a terminal (TIOCSTI). A
filter is inherited by every thread the child starts, and can only be made stricter.
"""

from __future__ import annotations

import errno

try:  # loaded in the zygote, before any child is confined: it looks for the library by running ldconfig
    import pyseccomp as seccomp
except (ImportError, RuntimeError) as exc:  # RuntimeError: the package is there, libseccomp is not
    seccomp, _why = None, exc

DENIED = (
    # the file system's shape and the process's namespaces
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "mount_setattr", "move_mount",
    "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "open_by_handle_at", "name_to_handle_at",
    # other processes' memory, the kernel and its keyrings
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "bpf", "perf_event_open", "userfaultfd",
    "keyctl", "add_key", "request_key", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "acct", "quotactl", "syslog", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "iopl", "ioperm",
    # what this grader refuses on top
    "socket", "execve", "execveat", "fork", "vfork", "memfd_create", "shmget", "pidfd_getfd",
    "pidfd_send_signal",
)
_loaded: list = []
_TIOCSTI, _TIOCLINUX = 0x5412, 0x541C
_CLONE_THREAD = 0x10000
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
_CLONE_NAMESPACES = (0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000)
_AF_INET, _AF_NETLINK, _NETLINK_ROUTE, _SOCK_TYPE_MASK = 2, 16, 0, 0xF
_SOCK_OTHER_TYPES = (2, 3, 4, 5, 6, 10)  # datagram, raw, RDM, seqpacket, DCCP, packet
_AF_LAST = 63  # address families run to 45 on Linux 6.x; the rule for the larger is one comparison


def install(tcp_server: bool = False) -> str:
    """Load the filter into this process; with `tcp_server` (a Jupyter kernel, which serves its client over
    TCP), IPv4 stream sockets stay allowed, and Landlock decides which ports they may bind. Returns a
    description; OSError or ImportError if it could not be loaded (libseccomp missing, or a kernel without
    seccomp)."""
    if seccomp is None:
        raise ImportError(f"no seccomp: {_why}")
    denied = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    if tcp_server:  # IPv4 stream sockets, and the netlink route socket ZeroMQ lists interfaces with
        for family in range(_AF_LAST + 1):
            if family not in (_AF_INET, _AF_NETLINK):
                rules.add_rule(denied, "socket", seccomp.Arg(0, seccomp.EQ, family))
        rules.add_rule(denied, "socket", seccomp.Arg(0, seccomp.GT, _AF_LAST))
        for kind in _SOCK_OTHER_TYPES:  # the type's low bits; the rest are flags (SOCK_CLOEXEC)
            rules.add_rule(denied, "socket", seccomp.Arg(0, seccomp.EQ, _AF_INET),
                           seccomp.Arg(1, seccomp.MASKED_EQ, _SOCK_TYPE_MASK, kind))
        rules.add_rule(denied, "socket", seccomp.Arg(0, seccomp.EQ, _AF_NETLINK),
                       seccomp.Arg(2, seccomp.NE, _NETLINK_ROUTE))
    for name in DENIED:
        if tcp_server and name == "socket":
            continue
        try:
            rules.add_rule(denied, name)
        except OSError:  # a call this kernel's architecture does not have
            continue
    for request in (_TIOCSTI, _TIOCLINUX):
        rules.add_rule(denied, "ioctl", seccomp.Arg(1, seccomp.EQ, request))
    for flag in _CLONE_NAMESPACES:  # rules on one call are alternatives: any namespace flag is refused
        rules.add_rule(denied, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    rules.add_rule(denied, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, _CLONE_THREAD, 0))  # a new process
    # clone3 passes its flags in memory a filter cannot read: ENOSYS sends the C library back to clone.
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    rules.load()
    _loaded.append(rules)  # kept: its finalizer would call into libseccomp, which the audit hook refuses
    refused = f"{len(DENIED) - tcp_server} system calls refused"
    return f"{refused}; IPv4 TCP sockets only" if tcp_server else refused
