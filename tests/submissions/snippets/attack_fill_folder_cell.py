# Fill the working folder: tens of thousands of empty files, then hundreds of megabytes in files under the
# size limit. Without namespaces that folder is on the host's disk.
import contextlib

made = written = 0
with contextlib.suppress(OSError):
    for made in range(1, 50_001):
        open(f"empty-{made}", "w").close()
block = b"x" * 2**20
with contextlib.suppress(OSError):
    for written in range(1, 301):
        with open(f"block-{written}", "wb") as file:
            file.write(block)
if made == 50_000 or written == 300:
    raise RuntimeError(f"FILLED THE FOLDER: {made} files, {written} MB")
