"""DEFRA fly-tipping reader: real-file checks, malformed files, and the row converter."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources.base import SERVICE_AREAS, SourceError, finalise_values, financial_year
from lm_core.sources.defra_flytipping import (
    FILE,
    FOLDER,
    INDICATORS,
    RATE,
    read,
    records_for_row,
)
from lm_core.sources.defra_waste import ENGLAND

ROOT = default_sources_dir()

HEADER = ["Year", "ONS Code", "LA Name", "Region", "Total Incidents", "Highway Incidents",
          "Mid population estimates ", "Incidents per 1,000 people", "Reporting basis"]


def _write(tmp_path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A small workbook written with pandas' own ODF writer (a different writer from Defra's)."""
    folder = tmp_path / FOLDER
    folder.mkdir()
    with pd.ExcelWriter(folder / FILE, engine="odf") as writer:
        for name, rows in sheets.items():
            width = max(len(r) for r in rows)
            padded = [r + [None] * (width - len(r)) for r in rows]
            pd.DataFrame(padded).to_excel(writer, sheet_name=name, header=False, index=False)
    return tmp_path


def _sheet(header: list[str]) -> list[list[object]]:
    return [
        ["Fly-tipping incidents reported by local authorities in England"],
        ["", "", "", "", "TOTAL"],
        header,
        ["2012-13", "*Total", "*Total", "*Total England", 714637, 1, ":", ":", ":"],
        ["2012-13", "E07000223", "Adur", "South East", 244, 1, ":", ":", ":"],
        ["2022-23", "*Total", "*Total", "*Total England", 1082673, 1, 57106398, 18.958874, ":"],
        ["2022-23", "*Total", "*Total", "East", 5, 1, 10, 0.5, ":"],
        ["2022-23", "E07000223", "Adur", "South East", 1014, 1, 64688, 15.675241, "All incidents"],
        ["2022-23", "E09000012", "Hackney", "London", ":", 1, 260082, ":", ":"],
        ["2022-23", "E07000203", "Mid Suffolk", "East", 386, 1, 103000, 3.7475728,
         "Customer/public reported only"],
    ]


# --- Real data ---


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    if not (ROOT / FOLDER / FILE).exists():
        pytest.skip(f"official fly-tipping workbook not found at {ROOT / FOLDER / FILE}")
    return read(ROOT).values


def _one(values: pd.DataFrame, area: str, indicator: str, period: str) -> pd.Series:
    rows = values[(values["area_code"] == area) & (values["indicator_id"] == indicator)
                  & (values["period"] == period)]
    assert len(rows) == 1, (area, indicator, period)
    return rows.iloc[0]


def test_real_coverage(real: pd.DataFrame) -> None:
    for indicator in (RATE,):
        latest = real[(real["indicator_id"] == indicator) & (real["period"] == "2022-23")
                      & (real["status"] == "") & (real["area_code"] != ENGLAND)]
        assert latest["area_code"].nunique() >= 300, indicator
    assert set(real.loc[real["indicator_id"] == RATE, "period"]) == {
        financial_year(y)[0] for y in range(2019, 2023)
    }


def test_real_values_match_the_file(real: pd.DataFrame) -> None:
    # LA_incidents, row "2022-23 / E07000223 Adur": Total Incidents 1014, Mid population estimates
    # 64688, Incidents per 1,000 people 15.675241.
    adur = _one(real, "E07000223", RATE, "2022-23")
    assert adur["value"] == pytest.approx(15.675241)
    assert (adur["numerator"], adur["denominator"]) == (1014, 64688)


def test_real_missing_is_never_zero(real: pd.DataFrame) -> None:
    assert real.loc[real["status"] != "", "value"].isna().all()
    # Hackney 2021-22: Total Incidents ":" (not available).
    hackney = _one(real, "E09000012", RATE, "2021-22")
    assert hackney["status"] == "x" and math.isnan(hackney["value"]) and math.isnan(hackney["numerator"])


def test_real_geography_as_published(real: pd.DataFrame) -> None:
    latest = set(real.loc[real["period"] == "2022-23", "area_code"])
    assert "E07000163" in latest  # Craven: pre-2023 North Yorkshire district
    assert {"E07000200", "E07000203"} <= latest  # Babergh and Mid Suffolk report separately here
    assert not any(c.startswith("E06000063") for c in latest)


def test_catalogue() -> None:
    ids = [m.id for m in INDICATORS]
    assert len(ids) == len(set(ids))
    for meta in INDICATORS:
        assert meta.polarity == "none" and meta.service_area in SERVICE_AREAS
    source_md = ROOT / FOLDER / "SOURCE.md"
    if source_md.exists():
        assert INDICATORS[0].attribution in " ".join(source_md.read_text().split())


# --- Synthetic and malformed workbooks ---


def test_synthetic_workbook(tmp_path: Path) -> None:
    result = read(_write(tmp_path, {"Metadata": [["m"]], "LA_incidents": _sheet(HEADER)}))
    v = result.values
    assert set(v.loc[v["indicator_id"] == RATE, "period"]) == {"2022-23"}  # no rate published in 2012-13
    assert v[(v["area_code"] == "E07000223") & (v["period"] == "2012-13")].empty  # count only: no rate
    assert _one(v, ENGLAND, RATE, "2022-23")["numerator"] == 1082673
    hackney = _one(v, "E09000012", RATE, "2022-23")
    assert hackney["status"] == "x" and math.isnan(hackney["numerator"])
    assert "Customer/public" in _one(v, "E07000203", RATE, "2022-23")["note"]
    assert set(v["area_code"]) == {ENGLAND, "E07000223", "E09000012", "E07000203"}


def test_missing_sheet_names_file(tmp_path: Path) -> None:
    _write(tmp_path, {"Metadata": [["m"]], "LA_actions": _sheet(HEADER)})
    with pytest.raises(SourceError, match=r"flytipping_la\.ods.*LA_incidents"):
        read(tmp_path)


def test_missing_column_names_file(tmp_path: Path) -> None:
    header = [h if h != "Incidents per 1,000 people" else "Rate" for h in HEADER]
    _write(tmp_path, {"LA_incidents": _sheet(header)})
    with pytest.raises(SourceError, match=r"flytipping_la\.ods.*Incidents per 1,000"):
        read(tmp_path)


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=FILE):
        read(tmp_path)


# --- Properties of the row converter ---

_cells = st.one_of(
    st.integers(min_value=0, max_value=10**7),
    st.floats(min_value=0, max_value=1e7, allow_nan=False),
    st.sampled_from([":", "[x]", "..", "-", "", None, "[c]"]),
)


@given(_cells, _cells, _cells, st.sampled_from(["E07000223", ENGLAND]))
def test_row_records_never_invent_numbers(incidents: object, population: object, rate: object,
                                          area: str) -> None:
    row = {"year": "2022-23", "incidents": incidents, "population": population, "rate": rate,
           "basis": "All incidents"}
    frame = finalise_values(pd.DataFrame.from_records(records_for_row(row, area, Path(FILE))))
    assert frame.loc[frame["status"] != "", "value"].isna().all()
    rate_row = frame[frame["indicator_id"] == RATE].iloc[0]
    if rate_row["status"] != "":
        assert math.isnan(rate_row["numerator"]) and math.isnan(rate_row["denominator"])
    assert set(frame["indicator_id"]) == {RATE}
