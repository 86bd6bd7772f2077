"""Data operations (ops): upload exports with a full preview before anything is written, history and undo, health."""

from datetime import date

import pandas as pd
import streamlit as st

from analytics import cache, db, health, upload_jobs
from analytics.ingest.errors import IngestError
from analytics.ingest.kinds import default_outcome
from analytics.safe_csv import write_csv
from pages._ui import guard

user = guard("data")
ss = st.session_state
st.title("Data")

for level, text in ss.pop("data_flash", []):
    getattr(st, level)(text)

tab_upload, tab_history, tab_health = st.tabs(["Upload", "Upload history", "Data health"])


def _poll(job_key: str) -> None:
    """Show a running job's progress, refreshed every second without blocking other sessions."""
    @st.fragment(run_every=1.0)
    def poller():
        job = ss.get(job_key)
        if job is None:
            return
        if job.done:
            st.rerun()
        st.progress(job.progress(), text=job.describe())
    poller()


def _md(text) -> str:
    """A user-supplied text shown literally in markdown."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>~$:" else ch for ch in str(text))


def _counts(r) -> str:
    return (f"{r.rows_inserted:,} new, {r.rows_updated:,} updated, {r.rows_unchanged:,} unchanged, "
            f"{r.rows_rejected:,} rejected, {r.rows_skipped:,} footer lines skipped")


# --------------------------------------------------------------------------------------------------------- upload
with tab_upload:
    limit_mb = min(upload_jobs.max_upload_bytes() >> 20, int(st.get_option("server.maxUploadSize")))
    files = st.file_uploader(
        "Exports to load (CSV)", type=["csv", "tsv", "txt"], accept_multiple_files=True,
        key=f"uploader_{ss.get('data_uploader_n', 0)}",
        help=f"CRM opportunities, quiz results, field feedback, the message catalog or the roster; up to "
             f"{limit_mb} MB per file. Nothing is written until you confirm.")
    saved = ss.setdefault("data_saved", {})
    present = {f.file_id for f in files or []}
    for fid in [k for k in saved if k not in present]:
        upload_jobs.remove_files([saved.pop(fid)["path"]])

    specs, problems = [], {}
    for f in files or []:
        if f.file_id not in saved:
            entry = {"name": f.name, "size": f.size, "path": None, "info": None, "error": None}
            try:
                upload_jobs.check_size(f.size, f.name)
                if "data_tmp" not in ss:
                    ss["data_tmp"] = str(upload_jobs.temp_dir())
                entry["path"] = str(upload_jobs.save_upload(f.getvalue(), ss["data_tmp"]))
                entry["info"] = upload_jobs.sniff(entry["path"])
            except IngestError as exc:
                entry["error"] = str(exc)
            saved[f.file_id] = entry
        entry = saved[f.file_id]
        fid = f.file_id
        with st.container(border=True):
            size = entry["size"]
            st.markdown(f"**{_md(entry['name'])}** · " + (f"{size / (1 << 20):.1f} MB" if size >= 1 << 20
                                                           else f"{size / 1024:.1f} KB"))
            if entry["error"]:
                st.error(entry["error"])
                continue
            info = entry["info"]
            detected = upload_jobs.detect_kind(info.headers)
            kinds = list(upload_jobs.KIND_LABELS)
            kind = st.selectbox("Kind of export", kinds, index=kinds.index(detected) if detected else 0,
                                format_func=upload_jobs.KIND_LABELS.get, key=f"kind:{fid}")
            st.caption(f"Detected: {upload_jobs.KIND_LABELS[detected] if detected else 'not recognized'} · "
                       f"encoding {info.encoding} · delimiter {info.delimiter!r} · {len(info.headers)} columns")
            auto = upload_jobs.column_mapping(kind, info.headers)
            missing_auto = upload_jobs.missing_fields(kind, info.headers)
            overrides, dates, stages = {}, {}, {}
            with st.expander("Columns" + (" (needs your choice)" if missing_auto else ""), expanded=bool(missing_auto)):
                st.caption("Each field and the column it is read from; fields marked — are not in the file.")
                cols = st.columns(2)
                for i, field in enumerate(upload_jobs.fields(kind)):
                    options = list(info.headers) if field in auto else ["—", *info.headers]
                    default = options.index(auto[field]) if field in auto else 0
                    choice = cols[i % 2].selectbox(field.replace("_", " "), options, index=default,
                                                   key=f"map:{fid}:{kind}:{field}")
                    if choice != "—" and choice != auto.get(field):
                        overrides[field] = choice
            with st.expander("Dates and stages"):
                mapping = upload_jobs.column_mapping(kind, info.headers, overrides)
                for field in upload_jobs.DATE_FIELDS.get(kind, ()):
                    if field in mapping:
                        fmt = st.selectbox(f"Date format of {mapping[field]!r}", ["detect", *upload_jobs.DATE_FORMATS],
                                           key=f"date:{fid}:{kind}:{field}")
                        if fmt != "detect":
                            dates[field] = fmt
                pass_mark = 0.8
                if kind == "quiz":
                    pass_mark = st.number_input("Pass mark (share of the maximum score)", 0.0, 1.0, 0.8, 0.05,
                                                key=f"pass:{fid}")
                preview_job = ss.get("data_preview")
                stage_map = {}
                if preview_job is not None and preview_job.done:
                    for out in preview_job.outcomes:
                        if out.spec.path == entry["path"] and out.result is not None:
                            stage_map = out.result.details.get("stage_map", {}) or {}
                if stage_map:
                    st.caption("Stage → outcome (won / lost / open)")
                    scols = st.columns(3)
                    for i, stage in enumerate(sorted(stage_map)):
                        base = default_outcome(stage)
                        choice = scols[i % 3].selectbox(stage, ["won", "lost", "open"],
                                                        index=["won", "lost", "open"].index(base),
                                                        key=f"stage:{fid}:{stage}")
                        if choice != base:
                            stages[stage] = choice
            missing = upload_jobs.missing_fields(kind, info.headers, overrides)
            if missing:
                problems[fid] = "Choose a column for: " + "; ".join(missing)
                st.error(problems[fid])
                continue
            specs.append(upload_jobs.FileSpec.make(entry["path"], entry["name"], kind, overrides, stages, dates,
                                                   pass_mark))

    commit = ss.get("data_commit")
    preview = ss.get("data_preview")
    if commit is not None and not commit.done:
        st.info("Loading: other people can keep using the dashboard meanwhile.")
        _poll("data_commit")
    elif commit is not None and commit.done:
        cache.clear()
        flash = []
        for out in commit.outcomes:
            if out.result is not None:
                flash.append(("success", f"Upload {out.result.upload_id}: {out.spec.file_name} loaded as "
                                         f"{out.result.kind}: {_counts(out.result)}."))
            else:
                flash.append(("error", f"{out.spec.file_name} was not loaded: {out.error}"))
        upload_jobs.remove_files([e["path"] for e in saved.values() if e["path"]])
        ss["data_saved"] = {}
        ss["data_uploader_n"] = ss.get("data_uploader_n", 0) + 1
        ss["data_flash"] = flash
        for k in ("data_commit", "data_preview"):
            ss.pop(k, None)
        st.rerun()
    elif specs:
        if preview is None or (preview.done and preview.specs != tuple(specs)):
            preview = ss["data_preview"] = upload_jobs.UploadJob(cache.db_path(), specs, dry_run=True,
                                                                 user=user).start()
        if not preview.done:
            _poll("data_preview")
        else:
            st.subheader("Preview: nothing has been written yet")
            ready = []
            for out in preview.outcomes:
                with st.container(border=True):
                    st.markdown(f"**{_md(out.spec.file_name)}**")
                    if out.result is None:
                        st.error(out.error)
                        continue
                    r = out.result
                    ready.append(out.spec)
                    st.caption(f"{upload_jobs.KIND_LABELS.get(r.kind, r.kind) if r.kind != 'crm_users' else 'CRM users'}"
                               f" · source format **{r.source_format}** · encoding {r.encoding} · "
                               f"delimiter {r.delimiter!r} · {r.rows_read:,} rows read")
                    c = st.columns(5)
                    c[0].metric("Would insert", f"{r.rows_inserted:,}")
                    c[1].metric("Would update", f"{r.rows_updated:,}")
                    c[2].metric("Unchanged", f"{r.rows_unchanged:,}")
                    c[3].metric("Rejected", f"{r.rows_rejected:,}")
                    c[4].metric("Footer lines skipped", f"{r.rows_skipped:,}")
                    for w in r.warnings:
                        st.warning(w)
                    left, right = st.columns(2)
                    left.dataframe(pd.DataFrame({"field": list(r.columns), "column": list(r.columns.values())}),
                                   hide_index=True, width="stretch")
                    details = []
                    for stage, outcome in (r.details.get("stage_map") or {}).items():
                        details.append(("stage", stage, outcome))
                    for header, fmt in (r.details.get("date_formats") or {}).items():
                        details.append(("date format", header, fmt))
                    if details:
                        right.dataframe(pd.DataFrame(details, columns=["rule", "value", "read as"]),
                                        hide_index=True, width="stretch")
                    if r.rejects:
                        st.markdown(f"Rejected rows ({r.rows_rejected:,}):")
                        st.table(pd.DataFrame(r.rejects).rename(columns={"line": "line number"}).set_index(
                            "line number"))
                        if r.rows_rejected > len(r.rejects):
                            st.caption(f"… and {r.rows_rejected - len(r.rejects):,} more: after loading, download "
                                       "them all from the upload history.")
            if st.button(f"Confirm: load {len(ready)} file(s)", type="primary", disabled=not ready,
                         key="data_confirm"):
                ss["data_commit"] = upload_jobs.UploadJob(cache.db_path(), ready, dry_run=False, user=user).start()
                st.rerun()
    elif not files:
        st.caption("Choose one or several exports; Huddle detects the kind of each, shows what it would load, "
                   "and writes nothing until you confirm.")


# -------------------------------------------------------------------------------------------------------- history
def history_tab() -> None:
    """Upload history with counts, who and when; undo; rejected rows."""
    history = cache.run(upload_jobs.upload_history)
    if history.empty:
        st.info("No uploads yet.")
    else:
        st.dataframe(history, hide_index=True, width="stretch", column_config={
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
                        ss["data_flash"] = [("success", f"Undid upload {out['upload_id']} ({out['file']}): "
                                                        f"{out['versions_removed']:,} record versions removed.")]
                    except IngestError as exc:
                        ss["data_flash"] = [("error", str(exc))]
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


# --------------------------------------------------------------------------------------------------------- health
def health_tab() -> None:
    """Unmatched people with suggested matches, unknown messages, stale kinds, deal gaps."""
    today = date.today()
    s = cache.run(health.summary, today)
    c = st.columns(5)
    c[0].metric("Unmatched people", s["unmatched_people"])
    c[1].metric("Messages not in catalog", s["unknown_messages"])
    c[2].metric("Stale or missing kinds", s["stale_kinds"])
    c[3].metric("Closed deals without segment", f"{s['deals_without_segment']:,}")
    c[4].metric("Deals without amount", f"{s['deals_without_amount']:,}")

    st.subheader("People who match no roster rep")
    people = cache.run(health.unmatched_people)
    if people.empty:
        st.success("Every CRM owner, quiz taker and feedback author matches a roster rep.")
    else:
        st.dataframe(people.drop(columns=["rep_id", "suggested_rep_id", "suggestions"]), hide_index=True,
                     column_config={"name": "Name", "email": "Email", "seen_as": "Seen as", "n_deals": "Deals",
                                    "n_attempts": "Quiz attempts", "n_feedback": "Feedback",
                                    "suggested_rep": "Suggested roster rep", "suggested_email": "Their email",
                                    "score": st.column_config.NumberColumn("Likeness", format="%.2f"),
                                    "why": "Why", "can_link": "Can link", "cannot_link_because": "If not, why"},
                     width="stretch")
        linkable = people[people["can_link"]]
        if not linkable.empty:
            st.markdown("**Confirm a match** (recorded as a small upload you can undo in the history)")
            roster = cache.run(health.roster)
            names = dict(zip(roster["rep_id"], roster["rep_name"] + " · " + roster["rep_email"].fillna("no email")))
            person_labels = dict(zip(linkable["rep_id"], linkable["name"]))
            lc = st.columns([2, 2, 1])
            who = lc[0].selectbox("Person", list(person_labels), format_func=person_labels.get, key="link_person")
            row = linkable[linkable["rep_id"] == who].iloc[0]
            ordered = list(row["suggestions"]) + [r for r in roster["rep_id"] if r not in set(row["suggestions"])]
            rep = lc[1].selectbox("is roster rep", ordered, format_func=lambda r: names.get(r, r), key="link_rep")
            lc[2].write("")
            if lc[2].button("Confirm match", key="link_button"):
                try:
                    with st.spinner("Linking…"):
                        res = upload_jobs.link_person(cache.db_path(), who, rep, user)
                    ss["data_flash"] = [("success", f"Linked {row['name']} to {names.get(rep, rep)} "
                                                    f"(upload {res.upload_id}; undo it to unlink).")]
                except IngestError as exc:
                    ss["data_flash"] = [("error", str(exc))]
                cache.clear()
                st.rerun()

    st.subheader("Messages not in the catalog")
    unknown = cache.run(health.unknown_messages)
    if unknown.empty:
        st.success("Every message named in quizzes, feedback and CRM tags is in the catalog.")
    else:
        st.caption("Add them to the message catalog export (or rename the quiz / tag) and upload it again.")
        st.dataframe(unknown.drop(columns=["message_id"]), hide_index=True, width="stretch", column_config={
            "message_name": "Message", "first_seen": "First seen", "n_attempts": "Quiz attempts",
            "n_feedback": "Feedback", "n_deals": "Deals tagged", "closest_catalog_message": "Closest catalog name"})

    st.subheader("Last upload per kind")
    st.dataframe(cache.run(health.stale_data, today).drop(columns=["kind"]), hide_index=True, width="stretch",
                 column_config={
                     "label": "Data", "last_uploaded_at": st.column_config.DatetimeColumn(
                         "Last upload", format="YYYY-MM-DD HH:mm"),
                     "last_file": "File", "last_uploaded_by": "By", "n_uploads": "Uploads",
                     "last_record_date": st.column_config.DateColumn("Latest date in the data"),
                     "age_days": "Days since upload", "stale_after_days": "Stale after (days)", "status": "Status"})

    st.subheader("Deals missing what the analyses need")
    st.dataframe(cache.run(health.deal_gaps, today), hide_index=True, width="stretch",
                 column_config={"check_name": "Check", "n_deals": "Deals", "n_total": "Out of",
                                "share": st.column_config.NumberColumn("Share", format="percent")})
    gaps = cache.run(health.deals_with_gaps)
    if not gaps.empty:
        st.download_button("Download these deals (CSV)", write_csv(gaps), file_name="huddle-deals-with-gaps.csv",
                           mime="text/csv", key="gaps_download")


BUSY = ("Another process is writing to the database (a command-line upload?); this view is back when it "
        "is done: reload the page in a moment.")
for tab, body in ((tab_history, history_tab), (tab_health, health_tab)):
    with tab:
        try:
            body()
        except db.DatabaseBusy:
            st.warning(BUSY)
