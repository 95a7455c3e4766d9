"""ONS mid-2022 population estimates reader: real workbook, malformed workbooks, label parsers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources.base import SourceError
from lm_core.sources.ons_mye import FILE, FOLDER, age_of, mid_year, read

COUNCILS = ("E06", "E07", "E08", "E09", "E10")


@pytest.fixture(scope="module")
def values() -> pd.DataFrame:
    root = default_sources_dir()
    if not (root / FOLDER / FILE).exists():
        pytest.skip(f"official file not found at {root / FOLDER / FILE} (set LM_SOURCES)")
    return read(root).values


def _one(values: pd.DataFrame, code: str, indicator_id: str, period: str) -> pd.Series:
    rows = values[(values["area_code"] == code) & (values["indicator_id"] == indicator_id)
                  & (values["period"] == period)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_coverage_every_council_and_county(values: pd.DataFrame) -> None:
    for ind in ("population", "population_density", "share_aged_65_plus", "share_aged_0_15", "median_age"):
        latest = values[(values["indicator_id"] == ind) & (values["period"] == "mid-2022")]
        councils = latest[latest["area_code"].str.startswith(COUNCILS) & latest["value"].notna()]
        assert len(councils) == 317, ind  # 296 districts/unitaries + 21 counties (April 2023 geography)
        assert (councils["area_code"].str[:3] == "E10").sum() == 21
        assert "E92000001" in set(latest["area_code"])
    assert set(values["period"]) == {"mid-2022", "mid-2011"}
    assert not values["area_code"].str.startswith(("E11", "E12", "W", "S", "N", "K")).any()


def test_nothing_missing_is_zero(values: pd.DataFrame) -> None:
    not_numbers = values["status"].isin(["x", "c", "z"])
    assert values.loc[not_numbers, "value"].isna().all()
    assert (values["value"].dropna() > 0).all()  # no population, share or median age is zero


def test_values_match_the_workbook(values: pd.DataFrame) -> None:
    # MYE2 - Persons, row E06000001 Hartlepool, column "All ages" (D): 93861.
    assert _one(values, "E06000001", "population", "mid-2022")["value"] == 93861
    # MYE5 row E10000003 Cambridgeshire: mid-2022 population 689109, mid-2011 622312, area 3046.2357 km²,
    # density displayed as 226.
    cambs = _one(values, "E10000003", "population_density", "mid-2022")
    assert cambs["numerator"] == 689109
    assert cambs["denominator"] == pytest.approx(3046.2357)
    assert round(cambs["value"]) == 226
    assert _one(values, "E10000003", "population", "mid-2011")["value"] == 622312
    # MYE6 row E06000001: Mid-2022 median age 42.2.
    assert _one(values, "E06000001", "median_age", "mid-2022")["value"] == pytest.approx(42.2)
    # MYE2 row E06000001: ages 65..90+ (columns BR..CQ) sum to 18738; ages 0..15 (E..T) to 17780.
    old = _one(values, "E06000001", "share_aged_65_plus", "mid-2022")
    assert (old["numerator"], old["denominator"]) == (18738, 93861)
    assert old["value"] == pytest.approx(100 * 18738 / 93861)
    assert _one(values, "E06000001", "share_aged_0_15", "mid-2022")["numerator"] == 17780


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, rows in sheets.items():
            pd.DataFrame(rows).to_excel(writer, sheet_name=name, header=False, index=False)


def test_missing_sheet_names_the_file(tmp_path: Path) -> None:
    (tmp_path / FOLDER).mkdir()
    path = tmp_path / FOLDER / FILE
    _workbook(path, {"MYE2 - Persons": [["Code", "Name", "Geography", "All ages"]], "MYE6": [["Code"]]})
    with pytest.raises(SourceError, match="MYE5") as err:
        read(tmp_path)
    assert FILE in str(err.value)


def test_missing_header_and_columns_name_the_file(tmp_path: Path) -> None:
    (tmp_path / FOLDER).mkdir()
    path = tmp_path / FOLDER / FILE
    ages = [["Code", "Name", "Geography", "All ages", *range(90), "90+"],
            ["E06000001", "Hartlepool", "Unitary Authority", 10, *([0] * 91)]]
    density = [["title"], ["Code", "Name", "Geography", "Area (sq km)"]]  # population columns gone
    _workbook(path, {"MYE2 - Persons": ages, "MYE5": density, "MYE6": [["no header here"]]})
    with pytest.raises(SourceError, match="Estimated Population mid-2022") as err:
        read(tmp_path)
    assert FILE in err.value.path
    _workbook(path, {"MYE2 - Persons": [["no header"]], "MYE5": density, "MYE6": [["x"]]})
    with pytest.raises(SourceError, match="header row"):
        read(tmp_path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        read(tmp_path)


@given(st.integers(min_value=0, max_value=120))
def test_age_of_whole_numbers(age: int) -> None:
    assert age_of(age) == age
    assert age_of(float(age)) == age
    assert age_of(str(age)) == age
    assert age_of(f"{age}+") == age


@given(st.one_of(
    st.integers(max_value=-1), st.integers(min_value=121),
    st.floats().filter(lambda f: f != f or f < 0 or f > 120 or f != int(f)),
    st.text(alphabet=st.characters(categories=["L", "P", "Zs"]), min_size=1).filter(lambda t: t.strip()),
    st.booleans(), st.none(),
))
def test_age_of_rejects_everything_else(label: object) -> None:
    assert age_of(label) is None


@given(st.integers(min_value=1971, max_value=2100))
def test_mid_year_labels(year: int) -> None:
    label, start = mid_year(year)
    assert label == f"mid-{year}"
    assert start == f"{year}-06-30"
