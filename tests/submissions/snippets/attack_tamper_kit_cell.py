# Corrupt the reference models on disk: every file of the offline kit's cache that this process can find.
import contextlib
import os
import pwd
from pathlib import Path

from autograder.models import kit

ROOTS = {kit.default_root()}
for uid in {0, os.getuid()}:  # the grader's home, guessed: root's or this user's, as in /etc/passwd
    with contextlib.suppress(KeyError):
        ROOTS.add(Path(pwd.getpwuid(uid).pw_dir) / ".cache" / "autograder" / "kit")
if os.environ.get("AUTOGRADER_KIT_DIR"):
    ROOTS.add(Path(os.environ["AUTOGRADER_KIT_DIR"]))
TAMPERED = []
for root in ROOTS:
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        with contextlib.suppress(OSError):
            if path.is_file():
                path.write_bytes(b"tampered")  # weights, configs and tokenizer files alike
                TAMPERED.append(str(path))
print("tampered with:", len(TAMPERED), "files")
