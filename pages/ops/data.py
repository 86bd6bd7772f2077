"""Data operations (ops): upload exports with a full preview before anything is written, history and undo, health."""

import streamlit as st

from analytics import db
from pages._ui import page_context
from pages.ops import _health, _history, _upload

page = page_context("data")
for level, text in st.session_state.pop("data_flash", []):
    getattr(st, level)(text)

tab_upload, tab_history, tab_health = st.tabs(["Upload", "Upload history", "Data health"])
with tab_upload:
    _upload.render(page.user)

BUSY = ("Another process is writing to the database (a command-line upload?); this view is back when it "
        "is done: reload the page in a moment.")
for tab, tab_module in ((tab_history, _history), (tab_health, _health)):
    with tab:
        try:
            tab_module.render(page.user)
        except db.DatabaseBusy:
            st.warning(BUSY)
