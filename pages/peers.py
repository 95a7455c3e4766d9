"""Peer groups: which councils are genuinely like this one, and why (context only, never outcomes)."""

import pandas as pd
import streamlit as st

from lm_core.charts import location_map, why_chart
from lm_core.peer_groups import PeerInputError, find_peers, save_peer_set, tier_of
from lm_core.peers import DEFAULT_K, K_RANGE, METHOD_VERSION, contributions, load_config
from pages.common import (
    authorities,
    council_picker,
    data_version,
    families,
    footer,
    ready_engine,
    show_chart,
    synced_int,
    synced_select,
    tier_context,
)

engine = ready_engine()
version = data_version()
table = authorities(version)
config = load_config()

st.title("Peer groups")
st.markdown("Councils most like this one in their **circumstances** — deprivation, size, density, rurality, "
            "age, pay and qualifications. Outcomes never choose peers. The list is ordered by likeness, "
            "not by performance.")

code = council_picker(table)
if code is None:
    st.info("Type part of a council's name to see its peers.")
    footer(["Context data: MHCLG IoD2025, ONS (OGL v3.0); mySociety (CC BY 4.0)"])
    st.stop()

row = table.set_index("area_code").loc[code]
c1, c2, c3 = st.columns([2, 2, 1])
with c1:
    lens = synced_select("Lens", list(config.lenses), "lens", default="overall",
                         format_func=lambda name: f"{config.lenses[name].title} — {config.lenses[name].description}")
with c2:
    tiers = [t for t in ("lower", "upper") if bool(row[f"is_{t}"])]
    tier_names = {"lower": "with districts and unitaries", "upper": "with counties and unitaries"}
    tier = synced_select("Compare", tiers, "tier", default=tiers[0], format_func=lambda t: tier_names[t]) \
        if len(tiers) > 1 else tiers[0]
with c3:
    k = synced_int("Number of peers", K_RANGE[0], K_RANGE[1], "k", DEFAULT_K)
assert lens is not None and tier is not None
tier = tier_of(table, code, tier)

lens_weights = config.lenses[lens].weights
raw_overrides = st.query_params.get("w", "")
overrides: dict[str, float] = {}
for part in filter(None, raw_overrides.split(",")):
    var, _, w = part.partition(":")
    try:
        if var in config.variables:
            overrides[var] = float(w)
    except ValueError:
        pass
with st.expander("Adjust the peer definition (context variables only)", expanded=bool(overrides)):
    st.caption("Switch variables on or off and change their weight. Only context variables are offered: "
               "the outcome being compared can never choose its own comparators.")
    cols = st.columns(2)
    chosen: dict[str, float] = {}
    for i, (var, spec) in enumerate(config.variables.items()):
        start = overrides.get(var, lens_weights.get(var, 0.0))
        chosen[var] = cols[i % 2].slider(spec.label.capitalize(), 0.0, 3.0, float(start), 0.25, key=f"w_{var}_{lens}")
    changed = {v: w for v, w in chosen.items() if abs(w - lens_weights.get(v, 0.0)) > 1e-9}
    if changed:
        st.query_params["w"] = ",".join(f"{v}:{w:g}" for v, w in sorted(changed.items()))
    elif "w" in st.query_params:
        del st.query_params["w"]

ctx = tier_context(version, tier)
try:
    result = find_peers(ctx, config, code, lens, k, version, changed or None)
except PeerInputError as exc:
    st.error(str(exc))
    st.stop()
save_peer_set(engine, result)

name = str(row["area_name"])
fam = families(version, tier, lens)
family_no = int(fam.labels[code])
st.subheader(f"{k} councils most like {name}")
st.markdown(f"**Family:** {name} is in family {family_no} of {fam.k} under the {config.lenses[lens].title.lower()} "
            f"lens — *{fam.profiles[family_no]}*.")
imputed = [config.variables[v].label for v in ctx.imputed.columns if bool(ctx.imputed.at[code, v])]
if imputed:
    st.warning(f"No published figure for {name} on: {', '.join(imputed)}; the tier's median was used.")

shown = result.members[["area_name", "similarity", "stability", "explanation", "area_code"]]
st.dataframe(
    shown, hide_index=True, width="stretch",
    column_config={
        "area_name": "Council",
        "similarity": st.column_config.ProgressColumn("Similarity", format="%.0f%%", min_value=0, max_value=100,
                                                      help="100% = identical context; 0% = the least similar "
                                                           "council in the tier"),
        "stability": st.column_config.NumberColumn("Stable in", format="%.0f%%",
                                                   help="Share of 200 runs with every weight jittered by up to "
                                                        "±50% in which this council stays a peer"),
        "explanation": "Why",
        "area_code": "GSS code",
    },
)
st.caption(f"Peer set `{result.hash}` · method {METHOD_VERSION} · data version {version} · "
           "stored, so the same definition always gives the same hash.")
st.download_button("Download these peers (CSV)",
                   shown.to_csv(index=False).encode("utf-8-sig"), file_name=f"peers-{code}-{result.hash}.csv",
                   mime="text/csv")

left, right = st.columns([1, 1])
with left:
    peer_code = st.selectbox("Why is this council a peer?", list(result.members["area_code"]),
                             format_func=lambda c: ctx.names[c], key="why_peer")
    parts = contributions(ctx.z, result.weights, code, peer_code)
    used = [v for v in parts.index if result.weights.get(v, 0) > 0]
    frame = pd.DataFrame({
        "label": [config.variables[v].label for v in used],
        "contribution": [float(parts[v]) for v in used],
        "council_value": [f"{ctx.raw.at[code, v]:,.3g}" for v in used],
        "peer_value": [f"{ctx.raw.at[peer_code, v]:,.3g}" for v in used],
    })
    show_chart(why_chart(frame, name, ctx.names[peer_code]))
with right:
    groups = pd.DataFrame({"area_code": list(ctx.z.index)})
    peer_sim = result.members.set_index("area_code")["similarity"]
    groups["area_name"] = groups["area_code"].map(ctx.names)
    groups["group"] = ["this council" if c == code else "peer" if c in peer_sim.index else "other"
                       for c in groups["area_code"]]
    groups["similarity"] = groups["area_code"].map(peer_sim)
    groups["region"] = groups["area_code"].map(table.set_index("area_code")["region"])
    peer_regions = sorted(set(groups.loc[groups["group"] != "other", "region"]))
    zoom = len(peer_regions) <= 2 and st.toggle(f"Zoom to {' and '.join(peer_regions)}", value=True, key="zoom")
    show_chart(location_map(groups, tier, f"Where {name}'s peers are",
                                 regions=peer_regions if zoom else None))

footer(["Context data: MHCLG English Indices of Deprivation 2025; ONS mid-year estimates, ASHE, APS and "
        "Explore Local Statistics (OGL v3.0); mySociety rural/urban profile (CC BY 4.0); boundaries © ONS, "
        "contains OS data © Crown copyright and database right 2025"])
