"""About the data: every indicator with its source, licence, attribution, periods and caveats."""

import streamlit as st

from lm_core.build import read_manifest
from pages.common import catalogue, data_version, footer, ready_engine

ready_engine()
version = data_version()
indicators = catalogue(version)

st.title("About the data")
st.markdown(
    "Every figure comes from official open data, processed by this project's own pipeline "
    "(`python -m lm_core build-data`). Values that were suppressed, not available or not applicable are "
    "stored as such — never as zero. Councils are on **2024 codes**: figures published for retired councils "
    "are added up into their successors where that is sound, and otherwise marked not available with the reason."
)
outcomes = indicators[indicators["role"] == "outcome"]
context = indicators[indicators["role"] == "context"]
c1, c2, c3 = st.columns(3)
c1.metric("Outcome measures", len(outcomes))
c2.metric("Service areas", outcomes["service_area"].nunique())
c3.metric("Context variables (for finding similar councils)", len(context))

POLARITY = {"higher_better": "Higher is better", "lower_better": "Lower is better", "none": "No judgement"}
areas = ["All", *sorted(indicators["service_area"].unique())]
area = st.selectbox("Service area", areas, key="area", bind="query-params")
shown = indicators if area == "All" else indicators[indicators["service_area"] == area]
table = shown.assign(
    polarity=shown["polarity"].map(POLARITY),
    periods=shown["periods"].str.replace("|", ", "),
)[["title", "service_area", "role", "unit", "polarity", "tier", "first_period", "latest_period",
   "coverage_lower", "coverage_upper", "publisher", "licence", "id"]]
st.dataframe(
    table, hide_index=True, width="stretch",
    column_config={
        "title": "Indicator", "service_area": "Service area", "role": "Role", "unit": "Unit",
        "polarity": "Direction", "tier": "Published for", "first_period": "From", "latest_period": "Latest",
        "coverage_lower": st.column_config.NumberColumn("Councils with data (of 296)", help="Latest period"),
        "coverage_upper": st.column_config.NumberColumn("Upper tier with data (of 153)", help="Latest period"),
        "publisher": "Publisher", "licence": "Licence", "id": "Id",
    },
)
st.download_button("Download this catalogue (CSV)", table.to_csv(index=False).encode("utf-8-sig"),
                   file_name="level-measures-indicators.csv", mime="text/csv")

st.subheader("Sources, caveats and attributions")
# One expander per service area, not per indicator: a hundred expanders made this the slowest page to draw.
for service_area, group in shown.groupby("service_area", sort=False):  # catalogue order: Oflog families first
    with st.expander(f"{service_area} — {len(group)} indicators"):
        st.markdown("\n\n".join(
            f"**{ind['title']}** — {ind['description']}\n\n"
            f"- **Unit:** {ind['unit']} · **Direction:** {POLARITY[ind['polarity']]} · **Role:** {ind['role']}\n"
            f"- **Periods:** {ind['periods'].replace('|', ', ')}\n"
            f"- **Publisher:** {ind['publisher']} — [source]({ind['source_url']}) · **Licence:** {ind['licence']}\n"
            f"- **Attribution:** {ind['attribution']}\n"
            f"- **Caveats:** {ind['caveats'] or 'none recorded'}"
            for _, ind in group.iterrows()
        ))

st.subheader("Status codes")
st.markdown(
    "- **[x] not available** — no figure was published (or the council did not exist in a comparable form)\n"
    "- **[c] suppressed** — withheld by the publisher to protect confidentiality or for small numbers\n"
    "- **[z] not applicable** — the measure does not apply to this council\n"
    "- **[u] low reliability** — published, but the publisher flags it as unreliable\n"
    "- **0** — a real published zero"
)
manifest = read_manifest()
footer([str(a) for a in manifest["attributions"]])  # type: ignore[union-attr]
