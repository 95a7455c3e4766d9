"""DEFRA ENV18 reader: real-file checks, malformed files, and the parsers it relies on."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources.base import SERVICE_AREAS, SourceError, financial_year
from lm_core.sources.defra_waste import (
    ENGLAND,
    FILE,
    FOLDER,
    LANDFILL,
    RECYCLING,
    REJECTS,
    RESIDUAL,
    classify_code,
    parse_financial_year,
    read,
    read_ods_sheets,
)

ROOT = default_sources_dir()


# --- A hand-built .ods writer, so tests control repeats and shorthand exactly ---

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)


def _cell_xml(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, (int, float)):
        return f'<table:table-cell office:value-type="float" office:value="{value}"/>'
    text = escape(str(value))
    return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'


def write_ods(path: Path, sheets: dict[str, list[list[object]]], tail: str = "") -> Path:
    """A minimal OpenDocument spreadsheet; `tail` is raw XML appended to every row (e.g. repeats)."""
    body = []
    for name, rows in sheets.items():
        body.append(f'<table:table table:name="{escape(name)}">')
        for row in rows:
            cells = "".join(_cell_xml(v) for v in row)
            body.append(f"<table:table-row>{cells}{tail}</table:table-row>")
        # Spreadsheet programs pad each sheet with a huge run of blank rows; the reader must not expand it.
        body.append('<table:table-row table:number-rows-repeated="1048000">'
                    "<table:table-cell/></table:table-row>")
        body.append("</table:table>")
    xml = _HEAD + "".join(body) + "</office:spreadsheet></office:body></office:document-content>"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", xml)
    return path


TABLE1_HEADER = [
    "Financial Year", "Region", "ONS Code", "JPP order", "Local Authority", "Authority type",
    "Total local authority collected waste (tonnes)", "Household - total waste (tonnes)",
    "Household - waste sent for recycling-composting-reuse (tonnes)",
    'Household - estimated rejects (tonnes) - See "Notes" sheet for detail on rejects calculation.',
]
TABLE3_HEADER = [
    "Year", "Region", "ONS code", "Jpp Order", "Authority", "Authority type",
    "Residual household waste per household (kg/household) (Ex NI191)",
    "Percentage of household waste sent for reuse, recycling or composting (Ex NI192)",
    "Percentage of municipal waste sent to landfill (Ex NI193)",
]


def _synthetic_root(tmp_path: Path, table3_header: list[str] | None = None) -> Path:
    """A tiny ENV18 workbook holding each quirk the reader must handle."""
    folder = tmp_path / FOLDER
    folder.mkdir()
    t1 = [
        ["Table 1: title"], [], [],
        TABLE1_HEADER,
        ["2023-24", "South East", "E07000001", 1, "A District", "Collection", 120, 100, 40, 10],
        ["2023-24", "South West", "E06000023", 2, "Bristol", "Unitary", ":", ":", ":", ":"],
        ["2023-24", "North West", "E10000099", 3, "A County", "Disposal", 900, 800, 300, -5],
        ["2023-24", "Eastern", "E50000008", 4, "Joint", "Collection", 900, 800, 300, 20],
        [], ["Notes at the foot of the table"],
    ]
    t3 = [
        ["Table 3: title"], [], [],
        table3_header or TABLE3_HEADER,
        ["2023-24", "South East", "E07000001", 1, "A District", "Collection", 450.5, 0.4, "-"],
        ["2023-24", "South West", "E06000023", 2, "Bristol", "Unitary", ":", ":", ":"],
        ["2023-24", "North West", "E10000099", 3, "A County", "Disposal", 500, 0.375, 0.021],
        ["2023-24", "Eastern", "E50000008", 4, "Joint", "Collection", 400, 0.5, "-"],
        ["2023-24", "Eastern", "E07000203", 5, "Mid Suffolk and Babergh", "Collection", 400, 0.5, "-"],
        ["2023-24", "*Eastern", "Total", "Total", "Total", "Total", 500, 0.45, 0.1],
        ["2023-24", "Total England (Provisional)", "Total", "Total", "Total", "Total", 480, 0.44, 0.05],
        [], ["Source: Defra"],
    ]
    write_ods(folder / FILE, {"Notes": [["n"]], "Table_1": t1, "Table_3": t3})
    return tmp_path


# --- Real data ---


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    if not (ROOT / FOLDER / FILE).exists():
        pytest.skip(f"official ENV18 workbook not found at {ROOT / FOLDER / FILE}")
    return read(ROOT).values


def _one(values: pd.DataFrame, area: str, indicator: str, period: str) -> pd.Series:
    rows = values[(values["area_code"] == area) & (values["indicator_id"] == indicator)
                  & (values["period"] == period)]
    assert len(rows) == 1, (area, indicator, period)
    return rows.iloc[0]


def test_real_coverage_per_indicator(real: pd.DataFrame) -> None:
    minimum = {RECYCLING: 300, RESIDUAL: 300, REJECTS: 290, LANDFILL: 100}
    for indicator, floor in minimum.items():
        latest = real[(real["indicator_id"] == indicator) & (real["period"] == "2023-24")
                      & (real["status"] == "") & real["area_code"].str.match(r"E(0[6-9]|10)")]
        assert latest["area_code"].nunique() >= floor, indicator
    recycling_periods = set(real.loc[real["indicator_id"] == RECYCLING, "period"])
    assert recycling_periods == {financial_year(y)[0] for y in range(2010, 2024)}
    assert set(real.loc[real["indicator_id"] == REJECTS, "period"]) == {
        financial_year(y)[0] for y in range(2014, 2024)
    }


def test_real_missing_is_never_zero(real: pd.DataFrame) -> None:
    flagged = real[real["status"] != ""]
    assert flagged["value"].isna().all()
    # Bristol did not report 2023-24 (":" in every indicator column of Table_3).
    bristol = _one(real, "E06000023", RECYCLING, "2023-24")
    assert bristol["status"] == "x" and math.isnan(bristol["value"])


def test_real_values_match_the_file(real: pd.DataFrame) -> None:
    # Table_3, row "2023-24 / E07000223 Adur District Council": NI192 cell 0.405, NI191 cell 366.2.
    adur = _one(real, "E07000223", RECYCLING, "2023-24")
    assert adur["value"] == pytest.approx(40.5)
    # Table_1, same authority and year: household total 17,785 t, sent for recycling 7,209 t, rejects 400 t.
    assert (adur["numerator"], adur["denominator"]) == (7209, 17785)
    assert _one(real, "E07000223", RESIDUAL, "2023-24")["value"] == pytest.approx(366.2)
    rejects = _one(real, "E07000223", REJECTS, "2023-24")
    assert rejects["value"] == pytest.approx(100 * 400 / (7209 + 400))
    assert (rejects["numerator"], rejects["denominator"]) == (400, 7609)


def test_real_codes(real: pd.DataFrame) -> None:
    codes = set(real["area_code"])
    assert "E10000002" in codes  # Buckinghamshire under its old county code, kept as published
    # Joint bodies are dropped; only the Somerset Waste Partnership (same ground as Somerset) is kept.
    assert {c for c in codes if c.startswith("E50")} == {"E50000009"}
    assert "E07000203" not in codes  # joint Mid Suffolk and Babergh return
    assert not any("/" in c for c in codes)
    assert ENGLAND in codes
    assert not real[(real["indicator_id"] == LANDFILL) & real["area_code"].str.startswith("E07")].shape[0]
    england = _one(real, ENGLAND, RECYCLING, "2023-24")
    assert "provisional" in england["note"]


def test_indicator_catalogue() -> None:
    from lm_core.sources.defra_waste import INDICATORS

    ids = [m.id for m in INDICATORS]
    assert len(ids) == len(set(ids))
    for meta in INDICATORS:
        assert meta.service_area in SERVICE_AREAS and meta.role == "outcome"
    source_md = ROOT / FOLDER / "SOURCE.md"
    if source_md.exists():
        assert INDICATORS[0].attribution in " ".join(source_md.read_text().split())


# --- Synthetic workbooks ---


def test_synthetic_workbook(tmp_path: Path) -> None:
    result = read(_synthetic_root(tmp_path))
    v = result.values
    district = _one(v, "E07000001", RECYCLING, "2023-24")
    assert district["value"] == pytest.approx(40.0)
    assert (district["numerator"], district["denominator"]) == (40, 100)
    assert _one(v, "E07000001", REJECTS, "2023-24")["value"] == pytest.approx(20.0)
    # A negative rejects estimate is not a rate: not available, never a number.
    county_rejects = _one(v, "E10000099", REJECTS, "2023-24")
    assert county_rejects["status"] == "x" and math.isnan(county_rejects["value"])
    assert _one(v, "E10000099", LANDFILL, "2023-24")["value"] == pytest.approx(2.1)
    assert v[(v["area_code"] == "E07000001") & (v["indicator_id"] == LANDFILL)].empty
    assert {"E50000008", "E07000203", "Total"}.isdisjoint(set(v["area_code"]))
    assert _one(v, ENGLAND, RESIDUAL, "2023-24")["value"] == 480
    assert any("E50000008" in line for line in result.log)
    assert any("E07000203" in line for line in result.log)


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=FILE):
        read(tmp_path)


def test_missing_sheet_names_file_and_sheet(tmp_path: Path) -> None:
    (tmp_path / FOLDER).mkdir()
    write_ods(tmp_path / FOLDER / FILE, {"Table_1": [TABLE1_HEADER]})
    with pytest.raises(SourceError, match=r"waste-data\.ods.*Table_3"):
        read(tmp_path)


def test_missing_column_names_file(tmp_path: Path) -> None:
    header = [h for h in TABLE3_HEADER if "landfill" not in h]
    with pytest.raises(SourceError, match=r"waste-data\.ods.*landfill"):
        read(_synthetic_root(tmp_path, table3_header=header))


def test_not_a_spreadsheet(tmp_path: Path) -> None:
    (tmp_path / FOLDER).mkdir()
    (tmp_path / FOLDER / FILE).write_text("not a zip")
    with pytest.raises(SourceError, match=r"waste-data\.ods.*not an OpenDocument"):
        read(tmp_path)


def test_ods_reader_expands_repeats_and_drops_trailing_blanks(tmp_path: Path) -> None:
    path = tmp_path / "r.ods"
    tail = '<table:table-cell office:value-type="float" office:value="7" table:number-columns-repeated="2"/>'
    tail += '<table:table-cell table:number-columns-repeated="16000"/>'
    write_ods(path, {"S": [["a", None, 1.5], [], ["b"]], "Other": [["x"]]}, tail=tail)
    sheet = read_ods_sheets(path, ["S"])["S"]
    assert sheet.shape == (3, 5)
    assert sheet.iloc[0].tolist() == ["a", None, 1.5, 7, 7]
    assert sheet.iloc[1].tolist() == [7, 7, None, None, None]


# --- Properties ---


@given(st.integers(min_value=1900, max_value=2199))
def test_financial_year_round_trip(start: int) -> None:
    label, begin = financial_year(start)
    assert parse_financial_year(label) == (label, begin)
    assert parse_financial_year(f" {label} ") == (label, begin)


@given(st.integers(min_value=1900, max_value=2199), st.integers(min_value=0, max_value=99))
def test_financial_year_rejects_non_consecutive(start: int, end: int) -> None:
    label = f"{start}-{end:02d}"
    if (start + 1) % 100 == end:
        assert parse_financial_year(label)[0] == label
    else:
        with pytest.raises(ValueError):
            parse_financial_year(label)


@given(st.sampled_from(["E06", "E07", "E08", "E09", "E10"]), st.integers(min_value=0, max_value=999999))
def test_council_codes_kept_exactly(prefix: str, number: int) -> None:
    code = f"{prefix}{number:06d}"
    kept, _ = classify_code(code, "Somewhere", joint={})
    assert kept == code


@given(st.text(max_size=12))
def test_other_codes_never_pass_as_councils(text: str) -> None:
    kept, _ = classify_code(text, "Somewhere", joint={})
    assert kept is None or (kept[:3] in ("E06", "E07", "E08", "E09", "E10") and len(kept) == 9)
