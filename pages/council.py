"""Council profile: every outcome against similar councils — where it stands, how sure, which way, whom to ask."""

import streamlit as st

from lm_core import compare
from lm_core.charts import expectation_chart, strip_chart, trend_chart
from lm_core.export import safe_csv_bytes
from lm_core.profile import summary_by_service_area, summary_table
from pages.common import (
    authorities,
    catalogue,
    council_picker,
    council_profile,
    data_version,
    footer,
    lens_and_k,
    ready_engine,
    show_chart,
    synced_select,
    tier_context,
    values_by_indicator,
)

STATUS_PLAIN = {"c": "suppressed [c]", "x": "not available [x]", "z": "not applicable [z]"}
COLUMNS = {
    "measure": "Measure", "value": "Value", "compared_with_similar_councils": "Compared with similar councils",
    "similar_councils_median": "Similar councils' median", "typical_range": "Typical range", "period": "Period",
    "how_we_know": "How we know", "peers_with_data": st.column_config.NumberColumn("Similar councils with data"),
}
VIEWS = ["Overview", "One measure in depth"]

ready_engine()
version = data_version()
table = authorities(version)
indicators = catalogue(version).set_index("id", drop=False)
names = dict(zip(table["area_code"], table["area_name"], strict=True))

st.title("Council profile")
st.caption("Each outcome set beside the councils most like this one in their circumstances. "
           "No single indicator tells the whole story, and nothing here is a ranking.")
code = council_picker(table)
if code is None:
    st.info("Type part of a council's name to see its profile, for example *Burnley* or *Kent*.")
    footer(["Indicators: see About the data (OGL v3.0)"])
    st.stop()
lens, k = lens_and_k()
profile = council_profile(version, code, lens, k)
me = table.set_index("area_code").loc[code]

st.header(f"{me['official_name']}")
own_tier = "lower" if me["is_lower"] else "upper"
peer_list = ", ".join(sorted(names[c] for c in profile.peer_codes.get(own_tier, ())))
st.markdown(f"Compared with **{k} similar councils** ({lens} lens): {peer_list}.")
st.page_link("pages/peers.py", label="Why these councils? See the peer group", icon=":material/groups:",
             query_params={"council": code, "lens": lens, "k": str(k)})
# The CSVs are made when asked for (a callable), not on every rerun; clicking does not rerun the page.
st.download_button("Download this profile (CSV)",
                   lambda rows=profile.rows: safe_csv_bytes(summary_table(rows, indicators)),
                   file_name=f"profile-{code}-{lens}-{k}.csv", mime="text/csv", on_click="ignore")

overview_tab, detail_tab = st.tabs(VIEWS, key="view", bind="query-params",
                                   default=VIEWS[1] if "indicator" in st.query_params else VIEWS[0])

with overview_tab:
    if overview_tab.open:  # only the chosen tab runs: a council switch no longer pays for both
        for area, rows, part in summary_by_service_area(profile, indicators):
            st.subheader(area)
            st.markdown(compare.service_area_sentence(names[code], [r.comparison for r in rows], area.lower()))
            counties = sorted({r.subject_name for r in rows if r.run_by})
            if counties:
                st.caption(f"Some of these services are run by {' and '.join(counties)}: their figures are shown, "
                           "compared with similar county councils.")
            for note in sorted({r.peers_note for r in rows if r.peers_note}):
                st.caption(note)
            columns = dict(COLUMNS)
            if counties:  # say whose figure each one is
                columns = {"measure": "Measure", "whose_figure": "Whose figure",
                           **{key: v for key, v in COLUMNS.items() if key != "measure"}}
            st.dataframe(part.select(list(columns)), hide_index=True, width="stretch", column_config=columns)

with detail_tab:
    if detail_tab.open:  # only the chosen tab runs: a council switch no longer pays for both
        options = [r.indicator_id for r in profile.rows]
        labels = {i: f"{t} ({a})" for i, t, a in
                  zip(indicators["id"], indicators["title"], indicators["service_area"], strict=True)}
        chosen = synced_select("Measure", options, "indicator", default=options[0] if options else None,
                               format_func=labels.__getitem__)
        row = next((r for r in profile.rows if r.indicator_id == chosen), None)
        if row is not None:
            meta = indicators.loc[row.indicator_id]
            c = row.comparison
            subject = row.subject_name
            frame = values_by_indicator(version)[row.indicator_id]
            tier_codes = list(table.loc[table[f"is_{row.tier}"], "area_code"])
            latest = compare.latest_rows(frame, row.indicator_id, tier_codes)
            if row.run_by:
                st.info(row.run_by)
            st.markdown(f"**{meta['title']}** — {meta['description']}  \n"
                        f"**{subject}: {c.label}.** {c.method[:1].upper() + c.method[1:]}.")
            if c.flag_extreme:
                st.warning("This figure is far outside the range of similar councils: please check it with a person "
                           "before drawing any conclusion (it is more often a data issue than a story).")
            points = latest[latest["area_code"] != "E92000001"][["area_code", "value"]].assign(
                area_name=lambda d: d["area_code"].map(names),
                group=lambda d: ["this council" if a == row.subject_code else "peer" if a in row.peer_codes else "other"
                                 for a in d["area_code"]],
            )
            status_note = "" if c.value is not None else STATUS_PLAIN.get(c.status, "no figure")
            show_chart(strip_chart(points, f"{meta['title']}, {c.period}", str(meta["unit"]), c.peer_median,
                                        c.band_low, c.band_high, subject, status_note))
            left, right = st.columns([3, 2])
            with left:
                history = compare.trend(frame, row.indicator_id, row.subject_code, row.peer_codes)
                if len(history) > 1:
                    show_chart(trend_chart(history, f"{meta['title']} over time", str(meta["unit"]), subject))
                else:
                    st.caption("Only one period has been published, so there is no trend yet.")
            with right:
                ctx = tier_context(version, row.tier)
                exp = compare.expectation(row.subject_code, latest, ctx.z)
                st.markdown("**Adjusted for context**")
                if exp.shown and exp.observed is not None and exp.expected is not None and exp.low is not None \
                        and exp.high is not None:
                    show_chart(expectation_chart(exp.observed, exp.expected, exp.low, exp.high, str(meta["unit"]),
                                                      subject))
                st.caption(exp.reason)
                talk = compare.peers_to_talk_to(row.subject_code, row.peer_codes, frame, meta, names)
                st.markdown("**Similar councils to talk to**")
                if talk:
                    st.markdown("\n".join(f"- **{t.area_name}** — {t.reason}" for t in talk))
                else:
                    st.caption("None stands out on this measure.")
            st.caption(f"Source: {meta['publisher']} · {meta['licence']} · {meta['attribution']}  \n"
                       f"Caveats: {meta['caveats'] or 'none recorded'}")
            detail = points.assign(period=c.period)[["area_code", "area_name", "group", "period", "value"]]
            st.download_button("Download this measure for every council in the tier (CSV)",
                               lambda d=detail: safe_csv_bytes(d.sort_values("area_code")),
                               file_name=f"{row.indicator_id}-{row.subject_code}.csv", mime="text/csv",
                               on_click="ignore")

footer(["Indicators: see About the data for each publisher, licence and attribution (OGL v3.0; CC BY 4.0)"])
