"""DfE's Local Authority Interactive Tool (LAIT): children's services and education outcomes, and DfE's
statistical neighbours, keyed by ONS codes rather than DfE's three-digit LA numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from lm_core.sources.base import (
    IndicatorMeta,
    Polarity,
    SourceError,
    SourceResult,
    academic_year,
    calendar_year,
    finalise_values,
    financial_year,
    parse_cell,
)
from lm_core.sources.mysociety_register import FOLDER as REGISTER_FOLDER
from lm_core.sources.mysociety_register import read_register

FOLDER = "dfe-lait"
DATA_FILE = "bds_long_0.parquet"
DICTIONARY_FILE = "lait_data_dictionary.csv"
CODES_FILE = "la_code_list.xlsx"
NEIGHBOURS_FILE = "sn_may_2025.xlsx"
NEIGHBOURS_SHEET = "LA SN Groups"
NAME_LOOKUP_FILE = "lookup_name_to_registry.csv"

PUBLISHER = "Department for Education"
LAIT_URL = "https://www.gov.uk/government/publications/local-authority-interactive-tool-lait"
LICENCE = "OGL v3.0"
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Department for Education, Local Authority Interactive Tool (LAIT)."
)
ENGLAND_CODE = "E92000001"
ENGLAND_LA_NUMBER = 970
COUNCIL_PREFIXES = ("E06", "E08", "E09", "E10")
COUNCIL_TYPES = {"UA", "MD", "SC", "ILB", "OLB"}

# The source's own column names, mapped once here.
DATA_COLUMNS = {
    "Short Desc": "measure",
    "Years": "year",
    "LA Number": "la_number",
    "Values": "raw_value",
}
DICTIONARY_COLUMNS = {"Measure_short": "measure", "Polarity": "polarity", "Hyperlink(s)": "hyperlink"}
CODES_COLUMNS = {"LA Number": "la_number", "LA Name": "la_name", "Type": "la_type"}

# Names that mySociety's name lookup does not hold: DfE's "(Pre LG)" rows are the councils abolished in the
# 2019 Dorset reorganisation, and "Bedford Borough"/"Westmorland and Furness" are spelt differently there.
CODE_OVERRIDES: dict[int, str] = {
    822: "E06000055",  # Bedford Borough
    943: "E06000064",  # Westmorland and Furness
    835: "E10000009",  # Dorset (Pre LG): Dorset County Council, abolished 2019
    836: "E06000029",  # Poole (Pre LG), abolished 2019
    837: "E06000028",  # Bournemouth (Pre LG), abolished 2019
}

# DfE lists every authority in every year. For authorities created or abolished in a reorganisation, a "-"
# before their first or after their last figure means the council did not exist, not that a figure was
# withheld, so those cells are dropped rather than stored as not available.
REORGANISED: dict[int, str] = {
    909: "Cumbria", 942: "Cumberland", 943: "Westmorland and Furness",
    835: "Dorset (Pre LG)", 836: "Poole (Pre LG)", 837: "Bournemouth (Pre LG)",
    838: "Dorset", 839: "Bournemouth, Christchurch and Poole",
    928: "Northamptonshire", 940: "North Northamptonshire", 941: "West Northamptonshire",
}

YearKind = Literal["financial", "academic", "calendar"]
_PLAIN_YEAR = re.compile(r"^(\d{4})$")
_SPAN_YEAR = re.compile(r"^(\d{4})[-/](\d{2})$")


def parse_lait_year(label: str, kind: YearKind) -> tuple[str, str]:
    """(label, start date) for a LAIT year; a bare "2025" is the year ENDING then (March, summer or Dec).

    LAIT names a financial or academic year by the year it ends in: "2025" is the year to 31 March 2025
    (or the snapshot taken then), or the 2024/25 school year; calendar-year measures are just the year.
    """
    text = label.strip()
    plain = _PLAIN_YEAR.match(text)
    if plain:
        year = int(plain.group(1))
        if kind == "calendar":
            return calendar_year(year)
        return financial_year(year - 1) if kind == "financial" else academic_year(year - 1)
    span = _SPAN_YEAR.match(text)
    if span and kind != "calendar":
        start = int(span.group(1))
        if (start + 1) % 100 != int(span.group(2)):
            raise ValueError(f"year span is not two consecutive years: {label!r}")
        return financial_year(start) if kind == "financial" else academic_year(start)
    raise ValueError(f"not a LAIT {kind} year label: {label!r}")


@dataclass(frozen=True)
class _Spec:
    """How one LAIT measure becomes an indicator."""

    indicator_id: str
    measure: str  # LAIT "Short Desc" / dictionary "Measure_short"
    title: str
    description: str
    service_area: str
    unit: str
    polarity: Polarity
    year_kind: YearKind
    decimals: int
    caveats: str
    numerator: str | None = None  # LAIT measure holding the count behind the rate, where published
    denominator: str | None = None


CHILDREN = "Children's services"
EDUCATION = "Education"
SMALL_NUMBERS = "Isles of Scilly and City of London rest on very few children."

# Chosen as clear outcomes of children's services and schools. Left to other readers: GCSE English and maths,
# KS2 expected standard, early years and persistent absence (all from ONS Explore Local Statistics).
SPECS: tuple[_Spec, ...] = (
    _Spec(
        "children_looked_after_rate", "LAC", "Children looked after per 10,000 children",
        "Children in the council's care on 31 March, per 10,000 children under 18.",
        CHILDREN, "per 10,000 under-18s", "none", "financial", 0,
        "Snapshot at 31 March. Includes unaccompanied asylum-seeking children, which lifts rates in some "
        "councils. A high or low rate is not in itself good or bad. " + SMALL_NUMBERS,
        numerator="LACnum",
    ),
    _Spec(
        "children_in_need_rate", "CIN", "Children in need per 10,000 children",
        "Children assessed as needing children's social care support on 31 March, per 10,000 children.",
        CHILDREN, "per 10,000 under-18s", "none", "financial", 1,
        "Snapshot at 31 March; includes children on protection plans, looked-after children and care "
        "leavers. A high or low rate is not in itself good or bad. " + SMALL_NUMBERS,
    ),
    _Spec(
        "child_protection_plan_rate", "CPP_rate", "Children on child protection plans per 10,000 children",
        "Children subject to a child protection plan on 31 March, per 10,000 children.",
        CHILDREN, "per 10,000 under-18s", "none", "financial", 1,
        "Snapshot at 31 March. A high or low rate is not in itself good or bad. " + SMALL_NUMBERS,
        numerator="CPP_Num",
    ),
    _Spec(
        "childrens_social_care_rereferral_rate", "ReReferral",
        "Re-referrals to children's social care within 12 months",
        "Share of referrals to children's social care for a child already referred in the previous "
        "12 months.",
        CHILDREN, "%", "lower_better", "financial", 1,
        "Year to 31 March. " + SMALL_NUMBERS,
    ),
    _Spec(
        "care_leavers_in_education_employment_training", "CareLeaverEET",
        "Care leavers aged 19 to 21 in education, employment or training",
        "Share of care leavers aged 19 to 21 who are in education, employment or training.",
        CHILDREN, "%", "higher_better", "financial", 0,
        "Published as whole percentages; DfE's counts of care leavers in EET do not always reproduce the "
        "published percentage, so no numerator is attached. " + SMALL_NUMBERS,
    ),
    _Spec(
        "care_leavers_in_suitable_accommodation", "CareLeaverAcc",
        "Care leavers aged 19 to 21 in suitable accommodation",
        "Share of care leavers aged 19 to 21 whose accommodation is judged suitable.",
        CHILDREN, "%", "higher_better", "financial", 0,
        "Published as whole percentages; counts (from 2017-18) are attached as numerator and denominator. "
        + SMALL_NUMBERS,
        numerator="NoCareLeaverAcc", denominator="NoCareLeavers",
    ),
    _Spec(
        "looked_after_children_three_placements", "LACStable_2016on",
        "Looked-after children with three or more placements in the year",
        "Share of children in care on 31 March who moved placement three or more times during the year.",
        CHILDREN, "%", "lower_better", "financial", 0,
        "Published as whole percentages; counts attached (placement counts for 2015-16 and 2016-17 are "
        "rounded to the nearest 5). " + SMALL_NUMBERS,
        numerator="LACStableNum_2016on", denominator="LACnum",
    ),
    _Spec(
        "neet_or_not_known_16_17", "16-17_not known_NEET",
        "16 and 17 year olds not in education, employment or training, or activity not known",
        "Share of 16 and 17 year olds who are NEET or whose activity the council does not know.",
        EDUCATION, "%", "lower_better", "financial", 1,
        "Average of December to February (e.g. 2023-24 is Dec 2023 to Feb 2024), from councils' own "
        "tracking records; how well councils track young people varies.",
    ),
    _Spec(
        "attainment_8_average", "AVG_Attain8_Score", "Average Attainment 8 score",
        "Average GCSE-stage attainment of pupils at state-funded schools across eight qualifications.",
        EDUCATION, "points (out of 90)", "higher_better", "academic", 1,
        "Not comparable across 2015/16 (old grading scale), 2019/20 and 2020/21 (centre- and "
        "teacher-assessed grades) and other years.",
    ),
    _Spec(
        "attainment_8_disadvantaged", "DAP_KS4_ATT8", "Average Attainment 8 score of disadvantaged pupils",
        "Average GCSE-stage attainment of disadvantaged pupils at state-funded schools.",
        EDUCATION, "points (out of 90)", "higher_better", "academic", 1,
        "Disadvantaged means eligible for free school meals in the last six years or looked after. Same "
        "grading breaks as the all-pupil score. " + SMALL_NUMBERS,
    ),
    _Spec(
        "ehc_plans_issued_within_20_weeks", "SEN_EHC_Excpt_20wks",
        "New education, health and care plans issued within 20 weeks",
        "Share of new education, health and care (EHC) plans issued within the 20-week legal time limit.",
        EDUCATION, "%", "higher_better", "calendar", 1,
        "Excludes cases with legal exceptions. From 2023 DfE collects person-level data and warns that "
        "2023 quality may be affected. Small councils swing widely from year to year.",
    ),
)

_DFE_POLARITY: dict[str, Polarity] = {"high": "higher_better", "low": "lower_better"}


def _read_excel_sheet(path: Path, sheet: str | int) -> pd.DataFrame:
    if not path.exists():
        raise SourceError(path, "file not found")
    try:
        frame = pd.read_excel(path, sheet_name=sheet, header=None, engine="openpyxl")
    except ValueError as exc:  # pandas raises ValueError for a missing sheet
        raise SourceError(path, f"sheet {sheet!r} not readable ({exc})") from exc
    except (OSError, KeyError) as exc:
        raise SourceError(path, f"not a readable workbook ({exc})") from exc
    if not isinstance(frame, pd.DataFrame):
        raise SourceError(path, f"sheet {sheet!r} did not read as one table")
    return frame


def _with_header(frame: pd.DataFrame, path: Path, first_cell: str, needed: list[str]) -> pd.DataFrame:
    """Rows below the first row whose first cell is first_cell, named by that row."""
    first = frame.iloc[:, 0].astype("str").str.strip() if frame.shape[1] else pd.Series(dtype="str")
    hits = first.index[first == first_cell]
    if len(hits) == 0:
        raise SourceError(path, f"header row starting {first_cell!r} not found")
    row = int(hits[0])
    header = [str(c).strip() for c in frame.iloc[row]]
    missing = [c for c in needed if c not in header]
    if missing:
        raise SourceError(path, f"columns missing from the header row: {', '.join(missing)}")
    body = frame.iloc[row + 1 :].copy()
    body.columns = pd.Index(_dedupe(header))
    return body.reset_index(drop=True)


def _dedupe(names: list[str]) -> list[str]:
    """Repeated header names (DfE's SNP columns) get a numeric suffix so each column can be addressed."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        out.append(name if count == 0 else f"{name}.{count}")
        seen[name] = count + 1
    return out


def _as_la_number(raw: object) -> int | None:
    """DfE LA numbers arrive as ints, floats or text; anything else (blank, a note) is None."""
    try:
        number = float(str(raw).strip())
    except ValueError:
        return None
    return int(number) if number == number and number.is_integer() else None


def la_number_codes(root: Path) -> tuple[dict[int, str], list[str]]:
    """DfE LA number -> GSS code for every council DfE lists (and England), with log lines.

    DfE publishes no GSS codes, so names in la_code_list.xlsx are matched to mySociety's register through
    its alternative-name lookup. A name that matches a council before and after the 2023 reorganisation
    (North Yorkshire, Somerset) takes the current council, as DfE kept the county's LA number for it.
    """
    codes_path = root / FOLDER / CODES_FILE
    codes = _with_header(_read_excel_sheet(codes_path, 0), codes_path, "LA Number", list(CODES_COLUMNS))
    codes = codes.loc[:, list(CODES_COLUMNS)].rename(columns=CODES_COLUMNS)

    lookup_path = root / REGISTER_FOLDER / NAME_LOOKUP_FILE
    if not lookup_path.exists():
        raise SourceError(lookup_path, "file not found (needed to give DfE's LA numbers GSS codes)")
    try:
        names = pd.read_csv(lookup_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(lookup_path, f"not a readable CSV ({exc})") from exc
    if not {"la-name", "local-authority-code"} <= set(names.columns):
        raise SourceError(lookup_path, "columns la-name and local-authority-code expected")
    register = read_register(root)
    councils = register[register["area_code"].str.startswith(COUNCIL_PREFIXES)]
    names = names.assign(key=names["la-name"].str.strip().str.lower()).merge(
        councils[["register_code", "area_code", "current"]],
        left_on="local-authority-code",
        right_on="register_code",
    )
    # Current councils first, so an ambiguous name resolves to today's authority.
    names = names.sort_values("current", ascending=False).drop_duplicates(["key", "area_code"])
    by_name = names.groupby("key")["area_code"].agg(list)

    mapping: dict[int, str] = {ENGLAND_LA_NUMBER: ENGLAND_CODE}
    log: list[str] = []
    for rec in codes.itertuples(index=False):
        number = _as_la_number(rec.la_number)
        la_type = str(rec.la_type).strip()
        if number is None or la_type not in COUNCIL_TYPES:
            continue  # England, regions and blank lines
        if number in CODE_OVERRIDES:
            mapping[number] = CODE_OVERRIDES[number]
            continue
        found = by_name.get(str(rec.la_name).strip().lower())
        if not found:
            problem = f"LA {number} {rec.la_name!r} matches no council in {lookup_path.name}"
            raise SourceError(codes_path, problem)
        mapping[number] = found[0]
        if len(found) > 1:
            log.append(f"DfE LA {number} {rec.la_name} matched {found}; took current council {found[0]}")
    taken: dict[str, int] = {}
    for number, code in mapping.items():
        if code in taken:
            raise SourceError(codes_path, f"LA {taken[code]} and LA {number} both match {code}")
        taken[code] = number
    return mapping, log


def _read_dictionary(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise SourceError(path, "file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(path, f"not a readable CSV ({exc})") from exc
    missing = [c for c in DICTIONARY_COLUMNS if c not in frame.columns]
    if missing:
        raise SourceError(path, f"columns missing: {', '.join(missing)}")
    frame = frame.loc[:, list(DICTIONARY_COLUMNS)].rename(columns=DICTIONARY_COLUMNS)
    return frame.drop_duplicates("measure").set_index("measure")


def _read_data(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise SourceError(path, "file not found")
    try:
        frame = pd.read_parquet(path, columns=list(DATA_COLUMNS))
    except (OSError, ValueError, KeyError) as exc:  # pyarrow raises these for bad files or absent columns
        problem = f"not a readable LAIT parquet with columns {list(DATA_COLUMNS)} ({exc})"
        raise SourceError(path, problem) from exc
    return frame.rename(columns=DATA_COLUMNS)


def _source_url(hyperlink: str) -> str:
    """The statistical release behind the measure when the dictionary gives one, else LAIT itself."""
    first = hyperlink.strip().split()[0] if hyperlink.strip() else ""
    return first if first.startswith("https://") else LAIT_URL


def _trim_lifetime(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop '-' cells of reorganised councils before their first or after their last published figure."""
    frame = frame.sort_values(["indicator_id", "la_number", "period_start"])
    keep = pd.Series(True, index=frame.index)
    reorganised = frame["la_number"].isin(list(REORGANISED))
    for _, group in frame[reorganised].groupby(["indicator_id", "la_number"]):
        published = group.index[group["status"] == ""]
        if len(published) == 0:
            keep[group.index] = False
            continue
        starts = group["period_start"]
        first, last = starts[published].min(), starts[published].max()
        keep[group.index[(starts < first) | (starts > last)]] = False
    return frame[keep], int((~keep).sum())


def read(root: Path) -> SourceResult:
    """Eleven LAIT outcomes for upper-tier councils and England, every year LAIT holds."""
    data_path = root / FOLDER / DATA_FILE
    dict_path = root / FOLDER / DICTIONARY_FILE
    dictionary = _read_dictionary(dict_path)
    data = _read_data(data_path)
    codes, log = la_number_codes(root)
    log.insert(0, f"read {data_path.name}: {len(data):,} rows, {data['measure'].nunique()} measures")

    wanted = {s.measure for s in SPECS} | {s.numerator for s in SPECS if s.numerator} | {
        s.denominator for s in SPECS if s.denominator
    }
    absent = sorted(wanted - set(data["measure"].unique()))
    if absent:
        raise SourceError(data_path, f"measures missing: {absent}")
    undefined = sorted({s.measure for s in SPECS} - set(dictionary.index))
    if undefined:
        raise SourceError(dict_path, f"measures missing from the dictionary: {undefined}")
    data = data[data["measure"].isin(wanted)].copy()
    data["la_number"] = data["la_number"].map(_as_la_number)
    if data.duplicated(["measure", "year", "la_number"]).any():
        raise SourceError(data_path, "a measure has two rows for the same authority and year")

    unmapped = data["la_number"].notna() & ~data["la_number"].isin(list(codes))
    log.append(
        f"dropped {int(unmapped.sum()):,} rows for regions and other non-council lines "
        f"(LA numbers {sorted(int(n) for n in set(data.loc[unmapped, 'la_number']))})"
    )
    data = data[~unmapped & data["la_number"].notna()]
    data["la_number"] = data["la_number"].astype("int64")
    data["area_code"] = data["la_number"].map(codes)
    parsed = [_parse_or_fail(v, data_path) for v in data["raw_value"]]
    data["number"] = [p[0] for p in parsed]
    data["status"] = [p[1] for p in parsed]
    counts = data.set_index(["measure", "year", "la_number"])["number"]

    frames = []
    policy = []
    for spec in SPECS:
        rows = data[data["measure"] == spec.measure].copy()
        # A year with no figure anywhere (England included) is a placeholder for a release still to come.
        has_any = rows.groupby("year")["status"].transform(lambda s: (s == "").any())
        empty_years = sorted(set(rows.loc[~has_any, "year"]))
        if empty_years:
            log.append(f"{spec.indicator_id}: left out years {empty_years}, which hold no figures yet")
        rows = rows[has_any]
        try:
            periods = [parse_lait_year(str(y), spec.year_kind) for y in rows["year"]]
        except ValueError as exc:
            raise SourceError(data_path, f"{spec.measure}: {exc}") from exc
        rows["period"] = [p[0] for p in periods]
        rows["period_start"] = [p[1] for p in periods]
        rows["indicator_id"] = spec.indicator_id
        rows["numerator"] = _attach(counts, spec.numerator, rows)
        rows["denominator"] = _attach(counts, spec.denominator, rows)
        frames.append(rows)
        stated = _DFE_POLARITY.get(str(dictionary.at[spec.measure, "polarity"]).strip().lower(), "none")
        if stated != spec.polarity:
            policy.append(f"{spec.indicator_id}: DfE marks polarity {stated}, kept as {spec.polarity}")
    combined = pd.concat(frames, ignore_index=True)
    combined, trimmed = _trim_lifetime(combined)
    log.append(
        f"dropped {trimmed} '-' cells of reorganised councils outside their lifetime "
        "(before their first or after their last figure)"
    )
    log.extend(policy)
    combined = combined.assign(
        value=combined["number"],
        lower=float("nan"),
        upper=float("nan"),
        note="",
    )
    values = finalise_values(combined)
    log.append(f"{int((values['status'] == 'x').sum()):,} cells marked '-' or blank kept as not available")
    log.append(
        "area codes: DfE LA numbers mapped to GSS by name through mySociety's register; Cumbria (909), "
        "Northamptonshire (928) and the pre-2019 Dorset/Bournemouth/Poole keep their retired codes"
    )
    log.append(f"kept England (LA {ENGLAND_LA_NUMBER}) as {ENGLAND_CODE}; read {len(SPECS)} LAIT measures")
    for spec in SPECS:
        sub = values[(values["indicator_id"] == spec.indicator_id) & (values["status"] == "")]
        latest = sub["period"].max()
        councils = sub[(sub["period"] == latest) & (sub["area_code"] != ENGLAND_CODE)]
        log.append(
            f"{spec.indicator_id}: {sub['period'].nunique()} periods, {len(councils)} councils in {latest}"
        )
    indicators = [_indicator(spec, str(dictionary.at[spec.measure, "hyperlink"])) for spec in SPECS]
    return SourceResult(indicators=indicators, values=values, log=log)


def _parse_or_fail(raw: object, path: Path) -> tuple[float, str]:
    try:
        return parse_cell(raw)
    except ValueError as exc:
        raise SourceError(path, f"unreadable value: {exc}") from exc


def _attach(counts: pd.Series, measure: str | None, rows: pd.DataFrame) -> pd.Series:
    """The published count for each row's authority and year, NaN where none is published."""
    if measure is None:
        return pd.Series(float("nan"), index=rows.index)
    keys = pd.MultiIndex.from_arrays([[measure] * len(rows), rows["year"], rows["la_number"]])
    return pd.Series(counts.reindex(keys).to_numpy(dtype="float64"), index=rows.index)


def _indicator(spec: _Spec, hyperlink: str) -> IndicatorMeta:
    return IndicatorMeta(
        id=spec.indicator_id,
        title=spec.title,
        description=spec.description,
        service_area=spec.service_area,
        unit=spec.unit,
        polarity=spec.polarity,
        role="outcome",
        tier="upper",
        publisher=PUBLISHER,
        source_url=_source_url(hyperlink),
        licence=LICENCE,
        attribution=ATTRIBUTION,
        caveats=spec.caveats,
        source_folder=FOLDER,
        rollup="weighted",
        decimals=spec.decimals,
    )


def read_statistical_neighbours(root: Path) -> pd.DataFrame:
    """DfE's ten statistical neighbours per council (May 2025 model) as area_code, neighbour_code, position.

    Only the current model is read; the "Old SNs" block below it (abolished councils) is left out.
    """
    path = root / FOLDER / NEIGHBOURS_FILE
    positions = [f"SN{i}" for i in range(1, 11)]
    table = _with_header(_read_excel_sheet(path, NEIGHBOURS_SHEET), path, "LA num", ["LA num", *positions])
    numbers = table["LA num"].map(_as_la_number)
    # The current model ends at the first blank line; the block after it is the retired "Old SNs".
    blank = numbers.isna()
    end = int(blank.to_numpy().argmax()) if blank.any() else len(table)
    table, numbers = table.iloc[:end], numbers.iloc[:end]
    if table.empty:
        raise SourceError(path, "no statistical-neighbour rows below the header")
    codes, _ = la_number_codes(root)
    rows = []
    for idx, number in numbers.items():
        for position, column in enumerate(positions, start=1):
            neighbour = _as_la_number(table.at[idx, column])
            if neighbour is None:
                continue
            for unknown in (number, neighbour):
                if unknown not in codes:
                    raise SourceError(path, f"LA number {unknown} is not in {CODES_FILE}")
            rows.append(
                {"area_code": codes[int(number)], "neighbour_code": codes[neighbour], "position": position}
            )
    out = pd.DataFrame(rows, columns=["area_code", "neighbour_code", "position"])
    out["position"] = out["position"].astype("int64")
    return out
