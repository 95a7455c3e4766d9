"""Level Measures: entry point and navigation (a router only)."""

import streamlit as st

st.set_page_config(page_title="Level Measures", page_icon="⚖️", layout="wide")

PAGES = {
    "Level Measures": [
        st.Page("pages/home.py", title="Find a council", icon=":material/search:", url_path="home", default=True),
        st.Page("pages/peers.py", title="Peer groups", icon=":material/groups:", url_path="peers"),
    ],
    "Reference": [
        st.Page("pages/about_data.py", title="About the data", icon=":material/menu_book:", url_path="data"),
    ],
}

page = st.navigation(PAGES)
page.run()
