"""Huddle: routing only. Pages live in pages/; the logic in analytics/."""

import streamlit as st

from analytics import auth, db
from pages._ui import current_user

st.set_page_config(page_title="Huddle", page_icon=":material/campaign:", layout="wide")

# (key, file, title, icon); who may open each page is decided in analytics/auth.py.
PAGES = [
    ("overview", "pages/overview.py", "Overview", ":material/dashboard:"),
    ("adoption", "pages/adoption.py", "Adoption", ":material/school:"),
    ("retention", "pages/retention.py", "Retention", ":material/psychology:"),
    ("scorecard", "pages/scorecard.py", "Message scorecard", ":material/leaderboard:"),
    ("impact", "pages/impact.py", "Win-rate impact", ":material/trending_up:"),
    ("feedback", "pages/feedback.py", "Field feedback", ":material/forum:"),
    ("loaded", "pages/loaded.py", "What's loaded", ":material/database:"),
    ("data", "pages/data.py", "Data", ":material/upload_file:"),
]


def sign_in() -> None:
    st.title("Huddle")
    st.button("Log in", on_click=st.login, type="primary")


def no_access() -> None:
    st.title("Huddle")
    st.error("Your account has no Huddle role yet: ask an admin to add your email." if user.email else
             "No identity reached Huddle: open it through the company's sign-in proxy.")


try:
    source = auth.identity_source(st.secrets)
except Exception:          # no secrets file
    source = auth.identity_source(None)
user = current_user()
# st.navigation is always called (also for people who may see nothing), so pages never run outside this gate.
if source == "oidc" and not st.user.is_logged_in:
    pages = [st.Page(sign_in, title="Log in", url_path="login", default=True)]
elif not user.has_access:
    pages = [st.Page(no_access, title="No access", url_path="no-access", default=True)]
else:
    pages = [st.Page(path, title=title, icon=icon, url_path=key, default=(i == 0))
             for i, (key, path, title, icon) in enumerate(PAGES) if auth.can_open(user, key)]
nav = st.navigation(pages)

with st.sidebar:
    if user.mode == "local":
        st.caption("Local single-user mode (no login configured): you are **admin**.")
    elif user.has_access:
        st.caption(f"Signed in as {user.email} ({user.role})")
        if user.mode == "oidc":
            st.button("Log out", on_click=st.logout)

try:
    nav.run()
except db.DatabaseBusy:
    st.warning("The database is busy with an upload from another process. Showing nothing rather than half an "
               "answer: reload in a moment.")
