"""Shared page plumbing: the cached store, cached tables, the council picker and the footer."""

from __future__ import annotations

import gc
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from lm_core import peer_groups, queries
from lm_core.build import read_manifest
from lm_core.charts import drawing_spec
from lm_core.families import Families
from lm_core.peer_groups import TierContext
from lm_core.peers import DEFAULT_K, K_RANGE, load_config
from lm_core.profile import Profile, build_profile, split_by_indicator
from lm_core.store import StoreError, database_url, ensure_store, get_engine, safe_url

CACHE_TTL = 3600


def _freeze_imported_heap() -> None:
    """Leave the imported modules' objects out of every later garbage collection (once per process).

    Streamlit runs a full collection after every rerun (runner.postScriptGC) while holding the GIL: about
    200 ms on this machine, nearly all of it walking the ~220k objects of the modules imported above, which
    live as long as the process. Frozen, they are still freed by reference counting; the collection then
    walks only what was made since, so memory hygiene stays on and the server stops stalling.
    """
    gc.collect()
    gc.freeze()


_freeze_imported_heap()


def _route_through_dashboard() -> None:
    """Make a deep link opened first after a server start run through dashboard.py's navigation.

    Streamlit notices the `pages/` folder at start-up and, until dashboard.py has called
    st.navigation once, serves /peers etc. with its old folder-based router (no page config,
    every file listed). Turning that off and rerunning hands the request to st.navigation.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory and not st.session_state.get("_routed"):
        # Once per session: a rerun drops any widget trigger of the run it replaces (AppTest resets this
        # flag on every run, and a first request never carries a trigger).
        st.session_state["_routed"] = True
        PagesManager.uses_pages_directory = False
        st.rerun()


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """One engine per process; the store is built on first use (with a progress bar)."""
    eng = get_engine()
    return eng


def ready_engine() -> Engine:
    """The engine, after making sure the store holds the shipped data version.

    Every page calls this first, so it is also where a deep link is handed to dashboard.py's navigation
    (not at import time: a rerun raised inside an import leaves a half-imported module for other sessions).
    The first-run progress bar lives in a slot drawn on every run (empty afterwards): Streamlit redraws an
    element in place only if it keeps its position, so a bar shown on the first run alone would shift every
    element below it on the second run and rebuild them all.
    """
    _route_through_dashboard()
    slot = st.empty()
    try:
        eng = engine()
        version = str(read_manifest()["data_version"])
        if st.session_state.get("_store_checked") != version:
            bar = slot.progress(0.0, text="Preparing the database on first run…")
            built = ensure_store(eng, progress=lambda f, m: bar.progress(min(f, 1.0), text=f"First run: {m}…"))
            slot.empty()
            if built:
                st.cache_data.clear()
            st.session_state["_store_checked"] = version
        return eng
    except StoreError as exc:
        slot.error(f"The database could not be opened: {exc}")
        st.stop()
    except OSError as exc:
        slot.error(f"The data folder could not be read or written ({exc.strerror}). "
                   f"Database: {safe_url(database_url())}")
        st.stop()
    raise AssertionError("unreachable")


def data_version() -> str:
    """The shipped data version: the key every cached table is stored under."""
    return str(read_manifest()["data_version"])


@st.cache_data(ttl=CACHE_TTL, max_entries=4, show_spinner=False)
def authorities(version: str) -> pd.DataFrame:
    """Current councils (cached per data version)."""
    return queries.authorities(engine())


@st.cache_data(ttl=CACHE_TTL, max_entries=4, show_spinner=False)
def catalogue(version: str) -> pd.DataFrame:
    """The indicator catalogue (cached per data version)."""
    return queries.catalogue(engine())


def synced_select(label: str, options: list[str], param: str, default: str | None = None,
                  format_func: Callable[[str], str] = str, placeholder: str | None = None,
                  help: str | None = None) -> str | None:
    """A selectbox whose value lives in ?param=VALUE (the value itself, never its display label)."""
    wanted = st.query_params.get(param, default)
    index = options.index(wanted) if wanted in options else (None if default is None else options.index(default))
    value = st.selectbox(label, options, index=index, format_func=format_func, key=f"{param}_picker",
                         placeholder=placeholder, help=help)
    if value is not None and value != default:
        st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]
    return value


def synced_int(label: str, low: int, high: int, param: str, default: int, help: str | None = None) -> int:
    """An integer slider kept in ?param=N."""
    try:
        wanted = int(st.query_params.get(param, default))
    except ValueError:
        wanted = default
    value = int(st.slider(label, low, high, min(max(wanted, low), high), key=f"{param}_slider", help=help))
    if value != default:
        st.query_params[param] = str(value)
    elif param in st.query_params:
        del st.query_params[param]
    return value


def council_picker(table: pd.DataFrame, label: str = "Find a council", param: str = "council") -> str | None:
    """A type-to-search picker kept in step with ?council=CODE, so every view can be linked to.

    (Streamlit's own query-param binding writes the *displayed* label into the URL when a
    format_func is used; the URL must hold the GSS code, so the sync is done here.)
    """
    names = dict(zip(table["area_code"], table["area_name"] + " · " + table["type_name"], strict=True))
    options = sorted(names, key=lambda c: names[c].lower())
    wanted = st.query_params.get(param)
    if wanted and wanted not in names:
        _explain_unknown_code(str(wanted), names)
    return synced_select(label, options, param, format_func=lambda c: names.get(c, c),
                         placeholder="Type part of a council's name…")


@st.cache_data(ttl=CACHE_TTL, max_entries=4, show_spinner=False)
def lineage(version: str) -> pd.DataFrame:
    """Retired codes and their successors (cached per data version)."""
    return queries.lineage(engine())


def _explain_unknown_code(code: str, names: dict[str, str]) -> None:
    """A retired code gets a notice naming and linking its successor, as ONS Explore Local Statistics does."""
    links = lineage(data_version())
    hits = links[links["old_code"] == code]
    if hits.empty:
        st.warning(f"“{code}” is not a current English council code; pick a council below.")
        return
    first = hits.iloc[0]
    successors = ", ".join(f"{r.new_name} ({r.new_code})" for r in hits.itertuples())
    st.warning(f"{first['old_name']} ({code}) no longer exists: {first['reason']}. "
               f"Its area is now served by {successors}.")
    for r in hits.itertuples():
        if r.new_code in names:
            st.page_link("pages/home.py", label=f"Open {r.new_name}",
                         query_params={"council": str(r.new_code)}, icon=":material/arrow_forward:")


def footer(attributions: list[str]) -> None:
    """Source and licence under every page, as the licences require."""
    st.divider()
    st.caption("Sources and licences: " + " · ".join(attributions))
    st.caption("No single indicator tells the whole story. Level Measures compares councils with similar "
               "councils; it never ranks them.")


@st.cache_resource(ttl=CACHE_TTL, max_entries=8, show_spinner=False)
def tier_context(version: str, tier: str) -> TierContext:
    """Standardised context for one tier (one shared, read-only copy per data version): the only input to peers."""
    config = load_config()
    eng = engine()
    values = queries.values_for(eng, indicator_ids=list(config.variables))
    return peer_groups.tier_context(values, catalogue(version), authorities(version), tier, config)


@st.cache_data(ttl=CACHE_TTL, max_entries=16, show_spinner=False)
def families(version: str, tier: str, lens: str) -> Families:
    """Families of a tier under a lens (cached)."""
    return peer_groups.family_of(tier_context(version, tier), load_config(), lens)


@st.cache_resource(ttl=CACHE_TTL, max_entries=2, show_spinner=False)
def values_by_indicator(version: str) -> dict[str, pd.DataFrame]:
    """Every value, grouped by indicator once per data version; one shared copy, never modified.

    A resource, not cache_data: cache_data unpickles a fresh copy of all 170k rows on every call, which
    cost more than the comparisons themselves and defeated compare.latest_rows' per-frame index.
    """
    return split_by_indicator(queries.values_for(engine()))


@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def council_profile(version: str, code: str, lens: str, k: int) -> Profile:
    """A council's full profile (cached per data version, council, lens and k)."""
    contexts = {tier: tier_context(version, tier) for tier in ("lower", "upper")}
    return build_profile(code, authorities(version), catalogue(version), values_by_indicator(version), contexts,
                         load_config(), lens, k)


def lens_and_k() -> tuple[str, int]:
    """The peer definition widgets every comparison page shares (?lens= and ?k=)."""
    config = load_config()
    c1, c2 = st.columns([3, 1])
    with c1:
        lens = synced_select("Similar councils by", list(config.lenses), "lens", default="overall",
                             format_func=lambda n: f"{config.lenses[n].title} — {config.lenses[n].description}")
    with c2:
        k = synced_int("Number of similar councils", K_RANGE[0], K_RANGE[1], "k", DEFAULT_K)
    return lens or "overall", k


def show_chart(chart: alt.TopLevelMixin, **kwargs: object) -> object:
    """Draw an altair chart full width; its `description` is the accessible name Streamlit gives it."""
    return st.vega_lite_chart(drawing_spec(chart), width="stretch", **kwargs)  # type: ignore[arg-type]
