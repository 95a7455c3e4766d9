"""Level Measures: entry point and navigation (a router only)."""

import streamlit as st

st.set_page_config(page_title="Level Measures", page_icon="⚖️", layout="wide")

# Each url_path equals its file's name: Streamlit serves a deep link opened first after a server start
# with its folder-based router, which only knows file names (see pages/common.py). The default page is
# served at "/" and reached by name through the hidden /home alias below.
PAGES = {
    "Level Measures": [
        st.Page("pages/home.py", title="Find a council", icon=":material/search:", url_path="find", default=True),
        st.Page("pages/council.py", title="Council profile", icon=":material/monitoring:", url_path="council"),
        st.Page("pages/peers.py", title="Peer groups", icon=":material/groups:", url_path="peers"),
        st.Page("pages/explorer.py", title="Metric explorer", icon=":material/scatter_plot:", url_path="explorer"),
        st.Page("pages/map.py", title="Map of England", icon=":material/map:", url_path="map"),
        st.Page("pages/upload.py", title="Bring your own data", icon=":material/upload_file:", url_path="upload"),
        st.Page("pages/present.py", title="Present", icon=":material/slideshow:", url_path="present"),
    ],
    "Reference": [
        st.Page("pages/data.py", title="About the data", icon=":material/menu_book:", url_path="data"),
    ],
}

HOME = PAGES["Level Measures"][0]


def home_by_name() -> None:
    """/home is the default page's own name: links that spell it out land on "/" with their query kept."""
    st.switch_page(HOME, query_params=st.query_params.to_dict())


# The default page is served at "/"; without this alias, /home?council=... shows "Page not found".
ALIAS = st.Page(home_by_name, title="Find a council", url_path="home", visibility="hidden")
page = st.navigation({**PAGES, "": [ALIAS]})
page.run()
