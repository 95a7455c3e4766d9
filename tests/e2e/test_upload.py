"""Upload real files through headless Debian Chromium: a good one is compared and saved, a bad one is refused.

Both files in tests/fixtures are SYNTHETIC (made-up figures; see tests/app/test_upload_page.py).
Screenshots go to screenshots/upload-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lm_core.build import load_processed
from lm_core.store import get_engine
from lm_core.upload import UploadMeta, validate_upload
from lm_core.user_data import list_user_indicators

from .conftest import REPO, SHOTS, settle

pytestmark = pytest.mark.e2e
FIXTURES = REPO / "tests" / "fixtures"


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


def test_good_file_is_compared_and_saved(server_and_db: tuple[str, str], browser: object) -> None:
    url, db_url = server_and_db
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


def test_bad_file_shows_row_numbered_errors_and_saves_nothing(server_and_db: tuple[str, str], browser: object) -> None:
    url, db_url = server_and_db
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
