"""DEFRA fly-tipping incidents reported by local authorities, 2012-13 to 2022-23."""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Mapping
from pathlib import Path

import pandas as pd

from lm_core.sources.base import (
    IndicatorMeta,
    Rollup,
    SourceError,
    SourceResult,
    empty_values,
    finalise_values,
    parse_cell,
)
from lm_core.sources.defra_waste import (
    ENGLAND,
    classify_code,
    data_rows,
    parse_financial_year,
    read_ods_sheets,
)

FOLDER = "defra-fly-tipping-2022-23"
FILE = "flytipping_la.ods"
SHEET = "LA_incidents"
SOURCE_URL = "https://www.gov.uk/government/statistics/fly-tipping-in-england"
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Defra, Fly-tipping statistics for England."
)
RATE = "fly_tipping_incidents_per_1000"

_COLUMNS = {
    "year": "Year",
    "code": "ONS Code",
    "name": "LA Name",
    "region": "Region",
    "incidents": "Total Incidents",
    "population": "Mid population estimates",
    "rate": "Incidents per 1,000 people",
    "basis": "Reporting basis",
}

_CAVEATS = (
    "Counts incidents reported to and by the council, so a higher figure can mean more tipping or more "
    "thorough reporting and clearing (councils differ in whether they count staff-found incidents; the "
    "reporting basis is noted where Defra gives it). Pre-2023 geography: Cumbria, North Yorkshire and "
    "Somerset districts appear up to 2022-23."
)


def _meta(indicator_id: str, title: str, description: str, unit: str, rollup: Rollup, decimals: int,
          caveats: str) -> IndicatorMeta:
    """One fly-tipping outcome's catalogue record."""
    return IndicatorMeta(
        id=indicator_id,
        title=title,
        description=description,
        service_area="Waste and environment",
        unit=unit,
        polarity="none",
        role="outcome",
        tier="lower",
        publisher="Department for Environment, Food & Rural Affairs (Defra)",
        source_url=SOURCE_URL,
        licence="OGL v3.0",
        attribution=ATTRIBUTION,
        caveats=caveats,
        source_folder=FOLDER,
        rollup=rollup,
        decimals=decimals,
    )


INDICATORS: tuple[IndicatorMeta, ...] = (
    _meta(
        RATE,
        "Fly-tipping incidents per 1,000 people",
        "Fly-tipping incidents the council dealt with in the year, per 1,000 residents.",
        "per 1,000 people",
        "weighted",
        1,
        "Defra publishes the rate and the mid-year population behind it from 2019-20 only. " + _CAVEATS,
    ),
)


def _cell(raw: object, path: Path, what: str) -> tuple[float, str]:
    """parse_cell, with an unreadable cell reported against the file."""
    try:
        return parse_cell(raw)
    except ValueError as exc:
        raise SourceError(path, f"{SHEET}: unreadable {what} cell ({exc})") from exc


def _basis_note(raw: object) -> str:
    """The reporting basis when it is not the usual 'all incidents' (it changes what is counted)."""
    text = "" if raw is None else str(raw).strip()
    if text in ("", ":") or text.lower() == "all incidents":
        return ""
    return f"reporting basis: {text}"


def records_for_row(row: Mapping[Hashable, object], area_code: str, path: Path) -> list[dict[str, object]]:
    """The rate record of one published row, with incidents and population as its parts.

    The raw count is not offered as an indicator of its own: it grows with the size of the area,
    so set beside other councils it would only say which is bigger.
    """
    period, start = parse_financial_year(row["year"])
    note = _basis_note(row["basis"])
    if area_code == ENGLAND:
        note = "England total grossed up by Defra for councils that did not report"
    incidents, incidents_status = _cell(row["incidents"], path, "Total Incidents")
    population, population_status = _cell(row["population"], path, "Mid population estimates")
    rate, rate_status = _cell(row["rate"], path, "Incidents per 1,000 people")
    base = {"area_code": area_code, "period": period, "period_start": start, "lower": math.nan,
            "upper": math.nan, "note": note}
    out: list[dict[str, object]] = []
    published = rate_status == ""
    out.append(base | {
        "indicator_id": RATE, "value": rate, "status": rate_status,
        "numerator": incidents if published and incidents_status == "" else math.nan,
        "denominator": population if published and population_status == "" else math.nan,
    })
    return out


def read(root: Path) -> SourceResult:
    """The 2022-23 fly-tipping workbook: incidents, and incidents per 1,000 people where published."""
    path = root / FOLDER / FILE
    started = time.perf_counter()
    sheet = read_ods_sheets(path, [SHEET])[SHEET]
    rows = data_rows(sheet, "Year", _COLUMNS, path, SHEET)
    log = [f"Fly-tipping: read {path.name} ({len(rows)} rows of {SHEET}) in "
           f"{time.perf_counter() - started:.1f} s"]
    records: list[dict[str, object]] = []
    dropped: dict[str, int] = {}
    rate_years: set[str] = set()
    for r in rows.to_dict("records"):
        # ENV18's joint codes do not apply here: fly-tipping has Babergh and Mid Suffolk separately.
        area_code, reason = classify_code(r["code"], r["region"], joint={})
        if area_code is None:
            if reason != "region total":
                dropped[reason] = dropped.get(reason, 0) + 1
            continue
        row_records = records_for_row(r, area_code, path)
        records.extend(row_records)
        rate_years.update(str(rec["period"]) for rec in row_records
                          if rec["indicator_id"] == RATE and rec["status"] == "")
    for reason, count in sorted(dropped.items()):
        log.append(f"Fly-tipping: dropped {count} rows ({reason})")
    frame = pd.DataFrame.from_records(records) if records else empty_values()
    # Defra published no rate before 2019-20: those years are left out rather than stored as all-missing.
    no_rate = (frame["indicator_id"] == RATE) & ~frame["period"].isin(rate_years)
    if no_rate.any():
        years = ", ".join(sorted(set(frame.loc[no_rate, "period"])))
        log.append(f"Fly-tipping: no rate per 1,000 published for {years} (no population in the file): "
                   "those years carry incident counts only")
    values = finalise_values(frame[~no_rate])
    for meta in INDICATORS:
        part = values[values["indicator_id"] == meta.id]
        if part.empty:
            raise SourceError(path, f"{SHEET}: no council rows for {meta.id}")
        periods = sorted(part["period"].unique())
        latest = part[(part["period"] == periods[-1]) & (part["status"] == "")
                      & (part["area_code"] != ENGLAND)]
        log.append(f"Fly-tipping {meta.id}: {len(part)} rows, {periods[0]} to {periods[-1]}, "
                   f"{latest['area_code'].nunique()} councils with a value in the latest year")
    return SourceResult(indicators=list(INDICATORS), values=values, log=log)
