"""DLUHC council tax levels 2023-24 (CTR Table 9): average Band D council tax by council, 2022-23 and
2023-24."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lm_core.sources.base import (
    IndicatorMeta,
    Rollup,
    SourceError,
    SourceResult,
    Tier,
    finalise_values,
    financial_year,
    parse_cell,
)

FOLDER = "mhclg-council-tax-levels-2023-24"
FILE = "CTR_Table_9_2023-24.ods"
BILLING = "Data_Billing"
PRECEPTING = "Data_Precepting"
PUBLISHER = "Department for Levelling Up, Housing and Communities (now MHCLG)"
SOURCE_URL = "https://www.gov.uk/government/statistics/council-tax-levels-set-by-local-authorities-in-england-2023-to-2024"
LICENCE = "OGL v3.0"
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: DLUHC, Council Tax levels set by local authorities in England 2023-24."
)
SERVICE_AREA = "Finance"
ENGLAND_CODE = "E92000001"
CURRENT_YEAR = 2023  # the workbook's "current year" is 2023-24, its "previous year" 2022-23
DISTRICT = "E07"
UNITARY_PREFIXES = ("E06", "E08", "E09")
COUNTY = "E10"

# The source's own labels, mapped once here. Columns are found by their DLUHC line number ("9.") and
# year suffix, which survive the long wording changing between editions.
CODE_HEADER = "ONS Code"
CLASS_HEADER = "Class"
ENGLAND_ROW = "TE"  # the billing table's England total
DISTRICTS_ROW = "SD"  # the billing table's total for all shire districts
COUNTY_CLASS = "SC"
LineKey = tuple[str, str | None]
BILLING_LINES: dict[LineKey, str] = {("8", "current"): "area_incl_parish", ("9", "previous"): "own_prev",
                                     ("9", "current"): "own_cur", ("17", None): "area_total"}
PRECEPTING_LINES: dict[LineKey, str] = {("3", "previous"): "own_prev", ("3", "current"): "own_cur"}
_LINE = re.compile(r"^(\d+[a-z]?)\.")
_YEAR_SUFFIX = re.compile(r"\((previous|current) year\)")

AREA_TOTAL = "council_tax_band_d_area_total"
UPPER = "council_tax_band_d_upper_tier"
UPPER_CHANGE = "council_tax_band_d_upper_tier_change_pct"
DISTRICT_LEVEL = "council_tax_band_d_district"
DISTRICT_CHANGE = "council_tax_band_d_district_change_pct"

COMMON_CAVEATS = (
    "Average Band D (two-adult equivalent) council tax, as set in March; what households pay depends on "
    "their band, discounts and council tax support. A level of tax, not a performance measure: it reflects "
    "past decisions, grant funding and local tax base as much as current choices."
)
# DLUHC's note d marks the April 2023 unitaries, whose previous-year figures DLUHC estimated.
ESTIMATE_FLAG = "[note d]"
ESTIMATE_NOTE = "2022-23 figure is DLUHC's estimate for the new council, from its predecessors' Band D"
_YEAR_TEXT = re.compile(r"relates to financial year (\d{4})-\d{2}")


@dataclass(frozen=True)
class _Spec:
    """One council tax indicator's catalogue text and placement."""

    title: str
    description: str
    unit: str
    tier: Tier
    rollup: Rollup
    caveats: str


SPECS: dict[str, _Spec] = {
    AREA_TOTAL: _Spec(
        "Band D council tax bill in the area, all authorities",
        "What a Band D household in the council's area is charged for the year by every authority together: "
        "council, parish, county or GLA, police, fire and mayor.",
        "£ per year",
        "lower",
        "weighted",
        "DLUHC line 17 (line 8 plus county/GLA, police, fire and combined authority precepts); 2023-24 "
        "only. Mostly set by other bodies: for a district council its own share is about a tenth. England "
        "figure is DLUHC's England average Band D (all authorities).",
    ),
    UPPER: _Spec(
        "Band D council tax set by the county or unitary council",
        "The average Band D council tax the county or unitary council charges for its own services, "
        "including the adult social care precept but not parish, police, fire or mayoral precepts.",
        "£ per year",
        "upper",
        "none",
        "Counties: the county precept (DLUHC precepting table line 3), which leaves out the district "
        "council's own tax (about £200 more); unitary, metropolitan and London councils: their own Band D "
        "excluding parish precepts (billing table line 9), which covers all their services. London boroughs "
        "exclude the GLA precept; metropolitan councils exclude fire, police and mayoral precepts. The City "
        "of London's is low because its other income is large. No England figure: none matches this mix.",
    ),
    UPPER_CHANGE: _Spec(
        "Increase in Band D council tax set by the county or unitary council",
        "How much the county or unitary council raised its own average Band D council tax from 2022-23 to "
        "2023-24.",
        "%",
        "upper",
        "none",
        "Calculated here from the published 2022-23 and 2023-24 Band D figures (see the level indicator). "
        "In 2023-24 most could raise it by up to 4.99% (2.99% core plus 2% adult social care) without a "
        "referendum; Croydon, Slough and Thurrock were allowed more.",
    ),
    DISTRICT_LEVEL: _Spec(
        "Band D council tax set by the district council",
        "The average Band D council tax the shire district council charges for its own services, not "
        "counting parish, county, police or fire precepts.",
        "£ per year",
        "lower",
        "none",
        "DLUHC billing table line 9 (excluding parish precepts). Shire districts only: unitary, metropolitan "
        "and London councils have no separate district element and are marked not applicable. England figure "
        "is DLUHC's average over all shire districts.",
    ),
    DISTRICT_CHANGE: _Spec(
        "Increase in Band D council tax set by the district council",
        "How much the shire district council raised its own average Band D council tax from 2022-23 to "
        "2023-24.",
        "%",
        "lower",
        "none",
        "Calculated here from the published 2022-23 and 2023-24 Band D figures. In 2023-24 districts could "
        "raise it by 2.99% or £5, whichever was more, without a referendum. Shire districts only.",
    ),
}


def percent_change(previous: float, current: float) -> float:
    """Percentage change from previous to current; NaN when previous is not a positive number."""
    if not previous > 0 or current != current:
        return float("nan")
    return 100.0 * (current / previous - 1.0)


def header_key(label: object) -> LineKey | None:
    """(DLUHC line number, "previous"/"current"/None) from a column header; None if it has no line number."""
    text = re.sub(r"\s+", " ", str(label)).strip()
    line = _LINE.match(text)
    if not line:
        return None
    year = _YEAR_SUFFIX.search(text)
    return line.group(1), (year.group(1) if year else None)


def _indicator(indicator_id: str) -> IndicatorMeta:
    spec = SPECS[indicator_id]
    return IndicatorMeta(
        id=indicator_id,
        title=spec.title,
        description=spec.description,
        service_area=SERVICE_AREA,
        unit=spec.unit,
        polarity="none",
        role="outcome",
        tier=spec.tier,
        publisher=PUBLISHER,
        source_url=SOURCE_URL,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        caveats=f"{spec.caveats} {COMMON_CAVEATS}",
        source_folder=FOLDER,
        rollup=spec.rollup,
        decimals=2,
    )


def _read_sheets(path: Path) -> dict[str, pd.DataFrame]:
    if not path.exists():
        raise SourceError(path, "file not found")
    try:
        book = pd.ExcelFile(path, engine="odf")
    except Exception as exc:  # odfpy raises assorted errors on a file that is not an ODS workbook
        raise SourceError(path, f"not a readable ODS workbook ({exc})") from exc
    with book:
        missing = [s for s in (BILLING, PRECEPTING) if s not in book.sheet_names]
        if missing:
            raise SourceError(path, f"sheets missing: {', '.join(missing)}")
        frames = pd.read_excel(book, sheet_name=[BILLING, PRECEPTING], header=None)
    return {str(name): frame for name, frame in frames.items()}


def _table(
    path: Path, sheet: str, raw: pd.DataFrame, lines: Mapping[LineKey, str]
) -> pd.DataFrame:
    """The sheet's rows below its header, with code, class and the wanted lines under our own names."""
    head = next((i for i in range(min(len(raw), 15)) if str(raw.iat[i, 1]).strip() == CODE_HEADER), None)
    if head is None:
        raise SourceError(path, f"sheet {sheet}: no header row with {CODE_HEADER!r} in column B")
    labels = raw.iloc[head].tolist()
    if CLASS_HEADER not in [str(x).strip() for x in labels]:
        raise SourceError(path, f"sheet {sheet}: column {CLASS_HEADER!r} not found")
    class_col = [str(x).strip() for x in labels].index(CLASS_HEADER)
    notes_col = next((j for j, x in enumerate(labels) if str(x).strip().startswith("Notes")), None)
    if notes_col is None:
        raise SourceError(path, f"sheet {sheet}: column 'Notes' not found")
    years = {int(m.group(1)) for i in range(head) if (m := _YEAR_TEXT.search(str(raw.iat[i, 0])))}
    if years != {CURRENT_YEAR}:
        raise SourceError(path, f"sheet {sheet}: expected a table for financial year "
                                f"{financial_year(CURRENT_YEAR)[0]}, found start years {sorted(years)}")
    found: dict[str, int] = {}
    for j, label in enumerate(labels):
        if "re-organising" in str(label).lower():
            break  # later columns repeat the line numbers for predecessor areas of reorganising councils
        key = header_key(label)
        if key is not None and key in lines and lines[key] not in found:
            found[lines[key]] = j
    missing = [f"line {n} ({y or 'no year'})" for (n, y), name in lines.items() if name not in found]
    if missing:
        raise SourceError(path, f"sheet {sheet}: columns not found: {', '.join(missing)}")
    body = raw.iloc[head + 1:]
    out = pd.DataFrame({"area_code": body.iloc[:, 1].astype("str").str.strip(),
                        "class": body.iloc[:, class_col].astype("str").str.strip(),
                        "estimated": body.iloc[:, notes_col].astype("str").str.contains(ESTIMATE_FLAG,
                                                                                         regex=False)})
    for name, j in found.items():
        out[name] = body.iloc[:, j]
    return out[~out["area_code"].isin(["", "nan"])].reset_index(drop=True)


def _band_d(path: Path, sheet: str, code: str, raw: object) -> tuple[float, str, str]:
    """(value, status, note) for one Band D cell; a published 0 is a blank, as no Band D is £0."""
    try:
        value, status = parse_cell(raw)
    except ValueError as exc:
        raise SourceError(path, f"sheet {sheet}, {code}: {exc}") from exc
    if status == "" and value == 0:
        return float("nan"), "x", "published as 0, read as not available"
    return value, status, ""


def _row(code: str, indicator_id: str, year: int, value: float, status: str, note: str) -> dict[str, object]:
    period, start = financial_year(year)
    nan = float("nan")
    return {"area_code": code, "indicator_id": indicator_id, "period": period, "period_start": start,
            "value": value if status == "" else nan, "lower": nan, "upper": nan, "numerator": nan,
            "denominator": nan, "status": status, "note": note}


def _own_rows(
    path: Path, sheet: str, code: str, prev_raw: object, cur_raw: object, level_id: str, change_id: str,
    note: str = "", estimated: bool = False,
) -> list[dict[str, object]]:
    """Level rows for both years and the year-on-year change, for one council's own Band D."""
    prev, prev_status, prev_note = _band_d(path, sheet, code, prev_raw)
    cur, cur_status, cur_note = _band_d(path, sheet, code, cur_raw)
    estimate = ESTIMATE_NOTE if estimated else ""
    prev_note = "; ".join(n for n in (note, prev_note, estimate) if n)
    cur_note = "; ".join(n for n in (note, cur_note) if n)
    change = percent_change(prev, cur) if prev_status == cur_status == "" else float("nan")
    change_status = "" if change == change else "x"
    change_note = "; ".join(n for n in (note, estimate) if n)
    return [
        _row(code, level_id, CURRENT_YEAR - 1, prev, prev_status, prev_note),
        _row(code, level_id, CURRENT_YEAR, cur, cur_status, cur_note),
        _row(code, change_id, CURRENT_YEAR, change, change_status, change_note),
    ]


def _not_district(code: str) -> list[dict[str, object]]:
    note = ("not applicable: a unitary council has no separate district element (see the county or "
            "unitary measure)")
    nan = float("nan")
    return [_row(code, DISTRICT_LEVEL, CURRENT_YEAR - 1, nan, "z", note),
            _row(code, DISTRICT_LEVEL, CURRENT_YEAR, nan, "z", note),
            _row(code, DISTRICT_CHANGE, CURRENT_YEAR, nan, "z", note)]


def read(root: Path) -> SourceResult:
    """Band D council tax levels and increases for every council (and England where one figure fits)."""
    path = root / FOLDER / FILE
    sheets = _read_sheets(path)
    billing = _table(path, BILLING, sheets[BILLING], BILLING_LINES)
    precepting = _table(path, PRECEPTING, sheets[PRECEPTING], PRECEPTING_LINES)
    log = [f"read {path.name}: {BILLING} ({len(billing)} coded rows), {PRECEPTING} ({len(precepting)})"]

    rows: list[dict[str, object]] = []
    totals = billing[billing["area_code"].isin([ENGLAND_ROW, DISTRICTS_ROW])].set_index("area_code")
    if set(totals.index) != {ENGLAND_ROW, DISTRICTS_ROW}:
        raise SourceError(path, f"sheet {BILLING}: England ({ENGLAND_ROW}) or shire district "
                                f"({DISTRICTS_ROW}) total row missing")
    value, status, note = _band_d(path, BILLING, ENGLAND_ROW, totals.at[ENGLAND_ROW, "area_incl_parish"])
    rows.append(_row(ENGLAND_CODE, AREA_TOTAL, CURRENT_YEAR, value, status,
                     note or "England average Band D, all authorities (DLUHC line 8 for England)"))
    rows.extend(_own_rows(path, BILLING, ENGLAND_CODE, totals.at[DISTRICTS_ROW, "own_prev"],
                          totals.at[DISTRICTS_ROW, "own_cur"], DISTRICT_LEVEL, DISTRICT_CHANGE,
                          note="average of all shire districts in England"))

    councils = billing[billing["area_code"].str.startswith((DISTRICT, *UNITARY_PREFIXES))]
    for rec in councils.itertuples(index=False):
        code = str(rec.area_code)
        value, status, note = _band_d(path, BILLING, code, rec.area_total)
        rows.append(_row(code, AREA_TOTAL, CURRENT_YEAR, value, status, note))
        if code.startswith(DISTRICT):
            rows.extend(_own_rows(path, BILLING, code, rec.own_prev, rec.own_cur,
                                  DISTRICT_LEVEL, DISTRICT_CHANGE, estimated=bool(rec.estimated)))
        else:
            rows.extend(_own_rows(path, BILLING, code, rec.own_prev, rec.own_cur, UPPER, UPPER_CHANGE,
                                  estimated=bool(rec.estimated)))
            rows.extend(_not_district(code))
    other_billing = sorted(set(billing["area_code"]) - set(councils["area_code"]))
    log.append(f"{len(councils)} billing authorities read; class total rows left out: {other_billing}")

    is_county = (precepting["class"] == COUNTY_CLASS) & precepting["area_code"].str.startswith(COUNTY)
    counties = precepting[is_county]
    for rec in counties.itertuples(index=False):
        rows.extend(_own_rows(path, PRECEPTING, str(rec.area_code), rec.own_prev, rec.own_cur,
                              UPPER, UPPER_CHANGE))
    others = precepting[~is_county]["class"].value_counts()
    log.append(
        f"{len(counties)} county councils read from {PRECEPTING}; left out {int(others.sum())} other "
        "precepting rows (police, fire, combined authorities, GLA and class totals: not councils): "
        + ", ".join(f"{cls} {int(n)}" for cls, n in others.items())
    )
    if counties.empty or councils.empty:
        raise SourceError(path, "no county or billing-authority rows found below the headers")

    values = finalise_values(pd.DataFrame(rows))
    log.append(
        "area Band D = DLUHC line 17 (2023-24 only); own Band D = line 9 (including adult social care, "
        "excluding parish precepts; line 8, including parishes, left out as it mixes in parish councils' "
        "choices) or the county precept (precepting line 3)"
    )
    log.append("no England figure for the county-or-unitary Band D: DLUHC publishes none matching that mix")
    log.append("numerator/denominator left empty: a £ average over the tax base is not a proportion to test")
    zeros = values[values["note"].str.contains("published as 0")]
    if len(zeros):
        log.append(f"{len(zeros)} Band D cells published as 0 read as not available: "
                   f"{sorted(set(zeros['area_code']))}")
    for indicator_id in SPECS:
        sub = values[(values["indicator_id"] == indicator_id) & (values["status"] == "")]
        sub = sub[sub["area_code"] != ENGLAND_CODE]
        latest = int((sub["period"] == financial_year(CURRENT_YEAR)[0]).sum())
        log.append(f"{indicator_id}: {latest} councils with a {financial_year(CURRENT_YEAR)[0]} figure")
    return SourceResult(indicators=[_indicator(i) for i in SPECS], values=values, log=log)
