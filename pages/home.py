"""Home: find a council by typing part of its name and see what it is."""

import streamlit as st

from lm_core.queries import applicable_indicators
from pages.common import authorities, catalogue, council_picker, data_version, footer, ready_engine

ready_engine()
version = data_version()
table = authorities(version)
indicators = catalogue(version)

st.title("Level Measures")
st.markdown(
    "How English councils compare with **genuinely similar councils** — in context, never ranked. "
    f"{int(table['is_lower'].sum())} district and unitary councils and {int(table['is_upper'].sum())} county "
    f"and unitary authorities, {int((indicators['role'] == 'outcome').sum())} outcome measures from official "
    "open data."
)

code = council_picker(table)
if code is None:
    st.info("Type part of a council's name above, for example *Pendle*, *Kent* or *Hackney*.")
else:
    row = table.set_index("area_code").loc[code]
    st.header(row["official_name"])
    cols = st.columns([2, 2, 2, 1])
    cols[0].markdown(f"**Type**  \n{row['type_name']}")
    cols[1].markdown(f"**Tier**  \n{row['tier'].capitalize()}")
    cols[2].markdown(f"**Region**  \n{row['region'] or '—'}")
    cols[3].markdown(f"**GSS code**  \n`{code}`")
    facts = []
    if row["county_name"]:
        facts.append(f"**County council:** {row['county_name']} ({row['county_code']}) runs upper-tier services "
                     "here, such as adult social care, children's services and roads.")
    if row["is_lower"] and row["is_upper"]:
        facts.append("**Unitary:** this council runs both district and county services.")
    elif row["is_upper"]:
        districts = table[table["county_code"] == code]["area_name"].sort_values()
        facts.append(f"**Districts in this county ({len(districts)}):** " + ", ".join(districts))
    if row["ca_name"]:
        facts.append(f"**Combined or strategic authority:** {row['ca_name']} ({row['ca_code']})")
    facts.append(f"**Predecessors:** {row['predecessors']}" if row["predecessors"]
                 else "**Predecessors:** none since 2019 (no boundary change on record)")
    facts.append(f"**Data vintage:** boundaries and codes as of 2024; data version `{version}`.")
    st.markdown("\n".join(f"- {f}" for f in facts))
    applies = applicable_indicators(indicators, bool(row["is_lower"]), bool(row["is_upper"]))
    st.caption(f"{len(applies)} outcome measures are published for this council's tier.")
    st.page_link("pages/data.py", label="What data is here, and where it comes from",
                 icon=":material/menu_book:")

footer(["Council register: mySociety (CC BY 4.0)", "indicators: see About the data (OGL v3.0)"])
