"""DfT RDC0120 road condition reader: real-file coverage and hand-checked cells, malformed files, parsers."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources import dft_roads
from lm_core.sources.base import SERVICE_AREAS, VALUE_COLUMNS, SourceError, SourceResult

SOURCES = default_sources_dir()
HAS_DATA = (SOURCES / dft_roads.FOLDER / dft_roads.FILE).exists()
needs_data = pytest.mark.skipif(not HAS_DATA, reason=f"official files not found under {SOURCES}")
A_ROADS = "a_roads_maintenance_should_be_considered"
BC_ROADS = "b_and_c_roads_maintenance_should_be_considered"


@pytest.fixture(scope="module")
def result() -> SourceResult:
    return dft_roads.read(SOURCES)


def _row(values: pd.DataFrame, area: str, indicator: str, period: str) -> pd.Series:
    row = values[(values.area_code == area) & (values.indicator_id == indicator) & (values.period == period)]
    assert len(row) == 1
    return row.iloc[0]


@needs_data
def test_two_indicators_with_metadata(result: SourceResult) -> None:
    assert [m.id for m in result.indicators] == [A_ROADS, BC_ROADS]
    assert tuple(result.values.columns) == VALUE_COLUMNS
    for meta in result.indicators:
        assert meta.service_area == "Roads and transport" and meta.service_area in SERVICE_AREAS
        assert (meta.polarity, meta.role, meta.tier) == ("lower_better", "outcome", "upper")
        assert meta.rollup == "weighted"
        assert meta.attribution == dft_roads.ATTRIBUTION


@needs_data
def test_coverage_every_year_and_latest(result: SourceResult) -> None:
    v = result.values
    assert v["area_code"].str[:3].isin(["E06", "E08", "E09", "E10", "E92"]).all()
    for indicator, minimum in ((A_ROADS, 145), (BC_ROADS, 130)):
        sub = v[(v.indicator_id == indicator) & v.status.isin(["", "u"]) & (v.area_code != "E92000001")]
        assert sub["period"].nunique() == 18  # FYE 2008 to FYE 2025
        assert (sub["period"] == "2024-25").sum() >= minimum, indicator
    # Historic authorities kept on their own codes; 2023 unitaries present.
    assert {"E10000006", "E10000021", "E06000028", "E06000063", "E06000064"} <= set(v["area_code"])


@needs_data
def test_markers_never_become_numbers(result: SourceResult) -> None:
    v = result.values
    assert v.loc[v.status.isin(["x", "c", "z"]), "value"].isna().all()
    assert v.loc[v.status.isin(["", "u"]), "value"].notna().all()
    # Cumbria ends at FYE 2023: its later [z] cells are left out, not stored.
    assert v[(v.area_code == "E10000006")]["period"].max() == "2022-23"
    scilly = v[v.area_code == "E06000053"]
    assert (scilly["status"] == "z").all() and scilly["value"].isna().all()


@needs_data
def test_values_checked_by_hand(result: SourceResult) -> None:
    v = result.values
    # RDC0120_B_and_C_Roads, cell U29 (Lancashire, FYE 2025): 5.
    lancs = _row(v, "E10000017", BC_ROADS, "2024-25")
    assert lancs["value"] == 5 and lancs["status"] == ""
    # Same sheet, cell G29 (Lancashire, FYE 2011): [x].
    gap = _row(v, "E10000017", BC_ROADS, "2010-11")
    assert math.isnan(gap["value"]) and gap["status"] == "x"
    # RDC0120_A_Roads_and_Motorways, cell U7 (Darlington, FYE 2025): 5, flagged [note 7] non-SCANNER.
    darlington = _row(v, "E06000005", A_ROADS, "2024-25")
    assert darlington["value"] == 5 and darlington["status"] == "u" and "SCANNER" in darlington["note"]
    # A roads sheet, England row, FYE 2025 (cell U165): 5.
    assert _row(v, "E92000001", A_ROADS, "2024-25")["value"] == 5
    # Dorset UA's pre-2019 figures are the former county's, and say so.
    assert "Dorset County" in _row(v, "E06000059", A_ROADS, "2015-16")["note"]


def _write_ods(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False, header=False)


def _tiny_sheet(code: str = "E10000017", cell: object = 5, notes: object = "[z]") -> pd.DataFrame:
    return pd.DataFrame(
        [
            ["title", None, None, None, None],
            ["ONS Area Code", "Region", "Local Authority", "FYE 2025", "Notes"],
            [code, "North West", "Lancashire", cell, notes],
        ]
    )


def test_missing_sheet_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / dft_roads.FOLDER
    folder.mkdir()
    _write_ods(folder / dft_roads.FILE, {"RDC0120_A_Roads_and_Motorways": _tiny_sheet()})
    with pytest.raises(SourceError, match=r"road-condition-data\.ods.*RDC0120_B_and_C_Roads"):
        dft_roads.read(tmp_path)


def test_missing_file_and_shifted_notes(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="file not found"):
        dft_roads.read(tmp_path)
    folder = tmp_path / dft_roads.FOLDER
    folder.mkdir()
    shifted = _tiny_sheet(notes="[7] applies to D9")  # the data row is sheet row 3, not 9
    _write_ods(folder / dft_roads.FILE, {s.sheet: shifted for s in dft_roads.SHEETS})
    with pytest.raises(SourceError, match=r"road-condition-data\.ods.*another row"):
        dft_roads.read(tmp_path)


def test_tiny_workbook_reads(tmp_path: Path) -> None:
    folder = tmp_path / dft_roads.FOLDER
    folder.mkdir()
    sheets = {
        dft_roads.SHEETS[0].sheet: _tiny_sheet(cell=7, notes="[7] applies to D3"),
        dft_roads.SHEETS[1].sheet: _tiny_sheet(cell="[y]"),
    }
    _write_ods(folder / dft_roads.FILE, sheets)
    v = dft_roads.read(tmp_path).values.set_index("indicator_id")
    assert v.at[A_ROADS, "value"] == 7 and v.at[A_ROADS, "status"] == "u"
    assert math.isnan(v.at[BC_ROADS, "value"]) and v.at[BC_ROADS, "status"] == "x"


def _letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


@given(st.integers(min_value=0, max_value=700))
def test_column_letters_round_trip(index: int) -> None:
    assert dft_roads.column_index(_letters(index)) == index


@given(st.integers(min_value=1990, max_value=2100))
def test_fye_label_is_the_year_before(year: int) -> None:
    label, start = dft_roads.parse_fye(f"FYE {year}")
    assert start == f"{year - 1}-04-01" and label.startswith(str(year - 1))


@given(
    st.integers(min_value=1, max_value=999),
    st.lists(st.integers(min_value=3, max_value=40), min_size=1, max_size=6, unique=True),
    st.lists(st.integers(min_value=3, max_value=40), min_size=1, max_size=3, unique=True),
)
def test_notes_cell_parser(row: int, cols7: list[int], cols_r: list[int]) -> None:
    def refs(cols: list[int]) -> str:
        cells = [f"{_letters(c)}{row}" for c in cols]
        return cells[0] if len(cells) == 1 else ", ".join(cells[:-1]) + " and " + cells[-1]

    parsed = dft_roads.parse_cell_notes(f"[7] applies to {refs(cols7)}, [r] applies to {refs(cols_r)}")
    assert parsed == {"7": [(row, c) for c in cols7], "r": [(row, c) for c in cols_r]}


def test_notes_cell_parser_rejects_nonsense() -> None:
    assert dft_roads.parse_cell_notes("[z]") == {} == dft_roads.parse_cell_notes(float("nan"))
    with pytest.raises(ValueError):
        dft_roads.parse_cell_notes("see footnote")
    with pytest.raises(ValueError):
        dft_roads.parse_fye("2024-25")
