"""Adoption: certification funnel, time to certify, the team / region / manager heat map and the rep drill-down."""

import streamlit as st

from analytics import cache, settings
from analytics.figures import adoption as figures
from analytics.figures import field as field_figures
from analytics.metrics.certification import BY
from analytics.views import adoption
from pages._ui import hr_note, md, page_context

page = page_context("adoption")
user, filters, as_of, colors = page.user, page.filters, page.as_of, page.colors
st.caption(f"Certification as of {as_of:%d %b %Y}. A rep is in scope of a message when it targets every deal or a "
           "segment the rep sells to; certified at the first passed quiz attempt.")
hr_note()

left, right = st.columns(2)
with left:
    st.plotly_chart(figures.funnel(cache.run(adoption.funnel, filters, as_of), colors), width="stretch")
with right:
    days = cache.run(adoption.time_to_certify, filters, as_of)
    if days.empty:
        st.info("Nobody in scope has certified yet for these filters.")
    else:
        st.plotly_chart(figures.time_to_certify(days, colors), width="stretch")

usage_steps = cache.run(adoption.usage_funnel, filters, as_of)
if len(usage_steps):
    st.subheader("From certified to used")
    st.plotly_chart(field_figures.usage_funnel(usage_steps, colors), width="stretch")
    st.caption("Uses it in calls: the trackers matched the message in words the rep said in at least a tenth of their "
               "in-scope calls; used on a deal: in an activity linked to an in-scope closed deal before its close; "
               "won with it: on a deal then won. The "
               "**Field usage** page has the snippets, the transfer gap and the usage lift.")

st.subheader("Certification by group")
by = st.segmented_control("Group by", list(BY), default="team", key="adoption_by",
                          format_func=str.title) or "team"
min_size = settings.min_group_size()
cells = cache.run(adoption.certification, filters, as_of, by, min_size)
if cells.empty:
    st.info("No reps in scope for these filters.")
else:
    st.plotly_chart(figures.certification_heatmap(cells, by), width="stretch")
st.caption(f"Groups with fewer than {min_size} reps in scope of a message are hidden ({settings.MIN_GROUP_SIZE_ENV}).")

if not user.sees_rep_detail:
    st.info("Rep-level detail is not shown for your role: figures here are aggregated.")
    st.stop()

groups = sorted(cells[by].dropna().unique()) if not cells.empty else []
group = st.selectbox(f"Drill down to a {by}", groups, index=None, placeholder=f"Choose a {by}",
                     key=f"adoption_group_{by}")
if group is None:
    st.stop()
reps = cache.run(adoption.group_reps, filters, as_of, by, group)
st.markdown(f"**Reps of {md(group)}** ({len(reps)}): status on each message")
st.dataframe(reps.drop(columns="rep_id"), hide_index=True, width="stretch",
             column_config={"rep_name": "Rep", "messages_certified": "Messages certified"})

names = dict(zip(reps["rep_id"], reps["rep_name"]))
rep_id = st.selectbox("One rep's history", list(names), index=None, format_func=lambda r: names.get(r, r),
                      placeholder="Choose a rep", key="adoption_rep")
if rep_id is None:
    st.stop()
history = cache.run(adoption.rep_history, filters, rep_id, as_of)
st.subheader(md(names[rep_id]))
if history["attempts"].empty:
    st.info("No quiz attempts yet.")
else:
    st.plotly_chart(figures.rep_scores(history["attempts"], colors), width="stretch")
st.markdown("**Certification per message**")
st.dataframe(history["certification"].drop(columns="message_id").rename(columns={
    "message_name": "Message", "launch_date": "Launch", "is_in_scope": "In scope", "n_attempts": "Attempts",
    "first_attempt_at": "First attempt", "certified_at": "Certified at", "days_to_certify": "Days to certify"}),
    hide_index=True, width="stretch", column_config={"Launch": st.column_config.DateColumn()})
st.markdown("**Closed deals in scope** (adopted: closed on or after certification)")
st.dataframe(history["deals"].drop(columns="message_id").rename(columns={
    "message_name": "Message", "n_closed_in_scope": "Closed in scope", "n_won_in_scope": "Won in scope",
    "n_closed_adopted": "Closed adopted", "n_won_adopted": "Won adopted",
    "n_closed_before_launch": "Closed before launch", "first_close_in_scope": "First close",
    "last_close_in_scope": "Last close", "win_rate_in_scope": "Win rate in scope",
    "win_rate_adopted": "Win rate adopted"}),
    hide_index=True, width="stretch",
    column_config={"Win rate in scope": st.column_config.NumberColumn(format="percent"),
                   "Win rate adopted": st.column_config.NumberColumn(format="percent"),
                   "First close": st.column_config.DateColumn(), "Last close": st.column_config.DateColumn()})
with st.expander("All quiz attempts"):
    st.dataframe(history["attempts"][["attempted_at", "message_name", "module", "score", "passed"]],
                 hide_index=True, width="stretch",
                 column_config={"score": st.column_config.NumberColumn(format="percent")})
