# @title Setup: the lab's runtime and your models { display-mode: "form" }
# Run this cell first ("Run all" does). MODELS chooses the models the notebook loads: "hub", the real models
# from the Hugging Face Hub (downloaded once, about 800 MB), or "offline", tiny stand-ins that share the real
# tokenizers (no download; their predictions are nonsense). To switch, change it and run all the cells again.
MODELS = "hub"  # @param ["hub", "offline"]

# Where the lab's runtime (its `autograder` package: model loading and the public checks) comes from when
# this notebook runs on its own, as on Colab; your course sets it. Where the runtime is installed already,
# this cell installs nothing.
RUNTIME = ""

import importlib
import importlib.util
import subprocess
import sys


class LabSetupError(Exception):
    """Shown as one line saying what to do: IPython prints `_render_traceback_` instead of a traceback."""

    def _render_traceback_(self):
        return [f"{type(self).__name__}: {self}"]


def _lab_runtime_installed():
    try:
        return importlib.util.find_spec("{[ lab.package ]}") is not None
    except ImportError:
        return False


def _install_lab_runtime(address):
    if not address:
        raise LabSetupError("this notebook needs the lab's runtime: run it in the lab's repository folder "
                            "(see its README), or set RUNTIME in this cell to the address your course gives")
    if address.startswith("/content/drive/"):  # a copy on Google Drive: Colab mounts Drive there
        from google.colab import drive

        drive.mount("/content/drive")
    print(f"Installing the lab's runtime from {address} (once per session) ...")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-input", "--no-color",
                          "--disable-pip-version-check", address],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if pip.returncode:
        said = [line for line in pip.stderr.splitlines() if line.strip()] or ["pip failed"]
        reason = next((line for line in said if line.startswith("ERROR:")), said[-1])
        raise LabSetupError(f"could not install the lab's runtime from {address} ({reason}); check the "
                            "address and your connection, then run this cell again")
    importlib.invalidate_caches()


if not _lab_runtime_installed():
    _install_lab_runtime(RUNTIME)

from autograder.models import choose

choose(MODELS)
