"""The Data page's Data health tab: unmatched people with suggested matches, unknown messages, stale data, gaps."""

from __future__ import annotations

from datetime import date

import streamlit as st

from analytics import auth, cache, upload_jobs
from analytics.ingest import health
from analytics.ingest.errors import IngestError
from analytics.safe_csv import write_csv
from pages._ui import md

ss = st.session_state


def render(user: auth.User) -> None:
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
        st.dataframe(people.drop(columns=["rep_id", "suggested_rep_id", "suggestions", "preselect"]),
                     hide_index=True,
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
            # Only a near-certain match is chosen in advance; a weaker one is listed first but picked by a person.
            sure = row["preselect"] if isinstance(row["preselect"], str) else None
            if ss.get("link_rep_for") != who:       # another person: their own suggestion, not the last choice
                ss.pop("link_rep", None)
                ss["link_rep_for"] = who
            rep = lc[1].selectbox("is roster rep", ordered, format_func=lambda r: names.get(r, r), key="link_rep",
                                  index=ordered.index(sure) if sure in ordered else None,
                                  placeholder="Choose the roster rep")
            if sure is None and len(row["suggestions"]):
                lc[1].caption(f"Likeness {row['score']:.2f} is below {health.MIN_PRESELECT_SCORE:.2f}: check the "
                              "suggestion before choosing it.")
            lc[2].write("")
            if lc[2].button("Confirm match", key="link_button", disabled=rep is None):
                try:
                    with st.spinner("Linking…"):
                        res = upload_jobs.link_person(cache.db_path(), who, rep, user)
                    ss["data_flash"] = [("success", f"Linked {md(row['name'])} to {md(names.get(rep, rep))} "
                                                    f"(upload {res.upload_id}; undo it to unlink).")]
                except IngestError as exc:
                    ss["data_flash"] = [("error", md(exc))]
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

