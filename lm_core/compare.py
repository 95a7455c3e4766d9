"""A council against its peers: typical range, distance words, significance, expectation, who to talk to.

Everything here compares a council with its *similar councils* (its peers), never with a ranking.

Choices, written down next to the code:

* **Typical range.** The peer median ± 1 scaled MAD (1.4826 × the median absolute deviation,
  which estimates the standard deviation for normal data but ignores one wild peer). ONS Explore
  Local Statistics calls an area "similar" when it is within one MAD; Oflog drew the same kind of
  band. Fewer than 3 peers with a figure gives no range ("too few peers with data"): a median of
  two is just their average. When more than half the peers share one value the MAD is 0; the
  spread then falls back to 1.2533 × the mean absolute deviation from the median (the usual
  modified-z-score fallback, equal to the SD for normal data). The IQR (numpy's default linear
  quantiles) is exposed for display only.
* **Distance words** (Oflog's unshipped prototype): d = (value − peer median) / spread;
  |d| ≤ 0.5 broadly similar, ≤ 1.5 slightly, ≤ 3 noticeably, ≤ 7.5 much; beyond 7.5 the figure is
  flagged for a person to check and not narrated (it is more often a data problem than a story).
* **Significance against the peer median** (no anchor tool does this; Fingertips tests against
  England). In order of preference: (a) the council's published 95% confidence interval excludes
  the peer median; (b) with numerators and denominators, funnel limits at 95% (z = 1.96) and 99.8%
  (z = 3.09) around the *peer rate*, pooled as the sum of peer numerators over the sum of peer
  denominators. Proportions use the normal approximation to the binomial,
  p0 ± z·sqrt(p0(1 − p0)/n); rates per 1,000 / 100,000 / household use exact Poisson limits for
  the expected count E = p0·n from the chi-square distribution (chi2(α/2, 2E)/2 and
  chi2(1 − α/2, 2E + 2)/2, as Public Health England's funnel tool does; Byar's approximation agrees
  to 0.1 for E ≥ 10). Limits are widened by sqrt(φ) when the peers are over-dispersed (φ = mean
  squared z-score of the peers, winsorised at 10%/90%, Spiegelhalter 2005): tonnes of waste are not
  independent trials, and without this nearly every council would be "significant". Counts must be
  whole, non-negative and (for proportions) no larger than their denominators, else (c). (c) With
  neither, the typical range itself, and the method says so.
* **Expectation from context.** Ridge regression (penalty chosen by RidgeCV inside each fold) of
  the outcome on the tier's standardised context; 5-fold cross-validation with a fixed seed. Every
  council's expected value, the chosen council's included, is predicted by a model that never saw
  it (the context z-scores use the whole tier, but no outcome, so nothing about the outcome leaks).
  The interval is the expected value plus the 2.5% and 97.5% quantiles of the out-of-fold residuals;
  R² is computed once over all out-of-fold predictions. Not shown when cross-validated R² < 0.3:
  below that context explains under a third of the differences between councils, the interval is
  nearly as wide as the whole spread, and an "expected" figure would claim a precision it lacks.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold

from lm_core.geography import ENGLAND_CODE

MAD_SCALE = 1.4826
MEAN_AD_SCALE = 1.2533  # sqrt(pi/2): mean absolute deviation -> SD for normal data
MIN_PEERS = 3
SIMILAR, SLIGHT, NOTICEABLE, EXTREME = 0.5, 1.5, 3.0, 7.5
Z95 = 1.959964
Z998 = 3.090232
WINSOR = 0.10
MIN_R2 = 0.3
MIN_COUNCILS_FOR_MODEL = 30
CV_FOLDS = 5
RANDOM_STATE = 20241
NOTABLY_BETTER = 1.5  # |d| at which a better peer is worth a call
TREND_WINDOW = 5  # latest periods used to judge improvement
MIN_TREND_POINTS = 3
MAX_IMPROVERS = 3
STATUS_WORDS = {"x": "not available", "c": "suppressed", "z": "not applicable"}
UNUSABLE = frozenset(STATUS_WORDS)
POLARITIES = ("higher_better", "lower_better")


@dataclass(frozen=True)
class TypicalRange:
    """The peers' median and robust spread; band = median ± spread."""

    median: float
    scaled_mad: float
    spread: float  # scaled MAD, or the mean-absolute-deviation fallback when the MAD is 0
    spread_method: str
    low: float
    high: float
    iqr_low: float
    iqr_high: float
    n: int


@dataclass(frozen=True)
class Comparison:
    """One council on one indicator against its peers, with the words to say about it."""

    indicator_id: str
    title: str
    polarity: str
    unit: str
    area_code: str
    value: float | None
    period: str
    status: str
    note: str
    peer_median: float | None
    band_low: float | None
    band_high: float | None
    iqr_low: float | None
    iqr_high: float | None
    n_peers_with_data: int
    n_peers_missing: int
    mad_distance: float | None
    strength: str | None
    direction: str | None
    judgement: str | None
    label: str
    method: str
    significant: bool | None  # CI excludes peer median / outside 95% funnel / outside typical range
    flag_extreme: bool
    england: float | None
    peer_rate: float | None = None
    funnel_95: tuple[float, float] | None = None
    funnel_998: tuple[float, float] | None = None
    overdispersion: float | None = None
    low_reliability: bool = False


@dataclass(frozen=True)
class Expectation:
    """What a council's context predicts for an outcome, or why that is not shown."""

    shown: bool
    reason: str
    r2: float | None
    n_councils: int
    observed: float | None = None
    expected: float | None = None
    low: float | None = None
    high: float | None = None
    position: str | None = None  # "above", "below" or "within" the range expected


@dataclass(frozen=True)
class PeerToTalkTo:
    """A peer worth a conversation, and why (never a rank)."""

    area_code: str
    area_name: str
    reason: str


# ---------------------------------------------------------------- typical range and words


def _clean(values: Iterable[float]) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype == np.float64 and values.ndim == 1:
        arr = values  # already what the list round trip below would give
    else:
        arr = np.asarray(list(values), dtype=float)
    return arr[np.isfinite(arr)]


def _middle(s: list[float]) -> float:
    """np.median of an already sorted list, to the last bit: the middle value, or the mean of the two."""
    k = len(s) // 2
    return s[k] if len(s) % 2 else (s[k - 1] + s[k]) / 2


def _percentile(s: list[float], q: float) -> float:
    """np.percentile(s, q) (numpy's default 'linear' method) of an already sorted list, to the last bit."""
    virtual = (len(s) - 1) * (q / 100)
    if virtual >= len(s) - 1:
        return s[-1]
    below = math.floor(virtual)
    gamma = virtual - below
    a, b = s[below], s[below + 1]
    return b - (b - a) * (1 - gamma) if gamma >= 0.5 else a + (b - a) * gamma


def typical_range(values: Iterable[float]) -> TypicalRange | None:
    """Median ± 1 scaled MAD of the peer values; None when fewer than 3 peers have a figure."""
    arr = _clean(values)
    if arr.size < MIN_PEERS:
        return None
    if arr.all():  # one sort gives numpy's median and percentiles exactly (-0.0 v 0.0 aside: numpy then)
        s = np.sort(arr).tolist()
        median = _middle(s)
        scaled_mad = MAD_SCALE * _middle(np.sort(np.abs(arr - median)).tolist())
        q1, q3 = _percentile(s, 25), _percentile(s, 75)
    else:
        median = float(np.median(arr))
        scaled_mad = MAD_SCALE * float(np.median(np.abs(arr - median)))
        q1, q3 = (float(q) for q in np.percentile(arr, [25, 75]))
    spread, how = scaled_mad, "scaled MAD"
    if scaled_mad == 0:
        spread = MEAN_AD_SCALE * float(np.mean(np.abs(arr - median)))
        how = "mean absolute deviation (most peers share one value)"
    return TypicalRange(median=median, scaled_mad=scaled_mad, spread=spread, spread_method=how,
                        low=median - spread, high=median + spread, iqr_low=q1, iqr_high=q3,
                        n=int(arr.size))


def mad_distance(value: float, band: TypicalRange) -> float | None:
    """(value − peer median) / spread; None when every peer has the same value and this one differs."""
    diff = value - band.median
    if band.spread == 0:
        return 0.0 if diff == 0 else None
    return diff / band.spread


def strength_words(d: float) -> str:
    """Oflog's words for a distance: broadly similar, slightly, noticeably, much, extreme."""
    a = abs(d)
    if a <= SIMILAR:
        return "broadly similar"
    if a <= SLIGHT:
        return "slightly"
    if a <= NOTICEABLE:
        return "noticeably"
    if a <= EXTREME:
        return "much"
    return "extreme"


def direction_of(d: float) -> str:
    """higher, lower or similar (within half a spread of the peer median)."""
    if abs(d) <= SIMILAR:
        return "similar"
    return "higher" if d > 0 else "lower"


def judgement_of(direction: str, polarity: str) -> str | None:
    """better/worse only for indicators with a polarity, and only when not similar."""
    if polarity not in POLARITIES or direction not in ("higher", "lower"):
        return None
    return "better" if (direction == "higher") == (polarity == "higher_better") else "worse"


def label_for(d: float | None, polarity: str, direction: str | None = None) -> str:
    """The plain-words label, e.g. 'noticeably higher than similar councils (better)'."""
    if d is None:  # every peer reports one value and this council another
        word = direction or "different"
        judgement = judgement_of(word, polarity)
        tail = f" ({judgement})" if judgement else ""
        return f"{word} than similar councils, which all report the same figure{tail}"
    strength = strength_words(d)
    if strength == "extreme":
        return "extreme: check with a person"
    direction = direction_of(d)
    if direction == "similar":
        return "in line with similar councils"
    judgement = judgement_of(direction, polarity)
    tail = f" ({judgement})" if judgement else ""
    return f"{strength} {direction} than similar councils{tail}"


# ---------------------------------------------------------------- funnel limits


def binomial_limits(p0: float, n: float, z: float, phi: float = 1.0) -> tuple[float, float]:
    """Funnel limits for a proportion around p0 at denominator n (normal approximation, clipped to 0–1)."""
    se = math.sqrt(max(phi, 1.0) * p0 * (1 - p0) / n)
    return max(0.0, p0 - z * se), min(1.0, p0 + z * se)


def poisson_limits(rate0: float, n: float, z: float, phi: float = 1.0) -> tuple[float, float]:
    """Exact (chi-square) Poisson funnel limits for a rate per unit of n, widened by sqrt(phi) if phi > 1."""
    expected = rate0 * n
    alpha = 2 * (1 - stats.norm.cdf(z))
    low = float(stats.chi2.ppf(alpha / 2, 2 * expected) / 2) if expected > 0 else 0.0
    high = float(stats.chi2.ppf(1 - alpha / 2, 2 * expected + 2) / 2)
    widen = math.sqrt(max(phi, 1.0))
    low, high = expected - widen * (expected - low), expected + widen * (high - expected)
    return max(0.0, low) / n, high / n


def overdispersion(z_scores: Iterable[float]) -> float:
    """Spiegelhalter's φ: mean squared z-score after winsorising at 10%/90% (1 = as chance predicts)."""
    z = _clean(z_scores)
    if z.size == 0:
        return 1.0
    lo, hi = np.quantile(z, [WINSOR, 1 - WINSOR])
    return float(np.mean(np.clip(z, lo, hi) ** 2))


# ---------------------------------------------------------------- columns as arrays
# The functions below read each column once as a NumPy array and work on positions: on frames of a
# few hundred rows, pandas' per-call overhead (boolean filters, take, isin, Series construction)
# costs far more than the arithmetic.


def _as_text(col: pd.Series) -> np.ndarray:
    """A column as an object array, missing values as NaN (Arrow-backed strings converted)."""
    if col.dtype == object:
        return col.to_numpy()
    return col.to_numpy(dtype=object, na_value=np.nan)


def _as_float(col: pd.Series) -> np.ndarray:
    """A column as a float64 array, missing values as NaN."""
    if col.dtype == np.float64:
        return col.to_numpy()
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def _column_at(col: pd.Series, positions: np.ndarray, convert: Callable[[pd.Series], np.ndarray]) -> np.ndarray:
    """A column at these row positions; extension (e.g. Arrow) columns are converted for those rows only."""
    if isinstance(col.dtype, np.dtype):
        return convert(col)[positions]
    return convert(col.take(positions))


_GRID_MAX_CELLS = 50_000  # frames up to this size are read in one to_numpy() call


class _Columns:
    """A small frame's columns as arrays, read once: object arrays for text, float64 for numbers."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.names: list[Any] = frame.columns.to_numpy().tolist()
        self.grid = frame.to_numpy(dtype=object) if frame.size <= _GRID_MAX_CELLS else None

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def __len__(self) -> int:
        return len(self.frame)

    def text(self, name: str) -> np.ndarray:
        if self.grid is None or self.names.count(name) != 1:
            return _as_text(self.frame[name])
        return self.grid[:, self.names.index(name)]

    def floats(self, name: str) -> np.ndarray:
        col = self.text(name) if self.grid is not None else None
        if col is not None and all(type(x) is float for x in col):  # the usual float64 column
            return col.astype(np.float64)
        return _as_float(self.frame[name])

    def statuses(self) -> np.ndarray:
        """status.fillna("").astype(str) as an object array (as is when every status is already a string)."""
        raw = self.text("status")
        if all(type(s) is str for s in raw):
            return raw
        return _as_text(self.frame["status"].fillna("").astype(str))


class _IndexedColumns:
    """Some rows of an indexed frame (see _row_index), read from its cached column arrays: the same
    answers as _Columns(values.take(positions)) without building that DataFrame."""

    def __init__(self, values: pd.DataFrame, ix: _RowIndex, positions: np.ndarray) -> None:
        self.values, self.ix, self.positions = values, ix, positions

    def __contains__(self, name: str) -> bool:
        return name in self.ix.names

    def __len__(self) -> int:
        return len(self.positions)

    def text(self, name: str) -> np.ndarray:
        return self.ix.column(self.values, name, _as_text)[self.positions]

    def floats(self, name: str) -> np.ndarray:
        return self.ix.column(self.values, name, _as_float)[self.positions]

    def statuses(self) -> np.ndarray:
        raw = self.text("status")
        if all(type(s) is str for s in raw):
            return raw
        return np.array(["" if pd.isna(s) else str(s) for s in raw], dtype=object)


def _equals(arr: np.ndarray, x: Any) -> np.ndarray:
    """arr == x elementwise, as pandas compares an object column: a missing value equals nothing."""
    try:
        return np.asarray(arr == x, dtype=bool)
    except TypeError:  # pd.NA will not be a bool
        return np.fromiter((y is not pd.NA and bool(y == x) for y in arr), dtype=bool, count=len(arr))


def _usable_mask(status: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Rows with a figure: status not x/c/z and a value present (what _usable keeps)."""
    return np.fromiter((s not in UNUSABLE for s in status), dtype=bool, count=len(status)) & ~np.isnan(value)


def _latest_start(starts: np.ndarray) -> Any:
    """Series.max() of these period starts (missing ones skipped); None when none is present."""
    present = starts[~pd.isna(starts)]
    return present.max() if present.size else None


def _scale_from(value: np.ndarray, num: np.ndarray, den: np.ndarray, unit: str) -> float | None:
    """unit_scale on arrays."""
    ok = (num > 0) & (den > 0) & ~np.isnan(value)
    if ok.any():
        scale = float(np.median(value[ok] * den[ok] / num[ok]))
        if scale > 0:
            nice = 10 ** round(math.log10(scale))
            return float(nice) if abs(scale / nice - 1) < 0.02 else scale  # published values are rounded
    if unit.startswith("%"):
        return 100.0
    m = re.match(r"per ([\d,]+)", unit)
    if m:
        return float(m.group(1).replace(",", ""))
    if unit.startswith("per "):
        return 1.0
    return None


def unit_scale(rows: pd.DataFrame, unit: str) -> float | None:
    """The multiplier in value ≈ scale × numerator / denominator, read from the data, else the unit."""
    num, den = _as_float(rows["numerator"]), _as_float(rows["denominator"])
    return _scale_from(_as_float(rows["value"]), num, den, unit)


def _funnel_kind(num: np.ndarray, den: np.ndarray, unit: str, scale: float | None) -> str | None:
    """'binomial', 'poisson' or None when the parts are not counts a funnel can be drawn for."""
    parts = ~np.isnan(num) & ~np.isnan(den)
    if scale is None or not parts.any():
        return None
    num, den = num[parts], den[parts]
    counts = bool((num >= 0).all() and (den > 0).all() and (num % 1 == 0).all() and (den % 1 == 0).all())
    if not counts:
        return None  # e.g. reserves in £ (can be negative or fractional): not a count of anything
    if unit.startswith("%") and abs(scale - 100) < 1e-9:
        return "binomial" if bool((num <= den).all()) else None
    if unit.startswith("per "):
        return "poisson"
    return None


# ---------------------------------------------------------------- one indicator


def _usable(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[~rows["status"].isin(list(UNUSABLE)) & rows["value"].notna()]


def _meta(indicator: pd.Series | Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in dict(indicator).items()}


def _opt(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


@dataclass(frozen=True)
class _RowIndex:
    """A values frame read once: its columns as arrays and each area's row positions."""

    rows: int
    area: np.ndarray
    indicator: np.ndarray
    start: np.ndarray
    usable: np.ndarray
    positions: dict[Any, np.ndarray]
    names: tuple[str, ...] = ()
    columns: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # (column, kind) -> array

    def column(self, values: pd.DataFrame, name: str, convert: Callable[[pd.Series], np.ndarray]) -> np.ndarray:
        """A whole column as an array, converted on first use and kept with the index."""
        key = (name, convert.__name__)
        if key not in self.columns:
            self.columns[key] = convert(values[name])
        return self.columns[key]


# Frames the app keeps (one per indicator, cached for the process) are indexed once; the entry goes
# when the frame does. A council switch then costs dictionary look-ups, not a scan of every row.
_ROW_INDEXES: dict[int, tuple[weakref.ref[pd.DataFrame], _RowIndex]] = {}


def _row_index(values: pd.DataFrame) -> _RowIndex:
    key = id(values)
    hit = _ROW_INDEXES.get(key)
    if hit is not None and hit[0]() is values and hit[1].rows == len(values):
        return hit[1]
    area = _as_text(values["area_code"])
    index = _RowIndex(
        rows=len(values), area=area, indicator=_as_text(values["indicator_id"]),
        start=_as_text(values["period_start"]),
        usable=_usable_mask(_as_text(values["status"]), _as_float(values["value"])),
        positions={k: np.asarray(v) for k, v in pd.Series(area).groupby(area, sort=False).indices.items()},
        names=tuple(str(c) for c in values.columns),
    )
    _ROW_INDEXES[key] = (weakref.ref(values, _forget(key)), index)
    return index


def _forget(key: int) -> Callable[[weakref.ref[pd.DataFrame]], None]:
    def drop(_ref: weakref.ref[pd.DataFrame]) -> None:
        _ROW_INDEXES.pop(key, None)
    return drop


def _rows_of(ix: _RowIndex, codes: Iterable[Any]) -> np.ndarray:
    """Positions of these areas' rows, in the frame's order."""
    found = [ix.positions[c] for c in set(codes) if c in ix.positions]
    return np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.intp)


def _latest_positions(ix: _RowIndex, indicator_id: str, area_codes: Iterable[str]) -> np.ndarray | None:
    """Row positions of latest_rows' answer, in the frame's order; None when no council has a figure."""
    codes = set(area_codes)
    near = _rows_of(ix, codes | {ENGLAND_CODE})
    near = near[_equals(ix.indicator[near], indicator_id)]
    in_codes = np.ones(near.size, dtype=bool)
    if ENGLAND_CODE not in codes:
        in_codes = ~_equals(ix.area[near], ENGLAND_CODE)
    have = in_codes & ix.usable[near]
    if not have.any():
        return None
    starts = ix.start[near]
    start = _latest_start(starts[have])
    return near[_equals(starts, start)] if start is not None else near[:0]


def latest_rows(values: pd.DataFrame, indicator_id: str, area_codes: Iterable[str]) -> pd.DataFrame:
    """Rows of the latest period in which any of these councils has a figure, plus England's row."""
    at = _latest_positions(_row_index(values), indicator_id, area_codes)
    if at is None:
        return values.iloc[0:0]
    out = values.take(at)
    out.index = pd.RangeIndex(len(out))  # reset_index(drop=True) on a frame of our own
    return out


def compare_latest(code: str, peer_codes: Sequence[str], values: pd.DataFrame, indicator_id: str,
                   indicator: pd.Series | Mapping[str, Any]) -> Comparison:
    """compare_indicator on latest_rows(values, indicator_id, [code, *peers]), without building those rows
    as a DataFrame: a council switch makes ~70 of these, and the small frames cost more than the sums."""
    ix = _row_index(values)
    at = _latest_positions(ix, indicator_id, (code, *peer_codes))
    return _compare(code, peer_codes, _IndexedColumns(values, ix, at if at is not None else np.zeros(0, np.intp)),
                    indicator)


def _significance(own: float, interval: tuple[float | None, float | None], parts: tuple[float | None, float | None],
                  peer_num: np.ndarray, peer_den: np.ndarray, value: np.ndarray, num: np.ndarray, den: np.ndarray,
                  band: TypicalRange, unit: str) -> dict[str, Any]:
    """Which test applies, its verdict and, for funnels, the limits (in display units).

    own, interval (lower, upper) and parts (numerator, denominator) are the council's; peer_num and
    peer_den the peers' parts (one row per peer with a figure); value, num and den every row's.
    """
    lower, upper = interval
    if lower is not None and upper is not None:
        excludes = lower > band.median or upper < band.median
        word = "excludes" if excludes else "includes"
        return {"significant": excludes, "method": f"95% confidence interval {word} the peer median"}
    n, d = parts
    scale = _scale_from(value, num, den, unit)
    kind = _funnel_kind(num, den, unit, scale)
    with_parts = ~np.isnan(peer_num) & (peer_den > 0)
    if n is not None and d is not None and d > 0 and kind and scale and int(with_parts.sum()) >= MIN_PEERS:
        n_i, parts_i = peer_den[with_parts], peer_num[with_parts]
        p0 = float(np.sum(parts_i) / np.sum(n_i))
        y_i = parts_i / n_i
        limits: Callable[[float, float, float, float], tuple[float, float]]
        if kind == "binomial":
            se_i = np.sqrt(p0 * (1 - p0) / n_i) if 0 < p0 < 1 else np.full_like(n_i, np.nan)
            limits = binomial_limits
        else:
            se_i = np.sqrt(p0 / n_i) if p0 > 0 else np.full_like(n_i, np.nan)
            limits = poisson_limits
        phi = overdispersion((y_i - p0) / se_i) if np.isfinite(se_i).all() else 1.0
        l95, l998 = limits(p0, d, Z95, phi), limits(p0, d, Z998, phi)
        obs = n / d
        if obs < l998[0] or obs > l998[1]:
            verdict, sig = "outside the 99.8% funnel limit", True
        elif obs < l95[0] or obs > l95[1]:
            verdict, sig = "outside the 95% funnel limit", True
        else:
            verdict, sig = "within the 95% funnel limits", False
        widened = ", widened for the spread among similar councils" if phi > 1 else ""
        return {"significant": sig,
                "method": f"{verdict} around the peer rate (pooled across similar councils{widened})",
                "peer_rate": p0 * scale, "funnel_95": (l95[0] * scale, l95[1] * scale),
                "funnel_998": (l998[0] * scale, l998[1] * scale), "overdispersion": phi}
    outside = own < band.low or own > band.high
    where = "outside" if outside else "within"
    return {"significant": outside,
            "method": f"{where} the typical range of similar councils (no interval published)"}


def compare_indicator(code: str, peer_codes: Sequence[str], rows: pd.DataFrame,
                      indicator: pd.Series | Mapping[str, Any]) -> Comparison:
    """Compare one council with its peers on one indicator's latest-period rows (see latest_rows)."""
    return _compare(code, peer_codes, _Columns(rows), indicator)


def _compare(code: str, peer_codes: Sequence[str], cols: _Columns | _IndexedColumns,
             indicator: pd.Series | Mapping[str, Any]) -> Comparison:
    meta = _meta(indicator)
    polarity, unit = str(meta.get("polarity", "none")), str(meta.get("unit", ""))
    starts = cols.text("period_start")
    at = np.arange(len(cols))  # positions of the rows in use
    present = starts[~pd.isna(starts)]
    if present.size and bool((present != present[0]).any()):  # defensive: only ever one period
        at = np.flatnonzero(_equals(starts, present.max()))

    def column(name: str) -> np.ndarray:
        return cols.floats(name)[at]

    area, status, value = cols.text("area_code")[at], cols.statuses()[at], column("value")
    usable = _usable_mask(status, value)
    peer_set = [p for p in dict.fromkeys(peer_codes) if p != code]
    wanted, seen, peer_at = set(peer_set), set(), []
    for i in np.flatnonzero(usable):  # the first usable row of each peer, in row order
        a = area[i]
        if a in wanted and a not in seen:
            seen.add(a)
            peer_at.append(i)
    peer_pos = np.asarray(peer_at, dtype=np.intp)
    band = typical_range(value[peer_pos])
    eng = np.flatnonzero(_equals(area, ENGLAND_CODE) & usable)
    england = float(value[eng[0]]) if eng.size else None
    hits = np.flatnonzero(_equals(area, code))
    mine = int(hits[0]) if hits.size else None
    period = str(cols.text("period")[at[0]]) if at.size else ""
    status_m = str(status[mine]) if mine is not None else "x"
    note = str(cols.text("note")[at[mine]]) if mine is not None and "note" in cols else ""
    value_m = _opt(value[mine]) if mine is not None else None
    if value_m is None and status_m not in UNUSABLE:
        status_m = "x"  # a blank with no status is simply not available
    base: dict[str, Any] = {
        "indicator_id": str(meta.get("id", "")), "title": str(meta.get("title", "")), "polarity": polarity,
        "unit": unit, "area_code": code, "value": None if status_m in UNUSABLE else value_m, "period": period,
        "status": status_m, "note": note,
        "peer_median": band.median if band else None, "band_low": band.low if band else None,
        "band_high": band.high if band else None, "iqr_low": band.iqr_low if band else None,
        "iqr_high": band.iqr_high if band else None, "n_peers_with_data": len(peer_at),
        "n_peers_missing": len(peer_set) - len(peer_at), "england": england,
        "mad_distance": None, "strength": None, "direction": None, "judgement": None,
        "significant": None, "flag_extreme": False, "low_reliability": status_m == "u",
    }
    if status_m in UNUSABLE or value_m is None or mine is None:
        return Comparison(**base, label=STATUS_WORDS.get(status_m, "not available"), method="no figure to test")
    if band is None:
        return Comparison(**base, label="too few similar councils with data to compare",
                          method="too few peers with data")
    d = mad_distance(value_m, band)
    if d is None:
        direction = "higher" if value_m > band.median else "lower"
        strength = None
    else:
        direction, strength = direction_of(d), strength_words(d)
    extreme = strength == "extreme"
    label = label_for(d, polarity, direction)
    if status_m == "u":
        label += " (low reliability)"
    # all rows, not just the peers': whether the parts are counts is a question about the whole tier
    num, den = column("numerator"), column("denominator")
    lower, upper = (_opt(column(k)[mine]) if k in cols else None for k in ("lower", "upper"))
    sig = _significance(value_m, (lower, upper), (_opt(num[mine]), _opt(den[mine])), num[peer_pos], den[peer_pos],
                        value, num, den, band, unit)
    base.update(mad_distance=d, strength=strength, direction=direction, flag_extreme=extreme,
                judgement=None if extreme else judgement_of(direction, polarity), **sig)
    return Comparison(**base, label=label)


# ---------------------------------------------------------------- service-area sentence


def _measure_name(title: str) -> str:
    """'Household waste recycling rate' -> 'household waste recycling rate' (acronyms kept)."""
    if len(title) > 1 and (title[1].isupper() or title[1] == " "):  # acronyms, and "A roads", "B and C roads"
        return title
    return title[:1].lower() + title[1:]


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    if len(parts) == 2:
        return f"{parts[0]} and {parts[1]}"
    return ", ".join(parts[:-1]) + f", and {parts[-1]}"


def service_area_sentence(council_name: str, comparisons: Sequence[Comparison], area_label: str) -> str:
    """One plain-English sentence for a service area from its comparisons (no ranks, no positions)."""
    total = len(comparisons)
    plural = "measure" if total == 1 else "measures"
    similar = [c for c in comparisons if c.direction == "similar" and not c.flag_extreme]
    differ = [c for c in comparisons if c.direction in ("higher", "lower") and not c.flag_extreme]
    extreme = [c for c in comparisons if c.flag_extreme]
    too_few = [c for c in comparisons if c.value is not None and c.peer_median is None]
    missing = [c for c in comparisons if c.value is None]
    is_parts: list[str] = []
    if similar:
        if len(similar) == total:
            what = f"its one {area_label} measure" if total == 1 else f"all {total} {area_label} measures"
        else:
            what = f"{len(similar)} of {total} {area_label} {plural}"
        is_parts.append(f"broadly similar on {what}")
    for c in differ:
        word = c.judgement or c.direction or ""
        lead = f"{c.strength} {word}" if c.strength else word
        flag = " (low reliability)" if c.low_reliability else ""
        is_parts.append(f"{lead} on {_measure_name(c.title)}{flag}")
    extra: list[str] = []
    if extreme:
        n = len(extreme)
        extra.append("1 measure needs a person to check" if n == 1
                     else f"{n} measures need a person to check")
    if too_few:
        few = _join([_measure_name(c.title) for c in too_few])
        extra.append(f"too few similar councils have figures on {few}")
    if missing:
        gaps = [f"{_measure_name(c.title)} ({STATUS_WORDS.get(c.status, 'not available')})" for c in missing]
        extra.append("no figure on " + _join(gaps))
    if is_parts:
        sentence = f"Compared with similar councils, {council_name} is {_join(is_parts)}"
        return "; ".join([sentence, *extra]) + "."
    if not extra:
        return f"{council_name} has no {area_label} measures to compare with similar councils."
    return f"{council_name} cannot be compared with similar councils on {area_label}: {'; '.join(extra)}."


# ---------------------------------------------------------------- trend


def trend(values: pd.DataFrame, indicator_id: str, code: str, peer_codes: Sequence[str]) -> pd.DataFrame:
    """Council, peer median (≥ 3 peers with a figure), England and peer count for every period.

    Read through the frame's row index: only the council's, its peers' and England's rows are looked at
    (every period any council published still gets its row).
    """
    ix = _row_index(values)
    peer_set = [p for p in dict.fromkeys(peer_codes) if p != code]
    period, status = ix.column(values, "period", _as_text), ix.column(values, "status", _as_text)
    value = ix.column(values, "value", _as_float)
    keyed = _equals(ix.indicator, indicator_id) & ~pd.isna(ix.start) & ~pd.isna(period)  # groupby drops NaN keys
    buckets: dict[tuple[Any, Any], list[int]] = {key: [] for key in zip(ix.start[keyed], period[keyed], strict=True)}
    for i in _rows_of(ix, {code, ENGLAND_CODE, *peer_set}):
        if keyed[i]:
            buckets[(ix.start[i], period[i])].append(int(i))
    peers_wanted = set(peer_set)
    out: list[dict[str, Any]] = []
    for start, name in sorted(buckets):
        at = buckets[(start, name)]
        mine = [i for i in at if ix.area[i] == code]
        usable_mine = [i for i in mine if ix.usable[i]]
        peer_rows = [i for i in at if ix.area[i] in peers_wanted and ix.usable[i]]
        band = typical_range(value[peer_rows])
        eng = [i for i in at if ix.area[i] == ENGLAND_CODE and ix.usable[i]]
        first_status = status[mine[0]] if mine else "x"
        out.append({"period": name, "period_start": start,
                    "council": float(value[usable_mine[0]]) if usable_mine else np.nan,
                    "peer_median": band.median if band else np.nan,
                    "england": float(value[eng[0]]) if eng else np.nan,
                    "n_peers": len({ix.area[i] for i in peer_rows}),
                    "council_status": "" if pd.isna(first_status) else str(first_status)})
    cols = ["period", "period_start", "council", "peer_median", "england", "n_peers", "council_status"]
    return pd.DataFrame(out, columns=cols).sort_values("period_start", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- expectation from context


def expectation(code: str, rows: pd.DataFrame, z: pd.DataFrame, min_r2: float = MIN_R2,
                random_state: int = RANDOM_STATE) -> Expectation:
    """What the council's context predicts for this outcome (out-of-fold); refused when R² < min_r2."""
    usable = _usable(rows[rows["area_code"].isin(z.index)]).drop_duplicates("area_code")
    y = usable.set_index("area_code")["value"].astype(float)
    x = z.loc[y.index].to_numpy(float)
    n = len(y)
    if n < MIN_COUNCILS_FOR_MODEL:
        return Expectation(shown=False, r2=None, n_councils=n,
                           reason=f"Not shown: only {n} councils have a figure, too few to learn "
                                  f"what context predicts (at least {MIN_COUNCILS_FOR_MODEL} needed).")
    model = RidgeCV(alphas=np.logspace(-3, 3, 13))
    folds = KFold(n_splits=CV_FOLDS, shuffle=True, random_state=random_state)
    target = y.to_numpy()
    oof = np.empty_like(target)
    for train, test in folds.split(x):  # cross_val_predict's numbers without its joblib and checks (~10 ms)
        oof[test] = clone(model).fit(x[train], target[train]).predict(x[test])
    r2 = float(r2_score(y.to_numpy(), oof))
    if r2 < min_r2:
        return Expectation(shown=False, r2=r2, n_councils=n,
                           reason="Not shown: context explains too little of the differences between "
                                  f"councils (cross-validated R² {r2:.2f}, below {min_r2:.2f}), "
                                  "so an expected value would mislead.")
    resid = y.to_numpy() - oof
    q_low, q_high = np.quantile(resid, [0.025, 0.975])
    observed: float | None = None
    if code in y.index:
        expected = float(oof[y.index.get_loc(code)])
        observed = float(y[code])
    elif code in z.index:  # no figure of its own: a model fitted on the others never saw it anyway
        expected = float(model.fit(x, y.to_numpy()).predict(z.loc[[code]].to_numpy(float))[0])
    else:
        return Expectation(shown=False, r2=r2, n_councils=n,
                           reason="Not shown: the council is not in this tier.")
    low, high = expected + float(q_low), expected + float(q_high)
    position = None
    if observed is not None:
        position = "above" if observed > high else "below" if observed < low else "within"
    return Expectation(shown=True, r2=r2, n_councils=n, observed=observed, expected=expected, low=low,
                       high=high, position=position,
                       reason=f"Context explains about {round(100 * r2)}% of the differences between "
                              f"{n} councils (cross-validated); 95% of councils fall within the range shown "
                              "around their expected value.")


# ---------------------------------------------------------------- peers to talk to


def format_value(value: float, unit: str, decimals: int = 1) -> str:
    """A figure with its unit: 52.1%, £1,234 per year, 4.2 per 1,000 people."""
    num = f"{value:,.{decimals}f}"
    if unit.startswith("%"):
        return f"{num}%"
    if unit.startswith("£"):
        return f"£{num}{unit[1:]}"
    return f"{num} {unit}".strip()


def _improvement(starts: list[Any], values: list[float], window: list[Any]) -> tuple[float, int, int] | None:
    """Theil–Sen change across the window (slope × steps spanned), with the positions (in the given
    lists) of the first and last points used."""
    step = {p: i for i, p in enumerate(window)}
    used = sorted((i for i, s in enumerate(starts) if s in step), key=lambda i: starts[i])  # stable, like pandas
    if len(used) < MIN_TREND_POINTS:
        return None
    pos = np.array([step[starts[i]] for i in used], dtype=float)
    slope = float(stats.theilslopes(np.array([values[i] for i in used], dtype=float), pos).slope)
    return slope * (pos[-1] - pos[0]), used[0], used[-1]


def peers_to_talk_to(code: str, peer_codes: Sequence[str], values: pd.DataFrame,
                     indicator: pd.Series | Mapping[str, Any], names: Mapping[str, str],
                     max_improvers: int = MAX_IMPROVERS) -> list[PeerToTalkTo]:
    """Peers notably better now, and peers that improved (or, with no polarity, changed) most: alphabetical.

    "Notably better": the latest figure at least 1.5 spreads from the peer median in the better
    direction (low-reliability figures left out). "Improved most": the Theil–Sen change over the
    latest 5 periods (≥ 3 figures each, so one odd year does not decide it), at least half a spread
    in the better direction, the largest 3 kept. For indicators with no polarity there is no
    "better"; peers whose figure *changed* most are named instead, with no judgement, because asking
    what moved a figure is still a useful conversation.
    """
    meta = _meta(indicator)
    ind_id, polarity = str(meta.get("id", "")), str(meta.get("polarity", "none"))
    unit, decimals = str(meta.get("unit", "")), int(meta.get("decimals", 1))
    peer_set = [p for p in dict.fromkeys(peer_codes) if p != code]
    ix = _row_index(values)  # the peers' usable rows of this indicator, in the frame's order
    at = _rows_of(ix, peer_set)
    at = at[_equals(ix.indicator[at], ind_id) & ix.usable[at]]
    if not at.size:
        return []
    period, status = ix.column(values, "period", _as_text), ix.column(values, "status", _as_text)
    value = ix.column(values, "value", _as_float)
    newest = _latest_start(ix.start[at])
    latest = at[_equals(ix.start[at], newest)] if newest is not None else at[:0]
    latest = latest[~_equals(ix.area[latest], ENGLAND_CODE)]
    band = typical_range(value[latest])
    if band is None:
        return []
    sign = {"higher_better": 1.0, "lower_better": -1.0}.get(polarity)
    reasons: dict[str, list[str]] = {}

    def fmt(v: Any) -> str:
        return format_value(float(v), unit, decimals)

    if sign is not None:
        for i in latest:
            if status[i] == "u":
                continue
            d = mad_distance(float(value[i]), band)
            if d is not None and sign * d >= NOTABLY_BETTER and strength_words(d) != "extreme":
                reasons.setdefault(str(ix.area[i]), []).append(
                    f"{strength_words(d)} better than similar councils: {fmt(value[i])} against a peer "
                    f"median of {fmt(band.median)} in {period[i]}")
    window = sorted(pd.unique(ix.start[at]))[-TREND_WINDOW:]
    by_area: dict[Any, list[int]] = {}
    for i in at:
        if not pd.isna(ix.area[i]):  # groupby drops a missing key
            by_area.setdefault(ix.area[i], []).append(int(i))
    changes: list[tuple[float, str, str]] = []
    for area in sorted(by_area):
        rows = by_area[area]
        got = _improvement([ix.start[i] for i in rows], [float(value[i]) for i in rows], window)
        if got is None:
            continue
        change, first, last = got[0], rows[got[1]], rows[got[2]]
        raw = float(value[last]) - float(value[first])
        if sign is not None:
            gain, same_way = sign * change, sign * raw > 0
            verb = "improved"
        else:
            gain, same_way = abs(change), change * raw > 0
            verb = "rose" if change > 0 else "fell"
        if same_way and gain >= 0.5 * band.spread and gain > 0:
            text = f"{verb} from {fmt(value[first])} in {period[first]} to {fmt(value[last])} in {period[last]}"
            if sign is None:
                text = f"changed most among similar councils: {text}"
            changes.append((gain, str(area), text))
    for _, area, text in sorted(changes, reverse=True)[:max_improvers]:
        reasons.setdefault(area, []).append(text)
    out = [PeerToTalkTo(area_code=a, area_name=names.get(a, a), reason="; ".join(r))
           for a, r in reasons.items()]
    return sorted(out, key=lambda p: (p.area_name.casefold(), p.area_code))


__all__ = [
    "MIN_R2", "Z95", "Z998", "Comparison", "Expectation", "PeerToTalkTo", "TypicalRange", "binomial_limits",
    "compare_indicator", "direction_of", "expectation", "format_value", "judgement_of", "label_for",
    "latest_rows", "mad_distance", "overdispersion", "peers_to_talk_to", "poisson_limits",
    "service_area_sentence", "strength_words", "trend", "typical_range", "unit_scale",
]
