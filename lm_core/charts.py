"""Altair chart builders: pure functions from tidy frames to charts, each with alt text.

Colours are kept here as data (Analysis Function palettes): colour is never the only signal,
and no chart carries a rank axis or an ordinal position.

Charts are assembled from plain Vega-Lite dicts handed to altair's constructors, with altair's
creation-time validation off: wrapping every channel in alt.X(...)/.encode(...) and validating as it
goes cost most of the build time, and the spec `to_dict()` gives is the same either way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import altair as alt
import pandas as pd
from altair.utils.schemapi import debug_mode

# Analysis Function categorical palette (dark blue, turquoise, dark pink, orange) + neutral greys.
PALETTE = {
    "this council": "#12436D",
    "peer": "#28A197",
    "other": "#BFBFBF",
    "alike": "#28A197",
    "differ": "#F46A25",
    "no data": "#FFFFFF",
}
BOUNDARY_URLS = {"lower": "app/static/boundaries/lower.geojson", "upper": "app/static/boundaries/upper.geojson"}
GROUPS = ["this council", "peer", "other"]
_TYPES = {"Q": "quantitative", "N": "nominal", "O": "ordinal"}

Spec = dict[str, Any]
T = TypeVar("T")


def _make(cls: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`cls(*args, **kwargs)` with altair's creation-time validation off (the tests validate the output)."""
    # Safe: debug_mode only switches creation-time validation (and its error messages); to_dict() is unchanged.
    with debug_mode(False):
        return cls(*args, **kwargs)


def _chart(data: Any, mark: Spec, encoding: Spec, **props: Any) -> alt.Chart:
    """One chart (or layer) from a Vega-Lite mark, encoding and top-level properties."""
    enc = _make(alt.FacetedEncoding, **encoding) if encoding else alt.Undefined
    return _make(alt.Chart, data, mark=mark, encoding=enc, **props)


def _plain_values(data: Any, max_rows: int = 5000) -> Any:
    """altair's default data transformer, faster for frames of plain columns.

    Such a frame becomes the inline values altair writes itself (missing and infinite numbers as null),
    without its general-purpose sanitising, which took most of the time to draw a strip of 300 councils;
    anything else (dates, categories, missing text, other data) goes through altair's own transformer.
    Registered as the process's default below; tests check the output is the same.
    """
    if not isinstance(data, pd.DataFrame) or len(data) > max_rows:  # too many rows: altair's MaxRowsError
        return alt.default_data_transformer(data, max_rows=max_rows)
    columns: list[list[Any]] = []
    for _, col in data.items():
        kind = col.dtype.kind
        if kind == "f":
            columns.append([v if math.isfinite(v) else None for v in col.tolist()])
        elif kind in "iub":
            columns.append(col.tolist())
        elif kind in "OU" or str(col.dtype).startswith(("str", "string")):
            values = col.tolist()
            if not all(type(v) is str for v in values):
                return alt.default_data_transformer(data, max_rows=max_rows)
            columns.append(values)
        else:
            return alt.default_data_transformer(data, max_rows=max_rows)
    names = [str(c) for c in data.columns]
    return {"values": [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]}


alt.data_transformers.register("level_measures", _plain_values)
alt.data_transformers.enable("level_measures")


def _field(shorthand: str, **props: Any) -> Spec:
    """A field definition from 'name:Q' / 'name:N' / 'name:O' (or a bare name) plus further properties."""
    name, _, kind = shorthand.partition(":")
    return {"field": name, **({"type": _TYPES[kind]} if kind else {}), **props}


def _tip(shorthand: str, title: str, fmt: str | None = None) -> Spec:
    """A tooltip entry: field, title and optional number format."""
    return _field(shorthand, title=title, **({"format": fmt} if fmt else {}))


def _legend(orient: str = "bottom", title: str | None = None) -> Spec:
    """An untitled (by default) legend at the given side."""
    return {"title": title, "orient": orient}


def _by_group(values: list[Any], legend: Spec | None = None) -> Spec:
    """The `group` field (this council / peer / other) onto `values`; no legend unless given."""
    return _field("group:N", scale={"domain": GROUPS, "range": values}, legend=legend)


def _group_colour(orient: str = "bottom") -> Spec:
    """This council dark, peers turquoise, the rest grey."""
    return _by_group([PALETTE[g] for g in GROUPS], _legend(orient))


def why_chart(contributions: pd.DataFrame, council: str, peer: str) -> alt.Chart:
    """Each variable's share of the distance between two councils: short bars = alike."""
    data = contributions.assign(
        kind=lambda d: ["differ" if v >= d["contribution"].max() * 0.5 else "alike" for v in d["contribution"]]
    )
    title = f"Why {peer} is a peer of {council}"
    return _chart(data, {"type": "bar"}, {
        "y": _field("label:N", sort="x", title=None),
        "x": _field("contribution:Q", title="Contribution to distance"),
        "color": _field("kind:N", scale={"domain": ["alike", "differ"], "range": [PALETTE["alike"], PALETTE["differ"]]},
                        legend=_legend()),
        "tooltip": [_tip("label:N", "Variable"), _tip("contribution:Q", "Contribution", ".2f"),
                    _tip("council_value:N", council), _tip("peer_value:N", peer)],
    }, title={"text": title, "subtitle": "Share of the distance between them; shorter = more alike"},
        height={"step": 22}, width="container",
        description=f"Bar chart: {title}. Variables with short bars are where the two are most alike.")


def location_map(groups: pd.DataFrame, tier: str, title: str, height: int = 520,
                 regions: list[str] | None = None) -> alt.LayerChart | alt.FacetChart:
    """Where a council and its peers are: this council dark, peers turquoise, the rest grey.

    `groups` has area_code, area_name, region, group ("this council" / "peer" / "other") and
    optionally similarity. Boundaries come from the static GeoJSON, so only this small table
    travels per rerun. `regions` zooms to those regions (the projection fits what is drawn),
    which is how London's 33 small authorities become readable.
    """
    lookup = groups.assign(similarity=groups.get("similarity", pd.Series(dtype=float)))
    # altair's LookupData (not a dict): it is what turns the frame into a named dataset in to_dict().
    source = _make(alt.LookupData, data=lookup, key="area_code", fields=["area_name", "group", "similarity", "region"])
    transform: list[Spec] = [{"calculate": "datum.properties.area_code", "as": "area_code"},
                             {"lookup": "area_code", "from": source}]
    if regions:
        transform.append({"filter": {"field": "region", "oneOf": list(regions)}})
    shapes = _chart(alt.Undefined, {"type": "geoshape", "stroke": "white", "strokeWidth": 0.3}, {
        "color": _group_colour("top"),
        "tooltip": [_tip("area_name:N", "Council"), _tip("group:N", ""), _tip("similarity:Q", "Similarity %", ".0f")],
    }, transform=transform, projection={"type": "mercator"})
    # Peers also get a dark outline, so the map does not rely on colour alone.
    outline = _chart(alt.Undefined, {"type": "geoshape", "fill": None, "stroke": "#0B0C0C", "strokeWidth": 1.2}, {},
                     transform=[*transform, {"filter": "datum.group != 'other'"}], projection={"type": "mercator"})
    n = int((groups["group"] == "peer").sum())
    return _make(alt.LayerChart, data={"url": BOUNDARY_URLS[tier], "format": {"property": "features", "type": "json"}},
                 layer=[shapes, outline], title=title, height=height, width="container",
                 description=f"Map of England: {title}. {n} peer councils outlined and shaded turquoise.")


def _jitter(code: str) -> float:
    """A fixed vertical offset per council (from its code), so the strip looks the same every time."""
    h = 0
    for ch in code:
        h = (h * 31 + ord(ch)) % 10_007
    return (h % 1000) / 1000.0


def strip_chart(points: pd.DataFrame, title: str, unit: str, median: float | None, low: float | None,
                high: float | None, council_name: str, status_note: str = "") -> alt.LayerChart | alt.FacetChart:
    """All councils of the tier as a strip: grey others, turquoise peers, this council dark and labelled.

    `points` has area_code, area_name, value, group ("this council" / "peer" / "other").
    The vertical position is a fixed jitter that means nothing (no rank axis, no ordinal position);
    the shaded band is the typical range of similar councils and the line their median.
    """
    data = points.dropna(subset=["value"]).assign(
        jitter=lambda d: [_jitter(c) for c in d["area_code"]],
        size=lambda d: d["group"].map({"this council": 260, "peer": 70, "other": 28}),
    )
    layers: list[alt.Chart] = []
    if low is not None and high is not None:
        layers.append(_chart(pd.DataFrame({"low": [low], "high": [high]}),
                             {"type": "rect", "color": PALETTE["peer"], "opacity": 0.15}, {
            "x": _field("low:Q"), "x2": _field("high"),
            "tooltip": [_tip("low:Q", "Typical range from", ",.2f"), _tip("high:Q", "to", ",.2f")],
        }))
    if median is not None:
        layers.append(_chart(pd.DataFrame({"median": [median]}),
                             {"type": "rule", "color": PALETTE["peer"], "strokeWidth": 2, "strokeDash": [6, 3]}, {
            "x": _field("median:Q"), "tooltip": [_tip("median:Q", "Similar councils' median", ",.2f")],
        }))
    layers.append(_chart(data, {"type": "point", "filled": True, "opacity": 0.85}, {
        "x": _field("value:Q", title=unit, scale={"zero": False, "nice": True}),
        "y": _field("jitter:Q", axis=None, scale={"domain": [-0.1, 1.1]}),
        "color": _group_colour(),
        "shape": _by_group(["diamond", "circle", "circle"]),
        "size": _field("size:Q", legend=None),
        "order": _field("size:Q"),
        "tooltip": [_tip("area_name:N", "Council"), _tip("value:Q", unit, ",.2f"), _tip("group:N", "")],
    }))
    mine = data[data["group"] == "this council"]
    if len(mine):
        layers.append(_chart(mine, {"type": "text", "dy": -16, "fontWeight": "bold", "color": PALETTE["this council"]},
                             {"x": _field("value:Q"), "y": _field("jitter:Q", axis=None),
                              "text": _field("area_name:N")}))
    subtitle = "Shaded: typical range of similar councils · dashed line: their median"
    if status_note:
        subtitle = f"{council_name}: {status_note} · {subtitle}"
    n_peers = int((points["group"] == "peer").sum())
    return _make(alt.LayerChart, layer=layers, title={"text": title, "subtitle": subtitle},
                 height=300, width="container",  # total height: Streamlit fits title and legend inside
                 description=f"Strip chart of {title} for every council in the tier; {n_peers} similar councils "
                             f"highlighted; {council_name} marked; the vertical position carries no meaning.")


def trend_chart(trend: pd.DataFrame, title: str, unit: str, council_name: str) -> alt.Chart:
    """This council, its peers' median and England over every period; gaps stay gaps."""
    series = {"council": council_name, "peer_median": "Similar councils (median)", "england": "England"}
    long = trend.melt(id_vars=["period", "period_start"], value_vars=[c for c in series if c in trend],
                      var_name="series", value_name="value").assign(series=lambda d: d["series"].map(series))
    order = [council_name, "Similar councils (median)", "England"]
    colours = [PALETTE["this council"], PALETTE["peer"], "#801650"]
    return _chart(long, {"type": "line", "point": True}, {
        "x": _field("period:O", sort=list(trend.sort_values("period_start")["period"]), title=None,
                    axis={"labelAngle": -40}),
        "y": _field("value:Q", title=unit, scale={"zero": False}),
        "color": _field("series:N", scale={"domain": order, "range": colours}, legend=_legend()),
        "strokeDash": _field("series:N", scale={"domain": order, "range": [[1, 0], [6, 3], [2, 2]]}, legend=None),
        "tooltip": [_tip("series:N", ""), _tip("period:O", "Period"), _tip("value:Q", unit, ",.2f")],
    }, title={"text": title, "subtitle": "Over every period published"}, height=380, width="container",
        description=f"Line chart of {title}: {council_name}, the median of similar councils, and England, "
                    "for each period.")


def expectation_chart(observed: float, expected: float, low: float, high: float, unit: str,
                      council_name: str) -> alt.LayerChart | alt.FacetChart:
    """Observed against what the council's context predicts, with the 95% prediction interval."""
    band = pd.DataFrame({"low": [low], "high": [high], "expected": [expected], "observed": [observed],
                         "label": [council_name]})
    rng = _chart(alt.Undefined, {"type": "rule", "strokeWidth": 10, "opacity": 0.25, "color": PALETTE["peer"]},
                 {"x": _field("low:Q", title=unit, scale={"zero": False}), "x2": _field("high")})
    exp = _chart(alt.Undefined, {"type": "tick", "thickness": 3, "size": 26, "color": PALETTE["peer"]},
                 {"x": _field("expected:Q"), "tooltip": [_tip("expected:Q", "Expected from context", ",.2f")]})
    obs = _chart(alt.Undefined, {"type": "point", "shape": "diamond", "size": 220, "filled": True,
                                 "color": PALETTE["this council"]},
                 {"x": _field("observed:Q"), "tooltip": [_tip("observed:Q", "Observed", ",.2f")]})
    return _make(alt.LayerChart, data=band, layer=[rng, exp, obs],
                 title={"text": "Observed against expected from context",
                        "subtitle": f"Bar: 95% prediction range · tick: expected · diamond: {council_name}"},
                 height=170, width="container",
                 description=f"{council_name}'s observed value against the value its context predicts.")


def funnel_chart(points: pd.DataFrame, limits: pd.DataFrame, benchmark: float, title: str, unit: str,
                 x_title: str, benchmark_label: str) -> alt.LayerChart | alt.FacetChart:
    """Funnel plot: each council by size (or precision) against value, with 95% and 99.8% limits.

    `points` has area_code, area_name, x, value, group. Councils outside the funnel differ from the
    benchmark by more than chance would explain; position along x is size, not a ranking.
    """
    long = limits.melt(id_vars="x", var_name="limit", value_name="y")
    long["level"] = long["limit"].map({"lo95": "95%", "hi95": "95%", "lo998": "99.8%", "hi998": "99.8%"})
    long["side"] = long["limit"].str[:2]
    lines = _chart(long, {"type": "line", "color": "#3D3D3D", "strokeWidth": 1}, {
        "x": _field("x:Q", title=x_title, scale={"type": "log"}),
        "y": _field("y:Q", title=unit, scale={"zero": False}),
        "strokeDash": _field("level:N", scale={"domain": ["95%", "99.8%"], "range": [[4, 3], [1, 0]]},
                             legend=_legend(title="Control limits")),
        "detail": _field("limit:N"),
    })
    bench = _chart(pd.DataFrame({"y": [benchmark]}), {"type": "rule", "color": PALETTE["peer"], "strokeWidth": 2},
                   {"y": _field("y:Q"), "tooltip": [_tip("y:Q", f"Benchmark ({benchmark_label})", ",.2f")]})
    dots = _chart(points, {"type": "point", "filled": True, "opacity": 0.85}, {
        "x": _field("x:Q"), "y": _field("value:Q"),
        "color": _group_colour(),
        "shape": _by_group(["diamond", "circle", "circle"]),
        "size": _by_group([220, 70, 25]),
        "order": _field("group:N", sort="descending"),
        "tooltip": [_tip("area_name:N", "Council"), _tip("value:Q", unit, ",.2f"), _tip("x:Q", x_title, ",.0f")],
    })
    return _make(alt.LayerChart, layer=[lines, bench, dots],
                 title={"text": title,
                        "subtitle": f"Line: {benchmark_label}; dashed: 95% limits; solid: 99.8% limits"},
                 height=460, width="container",
                 description=f"Funnel plot of {title}: each council by size against its value, with control "
                             "limits around the benchmark. Councils are not ordered.")


def scatter_chart(frame: pd.DataFrame, x_title: str, y_title: str, title: str) -> alt.LayerChart | alt.FacetChart:
    """An outcome against a context variable: all councils, peers and this council highlighted, with a trend line."""
    trend = _chart(alt.Undefined, {"type": "line", "color": "#3D3D3D", "strokeDash": [4, 3]},
                   {"x": _field("x:Q"), "y": _field("y:Q")}, transform=[{"regression": "y", "on": "x"}])
    dots = _chart(alt.Undefined, {"type": "point", "filled": True, "opacity": 0.85}, {
        "x": _field("x:Q", title=x_title, scale={"zero": False}),
        "y": _field("y:Q", title=y_title, scale={"zero": False}),
        "color": _group_colour(),
        "size": _by_group([220, 70, 25]),
        "order": _field("group:N", sort="descending"),
        "tooltip": [_tip("area_name:N", "Council"), _tip("x:Q", x_title, ",.2f"), _tip("y:Q", y_title, ",.2f")],
    })
    return _make(alt.LayerChart, data=frame, layer=[trend, dots],
                 title={"text": title, "subtitle": "Dashed line: straight-line fit across all councils"},
                 height=460, width="container",
                 description=f"Scatter plot of {y_title} against {x_title} for every council in the tier.")


def drawing_spec(chart: alt.TopLevelMixin) -> Spec:
    """The Vega-Lite dict a page draws, without altair's JSON-schema check.

    Streamlit's own altair conversion re-validates every chart against the whole Vega-Lite schema on every
    rerun, under a process-wide lock: half its cost, ~20 ms for a strip of 300 councils. Every builder here
    is validated by tests/unit/test_charts.py instead. Like Streamlit, it leaves out the default theme's
    300 × 300 view size, so the page sets the width.
    """
    spec = chart.to_dict(validate=False)
    config = spec.get("config", {})
    view = config.get("view", {})
    for key in ("continuousWidth", "continuousHeight"):
        view.pop(key, None)
    if "view" in config and not view:
        del config["view"]
    if "config" in spec and not config:
        del spec["config"]
    return _inline_datasets(spec)


def _inline_datasets(spec: Spec) -> Spec:
    """Each named dataset written where it is used: Streamlit turns a spec's `datasets` back into Arrow on
    every draw, which cost more than the small inline tables it started from."""
    datasets = spec.pop("datasets", None) or {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: {"values": datasets[v["name"]]} if k == "data" and isinstance(v, dict) and set(v) == {"name"}
                    and v["name"] in datasets else walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(spec) if datasets else spec
