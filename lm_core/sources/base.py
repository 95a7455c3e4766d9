"""The contract every publisher reader honours: metadata plus a long table of values."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

Polarity = Literal["higher_better", "lower_better", "none"]
Role = Literal["outcome", "context"]
Tier = Literal["lower", "upper", "both"]
# How a value moves from retired areas into their successors (see lm_core.lineage):
# "sum" for counts, "weighted" for rates (numerator/denominator summed when both exist,
# otherwise weighted by population), "none" when it must not be rolled up at all.
Rollup = Literal["sum", "weighted", "none"]

SERVICE_AREAS: tuple[str, ...] = (
    "Waste and environment",
    "Roads and transport",
    "Housing and planning",
    "Finance",
    "Adult social care",
    "Homelessness",
    "Children's services",
    "Education",
    "Adult skills",
    "Public health",
    "Climate",
    "Economy",
    "Wellbeing and pride in place",
    "Culture",
    "Context",
)

# GSS shorthand for values that are not plain numbers. "" means an ordinary published value.
STATUS_CODES: dict[str, str] = {
    "": "published",
    "x": "not available",
    "c": "confidential or suppressed",
    "z": "not applicable",
    "u": "low reliability",
}

VALUE_COLUMNS: tuple[str, ...] = (
    "area_code",  # GSS code exactly as the source publishes it (any vintage)
    "indicator_id",
    "period",  # display label: "2023-24" (financial/academic year), "2023", "2021-2023", "2024-03"
    "period_start",  # ISO date "YYYY-MM-DD" of the period's start, for ordering
    "value",  # float; NaN whenever status is x, c or z
    "lower",  # 95% lower limit where published, else NaN
    "upper",  # 95% upper limit where published, else NaN
    "numerator",  # where published, else NaN
    "denominator",  # where published, else NaN
    "status",  # one of STATUS_CODES
    "note",  # free text from the source or the reader ("" when none)
)


@dataclass(frozen=True)
class IndicatorMeta:
    """One indicator's catalogue record; travels with every value it describes."""

    id: str  # snake_case, stable, e.g. "household_recycling_rate"
    title: str  # sentence case
    description: str  # one short sentence a chief executive understands
    service_area: str  # one of SERVICE_AREAS
    unit: str  # "%", "per 1,000 households", "£", "years", "score out of 10", ...
    polarity: Polarity
    role: Role
    tier: Tier  # tier(s) of authority it is published for
    publisher: str
    source_url: str
    licence: str  # "OGL v3.0" or "CC BY 4.0"
    attribution: str  # the attribution line from SOURCE.md, verbatim
    caveats: str
    source_folder: str  # folder name under shared/data-sources
    rollup: Rollup
    decimals: int = 1


class SourceError(Exception):
    """A source file is missing or not in the shape its reader expects."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


@dataclass
class SourceResult:
    """What one reader returns: catalogue records, values, and lines for the build log."""

    indicators: list[IndicatorMeta]
    values: pd.DataFrame  # exactly VALUE_COLUMNS
    log: list[str] = field(default_factory=list)


def empty_values() -> pd.DataFrame:
    """An empty frame with the value columns, for readers to concatenate onto."""
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in _FLOAT else "str") for c in VALUE_COLUMNS})


_FLOAT = {"value", "lower", "upper", "numerator", "denominator"}


def finalise_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce a reader's frame to the contract and check its invariants."""
    missing = [c for c in VALUE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"values frame lacks columns {missing}")
    out = frame.loc[:, list(VALUE_COLUMNS)].copy()
    for col in _FLOAT:
        out[col] = pd.to_numeric(out[col], errors="raise").astype("float64")
    for col in ("area_code", "indicator_id", "period", "period_start", "status", "note"):
        out[col] = out[col].fillna("").astype("str")
    bad_status = set(out["status"]) - set(STATUS_CODES)
    if bad_status:
        raise ValueError(f"unknown status codes {sorted(bad_status)}")
    not_numbers = out["status"].isin(["x", "c", "z"])
    if out.loc[not_numbers, "value"].notna().any():
        raise ValueError("a value is stored for a row whose status says it is not available")
    if (out["value"].isna() & (out["status"] == "")).any():
        raise ValueError("a missing value has no status: use 'x' (or 'c' when suppressed)")
    dupes = out.duplicated(["area_code", "indicator_id", "period"])
    if dupes.any():
        first = out.loc[dupes, ["area_code", "indicator_id", "period"]].iloc[0].tolist()
        raise ValueError(f"{int(dupes.sum())} duplicate (area, indicator, period) rows, e.g. {first}")
    return out.reset_index(drop=True)


_SHORTHAND: dict[str, str] = {
    "[x]": "x", "x": "x", "..": "x", ":": "x", "-": "x", "n/a": "x", "na": "x", "": "x",
    "[c]": "c", "c": "c", "*": "c", "[z]": "z", "z": "z", "[u]": "u", "u": "u",
}


def parse_cell(raw: object) -> tuple[float, str]:
    """Read one published cell as (value, status); shorthand never becomes a number.

    "[u]" alone carries no number, so it is read as not available; a number flagged
    low-reliability is passed by the reader as the value with status "u".
    """
    if raw is None or (isinstance(raw, float) and raw != raw):
        return float("nan"), "x"
    if isinstance(raw, bool):
        raise ValueError(f"not a number: {raw!r}")
    if isinstance(raw, (int, float)):
        number = float(raw)
        if number in (float("inf"), float("-inf")):
            raise ValueError(f"not a finite number: {raw!r}")
        return number, ""
    text = str(raw).strip().replace(",", "").replace("£", "").replace("%", "")
    key = text.lower()
    if key in _SHORTHAND:
        status = _SHORTHAND[key]
        return float("nan"), ("x" if status == "u" else status)
    number = float(text)  # raises ValueError with the offending text
    if number in (float("inf"), float("-inf")) or number != number:
        raise ValueError(f"not a finite number: {raw!r}")
    return number, ""


def financial_year(start_year: int) -> tuple[str, str]:
    """(label, start date) of the financial year beginning in April of start_year."""
    return f"{start_year}-{(start_year + 1) % 100:02d}", f"{start_year}-04-01"


def academic_year(start_year: int) -> tuple[str, str]:
    """(label, start date) of the academic year beginning in September of start_year."""
    return f"{start_year}/{(start_year + 1) % 100:02d}", f"{start_year}-09-01"


def calendar_year(year: int) -> tuple[str, str]:
    """(label, start date) of a calendar year."""
    return str(year), f"{year}-01-01"
