"""The H-CLIC homelessness reader: real workbooks, synthetic and broken ones, and its parsers."""

from __future__ import annotations

import calendar
import datetime as dt
import math
import zipfile
from pathlib import Path
from typing import Literal

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources import mhclg_homelessness as hc
from lm_core.sources.base import VALUE_COLUMNS, SourceError, SourceResult

SOURCES = default_sources_dir()
ALL_IDS = (hc.DUTIES_ID, hc.TA_ID, hc.TA_CHILDREN_ID, hc.PREVENTION_ID, hc.RELIEF_ID)


@pytest.fixture(scope="module")
def result() -> SourceResult:
    folder = SOURCES / hc.FOLDER
    if not folder.is_dir():
        pytest.skip(f"official files not found at {folder} (set LM_SOURCES to the data-sources folder)")
    return hc.read(SOURCES)


def _row(values: pd.DataFrame, indicator_id: str, period: str, area_code: str) -> pd.Series:
    hit = values[
        (values["indicator_id"] == indicator_id)
        & (values["period"] == period)
        & (values["area_code"] == area_code)
    ]
    assert len(hit) == 1, (indicator_id, period, area_code)
    return hit.iloc[0]


# ------------------------------------------------------------------------------------------ real data


def test_catalogue(result: SourceResult) -> None:
    ids = [m.id for m in result.indicators]
    assert sorted(ids) == sorted(ALL_IDS)
    source_md = (SOURCES / hc.FOLDER / "SOURCE.md").read_text(encoding="utf-8")
    for meta in result.indicators:
        assert meta.service_area == "Homelessness" and meta.role == "outcome" and meta.tier == "lower"
        assert meta.rollup == "weighted"
        assert meta.attribution in source_md
    assert {m.id: m.polarity for m in result.indicators}[hc.DUTIES_ID] == "none"
    assert list(result.values.columns) == list(VALUE_COLUMNS)


def test_periods_and_coverage(result: SourceResult) -> None:
    values = result.values
    flows = {"Jan–Mar 2023", "Jan–Mar 2024", "Jan–Mar 2025", "Oct–Dec 2025"}
    snapshots = {"31 Mar 2023", "31 Mar 2024", "31 Mar 2025", "31 Dec 2025"}
    for indicator_id in ALL_IDS:
        rows = values[values["indicator_id"] == indicator_id]
        expected = snapshots if indicator_id in (hc.TA_ID, hc.TA_CHILDREN_ID) else flows
        assert set(rows["period"]) == expected
        latest = rows[rows["period_start"] == rows["period_start"].max()]
        councils = latest[latest["area_code"] != hc.ENGLAND]
        assert len(councils) == 296
        assert (councils["status"] == "").sum() >= 285, indicator_id
        assert (latest["area_code"] == hc.ENGLAND).sum() == 1
    # Only councils and England: regions and "Rest of England" are dropped.
    assert values["area_code"].str.fullmatch(r"E(?:0[6-9]|10)\d{6}|E92000001").all()


def test_suppressed_never_zero(result: SourceResult) -> None:
    values = result.values
    not_numbers = values["status"].isin(["x", "c", "z"])
    assert values.loc[not_numbers, "value"].isna().all()
    assert values.loc[values["status"] == "x", "numerator"].isna().all()
    # Detailed_LA_202303.ods, TA1 row 29: Barking & Dagenham shows ".." for households in TA.
    barking = _row(values, hc.TA_ID, "31 Mar 2023", "E09000002")
    assert barking["status"] == "x" and math.isnan(barking["value"]) and math.isnan(barking["numerator"])
    assert barking["denominator"] == 79716  # F29 = 79.716 (000s) is still published
    # ...202512.ods, A1 row 52: Bristol E06000023 shows ".." for every assessment count.
    bristol = _row(values, hc.DUTIES_ID, "Oct–Dec 2025", "E06000023")
    assert bristol["status"] == "x" and math.isnan(bristol["value"])


def test_hand_checked_values(result: SourceResult) -> None:
    values = result.values
    # ...202512.ods, A1 row 30 (Barnsley, 2025 code): G30 owed a duty = 256, P30 households = 111.239 (000s).
    barnsley = _row(values, hc.DUTIES_ID, "Oct–Dec 2025", "E08000038")
    assert barnsley["numerator"] == 256 and barnsley["denominator"] == 111239
    assert barnsley["value"] == pytest.approx(256 / 111.239)
    # Detailed_LA_202503.ods, TA1 row 28 (Barking & Dagenham): E28 = 1067 in TA, F28 = 80.887,
    # G28 published rate = 13.191242103181, H28 = 812 households with children.
    ta = _row(values, hc.TA_ID, "31 Mar 2025", "E09000002")
    assert ta["numerator"] == 1067 and ta["value"] == pytest.approx(13.191242103181)
    families = _row(values, hc.TA_CHILDREN_ID, "31 Mar 2025", "E09000002")
    assert families["numerator"] == 812 and families["value"] == pytest.approx(812 / 80.887)
    # Detailed_LA_202403.xlsx, P1 row 27 (Barking & Dagenham): G27 secured = 77 of E27 = 253 duties ended.
    prevention = _row(values, hc.PREVENTION_ID, "Jan–Mar 2024", "E09000002")
    assert (prevention["numerator"], prevention["denominator"]) == (77, 253)
    assert prevention["value"] == pytest.approx(100 * 77 / 253)
    # Detailed_LA_202303.ods, TA1 row 86: Craven kept on its pre-2023 code; E86 = 11, F86 = 26.979.
    craven = _row(values, hc.TA_ID, "31 Mar 2023", "E07000163")
    assert craven["value"] == pytest.approx(0.407724526483561)


def test_code_vintages_kept_as_published(result: SourceResult) -> None:
    codes = result.values.groupby("period")["area_code"].agg(set)
    assert "E07000163" in codes["Jan–Mar 2023"] and "E06000063" not in codes["Jan–Mar 2023"]
    assert "E08000016" in codes["Jan–Mar 2024"] and "E08000016" not in codes["Oct–Dec 2025"]
    assert {"E08000038", "E08000039"} <= codes["Oct–Dec 2025"]
    assert any("pre-April-2023" in line for line in result.log)


# ----------------------------------------------------------------------------------- synthetic books

_FLOW_TITLE = "Table {sheet} - synthetic\nEngland, January to March 2024"
_TA_TITLE = "Table TA1 - synthetic\nEngland, 31st March 2024"


def _sheet(title: str, headers: dict[int, str], rows: list[list[object]]) -> pd.DataFrame:
    width = 1 + max([*headers, *(len(r) - 1 for r in rows)])
    header: list[object] = [None] * width
    for col, text in headers.items():
        header[col] = text
    blank: list[object] = [None] * width
    grid: list[list[object]] = [[title, *blank[1:]], blank, header]
    grid += [r + [None] * (width - len(r)) for r in rows]
    return pd.DataFrame(grid)


def _book(drop_households: bool = False) -> dict[str, pd.DataFrame]:
    a1_headers = {4: "Total initial assessments1,2", 6: "Total owed a prevention or relief duty"}
    if not drop_households:
        a1_headers[15] = "Number of households\n in area5 (000s)"
    pad = [None] * 8
    a1 = _sheet(
        _FLOW_TITLE.format(sheet="A1"),
        a1_headers,
        [
            ["E92000001", "ENGLAND", None, None, 1000, None, 900, *pad, 24000.0],
            ["E12000001", "North East", None, None, 50, None, 40, *pad, 1200.0],
            ["-", "Rest of England", None, None, 800, None, 700, *pad, 20000.0],
            [None],
            ["E06000001", "Hartlepool", None, None, 150, None, 146, *pad, 42.703],
            ["E07000001", "Nowhere", None, None, "..", None, "..", *pad, 30.0],
        ],
    )
    ta1 = _sheet(
        _TA_TITLE,
        {
            4: "Total number of households in TA1,2,3,4",
            5: "Number of households in area5  (000s)",
            6: "Total number of households in TA per (000s)",
            7: "Total number of households in TA with children",
        },
        [
            ["E92000001", "ENGLAND", None, None, 100000, 24000.0, 100000 / 24000, 60000],
            ["E06000001", "Hartlepool", None, None, 21, 42.703, 21 / 42.703, 0],
            ["E07000001", "Nowhere", None, None, "..", 30.0, "..", ".."],
        ],
    )

    def outcome(sheet: str, duty: str) -> pd.DataFrame:
        return _sheet(
            _FLOW_TITLE.format(sheet=sheet),
            {
                4: f"Total number of households whose {duty} duty ended1,2",
                6: "Secured accommodation for 6+ months",
            },
            [
                ["E92000001", "ENGLAND", None, None, 300, None, 150],
                ["E06000001", "Hartlepool", None, None, 40, None, 10],
                ["E07000001", "Nowhere", None, None, 0, None, 0],
            ],
        )

    return {"A1": a1, "P1": outcome("P1", "prevention"), "R1": outcome("R1", "relief"), "TA1": ta1}


def _write(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    engine: Literal["odf", "openpyxl"] = "odf" if path.suffix == ".ods" else "openpyxl"
    with pd.ExcelWriter(path, engine=engine) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, header=False, index=False)
    return path


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_synthetic_workbook(tmp_path: Path, suffix: str) -> None:
    path = _write(tmp_path / f"Detailed_LA_202403{suffix}", _book())
    frame, log = hc.read_workbook(path)
    assert set(frame["area_code"]) == {"E92000001", "E06000001", "E07000001"}
    hartlepool = frame[frame["area_code"] == "E06000001"].set_index("indicator_id")
    assert hartlepool.loc[hc.DUTIES_ID, "value"] == pytest.approx(146 / 42.703)
    assert hartlepool.loc[hc.DUTIES_ID, "period"] == "Jan–Mar 2024"
    assert hartlepool.loc[hc.TA_ID, "period"] == "31 Mar 2024"
    assert hartlepool.loc[hc.TA_ID, "period_start"] == "2024-03-31"
    assert hartlepool.loc[hc.TA_CHILDREN_ID, "value"] == 0  # a published 0 stays 0
    assert hartlepool.loc[hc.PREVENTION_ID, "value"] == pytest.approx(25.0)
    nowhere = frame[frame["area_code"] == "E07000001"].set_index("indicator_id")
    missing = [hc.DUTIES_ID, hc.TA_ID, hc.TA_CHILDREN_ID]
    assert (nowhere.loc[missing, "status"] == "x").all()
    assert nowhere.loc[missing, "value"].isna().all()
    assert nowhere.loc[hc.PREVENTION_ID, "status"] == "z"  # no duty ended: no share, and not 0 %
    assert nowhere["value"].isna().all()
    assert any("1 region" in line for line in log)


def test_missing_sheet_names_file(tmp_path: Path) -> None:
    book = _book()
    del book["TA1"]
    path = _write(tmp_path / "Detailed_LA_202403.ods", book)
    with pytest.raises(SourceError) as err:
        hc.read_workbook(path)
    assert "Detailed_LA_202403.ods" in str(err.value) and "TA1" in str(err.value)


def test_missing_header_names_file_and_sheet(tmp_path: Path) -> None:
    path = _write(tmp_path / "Detailed_LA_202403.xlsx", _book(drop_households=True))
    with pytest.raises(SourceError) as err:
        hc.read_workbook(path)
    message = str(err.value)
    assert "Detailed_LA_202403.xlsx" in message and "sheet A1" in message
    assert "Number of households in area" in message


def test_period_must_match_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path / "Detailed_LA_202406.xlsx", _book())
    with pytest.raises(SourceError, match="does not match"):
        hc.read_workbook(path)


def test_missing_and_broken_files(tmp_path: Path) -> None:
    folder = tmp_path / hc.FOLDER
    folder.mkdir()
    with pytest.raises(SourceError, match=hc.WORKBOOKS[0]):
        hc.read(tmp_path)
    (folder / hc.WORKBOOKS[0]).write_bytes(b"not a spreadsheet")
    with pytest.raises(SourceError, match="not a readable OpenDocument"):
        hc.read(tmp_path)


def test_ods_stream_reader_handles_repeats_and_spaces(tmp_path: Path) -> None:
    content = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>
<table:table table:name="Skip"><table:table-row><table:table-cell office:value-type="float" office:value="9"/>
</table:table-row></table:table>
<table:table table:name="Keep">
 <table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="2"/>b</text:p>
  <text:p>c</text:p></table:table-cell><table:table-cell table:number-columns-repeated="2"/>
  <table:table-cell office:value-type="float" office:value="1.5" table:number-columns-repeated="2"/>
  <table:table-cell table:number-columns-repeated="16000"/></table:table-row>
 <table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>
 <table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="string">
  <text:p>..</text:p></table:table-cell></table:table-row>
 <table:table-row table:number-rows-repeated="1048000"><table:table-cell/></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"""
    path = tmp_path / "tiny.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("content.xml", content)
    grids = hc.read_ods_sheets(path, ["Keep"])
    assert list(grids) == ["Keep"]
    assert grids["Keep"] == [["a  b\nc", None, None, 1.5, 1.5], [], [], [".."], [".."]]


# ------------------------------------------------------------------------------------------- parsers


@given(
    st.integers(1990, 2100), st.sampled_from([1, 4, 7, 10]), st.text(alphabet="Tabl -ENGd,\n", max_size=30)
)
def test_quarter_titles(year: int, first: int, prefix: str) -> None:
    title = f"{prefix}England, {calendar.month_name[first]} to {calendar.month_name[first + 2]} {year}"
    label, start, kind = hc.period_from_title(title)
    assert kind == "quarter"
    assert label == f"{calendar.month_abbr[first]}–{calendar.month_abbr[first + 2]} {year}"
    assert start == f"{year}-{first:02d}-01"


@given(st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)), st.sampled_from(["", "st", "nd", "rd", "th"]))
def test_snapshot_titles(day: dt.date, suffix: str) -> None:
    date_text = f"{day.day}{suffix} {calendar.month_name[day.month]} {day.year}"
    title = f"Table TA1 - Number of households\nEngland, {date_text}"
    label, start, kind = hc.period_from_title(title)
    assert (kind, start) == ("snapshot", day.isoformat())
    assert label == f"{day.day} {calendar.month_abbr[day.month]} {day.year}"


@given(st.sampled_from([2, 3, 5, 6, 8, 9, 11, 12]), st.integers(2000, 2030))
def test_non_quarter_titles_rejected(first: int, year: int) -> None:
    last = (first + 1) % 12 + 1
    with pytest.raises(ValueError):
        hc.period_from_title(f"England, {calendar.month_name[first]} to {calendar.month_name[last]} {year}")


@settings(max_examples=200)
@given(
    st.from_regex(r"[A-Za-z]+(?: [A-Za-z()]+){0,5}", fullmatch=True),
    st.lists(st.integers(1, 12), min_size=1, max_size=4),
    st.sampled_from([" ", "\n", "  \n "]),
)
def test_footnote_markers_ignored(label: str, notes: list[int], gap: str) -> None:
    assume(label[-1].isalpha())  # MHCLG glues footnote numbers to words only
    marked = label.replace(" ", gap) + ",".join(map(str, notes))
    assert hc.normalise_label(marked) == hc.normalise_label(label)
