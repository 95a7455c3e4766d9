"""MHCLG planning P134 reader: real-file coverage and hand-checked cells, malformed files, period parser."""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources import mhclg_planning
from lm_core.sources.base import SERVICE_AREAS, VALUE_COLUMNS, SourceError, SourceResult

SOURCES = default_sources_dir()
HAS_DATA = (SOURCES / mhclg_planning.FOLDER / mhclg_planning.FILE).exists()
needs_data = pytest.mark.skipif(not HAS_DATA, reason=f"official files not found under {SOURCES}")
GRANTED = "planning_decisions_granted_pct"
DELEGATED = "planning_decisions_delegated_pct"
EXTENSION = "planning_decisions_extension_of_time_pct"
PERIOD = "year to Sep 2025"


@pytest.fixture(scope="module")
def result() -> SourceResult:
    return mhclg_planning.read(SOURCES)


def _row(values: pd.DataFrame, area: str, indicator: str) -> pd.Series:
    row = values[(values.area_code == area) & (values.indicator_id == indicator) & (values.period == PERIOD)]
    assert len(row) == 1
    return row.iloc[0]


@needs_data
def test_three_indicators_with_metadata(result: SourceResult) -> None:
    assert [m.id for m in result.indicators] == [GRANTED, DELEGATED, EXTENSION]
    assert tuple(result.values.columns) == VALUE_COLUMNS
    for meta in result.indicators:
        assert meta.service_area == "Housing and planning" and meta.service_area in SERVICE_AREAS
        assert (meta.polarity, meta.role, meta.tier, meta.rollup) == ("none", "outcome", "lower", "weighted")
        assert meta.attribution == mhclg_planning.ATTRIBUTION


@needs_data
def test_every_council_and_no_parks(result: SourceResult) -> None:
    v = result.values
    assert set(v["period"]) == {PERIOD} and set(v["period_start"]) == {"2024-10-01"}
    councils = v[v.area_code != "E92000001"]
    assert councils["area_code"].str[:3].isin(["E06", "E07", "E08", "E09"]).all()
    for indicator in (GRANTED, DELEGATED, EXTENSION):
        sub = councils[(councils.indicator_id == indicator) & (councils.status == "")]
        assert sub["area_code"].nunique() == 296, indicator
        assert (sub["numerator"] <= sub["denominator"]).all() and sub["denominator"].gt(0).all()
    assert {"E08000038", "E08000039"} <= set(v["area_code"])  # 2025 codes, as published
    assert not v["area_code"].str.startswith(("E26", "E51", "E12")).any()
    assert v.loc[v.status.isin(["x", "c", "z"]), "value"].isna().all()


@needs_data
def test_values_checked_by_hand(result: SourceResult) -> None:
    v = result.values
    # LT_P134 row 19 (Adur): G19 decisions 312, I19 granted 284, J19 91.025641025641 % granted.
    adur = _row(v, "E07000223", GRANTED)
    assert (adur["numerator"], adur["denominator"]) == (284, 312)
    assert adur["value"] == pytest.approx(91.025641025641)
    # H19: 94.551282051282 % delegated, i.e. 295 of 312.
    assert _row(v, "E07000223", DELEGATED)["numerator"] == 295
    # F19: 124 decisions with an extension of time, 124 / 312.
    assert _row(v, "E07000223", EXTENSION)["value"] == pytest.approx(100 * 124 / 312)
    # Row 328 (York): G328 1,312 decisions, J328 83.917683 % granted.
    york = _row(v, "E06000014", GRANTED)
    assert york["denominator"] == 1312 and york["value"] == pytest.approx(83.917683, abs=1e-6)
    # Row 6 (England): 303,215 decisions, 263,565 granted.
    england = _row(v, "E92000001", GRANTED)
    assert (england["numerator"], england["denominator"]) == (263565, 303215)


def _write_ods(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False, header=False)


def _tiny_p134(drop: str | None = None, decisions: object = 200) -> pd.DataFrame:
    header = ["Planning authority", *mhclg_planning.COLUMNS]
    row: list[object] = ["Adur", "E07000223", 40, 180, decisions, 95.0, 90.0]
    park: list[object] = ["Exmoor National Park", "E26000002", 1, 9, 10, 90.0, 90.0]
    frame = pd.DataFrame(
        [["Table P134: ..., year ending September 2025", *[None] * 6], header, row, park],
    )
    if drop is not None:
        frame = frame.drop(columns=header.index(drop))
    return frame


def test_missing_sheet_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / mhclg_planning.FOLDER
    folder.mkdir()
    _write_ods(folder / mhclg_planning.FILE, {"LT_P133": _tiny_p134()})
    with pytest.raises(SourceError, match=r"planning-data\.ods.*LT_P134"):
        mhclg_planning.read(tmp_path)


def test_missing_column_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / mhclg_planning.FOLDER
    folder.mkdir()
    broken = _tiny_p134(drop="Total number of decisions granted")
    _write_ods(folder / mhclg_planning.FILE, {"LT_P134": broken})
    with pytest.raises(SourceError, match=r"planning-data\.ods.*Total number of decisions granted"):
        mhclg_planning.read(tmp_path)


def test_tiny_table_reads_and_skips_parks(tmp_path: Path) -> None:
    folder = tmp_path / mhclg_planning.FOLDER
    folder.mkdir()
    _write_ods(folder / mhclg_planning.FILE, {"LT_P134": _tiny_p134()})
    result = mhclg_planning.read(tmp_path)
    v = result.values.set_index("indicator_id")
    assert set(result.values["area_code"]) == {"E07000223"}
    assert v.at[DELEGATED, "numerator"] == 190 and v.at[EXTENSION, "value"] == pytest.approx(20.0)
    assert any("Exmoor" in line for line in result.log)


@given(st.integers(min_value=2000, max_value=2100), st.integers(min_value=1, max_value=12))
def test_year_ending_is_twelve_months(year: int, month: int) -> None:
    title = f"Table X: by LPA, year ending {calendar.month_name[month]} {year}"
    label, start = mhclg_planning.parse_year_ending(title)
    first = date.fromisoformat(start)
    assert label == f"year to {calendar.month_abbr[month]} {year}"
    # Twelve months later the year has ended: the start month follows the end month, a year before.
    assert (first.year * 12 + first.month) - (year * 12 + month) == -11


def test_year_ending_rejects_other_titles() -> None:
    with pytest.raises(ValueError):
        mhclg_planning.parse_year_ending("Table P133: July to September 2025")
    with pytest.raises(ValueError):
        mhclg_planning.parse_year_ending("year ending Septober 2025")
