"""Huddle: routing only. Page scripts live in pages/<section>/, listed in pages/__init__.py; logic in analytics/."""

import streamlit as st

from analytics import auth, db
from pages import PAGES, SECTIONS
from pages._ui import ACCESS_DENIED, current_user, md, retry_soon

# An emoji favicon is drawn in the browser; a `:material/...:` one is fetched from fonts.gstatic.com by every viewer.
st.set_page_config(page_title="Huddle", page_icon="📣", layout="wide")
# The default page's internal URL path: Streamlit shows it at "/", and no page key may take it.
HOME = "home"
assert HOME not in PAGES


def sign_in() -> None:
    st.title("Huddle")
    st.button("Log in", on_click=st.login, type="primary")


def no_access() -> None:
    st.title("Huddle")
    st.error("Your account has no Huddle role yet: ask an admin to add your email." if user.email else
             "No identity reached Huddle: open it through the company's sign-in proxy.")


def refused() -> None:
    st.title("Huddle")
    st.error(refusal)


def denied() -> None:
    st.title(PAGES[nav.url_path].title if nav.url_path in PAGES else "Huddle")
    st.error(f"{ACCESS_DENIED} Your role ({md(user.role)}) cannot open it; ask an admin if you need it.")


def hidden(fn, keys) -> list:
    """Every page's URL, served by fn: a bookmarked page says why it cannot open instead of "Page not found"."""
    return [st.Page(fn, title=PAGES[key].title, url_path=key, visibility="hidden") for key in keys]


try:
    source = auth.identity_source(st.secrets)
except Exception:          # no secrets file
    source = auth.identity_source(None)
user = current_user()
# Checked on every run, whatever command started Streamlit: a forgeable identity header is never trusted.
refusal = auth.header_mode_refusal(source, st.get_option("server.address"))
# st.navigation is always called (also for people who may see nothing), so pages never run outside this gate;
# who may open each page is decided in analytics/auth.py.
if refusal:
    pages = [st.Page(refused, title="Not served", url_path="not-served", default=True), *hidden(refused, PAGES)]
elif source == "oidc" and not st.user.is_logged_in:
    pages = [st.Page(sign_in, title="Log in", url_path="login", default=True), *hidden(sign_in, PAGES)]
elif not user.has_access:
    pages = [st.Page(no_access, title="No access", url_path="no-access", default=True), *hidden(no_access, PAGES)]
else:
    visible = {section: [spec for spec in specs if auth.can_open(user, spec.key)]
               for section, specs in SECTIONS.items()}
    first = next(spec.key for specs in visible.values() for spec in specs)
    # Streamlit serves the default page at "/" only, so it gets an internal path that is no page key (HOME) and its
    # own URL (a bookmarked /overview) a hidden page running the same script: the sidebar lists each page once.
    pages = {section: [st.Page(spec.script, title=spec.title, icon=spec.icon,
                               url_path=HOME if spec.key == first else spec.key, default=spec.key == first)
                       for spec in specs]
             for section, specs in visible.items() if specs}
    next(iter(pages.values())).append(st.Page(PAGES[first].script, title=PAGES[first].title,
                                              icon=PAGES[first].icon, url_path=first, visibility="hidden"))
    refused_keys = [key for key in PAGES if not auth.can_open(user, key)]
    if refused_keys:
        pages.setdefault("", []).extend(hidden(denied, refused_keys))
nav = st.navigation(pages)

with st.sidebar:
    if refusal:
        pass
    elif user.mode == "local":
        st.caption("Local single-user mode (no login configured): you are **admin**.")
    elif user.has_access:
        st.caption(f"Signed in as {user.email} ({user.role})")
        if user.mode == "oidc":
            st.button("Log out", on_click=st.logout)

try:
    nav.run()
except db.DatabaseBusy:
    st.warning("The database is busy with an upload from another process. Showing nothing rather than half an "
               "answer: the page comes back by itself in a moment.")
    retry_soon()
