# Fill every writable temporary folder (tmpfs is memory no process limit counts; without namespaces the
# working folder is on the host's disk) and leave the files behind: up to 2 GiB in all.
import contextlib
import os
import tempfile

CHUNK = b"x" * (16 * 2**20)
written = 0
for folder in ("/tmp", "/var/tmp", "/dev/shm", os.getcwd(), tempfile.gettempdir()):
    for index in range(64):
        if written >= 2 * 2**30:
            break
        try:
            with open(os.path.join(folder, f"hoard-{os.getpid()}-{index}"), "wb") as handle:
                handle.write(CHUNK)
            written += len(CHUNK)
        except OSError:
            break
print("wrote", written // 2**20, "MiB")
with contextlib.suppress(OSError):
    os.symlink("/", os.path.join(os.getcwd(), "escape"))
