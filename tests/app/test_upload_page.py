"""AppTest of the upload page ("Bring your own data", issue 7).

Streamlit 1.67's AppTest drives `st.file_uploader` (`set_value((name, bytes, mime))`), so files go
through the real form. The two files in tests/fixtures are SYNTHETIC: upload_good.csv gives made-up
figures for every lower-tier council (first row's note says so); upload_bad.csv has a mistake on
every row after the first. Other files are built here by code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lm_core.build import load_processed
from lm_core.store import get_engine
from lm_core.upload import UploadMeta, validate_upload
from lm_core.user_data import list_user_indicators

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
GOOD = (FIXTURES / "upload_good.csv").read_bytes()
BAD = (FIXTURES / "upload_bad.csv").read_bytes()
PAGE = "pages/upload.py"
META = UploadMeta(title="Residents satisfied with parks", unit="%", polarity="higher_better", tier="lower",
                  source="Synthetic test figures")


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
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=90)
    at.switch_page(PAGE)
    return at


@pytest.fixture()
def private_db(app_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the store for tests that save, so the shared one stays free of user indicators."""
    src = Path(app_db_url.removeprefix("sqlite:///"))
    dst = tmp_path / "private.sqlite"
    shutil.copy(src, dst)
    url = f"sqlite:///{dst}"
    monkeypatch.setenv("LM_DATABASE_URL", url)
    return url


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [t.value for t in at.title] + [s.value for s in at.subheader]
    parts += [c.value for c in at.caption] + [f"{m.label} {m.value}" for m in at.metric] + [i.value for i in at.info]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


def fill_form(at: AppTest, data: bytes, name: str = "mine.csv", meta: UploadMeta = META) -> AppTest:
    """Type the metadata, attach the file and press "Check the file"."""
    at.text_input(key="up_title").input(meta.title)
    at.text_input(key="up_unit").input(meta.unit)
    at.text_input(key="up_source").input(meta.source)
    at.selectbox(key="up_polarity").set_value(meta.polarity)
    at.selectbox(key="up_tier").set_value(meta.tier)
    at.file_uploader(key="up_file").set_value((name, data, "text/csv"))
    return at.form_submit_button[0].click().run()


def user_indicator_count(url: str) -> int:
    engine = get_engine(url)
    try:
        return len(list_user_indicators(engine))
    finally:
        engine.dispose()


def seeded(data: bytes = GOOD, meta: UploadMeta = META) -> dict[str, object]:
    tables = load_processed()
    report = validate_upload(data, tables["authorities"], tables["lineage"], meta)
    return {"file_name": "seeded.csv", "meta": meta, "report": report, "decimals": 1}


def test_page_explains_formats_and_offers_a_valid_template(app: AppTest) -> None:
    app.run()
    assert not app.exception
    text = page_text(app)
    assert "Bring your own data" in text
    assert "5 MB" in text and "[x]" in text and "[c]" in text and "retired code" in text
    assert [b.label for b in app.form_submit_button] == ["Check the file"]
    assert len(app.file_uploader) == 1
    labels = {w.label for w in app.text_input}
    assert {"Title", "Unit", "Source"} <= labels
    assert app.selectbox(key="up_polarity").value is None and app.selectbox(key="up_tier").value is None
    assert "Download the template (CSV)" in [b.proto.label for b in app.get("download_button")]
    tables = load_processed()
    examples = [c.value for c in app.code]
    assert len(examples) == 2  # the wide example and the template, both shown on the page
    for example in examples:
        report = validate_upload(example.encode(), tables["authorities"], tables["lineage"], META)
        assert report.ok, report.summary()
    assert "None yet" in text


def test_nothing_is_checked_until_every_field_is_given(app: AppTest, app_db_url: str) -> None:
    app.run()
    app.form_submit_button[0].click().run()
    assert not app.exception
    message = app.error[0].value
    for missing in ("a title", "a unit", "the source", "which direction is better", "a CSV file"):
        assert missing in message
    assert user_indicator_count(app_db_url) == 0


def test_good_file_is_compared_with_similar_councils(app: AppTest, app_db_url: str) -> None:
    app.query_params["council"] = "E07000117"  # Burnley
    app.run()
    fill_form(app, GOOD)
    assert not app.exception
    text = page_text(app)
    assert "Accepted:" in text and "592 figures for 296 councils" in text
    assert "Craven" in text and "North Yorkshire" in text  # retired code mapped, with a notice
    assert "Pendle" in text  # matched by name, with a notice
    assert "Compared with its 15 similar councils:" in text
    metrics = {m.label: m.value for m in app.metric}
    assert set(metrics) == {"Burnley", "Similar councils' median", "Typical range"}
    assert metrics["Burnley"].endswith("%") and " to " in metrics["Typical range"]
    shown = app.dataframe[0].value
    assert shown["area_code"].iloc[0] == "E07000117" and len(shown) == 16
    assert not any("rank" in str(c).lower() for c in shown.columns)
    peers = list(shown["area_name"])[1:]
    assert peers == sorted(peers)  # alphabetical, never by value
    charts = app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    assert len(charts) == 2  # the strip and the two-period trend
    assert "rank" not in str(charts[0].proto.spec).lower()
    assert [b.label for b in app.button if b.label == "Save to the shared store"]
    assert user_indicator_count(app_db_url) == 0  # kept in the session only


def test_bad_file_lists_each_row_and_stores_nothing(app: AppTest, app_db_url: str) -> None:
    app.run()
    fill_form(app, BAD, name="bad.csv")
    assert not app.exception
    errors = app.error[0].value
    assert "not accepted: 7 problems" in errors and "Nothing was stored" in errors
    for row in ("Row 3", "Row 4", "Row 5", "Row 7", "Row 8", "Row 10", "Rows 2 and 6"):
        assert row in errors
    assert "formula" in errors and "Welsh" in errors and "county council" in errors
    assert not app.metric and not app.dataframe
    assert not [b for b in app.button if b.label == "Save to the shared store"]
    assert user_indicator_count(app_db_url) == 0


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "The file is empty"),
    (b"code,period,value\n" + b"E07000117,2023-24,1\n" * 300_000, "the limit is 5 MB"),
    (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
    (b"code;period;value\nE07000117;2023-24;1,5\n", "Row 2"),
    ("code,period,value\nE07000117,2023-24,£12\n".encode("cp1252"), "Windows-1252"),
])
def test_awkward_files_get_plain_messages(app: AppTest, data: bytes, expected: str) -> None:
    app.run()
    fill_form(app, data, meta=UploadMeta("Spend on parks", "£ per head" if b"\xa3" in data else "%",
                                         "none", "lower", "Synthetic"))
    assert not app.exception
    assert expected in page_text(app)


def test_seeded_session_draws_the_comparison_without_the_uploader(app: AppTest) -> None:
    app.session_state["upload_check"] = seeded()
    app.query_params["council"] = "E07000122"  # Pendle, named (not coded) in the file
    app.query_params["k"] = "10"
    app.run()
    assert not app.exception
    assert "Compared with its 10 similar councils:" in page_text(app)
    assert len(app.dataframe[0].value) == 11


def test_council_from_another_tier_is_explained(app: AppTest) -> None:
    app.session_state["upload_check"] = seeded()
    app.query_params["council"] = "E10000017"  # Lancashire County Council: not in a lower-tier upload
    app.run()
    assert not app.exception
    assert "Lancashire is not a lower-tier council" in page_text(app)
    assert app.selectbox(key="council_picker").value is None


def test_clear_forgets_the_upload(app: AppTest) -> None:
    app.session_state["upload_check"] = seeded()
    app.run()
    app.button(key="clear_upload").click().run()
    assert not app.exception
    assert app.session_state["upload_check"] is None
    assert "What the check found" not in page_text(app)


def test_save_writes_once_tagged_user_supplied(app: AppTest, private_db: str) -> None:
    official = load_processed()["indicators"]
    app.session_state["upload_check"] = seeded()
    app.query_params["council"] = "E07000117"
    app.run()
    app.button(key="save_upload").click().run()
    assert not app.exception
    assert "Saved as `user_residents_satisfied_with_parks_" in app.success[-1].value
    saved = list_user_indicators(get_engine(private_db))
    assert len(saved) == 1 and saved.loc[0, "origin"] == "user-supplied"
    assert saved.loc[0, "source"] == META.source and saved.loc[0, "id"] not in set(official["id"])
    assert "Residents satisfied with parks" in str(app.dataframe[-1].value["title"].tolist())
    app.button(key="save_upload").click().run()
    assert "already saved" in page_text(app)
    assert len(list_user_indicators(get_engine(private_db))) == 1
