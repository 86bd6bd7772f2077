"""Field usage: is each message said to prospects? Usage by week against the plan, by group, the funnel, the transfer
gap, usage lift beside certified lift with its timing test, tracker accuracy, the snippets behind each number, and
the trackers' key phrases."""

import streamlit as st

from analytics import cache, refresh_worker, settings, upload_jobs
from analytics.estimators.tracker import evaluate_fixture
from analytics.figures import field as figures
from analytics.ingest import tracking
from analytics.ingest.errors import IngestError
from analytics.metrics.usage import MIN_USE_SHARE, USAGE_BY
from analytics.views import field, retention
from pages._ui import hr_note, md, page_context, pct

page = page_context("field")
user, filters, as_of, colors = page.user, page.filters, page.as_of, page.colors
ss = st.session_state


def phrases_editor() -> None:
    """Marketing's key-phrase editor: the phrases in force per message, a new set, and the edits with undo."""
    st.subheader("Key phrases of the trackers")
    phrases = cache.run(field.key_phrases)
    if phrases.empty:
        st.caption("No catalog messages yet: upload the message catalog on the **Data** page.")
        return
    st.dataframe(phrases.drop(columns="message_id"), hide_index=True, width="stretch", column_config={
        "message_name": "Message", "key_phrases": "Key phrases (;-separated)", "key_phrases_source": "From"})
    if not field.can_edit_phrases(user):
        st.caption("Marketing, ops and admin edit key phrases.")
        return
    names = dict(zip(phrases["message_id"], phrases["message_name"]))
    current = dict(zip(phrases["message_id"], phrases["key_phrases"].fillna("")))
    message_id = st.selectbox("Message", list(names), format_func=names.get, key="field_phrase_message")
    text = st.text_input("Key phrases, separated by ;", value=current.get(message_id, ""),
                         key=f"field_phrases_{message_id}",
                         help="Exact phrases a rep says when using the message. The trackers also match similar "
                              "wording to the message's description; every activity is scored again on save.")
    if st.button("Save key phrases", key="field_phrases_save"):
        try:
            with st.spinner("Scoring activities again…"), upload_jobs.writing(cache.db_path()) as con:
                out = tracking.set_key_phrases(con, message_id, text, user.email or "local user")
            ss["field_flash"] = ("success", f"Saved the key phrases of {md(names[message_id])}.")
            refresh_worker.request(upload_jobs.store_of(cache.db_path()))
        except IngestError as exc:
            ss["field_flash"] = ("error", md(exc))
        cache.clear()
        st.rerun()
    history = cache.run(tracking.key_phrase_history, message_id)
    if len(history):
        st.dataframe(history[["edit_id", "key_phrases", "edited_by", "edited_at", "state"]], hide_index=True,
                     width="stretch", column_config={"edit_id": "Edit", "key_phrases": "Key phrases",
                                                     "edited_by": "By", "edited_at": "When", "state": "State"})
        live = history[history["state"] == "in force"]
        if len(live) and st.button(f"Undo edit {int(live['edit_id'].iloc[0])}", key="field_phrases_undo"):
            with upload_jobs.writing(cache.db_path()) as con:
                tracking.undo_key_phrase_edit(con, int(live["edit_id"].iloc[0]), user.email or "local user")
            ss["field_flash"] = ("success", "Undid the edit: the previous phrases are in force again.")
            cache.clear()
            st.rerun()


def show_snippets(message_id: str, label: str, **narrow) -> None:
    """The matches behind one number: date, who said it (names where the role may read them) and the words."""
    found = cache.run(field.snippets, user, filters, as_of, message_id, **narrow)
    st.markdown(f"**Snippets behind {md(label)}** ({len(found)} most recent)")
    if found.empty:
        st.caption("No snippet to show" + ("" if user.role in field.TEXT_ROLES else
                                          " (none from groups below the minimum size)") + ".")
        return
    columns = ["activity_date", "speaker_role", "team", "rep_name", "speaker", "title", "snippet"]
    shown = found[[c for c in columns if found[c].notna().any() or c in ("activity_date", "snippet")]]
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "activity_date": st.column_config.DateColumn("Date"), "speaker_role": "Said by", "team": "Team",
        "rep_name": "Rep", "speaker": "Speaker", "title": "Activity", "snippet": st.column_config.TextColumn(
            "Snippet", width="large")})
    readable = found["activity_id"].dropna()
    if len(readable):
        titles = dict(zip(found["activity_id"], found["title"].fillna(found["activity_id"])))
        pick = st.selectbox("Read the whole activity", list(dict.fromkeys(readable)), index=None,
                            format_func=lambda a: f"{titles.get(a, a)}", placeholder="Choose an activity",
                            key=f"field_read_{message_id}_{label}")
        if pick is not None:
            turns = cache.run(field.transcript, user, pick)
            if turns.empty or turns["text"].isna().all():
                st.caption("The words of this activity are not kept (HUDDLE_KEEP_TRANSCRIPTS=false) or not yours "
                           "to read.")
            else:
                for t in turns.itertuples():
                    st.markdown(f"**{md(t.speaker or t.speaker_role)}**: {md(t.text or '')}")
    else:
        st.caption("Names and whole transcripts are shown to admin and ops, and to managers for their own team.")


if "field_flash" in ss:
    kind, text = ss.pop("field_flash")
    getattr(st, kind)(text)

if not cache.run(field.has_activities):
    st.info(field.NO_ACTIVITIES)
    phrases_editor()
    st.stop()

st.caption(f"As of {as_of:%d %b %Y}. A rep **used** a message when the trackers matched it in words the rep said or "
           "wrote (a call without speaker labels counts, and is counted apart); the prospect saying it is not use. "
           "Usage rate per call: in-scope calls and meetings in which the rep used it. Per deal: in-scope closed "
           "deals with a recorded activity on which a rep used it before the close. Intervals: 95% Wilson.")
hr_note()

rates = cache.run(field.usage_rates, filters, as_of)
messages = dict(zip(rates["message_id"], rates["message_name"]))
if not messages:
    st.info("No message matches the message filter." if filters.messages else
            "No messages in the catalog yet: upload the message catalog on the **Data** page.")
    st.stop()

st.subheader("Is it said?")
table = rates[["message_id", "message_name", "usage_rate", "ci_low", "ci_high", "n_used", "n_calls",
               "n_used_unknown_speaker", "n_reps", "deal_usage_rate", "n_used_deals", "n_deals"]]
picked = st.dataframe(
    table.drop(columns="message_id"), hide_index=True, width="stretch", on_select="rerun",
    selection_mode="single-row", key="field_rates",
    column_config={"message_name": "Message",
                   "usage_rate": st.column_config.NumberColumn("Used in calls", format="percent"),
                   "ci_low": st.column_config.NumberColumn("Low", format="percent"),
                   "ci_high": st.column_config.NumberColumn("High", format="percent"),
                   "n_used": "Calls used", "n_calls": "Calls in scope",
                   "n_used_unknown_speaker": st.column_config.NumberColumn(
                       "…of which no speaker labels", help="Used in calls whose source has no speaker labels: "
                                                           "counted as the rep's use."),
                   "n_reps": "Reps with calls",
                   "deal_usage_rate": st.column_config.NumberColumn("Used on deals", format="percent"),
                   "n_used_deals": "Deals used", "n_deals": "Deals with activity"})
rows = picked.selection.rows if picked else []
if rows:
    row = table.iloc[rows[0]]
    show_snippets(row["message_id"], f"{row['message_name']}: {pct(row['usage_rate'])} of calls")
else:
    st.caption("Select a message's row to see the snippets behind its rate.")

weeks = cache.run(field.weekly, filters, as_of)
if len(weeks):
    st.plotly_chart(figures.weekly_usage(weeks, colors), width="stretch")
    st.caption("The launch plan sets a certification target, not a usage target: usage is shown against the plan's "
               "certified-share path (dotted) and the certified share itself (dashed); the gap between the dashed "
               "line and the usage line is reps who learned the message but don't say it. Weeks before launch "
               "(grey) are the trackers' baseline: false positives or organic use.")
    with st.expander("Snippets of one week"):
        message_id = st.selectbox("Message", list(messages), format_func=messages.get, key="field_week_message")
        available = sorted(weeks.loc[weeks["message_id"] == message_id, "weeks_since_launch"].astype(int))
        if available:
            week = st.select_slider("Week since launch", available, value=available[-1], key="field_week")
            show_snippets(message_id, f"{messages[message_id]}, week {week}", weeks=(week, week))

st.subheader("By group")
groups = [b for b in USAGE_BY if b != "rep" or user.sees_rep_detail]
by = st.segmented_control("Group by", groups, default="team", key="field_by", format_func=str.title) or "team"
min_size = settings.min_group_size()
cells = cache.run(field.usage_rates, filters, as_of, by, min_size)
if cells.empty:
    st.info("No calls in scope for these filters.")
else:
    st.plotly_chart(figures.group_usage(cells, by, colors), width="stretch")
    label = "rep_name" if by == "rep" else by
    group_table = cells[["message_id", "message_name", label, "usage_rate", "ci_low", "ci_high", "n_used", "n_calls",
                         "n_reps", "deal_usage_rate", "n_used_deals", "n_deals"]]
    chosen = st.dataframe(
        group_table.drop(columns="message_id"), hide_index=True, width="stretch", on_select="rerun",
        selection_mode="single-row", key=f"field_group_{by}",
        column_config={"message_name": "Message", label: by.title(),
                       "usage_rate": st.column_config.NumberColumn("Used in calls", format="percent"),
                       "ci_low": st.column_config.NumberColumn("Low", format="percent"),
                       "ci_high": st.column_config.NumberColumn("High", format="percent"),
                       "n_used": "Calls used", "n_calls": "Calls in scope", "n_reps": "Reps",
                       "deal_usage_rate": st.column_config.NumberColumn("Used on deals", format="percent"),
                       "n_used_deals": "Deals used", "n_deals": "Deals with activity"})
    picked_rows = chosen.selection.rows if chosen else []
    if picked_rows:
        g = cells.iloc[picked_rows[0]]
        if bool(g.get("is_suppressed", False)):
            st.caption(f"This group has fewer than {min_size} reps: its figures and snippets are hidden.")
        else:
            narrow = {"rep_id": g["rep_id"]} if by == "rep" else {by: g[by]}
            show_snippets(g["message_id"], f"{g['message_name']}, {g[label]}", **narrow)
st.caption(f"Groups with fewer than {min_size} reps are hidden ({settings.MIN_GROUP_SIZE_ENV}).")

st.subheader("From certified to used to won")
steps = cache.run(field.funnel, filters, as_of)
st.plotly_chart(figures.usage_funnel(steps, colors), width="stretch")
beside = steps.drop_duplicates("message_id")
st.markdown(" ".join(f"**{md(r.message_name)}**: {r.used_without_certification} reps used it without being "
                     "certified." for r in beside.itertuples()))

st.subheader("Transfer gap: certified, but not said")
if not user.sees_rep_detail:
    share = cache.run(field.gap_by_message, filters, as_of)
    st.dataframe(share.merge(beside[["message_id", "message_name"]], on="message_id")[
        ["message_name", "reps_not_using", "reps_certified_with_calls", "share_not_using", "ci_low", "ci_high"]],
        hide_index=True, width="stretch", column_config={
            "message_name": "Message",
            "reps_not_using": f"Certified reps saying it in under {MIN_USE_SHARE:.0%} of calls",
            "reps_certified_with_calls": "Certified reps with calls since",
            "share_not_using": st.column_config.NumberColumn("Share", format="percent"),
            "ci_low": st.column_config.NumberColumn("Low", format="percent"),
            "ci_high": st.column_config.NumberColumn("High", format="percent")})
    st.caption("Rep-level detail is not shown for your role: figures here are aggregated.")
else:
    model = cache.run(retention.retention_model)
    gap = cache.run(field.transfer_gap, filters, as_of, model)
    if gap.empty:
        st.success(f"Every certified rep with calls since certifying says the message in at least "
                   f"{MIN_USE_SHARE:.0%} of them.")
    else:
        st.dataframe(gap.drop(columns=["message_id", "rep_id", "recall"]), hide_index=True, width="stretch",
                     column_config={"message_name": "Message", "rep_name": "Rep", "team": "Team",
                                    "manager": "Manager", "certified_at": "Certified",
                                    "n_calls_certified": "Calls since certifying",
                                    "n_used_certified": "Of which used",
                                    "usage_rate": st.column_config.NumberColumn("Used in", format="percent"),
                                    "expected_score": st.column_config.NumberColumn(
                                        "Expected quiz score today", format="percent",
                                        help="The forgetting model's forecast (Retention page): a low score says "
                                             "the rep may have forgotten it; a high one, that they know it and "
                                             "choose not to say it.")})
        if model is None:
            st.caption("No expected scores: too few repeat quiz attempts to fit the forgetting model.")

st.subheader("Does using it win deals?")
lifts = cache.run(field.usage_lift, filters, as_of)
st.warning(field.CAVEAT, icon=":material/warning:")
st.plotly_chart(figures.lift_beside(lifts), width="stretch")
for r in lifts.itertuples():
    st.markdown(f"**{md(r.message_name)}**: {r.summary} *Timing test*: {r.timing_summary}")
st.caption(f"Usage lift: {lifts['method'].iloc[0] if len(lifts) else ''}, the same estimator as the certified lift "
           "(Win-rate impact page), with deals used before the close in place of deals by certified reps. Timing "
           f"test: the same fit for deals first used more than {field.LATE_DAYS} days before the close and for "
           f"deals used only in the last {field.LATE_DAYS}; the CRM export has a deal's current stage only, not "
           "when it changed, so the close date is the clock.")

st.subheader("How accurate are the trackers?")
accuracy = cache.derived(evaluate_fixture, "holdout")
st.dataframe(accuracy[["message", "precision", "precision_low", "precision_high", "recall", "recall_low",
                       "recall_high", "tp", "fp", "fn", "n_snippets"]], hide_index=True, width="stretch",
             column_config={"message": "Tracker", **{c: st.column_config.NumberColumn(c.replace("_", " ").title(),
                                                                                       format="percent")
                                                     for c in ("precision", "precision_low", "precision_high",
                                                               "recall", "recall_low", "recall_high")},
                            "tp": "Right matches", "fp": "False matches", "fn": "Missed", "n_snippets": "Snippets"})
st.caption("Measured on a labelled set of realistic call snippets held out from calibration (positives and hard "
           "negatives: the same words in another sense, a competitor's claim, the prospect saying it); 95% Wilson "
           "intervals.")

phrases_editor()
