"""DEFRA ENV18 local authority collected waste: recycling, residual waste, rejects and landfill."""

from __future__ import annotations

import math
import re
import time
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError, iterparse

import pandas as pd

from lm_core.sources.base import (
    IndicatorMeta,
    Polarity,
    SourceError,
    SourceResult,
    Tier,
    empty_values,
    finalise_values,
    financial_year,
    parse_cell,
)

FOLDER = "defra-waste-env18"
FILE = "waste-data.ods"
SOURCE_URL = "https://www.gov.uk/government/statistics/local-authority-collected-waste-management-annual-results"
PUBLISHER = "Department for Environment, Food & Rural Affairs (Defra)"
LICENCE = "OGL v3.0"
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Defra, Local authority collected waste management statistics (ENV18), WasteDataFlow."
)
ENGLAND = "E92000001"
COUNCIL_PREFIXES = ("E06", "E07", "E08", "E09", "E10")

RECYCLING = "household_recycling_rate"
RESIDUAL = "residual_waste_per_household"
REJECTS = "household_recycling_rejects_rate"
LANDFILL = "municipal_waste_landfill_rate"

# Rows whose code stands for a joint body rather than one council: figures cannot be split.
JOINT_CODES: dict[str, str] = {
    "E07000203": "Mid Suffolk and Babergh District Council, one joint return for two councils (Babergh "
    "has no row of its own and the tonnage matches both districts' population)",
    "E50000001": "East London Waste Authority (joint disposal authority of four boroughs)",
    "E50000002": "North London Waste Authority (joint disposal authority of seven boroughs)",
    "E50000003": "West London Waste Authority (joint disposal authority of six boroughs)",
    "E50000004": "Western Riverside Waste Authority (joint disposal authority of four boroughs)",
    "E50000005": "Greater Manchester waste disposal authority (joint, nine districts)",
    "E50000006": "Merseyside waste disposal authority (joint, five districts)",
    "E50000008": "Cambridge City and South Cambridgeshire (joint collection return)",
}
# Partnership codes covering exactly one current council's ground: kept, and recoded by the lineage.
PARTNERSHIP_CODES: dict[str, str] = {
    "E50000009": "Somerset Waste Partnership (county-wide joint return 2018-19 to 2022-23): same ground "
    "as Somerset Council E06000066, carried to it by the lineage table",
}

_FY = re.compile(r"^(\d{4})-(\d{2})$")


def parse_financial_year(label: object) -> tuple[str, str]:
    """(label, start date) from a published "2023-24" label; raises ValueError if it is not one."""
    match = _FY.match(str(label).strip())
    if not match:
        raise ValueError(f"not a financial year label: {label!r}")
    start, end = int(match.group(1)), int(match.group(2))
    if (start + 1) % 100 != end:
        raise ValueError(f"financial year label does not span consecutive years: {label!r}")
    return financial_year(start)


def is_financial_year(label: object) -> bool:
    """True for a cell holding a financial-year label (data rows), False for headers and footnotes."""
    try:
        parse_financial_year(label)
    except ValueError:
        return False
    return True


# --- A small streaming .ods reader: odfpy takes ~60 s on these files, this takes a few seconds. ---

_TABLE_NS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE_NS = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = f"{_TABLE_NS}table"
_ROW = f"{_TABLE_NS}table-row"
_CELL = f"{_TABLE_NS}table-cell"
_COVERED = f"{_TABLE_NS}covered-table-cell"
_NAME = f"{_TABLE_NS}name"
_COLS_REPEATED = f"{_TABLE_NS}number-columns-repeated"
_ROWS_REPEATED = f"{_TABLE_NS}number-rows-repeated"
_VALUE_TYPE = f"{_OFFICE_NS}value-type"
_PARA = f"{_TEXT_NS}p"
_SPACE = f"{_TEXT_NS}s"
_NUMERIC_TYPES = ("float", "percentage", "currency")
_OTHER_VALUE_ATTR = {
    "date": f"{_OFFICE_NS}date-value",
    "time": f"{_OFFICE_NS}time-value",
    "boolean": f"{_OFFICE_NS}boolean-value",
}


def _paragraph_text(para: Element) -> str:
    """A paragraph's text, with <text:s/> runs of spaces restored (itertext drops them)."""
    parts: list[str] = [para.text or ""]
    for child in para:
        if child.tag == _SPACE:
            parts.append(" " * int(child.get(f"{_TEXT_NS}c", "1")))
        else:
            parts.append(_paragraph_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _cell_value(cell: Element) -> object:
    """A cell as float/int/str, or None when empty."""
    kind = cell.get(_VALUE_TYPE)
    if kind is None:
        return None
    if kind in _NUMERIC_TYPES:
        raw = cell.get(f"{_OFFICE_NS}value")
        if raw is None:
            return None
        number = float(raw)
        return int(number) if number.is_integer() else number
    if kind in _OTHER_VALUE_ATTR and cell.get(_OTHER_VALUE_ATTR[kind]) is not None:
        return cell.get(_OTHER_VALUE_ATTR[kind])
    return "\n".join(_paragraph_text(p) for p in cell.iter(_PARA))


def _row_values(row: Element) -> list[object]:
    """One row's cells, expanding repeats but never the trailing run of empties (often 16,000 wide)."""
    values: list[object] = []
    pending_empty = 0
    for cell in row:
        if cell.tag not in (_CELL, _COVERED):
            continue
        value = _cell_value(cell) if cell.tag == _CELL else None
        repeat = int(cell.get(_COLS_REPEATED, "1"))
        if value is None:
            pending_empty += repeat
            continue
        values.extend([None] * pending_empty)
        pending_empty = 0
        values.extend([value] * repeat)
    return values


def read_ods_sheets(path: Path, sheet_names: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The named sheets of an .ods file as header-less object frames (like read_excel(header=None)).

    Streams content.xml and stops after the last wanted sheet; raises SourceError naming the file
    when it is not an OpenDocument spreadsheet or a sheet is missing.
    """
    if not path.exists():
        raise SourceError(path, "file not found")
    wanted = set(sheet_names)
    rows: dict[str, list[list[object]]] = {}
    current: str | None = None
    pending_blank = 0
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
            for event, element in iterparse(stream, events=("start", "end")):
                if element.tag == _TABLE:
                    if event == "start":
                        name = element.get(_NAME, "")
                        current = name if name in wanted else None
                        pending_blank = 0
                        if current is not None:
                            rows[current] = []
                    else:
                        current = None
                        element.clear()
                        if wanted <= rows.keys():
                            break
                elif event == "end" and element.tag == _ROW:
                    if current is not None:
                        values = _row_values(element)
                        repeat = int(element.get(_ROWS_REPEATED, "1"))
                        if not values:
                            # Blank rows are kept only once something follows them: sheets often end
                            # in a million repeated blank rows.
                            pending_blank += repeat
                        else:
                            rows[current].extend([[] for _ in range(pending_blank)])
                            rows[current].extend([values] * repeat)
                            pending_blank = 0
                    element.clear()
    except zipfile.BadZipFile as exc:
        raise SourceError(path, f"not an OpenDocument spreadsheet (not a zip archive: {exc})") from exc
    except KeyError as exc:
        raise SourceError(path, "not an OpenDocument spreadsheet (no content.xml inside)") from exc
    except (ParseError, ValueError) as exc:
        raise SourceError(path, f"content.xml could not be read ({exc})") from exc
    missing = [name for name in sheet_names if name not in rows]
    if missing:
        raise SourceError(path, f"sheet(s) missing: {', '.join(missing)}")
    frames: dict[str, pd.DataFrame] = {}
    for name in sheet_names:
        sheet = rows[name]
        width = max((len(r) for r in sheet), default=0)
        frames[name] = pd.DataFrame(
            [r + [None] * (width - len(r)) for r in sheet], columns=range(width), dtype=object
        )
    return frames


# --- Locating headers and columns by their published names ---


def _normalise(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def find_header(sheet: pd.DataFrame, first_cell: str, path: Path, sheet_name: str) -> int:
    """Index of the header row: the first row (within 20) whose first cell reads `first_cell`."""
    target = _normalise(first_cell)
    for i in range(min(20, len(sheet))):
        if sheet.shape[1] and _normalise(sheet.iat[i, 0]) == target:
            return i
    raise SourceError(path, f"sheet {sheet_name}: header row starting {first_cell!r} not found")


def find_columns(
    header: Iterable[object], prefixes: dict[str, str], path: Path, sheet_name: str
) -> dict[str, int]:
    """Map our names to column positions, matching each published header by its start."""
    cells = [_normalise(h) for h in header]
    found: dict[str, int] = {}
    for ours, prefix in prefixes.items():
        p = _normalise(prefix)
        hits = [i for i, c in enumerate(cells) if c.startswith(p)]
        if not hits:
            raise SourceError(path, f"sheet {sheet_name}: column starting {prefix!r} not found")
        found[ours] = hits[0]
    return found


def data_rows(
    sheet: pd.DataFrame, first_cell: str, prefixes: dict[str, str], path: Path, sheet_name: str
) -> pd.DataFrame:
    """The sheet's year rows with our column names (footnotes and blank rows left out)."""
    h = find_header(sheet, first_cell, path, sheet_name)
    columns = find_columns(sheet.iloc[h].tolist(), prefixes, path, sheet_name)
    body = sheet.iloc[h + 1 :, list(columns.values())].copy()
    body.columns = list(columns.keys())
    body = body[body["year"].map(is_financial_year)]
    if body.empty:
        raise SourceError(path, f"sheet {sheet_name}: no rows with a financial year under the header")
    return body.reset_index(drop=True)


# --- Which rows stand for councils ---


def classify_code(
    code: object, label: object, joint: dict[str, str] | None = None
) -> tuple[str | None, str]:
    """(area code to keep, or None to drop; reason) for one published row.

    `label` is the row's region/authority text, used to spot the England total; `joint` lists codes
    that stand for joint returns in this file (defaults to ENV18's).
    """
    joint = JOINT_CODES if joint is None else joint
    text = str(code).strip() if code is not None else ""
    if "total england" in _normalise(label):
        return ENGLAND, "England total"
    if text.lower() in ("total", "*total") or _normalise(label).startswith("*"):
        return None, "region total"
    if "/" in text:
        return None, f"joint return of {text} (two councils reporting together): cannot be split"
    if text in joint:
        return None, joint[text] + ": not one council's figure, and cannot be split between councils"
    if text in PARTNERSHIP_CODES:
        return text, PARTNERSHIP_CODES[text]
    if text.startswith("E50"):
        return None, "waste partnership or joint authority code: not a council"
    if re.fullmatch(r"E(0[6-9]|10)\d{6}", text):
        return text, ""
    return None, f"not an English council code ({text!r})"


def _number(raw: object) -> float:
    """A tonnage cell as a float, NaN when shorthand or empty."""
    try:
        value, status = parse_cell(raw)
    except ValueError:
        return math.nan
    return value if status == "" else math.nan


# --- Indicators ---


def _meta(
    indicator_id: str, title: str, description: str, unit: str, polarity: Polarity, tier: Tier,
    caveats: str, decimals: int,
) -> IndicatorMeta:
    """One waste outcome's catalogue record (all share publisher, licence and rollup)."""
    return IndicatorMeta(
        id=indicator_id,
        title=title,
        description=description,
        service_area="Waste and environment",
        unit=unit,
        polarity=polarity,
        role="outcome",
        tier=tier,
        publisher=PUBLISHER,
        source_url=SOURCE_URL,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        caveats=caveats,
        source_folder=FOLDER,
        rollup="weighted",
        decimals=decimals,
    )


_TIER_NOTE = (
    "Districts and London boroughs report as waste collection authorities, counties as waste disposal "
    "authorities (their figure covers all household waste in the county), unitaries as both; compare "
    "like with like."
)
_JOINT_NOTE = (
    "No figures for Babergh and Mid Suffolk (one joint return), Cambridge and South Cambridgeshire "
    "(joint since 2016-17) or Corby and Kettering in 2019-20 and 2020-21 (joint). 2023-24 England "
    "figures are provisional and include an estimate for Bristol, which did not report."
)

INDICATORS: tuple[IndicatorMeta, ...] = (
    _meta(
        RECYCLING,
        "Household waste recycling rate",
        "Share of household waste sent for reuse, recycling or composting.",
        "%",
        "higher_better",
        "both",
        "Former national indicator NI192. Numerator and denominator (tonnes sent for reuse, recycling or "
        "composting; total household waste tonnes) are published from 2014-15 only. " + _TIER_NOTE + " "
        + _JOINT_NOTE,
        1,
    ),
    _meta(
        RESIDUAL,
        "Residual household waste per household",
        "Household waste not sent for reuse, recycling or composting, in kilograms per household.",
        "kg per household",
        "lower_better",
        "both",
        "Former national indicator NI191. The number of households behind the rate is not published, so "
        "rolled-up figures are weighted by population. " + _TIER_NOTE + " " + _JOINT_NOTE,
        0,
    ),
    _meta(
        REJECTS,
        "Household recycling rejected",
        "Share of household waste collected for recycling that was rejected (for example contaminated) "
        "and not recycled.",
        "%",
        "lower_better",
        "both",
        "Defra's estimated household rejects tonnage divided by the tonnage collected for recycling (sent "
        "for reuse, recycling or composting plus rejects), 2014-15 onwards. Rejects are estimated, not "
        "measured: household waste not sent for recycling minus waste collected without the intention of "
        "recycling. They cover all household recycling (including treated wood from recycling centres), "
        "and can come out negative for a council because of stock changes or recycling extracted from "
        "residual waste; negative estimates are shown as not available. The England figure is computed "
        "here from unitary and disposal authority rows, as Defra advises. " + _TIER_NOTE + " "
        + _JOINT_NOTE,
        1,
    ),
    _meta(
        LANDFILL,
        "Municipal waste sent to landfill",
        "Share of council-collected (municipal) waste sent to landfill.",
        "%",
        "lower_better",
        "upper",
        "Former national indicator NI193, a waste disposal function: published for counties (disposal "
        "authorities) and unitaries only. London boroughs and Greater Manchester and Merseyside districts "
        "within a joint waste disposal authority have no figure of their own. Landfilled tonnages are not "
        "published in a form that reproduces the rate, so rolled-up figures are weighted by population. "
        + _JOINT_NOTE,
        1,
    ),
)

_TABLE3_COLUMNS = {
    "year": "Year",
    "region": "Region",
    "code": "ONS code",
    "jpp": "Jpp Order",
    "authority": "Authority",
    "authority_type": "Authority type",
    RESIDUAL: "Residual household waste per household",
    RECYCLING: "Percentage of household waste sent for reuse, recycling or composting",
    LANDFILL: "Percentage of municipal waste sent to landfill",
}
_TABLE1_COLUMNS = {
    "year": "Financial Year",
    "code": "ONS Code",
    "jpp": "JPP order",
    "authority_type": "Authority type",
    "household_total": "Household - total waste (tonnes)",
    "household_recycled": "Household - waste sent for recycling-composting-reuse (tonnes)",
    "household_rejects": "Household - estimated rejects (tonnes)",
}
# Table 3 publishes percentages as fractions (0.42 = 42%).
_FRACTION_COLUMNS = (RECYCLING, LANDFILL)


def _record(
    area_code: str, indicator_id: str, year: str, value: float, status: str, note: str = "",
    numerator: float = math.nan, denominator: float = math.nan,
) -> dict[str, object]:
    period, start = parse_financial_year(year)
    return {
        "area_code": area_code, "indicator_id": indicator_id, "period": period, "period_start": start,
        "value": value, "lower": math.nan, "upper": math.nan, "numerator": numerator,
        "denominator": denominator, "status": status, "note": note,
    }


def _table3_records(
    t3: pd.DataFrame, tonnes: dict[tuple[str, str], tuple[float, float]], path: Path, log: list[str]
) -> list[dict[str, object]]:
    """Recycling, residual waste and landfill rows from Table 3, with Table 1 tonnages attached."""
    records: list[dict[str, object]] = []
    dropped: dict[str, int] = {}
    skipped_landfill = 0
    for r in t3.to_dict("records"):
        area_code, reason = classify_code(r["code"], f"{r['region']} {r['authority']}")
        if area_code is None:
            if reason != "region total":
                dropped[f"{r['code']} ({reason})"] = dropped.get(f"{r['code']} ({reason})", 0) + 1
            continue
        provisional = area_code == ENGLAND and "provisional" in _normalise(r["region"])
        note = "provisional: includes Defra's estimate for Bristol" if provisional else ""
        for indicator_id in (RECYCLING, RESIDUAL, LANDFILL):
            raw = r[indicator_id]
            if indicator_id == LANDFILL and _normalise(r["authority_type"]) == "collection":
                skipped_landfill += 1  # a disposal measure: "-" (not applicable) for collection authorities
                continue
            try:
                value, status = parse_cell(raw)
            except ValueError as exc:
                raise SourceError(
                    path, f"Table_3 {r['year']} {r['code']}: unreadable {indicator_id} cell ({exc})"
                ) from exc
            if indicator_id in _FRACTION_COLUMNS and status == "":
                value *= 100.0
            numerator = denominator = math.nan
            if indicator_id == RECYCLING:
                numerator, denominator = tonnes.get((str(r["year"]), str(r["jpp"])), (math.nan, math.nan))
            records.append(_record(area_code, indicator_id, str(r["year"]), value, status, note,
                                   numerator, denominator))
    for what, count in sorted(dropped.items()):
        log.append(f"ENV18 Table_3: dropped {count} rows for {what}")
    log.append(f"ENV18 Table_3: {skipped_landfill} collection-authority landfill cells left out (not "
               "applicable: landfill is a disposal function)")
    return records


def _rejects_records(t1: pd.DataFrame, log: list[str]) -> list[dict[str, object]]:
    """Share of household recycling rejected, per council and (computed) for England."""
    records: list[dict[str, object]] = []
    negative = 0
    for r in t1.to_dict("records"):
        area_code, _ = classify_code(r["code"], "")
        if area_code is None or area_code == ENGLAND:
            continue  # Table 1 drops are logged once, from Table 3
        rejects, recycled = _number(r["household_rejects"]), _number(r["household_recycled"])
        collected = recycled + rejects
        if math.isnan(collected):
            records.append(_record(area_code, REJECTS, str(r["year"]), math.nan, "x"))
        elif rejects < 0 or collected <= 0:
            negative += 1
            note = f"Defra's rejects estimate is {rejects:,.0f} tonnes (negative: an estimation artefact)"
            records.append(_record(area_code, REJECTS, str(r["year"]), math.nan, "x", note))
        else:
            records.append(_record(area_code, REJECTS, str(r["year"]), 100.0 * rejects / collected, "",
                                   numerator=rejects, denominator=collected))
    log.append(f"ENV18 Table_1: {negative} negative household rejects estimates shown as not available")
    # England: sum unitary and disposal rows only (collection rows sit inside disposal rows).
    top = t1[t1["authority_type"].map(_normalise).isin(["unitary", "disposal"])].copy()
    top["rejects"] = top["household_rejects"].map(_number)
    top["recycled"] = top["household_recycled"].map(_number)
    for year, group in top.groupby("year", sort=True):
        if group[["rejects", "recycled"]].isna().any().any():
            log.append(f"ENV18 Table_1: no England rejects share for {year} (an authority did not report)")
            continue
        rejects, collected = float(group["rejects"].sum()), float(group[["rejects", "recycled"]].sum().sum())
        records.append(_record(ENGLAND, REJECTS, str(year), 100.0 * rejects / collected, "",
                               "computed from unitary and disposal authority rows", rejects, collected))
    return records


def read(root: Path) -> SourceResult:
    """ENV18 2023-24 workbook: four waste indicators for every year it holds."""
    path = root / FOLDER / FILE
    started = time.perf_counter()
    sheets = read_ods_sheets(path, ["Table_1", "Table_3"])
    t1 = data_rows(sheets["Table_1"], "Financial Year", _TABLE1_COLUMNS, path, "Table_1")
    t3 = data_rows(sheets["Table_3"], "Year", _TABLE3_COLUMNS, path, "Table_3")
    log = [f"ENV18: read {path.name} (Table_1 {len(t1)} rows, Table_3 {len(t3)} rows) in "
           f"{time.perf_counter() - started:.1f} s"]
    # Table 1 and Table 3 sometimes carry different codes for one authority in one year (e.g. the
    # pre-2014 Hertfordshire codes), so tonnages are joined on Defra's own authority number instead.
    tonnes: dict[tuple[str, str], tuple[float, float]] = {}
    for r in t1.to_dict("records"):
        recycled, total = _number(r["household_recycled"]), _number(r["household_total"])
        if not (math.isnan(recycled) or math.isnan(total)) and total > 0:
            tonnes[(str(r["year"]), str(r["jpp"]))] = (recycled, total)
    records = _table3_records(t3, tonnes, path, log) + _rejects_records(t1, log)
    frame = pd.DataFrame.from_records(records) if records else empty_values()
    values = finalise_values(frame)
    for meta in INDICATORS:
        part = values[values["indicator_id"] == meta.id]
        if part.empty:
            raise SourceError(path, f"no council rows for {meta.id}")
        periods = sorted(part["period"].unique())
        councils = part[(part["area_code"] != ENGLAND) & (part["status"] == "")]
        latest = councils[councils["period"] == periods[-1]]["area_code"].nunique()
        log.append(f"ENV18 {meta.id}: {len(part)} rows, {periods[0]} to {periods[-1]}, "
                   f"{latest} councils with a value in the latest year")
    return SourceResult(indicators=list(INDICATORS), values=values, log=log)
