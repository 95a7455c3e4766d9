"""ONS Explore Local Statistics: 26 tidy files of place indicators, from health and schools to climate."""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from lm_core.sources.base import (
    IndicatorMeta,
    Polarity,
    Role,
    Rollup,
    SourceError,
    SourceResult,
    Tier,
    academic_year,
    calendar_year,
    empty_values,
    finalise_values,
    financial_year,
    parse_cell,
)

FOLDER = "ons-explore-local-statistics"
ATTRIBUTION = (
    "Source: Office for National Statistics, Explore Local Statistics (and the producing department named "
    "in each metadata file), licensed under the Open Government Licence v3.0."
)
LICENCE = "OGL v3.0"
ELS_URL = "https://www.ons.gov.uk/explore-local-statistics/"
ELS_NAME = "ONS Explore Local Statistics"
ENGLAND_CODE = "E92000001"
COUNCIL_PREFIXES = ("E06", "E07", "E08", "E09", "E10")

# The source's own column names, mapped once. Selected by name because
# personal-wellbeing-estimates.csv puts `measure` before `observation`.
SOURCE_COLUMNS: dict[str, str] = {
    "areacd": "area_code",
    "indicator": "source_indicator",
    "period": "source_period",
    "observation": "observation",
    "lci_95": "lower",
    "uci_95": "upper",
    "status": "source_status",
    "notes": "source_note",
}

# ELS publishes some series only for a pair of councils together (Fingertips does this to
# avoid disclosure) under an E67 code. The value goes to the much larger council, which the
# figure is dominated by; the smaller one is marked not available rather than given a copy.
COMBINED: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "E67000001": (("E09000012", "Hackney"), ("E09000001", "City of London")),
    "E67000002": (("E06000052", "Cornwall"), ("E06000053", "Isles of Scilly")),
}

# Barnsley and Sheffield took new codes in 2025 after a minor boundary change; several files
# carry both vintages with identical values. The app keys on 2024 codes, so the 2024 row wins.
CODES_2025_TO_2024: dict[str, str] = {"E08000038": "E08000016", "E08000039": "E08000019"}

_OBSOLETE = re.compile(r"^Obsolete code since (\d{4}) \(replaced by (.+)\)$")
_GSS = re.compile(r"E\d{8}")
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# Paragraphs of the ELS caveats that describe the ELS website or point elsewhere, not the data.
_CAVEAT_SKIP = re.compile(
    r"Options|^Please (see|refer|note that this indicator previously)|^For more information"
    r"|^Further information|^More quality|^Combined Authority data|Northern Ireland|^Examples of"
    r"|^The full list|^Respondents were asked|^Confidence intervals can be displayed",
    re.IGNORECASE,
)
_CAVEAT_LIMIT = 420


@dataclass(frozen=True)
class _Series:
    """One published series: where it lives in the folder and how the app should present it."""

    slug: str  # folder and file stem
    name: str  # the value of the CSV's `indicator` column (and the JSON block key)
    id: str
    title: str
    description: str
    service_area: str
    unit: str
    polarity: Polarity
    role: Role
    tier: Tier
    rollup: Rollup
    caveat: str  # our own short note; the publisher's caveats are appended from the JSON
    decimals: int = 1  # used only when the JSON gives no decimalPlaces
    snapshot_as_year: bool = False  # an annual survey dated by its reference day (ASHE)


def _s(
    slug: str, name: str, id_: str, title: str, description: str, service_area: str, unit: str,
    polarity: Polarity, role: Role, tier: Tier, rollup: Rollup, caveat: str, *, decimals: int = 1,
    snapshot_as_year: bool = False,
) -> _Series:
    """Positional shorthand so the table below stays readable."""
    return _Series(slug, name, id_, title, description, service_area, unit, polarity, role, tier, rollup,
                   caveat, decimals, snapshot_as_year)


_PCT, _P100K = "%", "per 100,000 population"
_EYFS_CAVEAT = (
    "The early years profile changed in September 2021, so earlier years are not comparable. District "
    "figures use the school's postcode and county/unitary figures the submitting authority, so they differ."
)
_APS_CAVEAT = (
    "Annual Population Survey estimate: small samples in small districts give wide confidence intervals; "
    "updates are suspended until the survey is reweighted in 2026."
)
_CULTURE_CAVEAT = (
    "DCMS Participation Survey, May 2023 to March 2024; districts only (no county figures); survey estimates "
    "with confidence intervals of several points."
)
_WELLBEING_CAVEAT = (
    "Annual Population Survey, April to March; small samples give wide confidence intervals. Latest year "
    "2022-23, on pre-2023 geography (Cumbria, North Yorkshire and Somerset districts)."
)

SERIES: tuple[_Series, ...] = (
    # Public health
    _s("adult-obesity-prevalence", "Adult obesity prevalence", "adult_obesity_prevalence",
       "Adult obesity prevalence",
       "Share of adults aged 18 and over estimated to be living with obesity (BMI of 30 or more).",
       "Public health", _PCT, "lower_better", "outcome", "both", "weighted",
       "Sport England Active Lives survey, years running mid-November to mid-November; self-reported height "
       "and weight, adjusted."),
    _s("healthy-life-expectancy", "Female healthy life expectancy", "healthy_life_expectancy_female",
       "Healthy life expectancy at birth (females)",
       "Years a girl born in the area can expect to live in good health, on current rates.",
       "Public health", "years", "higher_better", "outcome", "upper", "weighted",
       "Three years pooled; counties and unitaries only; City of London and Isles of Scilly not published; "
       "interim modelled method."),
    _s("healthy-life-expectancy", "Male healthy life expectancy", "healthy_life_expectancy_male",
       "Healthy life expectancy at birth (males)",
       "Years a boy born in the area can expect to live in good health, on current rates.",
       "Public health", "years", "higher_better", "outcome", "upper", "weighted",
       "Three years pooled; counties and unitaries only; City of London and Isles of Scilly not published; "
       "interim modelled method."),
    _s("preventable-cardiovascular-mortality-england", "Preventable cardiovascular mortality (England)",
       "preventable_cardiovascular_mortality", "Preventable cardiovascular deaths under 75",
       "Age-standardised deaths under 75 from cardiovascular disease considered preventable, per 100,000 "
       "people.",
       "Public health", _P100K, "lower_better", "outcome", "both", "weighted",
       "Three years pooled. Published for Hackney with City of London and for Cornwall with Isles of Scilly: "
       "the figure is held on Hackney and Cornwall, and the smaller council is shown as not available."),
    _s("cancer-diagnosis-at-stage-1-and-2", "Cancer diagnosis at stage 1 and 2",
       "cancer_diagnosed_early_stage",
       "Cancers diagnosed at an early stage",
       "Share of new cancers of known stage that were diagnosed early, at stage 1 or 2.",
       "Public health", _PCT, "higher_better", "outcome", "both", "weighted",
       "Published for Cornwall with Isles of Scilly (held on Cornwall; Isles of Scilly shown as not "
       "available); small councils are often suppressed."),
    _s("cigarette-smokers", "Cigarette smokers", "adult_smoking_prevalence", "Adults who smoke cigarettes",
       "Share of adults aged 18 and over who say they currently smoke cigarettes, averaged over five years.",
       "Public health", _PCT, "lower_better", "outcome", "lower", "weighted",
       "Five-year averages (2019-2023, 2020-2024) on pre-2023 geography; districts and unitaries only; "
       "Isles of Scilly not published."),
    # Children's services
    _s("children-in-relative-poverty", "Children in relative poverty after housing costs",
       "children_relative_poverty_ahc", "Children in relative poverty after housing costs",
       "Share of children under 16 living in households below 60% of median income after housing costs.",
       "Children's services", _PCT, "lower_better", "outcome", "both", "weighted",
       "Modelled from a national survey and benefit records; provisional and revised each year."),
    _s("children-in-relative-poverty", "Children in relative poverty before housing costs",
       "children_relative_poverty_bhc", "Children in relative poverty before housing costs",
       "Share of children under 16 living in households below 60% of median income before housing costs.",
       "Children's services", _PCT, "lower_better", "outcome", "both", "weighted",
       "Modelled from a national survey and benefit records; provisional and revised each year."),
    # Education
    _s("early-years", "Communication and language", "early_years_communication_language",
       "Early years: communication and language at the expected level",
       "Share of 5-year-olds at the expected level in all communication and language goals at the end of "
       "reception.", "Education", _PCT, "higher_better", "outcome", "both", "weighted", _EYFS_CAVEAT),
    _s("early-years", "Literacy", "early_years_literacy", "Early years: literacy at the expected level",
       "Share of 5-year-olds at the expected level in all literacy goals at the end of reception.",
       "Education", _PCT, "higher_better", "outcome", "both", "weighted", _EYFS_CAVEAT),
    _s("early-years", "Mathematics", "early_years_mathematics", "Early years: maths at the expected level",
       "Share of 5-year-olds at the expected level in all maths goals at the end of reception.",
       "Education", _PCT, "higher_better", "outcome", "both", "weighted", _EYFS_CAVEAT),
    _s("pupils-at-expected-standards-by-end-of-primary-school",
       "Pupils meeting the expected standard in reading, writing and maths",
       "ks2_reading_writing_maths_expected",
       "Pupils meeting the expected standard in reading, writing and maths at age 11",
       "Share of pupils at the end of primary school (Key Stage 2) meeting the expected standard in reading, "
       "writing and maths.", "Education", _PCT, "higher_better", "outcome", "both", "weighted",
       "No tests in 2019/20 and 2020/21; state-funded schools; published as whole percentages."),
    _s("gcses-in-english-and-maths", "GCSEs in English and Maths", "gcse_english_maths_by_19",
       "Young people with GCSEs in English and maths by age 19",
       "Share of young people who have GCSEs (or equivalent) in both English and maths by age 19.",
       "Education", _PCT, "higher_better", "outcome", "both", "weighted",
       "By school location at age 15, state-funded sector only. Also published on districts abolished in "
       "2023 alongside their new unitaries."),
    _s("persistent-absences-for-all-pupils", "Persistent absences for all pupils", "persistent_absence_rate",
       "Persistently absent pupils",
       "Share of pupils in state-funded schools who missed 10% or more of their possible sessions.",
       "Education", _PCT, "lower_better", "outcome", "upper", "weighted",
       "Counties and unitaries only; no data for 2019/20; COVID-related sessions treated differently in "
       "2020/21 and 2021/22."),
    # Adult skills
    _s("further-education-and-skills-participation", "Further education and skills participation",
       "fe_skills_participation_rate", "Adults in further education and skills training",
       "Learners aged 19 and over in government-funded further education or skills training (including "
       "apprenticeships), per 100,000 people.", "Adult skills", _P100K, "higher_better", "outcome", "both",
       "weighted", "By the learner's home postcode; academic years August to July.", decimals=0),
    _s("further-education-and-skills-learner-achievements",
       "Further education and skills learner achievements",
       "fe_skills_achievement_rate", "Adults achieving a further education or skills qualification",
       "Learners aged 19 and over completing a government-funded further education or skills aim, per "
       "100,000 people.", "Adult skills", _P100K, "higher_better", "outcome", "both", "weighted",
       "By the learner's home postcode; academic years August to July; community learning and Multiply aims "
       "included from April 2026.", decimals=0),
    _s("apprenticeships", "Apprenticeship starts (England)", "apprenticeship_starts_rate",
       "Apprenticeship starts", "Apprenticeships started by people aged 16 and over, per 100,000 people.",
       "Adult skills", _P100K, "higher_better", "outcome", "both", "weighted",
       "By the learner's home postcode; academic years August to July; a learner starting two counts twice.",
       decimals=0),
    _s("apprenticeships", "Apprenticeship achievements (England)", "apprenticeship_achievements_rate",
       "Apprenticeship achievements",
       "Apprenticeships completed by people aged 16 and over, per 100,000 people.",
       "Adult skills", _P100K, "higher_better", "outcome", "both", "weighted",
       "By the learner's home postcode; academic years August to July; a learner completing two counts "
       "twice.",
       decimals=0),
    # Housing and planning
    _s("net-additions-to-the-housing-stock", "Net additions to the housing stock (England)",
       "net_additional_dwellings_rate", "Net additional homes per 1,000 dwellings",
       "Homes added to the stock in the year, net of demolitions and changes of use, per 1,000 existing "
       "homes.",
       "Housing and planning", "per 1,000 dwellings", "none", "outcome", "both", "weighted",
       "Published rounded to whole homes per 1,000; no polarity stated because how much growth is right "
       "depends on local need and plans.", decimals=0),
    # Climate
    _s("greenhouse-gas-emissions", "Greenhouse gas emissions", "greenhouse_gas_emissions_per_person",
       "Greenhouse gas emissions per resident",
       "Territorial greenhouse gas emissions (carbon dioxide, methane, nitrous oxide) in the area, in "
       "tonnes of CO2 equivalent per resident.", "Climate", "tonnes CO2e per person", "lower_better",
       "outcome", "both", "weighted",
       "Includes emissions largely outside council control (industry, motorways, agriculture); energy "
       "emissions counted where the energy is used."),
    _s("public-electric-vehicle-chargers", "Public electric vehicle chargers", "public_ev_chargers_rate",
       "Public electric vehicle chargers per 100,000 people",
       "Publicly available electric vehicle chargers of all speeds per 100,000 residents.",
       "Climate", _P100K, "higher_better", "outcome", "both", "weighted",
       "Quarterly snapshots (first day of the quarter); counts chargers, not devices, from May 2026."),
    # Economy (digital infrastructure)
    _s("gigabit-capable-broadband", "Gigabit capable broadband", "gigabit_broadband_coverage",
       "Premises with gigabit-capable broadband",
       "Share of premises that can get a gigabit-capable broadband service (1,000 Mbps or more).",
       "Economy", _PCT, "higher_better", "outcome", "both", "weighted",
       "Ofcom snapshot, January 2026; one period only."),
    # Culture
    _s("library-walk", "Residents within a 30 minute walk of their nearest library",
       "library_within_30_min_walk",
       "Residents within a 30-minute walk of a library",
       "Share of residents living within a 30-minute walk of their nearest static public library.",
       "Culture", _PCT, "higher_better", "outcome", "both", "weighted",
       "Libraries as at May 2024; excludes mobile libraries and those open under 2 hours a week; one period.",
       decimals=0),
    _s("engagement-with-culture-and-heritage", "Engaged with the arts", "culture_engaged_with_arts",
       "Adults who engaged with the arts in person",
       "Share of adults who attended or took part in an arts event or activity in person in the last year.",
       "Culture", _PCT, "higher_better", "outcome", "lower", "weighted", _CULTURE_CAVEAT, decimals=0),
    _s("engagement-with-culture-and-heritage", "Visited a heritage site", "culture_visited_heritage_site",
       "Adults who visited a heritage site",
       "Share of adults who visited a heritage site in person in the last year.",
       "Culture", _PCT, "higher_better", "outcome", "lower", "weighted", _CULTURE_CAVEAT, decimals=0),
    _s("engagement-with-culture-and-heritage", "Visited a museum or gallery",
       "culture_visited_museum_gallery",
       "Adults who visited a museum or gallery",
       "Share of adults who visited a museum or gallery in person in the last year.",
       "Culture", _PCT, "higher_better", "outcome", "lower", "weighted", _CULTURE_CAVEAT, decimals=0),
    _s("engagement-with-culture-and-heritage", "Visited a public library", "culture_visited_public_library",
       "Adults who visited a public library",
       "Share of adults who used a public library (building, mobile or outreach) in person in the last year.",
       "Culture", _PCT, "higher_better", "outcome", "lower", "weighted", _CULTURE_CAVEAT, decimals=0),
    # Wellbeing
    _s("personal-wellbeing-estimates", "Satisfaction", "wellbeing_life_satisfaction", "Life satisfaction",
       "Average rating of life satisfaction among adults, from 0 (not at all) to 10 (completely).",
       "Wellbeing and pride in place", "score out of 10", "higher_better", "outcome", "both", "weighted",
       _WELLBEING_CAVEAT),
    _s("personal-wellbeing-estimates", "Happiness", "wellbeing_happiness", "Happiness",
       "Average rating of how happy adults felt yesterday, from 0 (not at all) to 10 (completely).",
       "Wellbeing and pride in place", "score out of 10", "higher_better", "outcome", "both", "weighted",
       _WELLBEING_CAVEAT),
    _s("personal-wellbeing-estimates", "Worthwhile", "wellbeing_worthwhile",
       "Feeling the things you do are worthwhile",
       "Average rating of how worthwhile adults feel the things they do are, from 0 (not at all) to 10.",
       "Wellbeing and pride in place", "score out of 10", "higher_better", "outcome", "both", "weighted",
       _WELLBEING_CAVEAT),
    _s("personal-wellbeing-estimates", "Anxiety", "wellbeing_anxiety", "Anxiety",
       "Average rating of how anxious adults felt yesterday, from 0 (not at all) to 10 (completely).",
       "Wellbeing and pride in place", "score out of 10", "lower_better", "outcome", "both", "weighted",
       _WELLBEING_CAVEAT),
    # Context: used to find similar councils, never judged.
    _s("gross-median-weekly-pay", "Gross median weekly pay", "median_weekly_pay_residents",
       "Median weekly pay of residents",
       "Median gross weekly pay of employees (full- and part-time) who live in the area.",
       "Context", "£ per week", "none", "context", "both", "none",
       "ASHE sample survey, April each year (labelled by year); the latest year is provisional; a median, so "
       "it cannot be combined across areas.", decimals=0, snapshot_as_year=True),
    _s("gross-disposable-household-income-per-head", "Gross disposable household income", "gdhi_per_head",
       "Gross disposable household income per head",
       "Household income per person after taxes and benefits, available for spending or saving.",
       "Context", "£ per head", "none", "context", "both", "weighted",
       "Current prices, not adjusted for inflation; latest year provisional. A mean (total income divided by "
       "population), so population weighting combines areas exactly.", decimals=0),
    _s("employment-rate", "Employment rate", "employment_rate", "Employment rate (ages 16 to 64)",
       "Share of people aged 16 to 64 who are in work.",
       "Context", _PCT, "none", "context", "both", "weighted", _APS_CAVEAT),
    _s("employment-rate", "Economically inactive", "economic_inactivity_rate",
       "Economic inactivity rate (ages 16 to 64)",
       "Share of people aged 16 to 64 who are neither in work nor looking for work (students, carers, "
       "long-term sick, retired).", "Context", _PCT, "none", "context", "both", "weighted", _APS_CAVEAT),
    _s("qualifications-level-3-or-above", "Level 3 or above qualifications (Great Britain)",
       "qualifications_level3_or_above", "Working-age people qualified to level 3 or above",
       "Share of people aged 16 to 64 with a qualification at A level or equivalent (level 3) or higher.",
       "Context", _PCT, "none", "context", "both", "weighted", _APS_CAVEAT),
    _s("qualifications-none-gb", "No qualifications", "qualifications_none",
       "Working-age people with no qualifications", "Share of people aged 16 to 64 with no qualifications.",
       "Context", _PCT, "none", "context", "both", "weighted",
       _APS_CAVEAT + " Many small districts are unreliable or suppressed."),
    _s("housing-affordability-ratio", "Housing affordability ratio (residence-based)",
       "housing_affordability_ratio",
       "Housing affordability ratio",
       "Median house price divided by the median annual earnings of full-time employees who live in the "
       "area.",
       "Context", "ratio", "none", "context", "both", "none",
       "The source file labels the unit '%' but the values are ratios (5 means five years' earnings); a "
       "ratio of medians, so it cannot be combined across areas.", snapshot_as_year=True),
)


# --------------------------------------------------------------------------------------------
# Periods


def _add_months(start: date, months: int) -> date:
    """Shift by whole months, clamping the day to the month's length (31 Jan + 1 month = 28/29 Feb)."""
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day)


def period_label(text: str, snapshot_as_year: bool = False) -> tuple[str, str]:
    """(label, ISO start date) for an ELS period: an ISO start date, optionally "/" and a duration.

    Labels lead with the year so they sort like their start dates: "2024-04-01/P1Y" -> "2024-25",
    "2024-09-01/P1Y" (and August starts, as DfE further-education years) -> "2024/25",
    "2022-01-01/P3Y" -> "2022-2024", "2023-01-01/P1Y" -> "2023", "2024-05-15" -> "2024-05-15",
    "2015-11-16/P1Y" -> "2015-11 to 2016-11". Raises ValueError for anything else.
    """
    start_text, _, duration = text.strip().partition("/")
    start = date.fromisoformat(start_text)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", start_text):
        raise ValueError(f"start is not YYYY-MM-DD: {text!r}")
    if not duration:
        if snapshot_as_year:
            return str(start.year), start.isoformat()
        return start.isoformat(), start.isoformat()
    match = _DURATION.fullmatch(duration)
    if not match or not any(match.groups()):
        raise ValueError(f"duration not understood: {text!r}")
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    months += 12 * years
    days += 7 * weeks
    if months == 0 and days == 0:
        raise ValueError(f"zero-length period: {text!r}")
    end = _add_months(start, months) + timedelta(days=days) - timedelta(days=1)  # last day covered
    y = start.year
    if days == 0 and start.day == 1:
        if months % 12 == 0:
            n = months // 12
            if start.month == 1:
                return calendar_year(y) if n == 1 else (f"{y}-{y + n - 1}", start.isoformat())
            if start.month == 4:
                if n == 1:
                    return financial_year(y)
                return f"{financial_year(y)[0]} to {financial_year(y + n - 1)[0]}", start.isoformat()
            if start.month in (8, 9):
                if n == 1:
                    return academic_year(y)
                return f"{academic_year(y)[0]} to {academic_year(y + n - 1)[0]}", academic_year(y)[1]
        if months == 1:
            return f"{start:%Y-%m}", start.isoformat()
    if days == 0:
        return f"{start:%Y-%m} to {end:%Y-%m}", start.isoformat()
    if months == 0 and days == 1:
        return start.isoformat(), start.isoformat()
    return f"{start.isoformat()} to {end.isoformat()}", start.isoformat()


# --------------------------------------------------------------------------------------------
# Metadata


def _read_metadata(path: Path, log: list[str]) -> dict[str | None, dict[str, object]]:
    """JSON blocks keyed by indicator name (None for single-indicator files), shared fields merged in."""
    if not path.exists():
        log.append(f"{path.name}: metadata file missing; publisher and URL taken from SOURCE.md defaults")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        meta = data["ess-beta-metadata"]
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, KeyError) as exc:
        raise SourceError(path, f"not the expected ELS metadata JSON ({exc!r})") from exc
    if not isinstance(meta, dict):
        raise SourceError(path, "'ess-beta-metadata' is not an object")
    if "shared" in meta:
        shared = meta["shared"] if isinstance(meta["shared"], dict) else {}
        return {k: {**shared, **v} for k, v in meta.items() if k != "shared" and isinstance(v, dict)} | {
            None: dict(shared)
        }
    return {None: meta}


def _first(value: object) -> str:
    """First part of a pipe-separated ELS field (the GB producer comes before NISRA)."""
    return str(value).split("|")[0].strip() if value else ""


def _clean_caveats(text: object) -> str:
    """The publisher's caveats shortened: links to plain text, website-only paragraphs dropped."""
    if not text:
        return ""
    plain = " ".join(_MD_LINK.sub(r"\1", str(text)).split())
    out = ""
    for sentence in re.split(r"(?<=[.!?])\s+", plain):
        if _CAVEAT_SKIP.search(sentence):
            continue
        if len(out) + len(sentence) + 1 > _CAVEAT_LIMIT:
            break
        out = f"{out} {sentence}".strip()
    return out


def _indicator_meta(series: _Series, block: Mapping[str, object]) -> IndicatorMeta:
    """Catalogue record: our presentation choices plus the producer, URL and caveats from the JSON."""
    org = _first(block.get("sourceOrg"))
    url = _first(block.get("sourceURL")) or ELS_URL
    decimals = block.get("decimalPlaces")
    publisher_notes = _clean_caveats(block.get("caveats"))
    # The product never speaks of ranks, even when quoting a publisher's note about them.
    publisher_notes = publisher_notes.replace("similarly ranked geographies", "areas with similar figures")
    caveats = series.caveat + (f" Publisher's notes: {publisher_notes}" if publisher_notes else "")
    return IndicatorMeta(
        id=series.id,
        title=series.title,
        description=series.description,
        service_area=series.service_area,
        unit=series.unit,
        polarity=series.polarity,
        role=series.role,
        tier=series.tier,
        publisher=f"{org} via {ELS_NAME}" if org else f"Office for National Statistics ({ELS_NAME})",
        source_url=url,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        caveats=caveats,
        source_folder=FOLDER,
        rollup=series.rollup,
        decimals=series.decimals if isinstance(decimals, bool) or not isinstance(decimals, int) else decimals,
    )


# --------------------------------------------------------------------------------------------
# Values


def _read_csv(path: Path) -> pd.DataFrame:
    """The tidy CSV as text, with the source's columns renamed; blanks stay empty strings."""
    if not path.exists():
        raise SourceError(path, "file not found")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(path, f"not a readable CSV ({exc})") from exc
    missing = [c for c in SOURCE_COLUMNS if c not in raw.columns]
    if missing:
        raise SourceError(path, f"columns missing: {', '.join(missing)}")
    out = raw.loc[:, list(SOURCE_COLUMNS)].rename(columns=SOURCE_COLUMNS)
    for col in out.columns:
        out[col] = out[col].astype(str).str.strip()
    return out


def _numbers(path: Path, column: str, text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(values, shorthand status) of a text column; blanks are NaN with status "x"."""
    # A writable copy: under copy-on-write the array pandas hands back is read-only.
    values = np.array(pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan))
    status = np.where(text.to_numpy() == "", "x", "").astype(object)
    odd = np.flatnonzero(np.isnan(values) & (text.to_numpy() != ""))
    for i in odd:
        try:
            parsed = parse_cell(text.iloc[i])
        except ValueError as exc:
            raise SourceError(path, f"{column} {text.iloc[i]!r} is not a number or known shorthand") from exc
        values[i], status[i] = parsed
    return values, status


def _statuses(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """Value, limits, status and note for every row, following the file's status column and notes."""
    value, blank_status = _numbers(path, "observation", frame["observation"])
    lower, _ = _numbers(path, "lci_95", frame["lower"])
    upper, _ = _numbers(path, "uci_95", frame["upper"])
    src = frame["source_status"]
    note = frame["source_note"]
    # The CVD file writes "Value for Hackney and City of London combined" in the status column.
    combined_text = src.str.startswith("Value for") & src.str.contains("combined")
    unknown = sorted(set(src[~combined_text]) - {"", "x", "c", "z", "u"})
    if unknown:
        raise SourceError(path, f"unknown status codes {unknown}")
    note = note.where(~combined_text, (note + "; " + src).str.strip("; "))
    src = src.where(~combined_text, "")
    suppressed = note.str.contains("suppress", case=False).to_numpy()
    unreliable = note.str.contains("unreliable", case=False).to_numpy()
    has_value = ~np.isnan(value)
    s = src.to_numpy()
    status = np.select(
        [
            np.isin(s, ["x", "c", "z"]),
            (s == "u") & has_value,
            (s == "u") & suppressed,  # "u" with no number: a small base, withheld
            ~has_value & suppressed,
            ~has_value,
            unreliable,  # flagged in the notes only: "unreliable since the group sample size is small"
        ],
        [s, "u", "c", "c", blank_status, "u"],
        default="",
    )
    status = np.where(status == "", np.where(has_value, "", "x"), status)
    missing = np.isin(status, ["x", "c", "z"])
    value = np.where(missing, np.nan, value)
    out = frame.assign(
        value=value,
        lower=np.where(missing, np.nan, lower),
        upper=np.where(missing, np.nan, upper),
        status=status.astype(str),
        note=note,
    )
    return out


def _by_file() -> Iterator[tuple[str, list[_Series]]]:
    """Series grouped by the file they come from, in table order."""
    slugs: dict[str, list[_Series]] = {}
    for series in SERIES:
        slugs.setdefault(series.slug, []).append(series)
    yield from slugs.items()


def _combined_rows(frame: pd.DataFrame, log: list[str], slug: str) -> pd.DataFrame:
    """Rows published for two councils together, re-keyed onto the host council plus a not-available row."""
    parts: list[pd.DataFrame] = []
    for code, ((host, host_name), (other, other_name)) in COMBINED.items():
        rows = frame[frame["area_code"] == code]
        if rows.empty:
            continue
        host_rows = rows.assign(area_code=host)
        host_rows["note"] = host_rows["note"].where(
            host_rows["note"] != "", f"Value for {host_name} and {other_name} combined"
        )
        other_rows = rows.assign(
            area_code=other, value=np.nan, lower=np.nan, upper=np.nan, status="x",
            note=f"published combined with {host_name}",
        )
        parts += [host_rows, other_rows]
        log.append(
            f"{slug}: {len(rows)} rows published for {host_name} and {other_name} together ({code}) "
            f"held on {host} ({host_name}); {other} ({other_name}) marked not available"
        )
    return pd.concat(parts) if parts else frame.iloc[0:0]


def _drop_2025_duplicates(frame: pd.DataFrame, log: list[str], slug: str) -> pd.DataFrame:
    """Drop 2025-coded Barnsley/Sheffield rows wherever the 2024-coded row is published too."""
    keyed = frame.set_index(["indicator_id", "period", "area_code"])
    drop = np.zeros(len(frame), dtype=bool)
    differ = 0
    for new, old in CODES_2025_TO_2024.items():
        is_new = (frame["area_code"] == new).to_numpy()
        if not is_new.any():
            continue
        twins = pd.MultiIndex.from_arrays(
            [frame["indicator_id"][is_new], frame["period"][is_new], np.full(is_new.sum(), old)]
        )
        present = twins.isin(keyed.index)
        idx = np.flatnonzero(is_new)[present]
        drop[idx] = True
        if present.any():
            old_values = keyed.loc[twins[present], "value"].to_numpy()
            new_values = frame["value"].to_numpy()[idx]
            differ += int((~np.isclose(old_values, new_values, equal_nan=True)).sum())
    if drop.any():
        kept_new = frame[~drop & frame["area_code"].isin(list(CODES_2025_TO_2024)).to_numpy()]
        line = (
            f"{slug}: dropped {int(drop.sum())} rows on 2025 codes E08000038/E08000039 (Barnsley/Sheffield) "
            f"duplicating the 2024-coded rows"
        )
        if differ:
            line += f"; {differ} of them differed in value, the 2024-coded figure was kept"
        if len(kept_new):
            line += f"; kept {len(kept_new)} rows published only on the 2025 codes"
        log.append(line)
    elif frame["area_code"].isin(list(CODES_2025_TO_2024)).any():
        log.append(f"{slug}: Barnsley/Sheffield published only on 2025 codes E08000038/E08000039 (kept)")
    return frame[~drop]


def _log_retired_codes(frame: pd.DataFrame, log: list[str], slug: str) -> None:
    """Say how many rows sit on codes retired before 2025 and whether their successors are published too."""
    parsed = frame["note"].str.extract(_OBSOLETE)
    retired = parsed[0].notna() & (pd.to_numeric(parsed[0], errors="coerce") < 2025)
    if not retired.any():
        return
    rows = frame[retired]
    # .tolist() first: iterating Arrow-backed string columns element by element is slow.
    keys = set(zip(*(frame[c].tolist() for c in ("indicator_id", "period", "area_code")), strict=True))
    with_successor = sum(
        all((i, p, c) in keys for c in _GSS.findall(text))
        for i, p, text in zip(
            rows["indicator_id"].tolist(), rows["period"].tolist(), parsed.loc[retired, 1].tolist(),
            strict=True,
        )
    )
    sample = ", ".join(sorted(rows["area_code"].unique())[:4])
    log.append(
        f"{slug}: kept {len(rows)} rows on {rows['area_code'].nunique()} codes retired before 2025 "
        f"(e.g. {sample}) for the lineage step; {with_successor} of them have their successor published for "
        f"the same period too"
    )


def _read_file(
    folder: Path, slug: str, series: list[_Series]
) -> tuple[pd.DataFrame, list[IndicatorMeta], list[str]]:
    """Values and catalogue records for the series of one ELS file."""
    log: list[str] = []
    path = folder / slug / f"{slug}.csv"
    raw = _read_csv(path)
    blocks = _read_metadata(folder / slug / f"{slug}.json", log)
    names = {s.name: s for s in series}
    published = set(raw["source_indicator"].unique().tolist())
    absent = [n for n in names if n not in published]
    if absent:
        raise SourceError(path, f"no rows for indicator(s) {absent}")
    extra = sorted(published - set(names))
    if extra:
        log.append(f"{slug}: left out indicator(s) {extra}: not in the reader's table")
    metas = [_indicator_meta(s, blocks.get(s.name) or blocks.get(None) or {}) for s in series]

    frame = raw[raw["source_indicator"].isin(list(names))]
    code = frame["area_code"]
    keep = code.str[:3].isin(list(COUNCIL_PREFIXES)) | (code == ENGLAND_CODE) | code.isin(list(COMBINED))
    left_out = frame.loc[~keep, "area_code"]
    if len(left_out):
        prefixes = ", ".join(f"{p} ({n})" for p, n in left_out.str[:3].value_counts().sort_index().items())
        log.append(
            f"{slug}: left out {len(left_out)} rows for regions, combined authorities, nations, ITL and "
            f"other non-council areas by code prefix: {prefixes}"
        )
    frame = frame[keep]

    series_of = frame["source_indicator"].map(names)
    frame = frame.assign(indicator_id=[s.id for s in series_of])
    keys = list(zip(frame["source_period"].tolist(), [s.snapshot_as_year for s in series_of], strict=True))
    labels: dict[tuple[str, bool], tuple[str, str]] = {}
    for text, as_year in set(keys):
        try:
            labels[(text, as_year)] = period_label(text, as_year)
        except ValueError as exc:
            raise SourceError(path, f"period {text!r} not understood ({exc})") from exc
    frame = frame.assign(
        period=[labels[k][0] for k in keys], period_start=[labels[k][1] for k in keys],
        numerator=np.nan, denominator=np.nan,
    )
    frame = _statuses(path, frame)
    flagged = int(((frame["status"] == "u") & (frame["source_status"] == "")).sum())
    if flagged:
        log.append(f"{slug}: {flagged} values the notes call unreliable (small sample) kept with status u")

    combined = _combined_rows(frame, log, slug)
    direct = frame[~frame["area_code"].isin(list(COMBINED))]
    if len(combined):
        clash = pd.MultiIndex.from_frame(combined[["indicator_id", "period", "area_code"]]).isin(
            pd.MultiIndex.from_frame(direct[["indicator_id", "period", "area_code"]])
        )
        if clash.any():
            log.append(f"{slug}: {int(clash.sum())} combined-area rows unused: council published directly")
        frame = pd.concat([direct, combined[~clash]], ignore_index=True)
    else:
        frame = direct
    dupes = frame.duplicated(["area_code", "indicator_id", "period"])
    if dupes.any():
        first = frame.loc[dupes, ["area_code", "source_indicator", "source_period"]].iloc[0].tolist()
        raise SourceError(path, f"{int(dupes.sum())} repeated (area, indicator, period) rows, e.g. {first}")
    frame = _drop_2025_duplicates(frame.reset_index(drop=True), log, slug)
    _log_retired_codes(frame, log, slug)

    for s in series:
        rows = frame[frame["indicator_id"] == s.id]
        councils = rows[rows["area_code"] != ENGLAND_CODE]
        latest = rows["period_start"].max() if len(rows) else ""
        in_latest = councils.loc[
            (councils["period_start"] == latest) & councils["value"].notna(), "area_code"
        ]
        periods = rows.drop_duplicates("period").sort_values("period_start")["period"].tolist()
        span = f"first {periods[0]}, latest {periods[-1]}" if periods else "no periods"
        counties = int(in_latest.str.startswith("E10").sum())
        log.append(
            f"{slug}: {s.id}: {len(rows)} values, {len(periods)} periods ({span}); latest period has a value "
            f"for {len(in_latest) - counties} district/unitary/borough codes and {counties} county codes"
        )
    return frame, metas, log


def read(root: Path) -> SourceResult:
    """All ELS series in the table: English councils (any code vintage) plus England as a benchmark."""
    folder = root / FOLDER
    if not folder.is_dir():
        raise SourceError(folder, "folder not found")
    frames: list[pd.DataFrame] = [empty_values()]
    indicators: list[IndicatorMeta] = []
    log: list[str] = []
    for slug, series in _by_file():
        frame, metas, file_log = _read_file(folder, slug, series)
        frames.append(frame)
        indicators += metas
        log += file_log
    columns = list(empty_values().columns)
    values = finalise_values(pd.concat([f.loc[:, columns] for f in frames], ignore_index=True))
    files = len(list(_by_file()))
    log.insert(0, f"{FOLDER}: read {len(indicators)} series from {files} files, {len(values)} values")
    return SourceResult(indicators=indicators, values=values, log=log)
