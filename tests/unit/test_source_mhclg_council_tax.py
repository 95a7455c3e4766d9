"""DLUHC council tax (CTR Table 9) reader: real-file coverage and hand-checked cells, malformed files,
header and percentage-change helpers."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources import mhclg_council_tax as ct
from lm_core.sources.base import SERVICE_AREAS, VALUE_COLUMNS, SourceError, SourceResult

SOURCES = default_sources_dir()
HAS_DATA = (SOURCES / ct.FOLDER / ct.FILE).exists()
needs_data = pytest.mark.skipif(not HAS_DATA, reason=f"official files not found under {SOURCES}")


@pytest.fixture(scope="module")
def result() -> SourceResult:
    return ct.read(SOURCES)


def _row(values: pd.DataFrame, area: str, indicator: str, period: str) -> pd.Series:
    row = values[(values.area_code == area) & (values.indicator_id == indicator) & (values.period == period)]
    assert len(row) == 1
    return row.iloc[0]


@needs_data
def test_five_indicators_with_metadata(result: SourceResult) -> None:
    ids = [m.id for m in result.indicators]
    assert ids == [ct.AREA_TOTAL, ct.UPPER, ct.UPPER_CHANGE, ct.DISTRICT_LEVEL, ct.DISTRICT_CHANGE]
    assert tuple(result.values.columns) == VALUE_COLUMNS
    tiers = {m.id: m.tier for m in result.indicators}
    assert tiers == {ct.AREA_TOTAL: "lower", ct.UPPER: "upper", ct.UPPER_CHANGE: "upper",
                     ct.DISTRICT_LEVEL: "lower", ct.DISTRICT_CHANGE: "lower"}
    for meta in result.indicators:
        assert meta.service_area == "Finance" and meta.service_area in SERVICE_AREAS
        assert (meta.polarity, meta.role) == ("none", "outcome")
        assert meta.attribution == ct.ATTRIBUTION


@needs_data
def test_coverage_by_tier(result: SourceResult) -> None:
    v = result.values
    ok = v[(v.status == "") & (v.area_code != "E92000001") & (v.period == "2023-24")]
    counts = ok.groupby("indicator_id")["area_code"].nunique().to_dict()
    assert counts == {ct.AREA_TOTAL: 296, ct.UPPER: 153, ct.UPPER_CHANGE: 153,
                      ct.DISTRICT_LEVEL: 164, ct.DISTRICT_CHANGE: 164}
    upper = set(ok.loc[ok.indicator_id == ct.UPPER, "area_code"])
    assert {c[:3] for c in upper} == {"E06", "E08", "E09", "E10"}
    assert set(ok.loc[ok.indicator_id == ct.DISTRICT_LEVEL, "area_code"].str[:3]) == {"E07"}
    # Unitaries are explicitly "not applicable" for the district measures, never 0.
    district = v[(v.indicator_id == ct.DISTRICT_LEVEL) & (v.area_code == "E06000001")]
    assert (district["status"] == "z").all() and district["value"].isna().all()
    assert v.loc[v.status.isin(["x", "c", "z"]), "value"].isna().all()
    levels = v[(v.status == "") & v.indicator_id.isin([ct.AREA_TOTAL, ct.UPPER, ct.DISTRICT_LEVEL])]
    assert (levels["value"] > 0).all()  # no Band D published as 0 slips through as a number


@needs_data
def test_values_checked_by_hand(result: SourceResult) -> None:
    v = result.values
    # Data_Billing row 12 (Adur): AA12 317.61 and AB12 324 (line 9), AL12 2217.39 (line 17).
    assert _row(v, "E07000223", ct.DISTRICT_LEVEL, "2022-23")["value"] == pytest.approx(317.61)
    assert _row(v, "E07000223", ct.DISTRICT_LEVEL, "2023-24")["value"] == pytest.approx(324.0)
    assert _row(v, "E07000223", ct.AREA_TOTAL, "2023-24")["value"] == pytest.approx(2217.39)
    assert _row(v, "E07000223", ct.DISTRICT_CHANGE, "2023-24")["value"] == pytest.approx(
        100 * (324 / 317.61 - 1))
    # Data_Precepting row 109 (West Sussex): M109 1555.74, N109 1633.41 (line 3).
    assert _row(v, "E10000032", ct.UPPER, "2022-23")["value"] == pytest.approx(1555.74)
    assert _row(v, "E10000032", ct.UPPER, "2023-24")["value"] == pytest.approx(1633.41)
    # Data_Billing row 6 (England, TE): Z6 2065.06, the England average Band D.
    assert _row(v, "E92000001", ct.AREA_TOTAL, "2023-24")["value"] == pytest.approx(2065.06)
    # Cumberland's 2022-23 figure (AA74, 1648.58) is DLUHC's estimate and says so.
    cumberland = _row(v, "E06000063", ct.UPPER, "2022-23")
    assert cumberland["value"] == pytest.approx(1648.58) and "estimate" in cumberland["note"]


def _write_ods(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False, header=False)


YEAR_TEXT = "The current year that this table refers to relates to financial year 2023-24."
LABEL_8 = "8. Average (Band D 2 Adult equivalent) council tax (including local precepts)\n\n(current year)"
LABEL_9P = "9. Average (Band D 2 Adult equivalent) council tax (excluding local precepts)\n\n(previous year)"
LABEL_9C = "9. Average (Band D 2 Adult equivalent) council tax (excluding local precepts)\n\n(current year)"
LABEL_17 = "17. Average (Band D 2 adult equivalent) council tax for area of the billing authority"
ID_COLS = ["E-code", "ONS Code", "Authority", "Region", "Class", "Notes"]


def _billing(labels: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame([
        ["Table 1", *[None] * 9],
        [YEAR_TEXT, *[None] * 9],
        [*ID_COLS, *(labels or [LABEL_8, LABEL_9P, LABEL_9C, LABEL_17])],
        ["TE", "TE", "England", "Eng", "Eng", None, 2065.06, 1929.4, 2027.31, "[z]"],
        ["SD", "SD", "Shire Districts", "[z]", "SD", None, 256.04, 198.97, 204.21, "[z]"],
        ["E3831", "E07000223", "Adur", "SE", "SD", None, 344.07, 317.61, 324, 2217.39],
        ["E0101", "E06000022", "Bath", "SW", "UA", "[note d]", 1702.94, 0, 1653.9, 2200.5],
    ])


def _precepting() -> pd.DataFrame:
    return pd.DataFrame([
        [YEAR_TEXT, *[None] * 7],
        [*ID_COLS, "3. Average council tax\n(previous year)", "3. Average council tax\n(current year)"],
        ["E3820", "E10000032", "West Sussex", "SE", "SC", None, 1555.74, 1633.41],
        ["E7046", "E23000014", "West Midlands PCC", "WM", "PCC", None, 187.55, 202.55],
    ])


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / ct.FOLDER
    folder.mkdir()
    return folder / ct.FILE


def test_missing_sheet_names_the_file(tmp_path: Path) -> None:
    _write_ods(_folder(tmp_path), {ct.BILLING: _billing()})
    with pytest.raises(SourceError, match=r"CTR_Table_9_2023-24\.ods.*Data_Precepting"):
        ct.read(tmp_path)


def test_missing_line_names_the_file(tmp_path: Path) -> None:
    _write_ods(_folder(tmp_path), {ct.BILLING: _billing([LABEL_8, LABEL_9P, LABEL_9C, "18. Parishes"]),
                                   ct.PRECEPTING: _precepting()})
    with pytest.raises(SourceError, match=r"CTR_Table_9_2023-24\.ods.*line 17"):
        ct.read(tmp_path)


def test_tiny_workbook_reads(tmp_path: Path) -> None:
    _write_ods(_folder(tmp_path), {ct.BILLING: _billing(), ct.PRECEPTING: _precepting()})
    v = ct.read(tmp_path).values
    assert not v["area_code"].str.startswith("E23").any()
    assert _row(v, "E10000032", ct.UPPER, "2023-24")["value"] == pytest.approx(1633.41)
    # A Band D published as 0 is a blank, and so is the change it would feed.
    bath = _row(v, "E06000022", ct.UPPER, "2022-23")
    assert math.isnan(bath["value"]) and bath["status"] == "x" and "estimate" in bath["note"]
    assert _row(v, "E06000022", ct.UPPER_CHANGE, "2023-24")["status"] == "x"
    assert _row(v, "E92000001", ct.DISTRICT_LEVEL, "2023-24")["value"] == pytest.approx(204.21)


@given(st.floats(min_value=1, max_value=5000), st.floats(min_value=0, max_value=5000))
def test_percent_change_inverts(previous: float, current: float) -> None:
    change = ct.percent_change(previous, current)
    assert previous * (1 + change / 100) == pytest.approx(current, rel=1e-9, abs=1e-9)


@given(st.one_of(st.just(0.0), st.floats(max_value=0), st.just(float("nan"))), st.floats(0, 5000))
def test_percent_change_needs_a_positive_base(previous: float, current: float) -> None:
    assert math.isnan(ct.percent_change(previous, current))


@given(st.integers(min_value=1, max_value=40), st.sampled_from(["previous", "current", None]),
       st.text(alphabet="abc Band()", max_size=30))
def test_header_key(line: int, year: str | None, words: str) -> None:
    label = f"{line}. {words}\n\n" + (f"({year} year)" if year else "")
    assert ct.header_key(label) == (str(line), year)
    assert ct.header_key(f"Re-organising {words}") is None
