"""Oflog's adult social care metrics (Local Authority Data Explorer extract), 2015-16 to 2022-23."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lm_core.sources.base import (
    IndicatorMeta,
    Polarity,
    SourceError,
    SourceResult,
    finalise_values,
    financial_year,
    parse_cell,
)

FOLDER = "oflog-adult-social-care"
FILE = "ASC_data.csv"
PUBLISHER = "Office for Local Government (MHCLG)"
SOURCE_URL = "https://github.com/communitiesuk/oflog-automated-text"
LICENCE = "OGL v3.0"
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Office for Local Government (MHCLG), Local Authority Data Explorer; NHS England ASCOF."
)
SERVICE_AREA = "Adult social care"
COUNCIL_PREFIXES = ("E06", "E07", "E08", "E09", "E10")

# The source's own column names, mapped once here.
COLUMNS = {
    "Financial year": "year",
    "Local authority code": "area_code",
    "Local authority name": "area_name",
    "Code": "measure_code",
    "Measure": "measure",
    "Value": "raw_value",
    "rank_order": "rank_order",
}

COMMON_CAVEATS = (
    "Pre-April-2023 councils: Cumbria, North Yorkshire and Somerset appear as counties; "
    "no figures after 2022-23. "
    "Isles of Scilly and City of London rest on very few people and have many gaps."
)


@dataclass(frozen=True)
class _Measure:
    """How one Oflog measure code becomes an indicator."""

    indicator_id: str
    title: str
    description: str
    unit: str
    polarity: Polarity
    decimals: int
    caveats: str


# Polarity follows Oflog's own rank_order column: "desc" means higher is better; Oflog gave no direction
# ("None") for requests resulting in a service and workforce turnover, so neither do we.
MEASURES: dict[str, _Measure] = {
    "ASC1": _Measure(
        "asc_carer_quality_of_life",
        "Carer-reported quality of life",
        "How unpaid carers rate their own quality of life, from the national Survey of Adult Carers.",
        "score out of 12",
        "higher_better",
        1,
        "ASCOF 1D. The carers survey runs every two years, so only 2016-17, 2018-19 and 2021-22 exist.",
    ),
    "ASC2": _Measure(
        "asc_user_quality_of_life_impact",
        "Impact of care services on users' quality of life",
        "How much adult social care services add to the quality of life of the people who use them.",
        "score",
        "higher_better",
        3,
        "ASCOF 1J (adjusted social care-related quality of life, impact of services); typical values are "
        "about 0.4. Five 2019-20 values published as 0 are read as not available. No 2015-16 or 2020-21 "
        "figures.",
    ),
    "ASC3": _Measure(
        "asc_users_easy_to_find_information",
        "People who use services finding it easy to find information",
        "Share of people using adult social care who say it is easy to find information about services.",
        "%",
        "higher_better",
        1,
        "ASCOF 3D(1), from the Adult Social Care Survey; no 2020-21 survey.",
    ),
    "ASC4": _Measure(
        "asc_carers_easy_to_find_information",
        "Carers finding it easy to find information",
        "Share of unpaid carers who say it is easy to find information about support.",
        "%",
        "higher_better",
        1,
        "ASCOF 3D(2), from the biennial carers survey: 2016-17, 2018-19 and 2021-22 only.",
    ),
    "ASC5": _Measure(
        "asc_short_term_support_no_further_need",
        "Short-term support leaving no need for ongoing support",
        "Share of people who finished short-term support (such as reablement) and needed no ongoing "
        "support, or only a lower level of it.",
        "%",
        "higher_better",
        1,
        "ASCOF 2D (outcome of short-term services: sequel to service). Small councils swing widely "
        "(Isles of Scilly ranges from 0% to 100%).",
    ),
    "ASC6": _Measure(
        "asc_requests_resulting_in_service",
        "New requests for support that led to a service",
        "How many new requests for adult social care support led to a service, as a rate of the population.",
        "per 100,000 adults",
        "none",
        0,
        "From the SALT return as Oflog published it; the extract labels it only as a rate, read here as "
        "per 100,000 adults. 2015-16 values are about half those of later years (probably a definition "
        "change), and Calderdale 2016-17 (18,232) is an extreme outlier.",
    ),
    "ASC7": _Measure(
        "asc_workforce_turnover_rate",
        "Adult social care workforce turnover",
        "Share of adult social care staff in the area who left their job during the year.",
        "%",
        "none",
        1,
        "Skills for Care workforce estimates as Oflog published them; about a quarter of council-years "
        "before 2022-23 are blank.",
    ),
}

# A quality-of-life impact score of exactly 0 cannot be a real result (every other value lies between about
# 0.3 and 0.5), and four of the five 2019-20 zeros sit beside a blank survey-based ASC3 that year: Oflog's 0
# stands in for a missing survey result.
_ZERO_MEANS_MISSING = {"ASC2"}
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


def parse_financial_year(label: str) -> tuple[str, str]:
    """(label, start date) for Oflog's "2015-16" style year; ValueError for anything else."""
    match = _YEAR.match(label.strip())
    if not match:
        raise ValueError(f"not a financial year label: {label!r}")
    start = int(match.group(1))
    if (start + 1) % 100 != int(match.group(2)):
        raise ValueError(f"financial year does not span consecutive years: {label!r}")
    return financial_year(start)


def _indicator(meta: _Measure) -> IndicatorMeta:
    return IndicatorMeta(
        id=meta.indicator_id,
        title=meta.title,
        description=meta.description,
        service_area=SERVICE_AREA,
        unit=meta.unit,
        polarity=meta.polarity,
        role="outcome",
        tier="upper",
        publisher=PUBLISHER,
        source_url=SOURCE_URL,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        caveats=f"{meta.caveats} {COMMON_CAVEATS}",
        source_folder=FOLDER,
        rollup="weighted",
        decimals=meta.decimals,
    )


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise SourceError(path, "file not found")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(path, f"not a readable CSV ({exc})") from exc
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise SourceError(path, f"columns missing: {', '.join(missing)}")
    return raw.loc[:, list(COLUMNS)].rename(columns=COLUMNS)


def read(root: Path) -> SourceResult:
    """All seven Oflog adult social care measures for upper-tier councils, every year published."""
    path = root / FOLDER / FILE
    frame = _read_csv(path)
    log = [f"read {path.name}: {len(frame):,} rows, {frame['measure_code'].nunique()} measures"]

    unknown = sorted(set(frame["measure_code"]) - set(MEASURES))
    if unknown:
        raise SourceError(path, f"unexpected measure codes {unknown}; the reader knows {sorted(MEASURES)}")
    absent = sorted(set(MEASURES) - set(frame["measure_code"]))
    if absent:
        raise SourceError(path, f"measure codes missing: {absent}")

    frame["area_code"] = frame["area_code"].str.strip()
    is_council = frame["area_code"].str.startswith(COUNCIL_PREFIXES)
    if (~is_council).any():
        dropped = sorted(set(frame.loc[~is_council, "area_code"]))
        log.append(f"dropped {int((~is_council).sum())} rows whose codes are not English councils: {dropped}")
    frame = frame[is_council]

    rows: list[dict[str, object]] = []
    zero_missing = 0
    for rec in frame.itertuples(index=False):
        measure = MEASURES[str(rec.measure_code)]
        try:
            period, start = parse_financial_year(str(rec.year))
            value, status = parse_cell(str(rec.raw_value))
        except ValueError as exc:
            raise SourceError(path, f"row for {rec.area_code} {rec.measure_code}: {exc}") from exc
        note = ""
        if rec.measure_code in _ZERO_MEANS_MISSING and status == "" and value == 0:
            value, status = float("nan"), "x"
            note = "published as 0, which this score cannot be; read as not available"
            zero_missing += 1
        rows.append(
            {
                "area_code": rec.area_code,
                "indicator_id": measure.indicator_id,
                "period": period,
                "period_start": start,
                "value": value,
                "lower": float("nan"),
                "upper": float("nan"),
                "numerator": float("nan"),
                "denominator": float("nan"),
                "status": status,
                "note": note,
            }
        )
    values = finalise_values(pd.DataFrame(rows))

    blanks = int((values["status"] == "x").sum()) - zero_missing
    log.append(f"{blanks} blank cells kept as not available (status x), never as 0")
    if zero_missing:
        log.append(f"{zero_missing} ASC2 scores published as 0 (2019-20) read as not available")
    log.append("left out Oflog's MEDIAN and MADs_from_median columns: derived in the repo, not published")
    log.append(
        "codes kept as published on pre-2023 geography (Cumbria E10000006, North Yorkshire E10000023, "
        "Somerset E10000027; Dorset/Bournemouth/Poole and Northamptonshire before their mergers/splits)"
    )
    for meta in MEASURES.values():
        sub = values[(values["indicator_id"] == meta.indicator_id) & (values["status"] == "")]
        latest = sub["period"].max()
        log.append(
            f"{meta.indicator_id}: {sub['period'].nunique()} years, "
            f"{int((sub['period'] == latest).sum())} councils with a value in {latest}"
        )
    return SourceResult(indicators=[_indicator(m) for m in MEASURES.values()], values=values, log=log)
