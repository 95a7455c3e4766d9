"""ONS mid-year population estimates (mid-2022, April 2023 boundaries): size, density and age mix."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd

from lm_core.sources.base import (
    IndicatorMeta,
    Rollup,
    SourceError,
    SourceResult,
    finalise_values,
    parse_cell,
)

FOLDER = "ons-mye-2022"
FILE = "mye22final.xlsx"
SOURCE_URL = (
    "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates/"
    "datasets/populationestimatesforukenglandandwalesscotlandandnorthernireland"
)
ATTRIBUTION = "Source: Office for National Statistics licensed under the Open Government Licence v3.0."
PUBLISHER = "Office for National Statistics"
ENGLAND = "E92000001"
COUNCIL_PREFIXES = ("E06", "E07", "E08", "E09", "E10")

SHEET_AGES = "MYE2 - Persons"
SHEET_DENSITY = "MYE5"
SHEET_MEDIAN = "MYE6"

# Source column labels, mapped once here.
ALL_AGES = "All ages"
AREA = "Area (sq km)"
POP_2022 = "Estimated Population mid-2022"
POP_2011 = "Estimated Population mid-2011"
MEDIAN_2022 = "Mid-2022"
MEDIAN_2011 = "Mid-2011"
OLDEST = 90  # the "90+" column

_COMMON_CAVEATS = (
    "Mid-2022 estimates on April 2023 boundaries (Cumberland, Westmorland and Furness, North Yorkshire and "
    "Somerset are present; Barnsley is E08000016). A single year: later mid-year files were not available. "
    "Estimates are unrounded but not accurate to the last person."
)


def _meta(
    indicator_id: str, title: str, description: str, unit: str, rollup: Rollup, decimals: int, caveats: str
) -> IndicatorMeta:
    return IndicatorMeta(
        id=indicator_id, title=title, description=description, service_area="Context", unit=unit,
        polarity="none", role="context", tier="both", publisher=PUBLISHER, source_url=SOURCE_URL,
        licence="OGL v3.0", attribution=ATTRIBUTION, caveats=f"{_COMMON_CAVEATS} {caveats}".strip(),
        source_folder=FOLDER, rollup=rollup, decimals=decimals,
    )


INDICATORS: tuple[IndicatorMeta, ...] = (
    _meta("population", "Resident population",
          "How many people usually live in the area (ONS mid-year estimate).",
          "people", "sum", 0,
          "The mid-2011 figure is ONS's re-estimate on the same April 2023 boundaries (table MYE5)."),
    _meta("population_density", "Population density",
          "Residents per square kilometre of land, a measure of how built-up the area is.",
          "people per km²", "weighted", 0,
          "Land area excludes inland water (Standard Area Measurements at 31 December 2021). The value is "
          "recalculated from population and unrounded area; ONS displays it rounded to whole people."),
    _meta("share_aged_65_plus", "Residents aged 65 and over",
          "Share of residents aged 65 or older, a driver of demand for adult social care.",
          "%", "weighted", 1,
          "Sum of single-year ages 65 to 90+ divided by all ages (table MYE2)."),
    _meta("share_aged_0_15", "Residents aged 0 to 15",
          "Share of residents aged under 16, a driver of demand for children's services and schools.",
          "%", "weighted", 1,
          "Sum of single-year ages 0 to 15 divided by all ages (table MYE2)."),
    _meta("median_age", "Median age of residents",
          "The age that splits the resident population in half.",
          "years", "none", 1,
          "A median cannot be combined across areas, so it is not rolled up to merged councils."),
)


def mid_year(year: int) -> tuple[str, str]:
    """(label, start date) of a mid-year estimate, which refers to 30 June."""
    return f"mid-{year}", f"{year}-06-30"


_AGE_TEXT = re.compile(r"^\s*(\d{1,3})(\+?)\s*$")
MAX_AGE = 120  # anything larger is not an age column


def age_of(label: object) -> int | None:
    """The single year of age a MYE2 column header stands for ("90+" is 90), else None."""
    if isinstance(label, bool):
        return None
    if isinstance(label, (int, float)):
        if label != label or not 0 <= label <= MAX_AGE or float(label) != int(label):
            return None
        return int(label)
    match = _AGE_TEXT.match(str(label))
    return int(match.group(1)) if match and int(match.group(1)) <= MAX_AGE else None


def _header_label(raw: object) -> str:
    """A header cell as text; whole-number ages read by Excel as floats become "0", "1", ..."""
    age = age_of(raw)
    if age is not None and not isinstance(raw, str):
        return str(age)
    return str(raw).strip()


def _load(path: Path) -> dict[str, pd.DataFrame]:
    """The three sheets needed, read once without headers (the tables start below a preamble)."""
    if not path.exists():
        raise SourceError(path, "file not found")
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise SourceError(path, f"not a readable .xlsx workbook ({exc})") from exc
    with book:
        wanted = (SHEET_AGES, SHEET_DENSITY, SHEET_MEDIAN)
        missing = [s for s in wanted if s not in book.sheet_names]
        if missing:
            found = ", ".join(str(s) for s in book.sheet_names)
            raise SourceError(path, f"sheet(s) missing: {', '.join(missing)} (found {found})")
        return {s: book.parse(s, header=None) for s in wanted}


def _table(path: Path, sheet: str, raw: pd.DataFrame, required: tuple[str, ...]) -> pd.DataFrame:
    """Rows below the sheet's "Code" header row, keyed by code, for English councils and England."""
    if raw.empty:
        raise SourceError(path, f"sheet '{sheet}' is empty")
    first = raw.iloc[:, 0].map(lambda c: str(c).strip())
    hits = list(first.index[first == "Code"])
    if not hits:
        raise SourceError(path, f"sheet '{sheet}': header row starting 'Code' not found")
    header = [_header_label(c) for c in raw.loc[hits[0]]]
    missing = [c for c in required if c not in header]
    if missing:
        raise SourceError(path, f"sheet '{sheet}': column(s) missing: {', '.join(missing)}")
    table = raw.loc[hits[0] + 1 :].copy()
    table.columns = pd.Index(header)
    table = table.loc[:, ~table.columns.duplicated()]
    table["Code"] = table["Code"].map(lambda c: "" if pd.isna(c) else str(c).strip())
    keep = table["Code"].str.startswith(COUNCIL_PREFIXES) | (table["Code"] == ENGLAND)
    table = table[keep]
    if table["Code"].duplicated().any():
        dup = table.loc[table["Code"].duplicated(), "Code"].iloc[0]
        raise SourceError(path, f"sheet '{sheet}': code {dup} appears twice")
    return table.set_index("Code")


def _number(path: Path, sheet: str, code: str, column: str, raw: object) -> tuple[float, str]:
    try:
        return parse_cell(raw)
    except ValueError as exc:
        raise SourceError(path, f"sheet '{sheet}', {code}, column '{column}': {exc}") from exc


def _row(
    code: str, ind: str, period: tuple[str, str], value: float, status: str, *,
    numerator: float = float("nan"), denominator: float = float("nan"), note: str = "",
) -> dict[str, object]:
    nan = float("nan")
    if status in ("x", "c", "z"):
        value = nan
    return {"area_code": code, "indicator_id": ind, "period": period[0], "period_start": period[1],
            "value": value, "lower": nan, "upper": nan, "numerator": numerator, "denominator": denominator,
            "status": status, "note": note}


def _age_rows(path: Path, table: pd.DataFrame, log: list[str]) -> list[dict[str, object]]:
    """Population and the two age shares, mid-2022, from single years of age."""
    ages = {age_of(c): c for c in table.columns if age_of(c) is not None}
    absent = [a for a in range(OLDEST + 1) if a not in ages]
    if absent:
        raise SourceError(path, f"sheet '{SHEET_AGES}': single-year age column(s) missing: {absent[:5]}")
    period = mid_year(2022)
    rows: list[dict[str, object]] = []
    mismatched = 0
    for code, rec in table.iterrows():
        code = str(code)
        total, total_status = _number(path, SHEET_AGES, code, ALL_AGES, rec[ALL_AGES])
        counts = [_number(path, SHEET_AGES, code, str(ages[a]), rec[ages[a]]) for a in range(OLDEST + 1)]
        rows.append(_row(code, "population", period, total, total_status))
        if any(s for _, s in counts) or total_status or total <= 0:
            for ind in ("share_aged_65_plus", "share_aged_0_15"):
                rows.append(_row(code, ind, period, float("nan"), "x", note="an age count is not available"))
            continue
        if abs(sum(v for v, _ in counts) - total) > 0.5:
            mismatched += 1
        old = sum(v for v, _ in counts[65:])
        young = sum(v for v, _ in counts[:16])
        rows.append(_row(code, "share_aged_65_plus", period, 100 * old / total, "",
                         numerator=old, denominator=total))
        rows.append(_row(code, "share_aged_0_15", period, 100 * young / total, "",
                         numerator=young, denominator=total))
    if mismatched:
        log.append(f"{FILE} {SHEET_AGES}: single years of age do not add up to 'All ages' for {mismatched} "
                   "areas; shares use 'All ages' as the denominator")
    return rows


def _density_rows(
    path: Path, table: pd.DataFrame, ages: pd.DataFrame, log: list[str]
) -> list[dict[str, object]]:
    """Population mid-2011 and density for both years, recalculated from unrounded area."""
    rows: list[dict[str, object]] = []
    disagree = 0
    for code, rec in table.iterrows():
        code = str(code)
        area, area_status = _number(path, SHEET_DENSITY, code, AREA, rec[AREA])
        for year, column in ((2022, POP_2022), (2011, POP_2011)):
            period = mid_year(year)
            pop, pop_status = _number(path, SHEET_DENSITY, code, column, rec[column])
            if year == 2011:
                rows.append(_row(code, "population", period, pop, pop_status))
            elif code in ages.index and parse_cell(ages.at[code, ALL_AGES])[0] != pop:
                disagree += 1
            if pop_status or area_status or area <= 0:
                rows.append(_row(code, "population_density", period, float("nan"), "x",
                                 note="population or land area not available"))
            else:
                rows.append(_row(code, "population_density", period, pop / area, "",
                                 numerator=pop, denominator=area))
    if disagree:
        log.append(f"{FILE}: mid-2022 population differs between {SHEET_AGES} and {SHEET_DENSITY} for "
                   f"{disagree} areas; {SHEET_AGES} is used for the population figure")
    return rows


def _median_rows(path: Path, table: pd.DataFrame) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for code, rec in table.iterrows():
        for year, column in ((2022, MEDIAN_2022), (2011, MEDIAN_2011)):
            value, status = _number(path, SHEET_MEDIAN, str(code), column, rec[column])
            rows.append(_row(str(code), "median_age", mid_year(year), value, status))
    return rows


def read(root: Path) -> SourceResult:
    """Population, density, age shares and median age for English councils, counties and England."""
    path = root / FOLDER / FILE
    sheets = _load(path)
    ages = _table(path, SHEET_AGES, sheets[SHEET_AGES], ("Code", ALL_AGES))
    density = _table(path, SHEET_DENSITY, sheets[SHEET_DENSITY], ("Code", AREA, POP_2022, POP_2011))
    median = _table(path, SHEET_MEDIAN, sheets[SHEET_MEDIAN], ("Code", MEDIAN_2022, MEDIAN_2011))
    log: list[str] = []
    rows = _age_rows(path, ages, log) + _density_rows(path, density, ages, log) + _median_rows(path, median)
    values = finalise_values(pd.DataFrame(rows))
    councils = ages.index[ages.index != ENGLAND]
    counts = pd.Series([c[:3] for c in councils]).value_counts().sort_index()
    log.insert(0, f"{FILE}: read sheets {SHEET_AGES}, {SHEET_DENSITY}, {SHEET_MEDIAN}; kept "
               + ", ".join(f"{n} {p}" for p, n in counts.items())
               + " (April 2023 geography) plus England E92000001")
    log.append(f"{FILE}: left out regions, metropolitan counties (E11: no council), Wales, Scotland, "
               "Northern Ireland and the UK totals; male/female sheets and components of change not used")
    log.append(f"{FILE}: mid-2011 population, density and median age kept as a second period "
               "(ONS re-estimates on April 2023 boundaries); age shares are mid-2022 only")
    return SourceResult(indicators=list(INDICATORS), values=values, log=log)
