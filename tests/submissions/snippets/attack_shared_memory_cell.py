# Memory the address-space limit does not count, and that outlives the child: System V shared memory
# and a memfd, 1 GiB each, touched so that it is really allocated.
import ctypes
import mmap
import os

libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
GIB = 1 << 30
segment = libc.shmget(0, GIB, 0o1000 | 0o666)  # IPC_PRIVATE, IPC_CREAT
if segment >= 0:
    address = libc.shmat(segment, None, 0)
    if address not in (None, ctypes.c_void_p(-1).value):
        ctypes.memset(address, 1, GIB)
try:
    fd = os.memfd_create("hoard")
    os.ftruncate(fd, GIB)
    with mmap.mmap(fd, GIB) as view:
        for offset in range(0, GIB, mmap.PAGESIZE):
            view[offset] = 1
except OSError as exc:
    print("memfd refused:", exc)
