"""Huddle: routing only. Pages live in pages/; the logic in analytics/."""

import streamlit as st

from analytics import auth
from pages._ui import current_user

st.set_page_config(page_title="Huddle", page_icon=":material/campaign:", layout="wide")

# (key, file, title, icon); who may open each page is decided in analytics/auth.py.
PAGES = [
    ("loaded", "pages/loaded.py", "What's loaded", ":material/database:"),
]

user = current_user()
pages = [st.Page(path, title=title, icon=icon, url_path=key, default=(i == 0))
         for i, (key, path, title, icon) in enumerate(PAGES) if auth.can_open(user, key)]

with st.sidebar:
    if user.mode == "local":
        st.caption("Local single-user mode (no login configured): you are **admin**.")
    else:
        st.caption(f"Signed in as {user.email} ({user.role})")

st.navigation(pages).run()
