"""Drives the real app in headless Debian Chromium: start, find a council by typing, see it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import SHOTS, settle

pytestmark = pytest.mark.e2e


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
    page = browser.new_page(viewport={"width": 1400, "height": 2000}, accept_downloads=True)  # type: ignore[attr-defined]
    page.goto(f"{server}/council?council=E10000016")  # Kent County Council
    settle(page)
    page.get_by_text("Kent County Council").first.wait_for(timeout=90_000)
    page.get_by_text("Compared with similar councils, Kent").first.wait_for()
    assert page.get_by_role("heading", name="Adult social care").is_visible()
    page.wait_for_timeout(1500)  # the tables are drawn on canvases a moment after the script ends
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "profile-kent.png"))
    with page.expect_download() as download:  # the CSV is made when asked for, not on every rerun
        page.get_by_role("button", name="Download this profile (CSV)").click()
    assert download.value.suggested_filename == "profile-E10000016-overall-15.csv"
    csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert csv_text.startswith("indicator_id,service_area,measure,")
    assert "Adult social care" in csv_text and "Kent" in csv_text
    page.get_by_role("tab", name="One measure in depth").click()
    settle(page)
    page.get_by_text("Similar councils to talk to").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "profile-kent-measure.png"))
    body = page.inner_text("body").lower()
    import re

    assert not re.search(r"\b(ranked|league table|\d+(st|nd|rd|th) of \d+)\b", body)
    page.close()
