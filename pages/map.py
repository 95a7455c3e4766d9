"""Map of England: an outcome, each council against its own similar councils, or places like one council."""

import pandas as pd
import streamlit as st

from lm_core import maps, queries
from lm_core.maps import TierPeers
from lm_core.peer_groups import lens_weights
from lm_core.peers import load_config
from pages.common import (
    CACHE_TTL,
    authorities,
    catalogue,
    council_picker,
    data_version,
    engine,
    footer,
    ready_engine,
    synced_select,
    tier_context,
)

ENGLAND = "England"
DEFAULT_INDICATOR = "household_recycling_rate"  # a familiar figure with a direction, on both tiers


@st.cache_data(ttl=CACHE_TTL, max_entries=16, show_spinner=False)
def indicator_values(version: str, indicator_id: str) -> pd.DataFrame:
    """Every published row of one indicator (cached per data version)."""
    return queries.values_for(engine(), indicator_ids=[indicator_id])


@st.cache_data(ttl=CACHE_TTL, max_entries=16, show_spinner=False)
def peers_of_tier(version: str, tier: str, lens: str) -> TierPeers:
    """Every council's 15 nearest councils in a tier under a lens: one distance matrix (cached)."""
    return maps.tier_peers(tier_context(version, tier).z, lens_weights(load_config(), lens))


@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def map_frame(version: str, indicator_id: str, tier: str, period: str | None, lens: str) -> pd.DataFrame:
    """The map's table: each council's figure, state and words against its own similar councils."""
    meta = catalogue(version).set_index("id", drop=False).loc[indicator_id].to_dict()
    table = maps.map_table(indicator_values(version, indicator_id), meta, authorities(version), tier, period)
    return maps.compare_with_peers(table, peers_of_tier(version, tier, lens), meta)


def take_map_click() -> None:
    """A click on the map picks that council: the chart's key names the council it was drawn for."""
    current = st.query_params.get("council") or "none"
    for key in (f"map_{current}", f"london_{current}"):
        event = st.session_state.get(key) or {}
        picked = (event.get("selection") or {}).get("pick") or []
        code = picked[0].get("area_code") if picked else None
        if code and code != current:
            st.query_params["council"] = code
            st.session_state.pop("council_picker", None)  # the picker re-reads ?council=
            return


version = data_version()
ready_engine()
table = authorities(version)
cat = catalogue(version)
config = load_config()
take_map_click()

st.title("Map of England")
st.markdown("Each council's figure, or how far it sits from **its own similar councils** — never a league "
            "table. Missing figures are marked, not shown as zero.")

outcomes = cat[cat["role"] == "outcome"]
meta_by_id = outcomes.set_index("id", drop=False)
indicator_labels = dict(zip(outcomes["id"], outcomes["service_area"] + " — " + outcomes["title"], strict=True))
names = dict(zip(table["area_code"], table["area_name"], strict=True))
row1 = st.columns([3, 2, 2])
with row1[0]:
    indicator_id = synced_select(
        "Indicator", list(outcomes["id"]), "indicator",
        default=DEFAULT_INDICATOR if DEFAULT_INDICATOR in set(outcomes["id"]) else str(outcomes["id"].iloc[0]),
        format_func=lambda i: indicator_labels.get(i, i),
        help="Outcomes only, grouped by service area. Context variables choose peers; they are not mapped here.")
assert indicator_id is not None
indicator = meta_by_id.loc[indicator_id].to_dict()
with row1[1]:
    council = council_picker(table, label="Council (or click the map)")
council_row = table.set_index("area_code").loc[council] if council else None
natural = "upper" if indicator["tier"] == "upper" else "lower"
if council_row is not None and not bool(council_row[f"is_{natural}"]):
    natural = "upper" if natural == "lower" else "lower"
with row1[2]:
    tier = synced_select("Councils shown", list(maps.TIERS), "tier", default=natural,
                         format_func=lambda t: maps.TIER_TITLES[t],
                         help="Districts and unitaries (296), or counties and unitaries (153).")
assert tier is not None

row2 = st.columns([2, 2, 2, 1])
with row2[0]:
    mode = synced_select("Colour by", list(maps.MODES), "mode", default="value",
                         format_func=lambda m: maps.MODE_TITLES[m])
with row2[1]:
    lens = synced_select("Similar councils by", list(config.lenses), "lens", default="overall",
                         format_func=lambda name: config.lenses[name].title,
                         help="Each council's 15 most similar councils in its circumstances (context only). "
                              "They give the peer median in the tooltip and the difference colours.")
values = indicator_values(version, indicator_id)
tier_codes = list(table.loc[table[f"is_{tier}"], "area_code"])
latest = maps.latest_period(values, indicator_id, tier_codes)
history = list(reversed(maps.periods(values, indicator_id)))
period = latest
with row2[2]:
    if len(history) > 1 and latest is not None:
        period = synced_select("Period", history, "period", default=latest,
                               help="The latest period is shown unless you choose another.")
    else:
        st.caption(f"Period: {latest or 'none published for these councils'}")
regions = sorted(set(table.loc[table[f"is_{tier}"], "region"]))
with row2[3]:
    region = synced_select("Zoom to", [ENGLAND, *regions], "region", default=ENGLAND,
                           help="London's 33 boroughs are readable when zoomed in.")
assert mode is not None and lens is not None and region is not None

# Notices go in one container: Streamlit redraws an element in place only if it keeps its position, so a
# notice coming and going would otherwise shift the maps and rebuild them (and everything below).
notices = st.container()
frame = map_frame(version, indicator_id, tier, period, lens)
tp = peers_of_tier(version, tier, lens)
selected = council if council in tp.codes else None
if council and selected is None:
    other = maps.TIER_TITLES["upper" if tier == "lower" else "lower"].lower()
    notices.info(f"{names[council]} is not on this map; choose “{other}” under *Councils shown* to outline it.")
peer_list = maps.peer_codes(tp, selected) if selected else []

# With a council selected every tooltip says how alike the council is to it, whatever the colouring.
similarity = maps.similarity_to(tp, selected) if selected else None
if mode == "similarity" and selected is None:
    notices.info("Pick a council (or click one) to shade every council by how alike it is; showing values meanwhile.")
    mode = "value"
if mode == "similarity" and selected and similarity is not None:
    fill, colouring = maps.colour_by_similarity(frame, similarity, selected, names[selected])
elif mode == "difference":
    fill, colouring = maps.colour_by_difference(frame, indicator)
else:
    fill, colouring = maps.colour_by_value(frame, indicator)

data = maps.chart_table(frame, fill, indicator, selected, peer_list, similarity)
title = f"{indicator['title']}, {period}" if mode != "similarity" or not selected else \
    f"Places like {names[selected]}"
subtitle = (f"Heavy outline: {names[selected]}; dark outlines: its {len(peer_list)} most similar councils "
            f"({config.lenses[lens].title.lower()} lens)") if selected else "Click a council to outline its peers"
zoom = [region] if region != ENGLAND else None
spec = maps.choropleth(data, colouring, tier, title, subtitle, regions=zoom, height=720)
# The map keeps its place on the page whether or not the London inset shows (a row in which it stretches
# over the room the inset leaves), so zooming only swaps its data: a map that moves on the page is rebuilt.
show_inset = zoom is None and "London" in regions
with st.container(horizontal=True, gap="medium"):
    st.vega_lite_chart(spec=spec, on_select="rerun", key=f"map_{council or 'none'}", width="stretch")
    if show_inset:
        with st.container(width=230):
            # drawn from one boundary file whatever the tier, so a change of tier does not rebuild it
            inset = maps.choropleth(data, colouring, tier, "London", "33 boroughs, zoomed", regions=["London"],
                                    height=300, show_legend=False, boundaries="lower", place="London's 33 boroughs")
            st.vega_lite_chart(spec=inset, on_select="rerun", key=f"london_{council or 'none'}", width="stretch")
            st.caption("Click any council to select it; hover for its figure, status and words against its peers.")

st.caption(maps.state_counts(frame) + ". Letters on the map: x no data, c suppressed, z not applicable.")
if selected:
    st.markdown(maps.council_sentence(frame, selected, indicator))
if indicator["tier"] != "both" and indicator["tier"] != tier:
    runs = "counties and unitaries" if indicator["tier"] == "upper" else "districts and unitaries"
    st.caption(f"This service is run by {runs}; councils that do not run it are marked not applicable [z].")
if indicator.get("caveats"):
    with st.expander("Caveats for this indicator"):
        st.markdown(str(indicator["caveats"]))

stem = f"map-{indicator_id}-{tier}-{mode}" + (f"-{selected}" if selected else "")
d1, d2, d3 = st.columns(3)
d1.download_button("Download the map's data (CSV)",
                   lambda: maps.map_csv(frame, indicator, mode, tier, similarity if mode == "similarity" else None),
                   file_name=f"{stem}.csv", mime="text/csv", on_click="ignore")
d2.download_button("Download the map (PNG)", lambda: maps.map_png(maps.export_spec(spec)), file_name=f"{stem}.png",
                   mime="image/png", on_click="ignore")
d3.download_button("Download the map (SVG)", lambda: maps.map_svg(maps.export_spec(spec)), file_name=f"{stem}.svg",
                   mime="image/svg+xml", on_click="ignore")
st.caption("No single indicator tells the whole story. Colours compare each council with its own similar "
           "councils or show a band of values; they are not a ranking.")

footer([f"{indicator['title']}: {indicator['attribution']} ({indicator['licence']})", maps.BOUNDARY_ATTRIBUTION,
        "Similar councils from context data: MHCLG IoD2025, ONS (OGL v3.0); mySociety (CC BY 4.0)"])
