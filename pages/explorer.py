"""Metric explorer: one indicator across every council of a tier — distribution, funnel, context. Never sorted."""

import pandas as pd
import streamlit as st

from lm_core import compare
from lm_core.charts import funnel_chart, scatter_chart, strip_chart
from lm_core.export import safe_csv_bytes
from lm_core.funnel import funnel_for
from lm_core.peer_groups import lens_weights
from lm_core.peers import load_config
from lm_core.profile import nearest_codes
from lm_core.queries import applicable_indicators
from pages.common import (
    authorities,
    catalogue,
    council_picker,
    data_version,
    footer,
    lens_and_k,
    ready_engine,
    show_chart,
    synced_select,
    tier_context,
    values_by_indicator,
)

ready_engine()
version = data_version()
table = authorities(version)
cat = catalogue(version)
indicators = cat.set_index("id", drop=False)
names = dict(zip(table["area_code"], table["area_name"], strict=True))
config = load_config()

st.title("Metric explorer")
st.caption("One measure across every council of a tier. Councils are shown as a spread, a funnel and against "
           "their context — never as a sorted list.")
c1, c2 = st.columns([1, 3])
with c1:
    tier = synced_select("Tier", ["lower", "upper"], "tier", default="lower",
                         format_func=lambda t: {"lower": "Districts and unitaries (296)",
                                                "upper": "Counties and unitaries (153)"}[t]) or "lower"
applicable = applicable_indicators(cat, tier == "lower", tier == "upper")
options = list(applicable["id"])
with c2:
    ind = synced_select("Measure", options, "indicator", default=options[0],
                        format_func=lambda i: f"{indicators.at[i, 'service_area']} · {indicators.at[i, 'title']}")
assert ind is not None
meta = indicators.loc[ind]
tier_table = table[table[f"is_{tier}"]]
code = council_picker(tier_table, label="Highlight a council and its similar councils (optional)")
lens, k = lens_and_k()

frame = values_by_indicator(version)[ind]
tier_codes = list(tier_table["area_code"])
latest = compare.latest_rows(frame, ind, tier_codes)
ctx = tier_context(version, tier)
peer_codes: tuple[str, ...] = ()
if code is not None:
    peer_codes = nearest_codes(ctx, lens_weights(config, lens), code, k, same_kind=False)
shown = latest[latest["area_code"].isin(tier_codes)].assign(
    area_name=lambda d: d["area_code"].map(names),
    group=lambda d: ["this council" if a == code else "peer" if a in peer_codes else "other" for a in d["area_code"]],
)
period = str(latest["period"].iloc[0]) if len(latest) else "no period"
n_with = int(shown["value"].notna().sum())
statuses = shown["status"].value_counts().to_dict()
st.markdown(f"**{meta['title']}**, {period}: {n_with} of {len(tier_codes)} councils have a figure"
            + (f"; {statuses.get('c', 0)} suppressed [c]" if statuses.get("c") else "")
            + (f"; {statuses.get('x', 0)} not available [x]" if statuses.get("x") else "")
            + (f"; {statuses.get('z', 0)} not applicable [z]" if statuses.get("z") else "")
            + (f"; {len(tier_codes) - len(shown)} with nothing published" if len(tier_codes) > len(shown) else "")
            + f". {meta['description']}")

band = compare.typical_range(shown.loc[shown["group"] == "peer", "value"]) if code else None
tabs = st.tabs(["Spread", "Funnel", "Against context"], key="chart", bind="query-params")
with tabs[0]:
    show_chart(strip_chart(shown, f"{meta['title']}, {period}", str(meta["unit"]),
                           band.median if band else None, band.low if band else None, band.high if band else None,
                           names.get(code or "", "")))
    if band is None:
        st.caption("Pick a council to see its similar councils' typical range.")
with tabs[1]:
    funnel = funnel_for(shown, str(meta["unit"]))
    if funnel is None:
        st.info("This measure has neither numerators and denominators nor published confidence intervals, so a "
                "funnel plot cannot be drawn. The spread view shows every council instead.")
    else:
        pts = funnel.points.merge(shown[["area_code", "area_name", "group"]], on="area_code")
        show_chart(funnel_chart(pts, funnel.limits, funnel.benchmark, f"{meta['title']}, {period}",
                                str(meta["unit"]), funnel.x_title, funnel.benchmark_label))
        widened = (f" The limits are widened by √φ = {funnel.phi ** 0.5:.1f} because councils vary far more than "
                   "chance alone predicts (over-dispersion)." if funnel.phi > 1.05 else "")
        st.caption("Councils outside the solid lines differ from the benchmark by more than chance would explain "
                   f"(99.8% limits).{widened} A funnel does not say why: check context before drawing conclusions.")
with tabs[2]:
    variables = list(config.variables)
    var = synced_select("Context variable", variables, "context", default="imd_average_score",
                        format_func=lambda v: str(indicators.at[v, "title"]) if v in indicators.index else v)
    assert var is not None
    scatter = pd.DataFrame({"area_code": ctx.raw.index, "x": ctx.raw[var].to_numpy()}).merge(
        shown[["area_code", "area_name", "group", "value"]].rename(columns={"value": "y"}), on="area_code")
    scatter = scatter.dropna(subset=["x", "y"])
    x_title = str(indicators.at[var, "title"]) if var in indicators.index else var
    show_chart(scatter_chart(scatter, x_title, f"{meta['title']} ({meta['unit']})", f"{meta['title']} against "
                             f"{x_title.lower()}"))
    if len(scatter) > 2:
        r = float(scatter[["x", "y"]].corr().iloc[0, 1])
        st.caption(f"Correlation across {len(scatter)} councils: {r:+.2f}. Context is why the product compares "
                   "each council with councils in similar circumstances.")

export = shown.sort_values("area_code")[["area_code", "area_name", "period", "value", "lower", "upper",
                                         "numerator", "denominator", "status", "note", "group"]]
export = export.rename(columns={"group": "relative_to_highlighted_council"})
st.download_button("Download this measure for every council (CSV, in code order)", safe_csv_bytes(export),
                   file_name=f"{ind}-{tier}-{period}.csv", mime="text/csv")
st.caption(f"Source: {meta['publisher']} · {meta['licence']} · {meta['attribution']}  \n"
           f"Caveats: {meta['caveats'] or 'none recorded'}")
footer(["Indicators: see About the data (OGL v3.0; CC BY 4.0)"])
