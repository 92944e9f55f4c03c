"""A real browser on a real Jupyter server, for the tests marked `browser` (`make test-browser`).

The browser is the system's Chromium (Debian's `chromium` package, which `.ci/run` installs with apt) driven
by Playwright; Playwright's own browser download is never used. Where either is missing the tests are
skipped, saying which. Each step's screenshot goes to `out/screenshots/<test>/` (the test prints where),
so a failure can be looked at and the documentation's pictures retaken.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from corpus import REPO

SCREENSHOTS = REPO / "out" / "screenshots"
# Headless as root on a machine without a display or a network beyond localhost: no sandbox (it needs a
# user namespace root does not get here), no GPU, and none of the calls home a fresh profile makes.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 860}


def chromium() -> str:
    """The system's Chromium (or Chrome, as on GitHub's runners); skips the test where there is none."""
    found = os.environ.get("CHROMIUM") or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    if not found:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")
    return found


@contextlib.contextmanager
def browser_page() -> Iterator:
    """A page in a fresh headless Chromium (its own temporary profile), closed afterwards."""
    executable = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed (it is in the dev extra: pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(60_000)  # a busy 2-core machine: JupyterLab loads in seconds, not ms
            yield page
        finally:
            browser.close()


class Screenshots:
    """Numbered screenshots of a test's steps, in a folder of their own (emptied first)."""

    def __init__(self, folder: Path):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder, self.count = folder, 0

    def __call__(self, page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=path)
        return path


@dataclass(frozen=True)
class Server:
    url: str  # http://127.0.0.1:PORT
    token: str

    @property
    def lab(self) -> str:
        """The address `jupyter lab` prints for the user to open: it logs the browser in."""
        return f"{self.url}/lab?token={self.token}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ready(server: Server) -> bool:
    request = urllib.request.Request(f"{server.url}/api/status",
                                     headers={"Authorization": f"token {server.token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def jupyter_lab(jupyter: Path, folder: Path, env: dict[str, str], log: Path) -> Iterator[Server]:
    """`jupyter lab` from `folder` (what a user types there), on a free local port with a known token; yields
    once it answers. Afterwards the server and every process it started (kernels run in sessions of their
    own) are stopped."""
    port = _free_port()
    server = Server(f"http://127.0.0.1:{port}", secrets.token_hex(16))
    command = [str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={server.token}"]
    env = {**env, **_new_lab_user(log.parent / "lab-user")}
    if os.geteuid() == 0:
        command.append("--allow-root")  # CI runs as root, which Jupyter refuses without it
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not _ready(server):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"jupyter lab did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield server
    finally:
        _stop(process)


def _new_lab_user(folder: Path) -> dict[str, str]:
    """JupyterLab's settings and workspaces of a first-time user, who has answered "no" to the news prompt
    (it would sit over the page); nothing is restored from an earlier session of this machine's user."""
    settings = folder / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}\n')
    return {"JUPYTERLAB_SETTINGS_DIR": str(folder / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(folder / "workspaces")}


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (the server shuts its kernels down), then SIGKILL for whatever of its tree is left."""
    tree = []
    with contextlib.suppress(psutil.NoSuchProcess):
        tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    _, alive = psutil.wait_procs(tree, timeout=10)
    for leftover in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            leftover.kill()


def screenshots(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture) -> Screenshots:
    """The test's screenshot folder, announced on the terminal (even under output capture)."""
    folder = SCREENSHOTS / re.sub(r"[^\w.-]", "_", request.node.name)
    with capsys.disabled():
        print(f"\n{request.node.name}: screenshots in {folder}")
    return Screenshots(folder)
