"""Meeting mode in headless Debian Chromium: one slide fills a 1280×720 screen, arrow keys move between slides."""

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
from sqlalchemy import Engine

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PRESENT = "pages/present.py"
WRAPPER = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
import streamlit as st
st.set_page_config(page_title="Level Measures", layout="wide")
st.navigation([st.Page("pages/home.py", title="Find a council", url_path="home", default=True),
               st.Page("pages/council.py", title="Council profile", url_path="council"),
               st.Page("{PRESENT}", title="Present", url_path="present")]).run()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def entry_script(folder: Path) -> Path:
    """dashboard.py once it lists the Present page; until then a stand-in router beside links to pages/, static/."""
    if PRESENT in (REPO / "dashboard.py").read_text():
        return REPO / "dashboard.py"
    (folder / "pages").symlink_to(REPO / "pages", target_is_directory=True)
    (folder / "static").symlink_to(REPO / "static", target_is_directory=True)
    (folder / "app.py").write_text(WRAPPER)
    return folder / "app.py"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_engine: Engine) -> Iterator[str]:
    """`streamlit run` on loopback, on the session's test store (already built from data/processed)."""
    port = free_port()
    script = entry_script(tmp_path_factory.mktemp("router"))
    env = os.environ | {"LM_DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False)}
    log = open(tmp_path_factory.mktemp("log") / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
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
                           state="attached", timeout=90_000)


def test_one_slide_fills_a_projector_screen(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 720})  # type: ignore[attr-defined]
    page.goto(f"{server}/present?council=E07000117&areas=waste-and-environment,homelessness&slide=4")
    page.locator(".lm-title").wait_for(timeout=90_000)
    settle(page)
    title = page.locator(".lm-title").inner_text()
    # arrow keys move between slides, and the slide number follows in the URL
    page.keyboard.press("ArrowRight")
    page.wait_for_url("**slide=5**", timeout=60_000)
    settle(page)
    assert page.locator(".lm-title").inner_text() != title
    page.keyboard.press("ArrowLeft")
    page.wait_for_url("**slide=4**", timeout=60_000)
    settle(page)
    assert page.locator(".lm-title").inner_text() == title
    page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first.wait_for(
        timeout=60_000)
    page.wait_for_timeout(800)  # let the charts finish drawing
    # projection: no sidebar or header; large type; the slide and its buttons fit the screen
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    assert not page.locator("header[data-testid='stHeader']").is_visible()
    size = page.locator(".lm-title").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 36
    body = page.locator(".lm-foot p").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert body >= 20
    nav = page.get_by_role("button", name="Next").first.bounding_box()
    assert nav is not None and nav["y"] + nav["height"] <= 720
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "present-burnley-1280x720.png"))
    page.close()
