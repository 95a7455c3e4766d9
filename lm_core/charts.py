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
