"""AppTest of the Map page: it draws, keeps every choice in the URL, and deep links open the right map."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[2]
BURNLEY, KENT, CAMDEN = "E07000117", "E10000016", "E09000007"


@pytest.fixture(scope="session")
def app_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One store for the page tests, built once."""
    from lm_core.store import build_db, get_engine

    url = f"sqlite:///{tmp_path_factory.mktemp('mapdb') / 'app.sqlite'}"
    build_db(get_engine(url))
    return url


@pytest.fixture()
def app(app_db_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LM_DATABASE_URL", app_db_url)
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=90)
    at.switch_page("pages/map.py")
    return at


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [t.value for t in at.title] + [c.value for c in at.caption]
    parts += [i.value for i in at.info] + [w.value for w in at.warning] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def specs(at: AppTest) -> list[dict[str, Any]]:
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    return [json.loads(c.proto.spec) for c in charts]


def test_map_page_draws_england_with_a_london_inset(app: AppTest) -> None:
    app.run()
    assert not app.exception
    text = page_text(app)
    assert app.title[0].value == "Map of England"
    assert "No single indicator tells the whole story" in text
    assert "Open Government Licence" in text and "OS data" in text  # indicator and boundary attribution
    main, inset = specs(app)
    assert main["layer"][0]["data"]["url"] == "app/static/boundaries/lower.geojson"
    assert "coordinates" not in json.dumps(main)  # only the small table travels per rerun
    assert main["title"]["text"].startswith("Household waste recycling rate")
    assert "Quintiles" in " ".join(main["layer"][0]["encoding"]["color"]["legend"]["title"])
    assert {"filter": {"field": "region", "oneOf": ["London"]}} in inset["layer"][0]["transform"]
    assert main["layer"][0]["params"][0]["name"] == "pick"
    assert "councils with a figure" in text
    assert "rank" not in json.dumps(main).lower()


def test_deep_link_opens_indicator_council_and_tier(app: AppTest) -> None:
    app.query_params["indicator"] = "children_looked_after_rate"
    app.query_params["council"] = KENT
    app.run()
    assert not app.exception
    spec = specs(app)[0]
    assert spec["layer"][0]["data"]["url"] == "app/static/boundaries/upper.geojson"  # a county: upper tier
    assert app.selectbox(key="indicator_picker").value == "children_looked_after_rate"
    assert app.selectbox(key="council_picker").value == KENT
    assert "Kent" in spec["title"]["text"] or "Kent" in spec["title"].get("subtitle", "")
    text = page_text(app)
    assert "Kent:" in text and "similar councils" in text
    assert dict(app.query_params) == {"indicator": "children_looked_after_rate", "council": KENT}


def test_every_choice_is_kept_in_the_url(app: AppTest) -> None:
    app.query_params["council"] = BURNLEY
    app.run()
    app.selectbox(key="mode_picker").set_value("difference").run()
    app.selectbox(key="lens_picker").set_value("economy").run()
    app.selectbox(key="period_picker").set_value("2019-20").run()
    app.selectbox(key="region_picker").set_value("North West").run()
    assert not app.exception
    assert dict(app.query_params) == {"council": BURNLEY, "mode": "difference", "lens": "economy",
                                      "period": "2019-20", "region": "North West"}
    charts = specs(app)
    assert len(charts) == 1  # zoomed: no inset
    spec = charts[0]
    assert spec["title"]["text"].endswith("2019-20")
    legend_title = " ".join(spec["layer"][0]["encoding"]["color"]["legend"]["title"])
    assert "better or worse" in legend_title  # recycling has a polarity
    assert "much better" in spec["layer"][0]["encoding"]["color"]["scale"]["domain"]
    assert {"filter": {"field": "region", "oneOf": ["North West"]}} in spec["layer"][0]["transform"]


def test_clicking_the_map_selects_a_council(app: AppTest) -> None:
    app.run()
    # What st.vega_lite_chart(on_select="rerun") stores after a click on Camden.
    app.session_state["map_none"] = {"selection": {"pick": [{"area_code": CAMDEN}]}}
    app.run()
    assert not app.exception
    assert app.query_params["council"] == CAMDEN
    assert app.selectbox(key="council_picker").value == CAMDEN
    assert "Camden:" in page_text(app)


def test_places_like_mine(app: AppTest) -> None:
    app.query_params["council"] = CAMDEN
    app.query_params["mode"] = "similarity"
    app.run()
    assert not app.exception
    spec = specs(app)[0]
    assert spec["title"]["text"] == "Places like Camden"
    assert "Selected council" in spec["layer"][0]["encoding"]["color"]["scale"]["domain"]


def test_a_council_off_this_map_is_explained(app: AppTest) -> None:
    app.query_params["council"] = KENT
    app.query_params["tier"] = "lower"
    app.run()
    assert not app.exception
    assert "Kent is not on this map" in page_text(app)
