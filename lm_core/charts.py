"""Altair chart builders: pure functions from tidy frames to charts, each with alt text.

Colours are kept here as data (Analysis Function palettes): colour is never the only signal,
and no chart carries a rank axis or an ordinal position.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

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


def why_chart(contributions: pd.DataFrame, council: str, peer: str) -> alt.Chart:
    """Each variable's share of the distance between two councils: short bars = alike."""
    data = contributions.assign(
        kind=lambda d: ["differ" if v >= d["contribution"].max() * 0.5 else "alike" for v in d["contribution"]]
    )
    title = f"Why {peer} is a peer of {council}"
    return (
        alt.Chart(data, title=alt.Title(title, subtitle="Share of the distance between them; shorter = more alike"))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort="x", title=None),
            x=alt.X("contribution:Q", title="Contribution to distance"),
            color=alt.Color("kind:N", scale=alt.Scale(domain=["alike", "differ"],
                                                      range=[PALETTE["alike"], PALETTE["differ"]]),
                            legend=alt.Legend(title=None, orient="bottom")),
            tooltip=[alt.Tooltip("label:N", title="Variable"),
                     alt.Tooltip("contribution:Q", title="Contribution", format=".2f"),
                     alt.Tooltip("council_value:N", title=council), alt.Tooltip("peer_value:N", title=peer)],
        )
        .properties(height=alt.Step(22), width="container")
        .properties(description=f"Bar chart: {title}. Variables with short bars are where the two are most alike.")
    )


def location_map(groups: pd.DataFrame, tier: str, title: str, height: int = 520,
                 regions: list[str] | None = None) -> alt.LayerChart | alt.FacetChart:
    """Where a council and its peers are: this council dark, peers turquoise, the rest grey.

    `groups` has area_code, area_name, region, group ("this council" / "peer" / "other") and
    optionally similarity. Boundaries come from the static GeoJSON, so only this small table
    travels per rerun. `regions` zooms to those regions (the projection fits what is drawn),
    which is how London's 33 small authorities become readable.
    """
    data = alt.Data(url=BOUNDARY_URLS[tier], format=alt.DataFormat(property="features", type="json"))
    lookup = groups.assign(similarity=groups.get("similarity", pd.Series(dtype=float)))
    order = ["this council", "peer", "other"]
    base = (
        alt.Chart(data)
        .transform_calculate(area_code="datum.properties.area_code")
        .transform_lookup(lookup="area_code",
                          from_=alt.LookupData(data=lookup, key="area_code",
                                               fields=["area_name", "group", "similarity", "region"]))
    )
    if regions:
        base = base.transform_filter(alt.FieldOneOfPredicate(field="region", oneOf=list(regions)))
    base = base.project(type="mercator")
    shapes = base.mark_geoshape(stroke="white", strokeWidth=0.3).encode(
        color=alt.Color("group:N", scale=alt.Scale(domain=order, range=[PALETTE[g] for g in order]),
                        legend=alt.Legend(title=None, orient="top")),
        tooltip=[alt.Tooltip("area_name:N", title="Council"), alt.Tooltip("group:N", title=""),
                 alt.Tooltip("similarity:Q", title="Similarity %", format=".0f")],
    )
    # Peers also get a dark outline, so the map does not rely on colour alone.
    outline = base.transform_filter("datum.group != 'other'").mark_geoshape(
        fill=None, stroke="#0B0C0C", strokeWidth=1.2)
    n = int((groups["group"] == "peer").sum())
    return (
        alt.layer(shapes, outline, title=title)
        .properties(height=height, width="container")
        .properties(description=f"Map of England: {title}. {n} peer councils outlined and shaded turquoise.")
    )


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
    order = ["this council", "peer", "other"]
    x = alt.X("value:Q", title=unit, scale=alt.Scale(zero=False, nice=True))
    layers: list[alt.Chart] = []
    if low is not None and high is not None:
        band = pd.DataFrame({"low": [low], "high": [high]})
        layers.append(alt.Chart(band).mark_rect(color=PALETTE["peer"], opacity=0.15).encode(
            x="low:Q", x2="high:Q", tooltip=[alt.Tooltip("low:Q", title="Typical range from", format=",.2f"),
                                             alt.Tooltip("high:Q", title="to", format=",.2f")]))
    if median is not None:
        med = pd.DataFrame({"median": [median]})
        layers.append(alt.Chart(med).mark_rule(color=PALETTE["peer"], strokeWidth=2, strokeDash=[6, 3]).encode(
            x="median:Q", tooltip=[alt.Tooltip("median:Q", title="Similar councils' median", format=",.2f")]))
    layers.append(
        alt.Chart(data).mark_point(filled=True, opacity=0.85).encode(
            x=x,
            y=alt.Y("jitter:Q", axis=None, scale=alt.Scale(domain=[-0.1, 1.1])),
            color=alt.Color("group:N", scale=alt.Scale(domain=order, range=[PALETTE[g] for g in order]),
                            legend=alt.Legend(title=None, orient="bottom")),
            shape=alt.Shape("group:N", scale=alt.Scale(domain=order, range=["diamond", "circle", "circle"]),
                            legend=None),
            size=alt.Size("size:Q", legend=None),
            order=alt.Order("size:Q"),
            tooltip=[alt.Tooltip("area_name:N", title="Council"), alt.Tooltip("value:Q", title=unit, format=",.2f"),
                     alt.Tooltip("group:N", title="")],
        )
    )
    mine = data[data["group"] == "this council"]
    if len(mine):
        layers.append(alt.Chart(mine).mark_text(dy=-16, fontWeight="bold", color=PALETTE["this council"]).encode(
            x="value:Q", y=alt.Y("jitter:Q", axis=None), text="area_name:N"))
    subtitle = "Shaded: typical range of similar councils · dashed line: their median"
    if status_note:
        subtitle = f"{council_name}: {status_note} · {subtitle}"
    n_peers = int((points["group"] == "peer").sum())
    return (
        alt.layer(*layers, title=alt.Title(title, subtitle=subtitle))
        .properties(height=300, width="container")  # total height: Streamlit fits title and legend inside
        .properties(description=f"Strip chart of {title} for every council in the tier; {n_peers} similar "
                                f"councils highlighted; {council_name} marked; the vertical position carries "
                                "no meaning.")
    )


def trend_chart(trend: pd.DataFrame, title: str, unit: str, council_name: str) -> alt.Chart:
    """This council, its peers' median and England over every period; gaps stay gaps."""
    series = {"council": council_name, "peer_median": "Similar councils (median)", "england": "England"}
    long = trend.melt(id_vars=["period", "period_start"], value_vars=[c for c in series if c in trend],
                      var_name="series", value_name="value").assign(series=lambda d: d["series"].map(series))
    order = [council_name, "Similar councils (median)", "England"]
    colours = [PALETTE["this council"], PALETTE["peer"], "#801650"]
    return (
        alt.Chart(long, title=alt.Title(title, subtitle="Over every period published"))
        .mark_line(point=True)
        .encode(
            x=alt.X("period:O", sort=list(trend.sort_values("period_start")["period"]), title=None,
                    axis=alt.Axis(labelAngle=-40)),
            y=alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False)),
            color=alt.Color("series:N", scale=alt.Scale(domain=order, range=colours),
                            legend=alt.Legend(title=None, orient="bottom")),
            strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=order, range=[[1, 0], [6, 3], [2, 2]]),
                                      legend=None),
            tooltip=[alt.Tooltip("series:N", title=""), alt.Tooltip("period:O", title="Period"),
                     alt.Tooltip("value:Q", title=unit, format=",.2f")],
        )
        .properties(height=380, width="container")
        .properties(description=f"Line chart of {title}: {council_name}, the median of similar councils, and "
                                "England, for each period.")
    )


def expectation_chart(observed: float, expected: float, low: float, high: float, unit: str,
                      council_name: str) -> alt.LayerChart | alt.FacetChart:
    """Observed against what the council's context predicts, with the 95% prediction interval."""
    band = pd.DataFrame({"low": [low], "high": [high], "expected": [expected], "observed": [observed],
                         "label": [council_name]})
    rng = alt.Chart(band).mark_rule(strokeWidth=10, opacity=0.25, color=PALETTE["peer"]).encode(
        x=alt.X("low:Q", title=unit, scale=alt.Scale(zero=False)), x2="high:Q")
    exp = alt.Chart(band).mark_tick(thickness=3, size=26, color=PALETTE["peer"]).encode(
        x="expected:Q", tooltip=[alt.Tooltip("expected:Q", title="Expected from context", format=",.2f")])
    obs = alt.Chart(band).mark_point(shape="diamond", size=220, filled=True, color=PALETTE["this council"]).encode(
        x="observed:Q", tooltip=[alt.Tooltip("observed:Q", title="Observed", format=",.2f")])
    return (
        alt.layer(rng, exp, obs, title=alt.Title("Observed against expected from context",
                                                 subtitle="Bar: 95% prediction range · tick: expected · "
                                                          f"diamond: {council_name}"))
        .properties(height=170, width="container")
        .properties(description=f"{council_name}'s observed value against the value its context predicts.")
    )


def _groups_scale() -> alt.Scale:
    order = ["this council", "peer", "other"]
    return alt.Scale(domain=order, range=[PALETTE[g] for g in order])


def funnel_chart(points: pd.DataFrame, limits: pd.DataFrame, benchmark: float, title: str, unit: str,
                 x_title: str, benchmark_label: str) -> alt.LayerChart | alt.FacetChart:
    """Funnel plot: each council by size (or precision) against value, with 95% and 99.8% limits.

    `points` has area_code, area_name, x, value, group. Councils outside the funnel differ from the
    benchmark by more than chance would explain; position along x is size, not a ranking.
    """
    long = limits.melt(id_vars="x", var_name="limit", value_name="y")
    long["level"] = long["limit"].map({"lo95": "95%", "hi95": "95%", "lo998": "99.8%", "hi998": "99.8%"})
    long["side"] = long["limit"].str[:2]
    lines = alt.Chart(long).mark_line(color="#3D3D3D", strokeWidth=1).encode(
        x=alt.X("x:Q", title=x_title, scale=alt.Scale(type="log")),
        y=alt.Y("y:Q", title=unit, scale=alt.Scale(zero=False)),
        strokeDash=alt.StrokeDash("level:N", scale=alt.Scale(domain=["95%", "99.8%"], range=[[4, 3], [1, 0]]),
                                  legend=alt.Legend(title="Control limits", orient="bottom")),
        detail="limit:N",
    )
    bench = alt.Chart(pd.DataFrame({"y": [benchmark]})).mark_rule(color=PALETTE["peer"], strokeWidth=2).encode(
        y="y:Q", tooltip=[alt.Tooltip("y:Q", title=f"Benchmark ({benchmark_label})", format=",.2f")])
    dots = alt.Chart(points).mark_point(filled=True, opacity=0.85).encode(
        x="x:Q", y="value:Q",
        color=alt.Color("group:N", scale=_groups_scale(), legend=alt.Legend(title=None, orient="bottom")),
        shape=alt.Shape("group:N", scale=alt.Scale(domain=["this council", "peer", "other"],
                                                   range=["diamond", "circle", "circle"]), legend=None),
        size=alt.Size("group:N", scale=alt.Scale(domain=["this council", "peer", "other"], range=[220, 70, 25]),
                      legend=None),
        order=alt.Order("group:N", sort="descending"),
        tooltip=[alt.Tooltip("area_name:N", title="Council"), alt.Tooltip("value:Q", title=unit, format=",.2f"),
                 alt.Tooltip("x:Q", title=x_title, format=",.0f")],
    )
    return (
        alt.layer(lines, bench, dots, title=alt.Title(title, subtitle=f"Line: {benchmark_label}; dashed: 95% "
                                                                     "limits; solid: 99.8% limits"))
        .properties(height=460, width="container")
        .properties(description=f"Funnel plot of {title}: each council by size against its value, with control "
                                "limits around the benchmark. Councils are not ordered.")
    )


def scatter_chart(frame: pd.DataFrame, x_title: str, y_title: str, title: str) -> alt.LayerChart | alt.FacetChart:
    """An outcome against a context variable: all councils, peers and this council highlighted, with a trend line."""
    base = alt.Chart(frame)
    trend = base.transform_regression("x", "y").mark_line(color="#3D3D3D", strokeDash=[4, 3]).encode(
        x="x:Q", y="y:Q")
    dots = base.mark_point(filled=True, opacity=0.85).encode(
        x=alt.X("x:Q", title=x_title, scale=alt.Scale(zero=False)),
        y=alt.Y("y:Q", title=y_title, scale=alt.Scale(zero=False)),
        color=alt.Color("group:N", scale=_groups_scale(), legend=alt.Legend(title=None, orient="bottom")),
        size=alt.Size("group:N", scale=alt.Scale(domain=["this council", "peer", "other"], range=[220, 70, 25]),
                      legend=None),
        order=alt.Order("group:N", sort="descending"),
        tooltip=[alt.Tooltip("area_name:N", title="Council"), alt.Tooltip("x:Q", title=x_title, format=",.2f"),
                 alt.Tooltip("y:Q", title=y_title, format=",.2f")],
    )
    return (
        alt.layer(trend, dots, title=alt.Title(title, subtitle="Dashed line: straight-line fit across all councils"))
        .properties(height=460, width="container")
        .properties(description=f"Scatter plot of {y_title} against {x_title} for every council in the tier.")
    )
