"""The package's layering (pyproject.toml, [tool.importlinter]): no module imports from a layer above its
own, so the child's runner never reaches the grader's reports, and a builder never the command line."""

import os
import subprocess
import sys
from pathlib import Path


def test_no_module_imports_from_a_layer_above_its_own(repo):
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(repo)}  # this checkout's package, whatever the venv points at
    done = subprocess.run([str(lint), "--no-cache", str(repo / "pyproject.toml")], cwd=repo, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 kept, 0 broken" in done.stdout
