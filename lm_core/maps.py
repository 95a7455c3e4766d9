"""Maps of England: each council's figure, its difference from its own peers, and places like one council.

A raw choropleth invites the unfair comparisons of a league table, so besides the value this
module colours each council by how far it sits from the median of *its own* similar councils,
and shades every council by its likeness to a chosen one. No rank, position or ordinal is made.

Choices, written down next to the code:

* **Boundaries** are served once as static GeoJSON (`static/boundaries/{tier}.geojson`, built by
  `lm_core.geo`) and joined in the browser to a small per-council table with `transform_lookup`:
  a rerun sends the table (tens of KB), not the geometry (see bench/map.py for the numbers).
* **Raw values** are binned into quintiles (breaks at the 20/40/60/80th percentiles of councils
  with a figure, rounded to the published decimals): about a fifth of councils fall in each
  colour, so one outlier cannot wash the map into one shade as equal intervals would. The legend
  gives each band as a range of values, never as a position. Palette: ColorBrewer YlGnBu
  (colour-blind safe, light = low, dark = high; darker is not "better").
* **Difference from peers**: each council's peers are its 15 nearest councils of the tier under
  the chosen lens (the same distances as `peers.nearest`, computed as one matrix per tier). The
  colour is the distance from their median in robust spreads (`compare.typical_range` /
  `mad_distance`), binned at Oflog's word thresholds ±0.5, ±1.5, ±3, so every colour has words.
  Indicators with a polarity use "better/worse" (ColorBrewer RdYlBu, worse red, better blue);
  without one, "higher/lower" in a palette with no good/bad reading (ColorBrewer BrBG).
* **States**: no data [x], suppressed [c] and not applicable [z] each have their own fill, legend
  entry, tooltip words and the GSS shorthand letter printed on the area, so none is ever a zero
  and colour is not the only signal. "Not applicable" covers both the publisher's [z] and
  councils outside the indicator's tier (a district on a county-service map).
* **Selection**: the chosen council gets a heavy dark outline over a white halo, its peers a
  dark outline, so the selection reads without colour.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from lm_core import compare, peers
from lm_core.frames import records
from lm_core.geography import ENGLAND_CODE
from lm_core.paths import STATIC_DIR

TIERS = ("lower", "upper")
MODES = ("value", "difference", "similarity")
MODE_TITLES = {
    "value": "Value",
    "difference": "Difference from own peers",
    "similarity": "Likeness to the council",
}
TIER_TITLES = {"lower": "Districts and unitaries", "upper": "Counties and unitaries"}
BOUNDARY_URLS = {t: f"app/static/boundaries/{t}.geojson" for t in TIERS}
BOUNDARY_FILES = {t: STATIC_DIR / "boundaries" / f"{t}.geojson" for t in TIERS}
BOUNDARY_ATTRIBUTION = ("Boundaries: Office for National Statistics, Open Government Licence v3.0; contains OS data "
                        "© Crown copyright and database right 2025")
ENGLAND = "England"
PEERS_K = peers.DEFAULT_K
QUANTILES = (0.2, 0.4, 0.6, 0.8)
DIFF_EDGES = (compare.SIMILAR, compare.SLIGHT, compare.NOTICEABLE)  # 0.5, 1.5, 3 spreads
SIMILARITY_EDGES = (20, 40, 60, 80)
EXPORT_SIZE = (900, 820)

# State -> (legend entry, fill, GSS shorthand printed on the area, tooltip words).
STATES: dict[str, tuple[str, str, str, str]] = {
    "x": ("No data [x]", "#FFFFFF", "x", "no data published"),
    "c": ("Suppressed [c]", "#8C8C8C", "c", "suppressed by the publisher (small numbers or disclosure)"),
    "z": ("Not applicable [z]", "#D4D4D4", "z", "not applicable to this council"),
}
TOO_FEW = ("Too few similar councils with data", "#E4DCEE")
THIS_COUNCIL = ("Selected council", "#12436D")
VALUE_COLOURS = ("#FFFFCC", "#A1DAB4", "#41B6C4", "#2C7FB8", "#253494")  # YlGnBu 5
# Diverging, from the "low"/"worse" end to the "high"/"better" end; 7 classes, centre in the middle.
# Steps taken from the 9-class palettes, skipping the palest pair, so "slightly" stands apart from "in line".
BETTER_WORSE = ("#D73027", "#F46D43", "#FDAE61", "#FFFFBF", "#ABD9E9", "#74ADD1", "#4575B4")  # RdYlBu
HIGHER_LOWER = ("#8C510A", "#BF812D", "#DFC27D", "#FFFFBF", "#80CDC1", "#35978F", "#01665E")  # BrBG
SIMILARITY_COLOURS = ("#FEEDDE", "#FDBE85", "#FD8D3C", "#E6550D", "#A63603")  # Oranges 5
OUTLINE = "#0B0C0C"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Colouring:
    """The classes a map is coloured by, in legend order, their fills, and a legend title saying the method."""

    title: list[str]
    domain: list[str]
    range: list[str]


@dataclass(frozen=True)
class TierPeers:
    """Every council's nearest councils in one tier under one lens: one distance matrix, not n queries."""

    codes: list[str]
    distance: np.ndarray  # n × n weighted Euclidean distances (as peers.nearest computes them)
    nearest: np.ndarray  # n × k row positions, most similar first, the council itself excluded


# ---------------------------------------------------------------- the table behind a map


def periods(values: pd.DataFrame, indicator_id: str) -> list[str]:
    """The indicator's periods, oldest first, so a picker can offer history."""
    rows = values[values["indicator_id"] == indicator_id]
    order = rows.drop_duplicates("period").sort_values("period_start", kind="stable")
    return [str(p) for p in order["period"]]


def applies_to(indicator: Mapping[str, Any], authorities: pd.DataFrame) -> pd.Series:
    """Whether each council runs the service the indicator measures (a county figure is no district's)."""
    tier = str(indicator.get("tier", "both"))
    if tier == "lower":
        return authorities["is_lower"].astype(bool)
    if tier == "upper":
        return authorities["is_upper"].astype(bool)
    return pd.Series(True, index=authorities.index)


def _usable(frame: pd.DataFrame) -> pd.Series:
    return frame["value"].notna() & ~frame["status"].isin(list(compare.UNUSABLE))


def latest_period(values: pd.DataFrame, indicator_id: str, codes: Sequence[str]) -> str | None:
    """The latest period in which any of these councils has a usable figure."""
    rows = values[(values["indicator_id"] == indicator_id) & values["area_code"].isin(list(codes))]
    rows = rows.assign(status=rows["status"].fillna("").astype(str))
    have = rows[_usable(rows)]
    if have.empty:
        return None
    return str(have.sort_values("period_start", kind="stable")["period"].iloc[-1])


def map_table(values: pd.DataFrame, indicator: Mapping[str, Any], authorities: pd.DataFrame, tier: str,
              period: str | None = None) -> pd.DataFrame:
    """One row per council of the tier: its figure and state (value, x, c or z) in one period (latest by default).

    `applies` says whether the council runs the service at all (False: a structural [z]).

    Councils outside the indicator's tier are [z] even when the store has no row for them, so an
    absent service is never drawn as a zero or as a gap in publishing.
    """
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}, not {tier!r}")
    ind_id = str(indicator["id"])
    councils = authorities[authorities[f"is_{tier}"].astype(bool)]
    applies = applies_to(indicator, councils)
    codes = list(councils["area_code"])
    chosen = period if period is not None else latest_period(values, ind_id, codes)
    rows = values[(values["indicator_id"] == ind_id) & (values["period"] == chosen)]
    rows = rows.drop_duplicates("area_code").set_index("area_code")
    out = pd.DataFrame({
        "area_code": codes,
        "area_name": list(councils["area_name"]),
        "region": list(councils["region"]),
        "applies": list(applies),
    })
    out["period"] = chosen or ""
    out["value"] = out["area_code"].map(rows["value"]).astype(float)
    status = out["area_code"].map(rows["status"]).fillna("").astype(str)
    has_row = out["area_code"].isin(rows.index)
    status = status.mask(~has_row & ~out["applies"], "z")
    status = status.mask((status == "") & out["value"].isna(), "x")
    # A figure published for a council outside the indicator's tier is shown (the data wins);
    # a blank for one is "not applicable", never "no data".
    status = status.mask((status == "x") & ~out["applies"], "z")
    out["status"] = status
    out.loc[out["status"].isin(list(compare.UNUSABLE)), "value"] = np.nan
    out["state"] = out["status"].where(out["status"].isin(list(STATES)), "value")
    eng = float(rows["value"].reindex([ENGLAND_CODE]).to_numpy(dtype=float)[0])
    out.attrs["england"] = None if np.isnan(eng) else eng
    return out


# ---------------------------------------------------------------- peers for every council at once


def tier_peers(z: pd.DataFrame, weights: Mapping[str, float], k: int = PEERS_K) -> TierPeers:
    """The k nearest councils of every council in the tier (same distances and order as peers.nearest)."""
    if not peers.K_RANGE[0] <= k <= peers.K_RANGE[1]:
        raise peers.PeerInputError(f"k must be between {peers.K_RANGE[0]} and {peers.K_RANGE[1]}, not {k}")
    w = np.array([weights.get(c, 0.0) for c in z.columns])
    x = z.to_numpy(dtype=float)
    # Row by row the same arithmetic as peers._row_distances, so ties break the same way.
    dist = np.sqrt((((x[:, None, :] - x[None, :, :]) ** 2) * w).sum(axis=2))
    order = np.argsort(dist, axis=1, kind="stable")
    n = len(x)
    keep = order != np.arange(n)[:, None]
    nearest = order[keep].reshape(n, n - 1)[:, :k]
    return TierPeers(codes=[str(c) for c in z.index], distance=dist, nearest=nearest)


def peer_codes(tp: TierPeers, code: str) -> list[str]:
    """The council's nearest councils, most similar first."""
    i = tp.codes.index(code)
    return [tp.codes[j] for j in tp.nearest[i]]


def similarity_to(tp: TierPeers, code: str) -> pd.Series:
    """Every council's similarity to `code` (100% identical, 0% its least similar council)."""
    i = tp.codes.index(code)
    return pd.Series(peers.similarity(tp.distance[i]), index=tp.codes)


def _robust_bands(peer_values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row-wise compare.typical_range: peer median, spread (MAD, or mean-AD when the MAD is 0), count."""
    count = np.isfinite(peer_values).sum(axis=1)
    enough = count >= compare.MIN_PEERS
    # Rows with too few peers are zeroed (no all-NaN warnings) and masked out below.
    safe = np.where(enough[:, None], peer_values, 0.0)
    median = np.nanmedian(safe, axis=1)
    dev = np.abs(safe - median[:, None])
    mad = compare.MAD_SCALE * np.nanmedian(dev, axis=1)
    spread = np.where(mad == 0, compare.MEAN_AD_SCALE * np.nanmean(dev, axis=1), mad)
    median = np.where(enough, median, np.nan)
    spread = np.where(enough, spread, np.nan)
    return median, spread, count


def compare_with_peers(table: pd.DataFrame, tp: TierPeers, indicator: Mapping[str, Any]) -> pd.DataFrame:
    """Add each council's own-peer median, robust distance and words (compare.label_for) to a map table."""
    polarity = str(indicator.get("polarity", "none"))
    by_code = table.set_index("area_code")
    usable = by_code["state"].eq("value")
    v = by_code["value"].where(usable).reindex(tp.codes).to_numpy(dtype=float)
    median, spread, count = _robust_bands(v[tp.nearest])
    med_s = pd.Series(median, index=tp.codes)
    spread_s = pd.Series(spread, index=tp.codes)
    count_s = pd.Series(count, index=tp.codes)
    out = table.copy()
    out["peer_median"] = out["area_code"].map(med_s)
    out["spread"] = out["area_code"].map(spread_s)
    out["peers_with_data"] = out["area_code"].map(count_s).fillna(0).astype(int)
    distance: list[float] = []
    direction: list[str | None] = []
    labels: list[str] = []
    columns = zip(out["state"].astype(str), out["status"].astype(str), out["value"].to_numpy(float),
                  out["peer_median"].to_numpy(float), out["spread"].to_numpy(float),
                  out["peers_with_data"].to_numpy(int), strict=True)
    for state, status, value, med, spr, n in columns:
        if state != "value":
            distance.append(np.nan)
            direction.append(None)
            labels.append(STATES[state][3])
            continue
        if not np.isfinite(med):
            distance.append(np.nan)
            direction.append(None)
            labels.append("too few similar councils with data to compare")
            continue
        band = compare.TypicalRange(median=float(med), scaled_mad=float(spr), spread=float(spr), spread_method="",
                                    low=float(med - spr), high=float(med + spr), iqr_low=np.nan, iqr_high=np.nan,
                                    n=int(n))
        d = compare.mad_distance(float(value), band)
        if d is None:  # every peer reports one figure and this council another
            word = "higher" if value > med else "lower"
            distance.append(np.inf if word == "higher" else -np.inf)
            direction.append(word)
            label = compare.label_for(None, polarity, word)
        else:
            distance.append(d)
            direction.append(compare.direction_of(d))
            label = compare.label_for(d, polarity)
        labels.append(label + (" (low reliability)" if status == "u" else ""))
    out["mad_distance"] = distance
    out["direction"] = direction
    out["label"] = labels
    return out


# ---------------------------------------------------------------- colourings


def _fmt(value: float, indicator: Mapping[str, Any]) -> str:
    return compare.format_value(float(value), str(indicator.get("unit", "")), int(indicator.get("decimals", 1)))


def _bound(value: float, indicator: Mapping[str, Any]) -> str:
    """A legend break: the number with % or £ only (the unit itself is in the legend title)."""
    unit = str(indicator.get("unit", ""))
    num = f"{float(value):,.{int(indicator.get('decimals', 1))}f}"
    if unit.startswith("%"):
        return f"{num}%"
    return f"£{num}" if unit.startswith("£") else num


def quantile_breaks(values: Sequence[float] | np.ndarray | pd.Series, decimals: int) -> list[float]:
    """Quintile breaks of the figures, rounded to the published decimals, duplicates dropped."""
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return []
    qs = np.round(np.quantile(arr, QUANTILES), decimals)
    lo = float(arr.min())
    return sorted({float(q) for q in qs if q > lo})


def colour_by_value(table: pd.DataFrame, indicator: Mapping[str, Any]) -> tuple[pd.Series, Colouring]:
    """Quintile classes of the raw figure (sequential YlGnBu), plus the missing-data states."""
    decimals = int(indicator.get("decimals", 1))
    ok = table["state"].eq("value")
    breaks = quantile_breaks(table.loc[ok, "value"], decimals)
    if not breaks:
        names = [f"all {_bound(table.loc[ok, 'value'].iloc[0], indicator)}"] if ok.any() else []
    else:
        names = [f"under {_bound(breaks[0], indicator)}"]
        names += [f"{_bound(a, indicator)} to under {_bound(b, indicator)}" for a, b in pairwise(breaks)]
        names.append(f"{_bound(breaks[-1], indicator)} or more")
    colours = _spread_palette(VALUE_COLOURS, len(names))
    cls = pd.Series(np.searchsorted(np.asarray(breaks), table["value"].to_numpy(float), side="right"),
                    index=table.index)
    fill = _state_fill(table)
    fill[ok] = [names[int(i)] for i in cls[ok]]
    unit = str(indicator.get("unit", ""))
    period = str(table["period"].iloc[0]) if len(table) else ""
    title = [f"{indicator.get('title', '')} ({unit}), {period}",
             "Quintiles: about a fifth of councils with a figure in each colour"]
    return _finish(fill, names, colours, title, table)


def _diff_class(d: float) -> int:
    """0..6 from far below to far above the peer median, at the distance-word thresholds."""
    a = abs(d)
    step = 0 if a <= DIFF_EDGES[0] else 1 if a <= DIFF_EDGES[1] else 2 if a <= DIFF_EDGES[2] else 3
    return 3 + step if d > 0 else 3 - step


def difference_names(polarity: str) -> tuple[list[str], tuple[str, ...]]:
    """Legend words and colours for the 7 difference classes, low/worse end first."""
    if polarity in compare.POLARITIES:
        worse = ["much worse", "noticeably worse", "slightly worse"]
        better = ["slightly better", "noticeably better", "much better"]
        return [*worse, "in line with similar councils", *better], BETTER_WORSE
    lower = ["much lower", "noticeably lower", "slightly lower"]
    higher = ["slightly higher", "noticeably higher", "much higher"]
    return [*lower, "in line with similar councils", *higher], HIGHER_LOWER


def colour_by_difference(table: pd.DataFrame, indicator: Mapping[str, Any]) -> tuple[pd.Series, Colouring]:
    """Distance from each council's own peer median, diverging and centred on zero (needs compare_with_peers)."""
    polarity = str(indicator.get("polarity", "none"))
    names, colours = difference_names(polarity)
    fill = _state_fill(table)
    ok = table["state"].eq("value")
    has_band = ok & table["mad_distance"].notna()
    # For "lower is better", a council above its peers is on the worse side: flip so better is always right.
    sign = -1.0 if polarity == "lower_better" else 1.0
    fill[has_band] = [names[_diff_class(sign * float(d))] for d in table.loc[has_band, "mad_distance"]]
    few = ok & ~has_band
    fill[few] = TOO_FEW[0]
    noun = "better or worse" if polarity in compare.POLARITIES else "higher or lower (no good direction)"
    title = [f"{indicator.get('title', '')}, {table['period'].iloc[0] if len(table) else ''}: {noun} than "
             "its own similar councils",
             f"Median of its {PEERS_K} most similar councils; bands at 0.5, 1.5 and 3 typical spreads (scaled MAD)"]
    extra = [TOO_FEW] if bool(few.any()) else []
    return _finish(fill, names, list(colours), title, table, extra)


def colour_by_similarity(table: pd.DataFrame, similarity: pd.Series, code: str,
                         name: str) -> tuple[pd.Series, Colouring]:
    """Every council shaded by its likeness to the selected one (context only, no outcome)."""
    edges = SIMILARITY_EDGES
    names = [f"under {edges[0]}% alike"]
    names += [f"{a}% to under {b}% alike" for a, b in pairwise(edges)]
    names.append(f"{edges[-1]}% or more alike")
    sim = table["area_code"].map(similarity)
    fill = pd.Series(
        [names[int(np.searchsorted(np.asarray(edges), s, side="right"))] if pd.notna(s) else STATES["x"][0]
         for s in sim], index=table.index, dtype=object)
    fill[table["area_code"] == code] = THIS_COUNCIL[0]
    title = [f"How alike each council is to {name} in its circumstances",
             "100% = identical context, 0% = its least similar council; outcomes play no part"]
    return _finish(fill, names, list(SIMILARITY_COLOURS), title, table, [THIS_COUNCIL], states=False)


def _spread_palette(palette: Sequence[str], n: int) -> list[str]:
    """n colours spread across the palette (fewer bands when many councils share a figure)."""
    if n <= 1:
        return [palette[len(palette) // 2]][:n]
    idx = np.round(np.linspace(0, len(palette) - 1, min(n, len(palette)))).astype(int)
    return [palette[i] for i in idx]


def _state_fill(table: pd.DataFrame) -> pd.Series:
    return pd.Series([STATES[s][0] if s in STATES else "" for s in table["state"]], index=table.index, dtype=object)


def _finish(fill: pd.Series, names: list[str], colours: list[str], title: list[str], table: pd.DataFrame,
            extra: Sequence[tuple[str, str]] = (), states: bool = True) -> tuple[pd.Series, Colouring]:
    """Append the extra classes and every state to the legend (each state always has its entry)."""
    domain, rng = list(names), list(colours)
    for label, colour in extra:
        domain.append(label)
        rng.append(colour)
    if states:
        for label, colour, _, _ in STATES.values():
            domain.append(label)
            rng.append(colour)
    return fill, Colouring(title=title, domain=domain, range=rng)


# ---------------------------------------------------------------- the table a chart receives


def chart_table(table: pd.DataFrame, fill: pd.Series, indicator: Mapping[str, Any],
                selected: str | None = None, peer_list: Sequence[str] = (),
                similarity: pd.Series | None = None) -> pd.DataFrame:
    """The small per-council table joined to the boundaries in the browser: strings ready for the tooltip."""
    # Plain lists, not per-row pandas access: this runs on every rerun (bench/map.py times it).
    codes = [str(c) for c in table["area_code"].tolist()]
    names = [str(n) for n in table["area_name"].tolist()]
    states = [str(s) for s in table["state"].tolist()]
    statuses = [str(s) for s in table["status"].tolist()]
    fills = [str(f) for f in fill.tolist()]
    out = pd.DataFrame({"area_code": codes, "area_name": names, "region": table["region"].tolist(), "fill": fills})
    out["value_text"] = [_fmt(v, indicator) if s == "value" else STATES[s][0]
                         for v, s in zip(table["value"].tolist(), states, strict=True)]
    out["period"] = table["period"].tolist()
    out["status_words"] = [STATES[s][3] if s in STATES else ("low reliability" if st == "u" else "published")
                           for s, st in zip(states, statuses, strict=True)]
    if "label" in table:
        out["label"] = table["label"].tolist()
        out["peer_median"] = [_fmt(m, indicator) if pd.notna(m) else "" for m in table["peer_median"].tolist()]
    else:
        out["label"] = ""
        out["peer_median"] = ""
    if similarity is not None:
        sim = similarity.to_dict()
        out["similarity"] = [f"{sim[c]:.0f}%" if c in sim and pd.notna(sim[c]) else "" for c in codes]
    else:
        out["similarity"] = ""
    peer_set = set(peer_list)
    groups = ["this council" if c == selected else "peer" if c in peer_set else "other" for c in codes]
    out["group"] = groups
    # What a screen reader (and the browser tests) hear for each outline.
    out["outline"] = [f"Selected council: {n}" if g == "this council" else f"Similar council: {n}" if g == "peer"
                      else "" for n, g in zip(names, groups, strict=True)]
    letters = {label: letter for label, _, letter, _ in STATES.values()}
    out["letter"] = [letters.get(f, "") for f in fills]
    out["structural"] = (~table["applies"].astype(bool)).tolist() if "applies" in table else False
    return out


@lru_cache(maxsize=2)
def _areas(tier: str) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float, float, float]]]:
    """Per GSS code: a point inside the area (shapely's representative point, for the state letters) and its
    lon/lat box (west, south, east, north). Plain numbers, not the parsed GeoJSON, so the long-lived
    process holds few objects (Streamlit runs a full garbage collection after every rerun)."""
    import geopandas as gpd

    gdf = gpd.read_file(BOUNDARY_FILES[tier])
    pts = gdf.geometry.representative_point()
    codes = [str(c) for c in gdf["area_code"].tolist()]
    points = {c: (round(float(x), 4), round(float(y), 4))
              for c, x, y in zip(codes, pts.x.tolist(), pts.y.tolist(), strict=True)}
    bounds = {c: (float(w), float(s), float(e), float(n))
              for c, (w, s, e, n) in zip(codes, gdf.geometry.bounds.itertuples(index=False), strict=True)}
    return points, bounds


def view_box(tier: str, codes: Sequence[str]) -> dict[str, float]:
    """The lon/lat box around these areas (all of the tier if none is known): what the projection is fitted to."""
    bounds = _areas(tier)[1]
    boxes = np.array([bounds[c] for c in codes if c in bounds] or list(bounds.values()))
    west, south = boxes[:, 0].min(), boxes[:, 1].min()
    east, north = boxes[:, 2].max(), boxes[:, 3].max()
    return {"west": round(float(west), 4), "south": round(float(south), 4), "east": round(float(east), 4),
            "north": round(float(north), 4)}


def glyphs(data: pd.DataFrame, tier: str, regions: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows for the letters x / c / z on areas in a missing-data state, and the selected council's name.

    Councils that do not run the service at all are left unlettered on the England view (a county
    service leaves most of the shire districts grey, and 164 letters read as noise); the legend,
    the tooltip and the page say why. Zoomed to a region they are lettered like the rest.
    """
    points = _areas(tier)[0]
    zoom = set(regions or ())
    rows = []
    for code, name, letter, group, structural, region in zip(
            data["area_code"].tolist(), data["area_name"].tolist(), data["letter"].tolist(), data["group"].tolist(),
            data["structural"].astype(bool).tolist(), data["region"].tolist(),
            strict=True):
        if (zoom and region not in zoom) or code not in points:
            continue
        if group == "this council":
            rows.append((code, name, "name", *points[code]))
        elif letter and (not structural or zoom):
            rows.append((code, letter, "state", *points[code]))
    return pd.DataFrame(rows, columns=["area_code", "letter", "kind", "lon", "lat"])


# ---------------------------------------------------------------- the chart


# The most classes a legend holds (7 differences + "too few" + 3 states = 11): one colour slot each in the spec.
LEGEND_SLOTS = 12
# The first row of the `legend` dataset also carries the titles and the lon/lat box the projection is fitted to.
_META = "(data('legend')[0] || {})"


def legend_rows(colouring: Colouring, title: str, subtitle: str, box: Mapping[str, float],
                wrap: int | None = None) -> list[dict[str, Any]]:
    """The `legend` dataset: one row per class in legend order (label, colour), each with the chart's titles.

    Titles, classes and the area shown travel as data so the spec stays the same when a reader
    changes the indicator, period, lens or colouring: the browser then swaps data in the chart it
    has already drawn instead of building a new one (see choropleth).
    """
    if len(colouring.domain) > LEGEND_SLOTS:
        raise ValueError(f"a map legend holds at most {LEGEND_SLOTS} classes, not {len(colouring.domain)}")
    lines = [w for line in colouring.title for w in textwrap.wrap(line, wrap)] if wrap else list(colouring.title)
    meta = {"title": title, "subtitle": subtitle, "legend_title": "\n".join(lines), **box}
    return [{"label": label, "colour": colour, **meta}
            for label, colour in zip(colouring.domain, colouring.range, strict=True)]


def choropleth(data: pd.DataFrame, colouring: Colouring, tier: str, title: str, subtitle: str = "",
               regions: Sequence[str] | None = None, height: int = 560, selectable: bool = True,
               legend_at: str = "right", show_legend: bool = True, boundaries: str | None = None,
               place: str | None = None) -> dict[str, Any]:
    """The map as a Vega-Lite dict: fills from the small table, boundaries from the static GeoJSON.

    `data` comes from chart_table. `regions` zooms to those regions: only their rows travel, areas
    without a row are not drawn, and the projection is fitted to their box. Built by hand rather
    than with altair: the same bytes, but altair's to_dict took ~0.4 s per rerun on this table
    against a few ms (bench/map.py prints both).

    Drawing speed in the browser (bench/map.py prints the times), why the spec looks as it does:

    * The spec depends only on the tier, the size, whether the legend shows and whether a council is
      selected (which adds a tooltip line). Titles, legend classes and colours, the area to fit and
      every council's figures are datasets (`councils`, `letters`, `legend`), which Streamlit sends
      beside the spec; when only they change, it swaps them into the chart already drawn (vega's
      view.data) instead of parsing the boundaries, compiling the spec and building the SVG again.
    * The projection is fitted to a four-number box, not to every vertex of every area, and draws
      without adaptive resampling (precision 0: sub-pixel at this scale, and most of the path cost).
    * `boundaries` draws another tier's boundary file and `place` names what the map shows: London's
      boroughs are in both files, so a London inset drawn from one file with one name has the same spec
      whichever tier is shown, and a change of tier swaps its data instead of rebuilding it.
    """
    shapes_tier = boundaries or tier
    fields = [c for c in data.columns if c not in ("area_code", "letter", "structural")]
    lookup: list[dict[str, Any]] = [
        {"calculate": "datum.properties.area_code", "as": "area_code"},
        {"lookup": "area_code", "from": {"data": {"name": "councils"}, "key": "area_code", "fields": fields}},
        {"filter": "isValid(datum.fill)"},  # areas with no row (outside the zoomed regions) are not drawn
    ]
    shapes_data = {"url": BOUNDARY_URLS[shapes_tier], "format": {"type": "json", "property": "features"}}

    def geo(mark: dict[str, Any], only: str | None = None, **extra: Any) -> dict[str, Any]:
        transform = lookup + ([{"filter": f"datum.group === '{only}'"}] if only else [])
        return {"data": shapes_data, "transform": transform, "mark": {"type": "geoshape", **mark}, **extra}

    tooltip = [_tip("area_name", "Council"), _tip("value_text", "Value"), _tip("period", "Period"),
               _tip("status_words", "Status"), _tip("label", "Against similar councils"),
               _tip("peer_median", "Median of its similar councils")]
    if any(data["similarity"].astype(str).tolist()):
        tooltip.append(_tip("similarity", "Alike to the selected council"))
    tooltip.append(_tip("area_code", "GSS code"))
    legend: dict[str, Any] | None = None
    if show_legend:
        # A legend beside a tall map keeps the map large. Its title is data too: Vega-Lite passes a
        # signal title through to Vega (tests/unit/test_maps.py renders it to check it still does).
        legend = {"title": {"signal": f"split({_META}.legend_title || '', '\\n')"}, "orient": legend_at,
                  "direction": "vertical", "symbolType": "square", "symbolStrokeColor": "#505A5F",
                  "symbolStrokeWidth": 0.6, "labelLimit": 300, "titleLimit": 320, "titleFontWeight": "normal"}
    scale = {"domain": {"expr": "pluck(data('legend'), 'label')"},
             "range": [{"expr": f"(data('legend')[{i}] || {{}}).colour"} for i in range(LEGEND_SLOTS)]}
    shapes = geo({"stroke": "#7F7F7F", "strokeWidth": 0.35}, encoding={
        "color": {"field": "fill", "type": "nominal", "legend": legend, "scale": scale},
        "tooltip": tooltip,
    })
    # Vega-Lite only hands Vega the datasets some data flow reads, and `legend` is otherwise read by
    # expressions alone (scale, titles, fit): look its colour up so it is always there.
    from_legend = {"data": {"name": "legend"}, "key": "label", "fields": ["colour"]}
    shapes["transform"] = [*shapes["transform"], {"lookup": "fill", "from": from_legend}]
    if selectable:
        shapes["params"] = [{"name": "pick", "select": {"type": "point", "fields": ["area_code"], "on": "click",
                                                        "toggle": False, "clear": False}}]
    # Outlines name their council for screen readers (and browser tests) through the description channel.
    named = {"description": {"field": "outline", "type": "nominal"}}
    at = {"longitude": {"field": "lon", "type": "quantitative"}, "latitude": {"field": "lat", "type": "quantitative"}}
    text = {**at, "text": {"field": "letter", "type": "nominal"}}
    name_only = [{"filter": "datum.kind === 'name'"}]
    # The selected council's name sits on a white halo (a stroked copy) so it reads on any fill.
    name = {"type": "text", "fontSize": 13, "fontWeight": "bold", "dy": -16}
    layers: list[dict[str, Any]] = [
        shapes,
        geo({"fill": None, "stroke": "#FFFFFF", "strokeWidth": 5}, "this council"),
        geo({"fill": None, "stroke": OUTLINE, "strokeWidth": 1.6}, "peer", encoding=named),
        geo({"fill": None, "stroke": OUTLINE, "strokeWidth": 3}, "this council", encoding=named),
        {"data": {"name": "letters"}, "transform": [{"filter": "datum.kind === 'state'"}],
         "mark": {"type": "text", "fontSize": 9, "color": "#3C3C3C"}, "encoding": text},
        {"data": {"name": "letters"}, "transform": name_only, "encoding": text,
         "mark": {**name, "fill": "#FFFFFF", "stroke": "#FFFFFF", "strokeWidth": 4, "strokeJoin": "round"}},
        {"data": {"name": "letters"}, "transform": name_only, "encoding": text, "mark": {**name, "fill": OUTLINE}},
    ]
    # Zoomed, only the region's rows travel: the rest would not be drawn anyway.
    rows = data[data["region"].isin(list(regions))] if regions else data
    marks = glyphs(data, shapes_tier, regions)
    datasets: dict[str, Any] = {
        "councils": records(rows[["area_code", *fields]]),
        "letters": records(marks[["lon", "lat", "letter", "kind"]]),
        # A legend beside a tall map has its title wrapped to stay narrow.
        "legend": legend_rows(colouring, title, subtitle, view_box(shapes_tier, list(rows["area_code"])),
                              wrap=44 if legend_at == "right" else None),
    }
    shown = place or f"England's {TIER_TITLES[tier].lower()}"
    description = (f"Map of {shown}, titled above and coloured as its legend explains. Missing figures are marked "
                   "x (no data), c (suppressed) and z (not applicable). A selected council has a heavy outline "
                   "and its similar councils a dark outline.")
    box = f"[[{_META}.west, {_META}.south], [{_META}.east, {_META}.north]]"
    return {
        "$schema": alt.SCHEMA_URL, "description": description,
        "title": {"text": {"expr": f"{_META}.title || ''"}, "subtitle": {"expr": f"{_META}.subtitle || ''"},
                  "anchor": "start"},
        "width": "container", "height": height, "autosize": {"type": "fit", "contains": "padding"},
        "projection": {"type": "mercator", "precision": 0,
                       "fit": {"expr": f"{{type: 'Feature', geometry: {{type: 'MultiPoint', coordinates: {box}}}}}"}},
        "datasets": datasets, "layer": layers,
        "config": {"view": {"stroke": None}, "legend": {"labelFontSize": 12, "titleFontSize": 12}},
    }


def _tip(field: str, title: str) -> dict[str, str]:
    return {"field": field, "type": "nominal", "title": title}


# ---------------------------------------------------------------- words for the page


def state_counts(table: pd.DataFrame) -> str:
    """How many councils have a figure and how many are in each missing state, e.g. for a caption."""
    counts = {str(k): int(v) for k, v in table["state"].value_counts().items()}
    parts = [f"{counts.get('value', 0)} councils with a figure"]
    parts += [f"{counts[s]} {STATES[s][0][0].lower()}{STATES[s][0][1:]}" for s in STATES if counts.get(s, 0)]
    return " · ".join(parts)


def council_sentence(table: pd.DataFrame, code: str, indicator: Mapping[str, Any]) -> str:
    """One council's figure and its words against its own similar councils (needs compare_with_peers)."""
    record = table[table["area_code"] == code].to_dict("records")[0]
    row: dict[str, Any] = {str(k): v for k, v in record.items()}
    name = str(row["area_name"])
    if row["state"] != "value":
        return f"{name}: {STATES[str(row['state'])][3]} for {row['period'] or 'this indicator'}."
    text = f"{name}: {_fmt(float(row['value']), indicator)} in {row['period']}"
    if "label" not in row:
        return text + "."
    text += f" — {row['label']}"
    if pd.notna(row.get("peer_median")):
        text += (f"; the median of its {PEERS_K} most similar councils is {_fmt(float(row['peer_median']), indicator)}"
                 f" ({int(row['peers_with_data'])} with a figure)")
    return text + "."


# ---------------------------------------------------------------- exports


@lru_cache(maxsize=2)
def boundary_features(tier: str) -> tuple[dict[str, Any], ...]:
    """The tier's GeoJSON features from static/ (vl-convert cannot fetch the app's static URLs)."""
    fc = json.loads(BOUNDARY_FILES[tier].read_text(encoding="utf-8"))
    return tuple(fc["features"])


def export_spec(spec: Mapping[str, Any], size: tuple[int, int] = EXPORT_SIZE) -> dict[str, Any]:
    """The map's spec with boundaries inlined (once) and a fixed size, to render without a browser."""
    out = copy.deepcopy(dict(spec))
    urls = {url: tier for tier, url in BOUNDARY_URLS.items()}
    used: set[str] = set()

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("url") in urls:
                used.add(urls[node["url"]])
                return {"name": f"boundaries_{urls[node['url']]}"}
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    out = inline(out)
    datasets = out.setdefault("datasets", {})
    for tier in used:
        datasets[f"boundaries_{tier}"] = list(boundary_features(tier))
    out["width"], out["height"] = size
    out["autosize"] = {"type": "pad"}
    out.setdefault("config", {})["background"] = "white"
    out.pop("params", None)
    for layer in out.get("layer", []):
        layer.pop("params", None)  # a static image has nothing to click
    return dict(out)


def map_png(spec: Mapping[str, Any], scale: float = 2.0) -> bytes:
    """The map as PNG, rendered offline by vl-convert."""
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(dict(spec), scale=scale))


def map_svg(spec: Mapping[str, Any]) -> bytes:
    """The map as SVG, rendered offline by vl-convert."""
    import vl_convert as vlc

    return str(vlc.vegalite_to_svg(dict(spec))).encode("utf-8")


def safe_cell(cell: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (= + - @); numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def map_csv(table: pd.DataFrame, indicator: Mapping[str, Any], mode: str, tier: str,
            similarity: pd.Series | None = None) -> bytes:
    """The map's data with GSS codes, in code order (no rank), UTF-8 with a BOM for Excel."""
    out = pd.DataFrame({
        "area_code": table["area_code"], "area_name": table["area_name"], "region": table["region"],
        "tier": tier, "indicator_id": str(indicator.get("id", "")), "indicator": str(indicator.get("title", "")),
        "unit": str(indicator.get("unit", "")), "period": table["period"], "value": table["value"],
        "status": table["status"], "status_words": [STATES[s][3] if s in STATES else "" for s in table["state"]],
    })
    if "label" in table:
        out["peer_median"] = table["peer_median"]
        out["difference_in_spreads"] = table["mad_distance"].replace([np.inf, -np.inf], np.nan).round(3)
        out["against_similar_councils"] = table["label"]
    if mode == "similarity" and similarity is not None:
        out["similarity_pct"] = table["area_code"].map(similarity).round(1)
    out = out.sort_values("area_code", kind="stable")
    out = out.map(safe_cell)
    buf = io.StringIO()
    out.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def payload_bytes(spec: Mapping[str, Any]) -> int:
    """Bytes of the spec a rerun sends as JSON (the boundaries travel separately, once, as a static file)."""
    return len(json.dumps(spec, separators=(",", ":"), default=str).encode("utf-8"))


__all__ = [
    "BOUNDARY_ATTRIBUTION", "MODES", "MODE_TITLES", "STATES", "TIERS", "TIER_TITLES", "Colouring", "TierPeers",
    "applies_to", "chart_table", "choropleth", "colour_by_difference", "colour_by_similarity", "colour_by_value",
    "compare_with_peers", "council_sentence", "difference_names", "export_spec", "glyphs", "latest_period",
    "map_csv", "map_png", "map_svg", "map_table", "payload_bytes", "peer_codes", "periods", "quantile_breaks",
    "safe_cell", "similarity_to", "state_counts", "tier_peers",
]
