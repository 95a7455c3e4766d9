"""MHCLG revenue outturn summary (RS) workbooks: council reserves as a share of net revenue expenditure.

Each RS workbook is one financial year on that year's geography, in £ thousand, one row per
authority. Reserves are read at 31 March (the year end) and divided by the same year's net
revenue expenditure (NRE), the usual local-government yardstick for reserve levels.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lm_core.sources.base import (
    IndicatorMeta,
    SourceError,
    SourceResult,
    empty_values,
    finalise_values,
    financial_year,
    parse_cell,
)
from lm_core.sources.mysociety_register import read_register

FOLDER = "mhclg-revenue-outturn"
# Start year of each financial year -> workbook. The 2024-25 RSX file has no reserves lines.
RS_FILES: dict[int, str] = {
    2016: "rs2016_17.xlsx",
    2017: "rs2017_18.xls",
    2018: "rs2018_19.xls",
    2019: "rs2019_20.xls",
    2020: "rs2020_21.xlsx",
    2021: "rs2021_22.xlsx",
    2022: "rs2022_23.xlsx",
    2023: "rs2023_24.xlsx",
}
RSX_FILE = "RSX_LA_Data_2024-25_data_by_LA.ods"

PUBLISHER = "Ministry of Housing, Communities and Local Government (MHCLG)"
SOURCE_URL = "https://www.gov.uk/government/collections/local-authority-revenue-expenditure-and-financing"
LICENCE = "OGL v3.0"
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: MHCLG, Local authority revenue expenditure and financing, outturn (RS/RSX)."
)
THOUSAND = 1000.0

RESERVES_ID = "non_ringfenced_reserves_pct_of_nre"
UNALLOCATED_ID = "unallocated_reserves_pct_of_nre"

COUNCIL_CODE = re.compile(r"^E(0[6-9]|10)\d{6}$")
E_CODE = re.compile(r"^E\d{4}$")  # MHCLG's own authority code, e.g. E4401
ENGLAND_CODE = "E92000001"
# Class-total rows: short ONS codes from 2021-22, upper-case names (no code) before that.
CLASS_CODES = ("E06", "E07", "E08", "E09", "E10")
CLASS_NAMES = (
    "LONDON BOROUGHS", "METROPOLITAN DISTRICTS", "UNITARY AUTHORITIES", "SHIRE COUNTIES", "SHIRE DISTRICTS",
)
OTHER_BODIES: dict[str, str] = {
    "E12": "Greater London Authority",
    "E23": "police bodies",
    "E26": "national park authorities",
    "E31": "fire and rescue authorities",
    "E47": "combined authorities",
    "E50": "waste authorities",
}
# MHCLG shows items it estimated for a missing or partial return as an ellipsis, not a number.
ESTIMATE_MARKS = ("…", "...")

_COMMON_CAVEATS = (
    "Reserve levels are the councils' own year-end estimates on the revenue outturn return, in £ thousand; "
    "MHCLG notes unresolved inconsistencies between reserves items for a small number of authorities. "
    "Councils whose return was not received in time (marked M) are shown as not available. "
    "Where net revenue expenditure is zero or negative (a few districts with large commercial income, "
    "e.g. Spelthorne) the percentage is not applicable. District councils spend little, so their "
    "percentages run far higher than counties' or unitaries': compare councils of the same type. "
    "Each year uses that year's council geography. The RS workbooks are copies re-saved by a third party "
    "(values look as published). No RS file with reserves was available for 2024-25."
)
_POLARITY_NOTE = (
    "Neither direction is self-evidently good: high reserves can mean resilience or money held back "
    "from services; low reserves can signal financial risk or deliberate use of savings."
)


def _meta(indicator_id: str, title: str, description: str, caveats: str) -> IndicatorMeta:
    """One reserves indicator; everything but the wording is shared."""
    return IndicatorMeta(
        id=indicator_id,
        title=title,
        description=description,
        service_area="Finance",
        unit="%",
        polarity="none",
        role="outcome",
        tier="both",
        publisher=PUBLISHER,
        source_url=SOURCE_URL,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        caveats=caveats,
        source_folder=FOLDER,
        rollup="weighted",
        decimals=1,
    )


def _indicators() -> list[IndicatorMeta]:
    """The two reserves indicators this reader publishes."""
    return [
        _meta(
            RESERVES_ID,
            "Non-ring-fenced reserves as a share of net revenue expenditure",
            "General fund reserves the council is free to use at 31 March (unallocated plus earmarked, "
            "excluding schools, dedicated schools grant and public health reserves) as a percentage "
            "of that year's net revenue expenditure.",
            f"{_POLARITY_NOTE} Follows the Oflog reserves measure. From 2021-22 earmarked reserves are "
            "MHCLG's 'adjusted' line, which nets off COVID business-rates relief grants held only until "
            "the next year's collection fund deficit (lines 1028/1029); for 2020-21, which has no "
            "adjusted line, this reader nets off the two section 31 business-rates grant sub-lines "
            "(922 and 923) in the same spirit. Numerator and denominator are in £. " + _COMMON_CAVEATS,
        ),
        _meta(
            UNALLOCATED_ID,
            "Unallocated reserves as a share of net revenue expenditure",
            "The council's general (unallocated) reserve at 31 March, its buffer against unforeseen "
            "costs, as a percentage of that year's net revenue expenditure.",
            f"{_POLARITY_NOTE} A few councils report a negative unallocated balance (a deficit). "
            "Numerator and denominator are in £. " + _COMMON_CAVEATS,
        ),
    ]


@dataclass(frozen=True)
class _Columns:
    """Positions of the columns this reader needs in one RS sheet."""

    ecode: int
    ons: int
    name: int
    notes: int | None
    nre: int
    unallocated: int
    earmarked: int
    earmarked_is_adjusted: bool
    # 2020-21 only: section 31 business-rates grant sub-lines netted off earmarked reserves.
    s31_lines: tuple[int, ...]


def parse_rs_cell(raw: object) -> tuple[float, str]:
    """Read one RS cell as (value, status); MHCLG's ellipsis and [n] mean no usable number."""
    if isinstance(raw, str):
        text = raw.strip()
        if text in ESTIMATE_MARKS or text.lower() in ("[n]", "[y]", "m"):
            return float("nan"), "x"
    return parse_cell(raw)


def start_year_from_title(title: str) -> int | None:
    """The start year of the financial year named in a sheet title like '... (RO) 2016-17: ...'."""
    match = re.search(r"\b(20\d{2})[-–/](\d{2})\b", title)
    if not match:
        return None
    start = int(match.group(1))
    if (start + 1) % 100 != int(match.group(2)):
        return None
    return start


def _text(raw: object) -> str:
    """A cell as stripped text; blank for empty cells."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return ""
    return " ".join(str(raw).split())


def _load_sheet(path: Path) -> tuple[str, pd.DataFrame]:
    """The RS data sheet of one workbook, unparsed (header=None)."""
    if not path.exists():
        raise SourceError(path, "file not found")
    try:
        with warnings.catch_warnings():
            # pandas flags xlrd as deprecated; it is still the reader for these .xls files.
            warnings.simplefilter("ignore")
            book = pd.ExcelFile(path)
            sheets = [s for s in book.sheet_names if re.fullmatch(r"RS[ _]LA[ _]Data[ _].*", str(s))]
            if len(sheets) != 1:
                raise SourceError(path, f"expected one 'RS LA Data' sheet, found {book.sheet_names}")
            raw = book.parse(sheets[0], header=None)
    except SourceError:
        raise
    except Exception as exc:  # openpyxl/xlrd raise many types for a damaged or foreign file
        raise SourceError(path, f"not a readable workbook ({type(exc).__name__}: {exc})") from exc
    return str(sheets[0]), raw


def _find_header_row(raw: pd.DataFrame, path: Path) -> int:
    """The row holding 'E-code' in the first column (the item names live on the same row)."""
    for i in range(min(30, len(raw))):
        if _text(raw.iat[i, 0]) == "E-code":
            return i
    raise SourceError(path, "header row with 'E-code' in column A not found in the first 30 rows")


def _one(headers: list[str], pattern: str, path: Path, what: str) -> int:
    """The single column whose header matches pattern (case-insensitive)."""
    hits = [i for i, h in enumerate(headers) if re.search(pattern, h, re.IGNORECASE)]
    if len(hits) != 1:
        raise SourceError(path, f"expected one column for {what}, found {len(hits)}")
    return hits[0]


def _find_columns(headers: list[str], path: Path) -> _Columns:
    """Locate the needed columns by their item names, which stay stable while positions move."""
    earmarked = [
        i for i, h in enumerate(headers)
        if re.search(r"other earmarked financial reserves level at 31 March", h, re.IGNORECASE)
        and "(unadjusted)" not in h.lower()
    ]
    adjusted = [i for i in earmarked if "(adjusted)" in headers[i].lower()]
    if adjusted:
        earmarked = adjusted
    if len(earmarked) != 1:
        raise SourceError(
            path, f"expected one 'other earmarked reserves at 31 March' column, found {len(earmarked)}"
        )
    s31 = [
        i for i, h in enumerate(headers)
        if re.search(r"^(Section 31 business rates grants paid in March 2020 carried forward"
                     r"|Relating to section 31 business rates relief grants) at 31 March$", h, re.IGNORECASE)
    ]
    notes = [i for i, h in enumerate(headers) if h == "Notes"]
    return _Columns(
        ecode=_one(headers, r"^E-code$", path, "E-code"),
        ons=_one(headers, r"^ONS Code$", path, "ONS Code"),
        name=_one(headers, r"^Local authority$", path, "Local authority"),
        notes=notes[0] if notes else None,
        nre=_one(headers, r"^NET REVENUE EXPENDITURE$", path, "NET REVENUE EXPENDITURE"),
        unallocated=_one(
            headers, r"unallocated financial reserves level at 31 March", path,
            "unallocated reserves at 31 March",
        ),
        earmarked=earmarked[0],
        earmarked_is_adjusted=bool(adjusted),
        s31_lines=tuple(s31) if not adjusted else (),
    )


@dataclass(frozen=True)
class _Money:
    """One row's year-end figures in £ thousand, with a status saying whether all were published."""

    nre: float
    unallocated: float
    earmarked: float
    status: str  # "" when every item is a number, else "x"


def _money(row: list[object], cols: _Columns, path: Path, where: str) -> _Money:
    """Read the figures of one row, netting the 2020-21 business-rates grant lines off earmarked."""
    items = {"nre": cols.nre, "unallocated": cols.unallocated, "earmarked": cols.earmarked}
    items.update({f"s31_{k}": c for k, c in enumerate(cols.s31_lines)})
    parsed: dict[str, float] = {}
    status = ""
    for key, col in items.items():
        try:
            value, cell_status = parse_rs_cell(row[col])
        except ValueError as exc:
            raise SourceError(path, f"{where}: unreadable cell in column {col + 1} ({exc})") from exc
        parsed[key] = value
        if cell_status != "":
            status = "x"
    earmarked = parsed["earmarked"] - sum(parsed[f"s31_{k}"] for k in range(len(cols.s31_lines)))
    return _Money(parsed["nre"], parsed["unallocated"], earmarked, status)


def _value_rows(area_code: str, year: int, money: _Money, note: str) -> list[dict[str, object]]:
    """Both indicators' rows for one area and year; percentages only where NRE is positive."""
    period, start = financial_year(year)
    out: list[dict[str, object]] = []
    for indicator_id, reserves in (
        (RESERVES_ID, money.earmarked + money.unallocated),
        (UNALLOCATED_ID, money.unallocated),
    ):
        numerator = reserves * THOUSAND
        denominator = money.nre * THOUSAND
        row_note = note
        if money.status:
            status, value, numerator, denominator = money.status, float("nan"), float("nan"), float("nan")
        elif money.nre <= 0:
            # A ratio to zero or negative spending has no meaning; keep the £ figures, which are real.
            status, value = "z", float("nan")
            why = f"net revenue expenditure is £{money.nre:,.0f} thousand (not positive)"
            row_note = f"{note}; {why}" if note else why
        else:
            status, value = "", reserves / money.nre * 100.0
        out.append({
            "area_code": area_code, "indicator_id": indicator_id, "period": period, "period_start": start,
            "value": value, "lower": float("nan"), "upper": float("nan"),
            "numerator": numerator, "denominator": denominator, "status": status, "note": row_note,
        })
    return out


def _council_note(raw_note: str, money: _Money, row: list[object], cols: _Columns) -> str:
    """A short note for a council row: why it is missing, if it is."""
    if raw_note == "M":
        return "return not received in time for publication"
    if any(_text(row[c]) in ESTIMATE_MARKS for c in (cols.nre, cols.unallocated, cols.earmarked)):
        return "incomplete return: MHCLG estimated these items and does not publish them"
    if money.status:
        return "not published"
    return ""


def read_rs_year(
    path: Path, year: int, ecode_to_gss: dict[str, str], known_gss: set[str]
) -> tuple[list[dict[str, object]], list[str]]:
    """Value rows and log lines for one RS workbook (councils plus an England total)."""
    sheet, raw = _load_sheet(path)
    title = " ".join(_text(v) for v in raw.iloc[:3, 0].tolist())
    title_year = start_year_from_title(title)
    if title_year is not None and title_year != year:
        raise SourceError(path, f"sheet title names {title_year}, expected {financial_year(year)[0]}")
    header = _find_header_row(raw, path)
    headers = [_text(h) for h in raw.iloc[header].tolist()]
    cols = _find_columns(headers, path)
    label = financial_year(year)[0]

    rows: list[dict[str, object]] = []
    log: list[str] = []
    dropped: dict[str, set[str]] = {}
    class_money: dict[str, _Money] = {}
    seen: set[str] = set()
    statuses: Counter[str] = Counter()
    for offset, row in enumerate(raw.iloc[header + 1:].itertuples(index=False, name=None)):
        cells = list(row)
        excel_row = header + 2 + offset
        code = _text(cells[cols.ons])
        name = _text(cells[cols.name])
        if code in CLASS_CODES or (code == "" and name.upper() in CLASS_NAMES):
            key = code or name.upper()
            if key not in class_money:  # the class breakdown appears once; ignore any repeat
                class_money[key] = _money(cells, cols, path, f"row {excel_row} ({name})")
            continue
        if not COUNCIL_CODE.match(code):
            # Only rows with an authority E-code are bodies; the rest are totals, headings and blanks.
            if E_CODE.match(_text(cells[cols.ecode])):
                # A set, because the GLA is listed again beside the class totals.
                dropped.setdefault(OTHER_BODIES.get(code[:3], name), set()).add(_text(cells[cols.ecode]))
            continue
        if code not in known_gss:
            ecode = _text(cells[cols.ecode])
            fixed = ecode_to_gss.get(ecode)
            if fixed:
                log.append(
                    f"{path.name}: {name} is published with ONS code {code}, which is no GSS code; "
                    f"used {fixed} from its E-code {ecode} via the mySociety register"
                )
                code = fixed
            elif known_gss:
                log.append(f"{path.name}: kept unrecognised ONS code {code} ({name}) as published")
        if code in seen:
            raise SourceError(path, f"row {excel_row}: council code {code} appears twice")
        seen.add(code)
        money = _money(cells, cols, path, f"row {excel_row} ({name})")
        raw_note = _text(cells[cols.notes]) if cols.notes is not None else ""
        note = _council_note(raw_note, money, cells, cols)
        statuses["missing" if money.status else ("nre<=0" if money.nre <= 0 else "ok")] += 1
        rows.extend(_value_rows(code, year, money, note))

    if not seen:
        raise SourceError(path, "no council rows (ONS codes E06-E10) found")
    prefixes = Counter(c[:3] for c in seen)
    log.append(
        f"read {path.name} (sheet '{sheet}') for {label}: {len(seen)} councils "
        f"({', '.join(f'{p} {n}' for p, n in sorted(prefixes.items()))}); "
        f"{statuses['missing']} not available, {statuses['nre<=0']} with net revenue expenditure ≤ 0 "
        "(percentages not applicable)"
    )
    earmarked_basis = (
        "MHCLG's adjusted other-earmarked line" if cols.earmarked_is_adjusted
        else f"other earmarked reserves net of {len(cols.s31_lines)} section 31 business-rates grant lines"
        if cols.s31_lines else "other earmarked reserves as published"
    )
    log.append(f"{path.name}: non-ring-fenced reserves = unallocated + {earmarked_basis}, at 31 March")
    if dropped:
        log.append(
            f"{path.name}: dropped {sum(len(v) for v in dropped.values())} bodies that are not councils: "
            + ", ".join(f"{len(v)} {what}" for what, v in sorted(dropped.items()))
        )

    if len(class_money) == len(CLASS_CODES):
        total = _Money(
            nre=sum(m.nre for m in class_money.values()),
            unallocated=sum(m.unallocated for m in class_money.values()),
            earmarked=sum(m.earmarked for m in class_money.values()),
            status="x" if any(m.status for m in class_money.values()) else "",
        )
        rows.extend(_value_rows(
            ENGLAND_CODE, year, total,
            "England councils: sum of MHCLG's five council class totals (includes MHCLG estimates for "
            "missing returns; excludes police, fire, parks, combined authorities and the GLA)",
        ))
    else:
        log.append(f"{path.name}: England benchmark skipped: council class totals not all found")
    return rows, log


def _register_lookups(root: Path) -> tuple[dict[str, str], set[str], list[str]]:
    """E-code -> GSS code, and every English GSS code current or former, from the authority register."""
    try:
        register = read_register(root)
    except SourceError as exc:
        return {}, set(), [f"authority register unavailable ({exc}); ONS codes kept exactly as published"]
    ecode_to_gss = {
        e: g for e, g in zip(register["ecode"], register["area_code"], strict=True) if e
    }
    known = set(register["area_code"])
    for former in register["former_gss_codes"]:
        known.update(c.strip() for c in re.split(r"[,|;]", former) if c.strip())
    return ecode_to_gss, known, []


def read(root: Path) -> SourceResult:
    """Both reserves indicators for every RS year, councils plus an England benchmark."""
    folder = root / FOLDER
    if not folder.is_dir():
        raise SourceError(folder, "source folder not found")
    ecode_to_gss, known_gss, log = _register_lookups(root)
    rows: list[dict[str, object]] = []
    for year, name in RS_FILES.items():
        year_rows, year_log = read_rs_year(folder / name, year, ecode_to_gss, known_gss)
        rows.extend(year_rows)
        log.extend(year_log)
    log.append(
        f"not read: {RSX_FILE} (2024-25 service expenditure only; it has no reserves lines)"
    )
    log.append(
        "left out: interest payable as % of net revenue expenditure: the General Fund's share of interest "
        "depends on the HRA item 8 transfer (line 783), which nets to below zero for some councils"
    )
    values = pd.DataFrame(rows) if rows else empty_values()
    return SourceResult(indicators=_indicators(), values=finalise_values(values), log=log)
