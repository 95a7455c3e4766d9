"""English Indices of Deprivation 2025, local authority district summaries: average scores only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lm_core.sources.base import IndicatorMeta, SourceError, SourceResult, finalise_values, parse_cell

FOLDER = "mhclg-indices-of-deprivation-lad"
FILE = "indices_of_deprivation_2025_lad.csv"
SOURCE_URL = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025"
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: MHCLG, English Indices of Deprivation 2025 (and 2019); tidy extract by Trafford Data Lab."
)
PUBLISHER = "Ministry of Housing, Communities and Local Government"
PERIOD = ("IoD2025", "2025-01-01")
COUNCIL_PREFIXES = ("E06", "E07", "E08", "E09", "E10")

# Source column names, mapped once here. Ranks are deliberately not read: the product never ranks.
CODE = "area_code"
DOMAIN = "index_domain"
SCORE = "average_score"
BOTTOM_DECILE = "proportion_bottom_decile"
REQUIRED = (CODE, DOMAIN, SCORE, BOTTOM_DECILE)

_COMMON_CAVEATS = (
    "District figures are population-weighted means of neighbourhood (LSOA) scores; most underlying data "
    "are from 2021-22. Taken from the original File 10 released 30 Oct 2025; MHCLG reissued the LAD "
    "summaries as v2 on 17 Nov 2025 (lookup correction), so a few districts may differ slightly. "
    "Published for lower-tier and unitary councils only (2024 codes); no county rows."
)


@dataclass(frozen=True)
class _Measure:
    """One published domain column turned into one indicator."""

    domain: str  # index_domain value in the file
    column: str  # SCORE or BOTTOM_DECILE
    scale: float  # 100 turns a published proportion into a percentage
    meta: IndicatorMeta


def _meta(
    indicator_id: str, title: str, description: str, unit: str, decimals: int, caveat: str
) -> IndicatorMeta:
    return IndicatorMeta(
        id=indicator_id, title=title, description=description, service_area="Context", unit=unit,
        polarity="none", role="context", tier="lower", publisher=PUBLISHER, source_url=SOURCE_URL,
        licence="OGL v3.0", attribution=ATTRIBUTION, caveats=f"{_COMMON_CAVEATS} {caveat}".strip(),
        source_folder=FOLDER, rollup="weighted", decimals=decimals,
    )


_SCORE_NOTE = "A relative score: higher means more deprived; it has no natural unit."
MEASURES: tuple[_Measure, ...] = (
    _Measure("Index of Multiple Deprivation", SCORE, 1.0, _meta(
        "imd_average_score", "Deprivation: Index of Multiple Deprivation score",
        "Overall deprivation of residents across income, jobs, health, education, crime, housing and "
        "environment; higher means more deprived.", "score", 1, _SCORE_NOTE)),
    _Measure("Index of Multiple Deprivation", BOTTOM_DECILE, 100.0, _meta(
        "imd_share_neighbourhoods_most_deprived_decile",
        "Neighbourhoods among the 10% most deprived in England",
        "Share of the area's neighbourhoods (LSOAs) in England's most deprived tenth on the overall index.",
        "% of neighbourhoods", 1,
        "A share of neighbourhoods, not of people; county figures weight districts by population.")),
    _Measure("Income Deprivation", SCORE, 100.0, _meta(
        "income_deprivation_rate", "Residents in income deprivation",
        "Share of residents on low incomes, measured through means-tested benefits and tax credits.",
        "%", 1, "The income domain score is a proportion of residents; shown here as a percentage.")),
    _Measure("Employment Deprivation", SCORE, 100.0, _meta(
        "employment_deprivation_rate", "Working-age residents in employment deprivation",
        "Share of working-age residents involuntarily out of work through unemployment, sickness or "
        "disability.", "%", 1,
        "The employment domain score is a proportion of working-age residents; shown as a percentage.")),
    _Measure("Income Deprivation Affecting Children", SCORE, 100.0, _meta(
        "child_income_deprivation_rate", "Children in income-deprived families (IDACI)",
        "Share of children aged 0 to 15 living in income-deprived families.", "%", 1,
        "IDACI score, a proportion of children aged 0-15; shown as a percentage.")),
    _Measure("Income Deprivation Affecting Older People", SCORE, 100.0, _meta(
        "older_people_income_deprivation_rate", "Older people in income deprivation (IDAOPI)",
        "Share of older residents who are income-deprived.", "%", 1,
        "IDAOPI score, a proportion of older people, shown as a percentage; in IoD2019 'older' meant aged "
        "60 and over (not checked against the IoD2025 technical report).")),
    _Measure("Education, Skills and Training Deprivation", SCORE, 1.0, _meta(
        "education_skills_deprivation_score", "Deprivation: education, skills and training score",
        "Lack of attainment and skills among children, young people and adults; higher means more deprived.",
        "score", 1, _SCORE_NOTE)),
    _Measure("Health Deprivation and Disability", SCORE, 1.0, _meta(
        "health_deprivation_score", "Deprivation: health and disability score",
        "Risk of premature death and poor physical or mental health; higher means more deprived.",
        "score", 2, _SCORE_NOTE + " Centred near zero, so negative values are normal.")),
    _Measure("Crime", SCORE, 1.0, _meta(
        "crime_deprivation_score", "Deprivation: crime score",
        "Risk of personal and material victimisation where people live; higher means more deprived.",
        "score", 2, _SCORE_NOTE + " Centred near zero, so negative values are normal.")),
    _Measure("Barriers to Housing and Services", SCORE, 1.0, _meta(
        "housing_services_barriers_score", "Deprivation: barriers to housing and services score",
        "Distance to local services and housing affordability and overcrowding; higher means more deprived.",
        "score", 1, _SCORE_NOTE)),
    _Measure("Living Environment Deprivation", SCORE, 1.0, _meta(
        "living_environment_deprivation_score", "Deprivation: living environment score",
        "Quality of housing, air quality and road traffic accidents; higher means more deprived.",
        "score", 1, _SCORE_NOTE)),
)


def _load(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise SourceError(path, "file not found")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(path, f"not a readable CSV ({exc})") from exc
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise SourceError(path, f"column(s) missing: {', '.join(missing)}")
    raw[CODE] = raw[CODE].str.strip()
    raw[DOMAIN] = raw[DOMAIN].str.strip()
    return raw


def measure_rows(path: Path, frame: pd.DataFrame, measure: _Measure) -> list[dict[str, object]]:
    """One indicator's rows; a blank or shorthand cell stays not available, never zero."""
    nan = float("nan")
    rows: list[dict[str, object]] = []
    for code, raw in zip(frame[CODE], frame[measure.column], strict=True):
        try:
            value, status = parse_cell(raw)
        except ValueError as exc:
            raise SourceError(path, f"{code}, {measure.domain}, '{measure.column}': {exc}") from exc
        rows.append({"area_code": code, "indicator_id": measure.meta.id, "period": PERIOD[0],
                     "period_start": PERIOD[1],
                     # round away float noise from the x100 (0.357 -> 35.7, not 35.699999...)
                     "value": round(value * measure.scale, 9) if status == "" else nan,
                     "lower": nan, "upper": nan, "numerator": nan, "denominator": nan,
                     "status": status, "note": ""})
    return rows


def read(root: Path) -> SourceResult:
    """IoD2025 average scores (and the IMD most-deprived-decile share) for the 296 districts and unitaries."""
    path = root / FOLDER / FILE
    raw = _load(path)
    log: list[str] = []
    english = raw[raw[CODE].str.startswith(COUNCIL_PREFIXES)]
    if len(english) < len(raw):
        log.append(f"{FILE}: left out {len(raw) - len(english)} rows whose code is not an English council")
    rows: list[dict[str, object]] = []
    for measure in MEASURES:
        frame = english[english[DOMAIN] == measure.domain]
        if frame.empty:
            raise SourceError(path, f"no rows for index_domain '{measure.domain}'")
        if frame[CODE].duplicated().any():
            twice = frame.loc[frame[CODE].duplicated(), CODE].iloc[0]
            raise SourceError(path, f"'{measure.domain}' lists {twice} twice")
        rows.extend(measure_rows(path, frame, measure))
    values = finalise_values(pd.DataFrame(rows))
    councils = english[CODE].drop_duplicates()
    counts = councils.str[:3].value_counts().sort_index()
    log.insert(0, f"{FILE}: read {len(MEASURES)} measures for {len(councils)} councils ("
               + ", ".join(f"{n} {p}" for p, n in counts.items()) + ", 2024 codes)")
    log.append(f"{FILE}: ranks (average rank, rank of average score, rank of decile share) not read: "
               "the product never ranks councils; decile shares kept for the overall IMD only")
    log.append(f"{FOLDER}/IoD2019.csv not read: superseded by IoD2025 and on 2019 district codes")
    return SourceResult(indicators=[m.meta for m in MEASURES], values=values, log=log)
