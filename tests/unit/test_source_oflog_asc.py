"""Oflog adult social care reader: real-file coverage, a malformed file, and the year parser."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources import oflog_asc
from lm_core.sources.base import SERVICE_AREAS, VALUE_COLUMNS, SourceError, SourceResult, financial_year

SOURCES = default_sources_dir()
HAS_DATA = (SOURCES / oflog_asc.FOLDER / oflog_asc.FILE).exists()
needs_data = pytest.mark.skipif(not HAS_DATA, reason=f"official files not found under {SOURCES}")


@pytest.fixture(scope="module")
def result() -> SourceResult:
    return oflog_asc.read(SOURCES)


def _value(values: pd.DataFrame, area: str, indicator: str, period: str) -> pd.Series:
    row = values[(values.area_code == area) & (values.indicator_id == indicator) & (values.period == period)]
    assert len(row) == 1
    return row.iloc[0]


@needs_data
def test_all_seven_measures_with_metadata(result: SourceResult) -> None:
    ids = [m.id for m in result.indicators]
    assert len(ids) == 7 == len(set(ids))
    assert tuple(result.values.columns) == VALUE_COLUMNS
    assert set(result.values["indicator_id"]) == set(ids)
    for meta in result.indicators:
        assert meta.service_area == "Adult social care" and meta.service_area in SERVICE_AREAS
        assert meta.role == "outcome" and meta.tier == "upper"
        assert meta.attribution == oflog_asc.ATTRIBUTION
    polarity = {m.id: m.polarity for m in result.indicators}
    assert polarity["asc_carer_quality_of_life"] == "higher_better"
    assert polarity["asc_workforce_turnover_rate"] == "none"


@needs_data
def test_coverage_of_latest_year(result: SourceResult) -> None:
    ok = result.values[result.values["status"] == ""]
    for meta in result.indicators:
        sub = ok[ok["indicator_id"] == meta.id]
        latest = sub["period"].max()
        assert latest in {"2021-22", "2022-23"}  # carers' survey measures end in 2021-22
        assert (sub["period"] == latest).sum() >= 145, meta.id
    assert result.values["area_code"].str[:3].isin(["E06", "E08", "E09", "E10"]).all()
    # Pre-2023 geography, kept as published.
    assert {"E10000006", "E10000023", "E10000027"} <= set(result.values["area_code"])


@needs_data
def test_missing_is_never_zero(result: SourceResult) -> None:
    values = result.values
    assert values.loc[values["status"] != "", "value"].isna().all()
    missing = values[(values["status"] == "x")]
    assert len(missing) == 303  # 298 blank cells + 5 ASC2 zeros of 2019-20
    # Wokingham ASC2 2019-20 is published as 0 but cannot be a real score.
    wokingham = _value(values, "E06000041", "asc_user_quality_of_life_impact", "2019-20")
    assert wokingham["status"] == "x" and math.isnan(wokingham["value"]) and "0" in wokingham["note"]


@needs_data
def test_values_match_the_file(result: SourceResult) -> None:
    # ASC_data.csv, first data row: 2016-17, E06000005 Darlington, ASC1, Value 7.6
    assert _value(result.values, "E06000005", "asc_carer_quality_of_life", "2016-17")["value"] == 7.6
    # ASC_data.csv line 5314: 2022-23, E10000020 Norfolk, ASC6, Value 2569.432607491371
    norfolk = _value(result.values, "E10000020", "asc_requests_resulting_in_service", "2022-23")
    assert norfolk["value"] == pytest.approx(2569.432607491371)
    # ASC_data.csv line 478: 2016-17, E06000041 Wokingham, ASC2, Value 0.381
    assert _value(result.values, "E06000041", "asc_user_quality_of_life_impact", "2016-17")["value"] == 0.381


def test_missing_column_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / oflog_asc.FOLDER
    folder.mkdir()
    bad = folder / oflog_asc.FILE
    bad.write_text("Financial year,Local authority code,Measure,Code\n2022-23,E06000001,x,ASC1\n")
    with pytest.raises(SourceError) as err:
        oflog_asc.read(tmp_path)
    assert oflog_asc.FILE in str(err.value) and "Value" in str(err.value)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=oflog_asc.FILE):
        oflog_asc.read(tmp_path)


def test_unknown_measure_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / oflog_asc.FOLDER
    folder.mkdir()
    header = ",".join(oflog_asc.COLUMNS)
    (folder / oflog_asc.FILE).write_text(f"{header}\n2022-23,E06000001,Hartlepool,ASC9,New,1,desc\n")
    with pytest.raises(SourceError, match="ASC9"):
        oflog_asc.read(tmp_path)


@given(st.integers(min_value=1900, max_value=2200))
def test_financial_year_round_trip(start: int) -> None:
    label, date = financial_year(start)
    assert oflog_asc.parse_financial_year(label) == (label, date)


@given(st.text(max_size=12))
def test_year_parser_only_raises_value_error(text: str) -> None:
    try:
        label, date = oflog_asc.parse_financial_year(text)
    except ValueError:
        return
    assert date.endswith("-04-01") and label[:4] == date[:4]
