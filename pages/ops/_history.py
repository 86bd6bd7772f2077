"""The Data page's Upload history tab: every upload with its counts, who and when; undo; rejected rows."""

from __future__ import annotations

import streamlit as st

from analytics import auth, cache, upload_jobs
from analytics.ingest.errors import IngestError
from pages._ui import md

ss = st.session_state


def render(user: auth.User) -> None:
    """Upload history with counts, who and when; undo; rejected rows."""
    history = cache.run(upload_jobs.upload_history)
    if history.empty:
        st.info("No uploads yet.")
    else:
        # The answers first (which upload, did it count, what it did); provenance after.
        order = ("upload_id", "status", "file_name", "kind", "uploaded_at", "rows_inserted", "rows_updated",
                 "rows_unchanged", "rows_rejected", "uploaded_by", "source_format", "rows_read", "rows_skipped")
        st.dataframe(history, hide_index=True, width="stretch", column_order=order, column_config={
            "upload_id": "Upload", "kind": "Kind", "file_name": "File", "source_format": "Format",
            "uploaded_by": "By", "uploaded_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
            "rows_read": "Read", "rows_inserted": "New", "rows_updated": "Updated", "rows_unchanged": "Unchanged",
            "rows_rejected": "Rejected", "rows_skipped": "Footer lines", "status": "Status"})
        undo_col, rej_col = st.columns(2)
        active = history[history["status"] == "active"]
        labels = {int(r.upload_id): f"#{r.upload_id} {r.file_name} ({r.kind}, {r.uploaded_at:%Y-%m-%d %H:%M}, "
                                    f"{r.uploaded_by})" for r in history.itertuples()}
        with undo_col:
            st.markdown("**Undo an upload**")
            if active.empty:
                st.caption("No active uploads.")
            else:
                target = st.selectbox("Upload", [int(i) for i in active["upload_id"]], format_func=labels.get,
                                      key="undo_target")
                sure = st.checkbox("Remove what this upload added and restore what it changed", key="undo_sure")
                if st.button("Undo upload", disabled=not sure, key="undo_button"):
                    try:
                        with st.spinner("Undoing…"):
                            out = upload_jobs.undo_upload(cache.db_path(), target, user)
                        ss["data_flash"] = [("success", f"Undid upload {out['upload_id']} ({md(out['file'])}): "
                                                        f"{out['versions_removed']:,} record versions removed.")]
                    except IngestError as exc:
                        ss["data_flash"] = [("error", md(exc))]
                    cache.clear()
                    ss.pop("undo_sure", None)
                    st.rerun()
        with rej_col:
            st.markdown("**Rejected rows**")
            with_rejects = history[history["rows_rejected"] > 0]
            if with_rejects.empty:
                st.caption("No upload has rejected rows.")
            else:
                pick = st.selectbox("Upload", [int(i) for i in with_rejects["upload_id"]], format_func=labels.get,
                                    key="rejects_target")
                st.download_button("Download rejected rows (CSV)", cache.run(upload_jobs.rejects_csv, pick),
                                   file_name=f"huddle-upload-{pick}-rejected-rows.csv", mime="text/csv",
                                   key="rejects_download")
                st.dataframe(cache.run(upload_jobs.rejects_table, pick).head(200), hide_index=True, width="stretch")

