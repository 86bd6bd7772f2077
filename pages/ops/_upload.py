"""The Data page's Upload tab: a full preview of each export before anything is written, then one confirmed load."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from analytics import auth, cache, settings, upload_jobs
from analytics.ingest.errors import IngestError
from analytics.ingest.loaded import already_loaded
from analytics.ingest.kinds import KINDS, UPLOAD_KINDS, default_outcome
from pages._ui import md

ss = st.session_state


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


def _cell(value):
    """A rejected row's cell for st.table, which renders markdown in its cells."""
    return md(value) if isinstance(value, str) else value


def _changes_frame(changes: list[dict]) -> pd.DataFrame:
    """The preview's sample of changed fields, one row per field, values as text (empty shown as —)."""
    def text(v):
        return "—" if v is None or v != v else f"{v:,.4g}" if isinstance(v, float) else str(v)
    return pd.DataFrame({"line": [c["line"] for c in changes],
                         "field": [c["field"].replace("_", " ") for c in changes],
                         "was": [text(c["old"]) for c in changes], "becomes": [text(c["new"]) for c in changes]})


def _counts(r) -> str:
    return (f"{r.rows_inserted:,} new, {r.rows_updated:,} updated, {r.rows_unchanged:,} unchanged, "
            f"{r.rows_rejected:,} rejected, {r.rows_skipped:,} footer lines skipped")


def _save(f) -> dict:
    """Save one uploaded file under a generated name and read its header (a transcript has none)."""
    entry = {"name": f.name, "size": f.size, "path": None, "info": None, "error": None, "sha256": None,
             "transcript": False}
    try:
        upload_jobs.check_size(f.size, f.name)
        if "data_tmp" not in ss:
            ss["data_tmp"] = str(upload_jobs.temp_dir())
        # The user's file name goes along, so no message ever shows the saved copy's name.
        entry["path"] = str(upload_jobs.save_upload(f.getvalue(), ss["data_tmp"], f.name))
        entry["sha256"] = hashlib.sha256(f.getvalue()).hexdigest()
        entry["transcript"] = upload_jobs.is_transcript(entry["path"], f.name)
        if not entry["transcript"]:
            entry["info"] = upload_jobs.sniff(entry["path"], f.name)
    except IngestError as exc:
        entry["error"] = str(exc)
    return entry


def _transcripts(files, saved: dict, specs: list) -> set[str]:
    """Transcript files of the batch (and the CSV naming their reps, dates and deals) in one box, as one activity
    upload appended to `specs`; returns the uploader ids they took."""
    entries = []
    for f in files:
        if f.file_id not in saved:
            saved[f.file_id] = _save(f)
        entry = saved[f.file_id]
        if entry["path"] and (entry["transcript"] or not entry["error"]):
            entries.append((f.file_id, entry))
    if not any(e.get("transcript") for _, e in entries):
        return set()
    try:
        path, name, held, warnings = upload_jobs.transcript_batch([(e["path"], e["name"]) for _, e in entries],
                                                                  ss["data_tmp"])
    except IngestError as exc:
        st.error(md(str(exc)))
        return {fid for fid, e in entries if e.get("transcript")}
    with st.container(border=True):
        names = [e["name"] for _, e in entries if e["path"] in held]
        st.markdown(f"**{md(name)}** · one upload of {KINDS['activity'].label.lower()}")
        st.caption("Files: " + md(", ".join(names)))
        for w in warnings:
            st.warning(md(w))
    specs.append(upload_jobs.FileSpec.make(path, name, "activity"))
    return {fid for fid, e in entries if e["path"] in held}


def render(user: auth.User) -> None:
    """The uploader, one box per file with its detected kind and mapping, the dry-run preview and Confirm."""
    limit_mb = min(settings.max_upload_bytes() >> 20, int(st.get_option("server.maxUploadSize")))
    files = st.file_uploader(
        "Exports to load (CSV), or call transcripts (.vtt, .srt, .txt)", type=["csv", "tsv", "txt", "vtt", "srt"],
        accept_multiple_files=True, key=f"uploader_{ss.get('data_uploader_n', 0)}",
        help=f"CRM opportunities, quiz results, field feedback, the message catalog, the roster, or calls, "
             f"meetings, emails and notes; up to {limit_mb} MB per file. Transcript files load together as one "
             "upload, with a CSV naming each file's rep, date and deal if you add one. Nothing is written until "
             "you confirm.")
    saved = ss.setdefault("data_saved", {})
    present = {f.file_id for f in files or []}
    for fid in [k for k in saved if k not in present]:
        upload_jobs.remove_files([saved.pop(fid)["path"]])

    specs, problems = [], {}
    grouped = _transcripts(files or [], saved, specs)
    for f in files or []:
        if f.file_id in grouped:
            continue
        entry = saved[f.file_id]
        fid = f.file_id
        with st.container(border=True):
            size = entry["size"]
            st.markdown(f"**{md(entry['name'])}** · " + (f"{size / (1 << 20):.1f} MB" if size >= 1 << 20
                                                           else f"{size / 1024:.1f} KB"))
            if entry["error"]:
                st.error(md(entry["error"]))
                continue
            info = entry["info"]
            detected = (cache.run(upload_jobs.remembered_kind, tuple(info.headers))      # settled before
                        or upload_jobs.propose_kind(info.headers))
            kinds = list(UPLOAD_KINDS)
            # Nothing fits: no kind is preselected (never CRM by default); the user chooses one.
            kind = st.selectbox("Kind of export", kinds, index=kinds.index(detected) if detected else None,
                                format_func=lambda k: KINDS[k].label, key=f"kind:{fid}",
                                placeholder="Choose the kind of export")
            st.caption(f"Detected: {KINDS[detected].label if detected else 'not recognized'} · "
                       f"encoding {info.encoding} · delimiter {info.delimiter!r} · {len(info.headers)} columns")
            if kind is None:
                st.info("Huddle could not tell what kind of export this is: choose its kind above.")
                continue
            settled = cache.run(upload_jobs.remembered_columns, kind, tuple(info.headers))   # remembered mapping
            auto = upload_jobs.column_mapping(kind, info.headers, settled)
            missing_auto = upload_jobs.missing_fields(kind, info.headers, settled)
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
                mapping = upload_jobs.column_mapping(kind, info.headers, {**settled, **overrides})
                for field in KINDS[kind].date_fields:
                    if field in mapping:
                        fmt = st.selectbox(f"Date format of {md(repr(mapping[field]))}",
                                           ["detect", *upload_jobs.DATE_FORMATS], key=f"date:{fid}:{kind}:{field}")
                        if fmt != "detect":
                            dates[field] = fmt
                pass_mark = settings.PASS_MARK
                if kind == "quiz":
                    pass_mark = st.number_input("Pass mark (share of the maximum score)", 0.0, 1.0,
                                                settings.PASS_MARK, 0.05, key=f"pass:{fid}")
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
                        choice = scols[i % 3].selectbox(md(stage), ["won", "lost", "open"],
                                                        index=["won", "lost", "open"].index(base),
                                                        key=f"stage:{fid}:{stage}")
                        if choice != base:
                            stages[stage] = choice
            missing = upload_jobs.missing_fields(kind, info.headers, {**settled, **overrides})
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
                flash.append(("success", f"Upload {out.result.upload_id}: {md(out.spec.file_name)} loaded as "
                                         f"{out.result.kind}: {_counts(out.result)}."))
            else:
                flash.append(("error", f"{md(out.spec.file_name)} was not loaded: {md(out.error)}"))
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
                    st.markdown(f"**{md(out.spec.file_name)}**")
                    if out.result is None:
                        st.error(md(out.error))
                        continue
                    r = out.result
                    sha = next((e["sha256"] for e in saved.values() if e["path"] == out.spec.path), None)
                    repeat = cache.run(already_loaded, sha) if sha else ()
                    if repeat and not (r.rows_inserted or r.rows_updated):
                        st.info(f"Already loaded as upload {repeat[0][0]} ({md(repeat[0][1])}): loading it again "
                                "would change nothing, so it is left out.")
                    else:
                        ready.append(out.spec)
                    if repeat and r.rows_updated:
                        st.info(f"Already loaded as upload {repeat[0][0]}: with these columns it would update "
                                f"{r.rows_updated:,} records in place (no record is added twice).")
                    label = KINDS[r.kind].label if r.kind in KINDS else r.kind
                    st.caption(f"{label} · source format **{r.source_format}** · encoding {r.encoding} · "
                               f"delimiter {r.delimiter!r} · {r.rows_read:,} rows read")
                    c = st.columns(5)
                    c[0].metric("Would insert", f"{r.rows_inserted:,}")
                    c[1].metric("Would update", f"{r.rows_updated:,}")
                    c[2].metric("Unchanged", f"{r.rows_unchanged:,}")
                    c[3].metric("Rejected", f"{r.rows_rejected:,}")
                    c[4].metric("Footer lines skipped", f"{r.rows_skipped:,}")
                    for w in r.warnings:
                        st.warning(md(w))
                    if r.changes:
                        st.caption(f"What the updates change, for the first records (of {r.rows_updated:,}):")
                        st.dataframe(_changes_frame(r.changes), hide_index=True, width="stretch")
                    remembered = r.details.get("remembered_mapping")
                    if remembered:
                        st.info(f"Columns as settled before for files of this shape (remembered mapping "
                                f"{remembered['mapping_id']}; `python -m analytics mappings delete "
                                f"{remembered['mapping_id']}` forgets it).")
                    if r.missing_optional:
                        st.caption("Not found in the file (optional): " + md(", ".join(r.missing_optional)))
                    left, right = st.columns(2)
                    how = r.inference or {}
                    left.dataframe(pd.DataFrame({"field": list(r.columns), "column": list(r.columns.values()),
                                                 "confidence": [f"{how[f]['confidence']:.0%}" if f in how else ""
                                                                for f in r.columns],
                                                 "why": [how[f]["reason"] if f in how else "" for f in r.columns]}),
                                   hide_index=True, width="stretch")
                    if r.unused_columns:
                        st.caption("Columns not used:")
                        st.dataframe(pd.DataFrame(r.unused_columns).rename(columns={"looks_like": "looks like"}),
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
                        st.table(pd.DataFrame(r.rejects).map(_cell).rename(columns={"line": "line number"}).set_index(
                            "line number"))
                        if r.rows_rejected > len(r.rejects):
                            st.caption(f"… and {r.rows_rejected - len(r.rejects):,} more: after loading, download "
                                       "them all from the upload history.")
            if not ready:
                st.caption("Nothing to load: every file above is already loaded or cannot be loaded.")
            if st.button(f"Confirm: load {len(ready)} file(s)", type="primary", disabled=not ready,
                         key="data_confirm"):
                ss["data_commit"] = upload_jobs.UploadJob(cache.db_path(), ready, dry_run=False, user=user).start()
                st.rerun()
    elif not files:
        st.caption("Choose one or several exports; Huddle detects the kind of each, shows what it would load, "
                   "and writes nothing until you confirm.")

