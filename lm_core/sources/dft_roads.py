"""DfT road condition table RDC0120: share of A roads and of B and C roads where maintenance should be
considered, by highway authority, FYE 2008 to FYE 2025."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lm_core.sources.base import (
    IndicatorMeta,
    SourceError,
    SourceResult,
    finalise_values,
    financial_year,
    parse_cell,
)

FOLDER = "dft-road-condition-rdc0120"
FILE = "road-condition-data.ods"
PUBLISHER = "Department for Transport"
SOURCE_URL = "https://www.gov.uk/government/statistical-data-sets/road-condition-statistics-data-tables-rdc"
LICENCE = "OGL v3.0"
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Department for Transport, Road condition statistics (RDC0120)."
)
SERVICE_AREA = "Roads and transport"
COUNCIL_PREFIXES = ("E06", "E07", "E08", "E09", "E10")
ENGLAND_CODE = "E92000001"
SCILLY_CODE = "E06000053"

# The source's own header labels, mapped once here.
CODE_HEADER = "ONS Area Code"
NOTES_HEADER = "Notes"
_FYE = re.compile(r"^FYE\s+(\d{4})$")
# DfT's note 7: the authority surveyed with a method other than SCANNER, so the figure is not directly
# comparable with other authorities' figures.
NON_SCANNER_NOTE = "7"
SCANNER_ALONGSIDE_NOTE = "8"
# DfT publishes the former county council's series on the successor unitary's code; the years before
# the change are flagged so nobody reads them as the unitary's own record.
CARRIED_SERIES: dict[str, tuple[str, str]] = {
    "E06000059": ("2019-04-01", "former Dorset County Council, whose area also took in Christchurch (now in "
                                "Bournemouth, Christchurch and Poole)"),
    "E06000065": ("2023-04-01", "former North Yorkshire County Council (same area)"),
    "E06000066": ("2023-04-01", "former Somerset County Council (same area)"),
}

COMMON_CAVEATS = (
    "Per cent of surveyed road length in 'red' (poor) condition from machine surveys; a red section needs "
    "investigating, not necessarily repair. No confidence intervals and no road lengths are published, so "
    "mergers are population-weighted, not length-weighted. Breaks in series: FYE 2008 figures come from "
    "the Best Value indicators (BV223/BV224a), later years from NI 168/169 and the Single Data List; some "
    "SCANNER survey vehicles gave inconsistent results in FYE 2016-2018 (authorities unknown). Figures "
    "measured without SCANNER (DfT note 7, more common each year; a new BSI standard since September "
    "2024) are kept but flagged low reliability ('u'): they are not directly comparable. Small networks "
    "swing more. Leeds changed survey supplier in 2024. Isles of Scilly: not applicable."
)


@dataclass(frozen=True)
class _Sheet:
    """How one RDC0120 sheet becomes an indicator."""

    sheet: str
    indicator_id: str
    title: str
    description: str
    caveats: str


SHEETS: tuple[_Sheet, ...] = (
    _Sheet(
        "RDC0120_A_Roads_and_Motorways",
        "a_roads_maintenance_should_be_considered",
        "A roads where maintenance should be considered",
        "Share of the council's A road (and any council motorway) length in poor condition, where "
        "maintenance should be considered.",
        "Covers local A roads and council-run motorways. London: SCANNER surveys lapsed in FYE 2020-2022 "
        "(many gaps and non-SCANNER figures) and restarted for A roads in FYE 2023.",
    ),
    _Sheet(
        "RDC0120_B_and_C_Roads",
        "b_and_c_roads_maintenance_should_be_considered",
        "B and C roads where maintenance should be considered",
        "Share of the council's B and C road length in poor condition, where maintenance should be "
        "considered.",
        "London: SCANNER surveys lapsed from FYE 2020 and restarted for A roads only, so most London B and C "
        "figures since then are missing or non-SCANNER.",
    ),
)

_NOTE_CLAUSE = re.compile(r"\[(\w+)\]\s+applies to\s+(.+?)(?=,\s*\[|$)")
_CELL_REF = re.compile(r"^([A-Z]{1,2})(\d+)$")


def parse_fye(label: object) -> tuple[str, str]:
    """(label, start date) for DfT's "FYE 2025" (year ending March 2025 = 2024-25); ValueError otherwise."""
    match = _FYE.match(str(label).strip())
    if not match:
        raise ValueError(f"not a financial-year-ending label: {label!r}")
    return financial_year(int(match.group(1)) - 1)


def column_index(letters: str) -> int:
    """0-based index of a spreadsheet column ("A" -> 0, "U" -> 20, "AA" -> 26)."""
    if not letters or not letters.isalpha() or not letters.isupper():
        raise ValueError(f"not a column letter: {letters!r}")
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - ord("A") + 1)
    return index - 1


def parse_cell_notes(text: object) -> dict[str, list[tuple[int, int]]]:
    """DfT's per-row notes cell ("[7] applies to T7 and U7, [r] applies to T7") as note -> [(row, col)].

    Rows are 1-based sheet rows as DfT writes them, columns 0-based; "[z]" or blank means no notes.
    """
    raw = "" if text is None or (isinstance(text, float) and text != text) else str(text).strip()
    if raw in ("", "[z]"):
        return {}
    clauses = _NOTE_CLAUSE.findall(raw)
    if not clauses:
        raise ValueError(f"notes cell not understood: {raw!r}")
    out: dict[str, list[tuple[int, int]]] = {}
    for key, refs in clauses:
        for ref in re.split(r",\s*|\s+and\s+", refs.strip()):
            match = _CELL_REF.match(ref.strip())
            if not match:
                raise ValueError(f"cell reference not understood: {ref!r} in {raw!r}")
            out.setdefault(key, []).append((int(match.group(2)), column_index(match.group(1))))
    return out


def _indicator(sheet: _Sheet) -> IndicatorMeta:
    return IndicatorMeta(
        id=sheet.indicator_id,
        title=sheet.title,
        description=sheet.description,
        service_area=SERVICE_AREA,
        unit="% of road length",
        polarity="lower_better",
        role="outcome",
        tier="upper",
        publisher=PUBLISHER,
        source_url=SOURCE_URL,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        caveats=f"{sheet.caveats} {COMMON_CAVEATS}",
        source_folder=FOLDER,
        rollup="weighted",
        decimals=0,
    )


def _read_workbook(path: Path) -> dict[str, pd.DataFrame]:
    if not path.exists():
        raise SourceError(path, "file not found")
    try:
        book = pd.ExcelFile(path, engine="odf")
    except Exception as exc:  # odfpy raises assorted errors on a file that is not an ODS workbook
        raise SourceError(path, f"not a readable ODS workbook ({exc})") from exc
    with book:
        missing = [s.sheet for s in SHEETS if s.sheet not in book.sheet_names]
        if missing:
            raise SourceError(path, f"sheets missing: {', '.join(missing)} (found {book.sheet_names})")
        frames = pd.read_excel(book, sheet_name=[s.sheet for s in SHEETS], header=None)
    return {str(name): frame for name, frame in frames.items()}


def _header_row(path: Path, sheet: str, raw: pd.DataFrame) -> int:
    for i in range(min(len(raw), 15)):
        if str(raw.iat[i, 0]).strip() == CODE_HEADER:
            return i
    raise SourceError(path, f"sheet {sheet}: no header row starting {CODE_HEADER!r} in the first 15 rows")


def _sheet_rows(path: Path, spec: _Sheet, raw: pd.DataFrame, log: list[str]) -> list[dict[str, object]]:
    """Long rows for one sheet: every authority-year, with DfT's cell flags turned into status and notes."""
    head = _header_row(path, spec.sheet, raw)
    labels = [str(x).strip() for x in raw.iloc[head].tolist()]
    years: dict[int, tuple[str, str]] = {}
    for j, label in enumerate(labels):
        if _FYE.match(label):
            years[j] = parse_fye(label)
    if not years:
        raise SourceError(path, f"sheet {spec.sheet}: no 'FYE yyyy' columns in the header row")
    if NOTES_HEADER not in labels:
        raise SourceError(path, f"sheet {spec.sheet}: column {NOTES_HEADER!r} not found")
    notes_col = labels.index(NOTES_HEADER)

    rows: list[dict[str, object]] = []
    dropped: set[str] = set()
    z_dropped = flagged = unrepresentative = 0
    for i in range(head + 1, len(raw)):
        code = str(raw.iat[i, 0]).strip()
        if code in ("", "nan"):
            continue
        if not (code.startswith(COUNCIL_PREFIXES) or code == ENGLAND_CODE):
            dropped.add(code)
            continue
        sheet_row = i + 1  # DfT's notes use 1-based sheet rows
        try:
            notes = parse_cell_notes(raw.iat[i, notes_col])
        except ValueError as exc:
            raise SourceError(path, f"sheet {spec.sheet}, row {sheet_row} ({code}): {exc}") from exc
        for key, refs in notes.items():
            if any(r != sheet_row for r, _ in refs):
                raise SourceError(path, f"sheet {spec.sheet}, row {sheet_row} ({code}): note [{key}] "
                                        "points at another row, so the layout has shifted")
        cell_notes: dict[int, set[str]] = {}
        for key, refs in notes.items():
            for _, col in refs:
                cell_notes.setdefault(col, set()).add(key)

        cells = {j: raw.iat[i, j] for j in years}
        texts = {j: str(v).strip().lower() for j, v in cells.items()}
        # "[z]" marks years before an authority was created or after it was abolished; those cells are
        # left out (the lineage step explains the gap). Only a row that is [z] throughout (Isles of
        # Scilly) is genuinely "not applicable" and kept as such.
        all_z = all(t == "[z]" for t in texts.values())
        for j, (period, start) in years.items():
            raw_cell = cells[j]
            text = texts[j]
            note_parts: list[str] = []
            if text == "[z]" and not all_z:
                z_dropped += 1
                continue
            if text == "[y]":
                value, status = float("nan"), "x"
                note_parts.append("unrepresentative: insufficient survey coverage or data-quality issues")
                unrepresentative += 1
            else:
                try:
                    value, status = parse_cell(raw_cell)
                except ValueError as exc:
                    raise SourceError(path, f"sheet {spec.sheet}, {code} {labels[j]}: {exc}") from exc
            if code in CARRIED_SERIES and start < CARRIED_SERIES[code][0]:
                note_parts.append(f"figure for the {CARRIED_SERIES[code][1]}")
            if code == SCILLY_CODE and status == "z":
                note_parts.append("road condition data not applicable for the Isles of Scilly")
            keys = cell_notes.get(j, set())
            if NON_SCANNER_NOTE in keys and status == "":
                status = "u"
                flagged += 1
                note_parts.append("measured without SCANNER: not directly comparable with other authorities")
            if SCANNER_ALONGSIDE_NOTE in keys:
                note_parts.append("SCANNER surveyed alongside an unaccredited asset management system")
            if "r" in keys:
                note_parts.append("revised")
            rows.append(
                {
                    "area_code": code,
                    "indicator_id": spec.indicator_id,
                    "period": period,
                    "period_start": start,
                    "value": value,
                    "lower": float("nan"),
                    "upper": float("nan"),
                    "numerator": float("nan"),
                    "denominator": float("nan"),
                    "status": status,
                    "note": "; ".join(note_parts),
                }
            )
    if dropped:
        log.append(f"{spec.sheet}: dropped rows for codes that are not English councils: {sorted(dropped)}")
    log.append(
        f"{spec.indicator_id}: left out {z_dropped} '[z]' cells for years before an authority existed or "
        f"after it was abolished; {unrepresentative} '[y]' (unrepresentative) cells kept as not available; "
        f"{flagged} non-SCANNER figures kept with status 'u'"
    )
    return rows


def read(root: Path) -> SourceResult:
    """Both RDC0120 road condition series for highway authorities (and England), every year published."""
    path = root / FOLDER / FILE
    sheets = _read_workbook(path)
    log = [f"read {path.name}: sheets {', '.join(sheets)}"]
    rows: list[dict[str, object]] = []
    for spec in SHEETS:
        rows.extend(_sheet_rows(path, spec, sheets[spec.sheet], log))
    values = finalise_values(pd.DataFrame(rows))

    historic = sorted(
        set(values.loc[values["area_code"].isin(
            ["E06000028", "E06000029", "E10000001", "E10000004", "E10000006", "E10000021"]), "area_code"])
    )
    log.append(
        f"historic highway authorities kept on their own codes for the lineage step: {historic} "
        "(Bedfordshire, Cheshire, Bournemouth, Poole, Northamptonshire, Cumbria)"
    )
    log.append(
        "county series published on unitary codes before reorganisation, flagged in notes: "
        + "; ".join(f"{code} before {financial_year(int(start[:4]))[0]}: {what}"
                    for code, (start, what) in CARRIED_SERIES.items())
    )
    log.append("RDC0120 has no 95% confidence intervals or road lengths: lower, upper, numerator and "
               "denominator left empty")
    for spec in SHEETS:
        sub = values[(values["indicator_id"] == spec.indicator_id) & values["status"].isin(["", "u"])]
        sub = sub[sub["area_code"] != ENGLAND_CODE]
        latest = sub["period"].max()
        log.append(
            f"{spec.indicator_id}: {sub['period'].nunique()} years, {int((sub['period'] == latest).sum())} "
            f"authorities with a figure in {latest}"
        )
    return SourceResult(indicators=[_indicator(s) for s in SHEETS], values=values, log=log)
