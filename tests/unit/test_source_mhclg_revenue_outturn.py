"""Tests for the MHCLG revenue outturn (RS) reserves reader."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources.base import SourceError, SourceResult, financial_year
from lm_core.sources.mhclg_revenue_outturn import (
    FOLDER,
    RESERVES_ID,
    UNALLOCATED_ID,
    parse_rs_cell,
    read,
    read_rs_year,
    start_year_from_title,
)

PERIODS = [financial_year(y)[0] for y in range(2016, 2024)]


@pytest.fixture(scope="module")
def real() -> SourceResult:
    root = default_sources_dir()
    if not (root / FOLDER).is_dir():
        pytest.skip(f"real data folder {root / FOLDER} not present")
    return read(root)


def _one(values: pd.DataFrame, area: str, indicator: str, period: str) -> pd.Series:
    rows = values[(values.area_code == area) & (values.indicator_id == indicator) & (values.period == period)]
    assert len(rows) == 1, (area, indicator, period)
    return rows.iloc[0]


def test_real_coverage(real: SourceResult) -> None:
    values = real.values
    assert {m.id for m in real.indicators} == {RESERVES_ID, UNALLOCATED_ID}
    assert all(m.polarity == "none" and m.rollup == "weighted" for m in real.indicators)
    assert values.area_code.str.match(r"^(E0[6-9]\d{6}|E10\d{6}|E92000001)$").all()
    for indicator in (RESERVES_ID, UNALLOCATED_ID):
        sub = values[values.indicator_id == indicator]
        assert sorted(sub.period.unique()) == PERIODS
        published = sub[(sub.status == "") & (sub.area_code != "E92000001")].groupby("period").size()
        assert (published >= 300).all(), published
        # 2023-24 is on current geography: 317 councils, 13 without a return in time.
        assert published["2023-24"] == 304
        assert (sub.area_code == "E92000001").sum() == len(PERIODS)


def test_real_missing_is_never_zero(real: SourceResult) -> None:
    values = real.values
    not_numbers = values[values.status.isin(["x", "c", "z"])]
    assert not_numbers.value.isna().all()
    assert not_numbers[not_numbers.status == "x"].numerator.isna().all()
    # Woking had not sent its 2023-24 return (Notes 'M', cells '[x]').
    woking = _one(values, "E07000217", RESERVES_ID, "2023-24")
    assert woking.status == "x" and math.isnan(woking.value)
    # Spelthorne's 2017-18 net revenue expenditure is negative (-2,757): no percentage.
    spelthorne = _one(values, "E07000213", RESERVES_ID, "2017-18")
    assert spelthorne.status == "z" and math.isnan(spelthorne.value)
    assert spelthorne.denominator == pytest.approx(-2_757_000)


def test_real_values_by_hand(real: SourceResult) -> None:
    values = real.values
    # rs2023_24.xlsx, sheet RS_LA_Data_2023-24, row 28 (Bath & North East Somerset UA):
    # BU28 NRE 158381, DC28 other earmarked (adjusted) 71853, DM28 unallocated 12789 (£ thousand).
    bath = _one(values, "E06000022", RESERVES_ID, "2023-24")
    assert bath.value == pytest.approx((71853 + 12789) / 158381 * 100)
    assert bath.numerator == pytest.approx(84_642_000) and bath.denominator == pytest.approx(158_381_000)
    bath_unallocated = _one(values, "E06000022", UNALLOCATED_ID, "2023-24")
    assert bath_unallocated.value == pytest.approx(12789 / 158381 * 100)
    # rs2020_21.xlsx, sheet RS_LA_Data_2020-21, row 9 (Bristol UA): BK9 NRE 351754,
    # CN9 other earmarked 216932, CP9 line 922 81807, CQ9 line 923 0, CW9 unallocated 35666.
    bristol = _one(values, "E06000023", RESERVES_ID, "2020-21")
    assert bristol.value == pytest.approx((216932 - 81807 - 0 + 35666) / 351754 * 100)


def test_real_north_yorkshire_code_repaired(real: SourceResult) -> None:
    values = real.values
    # rs2017_18.xls and rs2018_19.xls give North Yorkshire (E2721) the non-existent code E10000022.
    assert not (values.area_code == "E10000022").any()
    assert len(values[(values.area_code == "E10000023") & (values.period == "2017-18")]) == 2
    assert any("E10000022" in line for line in real.log)


# ---- synthetic workbooks ------------------------------------------------------------------

HEADERS = [
    "E-code", "ONS Code", "Local authority", "Notes", "Class", "NET REVENUE EXPENDITURE",
    "Estimated other earmarked financial reserves level at 31 March (unadjusted)",
    "Estimated other earmarked financial reserves level at 31 March (adjusted)",
    "Estimated unallocated financial reserves level at 31 March",
]


def _write_rs(path: Path, rows: list[list[object]], sheet: str = "RS_LA_Data_2023-24",
              headers: list[str] | None = None) -> None:
    cells: list[list[object]] = [
        ["Revenue Outturn (RO) 2023-24: Revenue Outturn Summary (RS) data"],
        [],
        list(headers or HEADERS),
        *rows,
    ]
    width = max(len(r) for r in cells)
    cells = [r + [None] * (width - len(r)) for r in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(cells).to_excel(path, sheet_name=sheet, header=False, index=False)


def test_synthetic_rows(tmp_path: Path) -> None:
    path = tmp_path / "rs2023_24.xlsx"
    _write_rs(path, [
        ["E0101", "E06000022", "Bath", None, "UA", 1000, 600, 500, 100],
        ["E3637", "E07000213", "Spelthorne", None, "SD", -50, 10, 10, 5],
        ["E3638", "E07000217", "Woking", "M", "SD", "[x]", "[x]", "[x]", "[x]"],
        ["E2721", "E10000022", "North Yorkshire", None, "SC", 400, 40, 40, 20],
        ["E7001", "E23000001", "Some police body", None, "O", 9, 9, 9, 9],
        ["[Y]", "E06", "Unitary Authorities", None, "UA", 1000, 600, 500, 100],
        ["[Y]", "E07", "Shire Districts", None, "SD", 100, 50, 50, 10],
        ["[Y]", "E08", "Metropolitan Districts", None, "MD", 100, 50, 50, 10],
        ["[Y]", "E09", "London Boroughs", None, "LB", 100, 50, 50, 10],
        ["[Y]", "E10", "Shire Counties", None, "SC", 700, 50, 50, 10],
    ])
    rows, log = read_rs_year(path, 2023, {"E2721": "E10000023"}, {"E06000022", "E07000213", "E07000217"})
    frame = pd.DataFrame(rows)
    reserves = frame[frame.indicator_id == RESERVES_ID].set_index("area_code")
    assert reserves.loc["E06000022", "value"] == pytest.approx(60.0)  # (500 + 100) / 1000
    assert reserves.loc["E07000213", "status"] == "z"
    assert reserves.loc["E07000217", "status"] == "x"
    assert reserves["value"].isna()["E07000217"]
    assert "E10000023" in reserves.index and "E23000001" not in reserves.index
    assert reserves.loc["E92000001", "value"] == pytest.approx(100 * (600 + 4 * 60) / 2000)
    assert any("1 police bodies" in line for line in log)


def test_missing_sheet_names_file(tmp_path: Path) -> None:
    path = tmp_path / FOLDER / "rs2016_17.xlsx"
    _write_rs(path, [], sheet="Front Page")
    with pytest.raises(SourceError, match=r"rs2016_17\.xlsx.*RS LA Data"):
        read(tmp_path)


def test_missing_column_names_file(tmp_path: Path) -> None:
    path = tmp_path / "rs2023_24.xlsx"
    _write_rs(path, [], headers=[h for h in HEADERS if h != "NET REVENUE EXPENDITURE"])
    with pytest.raises(SourceError, match=r"rs2023_24\.xlsx.*NET REVENUE EXPENDITURE"):
        read_rs_year(path, 2023, {}, set())


def test_missing_file_and_wrong_year(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"rs2023_24\.xlsx: file not found"):
        read_rs_year(tmp_path / "rs2023_24.xlsx", 2023, {}, set())
    path = tmp_path / "rs2022_23.xlsx"
    _write_rs(path, [])
    with pytest.raises(SourceError, match=r"rs2022_23\.xlsx.*2023"):
        read_rs_year(path, 2022, {}, set())


def test_unreadable_cell_names_file(tmp_path: Path) -> None:
    path = tmp_path / "rs2023_24.xlsx"
    _write_rs(path, [["E0101", "E06000022", "Bath", None, "UA", "lots", 1, 1, 1]])
    with pytest.raises(SourceError, match=r"rs2023_24\.xlsx: row 4"):
        read_rs_year(path, 2023, {}, set())


# ---- properties ---------------------------------------------------------------------------


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_pass_through(number: float) -> None:
    assert parse_rs_cell(number) == (number, "")


@given(st.sampled_from(["…", "...", "[x]", "[n]", "[Y]", "M", " [x] ", "", ".."]))
def test_markers_never_become_numbers(marker: str) -> None:
    value, status = parse_rs_cell(marker)
    assert math.isnan(value) and status == "x"


NO_DIGITS = st.text(alphabet=st.characters(exclude_categories=["Nd"]), max_size=20)


@given(st.integers(min_value=2000, max_value=2098), NO_DIGITS, NO_DIGITS)
def test_title_year_round_trip(year: int, before: str, after: str) -> None:
    label = financial_year(year)[0]
    assert start_year_from_title(f"{before} {label} {after}") == year


@given(st.integers(min_value=2000, max_value=2098), st.integers(min_value=0, max_value=99))
def test_title_year_rejects_non_consecutive(year: int, end: int) -> None:
    title = f"Revenue Outturn (RO) {year}-{end:02d}"
    assert start_year_from_title(title) == (year if (year + 1) % 100 == end else None)
