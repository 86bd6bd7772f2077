"""Data operations (ops): upload exports with a full preview before anything is written, history and undo, health."""

import streamlit as st

from analytics import db
from pages._ui import REFRESH_FAILED, page_context, refresh_state, retry_soon
from pages.ops import _health, _history, _upload

page = page_context("data")
for level, text in st.session_state.pop("data_flash", []):
    getattr(st, level)(text)

# page_context already says when the default view is being refreshed; the Data page adds what failed.
refresh = refresh_state() or {"state": "unknown"}
if refresh["state"] == "failed":
    st.error(REFRESH_FAILED, icon=":material/sync_problem:")
    st.text(refresh["detail"])

tab_upload, tab_history, tab_health = st.tabs(["Upload", "Upload history", "Data health"])
with tab_upload:
    _upload.render(page.user)

BUSY = ("Another process is writing to the database (a command-line upload?); this view comes back by itself "
        "when it is done.")
busy = False
for tab, tab_module in ((tab_history, _history), (tab_health, _health)):
    with tab:
        try:
            tab_module.render(page.user)
        except db.DatabaseBusy:
            st.warning(BUSY)
            busy = True
if busy:
    retry_soon()
