"""Drives the real app in headless Debian Chromium: start, find a council by typing, see it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run dashboard.py` on loopback with a fresh database, as a new user would start it."""
    port = free_port()
    db = tmp_path_factory.mktemp("e2e") / "lm.sqlite"
    env = os.environ | {"LM_DATABASE_URL": f"sqlite:///{db}"}
    log = open(tmp_path_factory.mktemp("log") / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the app did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    exe = shutil.which("chromium")
    if exe is None:
        if os.environ.get("LM_REQUIRE_BROWSER"):
            pytest.fail("LM_REQUIRE_BROWSER is set but Debian chromium is not installed")
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


def settle(page: object) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",  # type: ignore[attr-defined]
                           state="attached", timeout=60_000)


def test_find_a_council_by_typing(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 1400})  # type: ignore[attr-defined]
    started = time.time()
    page.goto(f"{server}/")
    settle(page)
    page.get_by_text("Type part of a council").wait_for(timeout=60_000)
    first_view = time.time() - started
    box = page.get_by_role("combobox").first
    box.click()
    page.keyboard.type("Burnl")
    page.keyboard.press("Enter")
    page.get_by_text("Burnley Borough Council").wait_for(timeout=30_000)
    settle(page)
    assert "council=E07000117" in page.url
    assert page.get_by_text("Lancashire").first.is_visible()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "home-burnley.png"))
    print(f"first view after {first_view:.1f} s (includes the first-run database build)")
    page.close()


def test_data_page_deep_link(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 1600})  # type: ignore[attr-defined]
    page.goto(f"{server}/data")
    settle(page)
    page.get_by_text("About the data").first.wait_for(timeout=60_000)
    page.get_by_text("Sources, caveats and attributions").wait_for()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "about-data.png"))
    page.close()


def _peer_names(page: object) -> list[str]:
    """Names in the peers table (Streamlit's data grid renders cells as canvas; read via its CSV-less DOM)."""
    text = page.locator("[data-testid='stMarkdownContainer']").all_inner_texts()  # type: ignore[attr-defined]
    return [t for t in text if "councils most like" in t]


def test_peer_page_lens_changes_the_list(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1800})  # type: ignore[attr-defined]
    page.goto(f"{server}/peers?council=E09000007")  # Camden
    settle(page)
    page.get_by_text("councils most like Camden").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # let the map and chart draw
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "peers-camden-overall.png"))
    overall = page.locator("[data-testid='stCaptionContainer']").filter(has_text="Peer set").inner_text()
    page.goto(f"{server}/peers?council=E09000007&lens=economy")
    settle(page)
    page.get_by_text("councils most like Camden").wait_for(timeout=60_000)
    economy = page.locator("[data-testid='stCaptionContainer']").filter(has_text="Peer set").inner_text()
    assert overall != economy  # a different definition gives a different stored peer set
    assert "lens=economy" in page.url
    page.get_by_text("Why is this council a peer?").wait_for()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "peers-camden-economy.png"))
    page.close()


def test_council_profile_real_council(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 2000})  # type: ignore[attr-defined]
    page.goto(f"{server}/council?council=E10000016")  # Kent County Council
    settle(page)
    page.get_by_text("Kent County Council").first.wait_for(timeout=90_000)
    page.get_by_text("Compared with similar councils, Kent").first.wait_for()
    assert page.get_by_role("heading", name="Adult social care").is_visible()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "profile-kent.png"))
    page.get_by_role("tab", name="One measure in depth").click()
    settle(page)
    page.get_by_text("Similar councils to talk to").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "profile-kent-measure.png"))
    body = page.inner_text("body").lower()
    import re

    assert not re.search(r"\b(ranked|league table|\d+(st|nd|rd|th) of \d+)\b", body)
    page.close()
