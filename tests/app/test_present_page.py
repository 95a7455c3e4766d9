"""AppTest of the Present page: one measure per slide, large type, previous/next kept in ?slide=N."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from lm_core.export import RANK_WORDS

REPO = Path(__file__).resolve().parents[2]
PRESENT = "pages/present.py"

# Until dashboard.py registers the page, a stand-in router beside a link to pages/ serves it.
WRAPPER = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
import streamlit as st
st.set_page_config(page_title="Level Measures", layout="wide")
st.navigation([st.Page("pages/home.py", title="Find a council", url_path="home", default=True),
               st.Page("pages/council.py", title="Council profile", url_path="council"),
               st.Page("{PRESENT}", title="Present", url_path="present")]).run()
"""


@pytest.fixture(scope="session")
def entry_script(tmp_path_factory: pytest.TempPathFactory) -> str:
    """dashboard.py once it lists the Present page; until then a stand-in router."""
    if PRESENT in (REPO / "dashboard.py").read_text():
        return str(REPO / "dashboard.py")
    folder = tmp_path_factory.mktemp("router")
    (folder / "pages").symlink_to(REPO / "pages", target_is_directory=True)
    (folder / "app.py").write_text(WRAPPER)
    return str(folder / "app.py")


@pytest.fixture()
def app(sqlite_engine: Engine, entry_script: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app on the shared test store (built once per session from data/processed)."""
    monkeypatch.setenv("LM_DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    at = AppTest.from_file(entry_script, default_timeout=120)
    at.switch_page(PRESENT)
    return at


def slide_html(at: AppTest) -> str:
    """The slide's own words (the shared footer and the set-up panel left out)."""
    return "\n".join(str(m.value) for m in at.markdown if "lm-slide" in str(m.value) or "lm-foot" in str(m.value))


def test_without_a_council_the_page_invites_a_choice(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert app.title[0].value == "Present"
    assert app.selectbox(key="council_picker").value is None


def test_burnley_slides_step_forward_and_back(app: AppTest) -> None:
    app.query_params["council"] = "E07000117"
    app.query_params["areas"] = "waste-and-environment,homelessness"
    app.run()
    assert not app.exception
    first = slide_html(app)
    assert "<h1 class='lm-title'>" in first
    assert "similar councils" in first and "Caveat:" in first and "Source:" in first
    assert "Slide 1 / 10" in "".join(str(m.value) for m in app.markdown)
    assert len(app.get("vega_lite_chart")) >= 1  # the peer strip (and the trend where there is one)
    assert app.button(key="lm_prev").disabled
    app.button(key="lm_next").click().run()
    assert app.query_params["slide"] == ["2"] or app.query_params["slide"] == "2"
    second = slide_html(app)
    assert second != first
    app.button(key="lm_prev").click().run()
    assert slide_html(app) == first
    for text in (first, second):
        assert RANK_WORDS.search(text) is None
    labels = [b.label for b in app.get("download_button")]
    assert {"Committee pack (PowerPoint)", "Committee pack (PDF)", "Figures on these slides (CSV)"} <= set(labels)
    assert any("Stamp peers-1.0" in str(c.value) for c in app.caption)


def test_slide_number_kept_in_range_and_county_services_say_whose_figure(app: AppTest) -> None:
    app.query_params["council"] = "E07000117"
    app.query_params["areas"] = "homelessness"
    app.query_params["slide"] = "99"
    app.run()
    assert not app.exception
    assert "Slide 5 / 5" in "".join(str(m.value) for m in app.markdown)
    assert app.button(key="lm_next").disabled
    # Burnley's adult social care is run by Lancashire: its figure, said so on the slide
    app.query_params["slide"] = "1"
    app.session_state["areas_picker"] = ["Adult social care"]
    app.run()
    assert not app.exception
    assert app.query_params["areas"] in ("adult-social-care", ["adult-social-care"])
    assert "Lancashire County Council&#x27;s figure, as the upper-tier council" in slide_html(app)
