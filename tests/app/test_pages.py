"""AppTest of each page: it renders without exceptions and shows the right council and data."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def app_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One store for the page tests, built once (the first-run build has its own test)."""
    from lm_core.store import build_db, get_engine

    url = f"sqlite:///{tmp_path_factory.mktemp('appdb') / 'app.sqlite'}"
    build_db(get_engine(url))
    return url


@pytest.fixture()
def app(app_db_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LM_DATABASE_URL", app_db_url)
    return AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=90)


def test_first_run_builds_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LM_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=90).run()
    assert not at.exception
    assert (tmp_path / "fresh.sqlite").exists()
    assert "296 district and unitary councils" in page_text(at)


def test_unknown_code_in_url_is_explained(app: AppTest) -> None:
    app.query_params["council"] = "E07000163"  # Craven, merged into North Yorkshire in 2023
    app.run()
    text = page_text(app)
    assert "Craven" in text and "North Yorkshire" in text


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [h.value for h in at.header] + [t.value for t in at.title]
    parts += [s.value for s in at.subheader]
    parts += [c.value for c in at.caption] + [str(m.value) for m in at.metric] + [i.value for i in at.info]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


def test_home_without_council_invites_search(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert app.title[0].value == "Level Measures"
    assert app.selectbox(key="council_picker").value is None
    assert "Type part of a council" in page_text(app)


def test_home_opens_council_from_url(app: AppTest) -> None:
    app.query_params["council"] = "E07000117"
    app.run()
    assert not app.exception
    text = page_text(app)
    assert "Burnley Borough Council" in text
    assert "Lancashire" in text  # its county runs upper-tier services
    assert "Non-metropolitan district" in text


def test_home_shows_predecessors_of_a_new_unitary(app: AppTest) -> None:
    app.query_params["council"] = "E06000065"
    app.run()
    text = page_text(app)
    assert "Craven (E07000163, until 2023)" in text
    assert "Unitary" in text


def test_home_county_lists_its_districts(app: AppTest) -> None:
    app.query_params["council"] = "E10000016"
    app.run()
    assert "Districts in this county (12)" in page_text(app)


def test_about_data_lists_every_indicator(app: AppTest) -> None:
    from lm_core.build import load_processed

    app.switch_page("pages/data.py")
    app.run()
    assert not app.exception
    shown = app.dataframe[0].value
    assert len(shown) == len(load_processed()["indicators"])
    text = page_text(app)
    assert "Open Government Licence" in text or "OGL" in text
    assert "[c] suppressed" in text
    assert len(app.expander) == shown["service_area"].nunique()
    for title in shown["title"]:  # every indicator's source, licence and caveats are on the page
        assert f"**{title}**" in " ".join(m.value for m in app.markdown)


def test_peers_page_lists_peers_with_family_and_hash(app: AppTest) -> None:
    app.switch_page("pages/peers.py")
    app.query_params["council"] = "E07000117"
    app.query_params["k"] = "10"
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    assert len(table) == 10 and "E07000117" not in set(table["area_code"])
    assert list(table["similarity"]) == sorted(table["similarity"], reverse=True)
    text = page_text(app)
    assert "10 councils most like Burnley" in text
    assert "Family:" in text and "Peer set" in text
    charts = app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    assert len(charts) >= 2  # the why chart and the map


def test_peers_page_weights_from_url_and_outcomes_ignored(app: AppTest) -> None:
    app.switch_page("pages/peers.py")
    app.query_params["council"] = "E07000117"
    app.query_params["w"] = "population:3,household_recycling_rate:5"
    app.run()
    assert not app.exception
    labels = [s.label for s in app.slider]
    assert all("recycling" not in lbl.lower() for lbl in labels)  # only context variables are offered
    assert app.slider(key="w_population_overall").value == 3.0


def test_peers_page_lens_changes_the_list(app: AppTest) -> None:
    app.switch_page("pages/peers.py")
    app.query_params["council"] = "E09000007"
    app.run()
    overall = list(app.dataframe[0].value["area_code"])
    app.selectbox(key="lens_picker").set_value("economy").run()
    assert not app.exception
    assert list(app.dataframe[0].value["area_code"]) != overall


def test_council_profile_overview(app: AppTest) -> None:
    app.switch_page("pages/council.py")
    app.query_params["council"] = "E07000117"
    app.run()
    assert not app.exception
    text = page_text(app)
    assert "Burnley Borough Council" in text
    assert "Waste and environment" in text and "Adult social care" in text
    assert "Compared with similar councils, Burnley" in text
    assert "run by Lancashire" in text  # county services shown as the county's figures
    assert len(app.dataframe) >= 9


def test_council_profile_one_measure_deep_link(app: AppTest) -> None:
    app.switch_page("pages/council.py")
    app.query_params.update({"council": "E07000117", "indicator": "household_recycling_rate", "lens": "place",
                             "k": "10"})
    app.run()
    assert not app.exception
    assert app.selectbox(key="indicator_picker").value == "household_recycling_rate"
    assert app.selectbox(key="lens_picker").value == "place"
    text = page_text(app)
    assert "Burnley:" in text and "similar councils" in text
    assert "Similar councils to talk to" in text


def test_suppressed_missing_and_zero_said_differently(app: AppTest) -> None:
    app.switch_page("pages/council.py")
    app.query_params["council"] = "E07000117"
    app.run()
    values = " ".join(" ".join(df.value["value"].astype(str)) for df in app.dataframe if "value" in df.value)
    assert "Not available [x]" in values  # Burnley has no wellbeing figures for the latest year
    assert " 0 " not in f" {values} " or "0.0" in values


RANK_PATTERN = r"\b(rank(ed|ing|s)?|league table|\d+(st|nd|rd|th) of \d+|top \d+|bottom \d+|quartile)\b"


@pytest.mark.parametrize("page", ["pages/home.py", "pages/council.py", "pages/peers.py", "pages/data.py"])
def test_no_rank_wording_on_pages(app: AppTest, page: str) -> None:
    import re

    app.switch_page(page)
    app.query_params["council"] = "E10000016"
    app.run()
    assert not app.exception
    text = page_text(app).lower().replace("never ranks them", "").replace("nothing here is a ranking", "")
    text = text.replace("never ranked", "").replace("not by performance", "")
    tables = " ".join(df.value.to_csv() for df in app.dataframe).lower()
    assert not re.search(RANK_PATTERN, text + tables), re.search(RANK_PATTERN, text + tables)


def test_metric_explorer_views(app: AppTest) -> None:
    app.switch_page("pages/explorer.py")
    app.query_params.update({"indicator": "household_recycling_rate", "council": "E07000117", "tier": "lower"})
    app.run()
    assert not app.exception
    text = page_text(app)
    assert "Household waste recycling rate" in text and "councils have a figure" in text
    charts = app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    assert len(charts) == 3  # spread, funnel and scatter (all tabs render)
    assert not app.dataframe  # never a table of all councils to sort


def test_metric_explorer_upper_tier_without_denominators(app: AppTest) -> None:
    app.switch_page("pages/explorer.py")
    app.query_params.update({"tier": "upper", "indicator": "asc_user_quality_of_life_impact"})
    app.run()
    assert not app.exception
    assert any("funnel plot cannot be drawn" in i.value for i in app.info)
