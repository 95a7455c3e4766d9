"""MHCLG planning live table P134: decisions granted, delegated and with an extension of time, by local
planning authority, year ending September 2025."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from lm_core.sources.base import (
    IndicatorMeta,
    SourceError,
    SourceResult,
    finalise_values,
    parse_cell,
)

FOLDER = "mhclg-planning-live-tables"
FILE = "planning-data.ods"
SHEET = "LT_P134"
PUBLISHER = "Ministry of Housing, Communities and Local Government"
SOURCE_URL = "https://www.gov.uk/government/statistical-data-sets/live-tables-on-planning-application-statistics"
LICENCE = "OGL v3.0"
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: MHCLG, Planning application statistics (live tables)."
)
SERVICE_AREA = "Housing and planning"
COUNCIL_PREFIXES = ("E06", "E07", "E08", "E09")
ENGLAND_CODE = "E92000001"

# The source's own column labels, mapped once here (the label must start with the key: some carry
# "[note n]" suffixes in other editions).
CODE_HEADER = "ONS code"
COLUMNS: dict[str, str] = {
    "ONS code": "area_code",
    "Decisions where an extension of time agreement was made": "extension_of_time",
    "Total number of decisions granted": "granted",
    "Total number of decisions": "decisions",
    "Percentage of decisions delegated to officers": "delegated_pct",
    "Percentage of decisions granted": "granted_pct",
}
# Planning authorities that are not councils: national parks and development corporations.
NOT_COUNCILS = {"E26": "national park authority", "E51": "development corporation"}

COMMON_CAVEATS = (
    "Year ending September 2025 only (no time series in this workbook). Covers every district-matters "
    "application decided (major, minor and 'other', including householder, advertisement and listed "
    "building consents), so the mix of applications drives the rate. Where a national park or development "
    "corporation plans part of a council's area (e.g. Hartlepool and Middlesbrough since June 2023), the "
    "figures cover only the rest of it. Figures as reported, with no imputation for non-responding "
    "authorities; county-matters decisions excluded. Not the Oflog speed or appeal-quality measures "
    "(tables P151-P154, not in this workbook)."
)


@dataclass(frozen=True)
class _Measure:
    """One P134 measure and how its value, numerator and denominator are found."""

    indicator_id: str
    title: str
    description: str
    caveats: str


MEASURES: tuple[_Measure, ...] = (
    _Measure(
        "planning_decisions_granted_pct",
        "Planning decisions granted",
        "Share of the planning applications the council decided in the year that were granted.",
        "Published percentage; numerator is decisions granted, denominator all decisions. A high grant rate "
        "is not self-evidently better: it reflects the applications received and pre-application advice.",
    ),
    _Measure(
        "planning_decisions_delegated_pct",
        "Planning decisions delegated to officers",
        "Share of the council's planning decisions made by officers under delegated powers rather than by "
        "councillors in committee.",
        "Published percentage; the numerator (decisions delegated) is recovered exactly from that "
        "percentage and the number of decisions, as P134 does not print it.",
    ),
    _Measure(
        "planning_decisions_extension_of_time_pct",
        "Planning decisions with an agreed extension of time",
        "Share of the council's planning decisions where the applicant agreed to extend the deadline for a "
        "decision.",
        "Calculated here: decisions with an extension-of-time agreement divided by all decisions. Heavy use "
        "can hide slow decisions, but extensions are also used to negotiate better schemes, so no direction "
        "is assumed.",
    ),
)

_YEAR_ENDING = re.compile(r"year\s+ending\s+([A-Za-z]+)\s+(\d{4})", re.IGNORECASE)
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}


def parse_year_ending(text: str) -> tuple[str, str]:
    """(label, start date) for "... year ending September 2025": ("year to Sep 2025", "2024-10-01")."""
    match = _YEAR_ENDING.search(text)
    if not match:
        raise ValueError(f"no 'year ending <Month> <yyyy>' in {text!r}")
    month = _MONTHS.get(match.group(1).lower())
    if month is None:
        raise ValueError(f"not a month name: {match.group(1)!r} in {text!r}")
    year = int(match.group(2))
    # The twelve months ending with `month`: they start the month after it, a year earlier.
    start = date(year - 1, month + 1, 1) if month < 12 else date(year, 1, 1)
    return f"year to {calendar.month_abbr[month]} {year}", start.isoformat()


def _indicator(meta: _Measure) -> IndicatorMeta:
    return IndicatorMeta(
        id=meta.indicator_id,
        title=meta.title,
        description=meta.description,
        service_area=SERVICE_AREA,
        unit="% of decisions",
        polarity="none",
        role="outcome",
        tier="lower",
        publisher=PUBLISHER,
        source_url=SOURCE_URL,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        caveats=f"{meta.caveats} {COMMON_CAVEATS}",
        source_folder=FOLDER,
        rollup="weighted",
        decimals=1,
    )


def _read_sheet(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise SourceError(path, "file not found")
    try:
        book = pd.ExcelFile(path, engine="odf")
    except Exception as exc:  # odfpy raises assorted errors on a file that is not an ODS workbook
        raise SourceError(path, f"not a readable ODS workbook ({exc})") from exc
    with book:
        if SHEET not in book.sheet_names:
            raise SourceError(path, f"sheet {SHEET} missing (found {book.sheet_names})")
        return pd.read_excel(book, sheet_name=SHEET, header=None)


def _locate(path: Path, raw: pd.DataFrame) -> tuple[int, dict[str, int]]:
    """The header row and the column of each measure, found by label rather than position."""
    head = next((i for i in range(min(len(raw), 15)) if str(raw.iat[i, 1]).strip() == CODE_HEADER), None)
    if head is None:
        raise SourceError(path, f"sheet {SHEET}: no header row with {CODE_HEADER!r} in column B")
    labels = [re.sub(r"\s+", " ", str(x)).strip() for x in raw.iloc[head].tolist()]
    cols: dict[str, int] = {}
    for source, name in COLUMNS.items():
        # Exact labels (bar a note suffix): "Total number of decisions" must not claim "... granted".
        hits = [j for j, lab in enumerate(labels) if lab == source or lab.startswith(source + " [")]
        if len(hits) != 1:
            raise SourceError(path, f"sheet {SHEET}: column {source!r} found {len(hits)} times, not once")
        cols[name] = hits[0]
    return head, cols


def _number(path: Path, code: str, what: str, raw: object) -> tuple[float, str]:
    try:
        return parse_cell(raw)
    except ValueError as exc:
        raise SourceError(path, f"sheet {SHEET}, {code} {what}: {exc}") from exc


def _area_rows(
    path: Path, code: str, cells: Mapping[str, object], period: str, start: str
) -> list[dict[str, object]]:
    """The three indicator rows for one planning authority."""
    nan = float("nan")
    decisions, dec_status = _number(path, code, "decisions", cells["decisions"])
    granted, granted_status = _number(path, code, "decisions granted", cells["granted"])
    granted_pct, gp_status = _number(path, code, "% granted", cells["granted_pct"])
    delegated_pct, dp_status = _number(path, code, "% delegated", cells["delegated_pct"])
    eot, eot_status = _number(path, code, "extensions of time", cells["extension_of_time"])
    has_decisions = dec_status == "" and decisions > 0

    delegated = nan
    if has_decisions and dp_status == "":
        exact = delegated_pct * decisions / 100
        # The percentage was computed from whole counts, so it recovers one; anything else is left empty.
        delegated = float(round(exact)) if abs(exact - round(exact)) < 0.01 else nan
    eot_ok = has_decisions and eot_status == ""
    parts = {
        "planning_decisions_granted_pct": (granted_pct, gp_status, granted if granted_status == "" else nan),
        "planning_decisions_delegated_pct": (delegated_pct, dp_status, delegated),
        "planning_decisions_extension_of_time_pct": (
            100 * eot / decisions if eot_ok else nan, "" if eot_ok else "x", eot if eot_status == "" else nan
        ),
    }
    rows: list[dict[str, object]] = []
    for indicator_id, (value, status, numerator) in parts.items():
        rows.append(
            {
                "area_code": code,
                "indicator_id": indicator_id,
                "period": period,
                "period_start": start,
                "value": value if status == "" else nan,
                "lower": nan,
                "upper": nan,
                "numerator": numerator,
                "denominator": decisions if has_decisions else nan,
                "status": status,
                "note": "",
            }
        )
    return rows


def read(root: Path) -> SourceResult:
    """Grant, delegation and extension-of-time rates for every council planning authority, and England."""
    path = root / FOLDER / FILE
    raw = _read_sheet(path)
    try:
        period, start = parse_year_ending(str(raw.iat[0, 0]))
    except ValueError as exc:
        raise SourceError(path, f"sheet {SHEET}: period not found in the title ({exc})") from exc
    head, cols = _locate(path, raw)
    log = [f"read {path.name}, sheet {SHEET}: {period} (from the table title)"]

    rows: list[dict[str, object]] = []
    skipped: dict[str, list[str]] = {}
    for i in range(head + 1, len(raw)):
        code = str(raw.iat[i, cols["area_code"]]).strip()
        name = str(raw.iat[i, 0]).strip()
        if code in ("", "nan"):
            continue
        if not (code.startswith(COUNCIL_PREFIXES) or code == ENGLAND_CODE):
            kind = NOT_COUNCILS.get(code[:3], "region or aggregate")
            skipped.setdefault(kind, []).append(f"{name} ({code})")
            continue
        cells = {key: raw.iat[i, j] for key, j in cols.items() if key != "area_code"}
        rows.extend(_area_rows(path, code, cells, period, start))
    if not rows:
        raise SourceError(path, f"sheet {SHEET}: no council rows below the header")
    values = finalise_values(pd.DataFrame(rows))

    for kind, names in skipped.items():
        log.append(f"left out {len(names)} {kind} rows (not councils): {', '.join(names)}")
    log.append("Barnsley E08000038 and Sheffield E08000039 kept on their 2025 codes as published (note 21)")
    log.append(
        "left out: % of major/minor applications granted and speed (in time) by authority: P134/P124A give "
        "grants only for all decisions, and the speed tables P151-P154 are not in this workbook"
    )
    councils = values[values["area_code"] != ENGLAND_CODE]
    for meta in MEASURES:
        sub = councils[(councils["indicator_id"] == meta.indicator_id) & (councils["status"] == "")]
        log.append(f"{meta.indicator_id}: {len(sub)} councils with a figure for {period}")
    return SourceResult(indicators=[_indicator(m) for m in MEASURES], values=values, log=log)
