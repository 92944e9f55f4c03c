# Try to edit or delete the grader: the installed package, its hidden suites, its comparison helpers.
import contextlib
import os
from pathlib import Path

import autograder

PACKAGE = Path(autograder.__file__).parent
TAMPERED = []
for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.pyc")]:
    with contextlib.suppress(OSError):
        with open(path, "a") as handle:
            handle.write("\n# tampered\n")
        TAMPERED.append(str(path))
    with contextlib.suppress(OSError):
        os.utime(path, (0, 0))
        TAMPERED.append(f"utime {path}")
for name in ("labs/encoders_decoders/hidden", "grading", "runner"):
    with contextlib.suppress(OSError):
        (PACKAGE / name / "zz_planted.py").write_text("raise SystemExit\n")
        TAMPERED.append(name)
with contextlib.suppress(OSError):
    os.remove(PACKAGE / "labs" / "encoders_decoders" / "compare.py")
    TAMPERED.append("removed compare.py")
print("tampered with:", TAMPERED)
