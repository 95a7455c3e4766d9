"""MHCLG statutory homelessness (H-CLIC) detailed local authority tables: one quarter per workbook."""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from lm_core.sources.base import (
    IndicatorMeta,
    Polarity,
    SourceError,
    SourceResult,
    finalise_values,
    parse_cell,
)

FOLDER = "mhclg-homelessness-hclic"
# Year-end (March) snapshots for 2023-2025 plus the latest quarter; the name ends in the quarter's last month.
WORKBOOKS: tuple[str, ...] = (
    "Detailed_LA_202303.ods",
    "Detailed_LA_202403.xlsx",
    "Detailed_LA_202503.ods",
    "Statutory_Homelessness_Detailed_Local_Authority_Data_202512.ods",
)
SHEETS: tuple[str, ...] = ("A1", "P1", "R1", "TA1")
PUBLISHER = "Ministry of Housing, Communities and Local Government (MHCLG)"
SOURCE_URL = "https://www.gov.uk/government/collections/homelessness-statistics"
LICENCE = "OGL v3.0"
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: MHCLG, Statutory homelessness live tables (H-CLIC)."
)
SERVICE_AREA = "Homelessness"
ENGLAND = "E92000001"
# Housing authorities are districts, unitaries, metropolitan districts and London boroughs; no E10 counties
# appear, but they would be kept if MHCLG ever published one.
_COUNCIL_CODE = re.compile(r"E(?:06|07|08|09|10)\d{6}")
_ANY_CODE = re.compile(r"[EWSN]\d{8}")

DUTIES_ID = "homelessness_duties_owed_per_1000_households"
TA_ID = "households_in_temporary_accommodation_per_1000"
TA_CHILDREN_ID = "families_in_temporary_accommodation_per_1000"
PREVENTION_ID = "homelessness_prevention_accommodation_secured_pct"
RELIEF_ID = "homelessness_relief_accommodation_secured_pct"

_COMMON_CAVEATS = (
    "'..' marks an authority with missing or incomplete data that quarter: shown as not available, never 0. "
    "England totals include MHCLG estimates for missing authorities and are rounded to the nearest 10. "
    "The March 2023 workbook uses pre-April-2023 councils (Cumbria, North Yorkshire and Somerset districts); "
    "the December 2025 one uses 2025 codes (Barnsley E08000038, Sheffield E08000039)."
)
_HOUSEHOLDS_CAVEAT = (
    " Households in area are ONS household projections as printed in each workbook "
    "(2018-based up to March 2025, 2022-based from December 2025), so rates across that break "
    "shift slightly for reasons other than homelessness."
)


@dataclass(frozen=True)
class _Column:
    """A column located by its header label (footnote digits stripped), never by position."""

    sheet: str
    label: re.Pattern[str]
    what: str  # for error messages


# The workbooks' own header labels, mapped once here. Positions move between vintages (the March 2023 A1
# lacks three columns that later ones have), so columns are found by label.
COLUMNS: dict[str, _Column] = {
    "owed": _Column(
        "A1", re.compile(r"total owed a prevention or relief duty"), "Total owed a prevention or relief duty"
    ),
    "a1_households": _Column(
        "A1", re.compile(r"number of households in area \(000s\)"), "Number of households in area (000s)"
    ),
    "ta": _Column("TA1", re.compile(r"total number of households in ta"), "Total number of households in TA"),
    "ta_children": _Column(
        "TA1",
        re.compile(r"total number of households in ta with children"),
        "Total number of households in TA with children",
    ),
    "ta_rate": _Column(
        "TA1",
        re.compile(r"total number of households in ta per \(000s\)"),
        "Total number of households in TA per (000s)",
    ),
    "ta_households": _Column(
        "TA1", re.compile(r"number of households in area \(000s\)"), "Number of households in area (000s)"
    ),
    "prevention_ended": _Column(
        "P1",
        re.compile(r"total number of households (?:where|whose) prevention duty ended"),
        "Total number of households whose prevention duty ended",
    ),
    "prevention_secured": _Column(
        "P1", re.compile(r"secured accommodation for 6\+ months"), "Secured accommodation for 6+ months"
    ),
    "relief_ended": _Column(
        "R1",
        re.compile(r"total number of households (?:where|whose) relief duty ended"),
        "Total number of households whose relief duty ended",
    ),
    "relief_secured": _Column(
        "R1", re.compile(r"secured accommodation for 6\+ months"), "Secured accommodation for 6+ months"
    ),
}


def _meta(
    indicator_id: str,
    title: str,
    description: str,
    unit: str,
    polarity: Polarity,
    decimals: int,
    caveats: str,
) -> IndicatorMeta:
    return IndicatorMeta(
        id=indicator_id,
        title=title,
        description=description,
        service_area=SERVICE_AREA,
        unit=unit,
        polarity=polarity,
        role="outcome",
        tier="lower",
        publisher=PUBLISHER,
        source_url=SOURCE_URL,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        caveats=caveats,
        source_folder=FOLDER,
        rollup="weighted",
        decimals=decimals,
    )


INDICATORS: tuple[IndicatorMeta, ...] = (
    # No polarity: a high rate reflects local need and how easily people reach the service as much as
    # performance, and a low one can hide gatekeeping.
    _meta(
        DUTIES_ID,
        "Households owed a homelessness duty per 1,000 households (quarter)",
        "Households newly assessed in the quarter as threatened with homelessness or homeless and owed "
        "a prevention or relief duty, per 1,000 households in the area.",
        "per 1,000 households",
        "none",
        2,
        "A quarter's flow of initial assessments (table A1), not an annual rate; reflects need and access to "
        "the service as much as performance, so no direction is given. "
        + _COMMON_CAVEATS
        + _HOUSEHOLDS_CAVEAT,
    ),
    # Lower is better for residents: each household in TA is a household without a settled home. Housing
    # market pressure drives much of it, which is why councils are compared with similar councils.
    _meta(
        TA_ID,
        "Households in temporary accommodation per 1,000 households",
        "Households living in temporary accommodation arranged by the council on the last day of the "
        "quarter, per 1,000 households in the area.",
        "per 1,000 households",
        "lower_better",
        2,
        "Snapshot on the quarter's last day (table TA1); counts TA placed by this council wherever it is, "
        "including in other districts. Largely driven by local housing costs. "
        + _COMMON_CAVEATS
        + _HOUSEHOLDS_CAVEAT,
    ),
    _meta(
        TA_CHILDREN_ID,
        "Households with children in temporary accommodation per 1,000 households",
        "Households with dependent children living in temporary accommodation arranged by the council on "
        "the last day of the quarter, per 1,000 households in the area.",
        "per 1,000 households",
        "lower_better",
        2,
        "Snapshot on the quarter's last day (table TA1); the denominator is all households, not only "
        "families. " + _COMMON_CAVEATS + _HOUSEHOLDS_CAVEAT,
    ),
    _meta(
        PREVENTION_ID,
        "Prevention duties ended with accommodation secured (%)",
        "Of households whose homelessness prevention duty ended in the quarter, the share who kept or "
        "moved to accommodation expected to last at least six months.",
        "%",
        "higher_better",
        1,
        "Table P1, one quarter's duty ends: small districts end few duties, so single quarters are noisy "
        "(see the numerator and denominator). Not available when no prevention duty ended. "
        + _COMMON_CAVEATS,
    ),
    _meta(
        RELIEF_ID,
        "Relief duties ended with accommodation secured (%)",
        "Of homeless households whose relief duty ended in the quarter, the share who secured "
        "accommodation expected to last at least six months.",
        "%",
        "higher_better",
        1,
        "Table R1, one quarter's duty ends; most other relief duties end after 56 days and pass to the main "
        "duty. Small districts end few duties, so single quarters are noisy. " + _COMMON_CAVEATS,
    ),
)


# ---------------------------------------------------------------------------------------------- periods

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTH_NAMES = "|".join(_MONTHS)
_QUARTER = re.compile(rf"\b({_MONTH_NAMES})\s+to\s+({_MONTH_NAMES})\s+(\d{{4}})\b", re.IGNORECASE)
_SNAPSHOT = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_NAMES})\s+(\d{{4}})\b", re.IGNORECASE)

PeriodKind = Literal["quarter", "snapshot"]


def period_from_title(title: str) -> tuple[str, str, PeriodKind]:
    """(label, ISO start, kind) from a table title such as "England, January to March 2025".

    Flows cover a calendar quarter ("Jan–Mar 2025", start 2025-01-01); temporary accommodation is a
    snapshot on one day ("31 Mar 2025", start 2025-03-31). Raises ValueError for anything else.
    """
    quarter = _QUARTER.search(title)
    if quarter:
        first, last = _MONTHS[quarter[1].lower()], _MONTHS[quarter[2].lower()]
        year = int(quarter[3])
        if first not in (1, 4, 7, 10) or last != first + 2:
            raise ValueError(f"not a calendar quarter: {quarter[0]!r}")
        label = f"{calendar.month_abbr[first]}–{calendar.month_abbr[last]} {year}"
        return label, f"{year}-{first:02d}-01", "quarter"
    snapshot = _SNAPSHOT.search(title)
    if snapshot:
        # dt.date raises ValueError for a day that does not exist, e.g. "31 April".
        day = dt.date(int(snapshot[3]), _MONTHS[snapshot[2].lower()], int(snapshot[1]))
        return f"{day.day} {calendar.month_abbr[day.month]} {day.year}", day.isoformat(), "snapshot"
    raise ValueError(f"no quarter or date found in {title!r}")


def _quarter_end(start: str, kind: PeriodKind) -> tuple[int, int]:
    """(year, month) in which a period ends, to check it against the workbook's file name."""
    day = dt.date.fromisoformat(start)
    return (day.year, day.month + 2) if kind == "quarter" else (day.year, day.month)


# ------------------------------------------------------------------------------------ reading workbooks

_T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_O = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_X = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_CELLS = (f"{_T}table-cell", f"{_T}covered-table-cell")
_NUMERIC = ("float", "percentage", "currency")
_MAX_COLS = 1024  # formatting often repeats an empty cell to column 16384; nothing we need lies that far
_MAX_ROWS = 100_000

Grid = list[list[object]]


def _text(element: ET.Element) -> str:
    """A cell paragraph's text, with ODF's encoded spaces, tabs and line breaks restored."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if child.tag == f"{_X}s":
            parts.append(" " * int(child.get(f"{_X}c", "1")))
        elif child.tag == f"{_X}tab":
            parts.append("\t")
        elif child.tag == f"{_X}line-break":
            parts.append("\n")
        elif child.tag != f"{_O}annotation":
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _cell_value(cell: ET.Element) -> object:
    kind = cell.get(f"{_O}value-type")
    if kind in _NUMERIC:
        return float(cell.get(f"{_O}value", "nan"))
    paragraphs = [_text(p) for p in cell if p.tag == f"{_X}p"]
    if kind is None and not paragraphs:
        return None
    return "\n".join(paragraphs)


def _row_values(row: ET.Element) -> list[object]:
    values: list[object] = []
    pending_empty = 0  # empty cells are only written out when something follows them
    for cell in row:
        if cell.tag not in _CELLS:
            continue
        repeat = int(cell.get(f"{_T}number-columns-repeated", "1"))
        value = _cell_value(cell)
        if value is None or value == "":
            pending_empty += repeat
            continue
        if len(values) + pending_empty >= _MAX_COLS:
            break
        values.extend([None] * pending_empty)
        pending_empty = 0
        values.extend([value] * min(repeat, _MAX_COLS - len(values)))
    return values


def read_ods_sheets(path: Path, sheets: Iterable[str]) -> dict[str, Grid]:
    """The named sheets of an .ods file as rows of cell values (float, str or None).

    Streams content.xml instead of using pandas' odf engine, which builds the whole document (every sheet)
    in memory first: 25-60 s per H-CLIC workbook against 2-3 s here.
    """
    wanted = set(sheets)
    grids: dict[str, Grid] = {}
    current: str | None = None
    rows: Grid = []
    pending_rows = 0
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
            for event, element in ET.iterparse(stream, events=("start", "end")):
                tag = element.tag
                if event == "start":
                    if tag == f"{_T}table":
                        name = element.get(f"{_T}name")
                        current = name if name in wanted else None
                        rows, pending_rows = [], 0
                    continue
                if tag == f"{_T}table-row":
                    if current is not None:
                        values = _row_values(element)
                        repeat = int(element.get(f"{_T}number-rows-repeated", "1"))
                        if values:
                            rows.extend([[] for _ in range(pending_rows)])
                            pending_rows = 0
                            rows.extend(list(values) for _ in range(min(repeat, _MAX_ROWS - len(rows))))
                        else:
                            pending_rows += repeat  # trailing blank rows never materialise
                    element.clear()
                elif tag == f"{_T}table":
                    if current is not None:
                        grids[current] = rows
                    current = None
                    element.clear()
    except (zipfile.BadZipFile, KeyError, ET.ParseError, ValueError) as exc:
        raise SourceError(path, f"not a readable OpenDocument spreadsheet ({exc})") from exc
    return grids


def _read_xlsx_sheets(path: Path, sheets: Iterable[str]) -> dict[str, Grid]:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
        present = [s for s in sheets if s in book.sheet_names]
        frames = pd.read_excel(book, sheet_name=present, header=None)
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as exc:
        raise SourceError(path, f"not a readable xlsx workbook ({exc})") from exc
    return {
        name: [[_plain(v) for v in row] for row in frame.astype(object).itertuples(index=False, name=None)]
        for name, frame in frames.items()
    }


def _plain(value: object) -> object:
    """A pandas cell as the ODS reader gives it: None when empty, Python numbers, else text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float) or hasattr(value, "item"):
        number = float(value)  # type: ignore[arg-type]
        return None if math.isnan(number) else number
    return str(value)


def read_sheets(path: Path, sheets: Iterable[str] = SHEETS) -> dict[str, Grid]:
    """The named sheets of one workbook (.ods or .xlsx); SourceError names any that are missing."""
    if not path.exists():
        raise SourceError(path, "file not found")
    wanted = list(sheets)
    if path.suffix.lower() == ".ods":
        grids = read_ods_sheets(path, wanted)
    elif path.suffix.lower() == ".xlsx":
        grids = _read_xlsx_sheets(path, wanted)
    else:
        raise SourceError(path, "expected an .ods or .xlsx workbook")
    missing = [s for s in wanted if s not in grids]
    if missing:
        raise SourceError(path, f"sheet(s) {', '.join(missing)} not found")
    return grids


# ------------------------------------------------------------------------------------- one sheet's table


def normalise_label(label: object) -> str:
    """A header cell as comparable text: one-spaced, lower case, footnote digits glued to words removed."""
    text = " ".join(str(label).split()).lower().replace("–", "-")
    return re.sub(r"(?<=[a-z])\d+(?:,\d+)*", "", text)  # "area5 (000s)", "in TA1,2,3,4"


@dataclass
class _Table:
    """One sheet: its period, where its columns are, and its area rows keyed by code."""

    path: Path
    sheet: str
    label: str
    start: str
    kind: PeriodKind
    rows: dict[str, list[object]]
    columns: dict[str, int]
    dropped: dict[str, int]

    def cell(self, code: str, key: str) -> object:
        row = self.rows[code]
        col = self.columns[key]
        return row[col] if col < len(row) else None


def _table(path: Path, sheet: str, grid: Grid, keys: list[str]) -> _Table:
    """Locate the England row (the header block ends just above it), the columns and the period."""
    where = f"sheet {sheet}"
    first = next(
        ((r, c) for r, row in enumerate(grid[:60]) for c, v in enumerate(row[:5]) if v == ENGLAND), None
    )
    if first is None:
        raise SourceError(
            path,
            f"{where}: no row with the England code {ENGLAND} in the first 60 rows, "
            "so the header block cannot be located",
        )
    first_row, code_col = first
    header = grid[:first_row]
    columns: dict[str, int] = {}
    for key in keys:
        spec = COLUMNS[key]
        found = sorted(
            {
                c
                for row in header
                for c, v in enumerate(row)
                if isinstance(v, str) and spec.label.fullmatch(normalise_label(v))
            }
        )
        if len(found) != 1:
            problem = "not found" if not found else f"found in {len(found)} columns"
            raise SourceError(path, f"{where}: header '{spec.what}' {problem}")
        columns[key] = found[0]

    title = next(
        (v for row in grid[:first_row] for v in row if isinstance(v, str) and v.startswith("Table")), ""
    )
    try:
        label, start, kind = period_from_title(title)
    except ValueError as exc:
        raise SourceError(path, f"{where}: cannot read the period from the title ({exc})") from exc

    rows: dict[str, list[object]] = {}
    dropped: dict[str, int] = {}
    for row in grid[first_row:]:
        code = row[code_col] if code_col < len(row) else None
        code = code.strip() if isinstance(code, str) else code
        if isinstance(code, str) and (code == ENGLAND or _COUNCIL_CODE.fullmatch(code)):
            if code in rows:
                raise SourceError(path, f"{where}: area code {code} appears twice")
            rows[code] = row
        elif isinstance(code, str) and (_ANY_CODE.fullmatch(code) or code == "-"):
            kind_name = (
                "region" if code.startswith("E12") else ("'Rest of England'" if code == "-" else code[:3])
            )
            dropped[kind_name] = dropped.get(kind_name, 0) + 1
    if not any(_COUNCIL_CODE.fullmatch(c) for c in rows):
        raise SourceError(path, f"{where}: no council rows (E06-E10 codes) below the header")
    return _Table(path, sheet, label, start, kind, rows, columns, dropped)


def _number(table: _Table, code: str, key: str) -> tuple[float, str, str]:
    """(value, status, note) of one cell; '..' becomes 'not available', never 0."""
    raw = table.cell(code, key)
    try:
        value, status = parse_cell(raw)
    except ValueError as exc:
        raise SourceError(
            table.path, f"sheet {table.sheet}: unexpected cell {raw!r} for {code} under '{COLUMNS[key].what}'"
        ) from exc
    note = ""
    if status:
        note = (
            "authority's data missing or incomplete this quarter ('..')"
            if str(raw).strip() == ".."
            else f"not published ({str(raw).strip() or 'blank'})"
        )
    return value, status, note


def _rate_records(
    table: _Table,
    indicator_id: str,
    numerator_key: str,
    denominator_key: str,
    *,
    per_thousand_households: bool,
) -> list[dict[str, object]]:
    """Rows of one rate: per 1,000 households (denominator published in 000s) or a percentage."""
    nan = float("nan")
    records: list[dict[str, object]] = []
    for code in table.rows:
        num, num_status, num_note = _number(table, code, numerator_key)
        den, den_status, den_note = _number(table, code, denominator_key)
        if per_thousand_households and not den_status:
            den = float(
                round(den * 1000)
            )  # published as thousands to 3 decimals: a whole number of households
        value, status, note = nan, num_status, num_note
        if not num_status and den_status:
            status, note = den_status, f"denominator {den_note}"
        elif not num_status and den == 0:
            status, note = "z", "no duties ended this quarter, so no share can be given"
        elif not num_status:
            value = num / den * (1000 if per_thousand_households else 100)
        if code == ENGLAND:
            note = "; ".join(
                n for n in (note, "England total includes MHCLG estimates for missing authorities") if n
            )
        records.append(
            {
                "area_code": code,
                "indicator_id": indicator_id,
                "period": table.label,
                "period_start": table.start,
                "value": value,
                "lower": nan,
                "upper": nan,
                "numerator": num if not num_status else nan,
                "denominator": den if not den_status else nan,
                "status": status,
                "note": note,
            }
        )
    return records


def _check_ta_rate(table: _Table) -> None:
    """The published TA rate must equal count / households: a guard against reading the wrong columns."""
    for code in table.rows:
        if code == ENGLAND:  # England's count is rounded to 10, its rate is not
            continue
        count, s1, _ = _number(table, code, "ta")
        households, s2, _ = _number(table, code, "ta_households")
        rate, s3, _ = _number(table, code, "ta_rate")
        if not (s1 or s2 or s3) and households > 0 and abs(count / households - rate) > 1e-6 * max(1.0, rate):
            raise SourceError(
                table.path,
                f"sheet TA1: published rate {rate} for {code} is not "
                f"count/households ({count}/{households}): columns misread?",
            )


def _expected_end(path: Path) -> tuple[int, int] | None:
    match = re.search(r"(20\d{2})(0[1-9]|1[0-2])\.(?:ods|xlsx)$", path.name)
    return (int(match[1]), int(match[2])) if match else None


def read_workbook(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """All five indicators from one quarterly workbook, with log lines."""
    grids = read_sheets(path, SHEETS)
    a1 = _table(path, "A1", grids["A1"], ["owed", "a1_households"])
    ta1 = _table(path, "TA1", grids["TA1"], ["ta", "ta_children", "ta_rate", "ta_households"])
    p1 = _table(path, "P1", grids["P1"], ["prevention_ended", "prevention_secured"])
    r1 = _table(path, "R1", grids["R1"], ["relief_ended", "relief_secured"])
    expected = _expected_end(path)
    for table, kind in ((a1, "quarter"), (p1, "quarter"), (r1, "quarter"), (ta1, "snapshot")):
        if table.kind != kind:
            raise SourceError(
                path, f"sheet {table.sheet}: expected a {kind} in the title, found '{table.label}'"
            )
        if expected and _quarter_end(table.start, table.kind) != expected:
            raise SourceError(
                path,
                f"sheet {table.sheet}: title period '{table.label}' does not match the "
                f"quarter ending {expected[1]:02d}/{expected[0]} in the file name",
            )
    _check_ta_rate(ta1)

    records = (
        _rate_records(a1, DUTIES_ID, "owed", "a1_households", per_thousand_households=True)
        + _rate_records(ta1, TA_ID, "ta", "ta_households", per_thousand_households=True)
        + _rate_records(ta1, TA_CHILDREN_ID, "ta_children", "ta_households", per_thousand_households=True)
        + _rate_records(
            p1, PREVENTION_ID, "prevention_secured", "prevention_ended", per_thousand_households=False
        )
        + _rate_records(r1, RELIEF_ID, "relief_secured", "relief_ended", per_thousand_households=False)
    )
    frame = pd.DataFrame.from_records(records)
    log: list[str] = []
    for table in (a1, ta1, p1, r1):
        councils = sum(1 for c in table.rows if c != ENGLAND)
        dropped = ", ".join(f"{n} {k}" for k, n in sorted(table.dropped.items())) or "none"
        log.append(
            f"{path.name} {table.sheet} ({table.label}): {councils} councils + England kept; "
            f"dropped rows: {dropped} (not councils)"
        )
    missing = frame[frame["status"] == "x"].groupby("indicator_id")["area_code"].nunique()
    for indicator_id, count in missing.items():
        log.append(f"{path.name}: {indicator_id}: {count} authorities not available ('..' = missing data)")
    return frame, log


def read(root: Path) -> SourceResult:
    """Every workbook in the folder, one quarter each, codes kept exactly as published."""
    folder = root / FOLDER
    frames: list[pd.DataFrame] = []
    log: list[str] = []
    for name in WORKBOOKS:
        started = time.perf_counter()
        frame, lines = read_workbook(folder / name)
        frames.append(frame)
        log.extend(lines)
        log.append(f"read {name} (sheets {', '.join(SHEETS)}) in {time.perf_counter() - started:.1f} s")
    log.append(
        "Detailed_LA_202303.ods is on pre-April-2023 councils (e.g. Craven E07000163, Allerdale "
        "E07000026); the central lineage step maps them to their successors."
    )
    log.append(
        "Statutory_Homelessness_Detailed_Local_Authority_Data_202512.ods is on 2025 codes (Barnsley "
        "E08000038, Sheffield E08000039), kept as published for the lineage step."
    )
    values = finalise_values(pd.concat(frames, ignore_index=True))
    return SourceResult(indicators=list(INDICATORS), values=values, log=log)
