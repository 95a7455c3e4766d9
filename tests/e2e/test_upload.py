"""Upload real files through headless Debian Chromium: a good one is compared and saved, a bad one is refused.

Both files in tests/fixtures are SYNTHETIC (made-up figures; see tests/app/test_upload_page.py).
Screenshots go to screenshots/upload-*.png.
"""

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

from lm_core.build import load_processed
from lm_core.store import get_engine
from lm_core.upload import UploadMeta, validate_upload
from lm_core.user_data import list_user_indicators

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "screenshots"
FIXTURES = REPO / "tests" / "fixtures"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`streamlit run dashboard.py` on loopback with a fresh database: (app URL, database URL)."""
    port = free_port()
    db = tmp_path_factory.mktemp("e2e-upload") / "lm.sqlite"
    db_url = f"sqlite:///{db}"
    env = os.environ | {"LM_DATABASE_URL": db_url}
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
    yield url, db_url
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


def saved_count(db_url: str) -> int:
    engine = get_engine(db_url)
    try:
        return len(list_user_indicators(engine))
    finally:
        engine.dispose()


def choose(page: object, label: str, typed: str) -> None:
    """Selectbox options have no role=option: click the combobox, type, press Enter."""
    page.get_by_role("combobox", name=label).click()  # type: ignore[attr-defined]
    page.keyboard.type(typed)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]


def page_ready(page: object) -> None:
    """The upload form is drawn once (a first run can briefly show a stale copy beside the new one)."""
    page.wait_for_function(  # type: ignore[attr-defined]
        "document.querySelectorAll('input[aria-label=\"Title\"]').length === 1", timeout=90_000)
    settle(page)


def check_file(page: object, path: Path) -> None:
    """Fill the metadata form, attach the file to the real <input type=file>, press Check."""
    page_ready(page)
    page.get_by_role("textbox", name="Title", exact=True).fill("Residents satisfied with parks")  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Unit", exact=True).fill("%")  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Source", exact=True).fill("Synthetic test figures")  # type: ignore[attr-defined]
    choose(page, "Which direction is better?", "Higher")
    choose(page, "Which councils are the figures for?", "District")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))  # type: ignore[attr-defined]
    page.get_by_text(path.name).wait_for(timeout=15_000)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Check the file").click()  # type: ignore[attr-defined]


def test_good_file_is_compared_and_saved(server: tuple[str, str], browser: object) -> None:
    url, db_url = server
    page = browser.new_page(viewport={"width": 1400, "height": 3000}, accept_downloads=True)  # type: ignore[attr-defined]
    page.goto(f"{url}/upload?council=E07000117")
    settle(page)
    page.get_by_text("Describe your figures and choose the file").wait_for(timeout=90_000)
    with page.expect_download() as download:  # the template a person starts from passes the check
        page.get_by_role("button", name="Download the template (CSV)").click()
    tables = load_processed()
    meta = UploadMeta("Residents satisfied with parks", "%", "higher_better", "lower", "Synthetic")
    template = Path(download.value.path()).read_bytes()
    assert validate_upload(template, tables["authorities"], tables["lineage"], meta).ok
    before = saved_count(db_url)
    check_file(page, FIXTURES / "upload_good.csv")
    page.get_by_text("592 figures for 296 councils").wait_for(timeout=60_000)
    page.get_by_text("Compared with its 15 similar councils").wait_for(timeout=60_000)
    settle(page)
    assert page.get_by_text("Craven").first.is_visible()  # the retired-code notice
    assert page.locator("[data-testid='stMetric']").count() == 3
    page.locator("[data-testid='stVegaLiteChart']").nth(1).wait_for(timeout=30_000)  # the strip and the trend
    assert saved_count(db_url) == before  # checked and compared, but kept in the session only
    page.wait_for_timeout(1500)  # let the charts draw
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "upload-good.png"))
    page.get_by_role("button", name="Save to the shared store").click()
    saved = page.locator("[data-testid='stAlertContentSuccess']").filter(has_text="Saved as")
    saved.wait_for(timeout=30_000)
    settle(page)
    assert saved_count(db_url) == before + 1, saved.inner_text()
    page.get_by_text("Saved user indicators").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "upload-saved.png"))
    page.close()


def test_bad_file_shows_row_numbered_errors_and_saves_nothing(server: tuple[str, str], browser: object) -> None:
    url, db_url = server
    page = browser.new_page(viewport={"width": 1400, "height": 2200})  # type: ignore[attr-defined]
    page.goto(f"{url}/upload")
    settle(page)
    page.get_by_text("Describe your figures and choose the file").wait_for(timeout=90_000)
    before = saved_count(db_url)
    check_file(page, FIXTURES / "upload_bad.csv")
    page.get_by_text("The file was not accepted: 7 problems to fix.").wait_for(timeout=60_000)
    settle(page)
    errors = page.locator("[data-testid='stAlertContentError']").inner_text()
    for row in ("Row 3", "Row 4", "Row 5", "Row 7", "Row 8", "Row 10", "Rows 2 and 6"):
        assert row in errors
    assert page.get_by_role("button", name="Save to the shared store").count() == 0
    assert page.locator("[data-testid='stMetric']").count() == 0
    assert saved_count(db_url) == before
    page.get_by_text("What the check found").scroll_into_view_if_needed()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "upload-bad.png"))
    page.close()
