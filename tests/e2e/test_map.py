"""The Map page in headless Debian Chromium: the map draws, and selecting a council outlines its peers."""

from __future__ import annotations

import time

import pytest

from .conftest import SHOTS, settle

pytestmark = pytest.mark.e2e
MAP = "[data-testid='stVegaLiteChart']"
FILLS, PEER_LINES, OWN_LINE = "g.layer_0_marks path", "g.layer_2_marks path", "g.layer_3_marks path"
LEGEND_LABELS = ".role-legend-label text"


def open_map(browser: object, url: str) -> object:
    page = browser.new_page(viewport={"width": 1400, "height": 1500})  # type: ignore[attr-defined]
    page.goto(url)
    settle(page)
    page.locator(MAP).first.locator(FILLS).nth(10).wait_for(state="attached", timeout=60_000)
    return page


def test_map_draws_and_outlines_the_councils_peers(server: str, browser: object) -> None:
    page = open_map(browser, f"{server}/map?council=E07000117")  # Burnley
    main = page.locator(MAP).first  # type: ignore[attr-defined]
    assert main.locator(FILLS).count() == 296  # every district and unitary drawn, as SVG paths
    own = main.locator(OWN_LINE)
    own.first.wait_for(state="attached", timeout=30_000)
    assert own.count() == 1 and own.first.get_attribute("aria-label") == "Selected council: Burnley"
    assert main.locator(PEER_LINES).count() == 15  # its 15 most similar councils outlined
    assert all((p.get_attribute("aria-label") or "").startswith("Similar council: ")
               for p in main.locator(PEER_LINES).all())
    labels = " ".join(p.get_attribute("aria-label") or "" for p in main.locator(FILLS).all()[:40])
    assert "Against similar councils:" in labels and "GSS code: E06" in labels  # the tooltip's content
    page.wait_for_timeout(800)  # let the fonts settle before the picture
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "map-burnley-value.png"))  # type: ignore[attr-defined]

    main.locator("svg.marks").evaluate("svg => { svg.dataset.before = '1'; }")
    started = time.time()  # one change: colour by the difference from each council's own peers
    picker = page.locator("[data-testid='stSelectbox']").filter(has_text="Colour by")  # type: ignore[attr-defined]
    picker.locator("input").click()
    page.keyboard.type("Difference")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_url("**mode=difference**", timeout=30_000)  # type: ignore[attr-defined]
    settle(page)
    main.locator(LEGEND_LABELS).filter(has_text="in line with similar councils").wait_for(timeout=30_000)
    print(f"page update after a change: {time.time() - started:.2f} s")
    # Only the data changed, so Vega redrew the map it had drawn instead of building a new one (the speed of
    # a change rests on this: see lm_core.maps.choropleth and bench/map.py).
    assert main.locator("svg.marks[data-before]").count() == 1
    assert main.locator(FILLS).count() == 296 and main.locator(OWN_LINE).count() == 1
    assert "much worse" in main.locator(LEGEND_LABELS).all_text_contents()
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / "map-burnley-difference.png"))  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_clicking_a_council_selects_it_and_london_zooms(server: str, browser: object) -> None:
    page = open_map(browser, f"{server}/map")
    main = page.locator(MAP).first  # type: ignore[attr-defined]
    assert main.locator(PEER_LINES).count() == 0
    main.locator(f"{FILLS}[aria-label*='Council: Northumberland;']").click(force=True)
    page.wait_for_url("**council=E06000057**", timeout=30_000)  # type: ignore[attr-defined]
    settle(page)
    main.locator(PEER_LINES).nth(14).wait_for(state="attached", timeout=30_000)
    assert main.locator(PEER_LINES).count() == 15
    assert main.locator(OWN_LINE).first.get_attribute("aria-label") == "Selected council: Northumberland"
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / "map-click-northumberland.png"))  # type: ignore[attr-defined]

    # London zoomed, shaded by likeness to Camden: the 33 boroughs fill the map.
    page.goto(f"{server}/map?council=E09000007&region=London&mode=similarity")  # type: ignore[attr-defined]
    settle(page)
    main = page.locator(MAP).first  # type: ignore[attr-defined]
    main.locator(FILLS).nth(10).wait_for(state="attached", timeout=60_000)
    assert main.locator(FILLS).count() == 33
    assert page.locator(MAP).count() == 1  # zoomed: no inset  # type: ignore[attr-defined]
    box = main.bounding_box()
    assert box is not None and box["width"] > 600  # the 33 boroughs fill the map, not a corner of England
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / "map-london-camden-likeness.png"))  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]
