"""AppTest of the Map page: it draws, keeps every choice in the URL, and deep links open the right map."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
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


def charts(at: AppTest) -> list[Any]:
    return list(at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"))


def specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(c.proto.spec) for c in charts(at)]


def datasets(at: AppTest) -> list[dict[str, list[dict[str, Any]]]]:
    """Each chart's datasets (Streamlit sends them beside the spec, as Arrow): titles, legend and figures."""
    return [{d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in c.proto.datasets}
            for c in charts(at)]


def test_map_page_draws_england_with_a_london_inset(app: AppTest) -> None:
    app.run()
    assert not app.exception
    text = page_text(app)
    assert app.title[0].value == "Map of England"
    assert "No single indicator tells the whole story" in text
    assert "Open Government Licence" in text and "OS data" in text  # indicator and boundary attribution
    main, inset = specs(app)
    main_data, inset_data = datasets(app)
    assert main["layer"][0]["data"]["url"] == "app/static/boundaries/lower.geojson"
    assert '"coordinates"' not in json.dumps(main)  # only the small tables travel per rerun
    assert main_data["legend"][0]["title"].startswith("Household waste recycling rate")
    assert "Quintiles" in main_data["legend"][0]["legend_title"]
    assert len(main_data["councils"]) == 296
    assert {r["region"] for r in inset_data["councils"]} == {"London"} and len(inset_data["councils"]) == 33
    assert inset["layer"][0]["encoding"]["color"]["legend"] is None
    assert main["layer"][0]["params"][0]["name"] == "pick"
    assert "councils with a figure" in text
    assert "rank" not in json.dumps(main).lower()


def test_deep_link_opens_indicator_council_and_tier(app: AppTest) -> None:
    app.query_params["indicator"] = "children_looked_after_rate"
    app.query_params["council"] = KENT
    app.run()
    assert not app.exception
    spec = specs(app)[0]
    meta = datasets(app)[0]["legend"][0]
    assert spec["layer"][0]["data"]["url"] == "app/static/boundaries/upper.geojson"  # a county: upper tier
    assert app.selectbox(key="indicator_picker").value == "children_looked_after_rate"
    assert app.selectbox(key="council_picker").value == KENT
    assert "Kent" in meta["title"] or "Kent" in meta["subtitle"]
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
    drawn = datasets(app)
    assert len(drawn) == 1  # zoomed: no inset
    legend = drawn[0]["legend"]
    assert legend[0]["title"].endswith("2019-20")
    assert "better or worse" in legend[0]["legend_title"]  # recycling has a polarity
    assert "much better" in [r["label"] for r in legend]
    assert {r["region"] for r in drawn[0]["councils"]} == {"North West"}


def test_changes_keep_the_map_spec_so_the_browser_redraws_in_place(app: AppTest) -> None:
    """Colour, lens, period and zoom change only the data: same chart id and spec (tests/e2e checks the SVG)."""
    app.query_params["council"] = BURNLEY
    app.run()
    first = charts(app)[0].proto
    seen = []
    for key, value in [("mode_picker", "difference"), ("lens_picker", "economy"), ("period_picker", "2019-20"),
                       ("region_picker", "London"), ("mode_picker", "similarity")]:
        app.selectbox(key=key).set_value(value).run()
        assert not app.exception
        main = charts(app)[0].proto
        assert (main.id, main.spec) == (first.id, first.spec), f"changing {key} rebuilt the map"
        seen.append(json.dumps(datasets(app)[0], sort_keys=True))
    assert len(set(seen)) == len(seen)  # each change did change what the map shows


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
    legend = datasets(app)[0]["legend"]
    assert legend[0]["title"] == "Places like Camden"
    assert "Selected council" in [r["label"] for r in legend]


def test_a_council_off_this_map_is_explained(app: AppTest) -> None:
    app.query_params["council"] = KENT
    app.query_params["tier"] = "lower"
    app.run()
    assert not app.exception
    assert "Kent is not on this map" in page_text(app)
