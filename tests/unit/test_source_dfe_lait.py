"""DfE LAIT reader: real-file coverage and hand-checked values, malformed files, and the year parser."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources import dfe_lait
from lm_core.sources.base import SERVICE_AREAS, VALUE_COLUMNS, SourceError, SourceResult

SOURCES = default_sources_dir()
HAS_DATA = (SOURCES / dfe_lait.FOLDER / dfe_lait.DATA_FILE).exists()
needs_data = pytest.mark.skipif(not HAS_DATA, reason=f"official files not found under {SOURCES}")
COUNCIL = ("E06", "E08", "E09", "E10")


@pytest.fixture(scope="module")
def result() -> SourceResult:
    return dfe_lait.read(SOURCES)


@pytest.fixture(scope="module")
def neighbours() -> pd.DataFrame:
    return dfe_lait.read_statistical_neighbours(SOURCES)


def _row(values: pd.DataFrame, area: str, indicator: str, period: str) -> pd.Series:
    row = values[(values.area_code == area) & (values.indicator_id == indicator) & (values.period == period)]
    assert len(row) == 1, (area, indicator, period)
    return row.iloc[0]


@needs_data
def test_indicators_are_outcomes_with_metadata(result: SourceResult) -> None:
    ids = [m.id for m in result.indicators]
    assert 8 <= len(ids) <= 12 and len(set(ids)) == len(ids)
    assert tuple(result.values.columns) == VALUE_COLUMNS
    for meta in result.indicators:
        assert meta.service_area in {"Children's services", "Education"}
        assert meta.service_area in SERVICE_AREAS
        assert meta.role == "outcome" and meta.tier == "upper"
        assert meta.attribution == dfe_lait.ATTRIBUTION
        assert meta.source_url.startswith("https://")
    polarity = {m.id: m.polarity for m in result.indicators}
    assert polarity["children_looked_after_rate"] == "none"
    assert polarity["childrens_social_care_rereferral_rate"] == "lower_better"
    assert polarity["attainment_8_average"] == "higher_better"


@needs_data
def test_latest_period_covers_nearly_every_council(result: SourceResult) -> None:
    ok = result.values[(result.values["status"] == "") & (result.values["area_code"] != "E92000001")]
    for meta in result.indicators:
        sub = ok[ok["indicator_id"] == meta.id]
        latest = sub[sub["period_start"] == sub["period_start"].max()]
        assert len(latest) >= 148, meta.id
    codes = set(result.values["area_code"])
    assert all(c.startswith(COUNCIL) or c == "E92000001" for c in codes)
    # Post-2023 councils are there, and North Yorkshire/Somerset take their current codes.
    assert {"E06000063", "E06000064", "E06000065", "E06000066"} <= codes
    assert "E10000023" not in codes and "E10000027" not in codes


@needs_data
def test_suppressed_cells_are_never_zero(result: SourceResult) -> None:
    values = result.values
    assert values.loc[values["status"] != "", "value"].isna().all()
    # bds_long_0.parquet: Isles of Scilly (420), LAC, Years 2020 holds "-".
    scilly = _row(values, "E06000053", "children_looked_after_rate", "2019-20")
    assert scilly["status"] == "x" and math.isnan(scilly["value"])
    # ... while Years 2016 holds a published 0, which stays 0.
    assert _row(values, "E06000053", "children_looked_after_rate", "2015-16")["value"] == 0


@needs_data
def test_values_match_the_file(result: SourceResult) -> None:
    values = result.values
    # bds_long_0.parquet: AVG_Attain8_Score, Years 2025, England (970): "46"
    assert _row(values, "E92000001", "attainment_8_average", "2024/25")["value"] == 46.0
    # bds_long_0.parquet: LAC, Years 2025, North Yorkshire (815): "48"; LACnum same row key: "561"
    north_yorks = _row(values, "E06000065", "children_looked_after_rate", "2024-25")
    assert (north_yorks["value"], north_yorks["numerator"]) == (48.0, 561.0)
    # bds_long_0.parquet: ReReferral, Years 2024, Cumberland (942): "10.7"
    assert _row(values, "E06000063", "childrens_social_care_rereferral_rate", "2023-24")["value"] == 10.7
    # bds_long_0.parquet, Years 2025, Cumberland: CareLeaverAcc 73, NoCareLeaverAcc 131, NoCareLeavers 180
    leavers = _row(values, "E06000063", "care_leavers_in_suitable_accommodation", "2024-25")
    assert (leavers["value"], leavers["numerator"], leavers["denominator"]) == (73.0, 131.0, 180.0)


@needs_data
def test_reorganised_councils_only_appear_in_their_lifetime(result: SourceResult) -> None:
    values = result.values
    cumberland = values[(values.area_code == "E06000063") & (values.indicator_id == "children_in_need_rate")]
    assert cumberland["period"].min() == "2023-24"
    cumbria = values[(values.area_code == "E10000006") & (values.indicator_id == "children_in_need_rate")]
    assert cumbria["period"].max() == "2022-23"


@needs_data
def test_statistical_neighbours(neighbours: pd.DataFrame) -> None:
    assert list(neighbours.columns) == ["area_code", "neighbour_code", "position"]
    assert neighbours["area_code"].nunique() == 153
    positions = neighbours.groupby("area_code")["position"].apply(sorted)
    assert positions.map(lambda p: p == list(range(1, 11))).all()
    assert neighbours["area_code"].str.startswith(COUNCIL).all()
    assert neighbours["neighbour_code"].str.startswith(COUNCIL).all()
    assert (neighbours["area_code"] != neighbours["neighbour_code"]).all()
    # sn_may_2025.xlsx, sheet "LA SN Groups", row 4: Barking and Dagenham (301), SN1 = 308 (Enfield)
    first = neighbours[(neighbours.area_code == "E09000002") & (neighbours.position == 1)]
    assert first["neighbour_code"].tolist() == ["E09000010"]


def test_neighbours_sheet_missing_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / dfe_lait.FOLDER
    folder.mkdir()
    pd.DataFrame({"a": [1]}).to_excel(folder / dfe_lait.NEIGHBOURS_FILE, sheet_name="Other", index=False)
    with pytest.raises(SourceError) as err:
        dfe_lait.read_statistical_neighbours(tmp_path)
    assert dfe_lait.NEIGHBOURS_FILE in str(err.value) and dfe_lait.NEIGHBOURS_SHEET in str(err.value)


def test_dictionary_without_polarity_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / dfe_lait.FOLDER
    folder.mkdir()
    (folder / dfe_lait.DICTIONARY_FILE).write_text("Measure_short,Hyperlink(s)\nLAC,https://example.org\n")
    with pytest.raises(SourceError) as err:
        dfe_lait.read(tmp_path)
    assert dfe_lait.DICTIONARY_FILE in str(err.value) and "Polarity" in str(err.value)


def test_parquet_without_values_column_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / dfe_lait.FOLDER
    folder.mkdir()
    (folder / dfe_lait.DICTIONARY_FILE).write_text("Measure_short,Polarity,Hyperlink(s)\nLAC,-,\n")
    pd.DataFrame({"Short Desc": ["LAC"], "Years": ["2025"], "LA Number": [970.0]}).to_parquet(
        folder / dfe_lait.DATA_FILE
    )
    with pytest.raises(SourceError) as err:
        dfe_lait.read(tmp_path)
    assert dfe_lait.DATA_FILE in str(err.value)


def test_code_list_without_header_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / dfe_lait.FOLDER
    folder.mkdir()
    pd.DataFrame({"Number": [301], "Name": ["Barking and Dagenham"]}).to_excel(
        folder / dfe_lait.CODES_FILE, index=False
    )
    with pytest.raises(SourceError) as err:
        dfe_lait.la_number_codes(tmp_path)
    assert dfe_lait.CODES_FILE in str(err.value)


@given(st.integers(min_value=1901, max_value=2200))
def test_plain_years_name_the_year_they_end_in(year: int) -> None:
    fin, fin_start = dfe_lait.parse_lait_year(str(year), "financial")
    assert fin == f"{year - 1}-{year % 100:02d}" and fin_start == f"{year - 1}-04-01"
    acad, acad_start = dfe_lait.parse_lait_year(str(year), "academic")
    assert acad == f"{year - 1}/{year % 100:02d}" and acad_start == f"{year - 1}-09-01"
    assert dfe_lait.parse_lait_year(str(year), "calendar") == (str(year), f"{year}-01-01")
    # A span label means the same year as the plain one.
    assert dfe_lait.parse_lait_year(fin, "financial") == (fin, fin_start)
    assert dfe_lait.parse_lait_year(acad, "academic") == (acad, acad_start)


@given(st.text(max_size=14), st.sampled_from(["financial", "academic", "calendar"]))
def test_year_parser_only_raises_value_error(text: str, kind: dfe_lait.YearKind) -> None:
    try:
        label, start = dfe_lait.parse_lait_year(text, kind)
    except ValueError:
        return
    assert len(start) == 10 and label[:4] == start[:4]
