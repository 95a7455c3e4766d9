"""Bring your own data: read an uploaded CSV and check it, purely (no Streamlit, no database).

`validate_upload` never raises on file content: every problem becomes an `Issue` that names the
spreadsheet row (the heading row is row 1) and says how to fix it. Only a clean file yields values,
in the store's value layout, keyed on current council codes.

Rules, written down once:

* Encodings. UTF-8 (with or without a byte-order mark) is read as is. UTF-16 with a byte-order
  mark (Excel's "Unicode text") is decoded, not refused. Anything else that is not valid UTF-8 is
  read as Windows-1252 (Excel's plain "CSV", where the pound sign is byte A3) and a notice says
  so. Binary files, Excel workbooks and text that is neither are refused.
* Delimiters. Comma, tab, semicolon and pipe are tried; the one that splits the heading row into
  the most columns consistently with the data rows wins. In a semicolon file a comma inside a
  number is refused (it could be a decimal comma or a thousands separator). A row with more or
  fewer cells than the headings is refused, never shifted.
* Numbers. Plain decimals and scientific notation; "1,234" thousands separators; a leading "£" or a
  trailing "%" is stripped with a warning. inf, NaN and numbers too large to store are refused.
* Markers (GSS shorthand). [x] [c] [z] [u] (brackets optional) become the status; "..", ":" and
  "-" become status x ("not available", never zero). "12.3 [u]" keeps 12.3 with status u; [e],
  [p] and [r] after a number are kept as a note (estimated, provisional, revised). A blank cell is
  stored as not available [x], with a warning.
* Negative values, decided from the unit (`value_rule`): a unit that describes a change
  ("change", "difference", "net", "gap", "points"...) allows anything. A percentage ("%",
  "percent") must lie from 0 to 100. Money ("£", "pounds", "cost", "spend") may be negative
  (net figures). Rates ("per ...", "rate") and counts or physical quantities ("number", "people",
  "households", "tonnes", "years"...) may not. Any other unit (scores, indices, ratios) allows
  negatives. The rule applies to the value; numerators and denominators may never be negative
  and a denominator may not be zero.
* Formula-like cells (starting with = + - or @ and not a number, e.g. "=1+1") are refused, so no
  upload can carry a formula into a later CSV export. "-3.2" is a number.
* Periods: "2023-24", "2023/24", "2023-2024", "FY2023/24" (financial year from 1 April; a pair of
  consecutive years is always read as a financial year, so "2011-12" is never December 2011),
  "2023" (calendar year), "2021-2025" (multi-year), "Q1 2024"/"2024 Q1" (calendar quarter),
  "2023-24 Q1" (financial quarter, from April), "2024-03" or "March 2024" (month), "2024-03-31" or
  "31/03/2024" (a date), "mid-2023" (30 June).
* Councils: by GSS code, or by name ignoring case, punctuation and words such as "council",
  "borough", "district", "city of". Retired codes (and retired councils' names) are carried to
  their successor through the lineage table with a notice; a code whose area was split or only
  partly taken over is refused, because a figure cannot be divided.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # matches Streamlit's server.maxUploadSize = 5 (MB)
MAX_ROWS = 20_000  # data rows in the file, and figures after a wide table is unpivoted
MAX_ISSUES = 100  # errors listed before the rest are summarised in one line
MAX_NOTE_CHARS = 500
MAX_CELL_CHARS = 10_000

POLARITIES: tuple[str, ...] = ("higher_better", "lower_better", "none")
TIERS: tuple[str, ...] = ("lower", "upper")
VALUE_LAYOUT: tuple[str, ...] = (
    "area_code", "period", "period_start", "value", "lower", "upper", "numerator", "denominator",
    "status", "note",
)
NUMBER_COLUMNS: tuple[str, ...] = ("value", "lower", "upper", "numerator", "denominator")
PERIOD_EXAMPLES = "2023-24 (financial year), 2023 (calendar year), Q1 2024, 2024-03 or 2024-03-31"


@dataclass(frozen=True)
class UploadMeta:
    """What the person says about their figures; `source` is required (where the figures came from)."""

    title: str
    unit: str
    polarity: str  # one of POLARITIES
    tier: str  # one of TIERS
    source: str


@dataclass(frozen=True)
class Issue:
    """One finding: the spreadsheet row (heading = 1) and column it concerns, and what to do."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class ValidationReport:
    """The outcome of a check: values only when `ok` (no errors); warnings and notices never block."""

    ok: bool
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    notices: list[Issue] = field(default_factory=list)
    values: pd.DataFrame | None = None
    format: str | None = None  # "long" or "wide"
    encoding: str | None = None  # "utf-8", "utf-8-sig", "utf-16", "cp1252"
    delimiter: str | None = None

    def summary(self) -> str:
        """Plain text for a terminal: the verdict, then every error, warning and notice."""
        if self.ok and self.values is not None:
            v = self.values
            n, c = len(v), v["area_code"].nunique()
            head = (f"accepted: {n} figure{'s' if n != 1 else ''} for {c} council{'s' if c != 1 else ''} "
                    f"({self.format} table)")
        else:
            head = f"rejected: {len(self.errors)} problem{'s' if len(self.errors) != 1 else ''}"
        lines = [head]
        for label, items in (("error", self.errors), ("warning", self.warnings), ("notice", self.notices)):
            lines.extend(f"  {label}: {i.message}" for i in items)
        return "\n".join(lines)


@dataclass(frozen=True)
class ValueRule:
    """What a figure in this unit may be: `kind` says why, in words for messages."""

    kind: str
    allow_negative: bool
    maximum: float | None


_CHANGE = re.compile(
    r"\b(change|changes|difference|diff|growth|gap|net|balance|surplus|deficit|increase|decrease|"
    r"variance|points?|pp|movement)\b")
_PERCENT = re.compile(r"%|\bper ?cent\b|\bpercentage\b|\bpercent\b")
_MONEY = re.compile(r"£|\bpounds?\b|\bgbp\b|\bcost\b|\bspend\b|\bspending\b|\bexpenditure\b|\bincome\b")
_RATE = re.compile(r"\bper\b|\brate\b|/")
_COUNT = re.compile(
    r"\b(count|counts|number|numbers|people|persons|households|dwellings|homes|incidents|cases|"
    r"children|adults|pupils|residents|units|tonnes|kg|km|km2|hectares|years|days|hours|weeks|minutes)\b")


def value_rule(unit: str) -> ValueRule:
    """The sign and range a figure may take, decided from the unit's wording (see module docstring)."""
    u = unit.lower()
    if _CHANGE.search(u):
        return ValueRule("a change", True, None)
    if _PERCENT.search(u):
        return ValueRule("a percentage", False, 100.0)
    if _MONEY.search(u):
        return ValueRule("an amount of money", True, None)
    if _RATE.search(u):
        return ValueRule("a rate", False, None)
    if _COUNT.search(u):
        return ValueRule("a count or quantity", False, None)
    return ValueRule("a score or index", True, None)


# ---------------------------------------------------------------------------------------------
# Periods

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_SEP = r"\s*(?:-|/|–|—|\bto\b)\s*"
_FY = re.compile(rf"(?:fy\s*|financial year\s*)?(\d{{4}}){_SEP}(\d{{2}}|\d{{4}})(?:\s*financial year)?")
_FQ = re.compile(rf"(?:fy\s*)?(\d{{4}}){_SEP}(\d{{2}}|\d{{4}})\s*-?\s*q([1-4])"
                 rf"|q([1-4])\s*(\d{{4}}){_SEP}(\d{{2}}|\d{{4}})")
_CQ = re.compile(r"q([1-4])\s*-?\s*(\d{4})|(\d{4})\s*-?\s*q([1-4])")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_MONTH_NAME = re.compile(r"([a-z]{3})[a-z]*\.?\s+(\d{4})")
_MID = re.compile(r"mid\s*-?\s*(\d{4})")
_YEAR = re.compile(r"(?:cy\s*|calendar year\s*)?(\d{4})")
_YEAR_MIN, _YEAR_MAX = 1900, 2100


def _year_ok(y: int) -> bool:
    return _YEAR_MIN <= y <= _YEAR_MAX


def _second_year(y1: int, tail: str) -> int | None:
    """The end year of "2023-24"/"2023-2024", or None when the two years do not follow on."""
    if len(tail) == 2:
        y2 = y1 - y1 % 100 + int(tail)
        if y2 <= y1:
            y2 += 100
        return y2
    return int(tail)


def parse_period(text: str) -> tuple[str, str] | None:
    """A period label as (canonical label, ISO start date), or None when it is not recognised."""
    s = " ".join(str(text).strip().lower().split())
    if not s or len(s) > 40:
        return None
    m = _FQ.fullmatch(s)
    if m:
        y1s, tail, q = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(5), m.group(6), m.group(4))
        y1 = int(y1s)
        y2 = _second_year(y1, tail)
        if y2 != y1 + 1 or not _year_ok(y1):
            return None
        month = (4, 7, 10, 1)[int(q) - 1]
        year = y1 if int(q) < 4 else y1 + 1
        return f"{y1}-{y2 % 100:02d} Q{q}", f"{year}-{month:02d}-01"
    m = _FY.fullmatch(s)
    if m:
        y1 = int(m.group(1))
        y2 = _second_year(y1, m.group(2))
        if _year_ok(y1) and y2 == y1 + 1:
            return f"{y1}-{y2 % 100:02d}", f"{y1}-04-01"
        if _year_ok(y1) and y2 is not None and len(m.group(2)) == 4 and y1 + 1 < y2 <= _YEAR_MAX:
            return f"{y1}-{y2}", f"{y1}-01-01"
    m = _CQ.fullmatch(s)
    if m:
        q, y = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        if _year_ok(int(y)):
            return f"{y} Q{q}", f"{y}-{(int(q) - 1) * 3 + 1:02d}-01"
        return None
    m = _ISO.fullmatch(s)
    if m:
        return _date_label(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _UK_DATE.fullmatch(s)
    if m:
        return _date_label(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = _MONTH.fullmatch(s)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        if _year_ok(y) and 1 <= mo <= 12:
            return f"{y}-{mo:02d}", f"{y}-{mo:02d}-01"
        return None
    m = _MONTH_NAME.fullmatch(s)
    if m and m.group(1) in _MONTHS and s.split()[0] in _month_words(m.group(1)):
        y, mo = int(m.group(2)), _MONTHS[m.group(1)]
        if _year_ok(y):
            return f"{y}-{mo:02d}", f"{y}-{mo:02d}-01"
        return None
    m = _MID.fullmatch(s)
    if m and _year_ok(int(m.group(1))):
        return f"mid-{m.group(1)}", f"{m.group(1)}-06-30"
    m = _YEAR.fullmatch(s)
    if m and _year_ok(int(m.group(1))):
        return m.group(1), f"{m.group(1)}-01-01"
    return None


def _month_words(abbrev: str) -> set[str]:
    full = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
            "october", "november", "december")[_MONTHS[abbrev] - 1]
    return {abbrev, abbrev + ".", full, "sept"} if abbrev == "sep" else {abbrev, abbrev + ".", full}


def _date_label(y: int, mo: int, d: int) -> tuple[str, str] | None:
    if not _year_ok(y):
        return None
    try:
        iso = dt.date(y, mo, d).isoformat()
    except ValueError:
        return None
    return iso, iso


# ---------------------------------------------------------------------------------------------
# Cells

_NUM = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_MARKERS: dict[str, str] = {
    "[x]": "x", "[c]": "c", "[z]": "z", "[u]": "u", "x": "x", "c": "c", "z": "z", "u": "u",
    "..": "x", ":": "x", "-": "x", "–": "x",
}
_FLAG_NOTES = {"e": "estimated", "p": "provisional", "r": "revised"}
_SUFFIX_MARKER = re.compile(r"(.*?)\s*\[([a-z]{1,4})\]", re.IGNORECASE)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_GSS = re.compile(r"[A-Za-z]\d{8}")


def _clean(cell: str) -> str:
    """Whitespace trimmed, non-breaking spaces and the Unicode minus made plain."""
    return cell.replace("\u00a0", " ").replace("\u2212", "-").replace("\ufeff", "").strip()


def _is_formula(cell: str) -> bool:
    """Starts like a spreadsheet formula (= + - @) but is not a number or a marker."""
    s = cell.strip()
    return bool(s) and s.startswith(_FORMULA_START) and s not in _MARKERS and not _NUM.fullmatch(s) \
        and not _GROUPED.fullmatch(s)


def _formula_message(row: int, col: str, cell: str) -> str:
    return (f"Row {row} ({col}): '{_show(cell)}' looks like a spreadsheet formula. Level Measures "
            f"does not accept formulas; type the figure or text itself (without the leading "
            f"'{cell.strip()[:1]}').")


def _show(cell: str, limit: int = 40) -> str:
    """A cell as it can be quoted back in a message: one line, cut short."""
    s = " ".join(str(cell).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


@dataclass
class _Number:
    value: float | None = None
    status: str = ""
    note: str = ""
    error: str | None = None
    blank: bool = False
    stripped: str = ""  # "£" or "%" when a sign was taken off


def _parse_number(raw: str, delimiter: str) -> _Number:
    """A cell read as a figure, a GSS marker, blank, or an error message (without the row prefix)."""
    s = _clean(raw)
    if not s:
        return _Number(blank=True)
    low = s.lower()
    if low in _MARKERS:
        return _Number(status=_MARKERS[low], note=f"shown as {s} in the upload" if low in ("..", ":", "-", "–")
                       else "")
    out = _Number()
    m = _SUFFIX_MARKER.fullmatch(s)
    if m and m.group(1):
        flag = m.group(2).lower()
        if flag == "u":
            out.status = "u"
        elif flag in _FLAG_NOTES:
            out.note = _FLAG_NOTES[flag]
        elif flag in ("x", "c", "z"):
            return _Number(error=f"'{_show(s)}' has a number and the marker [{flag}] together: a figure "
                                 f"marked [{flag}] has no value. Keep either the number or the marker.")
        else:
            return _Number(error=f"'{_show(s)}' ends with an unknown marker [{flag}]. Use [u] (low "
                                 f"reliability), [e], [p] or [r] after a number, or remove it.")
        s = m.group(1).strip()
    sign = ""
    if s[:1] in "+-" and s[1:2] == "£":
        sign, s = s[0], s[1:]
    if s.startswith("£"):
        s, out.stripped = s[1:].strip(), "£"
    elif s.endswith("%"):
        s, out.stripped = s[:-1].strip(), "%"
    s = sign + s
    if _NUM.fullmatch(s):
        number = float(s)
    elif delimiter == ";" and "," in s and re.fullmatch(r"[+-]?[\d,]*\.?\d*", s):
        return _Number(error=f"'{_show(raw.strip())}' has a comma in it, and in a semicolon-separated "
                             f"file that could be a decimal comma or a thousands separator. Write it "
                             f"with a decimal point and no thousands separators (e.g. 1234.5).")
    elif _GROUPED.fullmatch(s):
        number = float(s.replace(",", ""))
    elif s.lower().lstrip("+-") in ("inf", "infinity", "nan", "#num!", "#div/0!", "#value!", "#n/a"):
        return _Number(error=f"'{_show(s)}' is not a finite number. Type the figure, or [x] if it is "
                             f"not available.")
    elif s.startswith(_FORMULA_START) and not _NUM.fullmatch(s.lstrip("+-")):
        return _Number(error="__formula__")
    elif "," in s and re.fullmatch(r"[+-]?[\d,]*\.?\d*", s):
        hint = ("a decimal comma" if re.fullmatch(r"[+-]?\d+,\d{1,2}", s) else
                "misplaced thousands separators")
        return _Number(error=f"'{_show(s)}' is not a number we can read: it looks like {hint}. Write "
                             f"numbers with a decimal point, like 1234.5 or 1,234.5.")
    else:
        return _Number(error=f"'{_show(raw.strip())}' is not a number. Type a number such as 12.5, or "
                             f"a marker such as [x] (not available) or [c] (confidential).")
    if not math.isfinite(number):
        return _Number(error=f"'{_show(s)}' is too large to be stored as a number. Check the figure.")
    out.value = number
    return out


# ---------------------------------------------------------------------------------------------
# Councils

_PREFIXES = ("the ", "city and county of ", "city of ", "county of ", "royal borough of ",
             "london borough of ", "metropolitan borough of ", "borough of ", "council of the ",
             "council of ", "county ")
_SUFFIXES = (" metropolitan borough council", " metropolitan district council", " borough council",
             " district council", " city council", " county council", " council", " metropolitan borough",
             " metropolitan district", " borough", " district", " city", " county", " corporation",
             " city of", " county of", " unitary authority", " ua")
# Everyday names that differ from the register's, by loose key.
NAME_ALIASES: dict[str, str] = {
    "hull": "E06000010",
    "kingston upon hull": "E06000010",
    "bristol": "E06000023",
    "durham": "E06000047",
    "herefordshire": "E06000019",
    "bcp": "E06000058",
    "saint helens": "E08000013",
    "st helens": "E08000013",
    "southend": "E06000033",
    "stoke": "E06000021",
    "telford": "E06000020",
    "brighton": "E06000043",
    "brighton hove": "E06000043",
    "banes": "E06000022",
    "bath and ne somerset": "E06000022",
    "bath ne somerset": "E06000022",
    "blackburn": "E06000008",
    "kings lynn": "E07000146",
}
_NATIONS = {"W": "Welsh", "S": "Scottish", "N": "Northern Irish", "K": "UK or Great Britain"}
_E_PREFIXES = {
    "E92": "England as a whole", "E12": "a region", "E47": "a combined authority",
    "E11": "a metropolitan county", "E13": "Inner or Outer London", "E01": "an LSOA (small area)",
    "E02": "an MSOA (small area)", "E05": "an electoral ward", "E14": "a parliamentary constituency",
    "E38": "an NHS sub-ICB area", "E54": "an integrated care board",
}


def _fold(text: str) -> str:
    """Lower case, accents and punctuation gone, '&' as 'and'."""
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    s = s.lower().replace("&", " and ")
    s = re.sub(r"['`.]", "", s)
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


def _loose(text: str) -> str:
    """The folded name without 'council', 'borough', 'city of' and the like."""
    s = _fold(text)
    changed = True
    while changed:
        changed = False
        for p in _PREFIXES:
            if s.startswith(p) and len(s) > len(p) and s != "city of london":
                s, changed = s[len(p):], True
        for x in _SUFFIXES:
            if s.endswith(x) and len(s) > len(x):
                s, changed = s[: -len(x)], True
    return s


@dataclass(frozen=True)
class _Place:
    code: str
    name: str
    is_lower: bool
    is_upper: bool
    type_code: str


@dataclass(frozen=True)
class _Resolved:
    code: str | None  # current code the figure goes to
    error: str | None = None
    notice: str | None = None
    origin: str | None = None  # the retired code, when mapped


class _Gazetteer:
    """Current councils and retired codes, with name look-ups (exact first, then loose)."""

    def __init__(self, authorities: pd.DataFrame, lineage: pd.DataFrame) -> None:
        self.current: dict[str, _Place] = {}
        for rec in authorities.to_dict("records"):
            code = str(rec["area_code"]).upper()
            self.current[code] = _Place(code, str(rec.get("area_name", code)), bool(rec.get("is_lower", True)),
                                        bool(rec.get("is_upper", True)), str(rec.get("type_code", "")))
        self.links: dict[str, list[dict[str, str]]] = defaultdict(list)
        for rec in lineage.to_dict("records"):
            self.links[str(rec["old_code"]).upper()].append({str(k): str(v) for k, v in rec.items()})
        self.exact: dict[str, set[str]] = defaultdict(set)
        self.exact_retired: dict[str, set[str]] = defaultdict(set)
        self.loose: dict[str, set[str]] = defaultdict(set)
        self.loose_retired: dict[str, set[str]] = defaultdict(set)
        for rec in authorities.to_dict("records"):
            code = str(rec["area_code"]).upper()
            for col in ("area_name", "official_name"):
                name = str(rec.get(col, "") or "")
                if name:
                    self.exact[_fold(name)].add(code)
                    self.loose[_loose(name)].add(code)
        for old, links in self.links.items():
            if old in self.current:
                continue
            name = links[0].get("old_name", "")
            if name:
                self.exact_retired[_fold(name)].add(old)
                self.loose_retired[_loose(name)].add(old)
        for key, code in NAME_ALIASES.items():
            if code in self.current and key not in self.loose:
                self.loose[key].add(code)
        self.display = sorted({p.name for p in self.current.values()})

    def name_of(self, code: str) -> str:
        if code in self.current:
            return self.current[code].name
        links = self.links.get(code)
        return links[0].get("old_name", code) if links else code

    def by_name(self, name: str) -> tuple[str | None, str | None]:
        """A code for a name, or (None, reason)."""
        folded, loose = _fold(name), _loose(name)
        for key, table in ((folded, self.exact), (folded, self.exact_retired), (loose, self.loose),
                           (loose, self.loose_retired)):
            codes = table.get(key)
            if codes:
                if len(codes) == 1:
                    return next(iter(codes)), None
                names = " and ".join(f"{self.name_of(c)} ({c})" for c in sorted(codes))
                return None, (f"'{_show(name)}' could be {names}. Use the council's GSS code instead of "
                              f"its name.")
        guess = difflib.get_close_matches(name.strip(), self.display, n=1, cutoff=0.75)
        hint = f" Did you mean '{guess[0]}'?" if guess else " Check the spelling, or use its GSS code."
        return None, f"'{_show(name)}' is not the name of an English council we know.{hint}"

    def by_code(self, code: str, tier: str) -> _Resolved:
        """Where a code's figure goes: itself, its successor (with a notice), or an error."""
        if code in self.current:
            return self._tier_check(_Resolved(code), code, tier)
        if code[0] in _NATIONS:
            nation = _NATIONS[code[0]]
            return _Resolved(None, error=(f"{code} is a {nation} code. Level Measures compares English "
                                          f"councils only: remove the rows for Welsh, Scottish and "
                                          f"Northern Irish areas."))
        links = self.links.get(code)
        if not links:
            what = _E_PREFIXES.get(code[:3])
            if what:
                return _Resolved(None, error=(f"{code} is the code for {what}, not a council. Keep only "
                                              f"council rows (codes starting E06, E07, E08, E09 or E10)."))
            return _Resolved(None, error=(f"{code} is not the code of an English council we know (current "
                                          f"or retired since 2019). Check the code, or use the council's "
                                          f"name."))
        old_name = links[0].get("old_name", code)
        kinds = {link.get("kind", "") for link in links}
        if kinds & {"split", "partial"}:
            succ = " and ".join(sorted({f"{ln['new_name']} ({ln['new_code']})" for ln in links}))
            reason = links[0].get("reason", "")
            return _Resolved(None, error=(f"{code} ({old_name}) is a retired code whose area went to "
                                          f"{succ}: {reason}. Its figure cannot be divided between "
                                          f"councils; remove the row, or give figures for the current "
                                          f"councils instead."))
        if tier == "upper" and code.startswith("E07"):
            return _Resolved(None, error=(f"{code} ({old_name}) was a district council, which does not run "
                                          f"upper-tier services. Remove it from an upper-tier upload."))
        if tier == "lower" and code.startswith("E10"):
            return _Resolved(None, error=(f"{code} ({old_name}) was a county council, which does not run "
                                          f"lower-tier (district) services. Remove it from a lower-tier "
                                          f"upload."))
        target, kind, seen = code, "recode", {code}
        while target not in self.current:
            nexts = sorted({ln["new_code"].upper() for ln in self.links.get(target, [])})
            if len(nexts) != 1 or nexts[0] in seen:
                return _Resolved(None, error=(f"{code} ({old_name}) is a retired code that cannot be "
                                              f"carried to one current council. Use the current code."))
            kind = "merger" if any(ln.get("kind") == "merger" for ln in self.links[target]) else kind
            target = nexts[0]
            seen.add(target)
        new_name = self.current[target].name
        notice = f"{code} ({old_name}) is a retired code; its figure was mapped to {new_name} ({target})"
        if kind == "merger":
            notice += (f". {old_name} is only part of {new_name}: check that the figure is meant to "
                       f"stand for the whole of {new_name}")
        return self._tier_check(_Resolved(target, notice=notice, origin=code), target, tier)

    def _tier_check(self, res: _Resolved, code: str, tier: str) -> _Resolved:
        place = self.current[code]
        if tier == "lower" and not place.is_lower:
            return _Resolved(None, error=(f"{place.name} ({code}) is a county council, which does not run "
                                          f"lower-tier (district) services. This upload is for lower-tier "
                                          f"councils: remove county rows, or upload them separately as "
                                          f"upper tier."))
        if tier == "upper" and not place.is_upper:
            return _Resolved(None, error=(f"{place.name} ({code}) is a district council, which does not "
                                          f"run upper-tier services. This upload is for upper-tier "
                                          f"councils: remove district rows, or upload them separately as "
                                          f"lower tier."))
        return res


# ---------------------------------------------------------------------------------------------
# Headings

_HEADINGS: dict[str, set[str]] = {
    "code": {"code", "areacode", "gsscode", "gss", "lacode", "ladcode", "lacd", "ladcd", "areacd",
             "onscode", "councilcode", "authoritycode", "geographycode", "localauthoritycode", "utlacode",
             "ltlacode", "oldlacode", "newlacode"},
    "name": {"name", "areaname", "council", "councilname", "laname", "localauthority",
             "localauthorityname", "authority", "authorityname", "areanm", "ladnm", "geographyname",
             "geography", "utlaname", "ltlaname"},
    "period": {"period", "year", "timeperiod", "financialyear", "date", "periodlabel", "time", "years"},
    "value": {"value", "figure", "val", "obsvalue", "observation", "amount"},
    "lower": {"lower", "lowerci", "lowercl", "lcl", "lowerbound", "lowerlimit", "lower95ci", "lower95cl",
              "cilower", "lowerconfidencelimit", "lowerconfidenceinterval", "lci"},
    "upper": {"upper", "upperci", "uppercl", "ucl", "upperbound", "upperlimit", "upper95ci", "upper95cl",
              "ciupper", "upperconfidencelimit", "upperconfidenceinterval", "uci"},
    "numerator": {"numerator", "num"},
    "denominator": {"denominator", "denom", "base"},
    "status": {"status", "marker", "flag", "statusmarker", "markers"},
    "note": {"note", "notes", "comment", "comments", "footnote", "footnotes"},
}
_ONS_CODE = re.compile(r"(lad|utla|ltla|cty|ctyua|ua|la|lau)\d{2}cd")
_ONS_NAME = re.compile(r"(lad|utla|ltla|cty|ctyua|ua|la|lau)\d{2}nm")


def _heading_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _clean(text).lower())


def canonical_heading(text: str) -> str | None:
    """The standard column a heading stands for ('Area Code' -> 'code'), or None."""
    key = _heading_key(text)
    for canon, names in _HEADINGS.items():
        if key in names:
            return canon
    if _ONS_CODE.fullmatch(key):
        return "code"
    if _ONS_NAME.fullmatch(key):
        return "name"
    return None


def _col_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column as a spreadsheet shows it."""
    letters = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _rows_text(rows: Iterable[int], limit: int = 8) -> str:
    """'row 4', 'rows 4, 7 and 9', 'rows 4, 5, 6 and 20 more'."""
    items = sorted(set(rows))
    if len(items) == 1:
        return f"row {items[0]}"
    if len(items) <= limit:
        return "rows " + ", ".join(map(str, items[:-1])) + f" and {items[-1]}"
    return "rows " + ", ".join(map(str, items[:limit])) + f" and {len(items) - limit} more"


# ---------------------------------------------------------------------------------------------
# Bytes -> text -> records


class _Reject(Exception):
    """Stops the check early: the file cannot be read far enough to say more."""


class _Collector:
    def __init__(self) -> None:
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.notices: list[Issue] = []
        self.extra_errors = 0

    def error(self, row: int | None, column: str | None, message: str) -> None:
        if len(self.errors) >= MAX_ISSUES:
            self.extra_errors += 1
        else:
            self.errors.append(Issue(row, column, message))

    def stop(self, row: int | None, column: str | None, message: str) -> _Reject:
        self.error(row, column, message)
        return _Reject()

    def finish(self) -> None:
        if self.extra_errors:
            self.errors.append(Issue(None, None, f"…and {self.extra_errors} more problems not listed. Fix "
                                                 f"the ones above and upload again to see the rest."))


def decode(data: bytes) -> tuple[str, str]:
    """Bytes to text and the encoding used; raises ValueError with a plain message when unreadable."""
    if data.startswith(b"PK\x03\x04"):
        raise ValueError("This looks like an Excel workbook (.xlsx) or another zipped file, not a CSV file. "
                         "In Excel choose File > Save As > 'CSV UTF-8 (Comma delimited)' and upload that.")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValueError("This looks like an old Excel workbook (.xls), not a CSV file. In Excel choose "
                         "File > Save As > 'CSV UTF-8 (Comma delimited)' and upload that.")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ValueError("The file says it is UTF-8 but contains bytes that are not UTF-8 (around byte "
                             f"{exc.start}). Save it again as 'CSV UTF-8'.") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ValueError("The file says it is UTF-16 but cannot be read as UTF-16. Save it as "
                             "'CSV UTF-8' and upload that.") from exc
        if "\x00" in text:
            raise ValueError("The file contains binary data (it may be UTF-32 or not a text file). Save it as "
                             "'CSV UTF-8' and upload that.")
        return text, "utf-16"
    if b"\x00" in data:
        head = data[:4000]
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if len(data) % 2 == 0 and max(odd, even) > len(head) // 4 and min(odd, even) == 0:
            try:
                text = data.decode("utf-16-le" if odd else "utf-16-be")
            except UnicodeDecodeError:
                text = "\x00"
            if "\x00" not in text:
                return text, "utf-16"
        raise ValueError("The file contains binary data, so it is not a CSV text file. Save your table as "
                         "'CSV UTF-8' and upload that.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ValueError("The file's text encoding could not be recognised (it is neither UTF-8 nor "
                         "Windows-1252). Save it as 'CSV UTF-8' and upload that.") from exc


_DELIMITERS = (",", "\t", ";", "|")
_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


def sniff_delimiter(text: str) -> str | None:
    """The delimiter that splits the heading row into most columns consistently, or None."""
    lines = [ln for ln in text.splitlines() if ln.strip().strip(",;\t|")][:50]
    if not lines:
        return None
    best: tuple[float, int, int] | None = None
    choice: str | None = None
    for rank, d in enumerate(_DELIMITERS):
        try:
            rows = list(csv.reader(lines, delimiter=d))
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(_trim(rows[0]))
        if width < 2:
            continue
        same = sum(1 for r in rows if len(_trim(r)) == width or len(r) == len(rows[0])) / len(rows)
        score = (same, width, -rank)
        if best is None or score > best:
            best, choice = score, d
    return choice


def _trim(cells: list[str]) -> list[str]:
    """Cells without trailing empty ones (Excel pads rows with commas)."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _records(text: str, delimiter: str, out: _Collector) -> list[tuple[int, list[str]]]:
    """(spreadsheet row, cells) for every record, blank ones included; stops at MAX_ROWS."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    row = filled = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            detail = str(exc)
            if "field larger" in detail:
                raise out.stop(row + 1, None, f"Row {row + 1} has a cell longer than 131,072 characters. "
                                              "Check that the file is a table of figures.") from exc
            raise out.stop(row + 1, None, (f"Row {row + 1}: the quotation marks do not pair up ({detail}), so "
                                           f"the rows after it cannot be read reliably. Check for a stray \" "
                                           f"in or after row {row + 1}.")) from exc
        row += 1
        records.append((row, cells))
        filled += any(c.strip() for c in cells)
        if filled > MAX_ROWS + 2:  # heading + MAX_ROWS + 1 is enough to know the file is too long
            break
    return records


# ---------------------------------------------------------------------------------------------
# The check


def validate_upload(data: bytes, authorities: pd.DataFrame, lineage: pd.DataFrame,
                    meta: UploadMeta) -> ValidationReport:
    """Read and check an uploaded CSV; never raises on content. Values come back only when ok."""
    out = _Collector()
    report = ValidationReport(ok=False)
    try:
        _validate(data, authorities, lineage, meta, out, report)
    except _Reject:
        pass
    except Exception as exc:  # a fault in this module must still come back as a report, not a crash
        out.error(None, None, f"Level Measures could not check this file because of an internal fault "
                              f"({type(exc).__name__}). Please report it with the file attached.")
    out.finish()
    report.errors, report.warnings, report.notices = out.errors, out.warnings, out.notices
    report.ok = not out.errors and report.values is not None
    if not report.ok:
        report.values = None
    return report


def _check_meta(meta: UploadMeta, out: _Collector) -> None:
    for name, limit in (("title", 200), ("unit", 60), ("source", 1000)):
        text = str(getattr(meta, name) or "").strip()
        if not text:
            what = {"title": "a title", "unit": "a unit (for example '%', 'per 1,000 people' or "
                    "'£ per head')", "source": "the source of the figures (who published them, or "
                    "how they were collected)"}[name]
            out.error(None, name, f"Give {what}; it is shown beside every chart of these figures.")
        elif len(text) > limit:
            out.error(None, name, f"The {name} is {len(text)} characters long; keep it under {limit}.")
        elif _is_formula(text):
            out.error(None, name, f"The {name} '{_show(text)}' looks like a spreadsheet formula; type plain "
                                  f"text.")
    if meta.polarity not in POLARITIES:
        out.error(None, "polarity", f"Polarity '{_show(str(meta.polarity))}' is not one of higher_better, "
                                    f"lower_better or none.")
    if meta.tier not in TIERS:
        out.error(None, "tier", f"Tier '{_show(str(meta.tier))}' is not lower or upper; say whether the "
                                f"figures are for district-level (lower) or county-level (upper) services.")


def _validate(data: bytes, authorities: pd.DataFrame, lineage: pd.DataFrame, meta: UploadMeta,
              out: _Collector, report: ValidationReport) -> None:
    _check_meta(meta, out)
    if len(data) > MAX_UPLOAD_BYTES:
        raise out.stop(None, None, f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
                                   f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB. Upload one indicator at a time, "
                                   f"without extra columns.")
    if not data.strip():
        raise out.stop(None, None, "The file is empty. Upload a CSV file with a heading row (code, period, "
                                   "value) and one row per council and period.")
    try:
        text, encoding = decode(data)
    except ValueError as exc:
        raise out.stop(None, None, str(exc)) from exc
    report.encoding = encoding
    if encoding == "cp1252":
        out.notices.append(Issue(None, None, "The file is not UTF-8, so it was read as Windows-1252 (Excel's "
                                             "ordinary CSV). Check that names with accents and any £ signs "
                                             "look right; saving as 'CSV UTF-8' avoids the question."))
    elif encoding == "utf-16":
        out.notices.append(Issue(None, None, "The file is UTF-16 (Excel's 'Unicode text'); it was decoded "
                                             "as such."))
    if not text.strip().strip(",;\t|\r\n "):
        raise out.stop(None, None, "The file is empty. Upload a CSV file with a heading row (code, period, "
                                   "value) and one row per council and period.")
    delimiter = sniff_delimiter(text)
    if delimiter is None:
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        raise out.stop(1, None, (f"Only one column was found in the heading row ('{_show(first, 60)}'). "
                                 f"Columns must be separated by commas (or semicolons or tabs), with at "
                                 f"least a council column (code or name), a period and a value."))
    report.delimiter = delimiter
    records = _records(text, delimiter, out)
    tier = meta.tier if meta.tier in TIERS else "lower"
    gaz = _Gazetteer(authorities, lineage)
    _Table(records, delimiter, tier, meta, gaz, out, report).run()


@dataclass
class _Row:
    row: int
    code: str
    origin: str | None
    period: str
    start: str
    column: str  # where the figure came from (for messages)
    value: float | None
    lower: float | None = None
    upper: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    status: str = ""
    note: str = ""


class _Table:
    """One pass over the records: headings, then each row, then checks across rows."""

    def __init__(self, records: list[tuple[int, list[str]]], delimiter: str, tier: str, meta: UploadMeta,
                 gaz: _Gazetteer, out: _Collector, report: ValidationReport) -> None:
        self.records, self.delimiter, self.tier, self.gaz = records, delimiter, tier, gaz
        self.meta, self.out, self.report = meta, out, report
        self.rule = value_rule(meta.unit or "")
        self.rows: list[_Row] = []
        self.blank_cells: list[int] = []
        self.stripped: dict[str, list[int]] = defaultdict(list)
        self.retired: dict[str, list[int]] = defaultdict(list)
        self.retired_text: dict[str, str] = {}
        self.area_cache: dict[tuple[str, str], tuple[_Resolved, str | None]] = {}
        self.warned: set[tuple[str, str]] = set()
        self.name_matches: dict[str, str] = {}
        self.periods: dict[int, tuple[str, str]] = {}
        self.unnamed: list[int] = []

    # headings --------------------------------------------------------------------------------
    def run(self) -> None:
        out = self.out
        content = [(r, c) for r, c in self.records if any(_clean(x) for x in c)]
        if not content:
            raise out.stop(None, None, "The file is empty. Upload a CSV file with a heading row (code, "
                                       "period, value) and one row per council and period.")
        head_row, header = content[0]
        body = content[1:]
        if not body:
            raise out.stop(head_row, None, "The file has a heading row but no data rows. Add one row per "
                                           "council and period under the headings.")
        if len(body) > MAX_ROWS:
            raise out.stop(None, None, f"The file has more than {MAX_ROWS:,} data rows; the limit is "
                                       f"{MAX_ROWS:,}. Upload one indicator at a time.")
        last = body[-1][0]
        blanks = [r for r, c in self.records if head_row < r < last and not any(_clean(x) for x in c)]
        if blanks:
            out.warnings.append(Issue(blanks[0], None, f"{_rows_text(blanks).capitalize()} "
                                                       f"{'is' if len(blanks) == 1 else 'are'} blank and "
                                                       f"{'was' if len(blanks) == 1 else 'were'} skipped."))
        columns = self._headings(head_row, header, body)
        if self.report.format == "wide" and len(body) * len(self.periods) > MAX_ROWS:
            raise out.stop(None, None, (f"The file holds {len(body) * len(self.periods):,} figures "
                                        f"({len(body):,} rows by {len(self.periods)} periods); the limit is "
                                        f"{MAX_ROWS:,}. Upload fewer periods or one indicator at a time."))
        self._body(head_row, header, body, columns)
        self._across()

    def _headings(self, head_row: int, header: list[str], body: list[tuple[int, list[str]]]
                  ) -> dict[str, int]:
        out = self.out
        cells = [_clean(h) for h in header]
        for i, h in enumerate(cells):
            if _is_formula(h):
                out.error(head_row, _col_letter(i), _formula_message(head_row, f"column {_col_letter(i)}", h))
        first = cells[0] if cells else ""
        if _GSS.fullmatch(first) or _NUM.fullmatch(first):
            raise out.stop(head_row, None, (f"Row {head_row} looks like data ('{_show(first)}'), not column "
                                            f"headings. Add a heading row such as: code,period,value."))
        canon: dict[str, int] = {}
        periods: dict[int, tuple[str, str]] = {}
        unknown: list[int] = []
        for i, h in enumerate(cells):
            if not h:
                self.unnamed.append(i)
                continue
            c = canonical_heading(h)
            if c is not None:
                if c in canon:
                    j = canon[c]
                    out.error(head_row, _col_letter(i),
                              f"Row {head_row}: columns {_col_letter(j)} ('{_show(cells[j])}') and "
                              f"{_col_letter(i)} ('{_show(h)}') are both read as the {c} column. Keep one "
                              f"and delete or rename the other.")
                else:
                    canon[c] = i
                continue
            p = parse_period(h)
            if p is not None:
                periods[i] = p
            else:
                unknown.append(i)
        names_seen: dict[str, int] = {}
        for i, h in enumerate(cells):
            key = h.lower()
            if key and key in names_seen and canonical_heading(h) is None and parse_period(h) is None:
                out.error(head_row, _col_letter(i),
                          f"Row {head_row}: the heading '{_show(h)}' appears twice (columns "
                          f"{_col_letter(names_seen[key])} and {_col_letter(i)}). Each column needs its own "
                          f"heading.")
            names_seen.setdefault(key, i)
        if "code" not in canon and "name" not in canon:
            raise out.stop(head_row, None, (f"Row {head_row}: there is no council column. Add a column "
                                            f"headed 'code' (GSS codes such as E07000163) or 'name' "
                                            f"(council names). Headings found: "
                                            f"{', '.join(_show(h, 20) for h in cells if h) or 'none'}."))
        if "value" in canon or "period" in canon:
            self.report.format = "long"
            missing = [c for c in ("period", "value") if c not in canon]
            if missing:
                raise out.stop(head_row, None, (f"Row {head_row}: the {' and '.join(missing)} column"
                                                f"{'s are' if len(missing) > 1 else ' is'} missing. A long "
                                                f"table needs columns code (or name), period and value."))
            ignored = unknown + list(periods)
            if ignored:
                listed = ", ".join(f"{_col_letter(i)} ('{_show(cells[i], 20)}')" for i in sorted(ignored))
                verb = "were" if len(ignored) > 1 else "was"
                out.warnings.append(Issue(head_row, None, f"Column{'s' if len(ignored) > 1 else ''} {listed} "
                                                          f"{verb} not recognised and {verb} ignored."))
            return canon
        self.report.format = "wide"
        wide_extra = [c for c in canon if c not in ("code", "name")]
        if wide_extra:
            raise out.stop(head_row, None, (f"Row {head_row}: there is no value column, so this was read as "
                                            f"a wide table (one column per period), but it also has "
                                            f"{', '.join(wide_extra)} column(s). Either add a 'value' column "
                                            f"and a 'period' column (long table), or keep only the council "
                                            f"column and one column per period."))
        for i in unknown:
            out.error(head_row, _col_letter(i),
                      f"Row {head_row}, column {_col_letter(i)}: the heading '{_show(cells[i])}' is not a "
                      f"period we recognise. In a wide table every column after the council column is a "
                      f"period, such as {PERIOD_EXAMPLES}.")
        if not periods and not unknown:
            raise out.stop(head_row, None, (f"Row {head_row}: there is no value column and no period "
                                            f"columns. Use columns code, period, value (long table), or "
                                            f"a council column followed by one column per period (wide)."))
        seen: dict[str, int] = {}
        for i, (label, _start) in sorted(periods.items()):
            if label in seen:
                out.error(head_row, _col_letter(i),
                          f"Row {head_row}: columns {_col_letter(seen[label])} and {_col_letter(i)} are both "
                          f"the period {label}. Keep one.")
            seen.setdefault(label, i)
        self.periods = periods
        return canon

    # rows ------------------------------------------------------------------------------------
    def _body(self, head_row: int, header: list[str], body: list[tuple[int, list[str]]],
              canon: dict[str, int]) -> None:
        out = self.out
        width = len(_trim([_clean(h) for h in header]))
        unnamed_with_data: dict[int, int] = {}
        for row, raw in body:
            cells = list(raw)
            extra = [x for x in cells[len(header):] if _clean(x)]
            if extra:
                out.error(row, None, (f"Row {row} has {len(_trim(cells))} cells but the headings have "
                                      f"{width}: there is an extra cell ('{_show(extra[0])}'). "
                                      f"Often a comma inside a number or a name without quotes causes this; "
                                      f"remove the extra cell or put the text in quotes. Nothing was shifted."))
                continue
            if len(cells) < width:
                out.error(row, None, (f"Row {row} has {len(cells)} cells but the headings have {width}: a "
                                      f"cell is missing. Fill in the row (leave a blank cell with a comma if "
                                      f"a figure is missing). Nothing was shifted."))
                continue
            cells = cells + [""] * (len(header) - len(cells))
            for i in self.unnamed:
                if _clean(cells[i]) and i not in unnamed_with_data:
                    unnamed_with_data[i] = row
            for i, cell in enumerate(cells):
                if len(cell) > MAX_CELL_CHARS:
                    out.error(row, _col_letter(i), f"Row {row}, column {_col_letter(i)}: the cell is "
                                                   f"{len(cell):,} characters long. Shorten it.")
                    cells[i] = ""
            if self.report.format == "long":
                self._long_row(row, cells, canon)
            else:
                self._wide_row(row, cells, canon, header)
        for i, row in sorted(unnamed_with_data.items()):
            out.error(row, _col_letter(i), (f"Column {_col_letter(i)} has no heading but has something in it "
                                            f"(first at row {row}). Give it a heading, or delete the column."))

    def _area(self, row: int, cells: list[str], canon: dict[str, int]) -> tuple[str, str | None] | None:
        """The current code for a row's council (errors and notices recorded), or None."""
        code_cell = _clean(cells[canon["code"]]) if "code" in canon else ""
        name_cell = _clean(cells[canon["name"]]) if "name" in canon else ""
        column = "code" if code_cell or "name" not in canon else "name"
        cell = code_cell if column == "code" else name_cell
        if not cell:
            self.out.error(row, column, f"Row {row} has no council {'code' if column == 'code' else 'name'}. "
                                        f"Fill it in, or delete the row.")
            return None
        if _is_formula(cell):
            self.out.error(row, column, _formula_message(row, column, cell))
            return None
        key = (column, cell)
        if key not in self.area_cache:
            self.area_cache[key] = self._resolve(column, cell, name_cell if column == "code" else "")
        res, mismatch = self.area_cache[key]
        if res.error:
            self.out.error(row, column, f"Row {row} ({column}): {res.error}")
            return None
        if mismatch and key not in self.warned:
            self.warned.add(key)
            self.out.warnings.append(Issue(row, "name", f"Row {row}: {mismatch}"))
        assert res.code is not None
        if res.origin and res.notice:
            self.retired[res.origin].append(row)
            self.retired_text[res.origin] = res.notice
        return res.code, res.origin

    def _resolve(self, column: str, cell: str, name_cell: str) -> tuple[_Resolved, str | None]:
        if column == "code":
            code = cell.upper()
            if not _GSS.fullmatch(code):
                hint = (" It looks like a name: put names in a column headed 'name'."
                        if re.search(r"[a-z]{3}", cell.lower()) else "")
                return _Resolved(None, error=(f"'{_show(cell)}' is not a GSS code (a letter and 8 digits, "
                                              f"such as E07000163).{hint}")), None
        else:
            found, reason = self.gaz.by_name(cell)
            if found is None:
                return _Resolved(None, error=reason), None
            code = found
            official = self.gaz.name_of(code)
            if _fold(cell) != _fold(official):
                self.name_matches[cell] = f"'{_show(cell)}' as {official} ({code})"
        res = self.gaz.by_code(code, self.tier)
        mismatch = None
        if column == "code" and name_cell and res.code and not _is_formula(name_cell):
            named, _ = self.gaz.by_name(name_cell)
            if named is not None and named not in (code, res.code):
                mismatch = (f"the code {code} is {self.gaz.name_of(code)} but the name says "
                            f"'{_show(name_cell)}'; the code was used.")
        return res, mismatch

    def _period(self, row: int, column: str, cell: str) -> tuple[str, str] | None:
        text = _clean(cell)
        if not text:
            self.out.error(row, column, f"Row {row} has no period. Fill it in, e.g. {PERIOD_EXAMPLES}.")
            return None
        if _is_formula(text):
            self.out.error(row, column, _formula_message(row, column, text))
            return None
        p = parse_period(text)
        if p is None:
            self.out.error(row, column, f"Row {row} ({column}): '{_show(text)}' is not a period we recognise. "
                                        f"Use one such as {PERIOD_EXAMPLES}.")
        return p

    def _figure(self, row: int, column: str, cell: str) -> _Number | None:
        n = _parse_number(cell, self.delimiter)
        if n.error == "__formula__":
            self.out.error(row, column, _formula_message(row, column, cell))
            return None
        if n.error:
            self.out.error(row, column, f"Row {row} ({column}): {n.error}")
            return None
        if n.stripped:
            self.stripped[n.stripped].append(row)
        return n

    def _long_row(self, row: int, cells: list[str], canon: dict[str, int]) -> None:
        ok = True
        area = self._area(row, cells, canon)
        period = self._period(row, "period", cells[canon["period"]])
        fig = self._figure(row, "value", cells[canon["value"]])
        extra: dict[str, float | None] = {}
        for col in ("lower", "upper", "numerator", "denominator"):
            if col in canon:
                n = self._figure(row, col, cells[canon[col]])
                if n is None:
                    ok = False
                else:
                    extra[col] = n.value
        status = ""
        if "status" in canon:
            s = _clean(cells[canon["status"]])
            if s:
                if s.lower() in _MARKERS or s.lower().strip("[]") in _MARKERS:
                    status = _MARKERS.get(s.lower(), _MARKERS.get(s.lower().strip("[]"), ""))
                elif _is_formula(s):
                    self.out.error(row, "status", _formula_message(row, "status", s))
                    ok = False
                else:
                    self.out.error(row, "status", f"Row {row} (status): '{_show(s)}' is not a status we know. "
                                                  f"Use [x] not available, [c] confidential, [z] not "
                                                  f"applicable, [u] low reliability, or leave it blank.")
                    ok = False
        note = ""
        if "note" in canon:
            note = _clean(cells[canon["note"]])
            if _is_formula(note):
                self.out.error(row, "note", _formula_message(row, "note", note))
                ok = False
            elif len(note) > MAX_NOTE_CHARS:
                self.out.error(row, "note", f"Row {row} (note): the note is {len(note)} characters; keep it "
                                            f"under {MAX_NOTE_CHARS}.")
                ok = False
        if area is None or period is None or fig is None or not ok:
            return
        self._add(row, area, period, "value", fig, status, note, extra)

    def _wide_row(self, row: int, cells: list[str], canon: dict[str, int], header: list[str]) -> None:
        area = self._area(row, cells, canon)
        figs: list[tuple[int, _Number]] = []
        for i in sorted(self.periods):
            col = f"{_col_letter(i)} ({_show(_clean(header[i]), 20)})"
            n = self._figure(row, f"column {col}", cells[i])
            if n is not None:
                figs.append((i, n))
        if area is None:
            return
        for i, n in figs:
            self._add(row, area, self.periods[i], f"column {_col_letter(i)}", n, "", "", {})

    def _add(self, row: int, area: tuple[str, str | None], period: tuple[str, str], column: str, fig: _Number,
             status: str, note: str, extra: dict[str, float | None]) -> None:
        out = self.out
        code, origin = area
        st = fig.status
        if status:
            if st and st != status:
                out.error(row, "status", f"Row {row}: the value says [{st}] but the status column says "
                                         f"[{status}]. Keep one.")
                return
            st = status
        value = fig.value
        if value is not None and st in ("x", "c", "z"):
            meaning = {"x": "not available", "c": "confidential", "z": "not applicable"}[st]
            out.error(row, "status", f"Row {row}: there is a figure ({_fmt(value)}) and the status [{st}] "
                                     f"({meaning}), "
                                     f"which means no figure. Remove the figure or the status.")
            return
        if fig.blank and not st:
            self.blank_cells.append(row)
            st = "x"
        notes = [n for n in (fig.note, note) if n]
        if origin:
            notes.append(f"uploaded under retired code {origin}")
        if value is not None and not self._in_range(row, column, value):
            return
        lower, upper = extra.get("lower"), extra.get("upper")
        if value is not None and lower is not None and lower > value:
            out.error(row, "lower", f"Row {row}: the lower limit ({_fmt(lower)}) is above the value "
                                    f"({_fmt(value)}). Check that lower and upper are not swapped.")
            return
        if value is not None and upper is not None and upper < value:
            out.error(row, "upper", f"Row {row}: the upper limit ({_fmt(upper)}) is below the value "
                                    f"({_fmt(value)}). Check that lower and upper are not swapped.")
            return
        if lower is not None and upper is not None and lower > upper:
            out.error(row, "lower", f"Row {row}: the lower limit ({_fmt(lower)}) is above the upper limit "
                                    f"({_fmt(upper)}). Swap them.")
            return
        for col in ("numerator", "denominator"):
            x = extra.get(col)
            if x is not None and x < 0:
                out.error(row, col, f"Row {row} ({col}): {_fmt(x)} is negative; a {col} is a count and "
                                    f"cannot be below zero.")
                return
        if extra.get("denominator") == 0:
            out.error(row, "denominator", f"Row {row} (denominator): the denominator is 0. Leave it blank "
                                          f"if there is none.")
            return
        self.rows.append(_Row(row, code, origin, period[0], period[1], column, value, lower, upper,
                              extra.get("numerator"), extra.get("denominator"), st, "; ".join(notes)))

    def _in_range(self, row: int, column: str, value: float) -> bool:
        rule, unit = self.rule, self.meta.unit
        if value < 0 and not rule.allow_negative:
            self.out.error(row, column, f"Row {row} ({column}): {_fmt(value)} is negative, but the unit "
                                        f"'{_show(unit)}' is {rule.kind}, which cannot be below zero. Check "
                                        f"the figure, or if it is a change, say so in the unit (e.g. "
                                        f"'change in {_show(unit, 20)}').")
            return False
        if rule.maximum is not None and value > rule.maximum:
            self.out.error(row, column, f"Row {row} ({column}): {_fmt(value)} is over {_fmt(rule.maximum)}, but "
                                        f"the unit '{_show(unit)}' is {rule.kind}. Check the figure; if it is "
                                        f"not a share out of 100, change the unit (e.g. 'ratio' or 'index').")
            return False
        return True

    # across rows -----------------------------------------------------------------------------
    def _across(self) -> None:
        out = self.out
        seen: dict[tuple[str, str], _Row] = {}
        clashes: dict[tuple[int, int], list[str]] = defaultdict(list)
        first_of: dict[tuple[int, int], tuple[_Row, _Row]] = {}
        for r in self.rows:
            key = (r.code, r.period)
            if key in seen:
                a = seen[key]
                pair = (a.row, r.row)
                clashes[pair].append(r.period)
                first_of.setdefault(pair, (a, r))
            else:
                seen[key] = r
        for pair, periods in clashes.items():
            a, b = first_of[pair]
            name = self.gaz.name_of(a.code)
            when = periods[0] + (f" (and {len(periods) - 1} more period{'s' if len(periods) > 2 else ''})"
                                 if len(periods) > 1 else "")
            if pair[0] == pair[1]:
                continue
            if a.origin or b.origin:
                def src(x: _Row) -> str:
                    code = x.origin or x.code
                    return f"row {x.row}: {code} {self.gaz.name_of(code)}"
                out.error(b.row, None, (f"Rows {a.row} and {b.row} both give a figure for {name} ({a.code}) "
                                        f"for {when} once retired codes are mapped to current councils "
                                        f"({src(a)}; {src(b)}). Level Measures does not add or average "
                                        f"figures for you: give one figure for {name}, or remove one of the "
                                        f"rows."))
            else:
                out.error(b.row, None, (f"Rows {a.row} and {b.row} both give a figure for {name} ({a.code}) "
                                        f"for {when}. Keep one of them."))
        if self.name_matches:
            shown = list(self.name_matches.values())
            more = f"; and {len(shown) - 20} more" if len(shown) > 20 else ""
            out.notices.append(Issue(None, "name", "Names were read as these councils (check them): " +
                                     "; ".join(shown[:20]) + more + "."))
        for origin, rows in self.retired.items():
            text = self.retired_text[origin]
            out.notices.append(Issue(rows[0], "code", f"{_rows_text(rows)}: {text}."))
        if self.blank_cells:
            out.warnings.append(Issue(self.blank_cells[0], None, (
                f"{len(self.blank_cells)} blank figure{'s' if len(self.blank_cells) > 1 else ''} "
                f"({_rows_text(self.blank_cells)}) {'were' if len(self.blank_cells) > 1 else 'was'} stored "
                f"as not available [x]. Type [x], [c] or [z] to say why a figure is missing.")))
        for sign, rows in self.stripped.items():
            what = "pound sign (£)" if sign == "£" else "percent sign (%)"
            out.warnings.append(Issue(rows[0], None, (
                f"The {what} was removed from {len(rows)} figure{'s' if len(rows) > 1 else ''} "
                f"({_rows_text(rows)}); the numbers are read in the unit you gave ('{_show(self.meta.unit)}').")))
        numbers = [r.value for r in self.rows if r.value is not None]
        if not self.out.errors and not numbers:
            out.error(None, "value", "None of the rows has a figure (every value is blank or a marker). Add "
                                     "the figures and upload again.")
        if self.rule.maximum == 100.0 and numbers and max(abs(x) for x in numbers) <= 1 and len(numbers) > 2:
            out.warnings.append(Issue(None, "value", "Every figure is between 0 and 1, but the unit is a "
                                                     "percentage. If these are proportions, multiply them by "
                                                     "100 first (0.42 -> 42)."))
        kinds = {_period_kind(r.period) for r in self.rows}
        if len(kinds) > 1:
            out.warnings.append(Issue(None, "period", "The periods mix " + " and ".join(sorted(kinds)) +
                                      ". Figures for different kinds of period are not compared with each "
                                      "other."))
        if out.errors:
            return
        if len(self.rows) > MAX_ROWS:
            raise out.stop(None, None, f"The file holds {len(self.rows):,} figures; the limit is {MAX_ROWS:,}.")
        nan = float("nan")

        def num(x: float | None) -> float:
            return nan if x is None else float(x)

        frame = pd.DataFrame({
            "area_code": pd.Series([r.code for r in self.rows], dtype="str"),
            "period": pd.Series([r.period for r in self.rows], dtype="str"),
            "period_start": pd.Series([r.start for r in self.rows], dtype="str"),
            "value": pd.Series([num(r.value) for r in self.rows], dtype="float64"),
            "lower": pd.Series([num(r.lower) for r in self.rows], dtype="float64"),
            "upper": pd.Series([num(r.upper) for r in self.rows], dtype="float64"),
            "numerator": pd.Series([num(r.numerator) for r in self.rows], dtype="float64"),
            "denominator": pd.Series([num(r.denominator) for r in self.rows], dtype="float64"),
            "status": pd.Series([r.status for r in self.rows], dtype="str"),
            "note": pd.Series([r.note for r in self.rows], dtype="str"),
        })
        self.report.values = frame.sort_values(["area_code", "period_start", "period"]).reset_index(drop=True)


def _period_kind(label: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2} Q\d", label):
        return "financial quarters"
    if re.fullmatch(r"\d{4} Q\d", label):
        return "calendar quarters"
    if re.fullmatch(r"\d{4}-\d{2}", label):
        return "financial years" if int(label[5:]) == (int(label[:4]) + 1) % 100 else "months"
    if re.fullmatch(r"\d{4}", label):
        return "calendar years"
    if re.fullmatch(r"\d{4}-\d{4}", label):
        return "multi-year periods"
    if label.startswith("mid-"):
        return "mid-year points"
    return "dates"


def _fmt(x: float) -> str:
    return f"{x:,.10g}"
