"""Bring your own data: check a CSV of figures, compare a council with similar councils, optionally save it.

The checked upload lives in `st.session_state["upload_check"]` (file name, UploadMeta, ValidationReport,
decimals), so nothing is stored until the person presses "Save to the shared store", and a test can
seed the state to draw the results without driving the uploader.
"""

import re

import pandas as pd
import streamlit as st

from lm_core.charts import strip_chart, trend_chart
from lm_core.compare import Comparison, compare_indicator, format_value, latest_rows, trend
from lm_core.export import safe_csv_bytes
from lm_core.peer_groups import PeerInputError, lens_weights
from lm_core.peers import DEFAULT_K, K_RANGE, load_config
from lm_core.profile import nearest_codes, status_words
from lm_core.upload import MAX_ROWS, MAX_UPLOAD_BYTES, PERIOD_EXAMPLES, POLARITIES, TIERS, UploadMeta, validate_upload
from lm_core.user_data import ORIGIN, UserDataError, list_user_indicators, save_user_indicator
from pages.common import (
    authorities,
    council_picker,
    data_version,
    footer,
    lineage,
    ready_engine,
    show_chart,
    synced_int,
    synced_select,
    tier_context,
)

STATE = "upload_check"
UPLOAD_ID = "your_upload"
MAX_MB = MAX_UPLOAD_BYTES // 1024 // 1024
POLARITY_WORDS = {"higher_better": "Higher is better", "lower_better": "Lower is better",
                  "none": "Neither: no better or worse"}
TIER_WORDS = {"lower": "District-level services (districts and unitaries: lower tier)",
              "upper": "County-level services (counties and unitaries: upper tier)"}
TEMPLATE = (
    "code,name,period,value,lower,upper,numerator,denominator,status,note\n"
    "E07000117,Burnley,2023-24,41.5,38.5,44.6,415,1000,,\n"
    "E07000122,Pendle,2023-24,38.2,,,,,,provisional\n"
    "E07000120,Hyndburn,2023-24,,,,,,c,fewer than 10 replies\n"
)
WIDE_EXAMPLE = "name,2022-23,2023-24\nBurnley,40.1,41.5\nPendle,37.9,[c]\n"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$])")


def plain(text: object) -> str:
    """User-derived text made safe for Markdown: quoted cells never turn into formatting or links."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def bullets(items: list[str]) -> str:
    return "\n".join(f"- {plain(i)}" for i in items)


engine = ready_engine()
version = data_version()
table = authorities(version)
config = load_config()

st.title("Bring your own data")
st.markdown(
    "Compare figures that no national publisher holds — your own survey, a service count, a local "
    "target — with **similar councils**, like any other measure. Your file is checked first; while it "
    "has errors nothing is kept. A checked file stays **in this browser session only** until you "
    "choose to save it. Official data is never changed or overwritten."
)

with st.expander("How to lay out your file", expanded=st.session_state.get(STATE) is None):
    st.markdown(
        """
**Long table** (one row per council and period): columns `code` or `name`, `period` and `value`;
optionally `lower` and `upper` (a 95% confidence interval), `numerator`, `denominator`, `status`
and `note`.

**Wide table** (one column per period): a `code` or `name` column, then one column headed by each
period, for example:
"""
    )
    st.code(WIDE_EXAMPLE, language="csv")
    st.markdown(
        f"""
- **Councils** by GSS code (such as `E07000117`) or by name; names are matched ignoring case,
  punctuation and words such as *Borough Council*. A retired code (for example Craven,
  `E07000163`) is carried to the council that replaced it, and you are told.
- **Periods** such as {plain(PERIOD_EXAMPLES)}.
- **Missing figures:** the GSS shorthand `[x]` not available, `[c]` confidential, `[z]` not
  applicable and `[u]` low reliability, as well as `..`, `:` and `-`, is kept as a status — never
  read as a number or as zero.
- **One indicator per file**, for one tier of councils, English councils only.
- **Limits:** {MAX_MB} MB and {MAX_ROWS:,} figures. CSV saved as UTF-8 is best; Excel's ordinary
  CSV (Windows-1252, with £) is read too. Cells that look like spreadsheet formulas (`=`, `+`, `@`)
  are refused.
"""
    )
    st.markdown("**Template** (a long table; delete the example rows and add yours):")
    st.code(TEMPLATE, language="csv")
    st.download_button("Download the template (CSV)", TEMPLATE.encode("utf-8"), file_name="level-measures-template.csv",
                       mime="text/csv", icon=":material/download:")

st.subheader("1. Describe your figures and choose the file")
with st.form("upload_form"):
    title = st.text_input("Title", key="up_title", max_chars=200,
                          placeholder="e.g. Residents satisfied with parks")
    c1, c2 = st.columns(2)
    unit = c1.text_input("Unit", key="up_unit", max_chars=60, placeholder="e.g. %, per 1,000 people, £ per head",
                         help="The unit decides what is allowed: a percentage must lie from 0 to 100, a count "
                              "or rate cannot be negative, a change can be anything.")
    source = c2.text_input("Source", key="up_source", max_chars=1000,
                           placeholder="e.g. Our residents' survey, autumn 2024",
                           help="Who published or collected the figures. Shown beside every comparison and "
                                "saved with the data.")
    c3, c4, c5 = st.columns([2, 3, 1])
    polarity = c3.selectbox("Which direction is better?", POLARITIES, index=None, key="up_polarity",
                            format_func=POLARITY_WORDS.__getitem__, placeholder="Choose…")
    tier = c4.selectbox("Which councils are the figures for?", TIERS, index=None, key="up_tier",
                        format_func=TIER_WORDS.__getitem__, placeholder="Choose…")
    decimals = int(c5.number_input("Decimals shown", 0, 4, 1, key="up_decimals"))
    uploaded = st.file_uploader(f"CSV file (up to {MAX_MB} MB)", key="up_file",
                                help="A .csv file saved from a spreadsheet; see 'How to lay out your file'.")
    submitted = st.form_submit_button("Check the file", type="primary", icon=":material/fact_check:")

if submitted:
    missing = [what for what, given in (
        ("a title", (title or "").strip()), ("a unit", (unit or "").strip()), ("the source", (source or "").strip()),
        ("which direction is better", polarity), ("which councils the figures are for", tier),
        ("a CSV file", uploaded)) if not given]
    if missing:
        st.session_state[STATE] = None
        st.error("Nothing was checked. Please give " + ", ".join(missing[:-1]) +
                 (" and " if len(missing) > 1 else "") + missing[-1] + ", then press **Check the file** again.")
    else:
        assert uploaded is not None and polarity is not None and tier is not None
        meta = UploadMeta(title=title.strip(), unit=unit.strip(), polarity=polarity, tier=tier, source=source.strip())
        with st.spinner("Checking every row…"):
            report = validate_upload(uploaded.getvalue(), table, lineage(version), meta)
        st.session_state[STATE] = {"file_name": uploaded.name, "meta": meta, "report": report, "decimals": decimals}

checked = st.session_state.get(STATE)


def saved_list() -> None:
    """Every user indicator saved so far (never official data), newest first."""
    st.subheader("Saved user indicators")
    try:
        saved = list_user_indicators(engine)
    except Exception as exc:  # a store fault must not hide the rest of the page
        st.warning(f"The list of saved indicators could not be read ({type(exc).__name__}).")
        return
    if saved.empty:
        st.caption("None yet. Indicators saved from this page appear here, tagged user-supplied.")
        return
    st.caption(f"{len(saved)} indicator{'s' if len(saved) != 1 else ''} supplied by users, newest first. They are "
               "kept apart from the official data and never replace it.")
    st.dataframe(saved[["title", "unit", "polarity", "tier", "source", "uploaded_at", "origin", "id"]],
                 hide_index=True, width="stretch",
                 column_config={"title": "Title", "unit": "Unit", "polarity": "Polarity", "tier": "Tier",
                                "source": "Source", "uploaded_at": "Saved (UTC)", "origin": "Origin",
                                "id": "Id"})


def finish() -> None:
    saved_list()
    footer(["Your figures: as given by you (user-supplied)", "context for similar councils: MHCLG IoD2025, "
            "ONS (OGL v3.0); mySociety (CC BY 4.0)"])
    st.stop()


if not checked:
    if not submitted:
        st.info("Fill in the form, choose your file and press **Check the file**.")
    finish()

file_name, meta, report = checked["file_name"], checked["meta"], checked["report"]
decimals = int(checked.get("decimals", 1))

st.subheader("2. What the check found")
st.caption(f"File {plain(file_name)} · checked as *{plain(meta.title)}* ({plain(meta.unit)}), "
           f"{POLARITY_WORDS[meta.polarity].lower()}, {meta.tier} tier · source: {plain(meta.source)}")
if not report.ok or report.values is None:
    n = len(report.errors)
    st.error(f"**The file was not accepted: {n} problem{'s' if n != 1 else ''} to fix.** Nothing was stored. "
             "Each problem names its row (the heading row is row 1) and what to do; correct the file and "
             "check it again.\n\n" + bullets([i.message for i in report.errors]))
else:
    v = report.values
    n, councils = len(v), v["area_code"].nunique()
    st.success(f"**Accepted:** {n:,} figure{'s' if n != 1 else ''} for {councils} council"
               f"{'s' if councils != 1 else ''} ({report.format} table, {report.encoding}). Kept in this session "
               "only; nothing has been saved.")
if report.warnings:
    st.warning("**Please check:**\n\n" + bullets([i.message for i in report.warnings]))
if report.notices:
    st.info("**For your information:**\n\n" + bullets([i.message for i in report.notices]))
if st.button("Clear this upload", icon=":material/delete:", key="clear_upload"):
    st.session_state[STATE] = None
    st.rerun()

if not report.ok or report.values is None:
    finish()

# ------------------------------------------------------------------ compare with similar councils
st.subheader("3. Compare a council with similar councils")
values = report.values.assign(indicator_id=UPLOAD_ID)
in_tier = table[table[f"is_{meta.tier}"]]
options = in_tier[in_tier["area_code"].isin(set(values["area_code"]))]
wanted = st.query_params.get("council")
if wanted and wanted in set(table["area_code"]) and wanted not in set(options["area_code"]):
    who = table.set_index("area_code").at[wanted, "area_name"]
    why = "has no figure in your file" if wanted in set(in_tier["area_code"]) else \
        f"is not a {meta.tier}-tier council, and your figures are for the {meta.tier} tier"
    st.info(f"{who} {why}; pick a council below.")
    del st.query_params["council"]

c1, c2, c3 = st.columns([2, 2, 1])
with c1:
    code = council_picker(options, label="Council to compare")
with c2:
    lens = synced_select("Similar in", list(config.lenses), "lens", default="overall",
                         format_func=lambda name: f"{config.lenses[name].title} — {config.lenses[name].description}")
with c3:
    k = synced_int("Number of similar councils", K_RANGE[0], K_RANGE[1], "k", DEFAULT_K)

if code is None:
    st.info("Type part of a council's name to compare its figure with similar councils.")
    finish()
assert lens is not None
try:
    peers = nearest_codes(tier_context(version, meta.tier), lens_weights(config, lens), code, k, same_kind=False)
except (PeerInputError, KeyError, ValueError) as exc:
    st.error(f"Similar councils could not be found for this council ({exc}).")
    finish()

indicator = {"id": UPLOAD_ID, "title": meta.title, "unit": meta.unit, "polarity": meta.polarity,
             "decimals": decimals, "tier": meta.tier, "source": meta.source}
latest = latest_rows(values, UPLOAD_ID, (code, *peers))
names = dict(zip(table["area_code"], table["area_name"], strict=True))
name = names[code]
if latest.empty:
    st.warning(f"Neither {name} nor any of its {k} similar councils has a figure in your file, so there is "
               "nothing to compare.")
    finish()
comparison: Comparison = compare_indicator(code, peers, latest, indicator)


def fmt(x: float | None) -> str:
    return "—" if x is None else format_value(x, meta.unit, decimals)


st.markdown(f"#### {plain(name)}: {plain(meta.title)}, {plain(comparison.period)}")
m1, m2, m3 = st.columns(3)
m1.metric(name, fmt(comparison.value) if comparison.value is not None else status_words(comparison.status))
m2.metric("Similar councils' median", fmt(comparison.peer_median))
m3.metric("Typical range", f"{fmt(comparison.band_low)} to {fmt(comparison.band_high)}"
          if comparison.band_low is not None else "—")
st.markdown(f"Compared with its {k} similar councils: **{plain(comparison.label)}**.")
st.caption(f"How we know: {comparison.method}. {comparison.n_peers_with_data} of {k} similar councils have a figure "
           f"for {comparison.period}. Typical range = similar councils' median ± one robust spread (scaled MAD). "
           f"Similar councils are chosen on context only, never on your figures.")

rows = latest[latest["area_code"].isin([code, *peers])].assign(
    area_name=lambda d: d["area_code"].map(names),
    group=lambda d: ["this council" if c == code else "similar council" for c in d["area_code"]],
)
shown = rows.assign(
    figure=[fmt(v) if pd.notna(v) and s not in ("x", "c", "z") else status_words(s or "x")
            for v, s in zip(rows["value"], rows["status"], strict=True)],
).sort_values(["group", "area_name"], ascending=[False, True])
tier_codes = list(table.loc[table[f"is_{meta.tier}"], "area_code"])
everyone = latest_rows(values, UPLOAD_ID, tier_codes)
points = everyone[everyone["area_code"] != "E92000001"].assign(
    area_name=lambda d: d["area_code"].map(names),
    group=lambda d: ["this council" if c == code else "peer" if c in peers else "other" for c in d["area_code"]],
)
status_note = "" if comparison.value is not None else status_words(comparison.status).lower()
show_chart(strip_chart(points, f"{meta.title}, {comparison.period}", meta.unit, comparison.peer_median,
                       comparison.band_low, comparison.band_high, name, status_note))

over_time = trend(values, UPLOAD_ID, code, peers)
if over_time["period"].nunique() > 1:
    show_chart(trend_chart(over_time, f"{meta.title} over time", meta.unit, name))

table_out = shown[["area_name", "area_code", "group", "figure", "note"]]
st.dataframe(table_out, hide_index=True, width="stretch",
             column_config={"area_name": "Council", "area_code": "GSS code", "group": "",
                            "figure": f"Figure, {comparison.period}", "note": "Note"})
st.caption("Listed alphabetically after the council itself: the order says nothing about performance.")
st.download_button("Download these rows (CSV)", safe_csv_bytes(table_out),
                   file_name=f"your-upload-{code}-{comparison.period}.csv", mime="text/csv")

# ------------------------------------------------------------------ save
st.subheader("4. Save to the shared store (optional)")
st.markdown(
    f"Saving adds *{plain(meta.title)}* to this Level Measures store as a separate **{ORIGIN}** indicator with your "
    f"source (*{plain(meta.source)}*), so it is there after this session ends. It is written in one go — every "
    "row or none — and it **never overwrites official data**: user figures are kept in their own tables."
)
if st.button("Save to the shared store", icon=":material/save:", key="save_upload"):
    try:
        before = set(list_user_indicators(engine)["id"])
        saved_id = save_user_indicator(engine, meta, report.values)
    except UserDataError as exc:
        st.error(f"Not saved: {exc}")
    except Exception as exc:  # any store fault: the transaction rolled back, so say so plainly
        st.error(f"Not saved: the store could not be written ({type(exc).__name__}). Nothing was changed.")
    else:
        if saved_id in before:
            st.info(f"These figures were already saved as `{saved_id}`; nothing new was written.")
        else:
            st.success(f"Saved as `{saved_id}` ({ORIGIN}): {len(report.values):,} figures, all in one transaction.")

finish()
