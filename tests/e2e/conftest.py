"""Browser-test plumbing shared by every e2e module: the real app on loopback and headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


READY = "[data-testid='stApp'][data-test-script-state='notRunning']"  # the script has finished running


def settle(page: object, timeout: int = 90_000) -> None:
    """Wait until Streamlit has finished running the script (the only reliable 'page is drawn' signal)."""
    page.wait_for_selector(READY, state="attached", timeout=timeout)  # type: ignore[attr-defined]


def chromium_path() -> str:
    """Debian's Chromium (never a downloaded browser): skipped without it, failed if CI requires it."""
    exe = shutil.which("chromium")
    if exe is None:
        if os.environ.get("LM_REQUIRE_BROWSER"):
            pytest.fail("LM_REQUIRE_BROWSER is set but Debian chromium is not installed")
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    return exe


@dataclass
class RunningApp:
    """A `streamlit run dashboard.py` process: its URL, the process (for CPU and memory) and its log."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path


@contextmanager
def running_app(db_url: str, logs: Path, *options: str) -> Iterator[RunningApp]:
    """`streamlit run dashboard.py` on loopback against this database, with extra server options; stopped on exit."""
    port = free_port()
    env = os.environ | {"LM_DATABASE_URL": db_url}
    log_path = logs / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", *options],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.time() > deadline:
                    pytest.fail("the app did not start within 60 s")
                time.sleep(0.3)
        yield RunningApp(url, proc, log_path)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def server_and_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The app on a fresh database, as a new user starts it (first run builds the store): (URL, DB URL)."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'lm.sqlite'}"
    with running_app(db_url, tmp_path_factory.mktemp("log")) as app:
        yield app.url, db_url


@pytest.fixture(scope="module")
def built_server(tmp_path_factory: pytest.TempPathFactory, sqlite_engine: Engine) -> Iterator[str]:
    """The app on the session's test store, already built: for tests about a page, not about the first run."""
    db_url = sqlite_engine.url.render_as_string(hide_password=False)
    with running_app(db_url, tmp_path_factory.mktemp("log")) as app:
        yield app.url


@pytest.fixture(scope="module")
def server(server_and_db: tuple[str, str]) -> str:
    """The app's base URL."""
    return server_and_db[0]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright; required in CI."""
    exe = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()
