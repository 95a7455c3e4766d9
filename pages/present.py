"""Present: a council's measures one per slide, in large type, for a meeting; packs to download."""

import datetime as dt
import html
from functools import partial
from urllib.parse import urlsplit

import streamlit as st

from lm_core.export import safe_csv_bytes
from lm_core.pack import (
    DEFAULT_BASE_URL,
    OFLOG_AREAS,
    Pack,
    area_slug,
    build_pack,
    pack_pdf,
    pack_pptx,
    parse_areas,
    slides_table,
)
from lm_core.peers import load_config
from lm_core.sources.base import SERVICE_AREAS
from pages.common import (
    CACHE_TTL,
    authorities,
    catalogue,
    council_picker,
    council_profile,
    data_version,
    footer,
    lens_and_k,
    ready_engine,
    show_chart,
    values_by_indicator,
)

CHART_HEIGHT = 330  # total height incl. title and legend: two charts side by side fit a 1280×720 screen
# Projection: no sidebar, header, toolbar or footer; tight spacing; type readable across a room.
CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="collapsedControl"],
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], footer, .st-key-lm_page_down, .st-key-lm_page_up { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container {
  padding: 0.6rem 2rem 1rem 2rem !important; max-width: 100% !important; }
[data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 0.45rem; }
.lm-slide, .lm-foot { padding-bottom: 1rem; }  /* Streamlit pulls the next element up by 1rem */
.lm-slide .lm-kicker { font-size: 22px; color: #505A5F; margin: 0; line-height: 1.25; }
.lm-slide h1.lm-title { font-size: 40px; font-weight: 700; color: #0B0C0C; margin: 0.1rem 0 0.25rem 0;
  padding: 0; line-height: 1.15; }
.lm-slide .lm-headline { font-size: 31px; font-weight: 700; color: #12436D; margin: 0 0 0.3rem 0;
  line-height: 1.2; }
.lm-slide .lm-figures { font-size: 23px; color: #0B0C0C; margin: 0; line-height: 1.3; }
.lm-foot p { font-size: 20px; line-height: 1.3; margin: 0 0 0.2rem 0; color: #0B0C0C; }
.lm-foot .lm-source { color: #505A5F; }
.lm-count { font-size: 20px; text-align: center; color: #505A5F; padding-top: 0.4rem; }
.lm-none { font-size: 22px; color: #505A5F; padding-top: 5rem; }
[data-testid="stButton"] button p { font-size: 20px; }
</style>
"""

st.markdown(CSS, unsafe_allow_html=True)
ready_engine()
version = data_version()
table = authorities(version)
indicators = catalogue(version)
names = dict(zip(table["area_code"], table["area_name"], strict=True))


def base_url() -> str:
    """Scheme and host the app is served from (for the permalinks printed in the packs)."""
    try:
        parts = urlsplit(str(st.context.url or ""))
    except (AttributeError, RuntimeError):
        return DEFAULT_BASE_URL
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else DEFAULT_BASE_URL


@st.cache_data(ttl=CACHE_TTL, max_entries=16, show_spinner=False)
def cached_pack(version: str, code: str, lens: str, k: int, areas: tuple[str, ...], url: str, day: str) -> Pack:
    """The slides for a council, peer definition and service areas (cached per data version)."""
    return build_pack(council_profile(version, code, lens, k), indicators, values_by_indicator(version), table,
                      load_config(), version, areas, day, url)


def md(text: str) -> str:
    """Text shown literally inside Markdown (no stray emphasis, links or LaTeX from a caveat)."""
    return "".join(f"\\{ch}" if ch in "\\`*_{}[]<>()#+!|$~" else ch for ch in text)


def go_to(n: int) -> None:
    """Move to slide n (1-based) and keep it in the URL."""
    st.query_params["slide"] = str(n)


def requested_areas() -> tuple[str, ...]:
    """?areas=waste-and-environment,finance (Oflog's families when absent; unknown names ignored)."""
    raw = st.query_params.get("areas", "")
    try:
        return parse_areas(raw)
    except ValueError:
        known = [p for p in str(raw).split(",") if area_slug(p) in {area_slug(a) for a in SERVICE_AREAS}]
        return parse_areas(",".join(known)) if known else OFLOG_AREAS


slide_area = st.container()
nav_area = st.container()
setup = st.expander("Set up: council, service areas, similar councils and downloads",
                    expanded="council" not in st.query_params, icon=":material/settings:")

with setup:
    code = council_picker(table, label="Council")
    wanted = requested_areas()
    chosen = st.multiselect("Service areas", list(SERVICE_AREAS), default=list(wanted), key="areas_picker",
                            help="One slide per measure in these areas. Oflog's families by default.")
    areas = tuple(a for a in SERVICE_AREAS if a in chosen) or OFLOG_AREAS
    if areas != OFLOG_AREAS:
        st.query_params["areas"] = ",".join(area_slug(a) for a in areas)
    elif "areas" in st.query_params:
        del st.query_params["areas"]
    lens, k = lens_and_k()

if code is None:
    with slide_area:
        st.title("Present")
        st.markdown("One measure per slide, in large type, for a meeting: choose a council below. "
                    "Use the arrow keys (or a presentation clicker) to move between slides.")
    footer(["Indicators: see About the data for each publisher, licence and attribution (OGL v3.0; CC BY 4.0)"])
    st.stop()

pack = cached_pack(version, code, lens, k, areas, base_url(), dt.date.today().isoformat())
total = len(pack.slides)
try:
    number = int(st.query_params.get("slide", 1))
except ValueError:
    number = 1
number = min(max(number, 1), max(total, 1))

with slide_area:
    if not total:
        st.markdown(f"<p class='lm-none'>{html.escape(pack.name)} has no measures in "
                    f"{html.escape(', '.join(areas))}. Choose other service areas below.</p>", unsafe_allow_html=True)
    else:
        s = pack.slides[number - 1]
        kicker = f"{s.whose} · {s.service_area} · {s.period}".rstrip(" ·")
        st.markdown(
            f"<div class='lm-slide'><p class='lm-kicker'>{html.escape(kicker)}</p>"
            f"<h1 class='lm-title'>{html.escape(s.title)}</h1>"
            f"<p class='lm-headline'>{html.escape(s.headline)}</p>"
            f"<p class='lm-figures'>{html.escape(s.figures)}</p></div>", unsafe_allow_html=True)
        left, right = st.columns(2)
        with left:
            show_chart(s.strip().properties(height=CHART_HEIGHT), theme=None)  # high-contrast type for projectors
        with right:
            trend = s.trend()
            if trend is not None:
                show_chart(trend.properties(height=CHART_HEIGHT), theme=None)
            else:
                st.markdown("<p class='lm-none'>Only one period has been published, so there is no trend yet.</p>",
                            unsafe_allow_html=True)
        st.markdown(f"<div class='lm-foot'><p><b>Caveat:</b> {html.escape(s.caveat_short)}</p>"
                    f"<p class='lm-source'>{html.escape(s.source)}</p></div>", unsafe_allow_html=True)

with nav_area:
    back, count, forward = st.columns([1, 2, 1], vertical_alignment="center")
    with back:
        st.button("◀ Previous", key="lm_prev", on_click=go_to, args=(number - 1,), disabled=number <= 1,
                  shortcut="Left", width="stretch")
    with count:
        st.markdown(f"<p class='lm-count'>Slide {number} / {total} · {html.escape(pack.name)} · "
                    f"{k} similar councils ({html.escape(pack.lens_title)} lens)</p>", unsafe_allow_html=True)
    with forward:
        st.button("Next ▶", key="lm_next", on_click=go_to, args=(number + 1,), disabled=number >= total,
                  shortcut="Right", width="stretch")
    # presentation clickers send Page Down / Page Up: two hidden twins of the buttons above
    st.button("Next", key="lm_page_down", on_click=go_to, args=(number + 1,), disabled=number >= total,
              shortcut="PageDown")
    st.button("Previous", key="lm_page_up", on_click=go_to, args=(number - 1,), disabled=number <= 1,
              shortcut="PageUp")

with setup:
    if total:
        s = pack.slides[number - 1]
        st.markdown(f"**{md(s.sentence)}**  \n{md(s.caveat)}  \nHow we know: {md(s.method)}  \n{md(s.note)}")
    st.caption(f"Stamp {pack.stamp} · data version {pack.data_version}. The same council, lens, k, areas and data "
               "always give the same stamp.")
    stem = f"pack-{code}-{lens}-{k}-{pack.date}"
    c1, c2, c3 = st.columns(3)
    with c1:
        st.download_button("Committee pack (PowerPoint)", partial(pack_pptx, pack), file_name=f"{stem}.pptx",
                           mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
                           icon=":material/slideshow:", disabled=not total, on_click="ignore")
    with c2:
        st.download_button("Committee pack (PDF)", partial(pack_pdf, pack), file_name=f"{stem}.pdf",
                           mime="application/pdf", icon=":material/picture_as_pdf:", disabled=not total,
                           on_click="ignore")
    with c3:
        st.download_button("Figures on these slides (CSV)", lambda: safe_csv_bytes(slides_table(pack, indicators)),
                           file_name=f"{stem}.csv", mime="text/csv", icon=":material/download:", on_click="ignore")
    st.page_link("pages/council.py", label="Open the full council profile", icon=":material/monitoring:",
                 query_params={"council": code, "lens": lens, "k": str(k)})

footer(list(pack.attributions))
