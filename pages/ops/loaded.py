"""What's loaded: counts per kind, date ranges and the latest uploads."""

import streamlit as st

from analytics import cache
from analytics.ingest.loaded import loaded_summary, recent_uploads
from pages._ui import page_context

page_context("loaded")

summary = cache.run(loaded_summary)
cols = st.columns(len(summary))
for col, row in zip(cols, summary.itertuples()):
    col.metric(row.label, f"{row.n_records:,}")
st.dataframe(summary.rename(columns={"label": "Data", "n_records": "Records", "first_date": "From",
                                     "last_date": "To", "last_uploaded_at": "Last upload",
                                     "n_uploads": "Uploads"}).drop(columns="kind"),
             hide_index=True, width="stretch")
st.subheader("Latest uploads")
st.dataframe(cache.run(recent_uploads), hide_index=True, width="stretch")
